"""``smscli emulator serve``: the GWS emulator in the foreground, for demos, tests and scripts."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Annotated, Optional

import typer

from smscli.errors import UsageError

app = typer.Typer(help="Run the built-in GWS SMS emulator.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("serve", epilog="\b\nExamples:\n  smscli emulator serve --port 8090\n"
             "  SMSCLI_PASSWORD=demo smscli --server http://127.0.0.1:8090 --user demo "
             "sessions list")
def serve(
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to bind; loopback unless you mean it.")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on; 0 picks a free one.",
                                      min=0, max=65535)] = 8090,
    user: Annotated[str, typer.Option(metavar="NAME", help="The user name the emulator accepts. Its password "
                                      "is SMSCLI_EMULATOR_PASSWORD, or 'demo'.")] = "demo",
    seed: Annotated[Optional[int], typer.Option(
        metavar="N", help="Seed for the demo data and traffic, for repeatable runs.", show_default=False)
    ] = None,
    rate: Annotated[float, typer.Option(
        metavar="PER_SECOND", help="Demo traffic: new messages per second across chatting sessions (0: none).",
        min=0.0)] = 1.0,
    scenario: Annotated[str, typer.Option(
        metavar="NAME", help="Data to serve: 'demo', 'hostile' (escape sequences, bidi, markup, huge "
        "texts: what smscli must show inert) or 'busy' (50 chatting sessions, for tail).")] = "demo",
    csrf: Annotated[bool, typer.Option("--csrf", help="Require GWS CSRF tokens on POSTs.")
                    ] = False,
    cometd_timeout: Annotated[float, typer.Option(
        metavar="SECONDS", help="Seconds a CometD long-poll is held when there is nothing to send.", min=0.1)
    ] = 30.0,
    drop_rate: Annotated[float, typer.Option(
        metavar="SHARE", help="Fault: share of responses cut off mid-body (0-1).", min=0.0, max=1.0)] = 0.0,
    error_rate: Annotated[float, typer.Option(
        metavar="SHARE", help="Fault: share of requests answered 500 or 503 (0-1).", min=0.0, max=1.0)] = 0.0,
    delay: Annotated[float, typer.Option(
        metavar="SECONDS", help="Fault: seconds added before each answer.", min=0.0)] = 0.0,
    duplicate_rate: Annotated[float, typer.Option(
        metavar="SHARE", help="Fault: share of CometD events delivered twice (0-1).", min=0.0, max=1.0)] = 0.0,
    reorder_rate: Annotated[float, typer.Option(
        metavar="SHARE", help="Fault: share of CometD replies with two events swapped (0-1).", min=0.0,
        max=1.0)] = 0.0,
    silent_rate: Annotated[float, typer.Option(
        metavar="SHARE", help="Fault: share of traffic messages added without any notification (0-1).",
        min=0.0, max=1.0)] = 0.0,
    restart_every: Annotated[float, typer.Option(
        metavar="SECONDS", help="Fault: every N seconds forget all CometD clients, as a restart does (0: never).",
        min=0.0)] = 0.0,
    expire_every: Annotated[float, typer.Option(
        metavar="SECONDS", help="Fault: every N seconds expire all HTTP sessions (0: never).", min=0.0)] = 0.0,
    big: Annotated[Optional[list[int]], typer.Option(
        "--big", metavar="N", help="Add a completed session with N messages (repeatable), "
        "id 0000BIG followed by N in 9 digits.", show_default=False)] = None,
) -> None:
    """Serve a GWS-compatible SMS API with demo sessions and live traffic until Ctrl-C."""
    from smscli.emulator import Emulator
    from smscli.emulator.faults import Faults
    from smscli.emulator.server import SCENARIOS

    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r}", f"choose one of {', '.join(SCENARIOS)}")
    password = os.environ.get("SMSCLI_EMULATOR_PASSWORD") or "demo"
    faults = Faults(seed)
    faults.configure(drop_rate=drop_rate, error_rate=error_rate, delay_s=delay,
                     duplicate_rate=duplicate_rate, reorder_rate=reorder_rate,
                     silent_rate=silent_rate)
    emulator = Emulator(host=host, port=port, users={user: password}, csrf=csrf, seed=seed,
                        traffic_rate=rate, big_sizes=tuple(big or ()), faults=faults,
                        cometd_timeout_ms=int(cometd_timeout * 1000), scenario=scenario)
    for every, fault in ((restart_every, faults.forget_clients),
                         (expire_every, faults.expire_sessions)):
        if every:
            _repeat(every, fault)
    from smscli.render.output import Output

    out = Output()
    if host not in ("127.0.0.1", "localhost", "::1"):
        out.warn(f"the emulator listens on {host}, not only this machine; its demo password "
                 "is not a secret")
    print(emulator.url, flush=True)  # bound already: scripts using --port 0 read it here
    out.note(f"GWS emulator on {emulator.url} (user {user}); Ctrl-C stops it")
    emulator.serve_forever()  # until Ctrl-C; it closes everything on its way out


def _repeat(seconds: float, action: Callable[[], object]) -> None:
    """Run ``action`` every ``seconds`` in a daemon thread, for as long as the process lives."""

    def loop() -> None:
        while True:
            time.sleep(seconds)
            action()

    from smscli import threads

    threads.start(loop, "smscli-emulator-faults")
