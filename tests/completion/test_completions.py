"""Shell completion in real bash (with bash-completion), zsh (interactive, in tmux) and fish."""

from __future__ import annotations

import json
import os
import pty
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer.main

from smscli.cli.main import app
from smscli.completion.scripts import FILE_NAMES, SHELLS, generate
from smscli.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
COMPLETIONS = REPO / "completions"
README = REPO / "README.md"
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")
SESSIONS_SUBCOMMANDS = ["list", "show", "stats", "watch"]  # sorted, as the shells offer them
FORMATS = ["json", "ndjson", "plain", "table"]
PROFILES_TOML = """profile = "lab"

[profiles.lab]
server = "https://gws-lab.example.com"
user = "agent1"

[profiles.prod]
server = "https://gws.example.com"
user = "agent1"
"""


def need(program: str, path: str | None = None) -> str:
    """The program's path; a missing one skips the test, or fails it on CI (env CI)."""
    found = (path if Path(path).exists() else None) if path else shutil.which(program)
    if found:
        return found
    message = f"{path or program} is not installed (apt-get install bash-completion zsh fish tmux)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def live() -> Iterator[Emulator]:
    emu = Emulator(users={"demo": "demo"}, seed=1, traffic_rate=0.0).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="module")
def live_ids(live: Emulator) -> list[str]:
    return sorted(live.state.session_ids())


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A user with a config file of two profiles, an empty cache and `smscli` on PATH.

    `smscli` is a wrapper that runs this checkout with this interpreter and logs each call to
    calls.log, so that a test can tell when completion started the program.
    """
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(PROFILES_TOML)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "smscli"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{tmp_path}/calls.log"\n'
        f'PYTHONPATH="{REPO}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{sys.executable}" -m smscli "$@"\n')
    wrapper.chmod(0o755)
    (tmp_path / "calls.log").touch()
    return tmp_path


def shell_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMSCLI_", "XDG_", "BASH_COMPLETION", "ZDOTDIR", "TMUX"))}
    env.update({
        "HOME": str(home), "PATH": f"{home / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
        "SMSCLI_CONFIG_DIR": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "xdg-config"), "XDG_DATA_HOME": str(home / "xdg-data"),
        "TERM": "xterm-256color", "LC_ALL": "C.UTF-8",
        # A TAB waits 0.75 s for the server, interpreter start-up included: more than a busy
        # test machine always gives. The budget itself has a test of its own below.
        "SMSCLI_COMPLETION_TIMEOUT": "8",
    })
    env.update(extra)
    return env


def live_env(home: Path, emu: Emulator) -> dict[str, str]:
    return shell_env(home, SMSCLI_SERVER=emu.url, SMSCLI_USER="demo", SMSCLI_PASSWORD="demo")


def calls(home: Path) -> list[str]:
    return (home / "calls.log").read_text().splitlines()


def complete_process(home: Path, *args: str, env: dict[str, str] | None = None,
                     **popen: object) -> subprocess.CompletedProcess[str]:
    """``smscli __complete ARGS`` as the shells run it."""
    return subprocess.run([str(home / "bin" / "smscli"), "__complete", *args], text=True,
                          check=False, capture_output=True, env=env or shell_env(home), timeout=30, **popen)


# -- the scripts are generated from the app ---------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_scripts_are_generated_from_the_current_app(shell):
    fresh = generate(shell, typer.main.get_command(app))
    committed = (COMPLETIONS / FILE_NAMES[shell]).read_text(encoding="utf-8")
    assert committed == fresh, "completions/ is stale: run python scripts/gen_completions.py"


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_command_prints_the_script(cli, shell):
    result = cli("completion", shell)
    assert result.code == 0 and result.stderr == ""
    assert result.stdout == (COMPLETIONS / FILE_NAMES[shell]).read_text(encoding="utf-8")


def test_completion_help_has_an_example(cli):
    result = cli("completion", "--help")
    assert result.code == 0 and "smscli completion zsh >" in result.stdout


# Each committed script and the linters it must pass: shellcheck cannot read zsh, so zsh gets
# its own parser (-f: no startup files); fish -n parses without running.
LINTERS = [("smscli.bash", ["bash", "--norc", "-n"]),
           ("smscli.bash", ["shellcheck", "--shell=bash", "--severity=style"]),
           ("_smscli", ["zsh", "-f", "-n"]),
           ("smscli.fish", ["fish", "--no-config", "-n"])]


@pytest.mark.parametrize(("name", "linter"), LINTERS, ids=[f"{n}-{cmd[0]}" for n, cmd in LINTERS])
def test_committed_scripts_pass_the_shells_linters(name, linter):
    program = need(linter[0])
    proc = subprocess.run([program, *linter[1:], str(COMPLETIONS / name)], text=True,
                          capture_output=True, check=False, timeout=60)
    assert proc.returncode == 0, f"{' '.join(linter)} {name}:\n{proc.stdout}{proc.stderr}"


# -- bash -----------------------------------------------------------------------------------


def bash_complete(home: Path, lines: list[str], env: dict[str, str]) -> list[list[str]]:
    """Complete each line at its end in one real bash, the script lazy-loaded by bash-completion
    from the user's completions directory as on a first TAB; the candidates of each line."""
    bash = need("bash")
    need("bash-completion", str(BASH_COMPLETION))
    user_dir = home / "xdg-data" / "bash-completion" / "completions"
    user_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(COMPLETIONS / "smscli.bash", user_dir / "smscli")
    script = [f"source {BASH_COMPLETION}",
              "__load_completion smscli || exit 9",
              'read -ra spec <<<"$(complete -p smscli)"',
              'for ((i = 0; i < ${#spec[@]}; i++)); do [[ ${spec[i]} == -F ]] && fn=${spec[i+1]}; done',
              "tab() {",
              "  COMP_LINE=$1 COMP_POINT=${#1} COMPREPLY=()",
              '  read -ra COMP_WORDS <<<"$1"; [[ $1 == *" " ]] && COMP_WORDS+=("")',
              "  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))",
              '  "$fn" smscli "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
              "  printf '%s\\n' \"${COMPREPLY[@]}\"; printf '\\036\\n'",
              "}"]
    script += [f"tab {_bash_quote(line)}" for line in lines]
    result = subprocess.run([bash, "--norc", "--noprofile", "-c", "\n".join(script)], text=True,
                            check=False, capture_output=True, env=env, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    blocks = result.stdout.split("\x1e\n")[:-1]
    return [sorted(filter(None, block.split("\n"))) for block in blocks]


def _bash_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_bash_completes_commands_options_and_choices_without_starting_anything(home, live):
    got = bash_complete(home, ["smscli ses", "smscli sessions ", "smscli --output ",
                               "smscli sessions list --output=j", "smscli --color ",
                               "smscli --server http://127.0.0.1:1 --user x sessions sh",
                               "smscli messages --no-t", "smscli completion "],
                        live_env(home, live))
    assert got == [["sessions"], SESSIONS_SUBCOMMANDS, FORMATS, ["json"], ["always", "auto", "never"],
                   ["show"], ["--no-typing"], ["bash", "fish", "zsh"]]
    assert calls(home) == []  # loading the script and static completion ran no program


def test_bash_completes_profiles_and_live_session_ids(home, live, live_ids, dead_url):
    got = bash_complete(home, ["smscli --profile ", "smscli config use p", "smscli messages ",
                               "smscli sessions show ", f"smscli --server {dead_url} messages "],
                        live_env(home, live))
    assert got == [["lab", "prod"], ["prod"], live_ids, live_ids, []]


# -- fish -----------------------------------------------------------------------------------


def fish_complete(home: Path, lines: list[str], env: dict[str, str]) -> list[list[str]]:
    """``complete -C`` in one real fish, the script autoloaded from ~/.config/fish/completions;
    each line's candidates as (value, description)."""
    fish = need("fish")
    user_dir = home / "xdg-config" / "fish" / "completions"
    user_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(COMPLETIONS / "smscli.fish", user_dir / "smscli.fish")
    script = "; ".join(f"complete -C {_fish_quote(line)}; printf '\\x1e\\n'" for line in lines)
    result = subprocess.run([fish, "-c", script], text=True, capture_output=True, env=env,
                            check=False, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    blocks = result.stdout.split("\x1e\n")[:-1]
    return [sorted(tuple(line.split("\t", 1)) for line in block.split("\n") if line)
            for block in blocks]


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def names(candidates: list) -> list[str]:
    return [candidate[0] for candidate in candidates]


def test_fish_completes_commands_options_and_choices_without_starting_anything(home, live):
    got = fish_complete(home, ["smscli ses", "smscli sessions ", "smscli --output ",
                               "smscli -o n", "smscli sessions list --color=a",
                               "smscli messages --no-t", "smscli completion "],
                        live_env(home, live))
    assert [names(block) for block in got] == [
        ["sessions"], SESSIONS_SUBCOMMANDS, FORMATS, ["ndjson"], ["--color=always", "--color=auto"],
        ["--no-typing"], ["bash", "fish", "zsh"]]
    assert got[0][0][1].startswith("List the agent's SMS sessions")  # with its description
    assert calls(home) == []


def test_fish_completes_profiles_and_live_session_ids_with_their_state(home, live, live_ids,
                                                                      dead_url):
    got = fish_complete(home, ["smscli messages ", "smscli sessions show ",
                               f"smscli --server {dead_url} messages ", "smscli --profile ",
                               "smscli config use "], live_env(home, live))
    states = {s["id"]: s["state"] for s in live.state.list_sessions()}
    assert got[0] == sorted(states.items()) and got[1] == got[0]
    assert got[2] == []
    assert got[3] == got[4] == [("lab", "https://gws-lab.example.com"),
                                ("prod", "https://gws.example.com")]


# -- zsh, interactive in tmux: the first TAB must complete ----------------------------------


class InteractiveZsh:
    """A real interactive zsh in a private tmux server, with _smscli on fpath before compinit.

    Ctrl-X m runs a widget that saves the command line and sets the terminal title to a
    counter: when tmux shows that title, everything zsh drew before it is on the screen.
    """

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.tmux, zsh = need("tmux"), need("zsh")
        fpath = home / "zfunc"
        fpath.mkdir()
        shutil.copy(COMPLETIONS / "_smscli", fpath / "_smscli")
        self.marks = home / "marks"
        self.marks.mkdir()
        zdotdir = home / "zdotdir"
        zdotdir.mkdir()
        (zdotdir / ".zshrc").write_text(
            f"fpath=({fpath} $fpath)\n"
            "autoload -Uz compinit && compinit -u -D\n"
            "PS1='%% '\n"
            "integer marks=0\n"
            f"_mark() {{ marks+=1; print -r -- \"$BUFFER\" > {self.marks}/$marks; "
            "print -n \"\\e]2;mark-$marks\\a\" > /dev/tty }\n"
            "zle -N _mark && bindkey '^Xm' _mark\n")
        self.socket = str(home / "tmux.sock")
        self.count = 0
        env = {**env, "ZDOTDIR": str(zdotdir)}
        subprocess.run([self.tmux, "-S", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-x", "160", "-y", "40", f"{zsh} -i"], env=env, check=True, timeout=10)
        self._wait_for(lambda: "%" in self._tmux("capture-pane", "-p"))  # zle is reading keys

    def _wait_for(self, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 15
        while not ready():
            assert time.monotonic() < deadline, self._tmux("capture-pane", "-p")
            time.sleep(0.02)

    def _tmux(self, *args: str) -> str:
        return subprocess.run([self.tmux, "-S", self.socket, *args], capture_output=True,
                              text=True, check=True, timeout=10).stdout

    def tab(self, line: str, tabs: int = 1) -> tuple[str, list[str]]:
        """Type ``line`` on a clean screen, press TAB ``tabs`` times: (command line, screen)."""
        self.count += 1
        self._tmux("send-keys", "C-u", "C-l")
        self._tmux("send-keys", "-l", line)
        self._tmux("send-keys", *(["Tab"] * tabs), "C-x", "m")
        mark = f"mark-{self.count}"
        self._wait_for(lambda: self._tmux("display-message", "-p", "#{pane_title}").strip() == mark)
        buffer = (self.marks / str(self.count)).read_text().rstrip("\n")
        screen = [row.rstrip() for row in self._tmux("capture-pane", "-p").splitlines()]
        return buffer, [row for row in screen if row]

    def close(self) -> None:
        subprocess.run([self.tmux, "-S", self.socket, "kill-server"], capture_output=True,
                       check=False, timeout=10)


def words_below_prompt(screen: list[str]) -> set[str]:
    return {word for row in screen[1:] for word in row.split()}


def test_zsh_completes_on_the_first_tab_from_fpath(home, live, live_ids, dead_url):
    shell = InteractiveZsh(home, live_env(home, live))
    try:
        # The very first TAB of the shell: _smscli is autoloaded from fpath and completes.
        buffer, screen = shell.tab("smscli ses")
        assert buffer == "smscli sessions "
        assert calls(home) == []

        buffer, screen = shell.tab("smscli sessions ")
        assert buffer == "smscli sessions "
        assert {"list", "show"} <= words_below_prompt(screen)
        assert any(row.startswith("show") and "One session" in row for row in screen)

        _, screen = shell.tab("smscli --output ")
        assert set(FORMATS) <= words_below_prompt(screen)

        _, screen = shell.tab("smscli --profile ")
        assert {"lab", "prod"} <= words_below_prompt(screen)
        assert calls(home) == ["__complete profiles --profile"]

        # Live ids share a prefix: the first TAB inserts it, the second lists them with states.
        buffer, screen = shell.tab("smscli messages ", tabs=2)
        assert buffer == "smscli messages 0000"
        assert set(live_ids) <= words_below_prompt(screen)
        assert any(row.startswith(live_ids[0]) and "--" in row for row in screen)
        assert "Chatting" in words_below_prompt(screen)

        buffer, screen = shell.tab("smscli sessions show 0000Na")
        assert buffer == "smscli sessions show 0000Na9B26EF002G "

        # File names where a file is wanted (readline's own completion, from the cwd).
        buffer, _ = shell.tab("smscli export X READ")
        assert buffer == "smscli export X README.md "
        buffer, _ = shell.tab("smscli messages X --export READ")
        assert buffer == "smscli messages X --export README.md "

        buffer, screen = shell.tab(f"smscli --server {dead_url} messages ", tabs=2)
        assert buffer == f"smscli --server {dead_url} messages "
        assert screen == [f"% smscli --server {dead_url} messages"]  # nothing, not even an error
    finally:
        shell.close()


# -- the __complete fast path ---------------------------------------------------------------


MODULES_AT_EXIT = (
    "import atexit, os, sys\n"
    "atexit.register(lambda: open(os.environ['MODULES_FILE'], 'w').write('\\n'.join(sys.modules)))\n"
    "import runpy\n"
    "runpy.run_module('smscli', run_name='__main__', alter_sys=True)\n"
)


def imported_by_complete(home: Path, *args: str, env: dict[str, str]) -> tuple[str, set[str]]:
    """stdout of ``python -m smscli __complete ARGS`` and the top-level modules it imported."""
    modules_file = home / "modules.txt"
    result = subprocess.run([sys.executable, "-c", MODULES_AT_EXIT, "__complete", *args],
                            capture_output=True, text=True, cwd=REPO, timeout=30, check=False,
                            env={**env, "MODULES_FILE": str(modules_file)})
    assert result.returncode == 0 and result.stderr == ""
    return result.stdout, {name.split(".")[0] for name in modules_file.read_text().split()}


def test_fast_path_imports_no_typer_rich_or_requests_and_caches_for_a_minute(home, live,
                                                                             live_ids):
    env = live_env(home, live)
    heavy = {"typer", "click", "rich", "requests", "urllib3"}
    first, modules = imported_by_complete(home, "sessions", env=env)
    assert sorted(line.split("\t")[0] for line in first.splitlines()) == live_ids
    assert "0000Na9B26EF002G\tChatting" in first.splitlines()
    assert modules & heavy == {"requests", "urllib3"}  # the lookup itself, on a cold cache
    requests_before = live.stats.requests

    warm, modules = imported_by_complete(home, "sessions", env=env)
    assert warm == first and not modules & heavy
    assert live.stats.requests == requests_before  # from the cache, not the server

    profiles, modules = imported_by_complete(home, "profiles", env=env)
    assert profiles.splitlines() == ["lab\thttps://gws-lab.example.com",
                                     "prod\thttps://gws.example.com"]
    assert not modules & heavy


def test_cache_is_private_holds_no_secret_and_expires(home, dead_url):
    emu = Emulator(users={"demo": "s3cret-pw"}, seed=1, traffic_rate=0.0).start()
    env = shell_env(home, SMSCLI_PASSWORD="s3cret-pw")
    try:
        first = complete_process(home, "sessions", "--server", emu.url, "--user", "demo", env=env)
    finally:
        emu.stop()
    assert len(first.stdout.splitlines()) == 6
    # The server is gone: the same server and user still complete, from the cache.
    again = complete_process(home, "sessions", "--server", emu.url, "--user", "demo", env=env)
    assert again.stdout == first.stdout
    other_user = complete_process(home, "sessions", "--server", emu.url, "--user", "x", env=env)
    assert other_user.stdout == ""

    [cache] = (home / "cache" / "smscli").iterdir()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    text = cache.read_text()
    assert "s3cret-pw" not in text and "demo" not in text and "0000Na9B26EF002G" in text
    document = json.loads(text)
    document["time"] -= 61
    cache.write_text(json.dumps(document))
    expired = complete_process(home, "sessions", "--server", emu.url, "--user", "demo", env=env)
    assert expired.stdout == "" and expired.stderr == "" and expired.returncode == 0


def test_a_server_that_never_answers_costs_at_most_a_second_and_prints_nothing(home):
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        result = complete_process(home, "sessions", "--server", url, "--user", "demo",
                                  env=shell_env(home, SMSCLI_PASSWORD="demo",
                                                SMSCLI_COMPLETION_TIMEOUT=""))
        elapsed = time.monotonic() - started
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert elapsed < 5  # the budget is 0.75 s; the client's own read timeout would be 30 s


def test_missing_password_never_prompts_even_on_a_terminal(home, live):
    master, slave = pty.openpty()
    try:
        result = complete_process(home, "sessions", "--server", live.url, "--user", "demo",
                                  stdin=slave)
        os.set_blocking(master, False)
        try:
            on_terminal = os.read(master, 4096)
        except BlockingIOError:
            on_terminal = b""
    finally:
        os.close(master)
        os.close(slave)
    assert (result.returncode, result.stdout, result.stderr, on_terminal) == (0, "", "", b"")


def test_no_password_unknown_profile_or_unknown_kind_prints_nothing(home):
    for args in (["sessions"], ["sessions", "--profile", "nope"], ["nonsense"], []):
        result = complete_process(home, *args)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), args


def test_demo_sessions_from_the_flag_or_the_environment(home):
    from smscli.emulator.scenario import DEMO_SESSION_IDS

    by_flag = complete_process(home, "sessions", "--demo", "messages")
    by_env = complete_process(home, "sessions", env=shell_env(home, SMSCLI_DEMO="1"))
    assert sorted(line.split("\t")[0] for line in by_flag.stdout.splitlines()) == \
        sorted(DEMO_SESSION_IDS)
    assert by_env.stdout == by_flag.stdout


def test_server_text_is_made_inert(home, raw_server):
    sessions = [{"id": "0000GOOD", "state": "Chat\x1b[2Jting"},
                {"id": "evil\x1b]0;pwned\x07", "state": "Chatting"},
                {"id": "0000TWO", "state": "Line\nbreak\tand tab"}]
    raw_server.route("/api/v2/me/smssessions",
                     (200, {}, json.dumps({"statusCode": 0, "smssessions": sessions}).encode()))
    result = complete_process(home, "sessions", "--server", raw_server.url, "--user", "u",
                              env=shell_env(home, SMSCLI_PASSWORD="p"))
    assert result.stdout.splitlines() == ["0000GOOD\tChat\\x1b[2Jting",
                                          "0000TWO\tLine break and tab"]


def test_bash_completes_states_types_and_zones(home, live):
    got = bash_complete(home, ["smscli sessions list --state Chat", "smscli messages X -t Typ",
                               "smscli --tz Europe/Par"], live_env(home, live))
    assert got == [["Chatting"], ["TypingStarted", "TypingStopped"], ["Europe/Paris"]]


def test_the_readme_install_commands_work_in_a_fresh_home(home):
    """Each `mkdir -p ... && smscli completion SHELL > FILE` line of the README, as written."""
    bash = need("bash")
    block = README.read_text().split("## Shell completion", 1)[1].split("```sh", 1)[1]
    lines = [line for line in block.split("```", 1)[0].splitlines()
             if line.startswith("mkdir -p")]
    assert len(lines) == 3, lines
    fresh = home / "fresh"
    fresh.mkdir()
    env = {**shell_env(home), "HOME": str(fresh)}
    env.pop("XDG_DATA_HOME", None)
    for line in lines:
        result = subprocess.run([bash, "--norc", "--noprofile", "-c",
                                 line.replace("smscli ", f"{sys.executable} -m smscli ")],
                                capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
        assert result.returncode == 0, (line, result.stderr)
    assert (fresh / ".local/share/bash-completion/completions/smscli").read_text().strip()
    assert (fresh / ".zfunc/_smscli").read_text().startswith("#compdef smscli")
    assert (fresh / ".config/fish/completions/smscli.fish").stat().st_size > 1000


@pytest.mark.parametrize("value, seconds", [("", 0.75), ("2", 2.0), ("0", 0.1), ("99", 10.0),
                                            ("nan", 0.75), ("slow", 0.75)])
def test_the_budget_of_a_tab_can_be_raised_for_a_slow_link(value, seconds):
    from smscli.completion.dynamic import budget

    assert budget({"SMSCLI_COMPLETION_TIMEOUT": value}) == seconds
