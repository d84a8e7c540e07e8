"""Secrets as a user gives them: every secret given counts as a candidate for its scheme and the verdict names the
one that matched; an unset `${env.NAME}` is never a key; an empty `--secret` is a usage error. Real `hooktui
listen` processes, real HTTP, the providers' own signing (stripe's library; GitHub's documented HMAC) as oracles."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import stripe

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store
from hookdeck_tui.tui.app import HooktuiApp
from tests.test_listen_cli import ListenProcess

MR_CONFIG = """\
listener:
  type: capture
  port: 0
  verify:
    scheme: modelriver
    secret: "${env.MR_SECRET}"
"""


def _without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def hooktui(*args: str, env: dict | None = None, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], input=stdin, capture_output=True,
                          env=env if env is not None else dict(os.environ), timeout=60)


def github_headers(body: bytes, secret: str) -> dict[str, str]:
    """As GitHub documents it: X-Hub-Signature-256 is sha256= and the HMAC-SHA256 of the raw body, hex."""
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "X-GitHub-Event": "push", "Content-Type": "application/json"}


def stripe_headers(body: bytes, secret: str) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=int(time.time()))
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


def test_an_unset_env_secret_is_never_a_key(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "hooktui.yaml"
    config.write_text(MR_CONFIG)
    env = {k: v for k, v in os.environ.items() if k not in ("MR_SECRET", "MODELRIVER_WEBHOOK_SECRET",
                                                             "HOOKTUI_SECRET")}
    checked = hooktui("check", "-c", str(config), env=env)
    assert checked.returncode == 0, checked.stderr
    out = checked.stdout.decode()
    assert f"{config}:6:" in out and "MR_SECRET" in out and "warning" in out

    for name in ("MR_SECRET", "MODELRIVER_WEBHOOK_SECRET", "HOOKTUI_SECRET"):
        monkeypatch.delenv(name, raising=False)
    listen = ListenProcess(tmp_path, "--json", "-c", str(config))
    warnings = [line for line in listen.startup if "MR_SECRET" in line]
    assert warnings == [f"warning: {config}:6: secret ${{env.MR_SECRET}} is not set: events verified with it stay "
                        f"`unchecked` until it is"]
    body = b'{"type":"task.ai_generated","channel_id":"ch_1"}'
    with httpx.Client() as client:
        genuine = client.post(f"{listen.url}/hook", content=body,
                              headers=dict(sign_body(body, scheme="modelriver", secret="the-real-secret")))
        literal = client.post(f"{listen.url}/hook", content=body,  # signed with the unresolved text itself
                              headers=dict(sign_body(body, scheme="modelriver", secret="${env.MR_SECRET}")))
    assert genuine.status_code == literal.status_code == 200
    code, out, err = listen.stop()
    assert code == 0 and "Traceback" not in err
    verdicts = [json.loads(line)["signature"] for line in out.splitlines()]
    assert [(v["status"], v["reason"]) for v in verdicts] == [("unchecked", "secret ${env.MR_SECRET} is not set")] * 2


def test_every_given_secret_is_a_candidate_and_the_verdict_names_its_source(tmp_path: Path) -> None:
    env = {"GITHUB_WEBHOOK_SECRET": "gh-right", "STRIPE_WEBHOOK_SECRET": "whsec_stripe_right"}
    listen = ListenProcess(tmp_path, "--json", "--secret", "mr-right", "--secret", "github=gh-scoped",
                           env={**env, "HOOKTUI_SECRET": ""})
    body = b'{"action":"opened","n":1}'
    with httpx.Client() as client:
        sent = [client.post(f"{listen.url}/gh", content=body, headers=github_headers(body, "gh-right")),
                client.post(f"{listen.url}/st", content=body, headers=stripe_headers(body, "whsec_stripe_right")),
                client.post(f"{listen.url}/mr", content=body,
                            headers=dict(sign_body(body, scheme="modelriver", secret="mr-right"))),
                client.post(f"{listen.url}/gh2", content=body, headers=github_headers(body, "gh-scoped")),
                # a scoped secret is for its scheme only
                client.post(f"{listen.url}/st2", content=body, headers=stripe_headers(body, "gh-scoped"))]
    assert [r.status_code for r in sent] == [200] * 5
    code, out, err = listen.stop()
    assert code == 0, err
    verdicts = [json.loads(line)["signature"] for line in out.splitlines()]
    assert [(v["scheme"], v["status"]) for v in verdicts] == [
        ("github", "valid"), ("stripe", "valid"), ("modelriver", "valid"), ("github", "valid"), ("stripe", "invalid")]
    assert verdicts[0]["reason"].endswith("using $GITHUB_WEBHOOK_SECRET")
    assert verdicts[1]["reason"].endswith("using $STRIPE_WEBHOOK_SECRET")
    assert verdicts[2]["reason"].endswith("using --secret #1")
    assert verdicts[3]["reason"].endswith("using --secret #2")
    assert "(--secret #1, $STRIPE_WEBHOOK_SECRET)" in verdicts[4]["reason"]
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("listen.db*"))
    for secret in ("gh-right", "whsec_stripe_right", "mr-right", "gh-scoped"):  # named, never stored
        assert secret.encode() not in stored


def test_sign_and_verify_read_the_providers_variable(tmp_path: Path) -> None:
    body = b'{"zen":"Keep it logically awesome."}'
    env = {**_without("HOOKTUI_SECRET"), "GITHUB_WEBHOOK_SECRET": "gh-from-env"}
    signed = hooktui("sign", "--scheme", "github", env=env, stdin=body)
    assert signed.returncode == 0, signed.stderr
    header = dict(line.split(": ", 1) for line in signed.stdout.decode().splitlines())
    assert header["X-Hub-Signature-256"] == github_headers(body, "gh-from-env")["X-Hub-Signature-256"]
    (tmp_path / "body.json").write_bytes(body)
    verified = hooktui("verify", "--secret", "something-else", "-H",
                       f"X-Hub-Signature-256: {header['X-Hub-Signature-256']}", str(tmp_path / "body.json"), env=env)
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout.decode().strip().endswith("using $GITHUB_WEBHOOK_SECRET")


def test_an_empty_secret_is_a_usage_error(tmp_path: Path) -> None:
    for args in (["listen", "--secret", ""], ["--secret", ""], ["verify", "--secret", "", "-H", "X-A: b"],
                 ["sign", "--scheme", "github", "--secret", ""], ["listen", "--secret", "github="]):
        result = hooktui(*args, "--db", str(tmp_path / "x.db")) if args[0] in ("listen", "--secret") \
            else hooktui(*args)
        err = result.stderr.decode()
        assert result.returncode == 2, (args, err)
        assert "empty" in err.splitlines()[-1] and "Traceback" not in err


async def test_the_console_says_which_secret_is_not_set(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MR_SECRET", raising=False)
    store = Store(tmp_path / "tui.db")
    app = HooktuiApp(Console(parse_config(MR_CONFIG, "mr.yaml"), store, inspection_port=None))
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert "mr.yaml:6: secret ${env.MR_SECRET} is not set: events verified with it stay `unchecked` until it " \
               "is" in messages
    store.close()


def test_listen_warns_at_start_when_a_verifying_route_has_no_secret_at_all(tmp_path: Path) -> None:
    """The variable exported in another terminal, or set but empty: the route verifies a scheme with no secret from
    anywhere, and `listen` says so at start instead of leaving every event `unchecked` in silence."""
    config = tmp_path / "hooktui.yaml"
    config.write_text("listener:\n  type: capture\n  port: 0\n  verify: {scheme: stripe}\n")
    for env in ({"STRIPE_WEBHOOK_SECRET": "", "HOOKTUI_SECRET": ""}, {"HOOKTUI_SECRET": ""}):
        listen = ListenProcess(tmp_path, "-c", str(config), env=env)
        httpx.get(listen.url)  # served: the signal handlers are in place
        code, _, err = listen.stop()
        assert code == 0, err
        expected = (f"warning: {config}:4: `capture * /` verifies stripe but has no secret: give it "
                    f"$STRIPE_WEBHOOK_SECRET (set, and not empty), verify.secret or --secret; until then its events "
                    f"stay `unchecked`")
        assert expected in listen.startup, listen.startup
    given = ListenProcess(tmp_path, "-c", str(config), "--secret", "whsec_x", env={"STRIPE_WEBHOOK_SECRET": ""})
    httpx.get(given.url)
    given.stop()
    assert not [line for line in given.startup if "has no secret" in line]


def test_sign_takes_a_scoped_secret_for_its_scheme_only() -> None:
    """`--secret github=abc` means the secret `abc` for GitHub (as verify and listen read it), not the text
    `github=abc`; for another scheme it is not a secret at all."""
    body = b'{"zen":"x"}'
    env = _without("HOOKTUI_SECRET", "GITHUB_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET")
    signed = hooktui("sign", "--scheme", "github", "--secret", "github=abc", env=env, stdin=body)
    header = dict(line.split(": ", 1) for line in signed.stdout.decode().splitlines())
    assert header["X-Hub-Signature-256"] == github_headers(body, "abc")["X-Hub-Signature-256"]
    other = hooktui("sign", "--scheme", "stripe", "--secret", "github=abc", env=env, stdin=body)
    assert other.returncode == 2 and b"a secret is needed" in other.stderr
