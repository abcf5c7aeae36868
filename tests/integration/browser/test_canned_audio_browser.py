"""Canned audio messages in Chromium, against the live bridge and the real Asterisk (AG-3).

An admin uploads a sound file in the general settings (converted: its length shows, the
bridge writes it where Asterisk plays it from), renames it; an agent in a queue call plays
it from her workspace with the keyboard alone and stops it: Asterisk barges it into her call
and the live state says so until she stops it. An agent without a call sees the messages
unavailable, in French. That both parties hear it is proven by ear in
tests/integration/test_canned_audio_live.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ami_raw import RawAMI
from audio import speech_fixture  # noqa: F401
from live import eventually
from playwright.async_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (  # noqa: E402
    ALICE,
    PASSWORD,
    LogIn,
    Shot,
    Site,
    chromium_fixture,  # noqa: F401
    log_in_fixture,  # noqa: F401
    shot_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
)

from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.pbx.canned_audio import CannedAudioStore
from standardiste.tools.sipp import AgentPhone, place_call
from standardiste.web.appkeys import ACCOUNTS

LIVE_TIMEOUT = 10_000  # ms
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def tone_file(path: Path, seconds: float) -> Path:
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(path),
         "synth", f"{seconds:g}", "sine", "1000", "gain", "-6"],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


async def test_an_admin_uploads_a_message_an_agent_plays_and_stops_it_from_the_keyboard(
    site: Site,
    bridge: Bridge,
    ami: RawAMI,
    log_in: LogIn,
    shot: Shot,
    speech: Path,
    tmp_path: Path,
) -> None:
    await site.app[ACCOUNTS].create_user("ada", PASSWORD, role="admin", display_name="Ada")
    admin = await log_in("ada")
    await admin.goto(f"{site.base}/admin/general")
    await admin.locator("#audio-file").set_input_files(tone_file(tmp_path / "welcome.wav", 20))
    await admin.get_by_role("button", name="Upload the message").click()
    await expect(admin.locator("#audio-status")).to_have_text("welcome was added.")
    row = admin.locator("#audio-rows tr", has=admin.locator('input[value="welcome"]'))
    await expect(row.locator("td.num")).to_have_text("0:20")
    await row.get_by_label("Name of welcome").fill("Please hold")
    await row.get_by_role("button", name="Save welcome").click()
    await expect(admin.locator("#audio-status")).to_have_text("Please hold was saved.")
    await shot(admin, "uploaded")
    assert bridge.canned_files is not None
    [message] = [m.id for m in await CannedAudioStore(bridge.history.store.engine).messages()]
    assert bridge.canned_files.path(message).exists()  # where Asterisk plays it from

    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    page = await log_in("alice")
    play = page.get_by_role("button", name="Play Please hold (0:20)")
    stop = page.get_by_role("button", name="Stop the message")
    await expect(play).to_have_attribute("aria-disabled", "true")
    await expect(page.locator("#canned-hint")).to_have_text("Available during a call.")
    async with AgentPhone("1001", 5071, answer_delay_s=0.3, talk=speech, log_dir=tmp_path):
        async with await place_call(
            "5000", "0611111111", hangup_after_s=60, talk=speech, log_dir=tmp_path
        ):
            await expect(page.locator("#my-status")).to_have_text("In a call", timeout=LIVE_TIMEOUT)
            await expect(play).to_have_attribute("aria-disabled", "false")
            await expect(page.locator("#canned-hint")).to_be_hidden()
            mark = len(ami.messages)
            await play.focus()
            await page.keyboard.press("Enter")
            started = await ami.wait_event("ChanSpyStart", 15, mark)
            assert started["SpyerChannel"].startswith(f"Local/{message}@standardiste-canned-")
            await expect(page.locator("#canned-status")).to_have_text("Playing: Please hold")
            await expect(stop).to_have_attribute("aria-disabled", "false")
            await expect(play).to_have_attribute("aria-disabled", "true")  # one at a time
            await shot(page, "playing")
            await stop.focus()
            await page.keyboard.press("Enter")
            await expect(page.locator("#canned-status")).to_have_text("The message is over.")
            await expect(stop).to_have_attribute("aria-disabled", "true")
            await expect(stop).to_be_focused()  # focus stays where it was
            await eventually(
                lambda: _none_playing(bridge), bool, 5, "the playback ended in the model"
            )


async def test_the_workspace_says_it_in_french_and_without_a_call(
    site: Site, log_in: LogIn
) -> None:
    page = await log_in("bob", locale="fr-FR")  # bob has no language of his own
    await expect(page.locator("#ag-canned-heading")).to_have_text("Messages préenregistrés")
    # No message yet.
    await expect(page.locator("#canned")).to_contain_text("Aucun message disponible")
    await expect(page.get_by_role("button", name="Arrêter le message")).to_have_attribute(
        "aria-disabled", "true"
    )


async def _none_playing(bridge: Bridge) -> bool:
    return not bridge.model.canned.sessions
