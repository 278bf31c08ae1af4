"""Per-invocation state: settings, the output, the client (or the demo emulator)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from smscli.errors import ConfigError, SmscliError
from smscli.render.output import Format, Output, OutputFlags
from smscli.safety import escape

if TYPE_CHECKING:  # typed seams without importing requests or Rich on the --help path
    from smscli.client import ClientOptions, GwsClient
    from smscli.config import Settings
    from smscli.emulator import Emulator


@dataclass
class AppState:
    flags: dict[str, Any] = field(default_factory=dict)
    global_flags: OutputFlags = field(default_factory=OutputFlags)  # before the command
    command_flags: OutputFlags = field(default_factory=OutputFlags)  # on it (output_flags)
    debug: bool = False
    # The command's output once it has asked for it (`output`); until then notes and errors
    # go to stderr plainly.
    out: Output = field(default_factory=Output)
    _settings: Settings | None = None
    _client: GwsClient | None = None
    _emulator: Emulator | None = None
    session_id: str | None = None  # the session the command is about, for a not-found error
    # Whether stdout and stderr are terminals, when a test says so instead of the streams.
    terminal: tuple[bool, bool] | None = None

    def __post_init__(self) -> None:
        if self.terminal is not None:
            self.out = self.out.but(stdout_tty=self.terminal[0], stderr_tty=self.terminal[1])

    # -- settings and client --------------------------------------------------------------

    def settings(self) -> Settings:
        if self._settings is None:
            from smscli import config

            self._settings = config.resolve(self.flags)
            for warning in self._settings.warnings:
                self.warn(warning)
        return self._settings

    def client(self) -> GwsClient:
        if self._client is None:
            self._client = self._demo_client() if self.settings().demo else self._server_client()
        return self._client

    def _client_options(self) -> ClientOptions:
        from smscli.client import ClientOptions

        s = self.settings()
        verify: bool | str = s.ca_bundle or s.verify
        return ClientOptions(read_timeout=s.timeout, connect_timeout=min(5.0, s.timeout),
                             verify=verify, page_size=s.page_size, deadline=s.deadline,
                             max_response_mb=s.max_response_mb)

    def _server_client(self) -> GwsClient:
        from smscli.client import GwsClient, redact_url

        s = self.settings()
        if not s.server:
            raise ConfigError("no GWS server configured",
                              "pass --server URL or set SMSCLI_SERVER, or try the built-in "
                              "emulator with --demo")
        if not s.user:
            raise ConfigError(f"no user for {s.server}",
                              "pass --user NAME or set SMSCLI_USER (or a profile)")
        try:
            parts = urlsplit(s.server)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            valid = False
        if not valid:
            raise ConfigError(f"the server URL {escape(redact_url(s.server))} is not a valid "
                              "http(s) URL", "give the GWS base URL, e.g. https://gws.example.com")
        if parts.username is not None or parts.password is not None:
            raise ConfigError(f"the server URL {redact_url(s.server)} holds credentials",
                              "give the user with --user and the password with SMSCLI_PASSWORD")
        if not s.verify:
            self.warn(f"TLS certificate verification is off ({s.sources.get('verify')}); "
                      "anyone on the network path can read and change this session")
        self.warn_cleartext(s.server)
        return GwsClient(s.server, s.user, s.password(), self._client_options(),
                         on_retry=self.note, trace=self.trace if self.debug else None)

    def _demo_client(self) -> GwsClient:
        from smscli.client import GwsClient
        from smscli.emulator import Emulator
        from smscli.emulator.scenario import DEMO_PASSWORD, DEMO_USER

        scenario = os.environ.get("SMSCLI_DEMO_SCENARIO") or "demo"
        self._emulator = Emulator(users={DEMO_USER: DEMO_PASSWORD}, traffic_rate=1.0,
                                  scenario=scenario).start()
        self.settings().server = self._emulator.url
        return GwsClient(self._emulator.url, DEMO_USER, DEMO_PASSWORD, self._client_options(),
                         on_retry=self.note, trace=self.trace if self.debug else None)

    def warn_cleartext(self, server: str) -> None:
        from smscli.client import is_loopback

        parts = urlsplit(server)
        if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            self.warn(f"sending the password without TLS to {parts.hostname}; "
                      "use an https:// server URL")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._emulator is not None:
            self._emulator.stop()

    # -- output ---------------------------------------------------------------------------

    @property
    def given(self) -> OutputFlags:
        """The output flags in effect: the command's, then the global ones."""
        return self.command_flags.over(self.global_flags)

    def output(self, *, prefer: Format | None = None, piped: Format | None = None,
               full: bool = False, profile_zone: bool = True) -> Output:
        """This command's `Output` (see render/output.py), kept for its notes and errors.
        ``prefer``: the format when none was given (``piped``: when none was given and stdout
        is not a terminal); the profile's time zone is read unless
        --utc or --tz decide it (or ``profile_zone`` is off, for commands about settings)."""
        flags = self.given
        zone = (self.settings().tz if profile_zone and not (flags.tz or flags.utc) else None)
        ttys = self.terminal or (None, None)
        self.out = Output.build(flags, zone=zone, prefer=prefer, piped=piped, full=full,
                                stdout_tty=ttys[0], stderr_tty=ttys[1])
        return self.out

    # Every line on stderr passes through escape(): notes quote server text (states, names).

    def note(self, message: str) -> None:
        self.out.note(message)

    def warn(self, message: str) -> None:
        self.out.warn(message)

    def trace(self, message: str) -> None:
        self.out.trace(message)

    def command_hint(self, *words: str) -> str:
        """``smscli WORDS`` with the global flags this run was given (not the password)."""
        import shlex

        flags = self.flags
        parts = ["smscli"]
        if flags.get("demo"):
            parts.append("--demo")
        for name in ("profile", "server", "user", "ca_bundle"):
            if flags.get(name):
                parts += [f"--{name.replace('_', '-')}", shlex.quote(str(flags[name]))]
        if flags.get("verify") is False:
            parts.append("--insecure")
        if flags.get("password_stdin"):
            parts.append("--password-stdin")
        return " ".join([*parts, *words])

    def explain(self, error: SmscliError) -> SmscliError:
        """The error in the words of this command: one wording for a session that is not
        there, whichever request found out; the password's real source in a login hint."""
        from smscli.errors import AuthError, NotFoundError

        if (isinstance(error, NotFoundError) and self.session_id is not None
                and (error.gws_status_code == 6 or error.message.startswith("no SMS session"))):
            found = NotFoundError(f"no SMS session {escape(self.session_id)} for this user",
                                  f"list the sessions with: {self.command_hint('sessions', 'list')}",
                                  status=error.http_status, status_code=error.gws_status_code)
            return found
        if (isinstance(error, AuthError) and self._settings is not None
                and (error.hint or "").startswith("check --user and SMSCLI_PASSWORD")):
            error.hint = self._settings.login_hint()
        return error

    def report(self, error: SmscliError) -> None:
        self.out.error(error)
