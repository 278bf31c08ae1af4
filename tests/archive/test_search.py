"""``history search``: FTS5 words, phrases and prefixes, filters, terminal-safe snippets with
our own highlight, ndjson, the LIKE fallback, and the path that runs without Typer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smscli.archive.quick import main as quick_main
from smscli.archive.writing import WritableArchive

T0 = 1_796_000_000_000  # epoch ms
ANN = {"type": "Customer", "nickname": "Ann", "participantId": "c1"}
BOB = {"type": "Agent", "nickname": "Bob", "participantId": "a1"}
EVE = {"type": "Customer", "nickname": "Eve", "participantId": "c2"}
TEXTS = {
    "S1": [(ANN, "I would like a refund please"), (BOB, "The refund was issued"),
           (ANN, "thanks \x1b[31mred\x1b]52;c;cm0gLXJm\x07 refund \u202eevil")],
    "S2": [(EVE, "Is my e-mail address right?"), (BOB, "Refunded yesterday, see e-mail"),
           (EVE, "please no refund")],
}


def _build(path: Path) -> None:
    with WritableArchive(path) as archive:
        n = 0
        for session_id, texts in TEXTS.items():
            people = sorted({json.dumps(p) for p, _ in texts})
            archive.record_session({"id": session_id, "state": "Chatting",
                                    "participants": [json.loads(p) for p in people]},
                                   T0 / 1000)
            messages = []
            for index, (sender, text) in enumerate(texts, 1):
                n += 1
                messages.append({"index": index, "type": "Text", "from": sender,
                                 "text": text, "timestampSeconds": T0 + n * 60_000})
            archive.record_messages(session_id, messages)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "archive.sqlite3"
    _build(path)
    return {"SMSCLI_ARCHIVE": str(path)}


def _hits(cli, env: dict, *args: str) -> list[dict]:
    result = cli("history", "search", *args, "-o", "ndjson", env=env)
    assert result.code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _texts(hits: list[dict]) -> list[str]:
    return [hit["message"]["text"] for hit in hits]


def test_words_phrases_and_prefixes(cli, env):
    assert _texts(_hits(cli, env, '"refund please"')) == ["I would like a refund please"]
    words = _texts(_hits(cli, env, "refund"))
    assert len(words) == 4 and not any("Refunded" in t for t in words)
    assert len(_hits(cli, env, "refun*")) == 5
    assert _texts(_hits(cli, env, "refund NOT please")) == [
        TEXTS["S1"][2][1], "The refund was issued"]


def test_newest_first_limited_and_filtered(cli, env):
    hits = _hits(cli, env, "refun*", "-n", "2")
    assert [(h["sessionId"], h["index"]) for h in hits] == [("S2", 3), ("S2", 2)]
    assert {h["sessionId"] for h in _hits(cli, env, "refund", "--customer", "ann")} == {"S1"}
    assert {h["sessionId"] for h in _hits(cli, env, "refun*", "--session", "S1")} == {"S1"}
    assert _hits(cli, env, "refund", "-t", "Notice") == []
    assert _hits(cli, env, "refund", "--since", "2099-01-01") == []


def test_ndjson_records_carry_the_stored_message_and_where_it_matched(cli, env):
    for hit in _hits(cli, env, "refun*"):
        assert hit["from"] in ("Ann", "Bob", "Eve") and hit["type"] == "Text"
        assert hit["highlights"]
        for start, end in hit["highlights"]:
            assert hit["snippet"][start:end].lower().startswith("refun")


def test_snippets_are_terminal_safe_and_highlighted_only_with_colour(cli, env):
    coloured = cli("history", "search", "thanks", "-o", "table", "--color", "always", env=env)
    assert coloured.code == 0, coloured.stderr
    assert "\x1b[1;7mthanks\x1b[0m" in coloured.stdout
    for text in (coloured.stdout.replace("\x1b[1;7m", "").replace("\x1b[2m", "")
                 .replace("\x1b[36m", "").replace("\x1b[0m", ""),):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "\\x1b[31mred" in text and "\\u202e" in text
    for fmt in (["-o", "table", "--color", "never"], ["-o", "plain"]):
        plain = cli("history", "search", "thanks", *fmt, env=env)
        assert "\x1b" not in plain.stdout and "\\x1b" in plain.stdout
        assert "Ann" in plain.stdout and "S1" in plain.stdout


@pytest.mark.parametrize("query", ['"unclosed', "e-mail", "refund AND", "col:refund"])
def test_a_malformed_query_is_one_line_and_exit_2(cli, env, query):
    result = cli("history", "search", query, env=env)
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_like_fallback_finds_the_same_and_says_so_once(cli, env):
    off = {**env, "SMSCLI_ARCHIVE_NO_FTS": "1"}
    for query in ("refund", '"refund please"', "issued refund"):
        with_fts = _hits(cli, env, query)
        result = cli("history", "search", query, "-o", "ndjson", env=off)
        assert result.code == 0
        assert result.stderr.count("searching with LIKE") == 1
        # LIKE matches inside words too ("Refunded" holds "refund"): a superset, same order.
        like = [json.loads(line) for line in result.stdout.splitlines()]
        found = [(h["sessionId"], h["index"]) for h in like]
        assert [(h["sessionId"], h["index"]) for h in with_fts] == \
            [key for key in found if key in {(h["sessionId"], h["index"]) for h in with_fts}]
        for hit in like:
            start, end = hit["highlights"][0]
            assert hit["snippet"][start:end].lower() in query.lower()
    bad = cli("history", "search", '"unclosed', env=off)
    assert bad.code == 2


def test_an_archive_made_without_fts5_searches_and_prunes_with_like(cli, tmp_path,
                                                                    monkeypatch):
    path = tmp_path / "plain.sqlite3"
    monkeypatch.setenv("SMSCLI_ARCHIVE_NO_FTS", "1")
    _build(path)
    monkeypatch.delenv("SMSCLI_ARCHIVE_NO_FTS")
    env = {"SMSCLI_ARCHIVE": str(path)}
    result = cli("history", "search", "issued", "-o", "ndjson", env=env)
    assert "no full-text index" in result.stderr
    assert [json.loads(line)["index"] for line in result.stdout.splitlines()] == [2]
    assert cli("history", "prune", "--older-than", "1d", env=env).code == 0
    assert cli("history", "list", "-q", env=env).stdout == ""


def test_the_path_without_typer_prints_what_the_command_prints(clean_env, env):
    run_env = {**clean_env, **env}
    quick = ["-c", ("import sys; from smscli.archive.quick import main; "
                    "sys.exit(main(sys.argv[1:]))")]
    for args in (["refun*"], ["refund", "-o", "plain", "--utc"], ["refund", "--json"],
                 ["refund", "-n", "1", "--customer", "eve", "-t", "Text"],
                 ["refund", "--color=always", "-o", "table"], ['"bad']):
        typer_run = subprocess.run([sys.executable, "-m", "smscli", "history", "search",
                                    *args], env=run_env, check=False, capture_output=True,
                                   text=True, timeout=60)
        fast = subprocess.run([sys.executable, *quick, "history", "search", *args],
                              env=run_env, check=False, capture_output=True, text=True,
                              timeout=60)
        assert (fast.returncode, fast.stdout, fast.stderr) == \
            (typer_run.returncode, typer_run.stdout, typer_run.stderr), args


def test_the_path_without_typer_leaves_what_it_does_not_know_to_typer():
    for args in (["--help"], ["refund", "--limit", "0"], ["refund", "-o", "yaml"],
                 ["refund", "--regex"], ["a", "b"], []):
        assert quick_main(["history", "search", *args]) is None, args
    assert quick_main(["history", "list"]) is None


def test_a_template_makes_a_line_per_hit_with_its_values_inert(cli, env):
    result = cli("history", "search", "thanks", "--template",
                 "{sessionId}|{index}|{from}|{message.from.type}|{snippet}|{missing|-}", env=env)
    assert result.code == 0, result.stderr
    [line] = result.stdout.splitlines()
    session, index, sender, kind, snippet, missing = line.split("|")
    assert (session, index, sender, kind, missing) == ("S1", "3", "Ann", "Customer", "-")
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    assert "\\x1b[31mred" in snippet and "\\u202e" in snippet
    refused = cli("history", "search", "thanks", "--template", "{snippet", env=env)
    assert refused.code == 2 and refused.stdout == "" and "column" in refused.stderr


def test_highlight_marks_more_of_the_snippet_and_never_json(cli, env):
    marked = cli("history", "search", "thanks", "-o", "table", "--color", "always",
                 "--highlight", "RED", env=env)
    assert marked.code == 0, marked.stderr
    assert "\x1b[1;7mthanks\x1b[0m" in marked.stdout and "\x1b[1;7mred\x1b[0m" in marked.stdout
    plain = cli("history", "search", "thanks", "-o", "table", "--color", "always", env=env)
    assert "\x1b[1;7mred\x1b[0m" not in plain.stdout
    records = cli("history", "search", "thanks", "-o", "ndjson", "--highlight", "red", env=env)
    assert records.stdout == cli("history", "search", "thanks", "-o", "ndjson", env=env).stdout
