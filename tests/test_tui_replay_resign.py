"""The edit & replay dialog's re-sign choice: off while nothing is edited (a byte-exact replay), on as soon as a
signed request is edited (else the replay carries a signature that no longer matches), kept off for a request that
came unsigned or with a wrong signature, and once the user ticks or unticks it, theirs. Driven with Pilot against
the console's own listener, which verifies each replay's signature."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Checkbox, TextArea

from hookdeck_tui.signatures import sign_body
from hookdeck_tui.tui.replay_screen import ReplayScreen
from hookdeck_tui.tui.widgets.event_list import EventList
from tests.test_tui import make_app, post, text_of, until

SECRET = "whsec_resign"
CONFIG = f"listener: {{type: capture, port: 0, verify: {{scheme: modelriver, secret: {SECRET}}}}}\n"
BODY = b'{"n":1}'


async def open_editor(app, pilot, signature_secret: str) -> tuple[ReplayScreen, Checkbox]:
    await post(app.engine.listener_urls[0], "/in", BODY, dict(sign_body(BODY, scheme="modelriver",
                                                                       secret=signature_secret)))
    await until(pilot, lambda: "#1" in text_of(app, "detail-overview"))
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
    await pilot.pause()
    screen = app.screen
    return screen, screen.query_one("#replay-resign", Checkbox)


def drawn(tick: Checkbox) -> str:
    return str(tick.render())


async def test_editing_a_signed_body_re_signs_it_by_default(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CONFIG)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, tick = await open_editor(app, pilot, SECRET)
        assert not tick.value and drawn(tick).startswith("[ ] re-sign with a fresh signature (modelriver)")
        screen.query_one("#replay-body", TextArea).text = '{"n":2}'
        await until(pilot, lambda: tick.value)
        assert drawn(tick).startswith("[x] re-sign")
        assert "edited" in str(screen.query_one("#replay-resign-hint").render())
        await pilot.press("ctrl+s")
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2 and store.get(2).signature is not None)
        again = store.get(2)
        assert again.body == b'{"n":2}' and again.signature.status == "valid"  # verified by the listener
    store.close()


async def test_unedited_the_replay_keeps_its_captured_signature(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CONFIG)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, tick = await open_editor(app, pilot, SECRET)
        body = screen.query_one("#replay-body", TextArea)
        body.text = '{"n":2}'
        await until(pilot, lambda: tick.value)
        body.text = BODY.decode()  # edited back: byte-exact again
        await until(pilot, lambda: not tick.value)
        await pilot.press("ctrl+s")
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2 and store.get(2).signature is not None)
        signature = dict(store.get(1).headers)["mr-signature"]
        assert dict(store.get(2).headers)["mr-signature"] == signature  # the captured one, not a new one
    store.close()


async def test_a_wrong_signature_stays_wrong_unless_ticked(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CONFIG)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, tick = await open_editor(app, pilot, "not-the-secret")
        assert store.get(1).signature.status == "invalid"
        screen.query_one("#replay-body", TextArea).text = '{"n":2}'
        await until(pilot, lambda: "signature was invalid" in str(screen.query_one("#replay-resign-hint").render()))
        assert not tick.value
        tick.focus()
        await pilot.press("space")  # the user's choice: from now on, edits leave it alone
        await until(pilot, lambda: tick.value)
        screen.query_one("#replay-body", TextArea).text = '{"n":3}'
        await pilot.pause()
        assert tick.value and drawn(tick).startswith("[x]")
        await pilot.press("ctrl+s")
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2 and store.get(2).signature is not None)
        assert store.get(2).signature.status == "valid"
    store.close()


async def test_a_signature_checked_with_no_secret_is_not_re_signed_by_default(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)  # no secret anywhere: the signature was recognised, not checked
    async with app.run_test(size=(80, 24)) as pilot:
        screen, tick = await open_editor(app, pilot, SECRET)
        assert store.get(1).signature.status == "unchecked" and not tick.disabled
        screen.query_one("#replay-body", TextArea).text = '{"n":2}'
        await until(pilot, lambda: "not checked" in str(screen.query_one("#replay-resign-hint").render()))
        assert not tick.value and drawn(tick).startswith("[ ] re-sign with a fresh signature (modelriver)")
        await pilot.press("ctrl+s")  # sent as edited: no error about a missing secret
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2)
        assert store.get(2).body == b'{"n":2}'
    store.close()
