"""Typer wiring: options, commands and the error boundary."""
