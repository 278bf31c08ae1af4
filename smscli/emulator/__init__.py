"""GWS SMS emulator: a local, scriptable stand-in for Genesys Web Services SMS sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smscli.emulator.server import Emulator
    from smscli.emulator.state import EmulatorState

__all__ = ["Emulator", "EmulatorState"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `import smscli.emulator` must stay free for the CLI's start-up.
    if name == "Emulator":
        from smscli.emulator.server import Emulator

        return Emulator
    if name == "EmulatorState":
        from smscli.emulator.state import EmulatorState

        return EmulatorState
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
