"""One definition of each metric (BY-3), on the real Asterisk: real calls into the queues —
answered within the service-level threshold and beyond it, abandoned within the short-abandon
time and after it, timed out — then the live queue cards (GET /api/v1/overview, from the
bridge's counters in Redis) and the queue report for today (GET /api/v1/reports/queues, from
SQL) give the same figures, field by field, for each queue."""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from ami_raw import RawAMI
from argon2 import PasswordHasher
from live import ApiUser, converged, eventually

from standardiste.accounts import Accounts
from standardiste.acd.metrics import METRIC_NAMES
from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.config import WebSettings
from standardiste.mirror import MirrorReader
from standardiste.pbx.store import ConfigStore
from standardiste.tools.demo_config import DEMO_QUEUES
from standardiste.tools.sipp import AgentPhone, place_call
from standardiste.web.app import init_app
from standardiste.web.process import web_deps

ALICE = "PJSIP/agent1001"
PASSWORD = "a long enough password"
HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
THRESHOLD = 3  # s: the service level's T, short enough for a test
SHORT = 2  # s: abandons within it are short


@pytest.fixture(params=["sqlite"])  # the report's SQL on PostgreSQL: test_queue_report_sql
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'history.sqlite3'}"


@pytest.fixture
async def server(bridge: Bridge) -> AsyncIterator[TestServer]:
    engine = bridge.history.store.engine
    await Accounts(engine, HASHER).create_user("ada", PASSWORD, role="admin", display_name="Ada")
    # The metric settings are the web's (the queue's Asterisk config is unchanged).
    store = ConfigStore(engine)
    for queue in DEMO_QUEUES:
        await store.save_queue(
            replace(queue, servicelevel=THRESHOLD, short_abandon=SHORT, sl_variant=1), "test"
        )
    deps = replace(
        web_deps(bridge.settings, bridge.redis, engine, web=WebSettings()), hasher=HASHER
    )
    async with TestServer(init_app(deps)) as srv:
        yield srv


async def test_the_live_cards_equal_the_report_for_today(
    bridge: Bridge, ami: RawAMI, reader: MirrorReader, server: TestServer, tmp_path: Path
) -> None:
    ada = ApiUser(str(server.make_url("")), PASSWORD)
    try:
        await ada.login("ada")
        async with AgentPhone("1001", 5071, answer_delay_s=0.3, hangup_after_s=2, log_dir=tmp_path):
            await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
            await converged(ami, reader)
            calls = [
                # sales: the first is answered at once (within T), the second waits for the
                # first call and alice's 5 s wrap-up (beyond T)
                await place_call("5000", "0611000001", hangup_after_s=30, log_dir=tmp_path),
                await place_call("5000", "0611000002", hangup_after_s=30, log_dir=tmp_path),
                # support has no agent: a short abandon, a long one, a time-out (8 s)
                await place_call("5001", "0611000003", hangup_after_s=1, log_dir=tmp_path),
                await place_call("5001", "0611000004", hangup_after_s=5, log_dir=tmp_path),
                await place_call("95001", "0611000005", hangup_after_s=30, log_dir=tmp_path),
            ]
            try:
                await asyncio.gather(*(c.wait_result(60) for c in calls))
            finally:
                for call in calls:
                    await call.stop()
            await eventually(reader.snapshot, lambda s: not s.state["call"], 20, "calls over")
        await converged(ami, reader)
        await bridge.history.flushed()

        tz = bridge.settings.timezone
        today = dt.datetime.now(zoneinfo.ZoneInfo(tz)).date().isoformat()
        status, overview = await ada.call("GET", "/api/v1/overview")
        assert status == 200, overview
        status, report = await ada.call(
            "GET", f"/api/v1/reports/queues?queues=sales,support&from={today}&to={today}"
        )
        assert status == 200, report
        by_queue = {row.pop("queue"): row for row in report["by_queue"]}
        for queue in ("sales", "support"):
            live = overview["figures"][queue]["metrics"]
            assert set(live) == set(METRIC_NAMES) <= set(by_queue[queue])
            assert {k: live[k] for k in METRIC_NAMES} == {
                k: by_queue[queue][k] for k in METRIC_NAMES
            }, queue
            assert report["settings"][queue]["sl_threshold"] == THRESHOLD
        # The calls were what the test meant them to be.
        sales, support = overview["figures"]["sales"]["metrics"], by_queue["support"]
        assert (sales["offered"], sales["handled"]) == (2, 2)
        assert sales["service_level"] == 50.0  # one within 3 s, one after
        assert (support["offered"], support["abandoned"], support["timed_out"]) == (3, 2, 1)
        assert support["short_abandoned"] == 1
        assert support["abandon_rate"] == 50.0  # (2 - 1) / (3 - 1)
    finally:
        await ada.http.close()
