"""The tab-separated columns of ``messages -o plain`` are a contract: read with real cut/awk."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
SESSION = "0000PLAINCOLUMNS"


def agent(nickname: str) -> dict:
    return {"type": "Agent", "nickname": nickname, "participantId": "00A1", "visibility": "All"}


MESSAGES = [
    {"index": 1, "type": "Text", "from": {"type": "Customer", "nickname": "Eve",
                                          "participantId": "00C1", "visibility": "All"},
     "text": "my order\tis late", "visibility": "All",
     "timestamp": "2026-12-01 14:00:00.000+0000"},
    {"index": 2, "type": "Text", "from": agent("Sam"), "text": "whisper: refund it",
     "visibility": "Supervisors", "timestamp": "2026-12-01 14:00:05.000+0000"},
    {"index": 3, "type": "Notice", "from": agent("Sam"), "text": "internal note",
     "visibility": "Agents", "timestamp": "2026-12-01 14:00:06.000+0000"},
    {"index": 4, "type": "Text", "from": agent("Sam"), "text": "sorry, on its way",
     "visibility": "All", "timestamp": "2026-12-01 14:00:09.000+0000"},
]


def shell(command: str, env: dict[str, str]) -> list[list[str]]:
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line.split("\t") for line in proc.stdout.splitlines()]


@pytest.mark.slow
def test_columns_in_the_documented_order(clean_env, emulator) -> None:
    emulator.state.add_session({"id": SESSION, "state": "Chatting", "participants": [],
                                "capabilities": [], "userData": {}}, MESSAGES)
    env = {**clean_env, "SMSCLI_SERVER": emulator.url, "SMSCLI_USER": "demo",
           "SMSCLI_PASSWORD": "demo"}
    smscli = f"'{sys.executable}' -m smscli messages {SESSION} -o plain"
    rows = shell(smscli, env)
    assert [len(row) for row in rows] == [7] * 4  # a tab inside the text stays escaped
    assert rows[0] == ["1", "2026-12-01T14:00:00.000+00:00", "Customer", "Eve", "Text", "All",
                       "my order\\tis late"]
    assert shell(f"{smscli} | cut -f6", env) == [["All"], ["Supervisors"], ["Agents"], ["All"]]
    assert shell(f"{smscli} | cut -f4,7", env)[1] == ["Sam", "whisper: refund it"]
    # What the customer saw (the README's awk): visibility All, or none sent.
    seen = shell(f"{smscli} | awk -F'\\t' '$6 == \"All\" || $6 == \"\" {{print $7}}'", env)
    assert seen == [["my order\\tis late"], ["sorry, on its way"]]


def test_the_readme_documents_the_order_and_its_cut_example_shows_visibility(run_cli) -> None:
    table = re.search(r"\| field \| 1 \|.*\n.*\n *\| \| (.*) \|\n", README)
    assert table is not None
    assert [cell.strip() for cell in table.group(1).split("|")] == [
        "index", "time (ISO 8601)", "sender type", "sender nickname", "type", "visibility",
        "text"]
    example = re.search(r"^(smscli --demo messages \S+ .*-o plain) \| cut -f([\d,]+)$", README,
                        re.M)
    assert example is not None
    fields = [int(f) for f in example.group(2).split(",")]
    assert 6 in fields  # the visibility travels with the text
    result = run_cli(*example.group(1).split()[1:])
    assert result.code == 0
    picked = [[line.split("\t")[f - 1] for f in fields] for line in result.stdout.splitlines()]
    assert {row[fields.index(6)] for row in picked} >= {"All", "Agents"}
