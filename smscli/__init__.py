"""smscli: look inside Genesys Web Services SMS sessions."""

__version__ = "0.1.0"
