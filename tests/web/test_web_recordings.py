"""A queue's calls with their recordings, and playing one (CF-2): who may, what is played,
what is written to the audit. The recording is a real WAV file in the recordings directory
the web is configured with; the permission comes from the stored role matrix."""

from __future__ import annotations

import io
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from web_helpers import ALICE_DEV, T0, Browser, error_code

from standardiste.acd.records import QueueCallAnswered, QueueCallEntered, QueueCallLeft
from standardiste.history.writer import HistoryStore
from standardiste.pbx.store import ConfigStore

Login = Callable[[str], Awaitable[Browser]]

pytestmark = pytest.mark.usefixtures("recorded_call")


def url(call_id: str) -> str:
    return f"/api/v1/recordings/{call_id}"


async def plays(engine: AsyncEngine) -> list[tuple[str, str, str, object]]:
    return [
        (e.actor, e.action, e.subject, e.after)
        for e in await ConfigStore(engine).audit()
        if e.action == "recording.play"
    ]


# -------------------------------------------------------------------- playing
async def test_a_supervisor_of_the_queue_plays_the_recording(
    logged_in: Login, recorded_call: str, engine: AsyncEngine
) -> None:
    resp = await (await logged_in("sue")).get(url(recorded_call))
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "audio/wav"
    assert resp.headers["Accept-Ranges"] == "bytes"
    with wave.open(io.BytesIO(await resp.read())) as audio:
        assert (audio.getframerate(), audio.getnframes()) == (8000, 8000)  # one second
    assert await plays(engine) == [("sue", "recording.play", recorded_call, {"queues": ["sales"]})]


async def test_seeking_asks_for_a_range_and_is_not_another_playback(
    logged_in: Login, recorded_call: str, recordings_dir: Path, engine: AsyncEngine
) -> None:
    sue = await logged_in("sue")
    size = (recordings_dir / "standardiste" / f"{recorded_call}.wav").stat().st_size
    first = await sue.request("GET", url(recorded_call), headers={"Range": "bytes=0-"})
    assert first.status == 206 and len(await first.read()) == size
    later = await sue.request("GET", url(recorded_call), headers={"Range": "bytes=1000-"})
    assert later.status == 206
    assert len(await later.read()) == size - 1000
    assert later.headers["Content-Range"] == f"bytes 1000-{size - 1}/{size}"
    head = await sue.request("HEAD", url(recorded_call))
    assert head.status == 200
    assert len(await plays(engine)) == 1


async def test_an_admin_plays_any_recording(logged_in: Login, recorded_call: str) -> None:
    resp = await (await logged_in("ada")).get(url(recorded_call))
    assert resp.status == 200 and resp.headers["Content-Type"] == "audio/wav"


async def test_an_agent_may_not_play_even_their_own_call(
    logged_in: Login, recorded_call: str, engine: AsyncEngine
) -> None:
    # alice answered this call; agents do not hold recordings.play by default.
    resp = await (await logged_in("alice")).get(url(recorded_call))
    assert await error_code(resp) == (403, "forbidden")
    assert "recordings.play" in (await resp.json())["error"]["message"]
    assert await plays(engine) == []


async def test_a_supervisor_of_another_queue_is_told_nothing_about_the_call(
    logged_in: Login, recorded_call: str, engine: AsyncEngine
) -> None:
    # sam supervises support (and is an agent in sales): the call is not his to hear, and
    # the answer is the one for a call that does not exist.
    resp = await (await logged_in("sam")).get(url(recorded_call))
    assert await error_code(resp) == (404, "not_found")
    unknown = await (await logged_in("sam")).get(url("1699999999.1"))
    assert (await unknown.json())["error"]["message"].replace("1699999999.1", recorded_call) == (
        (await resp.json())["error"]["message"]
    )
    assert await plays(engine) == []


async def test_the_permission_is_the_role_matrix(
    logged_in: Login, recorded_call: str, engine: AsyncEngine
) -> None:
    """Taken from supervisors in the admin's matrix: refused at once; given to agents: they
    still need to supervise the call's queue."""
    matrix = await ConfigStore(engine).matrix()
    ada = await logged_in("ada")
    kept = sorted(matrix["supervisor"] - {"recordings.play"})
    resp = await ada.request("PUT", "/api/v1/admin/permissions/supervisor", {"permissions": kept})
    assert resp.status == 200, await resp.text()
    resp = await (await logged_in("sue")).get(url(recorded_call))
    assert await error_code(resp) == (403, "forbidden")
    more = sorted(matrix["agent"] | {"recordings.play"})
    resp = await ada.request("PUT", "/api/v1/admin/permissions/agent", {"permissions": more})
    assert resp.status == 200, await resp.text()
    resp = await (await logged_in("alice")).get(url(recorded_call))
    assert await error_code(resp) == (404, "not_found")


async def test_a_call_without_a_recording_is_a_404(
    logged_in: Login, recorded_call: str, recordings_dir: Path, engine: AsyncEngine
) -> None:
    sue = await logged_in("sue")
    assert await error_code(await sue.get(url("1699999999.1"))) == (404, "not_found")
    (recordings_dir / "standardiste" / f"{recorded_call}.wav").unlink()  # the retention
    assert await error_code(await sue.get(url(recorded_call))) == (404, "not_found")
    assert await plays(engine) == []


@pytest.mark.parametrize(
    "call_id", ["abc", "1699999940", "1.2.3", "1699999940.17.wav", "1" * 21 + ".1", "-1.5"]
)
async def test_only_a_call_id_is_accepted(logged_in: Login, call_id: str) -> None:
    resp = await (await logged_in("sue")).get(url(call_id))
    assert await error_code(resp) == (400, "invalid_input")


async def test_a_path_never_leaves_the_recordings(logged_in: Login) -> None:
    sue = await logged_in("sue")
    for path in ("..%2F..%2Fweb.sqlite3", "..%2Fstandardiste%2F1699999940.17.wav"):
        resp = await sue.get(url(path))
        assert resp.status in (400, 404), path
        assert resp.headers["Content-Type"].startswith("application/json")


# -------------------------------------------------------------------- the list
async def test_the_list_says_which_calls_were_recorded(
    logged_in: Login, recorded_call: str, engine: AsyncEngine
) -> None:
    await HistoryStore(engine).write(
        [
            # Answered in a queue that does not record: no file.
            QueueCallEntered("1699999990.20", "sales", "0622222222", "", T0 - 10),
            QueueCallAnswered("1699999990.20", "sales", ALICE_DEV, "Alice", 2.0, T0 - 8),
            # Abandoned: never recorded.
            QueueCallEntered("1699999995.21", "sales", "0633333333", "", T0 - 5),
            QueueCallLeft("1699999995.21", "sales", "abandoned", 3.0, T0 - 2),
            QueueCallEntered("1699999996.22", "support", "0644444444", "", T0 - 4),
        ]
    )
    resp = await (await logged_in("sue")).get("/api/v1/calls?queue=sales")
    assert resp.status == 200
    body = await resp.json()
    assert (body["queue"], body["day"], body["can_play"]) == ("sales", None, True)
    calls = body["calls"]
    assert [(c["call_id"], c["outcome"], c["recording"]) for c in calls] == [
        ("1699999995.21", "abandoned", False),
        ("1699999990.20", "answered", False),
        (recorded_call, "answered", True),
    ]
    recorded = calls[2]
    assert recorded["agent"] == ALICE_DEV and recorded["agent_name"] == "Alice"
    assert (recorded["caller_number"], recorded["wait"], recorded["talk"]) == (
        "0611111111",
        10.0,
        40.0,
    )
    assert recorded["entered_at"] == T0 - 60 and recorded["answered_at"] == T0 - 50


async def test_the_list_of_a_day(logged_in: Login, recorded_call: str) -> None:
    sue = await logged_in("sue")
    day = await (await sue.get("/api/v1/calls?queue=sales&date=2023-11-14")).json()  # T0's
    assert [c["call_id"] for c in day["calls"]] == [recorded_call] and day["day"] == "2023-11-14"
    other = await (await sue.get("/api/v1/calls?queue=sales&date=2023-11-13")).json()
    assert other["calls"] == []
    bad = await sue.get("/api/v1/calls?queue=sales&date=yesterday")
    assert await error_code(bad) == (400, "invalid_input")
    assert (await bad.json())["error"]["message"].startswith("field date")
    assert await error_code(await sue.get("/api/v1/calls?queue=sales&limit=0")) == (
        400,
        "invalid_input",
    )


async def test_only_who_sees_the_queue_in_detail_lists_its_calls(logged_in: Login) -> None:
    for user, queue in (("alice", "sales"), ("sam", "sales"), ("sue", "support")):
        resp = await (await logged_in(user)).get(f"/api/v1/calls?queue={queue}")
        assert await error_code(resp) == (403, "forbidden"), (user, queue)
    sam = await (await (await logged_in("sam")).get("/api/v1/calls?queue=support")).json()
    assert sam["calls"] == [] and sam["can_play"] is True
    ada = await (await (await logged_in("ada")).get("/api/v1/calls?queue=sales")).json()
    assert len(ada["calls"]) == 1 and ada["can_play"] is True


async def test_the_list_says_when_the_user_may_not_play(
    logged_in: Login, engine: AsyncEngine
) -> None:
    store = ConfigStore(engine)
    kept = sorted((await store.matrix())["supervisor"] - {"recordings.play"})
    await store.set_role_permissions("supervisor", kept, "ada")
    body = await (await (await logged_in("sue")).get("/api/v1/calls?queue=sales")).json()
    assert body["can_play"] is False and body["calls"][0]["recording"] is True
