"""Entry point for ``python -m smscli``."""

from smscli.entry import run

run()
