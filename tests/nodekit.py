"""A Node.js test server as a child process: found or skipped, started, stopped, its stderr.

The interop tests run Bayeux servers nobody here wrote (faye, cometd-nodejs-server) from
tests/interop/. Without node or tests/interop/node_modules they are skipped, except under CI
(CI set), where .ci/run installs them and a missing one is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
INTEROP = REPO / "tests" / "interop"
START_DEADLINE_S = 15.0


def node_with(module: str, what: str) -> str:
    """The node executable; skip (or, under CI, fail) when node or ``module`` is missing."""
    node = shutil.which("node")
    if node is None:
        missing = "node is not installed"
    elif not (INTEROP / "node_modules" / module).is_dir():
        missing = (f"tests/interop/node_modules/{module} is missing "
                   "(install it with: npm ci --prefix tests/interop)")
    else:
        return node
    if os.environ.get("CI"):
        pytest.fail(f"{what} tests cannot run: {missing}; CI must install it", pytrace=False)
    pytest.skip(f"{what} tests need node and {module}: {missing}")


class NodeServer:
    """One `node SCRIPT ARGS` process whose first line on stdout is the port it bound."""

    def __init__(self, node: str, script: Path, stderr_path: Path) -> None:
        self.node = node
        self.script = script
        self.stderr_path = stderr_path
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self, *args: str) -> None:
        stderr = open(self.stderr_path, "ab")  # noqa: SIM115 - the child keeps it
        try:
            self.proc = subprocess.Popen(
                [self.node, str(self.script), *args, "--stdin-lifeline"],
                cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        finally:
            stderr.close()
        proc = self.proc
        first: list[bytes] = []
        reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(START_DEADLINE_S)
        line = first[0].strip() if first else b""
        if not line.isdigit():
            self.stop()
            pytest.fail(f"{self.script.name} printed no port within {START_DEADLINE_S:g}s "
                        f"(got {line!r}); its stderr: {self.stderr()}", pytrace=False)
        self.port = int(line)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-2000:] or "(empty)"
        except OSError:
            return "(unreadable)"

    def call(self, path: str, body: Any = None, timeout: float = 15.0) -> Any:
        """POST (with a body) or GET the server's control API; its JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
