"""Entry point for ``python -m smscli``."""

from smscli.cli.main import run

run()
