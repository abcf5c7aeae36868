"""Never dial twice, never lose an attempt: the bridge, run as its own process, is killed with
-9 in the middle of a progressive campaign — once while a call goes on and ends before it is
back (the attempt is settled from queue_log), once restarted while the call is still up (the
attempt is followed to its end). Every contact must be dialled exactly once (counted on what
Asterisk did, from the AMI), every attempt settled once, nothing re-dialled blindly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import Counter
from pathlib import Path

import pytest
from ami_raw import RawAMI
from live import eventually, sql_rows
from sqlalchemy.ext.asyncio import create_async_engine
from test_bridge_restart import BridgeProcess
from test_campaign_live import ALWAYS, dialled

from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.dialer.campaign import CampaignDef
from standardiste.history.migrate import upgrade
from standardiste.outbound.store import CampaignStore, NewContact
from standardiste.tools import sandbox as sb
from standardiste.tools.sipp import AgentPhone

ALICE = "PJSIP/agent1001"
NUMBERS = ["+33612345601", "+33612345611", "+33612345621", "+33612345631"]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_bridge_killed_mid_campaign_dials_no_contact_twice(
    sandbox: sb.SandboxInfo, ami: RawAMI, db_url: str, tmp_path: Path
) -> None:
    await upgrade(db_url)
    engine = create_async_engine(db_url)
    store = CampaignStore(engine)
    await store.create(
        "ann",
        CampaignDef.parse(
            {
                "name": "spring",
                "queue": "sales",
                "schedule": {"timezone": "Europe/Paris", "hours": ALWAYS},
                "call_window": {"start": "00:00", "end": "00:00"},
                "ring_timeout": 15,
                "agent_ring_timeout": 10,
            }
        ),
    )
    await store.add_contacts(
        "ann",
        "spring",
        [NewContact(f"C{i}", n, "Europe/Paris", "csv") for i, n in enumerate(NUMBERS)],
    )
    await engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANDARDISTE_")}
    env |= {
        "STANDARDISTE_AMI_PORT": str(sandbox.ami_port),
        "STANDARDISTE_AMI_PING_INTERVAL": "1",
        "STANDARDISTE_AMI_BACKOFF_MIN": "0.2",
        "STANDARDISTE_AMI_BACKOFF_MAX": "1",
        "STANDARDISTE_REDIS_PREFIX": f"test:{uuid.uuid4().hex[:8]}:",
        "STANDARDISTE_DATABASE_URL": db_url,
        "STANDARDISTE_DATABASE_BUFFER_PATH": str(tmp_path / "buffer.jsonl"),
        "STANDARDISTE_ASTERISK_QUEUE_LOG_PATH": str(sandbox.root / "var/log/asterisk/queue_log"),
        "STANDARDISTE_ASTERISK_QUEUE_LOG_ENABLED": "false",
    }
    bridge = BridgeProcess(env, tmp_path / "bridge.log")

    async def contact_calls_up() -> int:
        listed = await ami.action_list("CoreShowChannels")
        return sum(
            1 for c in listed
            if c.get("Event") == "CoreShowChannel"
            and "@standardiste-dial-out" in c.get("Channel", "")
            and c["Channel"].endswith(";1") and c.get("ChannelStateDesc") == "Up"
        )  # fmt: skip

    async def attempts() -> list[dict[str, object]]:
        return await sql_rows(db_url, "select id, number, outcome, settled_by from dial_attempts")

    await ami.action("QueueAdd", Queue="sales", Interface=ALICE, MemberName="Alice")
    try:
        async with (
            AgentPhone("contacts", 5090, answer_delay_s=0.5, hangup_after_s=6, host="127.0.0.2",
                       log_dir=tmp_path),
            AgentPhone("1001", 5071, answer_delay_s=0.3, log_dir=tmp_path),
        ):  # fmt: skip
            await bridge.start()
            # 1. Killed while the first call is up; the call ends while no bridge runs.
            await eventually(contact_calls_up, lambda n: n == 1, 30, "the first contact talks")
            await bridge.stop(signal.SIGKILL)
            await eventually(contact_calls_up, lambda n: n == 0, 15, "the call ended")
            await asyncio.sleep(1)
            assert len(dialled(ami)) == 1  # nothing dials while the bridge is down
            await bridge.start()
            # 2. Killed while the next call is up, and back before it ends.
            await eventually(attempts, lambda a: len(a) >= 2, 30, "a second attempt")
            await eventually(contact_calls_up, lambda n: n == 1, 30, "the second contact talks")
            await bridge.stop(signal.SIGKILL)
            await bridge.start()
            rows = await eventually(
                attempts,
                lambda a: len(a) == 4 and all(r["outcome"] for r in a),
                120,
                "every contact called once and settled",
            )
    finally:
        await bridge.stop(signal.SIGTERM)
        await ami.action("QueueRemove", Queue="sales", Interface=ALICE)
    assert dialled(ami) == Counter({n[1:]: 1 for n in NUMBERS})
    assert Counter(r["number"] for r in rows) == Counter(NUMBERS)
    assert {r["outcome"] for r in rows} == {"answered"}
    settled_by = Counter(r["settled_by"] for r in rows)
    assert settled_by["queue_log"] == 1, settled_by  # the call that ended while it was down
    assert settled_by["event"] == 3, settled_by
    contacts = await sql_rows(db_url, "select status, attempts from campaign_contacts")
    assert {(c["status"], c["attempts"]) for c in contacts} == {("done", 1)}
    ended = await sql_rows(db_url, "select attempt_id from dial_audit where event = 'ended'")
    assert len(ended) == 4 == len({e["attempt_id"] for e in ended})  # each settled once


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_asterisk_killed_mid_call_settles_the_attempt_as_unknown_without_redialling(
    sandbox: sb.SandboxInfo, ami: RawAMI, bridge: Bridge, tmp_path: Path
) -> None:
    """Asterisk dies during a campaign call: it wrote no end, so the attempt is settled
    ``unknown`` (counted, retried by the rules after their delay), never re-dialled at once."""
    engine = create_async_engine(bridge.settings.database.url)
    try:
        store = CampaignStore(engine)
        await store.create(
            "ann",
            CampaignDef.parse(
                {
                    "name": "crash",
                    "queue": "sales",
                    "schedule": {"timezone": "Europe/Paris", "hours": ALWAYS},
                    "call_window": {"start": "00:00", "end": "00:00"},
                    "retry": {"unknown_delay": 3600},
                }
            ),
        )
        await store.add_contacts(
            "ann", "crash", [NewContact("C", NUMBERS[0], "Europe/Paris", "csv")]
        )
        async with (
            AgentPhone("contacts", 5090, answer_delay_s=0.5, hangup_after_s=30, host="127.0.0.2",
                       log_dir=tmp_path),
            AgentPhone("1001", 5071, answer_delay_s=0.3, log_dir=tmp_path),
        ):  # fmt: skip
            await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
            await eventually(
                lambda: sql_rows(bridge.settings.database.url,
                                 "select answered_at from dial_attempts"),
                lambda r: bool(r and r[0]["answered_at"]), 20, "the contact answered",
            )  # fmt: skip
            await asyncio.to_thread(sb.kill9, sandbox.root)
            await asyncio.to_thread(sb.start, sandbox.root)
            rows = await eventually(
                lambda: sql_rows(bridge.settings.database.url,
                                 "select outcome, settled_by from dial_attempts"),
                lambda r: bool(r and r[0]["outcome"]), 60, "the attempt settled",
            )  # fmt: skip
            assert [(r["outcome"], r["settled_by"]) for r in rows] == [("unknown", "sweep")]
            await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
            await asyncio.sleep(5)  # the dialer ticks every second: it would have redialled
        [contact] = await sql_rows(
            bridge.settings.database.url, "select status, attempts, next_at from campaign_contacts"
        )
        assert (contact["status"], contact["attempts"]) == ("pending", 1)
        assert (
            len(await sql_rows(bridge.settings.database.url, "select id from dial_attempts")) == 1
        )
    finally:
        await engine.dispose()
