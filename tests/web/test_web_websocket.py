"""The websocket /api/v1/live: filtered snapshot and changes, subscriptions, slow clients,
origin and session checks, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from web_helpers import (
    ALICE_DEV,
    BOB_DEV,
    CAROL_DEV,
    T0,
    Browser,
    Knobs,
    Mirror,
    caller,
    member,
    next_json,
    until,
)

from standardiste.accounts import Accounts
from standardiste.web.appkeys import HUB

Login = Callable[[str], Awaitable[Browser]]


async def test_snapshot_is_filtered_per_role(logged_in: Login) -> None:
    expected = {
        "ada": {"sales", "support"},
        "sue": {"sales"},
        "alice": {"sales"},
        "bob": {"support"},
    }
    for username, queues in expected.items():
        ws = await (await logged_in(username)).live()
        snap = await next_json(ws)
        assert snap["type"] == "snapshot"
        assert set(snap["state"]["queue"]) == queues
        assert set(snap["figures"]) == queues
        await ws.close()
    ws = await (await logged_in("alice")).live()
    snap = await next_json(ws)
    assert set(snap["state"]["member"]) == {f"sales|{ALICE_DEV}"}
    assert snap["state"]["caller"] == {}
    assert set(snap["state"]["call"]) == {"k1"}
    assert snap["seq"] == 1
    await ws.close()


async def test_a_change_in_a_supervised_queue_arrives_another_does_not(
    logged_in: Login, mirror: Mirror
) -> None:
    ws = await (await logged_in("sue")).live()
    assert (await next_json(ws))["type"] == "snapshot"
    await mirror.change("caller", "c9", caller("c9", "support", T0))  # not sue's
    await mirror.change("caller", "c8", caller("c8", "sales", T0, number="0699999999"))
    msg = await next_json(ws)  # the first message after the snapshot is the sales one
    assert msg["type"] == "changes" and msg["seq"] == 3
    assert msg["changes"] == [["caller", "c8", caller("c8", "sales", T0, number="0699999999")]]
    assert msg["figures"]["sales"]["waiting"] == 3
    assert set(msg["figures"]) == {"sales"}
    await mirror.change("caller", "c8", None)  # the caller leaves
    gone = await next_json(ws)
    assert gone["changes"] == [["caller", "c8", None]]
    assert gone["figures"]["sales"]["waiting"] == 2
    await ws.close()


async def test_member_change_carries_presence_forced_and_the_owner(
    logged_in: Login, mirror: Mirror
) -> None:
    ws = await (await logged_in("sue")).live()
    await next_json(ws)
    paused = member(
        "sales", ALICE_DEV, paused=True, paused_reason="lunch", paused_by="sue", forced=True,
        since=T0 - 2,
    )  # fmt: skip
    await mirror.change("member", f"sales|{ALICE_DEV}", paused)
    msg = await next_json(ws)
    [[entity, key, value]] = msg["changes"]
    assert (entity, key) == ("member", f"sales|{ALICE_DEV}")
    assert (value["paused"], value["forced"], value["paused_by"]) == (True, True, "sue")
    assert (value["presence"], value["time_in_status"]) == ("paused", 2.0)
    assert msg["users"] == {ALICE_DEV: {"username": "alice", "display_name": "Alice"}}
    assert msg["figures"]["sales"]["agents_paused"] == 2
    await ws.close()


async def test_agent_gets_card_figures_without_the_callers(
    logged_in: Login, mirror: Mirror
) -> None:
    ws = await (await logged_in("alice")).live()
    await next_json(ws)
    await mirror.change("caller", "c8", caller("c8", "sales", T0))
    msg = await next_json(ws)
    assert msg["changes"] == []
    assert msg["figures"]["sales"]["waiting"] == 3
    # A change to another agent's row in alice's queue: figures only. To hers: the row too.
    await mirror.change("member", f"sales|{CAROL_DEV}", member("sales", CAROL_DEV))
    msg = await next_json(ws)
    assert msg["changes"] == [] and msg["figures"]["sales"]["agents_paused"] == 0
    await mirror.change("member", f"sales|{ALICE_DEV}", member("sales", ALICE_DEV, in_call=True))
    msg = await next_json(ws)
    assert [c[1] for c in msg["changes"]] == [f"sales|{ALICE_DEV}"]
    await ws.close()


async def test_a_change_outside_every_view_sends_nothing(logged_in: Login, mirror: Mirror) -> (
    None
):  # fmt: skip
    ws = await (await logged_in("bob")).live()
    await next_json(ws)
    await mirror.change("device", "PJSIP/stranger", {"device": "PJSIP/stranger", "state": "BUSY",
                                                     "since": T0})  # fmt: skip
    await mirror.change("caller", "c7", caller("c7", "support", T0))
    msg = await next_json(ws)
    assert msg["seq"] == 3 and msg["figures"]["support"]["waiting"] == 2
    await ws.close()


async def test_device_states_follow_the_supervised_agents(logged_in: Login, mirror: Mirror) -> None:
    ws = await (await logged_in("sue")).live()
    snap = await next_json(ws)
    assert set(snap["state"]["device"]) == {ALICE_DEV, CAROL_DEV}
    await mirror.change("device", BOB_DEV, {"device": BOB_DEV, "state": "RINGING", "since": T0})
    await mirror.change("device", ALICE_DEV, {"device": ALICE_DEV, "state": "INUSE", "since": T0})
    msg = await next_json(ws)
    assert msg["changes"] == [["device", ALICE_DEV, {"device": ALICE_DEV, "state": "INUSE",
                                                     "since": T0}]]  # fmt: skip
    await ws.close()


async def test_subscribe_narrows_and_permissions_are_rechecked(
    logged_in: Login, mirror: Mirror
) -> None:
    ws = await (await logged_in("sam")).live()  # supervises support, agent in sales
    assert set((await next_json(ws))["state"]["queue"]) == {"sales", "support"}
    await ws.send_json({"type": "subscribe", "queues": ["support"]})
    snap = await next_json(ws)
    assert snap["type"] == "snapshot" and set(snap["state"]["queue"]) == {"support"}
    await mirror.change("queue", "sales", {**mirror.state["queue"]["sales"], "updated_at": T0})
    await mirror.change("caller", "c7", caller("c7", "support", T0))
    assert [c[1] for c in (await next_json(ws))["changes"]] == ["c7"]

    await ws.send_json({"type": "subscribe", "queues": ["billing"]})
    error = await next_json(ws)
    assert error == {
        "type": "error",
        "error": {"code": "forbidden", "message": "you cannot follow queue(s): billing"},
    }
    await ws.send_json({"type": "subscribe", "queues": None})
    assert set((await next_json(ws))["state"]["queue"]) == {"sales", "support"}
    await ws.send_str("not json")
    assert (await next_json(ws))["error"]["code"] == "invalid_input"
    await ws.close()


async def test_subscribe_after_losing_a_queue(
    logged_in: Login, accounts: Accounts, mirror: Mirror
) -> None:
    ws = await (await logged_in("sue")).live()
    await next_json(ws)
    await accounts.set_queues("sue", {"support": "supervisor"})  # sales taken away
    await ws.send_json({"type": "subscribe", "queues": ["sales"]})
    assert (await next_json(ws))["error"]["code"] == "forbidden"
    await ws.send_json({"type": "subscribe", "queues": None})
    assert set((await next_json(ws))["state"]["queue"]) == {"support"}
    await ws.close()


async def test_a_removed_user_is_disconnected_on_subscribe(
    logged_in: Login, accounts: Accounts
) -> None:
    ws = await (await logged_in("bob")).live()
    await next_json(ws)
    await accounts.delete_user("bob")
    await ws.send_json({"type": "subscribe", "queues": None})
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4001


async def test_origin_and_session_are_checked(
    logged_in: Login, browser: Callable[[], Browser]
) -> None:
    sue = await logged_in("sue")
    with pytest.raises(aiohttp.WSServerHandshakeError) as bad_origin:
        await sue.live(origin="https://evil.example")
    assert bad_origin.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as no_origin:
        await sue.http.ws_connect(sue.base + "/api/v1/live")
    assert no_origin.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as anonymous:
        await browser().live()
    assert anonymous.value.status == 401


@pytest.fixture
def small_buffer(knobs: Knobs) -> None:
    knobs.web = replace(knobs.web, ws_buffer=20, allowed_origins="https://cc.example.org")


@pytest.mark.usefixtures("small_buffer")
async def test_an_allowed_origin_may_connect(logged_in: Login) -> None:
    ws = await (await logged_in("sue")).live(origin="https://cc.example.org")
    assert (await next_json(ws))["type"] == "snapshot"
    await ws.close()


@pytest.mark.usefixtures("small_buffer")
async def test_a_client_that_never_reads_is_dropped_and_others_carry_on(
    logged_in: Login, mirror: Mirror, server: TestServer
) -> None:
    hub = server.app[HUB]
    slow = await (await logged_in("sue")).live()  # never reads until the end
    fast = await (await logged_in("ada")).live()
    received: list[dict[str, Any]] = []

    async def read_fast() -> None:
        while True:
            msg = await next_json(fast, timeout=30)
            received.append(msg)
            if msg.get("seq") == last_seq:
                return

    batches = 400
    last_seq = 1 + batches
    reader = asyncio.create_task(read_fast())
    # Big changes (~60 kB each), so the slow client's socket buffers fill and its sends block.
    for i in range(batches):
        big = caller("big", "sales", T0, number=str(i))
        big["caller_name"] = "x" * 60_000
        await mirror.change("caller", "big", big)
    await asyncio.wait_for(reader, 30)

    # The fast client got every batch, in order, none lost.
    assert [m["seq"] for m in received] == list(range(1, last_seq + 1))
    assert hub.dropped == 1 and len(hub.clients) == 1  # only the slow one went

    # When the slow client finally reads: what was sent before, then the notice, then 4000.
    seen: list[str] = []
    while True:
        msg = await slow.receive(timeout=30)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            break
        seen.append(msg.json()["type"])
    assert seen[0] == "snapshot" and seen[-1] == "resync_required"
    assert set(seen[1:-1]) <= {"changes"} and len(seen) < batches
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4000

    # It may come back: a new connection starts from a fresh snapshot.
    again = await (await logged_in("sue")).live()
    snap = await next_json(again)
    assert snap["type"] == "snapshot" and snap["seq"] == last_seq
    await again.close()
    await fast.close()


async def test_one_follower_for_all_clients(logged_in: Login, server: TestServer) -> None:
    sockets = [await (await logged_in(u)).live() for u in ("ada", "sue", "alice")]
    for ws in sockets:
        await next_json(ws)
    hub = server.app[HUB]
    assert len(hub.clients) == 3
    followers = [t for t in asyncio.all_tasks() if t.get_name() == "web-live-follower"]
    assert len(followers) == 1
    await sockets[0].close()
    await until(lambda: len(hub.clients) == 2, what="closed client removed")
    for ws in sockets[1:]:
        await ws.close()


async def test_shutdown_closes_every_socket(logged_in: Login, server: TestServer) -> None:
    sockets = [await (await logged_in(u)).live() for u in ("ada", "bob")]
    for ws in sockets:
        await next_json(ws)
    await server.close()
    for ws in sockets:
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1001
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "web-live-follower"]


async def test_a_queues_new_service_level_target_reaches_the_open_feeds(
    logged_in: Login, mirror: Mirror, clock: Any
) -> None:
    """An admin changes sales' target: a supervisor's open websocket gets cards with the new
    target at the next change of the queue (not only after reconnecting)."""
    sue, ada = await logged_in("sue"), await logged_in("ada")
    ws = await sue.live()
    snap = await next_json(ws)
    assert snap["figures"]["sales"]["sl"]["target"] == 80
    resp = await ada.request("PATCH", "/api/v1/admin/queues/sales", {"sl_target": 95})
    assert resp.status == 200, await resp.text()
    clock.now += 2  # the feed reads the settings at most every second
    await mirror.change("caller", "c8", caller("c8", "sales", T0))
    msg = await next_json(ws)
    assert msg["figures"]["sales"]["sl"]["target"] == 95
    await ws.close()
