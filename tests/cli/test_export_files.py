"""`smscli export` writes through smscli.files: a new file is 0600, even over a symbolic link."""

from __future__ import annotations

import os
import stat

from conftest import VENDOR_SESSION


def test_export_over_a_symlink_is_a_new_private_file(cli, server_args, password_env,
                                                     tmp_path) -> None:
    target = tmp_path / "shared.md"
    target.write_text("the link's old target\n")
    target.chmod(0o644)
    link = tmp_path / "transcript.md"
    link.symlink_to(target)
    result = cli(*server_args, "export", VENDOR_SESSION, str(link), env=password_env)
    assert result.code == 0, result.stderr
    info = os.lstat(link)
    assert stat.S_ISREG(info.st_mode), "the link is replaced by a file"
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert VENDOR_SESSION in link.read_text()
    assert target.read_text() == "the link's old target\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_messages_export_over_a_symlink_too(cli, server_args, password_env, tmp_path) -> None:
    target = tmp_path / "public.csv"
    target.write_text("old\n")
    target.chmod(0o644)
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    result = cli(*server_args, "messages", VENDOR_SESSION, "--export", str(link),
                 env=password_env)
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(os.lstat(link).st_mode) == 0o600 and not link.is_symlink()
    assert target.read_text() == "old\n"
