"""A supervisor plays a call's recording from the supervisor page (CF-2), in Chromium: the
call went through the real Asterisk into a queue that records."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ami_raw import RawAMI
from playwright.async_api import expect
from recorded import (
    monitor_fixture,  # noqa: F401
    queue_call_to_alice,
    recording_of,
    sales_records_fixture,  # noqa: F401
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (  # noqa: E402
    LogIn,
    Shot,
    chromium_fixture,  # noqa: F401
    log_in_fixture,  # noqa: F401
    shot_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
)

from standardiste.composition import BridgeProcess as Bridge
from standardiste.pbx.store import ConfigStore

LIVE_TIMEOUT = 10_000  # ms


@pytest.mark.usefixtures("sales_records")
async def test_a_supervisor_plays_a_recording_from_the_page(
    bridge: Bridge, ami: RawAMI, log_in: LogIn, shot: Shot, monitor: Path, tmp_path: Path
) -> None:
    call_id = await queue_call_to_alice(bridge, ami, tmp_path, "0611000009")
    recording, audio = await recording_of(monitor, call_id)
    try:
        page = await log_in("sue")
        await page.select_option("#calls-queue", "sales")
        await page.click("#calls-show")
        row = page.locator("#call-rows tr", has_text="0611000009")
        await expect(row).to_have_count(1, timeout=LIVE_TIMEOUT)
        await expect(row).to_contain_text("Answered")
        play = row.get_by_role("button", name="Play the recording of the call from 0611000009")
        await shot(page, "1-calls")

        # From the keyboard: focus the button, Enter; the browser's own player takes its
        # place, focused, and loads the recording.
        await play.focus()
        await page.keyboard.press("Enter")
        player = row.locator("audio")
        await expect(player).to_be_focused()
        duration = await player.evaluate(
            """(el) => new Promise((done, fail) => {
                 if (el.readyState >= 1) return done(el.duration);
                 el.addEventListener("loadedmetadata", () => done(el.duration));
                 el.addEventListener("error", () => fail(new Error(`error ${el.error?.code}`)));
               })"""
        )
        assert abs(duration - audio.duration) < 0.1, (duration, audio)
        await shot(page, "2-playing")

        entries = await ConfigStore(bridge.history.store.engine).audit()
        assert [(e.actor, e.action, e.subject) for e in entries] == [
            ("sue", "recording.play", call_id)
        ]
    finally:
        recording.unlink(missing_ok=True)
