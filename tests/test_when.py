"""One reading of times on the command line (smscli/when.py) for tail and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smscli.errors import UsageError
from smscli.when import moment_ms, parse_moment, span_seconds

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "back"), [
    ("90s", timedelta(seconds=90)), ("1h30m", timedelta(minutes=90)),
    ("2d", timedelta(days=2)), ("10min", timedelta(minutes=10)), ("2w", timedelta(weeks=2)),
    ("1.5H", timedelta(minutes=90)), (" 1h 30m ", timedelta(minutes=90)),
])
def test_spans_back_from_now(text: str, back: timedelta) -> None:
    assert parse_moment(text, "--since", NOW) == NOW - back
    assert span_seconds(text, "--older-than") == back.total_seconds()


def test_dates_and_times() -> None:
    assert parse_moment("2026-03-02T10:00+01:00", "--since") == datetime(2026, 3, 2, 9, 0,
                                                                          tzinfo=UTC)
    local = parse_moment("2026-12-01 08:30", "--until")
    assert local.tzinfo is not None and local.replace(tzinfo=None) == datetime(2026, 12, 1, 8, 30)
    assert moment_ms("1m", "--since", now=1_000_000.0) == 1_000_000_000 - 60_000


@pytest.mark.parametrize("text", ["yesterday", "10x", "", "5 parsecs", "h"])
def test_one_wording_for_what_means_nothing(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_moment(text, "--since")
    assert caught.value.message == f"--since {text!r} is neither a span of time nor a date"
    with pytest.raises(UsageError, match="is not a span of time"):
        span_seconds(text, "--older-than")


@pytest.mark.parametrize("command", [["tail"], ["history", "list"], ["history", "search", "x"]])
def test_tail_and_history_say_the_same(run_cli, server_args, password_env, tmp_path,
                                       command: list[str]) -> None:
    env = {**password_env, "SMSCLI_ARCHIVE": str(tmp_path / "a.sqlite3")}
    if command[0] == "history":
        from smscli.archive.store import Archive

        Archive(tmp_path / "a.sqlite3", write=True).close()
    result = run_cli(*server_args, *command, "--since", "yesterday", env=env)
    assert result.code == 2, result
    assert result.stderr.startswith(
        "smscli: error: --since 'yesterday' is neither a span of time nor a date"), result
