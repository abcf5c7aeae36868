"""Canned audio messages (AG-3) through the API: admins upload (converted with the real
sox), rename and delete them, each change audited and handed to the bridge; what cannot be
converted is refused naming the problem; agents list them and ask the bridge to play one
into their own call or stop it. What the bridge then does with Asterisk is tested live
(tests/integration/test_canned_audio_live.py)."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from web_helpers import ALICE_DEV, T0, Browser, FakeCalls, FakeConfig, error_code, wav_bytes

from standardiste.acd.records import CannedLogged
from standardiste.errors import CallGone
from standardiste.history.writer import HistoryStore
from standardiste.pbx.store import ConfigStore

Login = Callable[[str], Awaitable[Browser]]
A = "/api/v1/admin/canned-audio"


async def upload(b: Browser, data: bytes, query: str, media: str = "audio/wav") -> object:
    return await b.request("POST", f"{A}?{query}", data=data, headers={"Content-Type": media})


async def test_an_uploaded_sound_is_converted_for_asterisk_stored_and_audited(
    logged_in: Login, config_commands: FakeConfig, configuration: ConfigStore
) -> None:
    ada = await logged_in("ada")
    # As an admin's file may be: 44.1 kHz stereo, 1.5 s.
    resp = await upload(ada, wav_bytes(seconds=1.5, rate=44100, channels=2), "name=Bye&language=fr")
    assert resp.status == 201, await resp.text()
    listed = {m["name"]: m for m in (await resp.json())["messages"]}
    assert set(listed) == {"Bye", "Hold on"}
    bye = listed["Bye"]
    assert (bye["language"], bye["seconds"]) == ("fr", 1.5)
    sound = await ada.get(f"{A}/{bye['id']}/audio")
    assert sound.status == 200 and sound.headers["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(await sound.read())) as audio:  # what Asterisk plays
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() == 12000
    # The bridge is asked to write it where Asterisk plays it from.
    assert [(op, actor) for op, _, actor in config_commands.calls] == [("canned_audio.sync", "ada")]
    [entry] = await configuration.audit(limit=1)
    assert (entry.actor, entry.action, entry.subject, entry.before) == (
        "ada", "canned_audio.create", "Bye", None
    )  # fmt: skip
    assert entry.after["seconds"] == 1.5 and entry.after["language"] == "fr"


async def test_what_cannot_be_converted_is_refused_naming_the_problem(
    logged_in: Login, config_commands: FakeConfig
) -> None:
    ada = await logged_in("ada")
    resp = await upload(ada, b"this is not a sound at all", "name=Text")
    assert await error_code(resp) == (400, "invalid_input")
    message = (await resp.json())["error"]["message"]
    assert "not a sound file sox can read" in message and "can't determine type" in message
    resp = await upload(ada, wav_bytes(seconds=61), "name=Long")
    assert await error_code(resp) == (400, "invalid_input")
    assert "more than 60 s" in (await resp.json())["error"]["message"]
    resp = await upload(ada, b"", "name=Empty")
    assert await error_code(resp) == (400, "invalid_input")
    resp = await upload(ada, wav_bytes(seconds=1), "name=Json", media="application/json")
    assert await error_code(resp) == (415, "unsupported_media_type")
    big = b"\0" * (5 * 1024 * 1024 + 1)
    resp = await ada.request(
        "POST", f"{A}?name=Big", data=io.BytesIO(big), headers={"Content-Type": "audio/x-wav"}
    )
    assert await error_code(resp) == (413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(6):
            yield b"\0" * (1024 * 1024)

    resp = await ada.request(
        "POST", f"{A}?name=Big", data=chunks(), headers={"Content-Type": "audio/x-wav"}
    )
    assert await error_code(resp) == (413, "payload_too_large")
    resp = await upload(ada, wav_bytes(seconds=1), "language=fr")  # no name
    assert (await resp.json())["error"]["message"] == "field name is required"
    resp = await upload(ada, wav_bytes(seconds=1), "name=Hold%20on")  # the fixture's
    assert await error_code(resp) == (409, "conflict")
    listed = await (await ada.get(A)).json()
    assert [m["name"] for m in listed["messages"]] == ["Hold on"]
    assert config_commands.calls == []


async def test_rename_and_delete_are_audited_and_the_file_goes(
    logged_in: Login, config_commands: FakeConfig, configuration: ConfigStore
) -> None:
    ada = await logged_in("ada")
    resp = await ada.request("PATCH", f"{A}/1", {"name": "Please wait", "language": "fr"})
    assert resp.status == 200, await resp.text()
    [message] = (await resp.json())["messages"]
    assert (message["name"], message["language"]) == ("Please wait", "fr")
    resp = await ada.request("PATCH", f"{A}/1", {"name": " "})
    assert await error_code(resp) == (400, "invalid_input")
    resp = await ada.request("DELETE", f"{A}/1")
    assert resp.status == 204
    assert await error_code(await ada.get(f"{A}/1/audio")) == (404, "unknown_message")
    assert await error_code(await ada.request("DELETE", f"{A}/1")) == (404, "unknown_message")
    resp = await ada.request("PATCH", f"{A}/99", {"name": "x"})
    assert await error_code(resp) == (404, "unknown_message")
    actions = [(e.action, e.subject) for e in await configuration.audit(limit=2)]
    assert actions == [
        ("canned_audio.delete", "Please wait"), ("canned_audio.update", "Please wait")
    ]  # fmt: skip
    assert [op for op, _, _ in config_commands.calls] == ["canned_audio.sync"]  # the delete


async def test_who_may_manage_and_who_may_play(logged_in: Login, calls: FakeCalls) -> None:
    sue, alice = await logged_in("sue"), await logged_in("alice")
    assert (await sue.get(A)).status == 200  # a supervisor sees the settings...
    resp = await upload(sue, wav_bytes(seconds=1), "name=Mine")  # ...but may not change them
    assert await error_code(resp) == (403, "forbidden")
    assert await error_code(await sue.request("DELETE", f"{A}/1")) == (403, "forbidden")
    assert await error_code(await alice.get(A)) == (403, "forbidden")
    listed = await (await alice.get("/api/v1/canned-audio")).json()
    assert listed == {"messages": [{"id": 1, "name": "Hold on", "language": "en", "seconds": 2.0}]}
    # A role without canned.play may neither list nor play.
    ada = await logged_in("ada")
    resp = await ada.request(
        "PUT", "/api/v1/admin/permissions/agent", {"permissions": ["live.view", "workspace.use"]}
    )
    assert resp.status == 200
    assert await error_code(await alice.get("/api/v1/canned-audio")) == (403, "forbidden")
    resp = await alice.post("/api/v1/canned-audio/1/play", {})
    assert await error_code(resp) == (403, "forbidden")
    assert calls.requests == []


async def test_an_agent_plays_into_and_stops_their_own_call_through_the_bridge(
    logged_in: Login, calls: FakeCalls
) -> None:
    alice = await logged_in("alice")
    resp = await alice.post("/api/v1/canned-audio/1/play", {})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["session"] == "1700000000.77"
    resp = await alice.request("DELETE", "/api/v1/canned-audio/playing/1700000000.77")
    assert (await resp.json()) == {"session": "1700000000.77", "ended": True}
    play, stop = calls.requests
    # The bridge is told who asks (their devices): it finds their own call itself.
    assert (play.op, play.message, play.call, play.actor.username) == (
        "canned_play", "1", "", "alice"
    )  # fmt: skip
    assert play.actor.devices == ("PJSIP/agent1001", "PJSIP/desk1001")
    assert (stop.op, stop.session, stop.actor.username) == (
        "canned_stop", "1700000000.77", "alice"
    )  # fmt: skip
    # Ids are checked before the bridge is asked.
    for bad in ("/api/v1/canned-audio/one/play", "/api/v1/canned-audio/1x/play"):
        assert await error_code(await alice.post(bad, {})) == (400, "invalid_input")
    resp = await alice.request("DELETE", "/api/v1/canned-audio/playing/..%2fx")
    assert (await error_code(resp))[0] in (400, 404)
    assert len(calls.requests) == 2
    calls.fail_with = CallGone("you have no call to play the message into")
    resp = await alice.post("/api/v1/canned-audio/1/play", {})
    assert await error_code(resp) == (409, "call_gone")
    assert "no call" in (await resp.json())["error"]["message"]


async def test_the_playbacks_are_in_the_audit_for_those_who_read_it(
    logged_in: Login, engine: AsyncEngine
) -> None:
    await HistoryStore(engine).write(
        [
            CannedLogged("300.1", "start", 1, "Hold on", "alice", ALICE_DEV, "PJSIP/agent1001-1",
                         "sales", "", T0),
            CannedLogged("300.1", "end", 1, "Hold on", "alice", ALICE_DEV, "PJSIP/agent1001-1",
                         "sales", "alice", T0 + 4),
        ]
    )  # fmt: skip
    ada = await logged_in("ada")
    resp = await ada.get("/api/v1/admin/audit/canned?limit=10")
    assert resp.status == 200, await resp.text()
    entries = (await resp.json())["entries"]
    assert [(e["event"], e["by"], e["stopped_by"], e["agent_name"]) for e in entries] == [
        ("end", "alice", "alice", "alice"), ("start", "alice", "", "alice")
    ]  # fmt: skip
    older = await ada.get(f"/api/v1/admin/audit/canned?limit=10&before_id={entries[1]['id']}")
    assert (await older.json())["entries"] == []
    alice = await logged_in("alice")  # an agent does not read the audit
    resp = await alice.get("/api/v1/admin/audit/canned")
    assert await error_code(resp) == (403, "forbidden")
