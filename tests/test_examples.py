"""The examples a user copies from: every config in examples/configs loads without an error, and the runnable ones
run — hooktui in front of the example ModelRiver receiver (verify, forward, callback, round trip) and a GitHub
trigger that starts a run."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from hookdeck_tui.config import parse_config
from hookdeck_tui.config.loader import check_config_text
from hookdeck_tui.config.models import ForwardTarget
from hookdeck_tui.console import Console
from hookdeck_tui.forge.build import ForgeSpec, forge
from hookdeck_tui.forge.sending import send_forged
from hookdeck_tui.forge.templates import get_template
from hookdeck_tui.listener.server import ListenerServer
from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store
from tests.test_round_trip import receiver_example
from tests.waiting import wait_until

CONFIGS = Path(__file__).resolve().parent.parent / "examples" / "configs"


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_config_loads(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELRIVER_WEBHOOK_SECRET", "x")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "y")
    config, problems = check_config_text(path.read_text(), str(path))
    assert config is not None, [str(p) for p in problems]
    assert [p for p in problems if p.severity == "error"] == []


def load(name: str) -> object:
    config = parse_config((CONFIGS / name).read_text(), name)
    for listener in config.listeners:
        listener.port = 0
    return config


async def test_modelriver_config_sits_in_front_of_the_example_receiver(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    secret, api_key = "whsec_example", "mr_example_key"
    monkeypatch.setenv("MODELRIVER_WEBHOOK_SECRET", secret)
    app = ListenerServer(receiver_example.create_app(secret=secret, api_key=api_key, db_path=tmp_path / "app.db"),
                         "127.0.0.1", 0)
    await app.start()
    config = load("modelriver.yaml")
    config.listeners[0].routes[0].forward = [ForwardTarget(url=app.url)]  # the example's port 4000, made free
    store = Store(tmp_path / "hooktui.db")
    console = Console(config, store, inspection_port=None, api_key=api_key)
    await console.start()
    try:
        listener = console.listener_urls[0]
        forged = forge(ForgeSpec(get_template("modelriver.task_ai_generated"), listener, secret=secret,
                                 callback_base=listener))
        _event, result = await send_forged(store, forged, console.round_trips)
        trip = await console.round_trips.wait(forged.channel_id, 30)
    finally:
        await console.stop()
        await app.stop()
    assert result.status == 200
    listed = [store.get(e.id) for e in reversed(store.page(limit=10))]
    assert [e.origin for e in listed] == ["forged", "external", "callback"]  # sent, received, called back
    captured = listed[1]  # what the listener received from the "provider"
    assert captured.signature.status == "valid" and captured.forward.status == 200
    assert trip.status == "completed" and set(trip.detail["check"]["added"]) == {"id", "saved_at"}
    store.close()


async def test_trigger_config_starts_a_run_per_signed_push(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "gh")
    store = Store(tmp_path / "hooktui.db")
    console = Console(load("trigger.yaml"), store, inspection_port=None)
    await console.start()
    try:
        body = json.dumps({"ref": "refs/heads/main", "repository": {"full_name": "octo/app"}, "commits": []}).encode()
        async with httpx.AsyncClient() as client:
            response = await client.post(console.listener_urls[0] + "/webhooks/github", content=body,
                                         headers=dict(sign_body(body, scheme="github", secret="gh")))
        assert response.status_code == 200 and response.json()["status"] == "triggered"
        await wait_until(lambda: store.runs() and store.runs()[0].status == "succeeded")
    finally:
        await console.stop()
    event = store.get(int(response.headers["X-Hooktui-Event"]))
    assert event.signature.status == "valid"
    store.close()
