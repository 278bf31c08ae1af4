"""``smscli emulator serve``: the GWS emulator in the foreground, for demos, tests and scripts."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

app = typer.Typer(help="Run the built-in GWS SMS emulator.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("serve", epilog="\b\nExamples:\n  smscli emulator serve --port 8090\n"
             "  SMSCLI_PASSWORD=demo smscli --server http://127.0.0.1:8090 --user demo "
             "sessions list")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless you mean it.")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.",
                                      min=0, max=65535)] = 8090,
    user: Annotated[str, typer.Option(help="The user name the emulator accepts. Its password "
                                      "is SMSCLI_EMULATOR_PASSWORD, or 'demo'.")] = "demo",
    seed: Annotated[Optional[int], typer.Option(
        help="Seed for the demo data and traffic, for repeatable runs.", show_default=False)
    ] = None,
    rate: Annotated[float, typer.Option(
        help="Demo traffic: new messages per second across chatting sessions (0: none).",
        min=0.0)] = 1.0,
    csrf: Annotated[bool, typer.Option("--csrf", help="Require GWS CSRF tokens on POSTs.")
                    ] = False,
    big: Annotated[Optional[list[int]], typer.Option(
        "--big", metavar="N", help="Add a completed session with N messages (repeatable), "
        "id 0000BIG followed by N in 9 digits.", show_default=False)] = None,
) -> None:
    """Serve a GWS-compatible SMS API with demo sessions and live traffic until Ctrl-C."""
    from smscli.emulator import Emulator

    password = os.environ.get("SMSCLI_EMULATOR_PASSWORD") or "demo"
    emulator = Emulator(host=host, port=port, users={user: password}, csrf=csrf, seed=seed,
                        traffic_rate=rate, big_sizes=tuple(big or ()))
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"smscli: warning: the emulator listens on {host}, not only this machine; "
              "its demo password is not a secret", file=sys.stderr)
    print(emulator.url, flush=True)  # bound already: scripts using --port 0 read it here
    print(f"smscli: GWS emulator on {emulator.url} (user {user}); Ctrl-C stops it",
          file=sys.stderr, flush=True)
    emulator.serve_forever()  # until Ctrl-C; it closes everything on its way out
