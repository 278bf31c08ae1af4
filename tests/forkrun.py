"""``python -m smscli ARGS`` for the suite, forked from an interpreter that has already
imported smscli and its libraries.

The suite runs the CLI as a child process hundreds of times, and most of each child's CPU
went on importing requests, Typer, Rich and smscli again (about 0.2 s of the 0.25 s a short
command takes). A fork server (``python tests/forkrun.py``, one per pytest worker, started on
first use) imports all of that once, then forks a child per run. The child is still a
separate process with the test's own pipes as fds 0-2, the test's environment, working
directory and argv, default signal handlers and a fresh ``sys.stdin/stdout/stderr`` built as
the interpreter builds them; it runs ``smscli/__main__.py`` as ``python -m`` does and exits
the way the interpreter does (threads joined, atexit run, streams flushed: 120 if that
fails, the signal re-raised for an uncaught Ctrl-C).

What a fork cannot give, it does not pretend to: a run whose environment differs from the
server's in anything the interpreter or a library reads at start-up (``PYTHON*``, the
locale, ``TZ``, Typer's and Rich's variables: ``STARTUP_KEYS``) is run cold, as a real
``python -m smscli``, and so is every run when ``SMSCLI_TESTS_COLD=1`` is set. Tests that are
about start-up itself (imports, ``--version``), terminals (ptys), signals or memory limits
start real processes of their own and never come here. See docs/architecture.md, "Tests".
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLD = os.environ.get("SMSCLI_TESTS_COLD") == "1"
STARTUP_PREFIXES = ("PYTHON", "LC_", "TYPER", "_TYPER", "TERMINAL_")
STARTUP_NAMES = ("LANG", "LANGUAGE", "TZ", "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS")


def startup_view(env: dict[str, str]) -> dict[str, str]:
    """The part of an environment that is read once, when an interpreter starts."""
    return {key: value for key, value in env.items()
            if key.startswith(STARTUP_PREFIXES) or key in STARTUP_NAMES}


# -- the test's side ------------------------------------------------------------------------

def _send(sock: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    frame = struct.pack("!I", len(data)) + data
    if fds:
        socket.send_fds(sock, [frame], fds)
    else:
        sock.sendall(frame)


def _recv_exactly(sock: socket.socket, size: int, fds: list[int] | None = None) -> bytes:
    data = b""
    while len(data) < size:
        if fds is not None and not data:
            chunk, got, _, _ = socket.recv_fds(sock, size - len(data), 3)
            fds.extend(got)
        else:
            chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("fork server closed")
        data += chunk
    return data


def _recv(sock: socket.socket, fds: list[int] | None = None) -> dict:
    (size,) = struct.unpack("!I", _recv_exactly(sock, 4, fds))
    return json.loads(_recv_exactly(sock, size))


class ForkServer:
    """One fork server: its process and our end of the socket to it."""

    def __init__(self, env: dict[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.startup = startup_view(env)
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=env, cwd=REPO, stdin=subprocess.DEVNULL)
        theirs.close()
        self.sock = ours
        if _recv(self.sock) != {"ready": True}:
            raise RuntimeError("fork server did not start")

    def close(self) -> None:
        self.sock.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_server: ForkServer | None = None


def _server_for(env: dict[str, str]) -> ForkServer | None:
    """The worker's fork server (started with this environment if there is none, or if it
    died), or None when this environment's start-up part differs from the server's."""
    global _server
    if COLD:
        return None
    if _server is not None and _server.proc.poll() is not None:
        _server.close()
        _server = None
    if _server is None:
        _server = ForkServer(env)
    return _server if _server.startup == startup_view(env) else None


def shutdown() -> None:
    global _server
    if _server is not None:
        _server.close()
        _server = None


def run(args: list[str], env: dict[str, str], cwd: Path | str = REPO,
        input: str | None = None, timeout: float = 60) -> tuple[int, str, str]:
    """``python -m smscli ARGS``: (exit code, stdout, stderr), as ``subprocess.run`` gives them
    (a negative code for a signal; TimeoutExpired after killing the child)."""
    server = _server_for(env)
    if server is None:
        proc = subprocess.run([sys.executable, "-m", "smscli", *args], check=False,
                              capture_output=True,
                              text=True, encoding="utf-8", env=env, input=input,
                              timeout=timeout, cwd=cwd)
        return proc.returncode, proc.stdout, proc.stderr
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        _send(server.sock, {"args": list(args), "env": env, "cwd": str(cwd),
                            "stdin": input is not None}, [stdin_r, out_w, err_w])
    finally:
        for fd in (stdin_r, out_w, err_w):
            os.close(fd)
    pid = _recv(server.sock)["pid"]
    try:
        out, err = _communicate(stdin_w, out_r, err_r, (input or "").encode(),
                                time.monotonic() + timeout)
    except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        _recv(server.sock)
        raise subprocess.TimeoutExpired(["python", "-m", "smscli", *args], timeout) from None
    status = _recv(server.sock)["status"]
    return (os.waitstatus_to_exitcode(status), out.decode("utf-8"), err.decode("utf-8"))


def _communicate(stdin_w: int, out_r: int, err_r: int, data: bytes,
                 deadline: float) -> tuple[bytes, bytes]:
    """Write ``data`` to the child's stdin and read its stdout and stderr until both close."""
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    with selectors.DefaultSelector() as selector:
        if data:
            os.set_blocking(stdin_w, False)
            selector.register(stdin_w, selectors.EVENT_WRITE)
        else:
            os.close(stdin_w)
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired("smscli", 0)
                for key, _ in selector.select(left):
                    fd = key.fd
                    if fd == stdin_w:
                        try:
                            data = data[os.write(fd, data[:65536]):]
                        except BrokenPipeError:
                            data = b""
                        if not data:
                            selector.unregister(fd)
                            os.close(fd)
                        continue
                    chunk = os.read(fd, 65536)
                    if chunk:
                        chunks[fd].append(chunk)
                    else:
                        selector.unregister(fd)
        finally:
            for key in list(selector.get_map().values()):
                selector.unregister(key.fd)
                if key.fd == stdin_w:
                    os.close(key.fd)
            for fd in chunks:
                os.close(fd)
    return b"".join(chunks[out_r]), b"".join(chunks[err_r])


# -- the fork server's side -----------------------------------------------------------------

def _preload() -> None:
    """Import what any command may import: every smscli module and so their libraries."""
    import importlib
    import pkgutil

    import smscli

    for module in pkgutil.walk_packages(smscli.__path__, "smscli."):
        if module.name != "smscli.__main__":
            importlib.import_module(module.name)


def _serve(sock: socket.socket) -> None:
    sys.path[0] = str(REPO)  # not tests/: as `python -m smscli` run from the checkout
    _preload()
    _send(sock, {"ready": True})
    while True:
        fds: list[int] = []
        try:
            request = _recv(sock, fds)
        except (EOFError, ConnectionError):
            return
        pid = os.fork()
        if pid == 0:
            sock.close()
            _child(request, fds)
        for fd in fds:
            os.close(fd)
        _send(sock, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        try:
            _send(sock, {"status": status})
        except (BrokenPipeError, ConnectionError):
            return


def _stream(fd: int, like: object, write: bool) -> object:
    """A standard stream over ``fd`` as the interpreter makes one at start-up."""
    import io

    raw = io.FileIO(fd, "wb" if write else "rb", closefd=False)
    buffered = io.BufferedWriter(raw) if write else io.BufferedReader(raw)
    text = io.TextIOWrapper(buffered, encoding=like.encoding,  # type: ignore[attr-defined]
                            errors=like.errors, newline="\n",  # type: ignore[attr-defined]
                            line_buffering=write and (raw.isatty() or fd == 2))
    text.mode = "w" if write else "r"  # type: ignore[misc]
    return text


def _child(request: dict, fds: list[int]) -> None:
    status = 70
    try:
        stdin = fds[0] if request["stdin"] else os.open(os.devnull, os.O_RDONLY)
        if not request["stdin"]:
            os.close(fds[0])
        for target, fd in enumerate((stdin, fds[1], fds[2])):
            os.dup2(fd, target)
            if fd > 2:
                os.close(fd)
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        sys.stdin = sys.__stdin__ = _stream(0, sys.__stdin__, False)  # type: ignore[assignment]
        sys.stdout = sys.__stdout__ = _stream(1, sys.__stdout__, True)  # type: ignore[assignment]
        sys.stderr = sys.__stderr__ = _stream(2, sys.__stderr__, True)  # type: ignore[assignment]
        sys.argv = ["-m", *request["args"]]
        sys.path[0] = os.getcwd()
        status = _run_main()
    finally:
        os._exit(status)


def _run_main() -> int:
    """``python -m smscli``, ended as the interpreter ends a program."""
    import atexit
    import runpy
    import threading

    status, interrupted = 0, False
    try:
        runpy.run_module("smscli", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None:
            status = 0
        elif isinstance(exc.code, int):
            status = exc.code & 0xFF
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    except KeyboardInterrupt:
        sys.excepthook(*sys.exc_info())
        status, interrupted = 1, True
    except BaseException:  # noqa: BLE001  # what the interpreter reports and exits 1 for
        sys.excepthook(*sys.exc_info())
        status = 1
    threading._shutdown()  # type: ignore[attr-defined]  # non-daemon threads, as at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001  # as the interpreter: a failed flush is 120
            status = 120
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return status


if __name__ == "__main__":
    _serve(socket.socket(fileno=int(sys.argv[1])))
