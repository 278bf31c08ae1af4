"""What each path imports, and how many connections a dump uses: the speed that can regress."""

from __future__ import annotations

import subprocess
import sys

import pytest


def imported(args: list[str], env: dict[str, str]) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "smscli", *args],
                          capture_output=True, text=True, env=env, check=False)
    return {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["sessions", "--help"],
                                  ["messages", "--help"]])
def test_help_and_version_load_neither_rich_nor_requests(clean_env, args):
    modules = imported(args, clean_env)
    assert "smscli" in modules
    assert not {"rich", "requests", "urllib3"} & modules
    assert not {"msgspec", "orjson"} & modules  # the JSON codec is for data, not help
    assert "regex" not in modules  # for --highlight-regex only


def test_the_json_codec_loads_when_data_is_read(clean_env, emulator):
    env = {**clean_env, "SMSCLI_PASSWORD": "demo"}
    base = ["--server", emulator.url, "--user", "demo"]
    assert "msgspec" in imported(base + ["messages", "0000Na9B26EF002G", "-o", "ndjson"], env)


def test_a_completion_loads_no_typer_rich_or_requests(clean_env):
    modules = imported(["__complete", "profiles"], clean_env)
    assert not {"typer", "rich", "requests"} & modules


def test_machine_formats_never_load_rich(clean_env, emulator):
    env = {**clean_env, "SMSCLI_PASSWORD": "demo"}
    base = ["--server", emulator.url, "--user", "demo"]
    for args in (["sessions", "list", "-o", "json"], ["messages", "0000Na9B26EF002G", "-o",
                                                      "ndjson"],
                 ["messages", "0000Na9B26EF002G", "-o", "plain"],
                 # a transcript's table paints rows with its own escape codes, without Rich
                 ["messages", "0000Na9B26EF002G", "-o", "table", "--color", "always"]):
        modules = imported(base + args, env)
        assert "requests" in modules and "rich" not in modules, args


def test_a_paged_dump_uses_one_connection(cli, emulator, server_args, password_env):
    before = emulator.stats.connections
    result = cli(*server_args, "messages", "0000La9E3HVT00ZR", "-o", "ndjson", "--page-size",
                 "100", env=password_env)
    assert result.code == 0 and len(result.stdout.splitlines()) >= 2000
    assert emulator.stats.connections - before == 1


def test_version_loads_nothing_but_the_version(clean_env):
    """`--version` is answered before Typer loads: it is the start-up floor."""
    proc = subprocess.run([sys.executable, "-m", "smscli", "--version"], capture_output=True,
                          text=True, env=clean_env, check=False)
    from smscli import __version__

    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"smscli {__version__}\n", "")
    assert not {"typer", "rich", "requests", "click"} & imported(["--version"], clean_env)


def test_the_regex_package_loads_only_for_a_highlight_regex(clean_env, emulator):
    env = {**clean_env, "SMSCLI_PASSWORD": "demo"}
    base = ["--server", emulator.url, "--user", "demo", "messages", "0000Na9B26EF002G"]
    assert "regex" not in imported(base + ["-o", "table", "--highlight", "sim"], env)
    assert "regex" not in imported(base + ["--template", "{index} {text|}"], env)
    assert "regex" in imported(base + ["-o", "table", "--highlight-regex", "s.m"], env)
    # a template's lines are painted with our own escape codes, without Rich
    assert "rich" not in imported(base + ["--template", "{type!style}", "--color", "always"],
                                  env)


def test_history_search_loads_no_typer_and_no_dataclasses(clean_env, tmp_path):
    """A search is answered before Typer, and the modules it loads are not dataclasses:
    `dataclasses` imports `inspect` (smscli/values.py), a quarter of the search's budget."""
    archive = tmp_path / "a.sqlite3"
    env = {**clean_env, "SMSCLI_ARCHIVE": str(archive)}
    source = tmp_path / "m.ndjson"
    source.write_text('{"index":1,"type":"Text","text":"a refund please",'
                      '"sessionId":"S1","timestampSeconds":1796000000000}\n')
    subprocess.run([sys.executable, "-m", "smscli", "history", "import", str(source)],
                   env=env, check=True, capture_output=True)
    for args in (["-o", "plain"], ["-o", "table"], ["--json"], ["--utc", "-o", "ndjson"]):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "smscli", "history",
                               "search", "refund", *args], capture_output=True, text=True,
                              env=env, check=False)
        modules = {line.split("|")[-1].strip().split(".")[0]
                   for line in proc.stderr.splitlines() if line.startswith("import time:")}
        assert proc.returncode == 0 and "refund" in proc.stdout, (args, proc.stderr[-500:])
        assert "smscli" in modules and "sqlite3" in modules, args
        assert not {"typer", "click", "rich", "requests", "dataclasses", "inspect"} & modules, \
            (args, {"typer", "click", "rich", "requests", "dataclasses", "inspect"} & modules)
