"""The web app on the real bridge and the real Asterisk: a supervisor pauses an agent through
the HTTP API, Asterisk itself reports the pause, and the supervisor's websocket shows it as
forced, without leaking the agent's rows in a queue the supervisor does not supervise."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from ami_raw import RawAMI
from argon2 import PasswordHasher
from live import ApiUser, asterisk_view, converged, eventually, sql_rows

from standardiste.accounts import Accounts
from standardiste.composition import BridgeProcess as Bridge
from standardiste.config import WebSettings
from standardiste.mirror import MirrorReader
from standardiste.web.app import init_app
from standardiste.web.process import web_deps

BOB = "PJSIP/agent1002"
PASSWORD = "a long enough password"
HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
async def server(bridge: Bridge) -> AsyncIterator[TestServer]:
    accounts = Accounts(bridge.history.store.engine, HASHER)
    await accounts.create_user(
        "sue", PASSWORD, role="supervisor", display_name="Sue", queues={"sales": "supervisor"}
    )
    await accounts.create_user(
        "bob", PASSWORD, display_name="Bob", devices=[BOB],
        queues={"sales": "agent", "support": "agent"},
    )  # fmt: skip
    web_settings = WebSettings()
    deps = replace(
        web_deps(bridge.settings, bridge.redis, bridge.history.store.engine, web=web_settings),
        hasher=HASHER,
    )
    async with TestServer(init_app(deps)) as srv:
        yield srv


async def test_supervisor_pauses_an_agent_through_the_api(
    bridge: Bridge, ami: RawAMI, reader: MirrorReader, server: TestServer
) -> None:
    # Dynamic members persist in Asterisk (astdb): start with bob logged out everywhere.
    for queue in ("sales", "support"):
        await ami.action("QueueRemove", Queue=queue, Interface=BOB)
    view = await converged(ami, reader)  # the bridge's model has seen it too
    assert not any(interface == BOB for _queue, interface in view.members)
    base = str(server.make_url(""))
    bob, sue = ApiUser(base, PASSWORD), ApiUser(base, PASSWORD)
    try:
        # The bridge publishes its figures in Redis every second; the web reads them there.
        status, ready = await eventually(
            lambda: bob.call("GET", "/readyz"), lambda r: r[0] == 200, what="/readyz ready"
        )
        assert ready["checks"] == {"ami": True, "redis": True, "database": True}
        assert ready["figures"]["bridge_alive"] is True
        # Operators see the bridge's measured queue depths and counters there too.
        assert ready["figures"]["events_dropped"] == 0
        figures = ready["figures"]
        assert figures["event_queue_depth"] <= figures["event_queue_high_water"]

        # The agent logs himself into his queues from his workspace.
        await bob.login("bob")
        status, body = await bob.call("POST", "/api/v1/agents/bob/login", {})
        assert (status, sorted(body["queues"])) == (200, ["sales", "support"]), body
        view = await asterisk_view(ami)
        assert view.members[("sales", BOB)] == view.members[("support", BOB)] == (False, "")

        # The supervisor watches the live feed...
        await sue.login("sue")
        ws = await sue.http.ws_connect(sue.base + "/api/v1/live", headers={"Origin": sue.base})
        snapshot = await _next(ws)
        assert snapshot["type"] == "snapshot"
        assert set(snapshot["state"]["member"]) == {f"sales|{BOB}"}  # not his support row

        # ...and pauses him, with a reason, from her dashboard.
        status, body = await sue.call(
            "POST", "/api/v1/agents/bob/pause", {"reason": "lunch", "queues": None}
        )
        assert status == 200, body
        assert (body["queues"], body["by"], body["forced"]) == (["sales"], "sue", True)

        # Asterisk itself says so (the test's own AMI client, not the bridge's).
        view = await eventually(
            lambda: asterisk_view(ami),
            lambda v: v.members.get(("sales", BOB)) == (True, "lunch"),
            10,
            "bob paused in Asterisk",
        )
        assert view.members[("support", BOB)] == (False, "")  # not sue's queue: untouched

        # The websocket shows the change, as a supervisor's forced pause.
        member = await _member_change(ws, f"sales|{BOB}", lambda m: m["paused"])
        assert (member["paused_reason"], member["paused_by"], member["forced"]) == (
            "lunch",
            "sue",
            True,
        )
        assert member["presence"] == "paused"
        await ws.close()

        # And the history records who did it.
        await bridge.history.flushed()
        rows = await sql_rows(
            bridge.settings.database.url,
            "select queue, reason, by, forced from agent_events "
            "where agent = :a and action = 'pause'",
            a=BOB,
        )
        assert rows == [{"queue": "sales", "reason": "lunch", "by": "sue", "forced": True}]
    finally:
        await bob.http.close()
        await sue.http.close()


async def _next(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def _member_change(
    ws: aiohttp.ClientWebSocketResponse, key: str, wanted: Any
) -> dict[str, Any]:
    """Read change batches until one carries ``key`` in the state ``wanted`` accepts."""
    while True:
        msg = await _next(ws)
        assert msg["type"] == "changes", msg
        for entity, changed, value in msg["changes"]:
            assert not (entity == "member" and changed.startswith("support|")), msg
            if entity == "member" and changed == key and value and wanted(value):
                return dict(value)
