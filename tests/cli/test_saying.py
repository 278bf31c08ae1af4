"""The CLI says what it does: what a follow waits for, one wording for a session that is not
there (with a hint that keeps the user's flags), the password's real source in a login hint,
a prompt on its own line after Ctrl-C, and one line when the server is down."""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time

import pytest
from conftest import REPO, VENDOR_SESSION
from followkit import STACKS_ON_ABORT

from smscli.emulator.scenario import COMPLETED_SESSION_ID, LEFT_CHAT_SESSION_ID

# -- on a real terminal ------------------------------------------------------------------------


class Terminal:
    """``python -m smscli ARGS`` on a pseudo-terminal, as a person at a keyboard runs it."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import pty

        self.seen = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the pty is its controlling terminal
            os.chdir(REPO)
            os.execve(sys.executable, [sys.executable, "-m", "smscli", *args],
                      {**env, "COLUMNS": "80", "LINES": "24", "SMSCLI_PAGER": "",
                       **STACKS_ON_ABORT})

    def read_until(self, marker: bytes, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0 and select.select([self.fd], [], [], left)[0], \
                f"no {marker!r} in {self.seen[-2000:]!r}"
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                chunk = b""
            assert chunk, f"no {marker!r} in {self.seen[-2000:]!r}"
            self.seen += chunk

    def interrupt(self) -> int:
        """Ctrl-C as typed; the output until the end and the exit code."""
        os.write(self.fd, b"\x03")
        return self.wait()

    def wait(self) -> int:
        """The output until the program ends, and its exit code; a program still running
        after 30 s is aborted, its threads' stacks shown in ``after``, then killed (the test
        then fails on its code, rather than hanging)."""
        mark = len(self.seen)
        deadline = time.monotonic() + 30
        pid, status = 0, 0
        while not pid and time.monotonic() < deadline:
            if select.select([self.fd], [], [], 1)[0]:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                self.seen += chunk
                if chunk:
                    continue
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        if not pid:
            os.kill(self.pid, signal.SIGABRT)
            stop = time.monotonic() + 5
            while time.monotonic() < stop and select.select([self.fd], [], [], 0.5)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                self.seen += chunk
            os.kill(self.pid, signal.SIGKILL)
            _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.after = self.seen[mark:]
        return os.waitstatus_to_exitcode(status)


def ends_its_line(output: bytes) -> bool:
    """Whether the cursor is at the start of a line when the program is done: after its last
    printed character (the terminal's own ^C included) comes a newline."""
    stripped = output
    for sequence in (b"\x1b[?25h", b"\x1b[?25l", b"\x1b[0m"):
        stripped = stripped.replace(sequence, b"")
    return stripped.endswith(b"\n")


@pytest.fixture
def terminal(clean_env, server_args, password_env):  # type: ignore[no-untyped-def]
    started: list[Terminal] = []

    def start(*args: str, password: bool = True) -> Terminal:
        env = {**clean_env, **(password_env if password else {})}
        term = Terminal([*server_args, *args], env)
        started.append(term)
        return term

    yield start
    for term in started:
        try:
            os.kill(term.pid, 9)
            os.waitpid(term.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_a_follow_on_a_terminal_says_what_it_does_and_ctrl_c_ends_the_line(terminal):
    term = terminal("messages", VENDOR_SESSION, "--follow")
    term.read_until(f"following {VENDOR_SESSION}; Ctrl-C to stop".encode())
    term.read_until(b"Hello PersonP")  # the history is on the screen: the follow is waiting
    assert term.interrupt() == 130, term.after[-4000:].decode("utf-8", "replace")
    assert ends_its_line(term.seen), term.after


def test_a_follow_of_a_left_chat_session_says_it_waits_for_the_end(terminal):
    term = terminal("messages", LEFT_CHAT_SESSION_ID, "-f")
    term.read_until(b"waiting for the session to complete")
    assert term.interrupt() == 130, term.after[-4000:].decode("utf-8", "replace")
    assert ends_its_line(term.seen), term.after


def test_a_follow_of_a_finished_session_promises_nothing(terminal):
    term = terminal("messages", COMPLETED_SESSION_ID, "-f")
    term.read_until(b"is Completed")
    assert term.wait() == 0, term.after[-4000:].decode("utf-8", "replace")
    assert b"Ctrl-C to stop" not in term.seen and b"following" not in term.seen


@pytest.mark.parametrize("output", ["plain", "ndjson", "table"])
def test_ctrl_c_ends_a_watch_on_its_own_line(terminal, output):
    term = terminal("sessions", "watch", "-o", output)
    term.read_until(VENDOR_SESSION.encode())
    time.sleep(0.5)
    assert term.interrupt() == 0, term.after[-4000:].decode("utf-8", "replace")
    assert ends_its_line(term.seen), term.after[-300:]


def test_ctrl_c_at_the_password_prompt_ends_the_line(terminal):
    term = terminal("sessions", "list", password=False)
    term.read_until(b"Password for demo at ")
    assert term.interrupt() == 130, term.after[-4000:].decode("utf-8", "replace")
    assert ends_its_line(term.seen), term.seen[-300:]


def test_a_piped_follow_says_nothing_about_ctrl_c(run_cli, server_args, password_env):
    result = run_cli(*server_args, "messages", COMPLETED_SESSION_ID, "-f", env=password_env)
    assert result.code == 0 and result.stdout
    assert "Ctrl-C" not in result.stderr and "following" not in result.stderr


# -- a session that is not there -------------------------------------------------------------


@pytest.mark.parametrize("argv", [["messages", "0000NOPE"], ["messages", "0000NOPE", "-f"],
                                  ["sessions", "show", "0000NOPE"],
                                  ["export", "0000NOPE", "-", "-F", "csv"],
                                  ["messages", "0000NOPE", "--export", "x.md"]])
def test_a_missing_session_is_said_one_way_with_a_hint_that_keeps_the_flags(run_cli, argv,
                                                                           tmp_path):
    result = run_cli("--demo", *argv, env={"HOME": str(tmp_path)})
    assert result.code == 3, result.stderr
    assert result.stdout == ""
    assert result.stderr == ("smscli: error: no SMS session 0000NOPE for this user; "
                             "list the sessions with: smscli --demo sessions list\n")
    assert not (REPO / "x.md").exists()


def test_the_hint_keeps_server_user_and_profile(cli, server_args, password_env, clean_env):
    from pathlib import Path

    result = cli(*server_args, "messages", "0000NOPE", env=password_env)
    assert result.code == 3
    assert result.stderr.count("not found") + result.stderr.count("no SMS session") == 1
    assert f"smscli --server {server_args[1]} --user demo sessions list" in result.stderr
    config = Path(clean_env["SMSCLI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        f'[profiles.lab]\nserver = "{server_args[1]}"\nuser = "demo"\n')
    profiled = cli("--profile", "lab", "sessions", "show", "0000NOPE", env=password_env)
    assert profiled.code == 3
    assert "list the sessions with: smscli --profile lab sessions list" in profiled.stderr


# -- the password's source -------------------------------------------------------------------


def test_a_wrong_password_from_stdin_is_not_blamed_on_smscli_password(run_cli, server_args):
    result = run_cli(*server_args, "--password-stdin", "sessions", "list", input="wrong\n")
    assert result.code == 4
    assert "SMSCLI_PASSWORD" not in result.stderr
    assert "standard input" in result.stderr and "--password-stdin" in result.stderr
    from_env = run_cli(*server_args, "sessions", "list", env={"SMSCLI_PASSWORD": "wrong"})
    assert from_env.code == 4 and "SMSCLI_PASSWORD" in from_env.stderr


def test_a_wrong_password_from_a_profile_names_the_profile(run_cli, server_args, clean_env):
    from pathlib import Path

    config = Path(clean_env["SMSCLI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    path = config / "config.toml"
    path.write_text(f'[profiles.lab]\nserver = "{server_args[1]}"\nuser = "demo"\n'
                    'password = "wrong"\n')
    path.chmod(0o600)
    result = run_cli("--profile", "lab", "sessions", "list")
    assert result.code == 4
    assert "SMSCLI_PASSWORD" not in result.stderr and "profile lab" in result.stderr


# -- a server that is down -------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["messages", VENDOR_SESSION, "-f"], ["sessions", "watch"],
                                  ["messages", VENDOR_SESSION]])
def test_a_closed_port_is_one_line_at_once_and_not_a_cometd_problem(run_cli, argv):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli("--server", f"http://127.0.0.1:{port}", "--user", "x", *argv,
                     "-o", "plain", env={"SMSCLI_PASSWORD": "x"}, timeout=20)
    assert result.code == 6
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "connection refused" in result.stderr
    assert "notification" not in result.stderr.lower() and "cometd" not in result.stderr.lower()


def test_a_follow_on_a_terminal_counts_its_failures_as_a_piped_one_does(raw_server, clean_env,
                                                                       password_env):
    """What a follow says on a terminal must not change how it talks to the server: every
    failure is the live channel's to count (one per request), none retried behind its back."""
    session = json.dumps({"statusCode": 0, "smssession": {"id": "S1", "state": "Chatting",
                                                          "participants": []}}).encode()
    raw_server.route("/api/v2/me/smssessions/S1", (200, {}, session))
    raw_server.route("/api/v2/notifications", (404, {}, b""))  # no CometD: poll
    raw_server.route("/api/v2/me/smssessions/S1/messages",
                     *[(503, {}, b'{"statusCode":4}')] * 50)
    term = Terminal(["--server", raw_server.url, "--user", "demo", "messages", "S1", "-f",
                     "--max-retries", "1", "--interval", "0.1"], {**clean_env, **password_env})
    code = term.wait()
    text = term.seen.decode(errors="replace")
    assert code == 6, text
    assert "following S1; Ctrl-C to stop" in text
    assert "of 4)" not in text  # the one-shot client's own retries stay off in a follow
    pages = [r for r in raw_server.requests if "/S1/messages" in r[1]]
    assert len(pages) == 2, text  # the first try and the one retry --max-retries 1 allows
