"""The admin's configuration applied to the real Asterisk, through the web API, the command bus
and the bridge: what Asterisk itself reports (the test's own AMI client) after each change.

- a queue created over the API exists in Asterisk with its settings, and its extension
  reaches the sipp phone of an agent assigned to it and logged in;
- a change Asterisk refuses is reported with the reason and not stored;
- a skill level becomes the member's penalty (also for a member who logged in by the phone),
  the queue's rule and maximum penalty are in Asterisk;
- the weight decides which queue's caller a shared agent gets first;
- a pause reason created is the reason Asterisk and the history record;
- generated files changed behind the bridge's back are put back after an Asterisk restart,
  and the difference is reported.

Every test starts from the demo configuration stored (``adopt``) and ends with the demo's
generated files back in the shared sandbox.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from ami_raw import RawAMI
from argon2 import PasswordHasher
from conftest import hang_up_all_channels
from live import ApiUser, eventually, members, queue_params, route, sql_rows

from standardiste.accounts import Accounts
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.composition import BridgeProcess as Bridge
from standardiste.config import WebSettings
from standardiste.errors import AsteriskRefused
from standardiste.pbx.applier import ConfigApplier
from standardiste.tools import sandbox as sb
from standardiste.tools.demo_config import DEMO_QUEUES, demo_files
from standardiste.tools.sipp import AgentPhone, place_call
from standardiste.web.app import init_app
from standardiste.web.process import web_deps

ALICE = "PJSIP/agent1001"
BOB = "PJSIP/agent1002"
PASSWORD = "a long enough password"
HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
async def site(
    bridge: Bridge, ami: RawAMI, sandbox: sb.SandboxInfo
) -> AsyncIterator[tuple[ApiUser, ApiUser]]:
    """ada (admin) and alice (agent, phone 1001, sales) on the web app of the live bridge."""
    assert bridge.config is not None
    await bridge.config.store.adopt(DEMO_QUEUES, "test")
    accounts = Accounts(bridge.history.store.engine, HASHER)
    await accounts.create_user("ada", PASSWORD, role="admin", display_name="Ada")
    await accounts.create_user(
        "alice", PASSWORD, display_name="Alice", devices=[ALICE], queues={"sales": "agent"}
    )
    await accounts.create_user("bob", PASSWORD, display_name="Bob", devices=[BOB])
    deps = replace(
        web_deps(bridge.settings, bridge.redis, bridge.history.store.engine, web=WebSettings()),
        hasher=HASHER,
    )
    async with TestServer(init_app(deps)) as server:
        base = str(server.make_url(""))
        ada, alice = ApiUser(base, PASSWORD), ApiUser(base, PASSWORD)
        try:
            await ada.login("ada")
            await alice.login("alice")
            yield ada, alice
        finally:
            await ada.http.close()
            await alice.http.close()
            # The shared sandbox gets the demo configuration back (a test may have restarted
            # Asterisk: a connection of its own).
            sb.install_generated(sandbox.root, demo_files().by_name())
            client = await RawAMI.connect(sandbox.ami_host, sandbox.ami_port)
            try:
                await client.action("QueueReload", Parameters="yes", Rules="yes", Members="no")
            finally:
                await client.close()


async def ok(user: ApiUser, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    got, answer = await user.call(method, path, body)
    assert got == status, (method, path, got, answer)
    return answer


@sqlite_only
async def test_a_queue_created_over_the_api_is_live_and_rings_its_agent(
    bridge: Bridge, ami: RawAMI, site: tuple[ApiUser, ApiUser], tmp_path: Path
) -> None:
    ada, alice = site
    settings = {
        "name": "billing",
        "display_name": "Facturation",
        "extension": "5050",
        "strategy": "leastrecent",
        "timeout": 12,
        "wrapuptime": 3,
        "maxwait": 60,
        "servicelevel": 30,
        "weight": 7,
    }
    started = time.monotonic()
    created = await ok(ada, "POST", "/api/v1/admin/queues", settings, 201)
    took = time.monotonic() - started
    print(f"queue created and confirmed live in Asterisk in {took * 1000:.0f} ms")
    assert created["settings"] | settings == created["settings"]
    params = (await queue_params(ami))["billing"]
    assert (params["Strategy"], params["Weight"], params["ServiceLevel"]) == (
        "leastrecent",
        "7",
        "30",
    )
    assert await route(ami, "5050") == "billing"
    assert {"sales", "support"} <= set(await queue_params(ami))  # the others are untouched

    await ok(
        ada,
        "PATCH",
        "/api/v1/admin/users/alice",
        {"queues": [{"name": "billing", "role": "agent"}]},
    )
    done = await ok(alice, "POST", "/api/v1/agents/alice/login", {"queues": ["billing"]})
    assert done["queues"] == ["billing"]
    start = len(ami.messages)
    async with AgentPhone("1001", 5071, answer_delay_s=0.3):
        caller = await place_call("5050", "0655550000", hangup_after_s=4, log_dir=tmp_path)
        try:
            connect = await ami.wait_event("AgentConnect", start=start, timeout=15)
        finally:
            await caller.stop()
    assert (connect["Queue"], connect["Interface"]) == ("billing", ALICE)
    assert connect["CallerIDNum"] == "0655550000"
    # The agents' feature codes work for the new queue too: *21 + its extension from bob's
    # phone logs bob's own endpoint in (Originate stands in for the phone dialling).
    start = len(ami.messages)
    async with AgentPhone("1002", 5072, answer_delay_s=0.1):
        reply = await ami.action(
            "Originate", Channel=BOB, Context="agents", Exten="*215050", Priority="1", Async="true"
        )
        assert reply["Response"] == "Success", reply
        added = await ami.wait_event("QueueMemberAdded", start=start, timeout=10)
    assert (added["Queue"], added["Interface"]) == ("billing", BOB)


@sqlite_only
async def test_a_change_asterisk_does_not_take_is_reported_and_not_stored(
    bridge: Bridge, ami: RawAMI, site: tuple[ApiUser, ApiUser], tmp_path: Path
) -> None:
    """A bridge whose generated files Asterisk does not read (a deployment that forgot the
    #tryinclude, or pointed asterisk.generated_dir elsewhere): the queue is refused with what
    Asterisk reports, and neither stored nor left in the files."""
    ada, _ = site
    assert bridge.config is not None
    elsewhere = tmp_path / "not-read-by-asterisk"
    misplaced = ConfigApplier(
        bridge.config.store,
        AmiCommands(bridge.ami),
        bridge.model,
        generated_dir=elsewhere,
        queue_options="r",
        resync=bridge.resyncer.resync,
        synced=bridge.synced.is_set,
    )
    with pytest.raises(AsteriskRefused) as refused:
        await misplaced.save_queue({"name": "lost", "extension": "5060"}, "ada", create=True)
    assert "queue lost: Asterisk did not load it" in refused.value.message
    assert "extension 5060: Asterisk's dialplan reaches 'no queue'" in refused.value.message
    assert "lost" not in (await queue_params(ami))
    names = [
        q["settings"]["name"] for q in (await ok(ada, "GET", "/api/v1/admin/queues"))["queues"]
    ]
    assert names == ["sales", "support"]
    assert not (elsewhere / "queues.conf").exists()  # the previous state back: no file
    # A queue that exists in Asterisk outside the configuration is not taken over.
    status, body = await ada.call(
        "POST", "/api/v1/admin/queues", {"name": "sales", "extension": "5070"}
    )
    assert (status, body["error"]["code"]) == (409, "conflict")
    # A change Asterisk takes is stored, with who, before and after.
    await ok(ada, "PATCH", "/api/v1/admin/queues/sales", {"strategy": "fewestcalls"})
    assert (await queue_params(ami))["sales"]["Strategy"] == "fewestcalls"
    entry = (await ok(ada, "GET", "/api/v1/admin/audit"))["entries"][0]
    assert (entry["actor"], entry["action"], entry["subject"]) == ("ada", "queue.update", "sales")
    assert (entry["before"]["strategy"], entry["after"]["strategy"]) == ("rrmemory", "fewestcalls")


@sqlite_only
async def test_skill_levels_become_member_penalties(
    bridge: Bridge, ami: RawAMI, site: tuple[ApiUser, ApiUser]
) -> None:
    ada, alice = site
    await ok(ada, "POST", "/api/v1/admin/skills", {"name": "french", "display_name": "French"})
    await ok(
        ada,
        "PATCH",
        "/api/v1/admin/queues/sales",
        {"skill": "french", "skill_min_level": 3, "widen_after": 20},
    )
    # The caller's limit and the widening rule are in Asterisk.
    reply = await ami.action(
        "Getvar", Variable="AST_CONFIG(standardiste/routes.conf,queue-sales,maxpenalty)"
    )
    assert reply["Value"] == "2"
    rule = await ami.action("QueueRule", Rule="standardiste-sales")
    # After 20 s the maximum penalty becomes 5: every assigned agent may ring.
    assert (rule["RuleList"], rule["Rule"]) == ("standardiste-sales", "20,5,+0")

    await ok(alice, "POST", "/api/v1/agents/alice/login", {"queues": ["sales"]})
    await ok(ada, "PATCH", "/api/v1/admin/users/alice", {"skills": {"french": 4}})
    assert (await members(ami))[("sales", ALICE)]["Penalty"] == "1"
    await ok(ada, "PATCH", "/api/v1/admin/users/alice", {"skills": {"french": 2}})
    assert (await members(ami))[("sales", ALICE)]["Penalty"] == "3"
    user = await ok(ada, "GET", "/api/v1/admin/users/alice")
    assert user["skills"] == {"french": 2}
    # A log-in gives the penalty at once (QueueAdd carries it): no first ring at 0.
    await ok(alice, "POST", "/api/v1/agents/alice/logout", {"queues": ["sales"]})
    await ok(alice, "POST", "/api/v1/agents/alice/login", {"queues": ["sales"]})
    assert (await members(ami))[("sales", ALICE)]["Penalty"] == "3"

    # bob logs in from his phone (no penalty given): the bridge sets his within seconds.
    await ok(ada, "PATCH", "/api/v1/admin/users/bob", {"skills": {"french": 5}})
    await ami.action("QueueAdd", Queue="sales", Interface=BOB, Penalty="4")
    await eventually(
        lambda: members(ami), lambda m: m.get(("sales", BOB), {}).get("Penalty") == "0", 10,
        "bob's penalty set from his level",
    )  # fmt: skip


@sqlite_only
async def test_the_weight_decides_which_queue_a_shared_agent_serves_first(
    bridge: Bridge, ami: RawAMI, site: tuple[ApiUser, ApiUser], tmp_path: Path
) -> None:
    """alice is in sales and support, paused; a caller waits in each queue. When she is
    available, the queue with the higher weight rings her first, although its caller came
    second; with the weights swapped, the other one does."""
    ada, _ = site
    for first, favoured in (("5000", "support"), ("5001", "sales")):
        other = "sales" if favoured == "support" else "support"
        await ok(ada, "PATCH", f"/api/v1/admin/queues/{favoured}", {"weight": 10})
        await ok(ada, "PATCH", f"/api/v1/admin/queues/{other}", {"weight": 0})
        for queue in ("sales", "support"):
            await ami.action("QueueAdd", Queue=queue, Interface=ALICE, Paused="true")
        second = "5001" if first == "5000" else "5000"
        calls = []
        async with AgentPhone("1001", 5071, answer_delay_s=20):
            try:
                calls.append(await place_call(first, "0611000001", hangup_after_s=30,
                                              log_dir=tmp_path))  # fmt: skip
                await eventually(
                    lambda: queue_params(ami),
                    lambda p: sum(int(q["Calls"]) for q in p.values()) == 1, 10, "first caller",
                )  # fmt: skip
                await asyncio.sleep(1.0)  # the first caller has clearly waited longer
                calls.append(await place_call(second, "0611000002", hangup_after_s=30,
                                              log_dir=tmp_path))  # fmt: skip
                await eventually(
                    lambda: queue_params(ami),
                    lambda p: sum(int(q["Calls"]) for q in p.values()) == 2, 10, "both callers",
                )  # fmt: skip
                start = len(ami.messages)
                await ami.action("QueuePause", Interface=ALICE, Paused="false")
                called = await ami.wait_event("AgentCalled", start=start, timeout=15)
            finally:
                for call in calls:
                    await call.stop()
        assert called["Queue"] == favoured, (first, favoured, called)
        for queue in ("sales", "support"):
            await ami.action("QueueRemove", Queue=queue, Interface=ALICE)
        await hang_up_all_channels(ami)  # sipp stopped without a BYE
        await eventually(
            lambda: queue_params(ami),
            lambda p: sum(int(q["Calls"]) for q in p.values()) == 0, 15, "callers gone",
        )  # fmt: skip


async def test_a_new_pause_reason_is_what_asterisk_and_the_history_record(
    bridge: Bridge, ami: RawAMI, site: tuple[ApiUser, ApiUser], db_url: str
) -> None:
    ada, alice = site
    reason = {"code": "coaching", "label_en": "Coaching", "label_fr": "Accompagnement"}
    await ok(ada, "POST", "/api/v1/admin/pause-reasons", reason, 201)
    me = await ok(alice, "GET", "/api/v1/me")
    assert "coaching" in me["pause_reasons"]
    await ok(alice, "POST", "/api/v1/agents/alice/login", {"queues": ["sales"]})
    await ok(alice, "POST", "/api/v1/agents/alice/pause", {"reason": "coaching"})
    member = (await members(ami))[("sales", ALICE)]
    assert (member["Paused"], member["PausedReason"]) == ("1", "coaching")
    rows = await eventually(
        lambda: sql_rows(
            db_url, "SELECT reason FROM agent_events WHERE action = 'pause' AND agent = :a", a=ALICE
        ),
        bool, 10, "the pause in the history",
    )  # fmt: skip
    assert rows[-1]["reason"] == "coaching"
    # Retired: no longer offered nor accepted; the history keeps it.
    await ok(ada, "PATCH", "/api/v1/admin/pause-reasons/coaching", {"active": False})
    await ok(alice, "POST", "/api/v1/agents/alice/resume", {})
    status, body = await alice.call("POST", "/api/v1/agents/alice/pause", {"reason": "coaching"})
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    assert "coaching" not in (await ok(alice, "GET", "/api/v1/me"))["pause_reasons"]
    history = await sql_rows(
        db_url, "SELECT reason FROM agent_events WHERE action = 'pause' AND agent = :a", a=ALICE
    )
    assert [r["reason"] for r in history] == ["coaching"]


@sqlite_only
async def test_files_changed_behind_the_bridge_are_put_back_after_an_asterisk_restart(
    bridge: Bridge, ami: RawAMI, site: tuple[ApiUser, ApiUser], sandbox: sb.SandboxInfo
) -> None:
    ada, _ = site
    await ok(ada, "PATCH", "/api/v1/admin/queues/support", {"weight": 3})
    generated = sandbox.root / "etc/asterisk/standardiste/queues.conf"
    text = generated.read_text()
    assert "weight = 3" in text
    generated.write_text(text.replace("weight = 3", "weight = 42"))  # edited by hand
    sb.kill9(sandbox.root)
    sb.start(sandbox.root)
    # Asterisk booted with the hand-edited file; the bridge reconnects, resyncs, reconciles.
    fresh = await RawAMI.connect(sandbox.ami_host, sandbox.ami_port)
    try:
        params = await eventually(
            lambda: queue_params(fresh),
            lambda p: p.get("support", {}).get("Weight") == "3", 30, "stored weight back",
        )  # fmt: skip
        assert params["support"]["Weight"] == "3"
    finally:
        await fresh.close()
    audit = await ok(ada, "GET", "/api/v1/admin/audit")
    report = next(e for e in audit["entries"] if e["action"] == "config.reconcile")
    assert report["actor"] == "bridge"
    # What it found: the file (if it got there first) or Asterisk's weight (if a first pass,
    # during the restart, had rewritten the file but could not reload it).
    assert any("queues.conf" in d or "weight 42" in d for d in report["before"]), report
    summary = await ok(ada, "GET", "/api/v1/admin/summary")
    assert summary["last_reconcile"]["id"] == report["id"]
