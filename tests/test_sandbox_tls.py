"""`--tls`: the sandbox over https with a run's own certificate authority, and recordings over it."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
import trustme
import yaml
from click.testing import CliRunner

from harness.cli import cli
from harness.client import Client
from harness.errors import ConfigError, StepFailed
from harness.sandbox import Sandbox

HEADERS = {"Accept": "application/vnd.pagerduty+json;version=2"}


@pytest.fixture(autouse=True)
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary folders (the default home of ca.pem) and HOME live under the test's own folder."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("HOME", str(tmp_path))
    # As on a machine whose requests read the system store from the environment: verify= wins.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ssl.get_default_verify_paths().openssl_cafile)
    return temp


def _users(sandbox: Sandbox, *, verify: str | bool, host: str = "127.0.0.1") -> int:
    url = sandbox.api_url.replace("127.0.0.1", host)
    answer = requests.get(
        f"{url}/users",
        timeout=10,
        verify=verify,
        headers={**HEADERS, "Authorization": f"Token token={sandbox.token}"},
    )
    return answer.status_code


def test_tls_sandbox_serves_https_trusted_through_its_ca_pem(private_temp: Path) -> None:
    """The API is https, its certificate verifies against ca.pem for 127.0.0.1 and localhost."""
    with Sandbox(tls=True) as sandbox:
        assert sandbox.api_url.startswith("https://127.0.0.1:")
        assert sandbox.events_url == sandbox.api_url
        assert sandbox.ca_path is not None
        assert sandbox.ca_path.name == "ca.pem"
        assert sandbox.ca_path.parent.parent == private_temp
        assert _users(sandbox, verify=str(sandbox.ca_path)) == 200
        assert _users(sandbox, verify=str(sandbox.ca_path), host="localhost") == 200
        with pytest.raises(requests.exceptions.SSLError):
            _users(sandbox, verify=True)
        folder = sandbox.ca_path.parent
    assert not folder.exists()


def test_plain_sandbox_has_no_certificate() -> None:
    """Without tls the sandbox speaks http and writes no ca.pem."""
    with Sandbox() as sandbox:
        assert sandbox.api_url.startswith("http://")
        assert sandbox.ca_path is None


def test_cert_dir_gets_ca_pem_and_keeps_everything_else(tmp_path: Path) -> None:
    """ca.pem goes into the chosen folder, replacing an earlier run's, and stays after the stop."""
    chosen = tmp_path / "certs"
    chosen.mkdir()
    (chosen / "notes.txt").write_text("mine")
    with Sandbox(tls=True, cert_dir=chosen) as first:
        first_pem = (chosen / "ca.pem").read_bytes()
        assert _users(first, verify=str(chosen / "ca.pem")) == 200
    with Sandbox(tls=True, cert_dir=chosen) as second:
        assert second.ca_path == chosen / "ca.pem"
        assert (chosen / "ca.pem").read_bytes() != first_pem
        assert _users(second, verify=str(second.ca_path)) == 200
    assert sorted(p.name for p in chosen.iterdir()) == ["ca.pem", "notes.txt"]
    assert (chosen / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "content",
    [b"my own notes\n", trustme.CA().cert_pem.bytes().replace(b"BEGIN CERTIFICATE", b"BEGIN NOTHING")],
    ids=["text", "not-a-certificate"],
)
def test_a_ca_pem_the_harness_did_not_write_is_never_replaced(tmp_path: Path, content: bytes) -> None:
    """A foreign DIR/ca.pem stops the start with error/next and is left byte for byte."""
    (tmp_path / "ca.pem").write_bytes(content)
    sandbox = Sandbox(tls=True, cert_dir=tmp_path)
    with pytest.raises(ConfigError) as raised:
        sandbox.start()
    assert str(raised.value) == (
        f"{tmp_path / 'ca.pem'} exists and is not a certificate an earlier sandbox run wrote"
    )
    assert raised.value.hint == "choose another --cert-dir, or move that file away"
    assert (tmp_path / "ca.pem").read_bytes() == content


def test_cert_dir_without_tls_is_refused(tmp_path: Path) -> None:
    """--cert-dir without --tls exits 2 with error/next, from the API and the CLI alike."""
    with pytest.raises(ConfigError) as raised:
        Sandbox(cert_dir=tmp_path)
    assert str(raised.value) == "A certificate folder only makes sense with TLS."
    result = CliRunner().invoke(cli, ["sandbox", "--cert-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "error: A certificate folder only makes sense with TLS." in result.output
    assert "next: Add --tls (tls=True), or leave out --cert-dir." in result.output


def test_sandbox_command_with_tls_prints_where_ca_pem_is(tmp_path: Path) -> None:
    """`harness sandbox --tls --cert-dir DIR` prints an https URL and DIR/ca.pem, which verifies it."""
    env = {**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "sandbox",
            "--tls",
            "--cert-dir",
            str(tmp_path / "tls"),
            "--token",
            "tls-token-1234567890",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        printed = []
        while not (line := process.stdout.readline()).startswith("Ctrl-C"):
            assert line, process.stderr.read() if process.stderr else ""
            printed.append(line.rstrip("\n"))
        api_url = next(line.split()[-1] for line in printed if line.startswith("REST API"))
        assert f"CA (verify) {tmp_path / 'tls' / 'ca.pem'}" in printed
        answer = requests.get(
            f"{api_url}/users",
            timeout=10,
            verify=str(tmp_path / "tls" / "ca.pem"),
            headers={**HEADERS, "Authorization": "Token token=tls-token-1234567890"},
        )
        assert api_url.startswith("https://127.0.0.1:")
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_sandbox_recording_goes_over_https_and_replays(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    private_temp: Path,
) -> None:
    """`record --sandbox` records https exchanges, scrubbed as before, and `replay` plays them."""
    monkeypatch.chdir(tmp_path)  # no accepted recording here to compare with
    out = tmp_path / "recording"
    recorded = CliRunner().invoke(cli, ["record", "--sandbox", "--out", str(out)])
    assert recorded.exit_code == 0, recorded.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["api_url"].startswith("https://127.0.0.1:")
    assert manifest["placeholders"]["from_email"] == "person-1@example.com"
    assert manifest["placeholders"]["subdomain"] == "subdomain"
    for cassette in sorted(out.glob("*.yaml")):
        for interaction in yaml.safe_load(cassette.read_text())["interactions"]:
            assert interaction["request"]["uri"].startswith(manifest["api_url"] + "/")
    assert list(private_temp.iterdir()) == []  # the run's authority went with the sandbox
    replayed = CliRunner().invoke(cli, ["replay", str(out)])
    assert replayed.exit_code == 0, replayed.output


def test_harness_client_trusts_only_the_authority_it_is_given() -> None:
    """The recording client verifies with ca_bundle; without it an untrusted certificate is final."""
    with Sandbox(tls=True) as sandbox:
        common = {
            "api_url": sandbox.api_url,
            "events_url": sandbox.events_url,
            "token": sandbox.token,
            "from_email": sandbox.owner_email,
        }
        trusting = Client(**common, ca_bundle=str(sandbox.ca_path))
        assert trusting.get("/users").status_code == 200
        with pytest.raises(StepFailed) as raised:
            Client(**common).get("/users")
    assert str(raised.value) == "GET /users: the server's TLS certificate is not trusted (SSLError)"
    assert raised.value.hint == (
        "check the URL; behind a proxy that inspects TLS, set "
        "REQUESTS_CA_BUNDLE to its authority's certificate"
    )


def test_live_recording_keeps_the_system_trust_store(tmp_path: Path) -> None:
    """`harness record` against an https URL trusts the system's store, not the sandbox's authority."""
    with Sandbox(tls=True) as sandbox:
        result = CliRunner().invoke(
            cli,
            [
                "record",
                "--subdomain",
                "acme-co",
                "--token",
                sandbox.token,
                "--from-email",
                sandbox.owner_email,
                "--api-url",
                sandbox.api_url,
                "--events-url",
                sandbox.events_url,
                "--out",
                str(tmp_path / "out"),
            ],
        )
    assert result.exit_code == 2
    assert (
        f"error: cannot reach the API at {sandbox.api_url}: GET /users: the server's TLS "
        "certificate is not trusted (SSLError)"
    ) in result.output
    assert not (tmp_path / "out").exists()
