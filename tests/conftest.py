"""Shared fixtures: a hermetic environment, the CLI as a subprocess and in-process, raw servers."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import forkrun
import pytest

from smscli.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Before any test: what every child process the suite starts inherits.

    - The package compiled once (``compileall`` writes even under PYTHONDONTWRITEBYTECODE):
      the suite starts hundreds of ``python -m smscli`` children from this checkout, and
      without the .pyc files each one would compile every module it imports again.
    - Ctrl-C as a person sends it: a shell that starts the suite in the background (no job
      control) leaves SIGINT ignored, children inherit that, and a test that ends a `tail`,
      `record` or `--follow` with SIGINT would wait on a process that cannot hear it.
    """
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not hasattr(config, "workerinput"):  # once: the xdist controller, or a run without it
        import compileall

        compileall.compile_dir(REPO / "smscli", quiet=1)
        _rewrite_test_modules_once(config)


def _rewrite_test_modules_once(config: pytest.Config) -> None:
    """Each xdist worker imports every test module, and pytest rewrites the asserts of each
    on import (about 2.5 s of CPU a worker). It caches the result in its own .pyc files, but
    not under PYTHONDONTWRITEBYTECODE; so the controller writes them here, once, and the
    workers read them. This uses pytest's internals: if they change, it does nothing."""
    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
        for source in sorted((REPO / "tests").rglob("*.py")):
            if "node_modules" in source.parts or not (
                    source.name.startswith("test_") or source.name == "conftest.py"):
                continue
            pyc = rewrite.get_cache_dir(source) / (source.name[:-3] + rewrite.PYC_TAIL)
            if rewrite._read_pyc(source, pyc) is not None:
                continue
            if not rewrite.try_makedirs(pyc.parent):
                return
            source_hash, code = rewrite._rewrite_test(source, config)
            rewrite._write_pyc(state, code, source_hash, pyc)
    except Exception:  # noqa: BLE001  # an optimisation only: the workers rewrite as before
        return


def pytest_unconfigure(config: pytest.Config) -> None:
    forkrun.shutdown()


VENDOR_SESSION = "0000Na9B26EF002G"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.stdout)


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment with no user config, no colour variables and a fixed terminal width."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SMSCLI_") and k not in
           ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "COLUMNS", "TERM", "TZ")}
    env.update({
        "SMSCLI_CONFIG_DIR": str(tmp_path / "config"),
        "HOME": str(tmp_path / "home"),
        "COLUMNS": "120",
        "TERM": "xterm-256color",
        "TZ": "UTC",
        "PYTHONIOENCODING": "utf-8",
    })
    for key in list(os.environ):
        if key not in env:
            monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def run_cli(clean_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """Run ``python -m smscli ARGS`` as a process of its own; returns code, stdout and stderr.

    The process is forked from a server that has smscli imported already (tests/forkrun.py),
    or started cold where the environment asks for it or SMSCLI_TESTS_COLD=1 is set.
    """

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 60) -> Result:
        code, out, err = forkrun.run(list(args), {**clean_env, **(env or {})}, REPO,
                                     input=input, timeout=timeout)
        return Result(code, out, err)

    return run


@pytest.fixture
def cli(clean_env: dict[str, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run the CLI in this process (faster; same code path as the console script)."""
    from smscli.cli.main import main

    def run(*args: str, env: dict[str, str] | None = None,
            terminal: tuple[bool, bool] | None = None) -> Result:
        """``terminal``: (stdout, stderr) taken for terminals, as main() allows."""
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = main(list(args), terminal=terminal)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator(users={"demo": "demo"}, seed=7, traffic_rate=0.0).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def server_args(emulator: Emulator) -> list[str]:
    return ["--server", emulator.url, "--user", "demo"]


@pytest.fixture
def password_env() -> dict[str, str]:
    return {"SMSCLI_PASSWORD": "demo"}


class RawServer:
    """A loopback HTTP server that answers each path with canned responses, in turn.

    Used for what a real GWS or a proxy in front of one may send and our emulator would not:
    invalid JSON, HTML error pages, empty bodies, retries.
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        raw = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._answer()

            def _answer(self) -> None:
                path = self.path.split("?", 1)[0]
                raw.requests.append((self.command, self.path, dict(self.headers)))
                queue = raw.routes.get(path) or [(404, {}, b'{"statusCode":6}')]
                status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll: shutdown() waits for it, once per test (the default is 0.5 s).
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)

    def route(self, path: str, *responses: tuple[int, dict[str, str], bytes]) -> None:
        self.routes[path] = list(responses)


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
