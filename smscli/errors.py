"""Typed errors that carry an exit code and a hint for the user."""

from __future__ import annotations

# Exit codes, as promised in the README ("Exit codes").
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_AUTH = 4
EXIT_SERVER = 5
EXIT_NETWORK = 6
EXIT_INTERRUPTED = 130


class SmscliError(Exception):
    """An error the user can act on: one line of what happened, one hint of what to try."""

    exit_code = EXIT_ERROR
    kind = "error"

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None,
                 status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.http_status = status
        self.gws_status_code = status_code

    def to_dict(self) -> dict:
        """The error as the JSON object printed on stderr in machine output modes."""
        out: dict = {"error": self.kind, "message": self.message, "exitCode": self.exit_code}
        if self.hint:
            out["hint"] = self.hint
        if self.http_status is not None:
            out["httpStatus"] = self.http_status
        if self.gws_status_code is not None:
            out["statusCode"] = self.gws_status_code
        return out


class UsageError(SmscliError):
    exit_code = EXIT_USAGE
    kind = "usage"


class ConfigError(SmscliError):
    exit_code = EXIT_USAGE
    kind = "config"


class NotFoundError(SmscliError):
    exit_code = EXIT_NOT_FOUND
    kind = "not_found"


class AuthError(SmscliError):
    exit_code = EXIT_AUTH
    kind = "auth"


class ServerError(SmscliError):
    exit_code = EXIT_SERVER
    kind = "server"


class BadResponseError(ServerError):
    """The server answered, but with something that is not a GWS JSON envelope."""

    kind = "bad_response"


class NetworkError(SmscliError):
    exit_code = EXIT_NETWORK
    kind = "network"
