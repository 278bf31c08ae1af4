"""`smscli doctor`: step-by-step checks of the way to a GWS server, each with a verdict."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from smscli.errors import EXIT_ERROR, SmscliError

if TYPE_CHECKING:
    from smscli.client import Diagnostics

MAX_SKEW_S = 60.0  # beyond this, times in transcripts and the follow's notes mislead


@dataclass(slots=True)
class Check:
    step: str
    verdict: str  # "ok", "warn", "fail" or "skip"
    detail: str
    hint: str = ""
    exit_code: int = 0

    def to_dict(self) -> dict:
        return {"step": self.step, "verdict": self.verdict, "detail": self.detail,
                "hint": self.hint}


def run_checks(server_of: Callable[[], str], make_client: Callable[[], Any]) -> Iterator[Check]:
    """Each check in turn; after a failure the checks that need it are skipped."""
    try:
        client = make_client()
    except SmscliError as exc:
        yield _failed("configuration", exc)
        return
    server = server_of()  # known once the client exists (the demo's emulator picks a port)
    yield Check("configuration", "ok", f"server {server}, user {client.user}")

    try:
        version = client.version()
    except SmscliError as exc:
        yield _failed("server answers", exc)
        yield from _skipped("TLS", "credentials", "session and CSRF", "SMS feature",
                            "live notifications", "clock")
        return
    yield Check("server answers", "ok", f"GWS version {version}")
    yield _tls_check(server)

    try:
        user = client.me(subresources="features")
    except SmscliError as exc:
        yield _failed("credentials", exc)
        yield from _skipped("session and CSRF", "SMS feature", "live notifications", "clock")
        return
    yield Check("credentials", "ok", f"logged in as {user.get('userName') or client.user}")
    yield _session_check(client.diagnostics())
    yield _feature_check(user)
    yield _cometd_check(client)
    yield _clock_check(client.diagnostics().server_date)


def _failed(step: str, exc: SmscliError) -> Check:
    return Check(step, "fail", exc.message, exc.hint or "", exc.exit_code or EXIT_ERROR)


def _skipped(*steps: str) -> Iterator[Check]:
    for step in steps:
        yield Check(step, "skip", "not checked: an earlier step failed")


def _tls_check(server: str) -> Check:
    from urllib.parse import urlsplit

    if server.startswith("https://"):
        return Check("TLS", "ok", "certificate verified (or verification turned off: see "
                     "the warning above)")
    host = urlsplit(server).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return Check("TLS", "ok", "plain http, on this machine only")
    return Check("TLS", "warn", "plain http: the password travels unencrypted",
                 "use the https:// URL of the server")


def _session_check(found: Diagnostics) -> Check:
    cookies = found.cookie_names
    if "JSESSIONID" not in cookies:
        return Check("session and CSRF", "warn", "no JSESSIONID cookie came back",
                     "GWS needs a cookie session: check a proxy is not dropping Set-Cookie")
    csrf = found.csrf_header
    detail = f"cookie session {', '.join(cookies)}; " + (
        f"CSRF protection on (header {csrf})" if csrf else "CSRF protection off")
    return Check("session and CSRF", "ok", detail)


def _feature_check(user: dict) -> Check:
    features = user.get("features")
    if not isinstance(features, list):
        return Check("SMS feature", "warn", "the server did not list the user's features")
    names = {f.get("id") for f in features if isinstance(f, dict)}
    wanted = {"api-multimedia", "api-multimedia-chat"} & names
    if wanted:
        return Check("SMS feature", "ok", f"{', '.join(sorted(wanted))} enabled")
    return Check("SMS feature", "fail", "the user has neither api-multimedia nor "
                 "api-multimedia-chat", "ask an administrator to enable the SMS API feature",
                 4)


def _cometd_check(client: Any) -> Check:
    from smscli.follow.bayeux import BayeuxClient, BayeuxRefused, RehandshakeNeeded

    bayeux = BayeuxClient(client)
    try:
        bayeux.handshake()
    except (SmscliError, BayeuxRefused, RehandshakeNeeded) as exc:
        return Check("live notifications", "warn",
                     f"CometD handshake failed: {getattr(exc, 'message', exc)}",
                     "--follow will poll instead (one request a second)")
    finally:
        bayeux.disconnect()
    return Check("live notifications", "ok",
                 f"CometD handshake at /api/v2/notifications (long-poll timeout "
                 f"{bayeux.advice.timeout_ms / 1000:g} s)")


def _clock_check(date: str | None) -> Check:
    try:
        server_time = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        server_time = None
    if server_time is None:
        return Check("clock", "warn", "the server sent no Date header to compare with")
    skew = (datetime.now(timezone.utc) - server_time).total_seconds()
    detail = f"this machine is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} " \
             "the server"
    if abs(skew) > MAX_SKEW_S:
        return Check("clock", "warn", detail, "sync the clock (NTP): message times mislead")
    return Check("clock", "ok", detail)
