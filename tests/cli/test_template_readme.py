"""The README's "Templates and highlights": its five templates, each run against the emulator
(a line per item, every field filled in), and its profile example used by name."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.cli.test_template_cli import Lines
from tests.conftest import REPO

LIVE = re.compile(r"sessions watch|\s(-f|--follow)\b")


def section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("## Templates and highlights")
    return text[start:text.index("\n## ", start + 1)]


def readme_templates() -> list[str]:
    found = []
    for block in re.findall(r"```sh\n(.*?)```", section(), re.DOTALL):
        found += [line for line in block.splitlines() if line.startswith("smscli --demo ")]
    return found


TEMPLATES = readme_templates()


def test_the_section_has_five_templates_for_five_tasks():
    assert len(TEMPLATES) == 5
    assert all("--template" in line for line in TEMPLATES)
    commands = {" ".join(shlex.split(line)[2:4]) for line in TEMPLATES}
    assert {"sessions list", "sessions watch"} <= commands and any(
        c.startswith("messages") for c in commands)


def argv(line: str, server_args: list[str]) -> list[str]:
    """The example's words with the fixture's emulator in place of --demo."""
    words = shlex.split(line)
    assert words[:2] == ["smscli", "--demo"]
    return [*server_args, *words[2:]]


def as_ndjson(words: list[str]) -> list[str]:
    """The same command, its template and highlights dropped, as ndjson records."""
    out, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word in ("--template", "--highlight", "--highlight-regex"):
            skip = True
            continue
        out.append(word)
    return [*out, "-o", "ndjson"]


@pytest.mark.parametrize("line", [t for t in TEMPLATES if not LIVE.search(t)])
def test_each_finite_template_prints_a_line_per_item(cli, emulator, server_args, line):
    words = argv(line, server_args)
    result = cli(*words, env={"SMSCLI_PASSWORD": "demo"})
    assert result.code == 0, result.stderr
    records = cli(*as_ndjson(words), env={"SMSCLI_PASSWORD": "demo"})
    count = len(records.stdout.splitlines())
    assert count > 0
    lines = result.stdout.split("\n")[:-1]
    assert len(lines) == count and "{" not in result.stdout.replace("{\"", "")
    if "\\t" in line:  # the tab-separated one: as many columns on every line
        assert {len(row.split("\t")) for row in lines} == {line.count("\\t") + 1}
    template = shlex.split(line)[shlex.split(line).index("--template") + 1]
    if "%H:%M" in template:  # times were formatted, not printed as the server sent them
        assert all(re.search(r"\b\d\d:\d\d\b", row) for row in lines)


@pytest.mark.parametrize("line", [t for t in TEMPLATES if LIVE.search(t)])
def test_each_live_template_prints_its_first_lines_until_ctrl_c(clean_env, emulator,
                                                                 server_args, line):
    words = argv(line, server_args)
    proc = subprocess.Popen([sys.executable, "-m", "smscli", *words],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**clean_env, "SMSCLI_PASSWORD": "demo"}, cwd=REPO)
    try:
        first = Lines(proc).next()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # a watch ends with 0 on Ctrl-C, a follow with 130 (README, "Exit codes")
    assert proc.returncode == (0 if "sessions watch" in line else 130), err
    assert first.strip() and "{" not in first and "\x1b" not in first
    assert re.match(r"\d\d:\d\d", first)  # both live templates start with a time


def test_the_profile_example_is_used_by_name(cli, clean_env, emulator, server_args):
    block = re.search(r"```toml\n(.*?)```", section(), re.DOTALL).group(1)  # type: ignore[union-attr]
    document = tomllib.loads(block)
    name, = document["profiles"]["work"]["templates"]
    assert f"--template @{name}" in section()
    where = Path(clean_env["SMSCLI_CONFIG_DIR"])
    where.mkdir(parents=True, exist_ok=True)
    profile = {k: v for k, v in document["profiles"]["work"].items() if k != "server"}
    (where / "config.toml").write_text(
        'profile = "work"\n[profiles.work]\n'
        + "".join(f"templates.{k} = {json.dumps(v)}\n" for k, v in profile["templates"].items()),
        encoding="utf-8")
    result = cli(*server_args, "messages", "0000Na9B26EF002G", "--template", f"@{name}",
                 env={"SMSCLI_PASSWORD": "demo"})
    assert result.code == 0, result.stderr
    records = cli(*server_args, "messages", "0000Na9B26EF002G", "-o", "ndjson",
                  env={"SMSCLI_PASSWORD": "demo"}).stdout.splitlines()
    assert len(result.stdout.splitlines()) == len(records) > 0
