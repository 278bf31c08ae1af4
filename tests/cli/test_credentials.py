"""Credentials: where the password may come from, and where it must never go."""

from __future__ import annotations

import base64

import pytest

from smscli.cli.state import AppState


def test_password_from_stdin(run_cli, emulator):
    result = run_cli("--server", emulator.url, "--user", "demo", "--password-stdin",
                     "sessions", "list", "-q", input="demo\n")
    assert result.code == 0, result.stderr
    assert "0000Na9B26EF002G" in result.stdout.split()


def test_empty_stdin_password_is_an_auth_error(run_cli, emulator):
    result = run_cli("--server", emulator.url, "--user", "demo", "--password-stdin",
                     "sessions", "list", input="")
    assert result.code == 4 and "--password-stdin read no password" in result.stderr


def test_there_is_no_password_option(run_cli, emulator):
    result = run_cli("--server", emulator.url, "--user", "demo", "--password", "demo",
                     "sessions", "list")
    assert result.code == 2 and "No such option" in result.stderr


def test_the_password_never_reaches_output_or_debug_traces(run_cli, emulator):
    secret = "Hunter2-very-secret"
    token = base64.b64encode(f"demo:{secret}".encode()).decode()
    result = run_cli("--debug", "--server", emulator.url, "--user", "demo", "sessions", "list",
                     env={"SMSCLI_PASSWORD": secret})
    assert result.code == 4
    assert "debug: > GET" in result.stderr and "Authorization: <redacted>" in result.stderr
    for leak in (secret, token):
        assert leak not in result.stderr and leak not in result.stdout
    shown = run_cli("config", "show", "--json", env={"SMSCLI_PASSWORD": secret})
    assert secret not in shown.stdout and shown.json()["password"]["value"] == "<set>"


def test_credentials_in_the_server_url_are_refused_and_redacted(run_cli):
    result = run_cli("--server", "https://bob:s3cret@gws.example.com", "--user", "bob",
                     "sessions", "list", env={"SMSCLI_PASSWORD": "x"})
    assert result.code == 2
    assert "s3cret" not in result.stderr and "https://***@gws.example.com" in result.stderr


def test_insecure_warns_on_every_run(run_cli, emulator):
    result = run_cli("--insecure", "--server", emulator.url, "--user", "demo", "sessions",
                     "list", "-q", env={"SMSCLI_PASSWORD": "demo"})
    assert result.code == 0
    assert "TLS certificate verification is off (flag --insecure)" in result.stderr


def test_cleartext_password_to_a_remote_host_warns(capsys):
    state = AppState()
    state.warn_cleartext("http://gws.example.com:8080")
    assert "without TLS to gws.example.com" in capsys.readouterr().err
    for local in ("http://127.0.0.1:8090", "http://localhost", "http://[::1]:80",
                  "https://gws.example.com"):
        state.warn_cleartext(local)
        assert capsys.readouterr().err == ""


def test_a_profile_holding_a_password_must_be_private(run_cli, clean_env, emulator):
    from pathlib import Path

    config = Path(clean_env["SMSCLI_CONFIG_DIR"])
    config.mkdir(parents=True)
    path = config / "config.toml"
    path.write_text(f'profile = "lab"\n[profiles.lab]\nserver = "{emulator.url}"\n'
                    'user = "demo"\npassword = "demo"\n')
    path.chmod(0o644)
    loose = run_cli("sessions", "list", "-q")
    assert loose.code == 0 and "readable by others" in loose.stderr
    path.chmod(0o600)
    tight = run_cli("sessions", "list", "-q")
    assert tight.code == 0 and tight.stderr == ""


def _self_signed(tmp_path):  # type: ignore[no-untyped-def]
    import shutil
    import subprocess

    import pytest

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.mark.slow
def test_tls_is_verified_unless_told_otherwise(run_cli, raw_server, tmp_path):
    import json
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    raw_server.httpd.socket = context.wrap_socket(raw_server.httpd.socket, server_side=True)
    url = raw_server.url.replace("http://", "https://")
    raw_server.route("/api/v2/me/smssessions", (200, {}, json.dumps(
        {"statusCode": 0, "smssessions": [{"id": "0000TLSSESSION01"}]}).encode()))
    base = ["--server", url, "--user", "demo", "sessions", "list", "-q"]
    env = {"SMSCLI_PASSWORD": "demo"}

    refused = run_cli(*base, env=env)
    assert refused.code == 6 and "TLS error" in refused.stderr
    assert "certificate verify failed: self-signed certificate;" in refused.stderr
    trusted = run_cli("--ca-bundle", str(cert), *base, env=env)
    assert trusted.code == 0 and trusted.stdout.split() == ["0000TLSSESSION01"]
    assert trusted.stderr == ""
    insecure = run_cli("--insecure", *base, env=env)
    assert insecure.code == 0 and "verification is off" in insecure.stderr
    from_env = run_cli(*base, env={**env, "SMSCLI_CA_BUNDLE": str(cert)})
    assert from_env.code == 0
