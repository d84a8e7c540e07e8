"""`hooktui sign` and `hooktui verify` as a user runs them: a subprocess, bytes on stdin or in a file."""

from __future__ import annotations

import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_signatures_vectors import GITHUB, STANDARD


def hooktui(*args: str, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], input=stdin, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_sign_prints_headers_and_verify_accepts_them(tmp_path: Path) -> None:
    body = b'{"type": "task.ai_generated", "channel_id": "ch_9"}\n'
    signed = hooktui("sign", "--scheme", "modelriver", "--secret", "mr_secret", "--timestamp", "1700000000",
                     stdin=body)
    assert signed.returncode == 0, signed.stderr
    lines = signed.stdout.decode().splitlines()
    assert lines[1:] == ["mr-timestamp: 1700000000", "mr-channel-id: ch_9"]
    (tmp_path / "body.json").write_bytes(body)
    args = [arg for line in lines for arg in ("-H", line)]
    verified = hooktui("verify", "--secret", "mr_secret", *args, str(tmp_path / "body.json"))
    assert verified.returncode == 0
    assert verified.stdout.decode().strip() == "valid (modelriver): signature matches (detected) using --secret"


def test_the_body_is_bytes_never_re_encoded() -> None:
    body = b"\xff\xfe binary \r\n\x00 with crlf"
    signed = hooktui("sign", "--scheme", "github", "--secret", "k", stdin=body)
    headers = [arg for line in signed.stdout.decode().splitlines() for arg in ("-H", line)]
    assert hooktui("verify", "--secret", "k", *headers, stdin=body).returncode == 0
    assert hooktui("verify", "--secret", "k", *headers, stdin=body.replace(b"\r\n", b"\n")).returncode == 1


def test_verify_published_vector_and_json_output() -> None:
    header = f"{GITHUB['headers'][0][0]}: {GITHUB['headers'][0][1]}"
    result = hooktui("verify", "--scheme", "github", "--secret", GITHUB["secret"], "-H", header, "--json",
                     stdin=GITHUB["body"])
    assert result.returncode == 0
    verdict = json.loads(result.stdout)
    assert (verdict["scheme"], verdict["status"]) == ("github", "valid")


def test_verify_invalid_explains_and_exits_1() -> None:
    header = f"{GITHUB['headers'][0][0]}: {GITHUB['headers'][0][1]}"
    result = hooktui("verify", "--secret", GITHUB["secret"], "-H", header, stdin=GITHUB["body"] + b"\n")
    assert result.returncode == 1
    out = result.stdout.decode()
    assert out.startswith("invalid (github): signature does not match the configured secret (--secret); likely: a "
                          "trailing newline was added after signing")
    assert "  received:  sha256=757107ea" in out and "  expected:  sha256=" in out
    assert "  likely:    a trailing newline was added after signing" in out and "[bytes.trailing_newline]" in out


def test_verify_says_what_it_ruled_out_when_nothing_explains_it_and_json_carries_the_diagnosis() -> None:
    header = f"{GITHUB['headers'][0][0]}: {GITHUB['headers'][0][1]}"
    result = hooktui("verify", "--secret", "not-the-secret", "-H", header, stdin=GITHUB["body"])
    assert result.returncode == 1
    out = result.stdout.decode()
    assert "; none of the " in out.splitlines()[0] and "causes tested explains it" in out.splitlines()[0]
    assert "  ruled out: bytes changed in transit" in out
    assert "  left:      a secret other than the 1 configured" in out
    assert "another secret" not in out.splitlines()[0]  # no claim without evidence
    as_json = hooktui("verify", "--json", "--secret", GITHUB["secret"] + "\n", "-H", header, stdin=GITHUB["body"])
    diagnosis = json.loads(as_json.stdout)["details"]["diagnosis"]
    assert diagnosis["state"] == "done" and diagnosis["causes"][0]["id"] == "secret.whitespace"


def test_verify_names_the_environment_secret_that_signed_it() -> None:
    header = f"{GITHUB['headers'][0][0]}: {GITHUB['headers'][0][1]}"
    result = hooktui("verify", "--secret", "the-live-secret", "-H", header, stdin=GITHUB["body"],
                     env={"GITHUB_WEBHOOK_SECRET": GITHUB["secret"]})
    out = result.stdout.decode()
    # every secret the user has for the scheme is a candidate: the provider's variable verifies it, and is named
    assert result.returncode == 0 and out.startswith("valid (github): signature matches (detected) using "
                                                     "$GITHUB_WEBHOOK_SECRET")
    assert GITHUB["secret"] not in out  # named, never shown


def test_verify_now_and_tolerance() -> None:
    headers = [arg for name, value in STANDARD["headers"] for arg in ("-H", f"{name}: {value}")]
    base = ["verify", "--secret", STANDARD["secret"], *headers]
    stale = hooktui(*base, "--now", "1614266000", stdin=STANDARD["body"])
    assert stale.returncode == 1 and stale.stdout.decode().startswith("expired (standard-webhooks)")
    loose = hooktui(*base, "--now", "1614266000", "--tolerance", "1000", stdin=STANDARD["body"])
    assert loose.returncode == 0


def test_secret_from_environment() -> None:
    signed = hooktui("sign", "--scheme", "slack", stdin=b"x=1", env={"HOOKTUI_SECRET": "from-env"})
    assert signed.returncode == 0
    headers = [arg for line in signed.stdout.decode().splitlines() for arg in ("-H", line)]
    assert hooktui("verify", *headers, stdin=b"x=1", env={"HOOKTUI_SECRET": "from-env"}).returncode == 0


def test_sign_json_and_generic_hmac() -> None:
    result = hooktui("sign", "--scheme", "hmac", "--hmac-header", "X-Sig", "--prefix", "sha256=", "--secret", "k",
                     "--json", stdin=b"{}")
    assert json.loads(result.stdout) == {"X-Sig": "sha256=" + hmac.new(b"k", b"{}", "sha256").hexdigest()}
    headers = ["-H", f"X-Sig: {json.loads(result.stdout)['X-Sig']}"]
    ok = hooktui("verify", "--scheme", "hmac", "--hmac-header", "X-Sig", "--prefix", "sha256=", "--secret", "k",
                 *headers, stdin=b"{}")
    assert ok.returncode == 0


@pytest.mark.parametrize(("args", "message"), [
    (["sign", "--scheme", "nope", "--secret", "k"], "unknown signature scheme `nope`"),
    (["sign", "--scheme", "github"], "a secret is needed"),
    (["sign", "--scheme", "twilio", "--secret", "k"], "twilio signs the URL the provider calls: pass --url URL"),
    (["sign", "--scheme", "hmac", "--secret", "k"], "needs the name of its signature header"),
    (["verify", "--secret", "k", "-H", "no colon"], "a header is 'Name: value'"),
    (["verify", "--scheme", "square", "--secret", "k"], "square signs the URL the provider called"),
    (["verify", "--secret", "k", "/nonexistent/body"], "cannot read /nonexistent/body"),
])
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = hooktui(*args, env={"HOOKTUI_SECRET": ""})
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_discord_sign_tells_the_public_key() -> None:
    result = hooktui("sign", "--scheme", "discord", "--secret", "9d" * 32, "--timestamp", "1", stdin=b"{}")
    assert result.returncode == 0
    public = result.stderr.decode().split()[-1]
    headers = [arg for line in result.stdout.decode().splitlines() for arg in ("-H", line)]
    assert hooktui("verify", "--secret", public, *headers, stdin=b"{}").returncode == 0


def test_verify_reads_the_providers_conventional_variable() -> None:
    signed = hooktui("sign", "--scheme", "modelriver", "--secret", "seed-secret", stdin=b"{}")
    headers = [arg for line in signed.stdout.decode().splitlines() for arg in ("-H", line)]
    without = hooktui("verify", *headers, stdin=b"{}", env={"HOOKTUI_SECRET": "", "MODELRIVER_WEBHOOK_SECRET": ""})
    assert without.returncode == 1 and "or $MODELRIVER_WEBHOOK_SECRET)" in without.stdout.decode()
    with_var = hooktui("verify", *headers, stdin=b"{}",
                       env={"HOOKTUI_SECRET": "", "MODELRIVER_WEBHOOK_SECRET": "seed-secret"})
    assert with_var.returncode == 0
