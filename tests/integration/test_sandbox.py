"""The sandbox Asterisk boots, the AMI user has exactly the rights the bridge needs, and a real
SIP call goes through the queue to a real (sipp) agent phone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from ami_raw import AMIError, RawAMI

from standardiste.tools import sandbox as sb
from standardiste.tools.sipp import AgentPhone, place_call


def test_asterisk_boots(sandbox: sb.SandboxInfo) -> None:
    status = sb.status(sandbox.root)
    assert status.running and status.pid  # (a crash test may have restarted it: pid differs)
    assert status.version and status.version == sandbox.version
    assert (status.ami_host, status.ami_port) == ("127.0.0.1", 5038)
    assert (status.sip_host, status.sip_port) == ("127.0.0.1", 5060)
    assert "Asterisk" in sb.cli(sandbox.root, "core show version")
    # Only our config is installed: Debian's sample configs are gone. Beside it, the folder of
    # the files the bridge generates (the demo queues' until a bridge rewrites them).
    installed = {p.name for p in (sandbox.root / "etc/asterisk").iterdir()}
    ours = {p.name for p in Path(__file__).parents[2].joinpath("config/asterisk").glob("*.conf")}
    assert installed == ours | {"standardiste"}
    generated = {p.name for p in (sandbox.root / "etc/asterisk/standardiste").iterdir()}
    assert generated == {"queues.conf", "queuerules.conf", "routes.conf"}


async def test_ami_login(ami: RawAMI) -> None:
    assert ami.banner.startswith("Asterisk Call Manager/")
    booted = await ami.wait_event("FullyBooted", timeout=5)
    assert booted["Status"] == "Fully Booted"
    pong = await ami.action("Ping")
    assert pong["Response"] == "Success"


async def test_wrong_secret_refused(sandbox: sb.SandboxInfo) -> None:
    with pytest.raises(AMIError):
        await RawAMI.connect(sandbox.ami_host, sandbox.ami_port, secret="wrong")


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("Command", {"Command": "core show version"}),  # command class
        ("GetConfig", {"Filename": "manager.conf"}),  # config class
        ("UpdateConfig", {"SrcFilename": "manager.conf", "DstFilename": "x.conf"}),
        ("UserEvent", {"UserEvent": "Forged"}),  # user write class
        ("Reload", {}),  # system class
        ("ModuleLoad", {"Module": "app_system.so", "LoadType": "load"}),  # system class
    ],
)
async def test_privileged_actions_refused(ami: RawAMI, action: str, fields: dict[str, str]) -> None:
    resp = await ami.action(action, **fields)
    assert resp["Response"] == "Error"
    assert resp["Message"] == "Permission denied"


@pytest.mark.parametrize(
    ("application", "data"),
    [("System", "touch /tmp/pwned"), ("Exec", "System(id)"), ("NoOp", "${SHELL(id)}")],
)
async def test_originate_shell_escapes_refused(ami: RawAMI, application: str, data: str) -> None:
    resp = await ami.action(
        "Originate", Channel="Local/1001@agents", Application=application, Data=data, Async="true"
    )
    assert resp["Response"] == "Error"
    assert "Forbidden" in resp["Message"]


async def test_dangerous_functions_refused(ami: RawAMI) -> None:
    setvar = await ami.action("Setvar", Variable="FILE(/tmp/pwned)", Value="x")
    assert setvar["Response"] == "Error"
    getvar = await ami.action("Getvar", Variable="SHELL(id)")
    assert getvar["Response"] == "Error"


async def test_bridge_actions_allowed(ami: RawAMI) -> None:
    for action in ("QueueStatus", "QueueSummary", "CoreShowChannels", "DeviceStateList"):
        msgs = await ami.action_list(action)
        assert msgs[0]["Response"] == "Success", (action, msgs[0])
        assert msgs[-1].get("EventList") == "Complete", (action, msgs[-1])
    iface = "PJSIP/agent1004"
    start = len(ami.messages)
    add = await ami.action("QueueAdd", Queue="support", Interface=iface, MemberName="Agent 1004")
    assert add["Response"] == "Success", add
    await ami.wait_event("QueueMemberAdded", start=start, Queue="support", Interface=iface)
    pause = await ami.action(
        "QueuePause", Queue="support", Interface=iface, Paused="true", Reason="lunch"
    )
    assert pause["Response"] == "Success", pause
    ev = await ami.wait_event("QueueMemberPause", start=start, Interface=iface, Paused="1")
    assert ev["PausedReason"] == "lunch"
    unpause = await ami.action("QueuePause", Queue="support", Interface=iface, Paused="false")
    assert unpause["Response"] == "Success", unpause
    remove = await ami.action("QueueRemove", Queue="support", Interface=iface)
    assert remove["Response"] == "Success", remove
    await ami.wait_event("QueueMemberRemoved", start=start, Queue="support", Interface=iface)


async def test_originate_redirect_hangup(ami: RawAMI) -> None:
    async with AgentPhone("1002", 5072, answer_delay_s=0.2) as phone:
        start = len(ami.messages)
        resp = await ami.action(
            "Originate",
            Channel="PJSIP/agent1002",
            Application="Echo",
            Async="true",
            CallerID="Standardiste <9999>",
        )
        assert resp["Response"] == "Success", resp
        orig = await ami.wait_event("OriginateResponse", start=start, timeout=10)
        assert orig["Response"] == "Success", orig
        channel = orig["Channel"]
        assert channel.startswith("PJSIP/agent1002-")
        redirect = await ami.action(
            "Redirect", Channel=channel, Context="supervisors", Exten="*43", Priority="1"
        )
        assert redirect["Response"] == "Success", redirect
        hangup = await ami.action("Hangup", Channel=channel)
        assert hangup["Response"] == "Success", hangup
        await ami.wait_event("Hangup", start=start, Channel=channel)
        await phone.wait_outcome("REMOTE_BYE", timeout=5)


async def test_caller_waits_in_queue_then_abandons(ami: RawAMI) -> None:
    start = len(ami.messages)
    call = await place_call("5000", "0612345678", hangup_after_s=4)
    try:
        join = await ami.wait_event("QueueCallerJoin", start=start, Queue="sales", timeout=10)
        assert join["CallerIDNum"] == "0612345678"
        status = await ami.action_list("QueueStatus", Queue="sales")
        entries = [m for m in status if m.get("Event") == "QueueEntry"]
        assert [e["CallerIDNum"] for e in entries] == ["0612345678"]
        assert entries[0]["Channel"] == join["Channel"]
        abandon = await ami.wait_event(
            "QueueCallerAbandon", start=start, Channel=join["Channel"], timeout=10
        )
        assert abandon["Queue"] == "sales"
        result = await call.wait_result(timeout=10)
    finally:
        await call.stop()
    assert result.returncode == 0, call.errors()
    assert result.ended_by == "local"
    call.cleanup_logs()


async def test_agent_answers_queue_call(ami: RawAMI) -> None:
    async with AgentPhone("1001", 5071, answer_delay_s=0.5) as phone:
        start = len(ami.messages)
        resp = await ami.action(
            "QueueAdd", Queue="sales", Interface="PJSIP/agent1001", MemberName="Agent 1001"
        )
        assert resp["Response"] == "Success", resp
        call = await place_call("5000", "0698765432", hangup_after_s=4)
        try:
            called = await ami.wait_event("AgentCalled", start=start, timeout=10)
            assert called["Interface"] == "PJSIP/agent1001"
            assert called["CallerIDNum"] == "0698765432"
            connect = await ami.wait_event("AgentConnect", start=start, timeout=10)
            assert connect["Queue"] == "sales"
            assert connect["Interface"] == "PJSIP/agent1001"
            assert connect["DestChannel"].startswith("PJSIP/agent1001-")
            complete = await ami.wait_event("AgentComplete", start=start, timeout=10)
            assert complete["Reason"] == "caller"
            result = await call.wait_result(timeout=10)
        finally:
            await call.stop()
        assert result.returncode == 0, call.errors()
        assert result.answered and result.ended_by == "local"
        call.cleanup_logs()
        await phone.wait_outcome("REMOTE_BYE", timeout=5)
        assert phone.count("ANSWERED") == 1


async def test_agent_hangs_up_first(ami: RawAMI) -> None:
    async with AgentPhone("1003", 5073, answer_delay_s=0.2, hangup_after_s=1.5) as phone:
        start = len(ami.messages)
        await ami.action("QueueAdd", Queue="support", Interface="PJSIP/agent1003")
        call = await place_call("5001", "0600000001", hangup_after_s=20)
        try:
            complete = await ami.wait_event("AgentComplete", start=start, timeout=15)
            assert complete["Reason"] == "agent"
            assert complete["Interface"] == "PJSIP/agent1003"
            result = await call.wait_result(timeout=10)
        finally:
            await call.stop()
        assert result.returncode == 0, call.errors()
        assert result.ended_by == "remote"
        call.cleanup_logs()
        assert phone.count("LOCAL_BYE") == 1


async def test_caller_abandons_while_agent_rings(ami: RawAMI) -> None:
    async with AgentPhone("1004", 5074, answer_delay_s=10) as phone:
        start = len(ami.messages)
        await ami.action("QueueAdd", Queue="support", Interface="PJSIP/agent1004")
        call = await place_call("5001", "0600000002", hangup_after_s=2)
        try:
            await ami.wait_event("AgentCalled", start=start, timeout=10)
            await ami.wait_event("QueueCallerAbandon", start=start, timeout=10)
            result = await call.wait_result(timeout=10)
        finally:
            await call.stop()
        assert result.returncode == 0, call.errors()
        call.cleanup_logs()
        await phone.wait_outcome("CANCELLED", timeout=5)
        assert phone.count("ANSWERED") == 0


async def test_agent_feature_codes(ami: RawAMI) -> None:
    """*215000 logs the dialing phone's own endpoint into the queue whose extension is 5000
    (sales), *235000 pauses it there (reason "phone").
    Originate stands in for the phone dialing (it runs the code on the agent's channel)."""
    async with AgentPhone("1002", 5072, answer_delay_s=0.1):
        start = len(ami.messages)
        for code, event in (("*215000", "QueueMemberAdded"), ("*235000", "QueueMemberPause")):
            resp = await ami.action(
                "Originate",
                Channel="PJSIP/agent1002",
                Context="agents",
                Exten=code,
                Priority="1",
                Async="true",
            )
            assert resp["Response"] == "Success", resp
            await ami.wait_event(event, start=start, timeout=10)
        added = await ami.wait_event("QueueMemberAdded", start=start)
        assert (added["Queue"], added["Interface"]) == ("sales", "PJSIP/agent1002")
        paused = await ami.wait_event("QueueMemberPause", start=start)
        assert (paused["Paused"], paused["PausedReason"]) == ("1", "phone")


async def test_supervisor_whispers_to_agent(ami: RawAMI) -> None:
    async with (
        AgentPhone("1001", 5071, answer_delay_s=0.2),
        AgentPhone("2001", 5081, answer_delay_s=0.2) as supervisor,
    ):
        start = len(ami.messages)
        await ami.action("QueueAdd", Queue="sales", Interface="PJSIP/agent1001")
        call = await place_call("5000", "0611112222", hangup_after_s=5)
        try:
            connect = await ami.wait_event("AgentConnect", start=start, timeout=10)
            resp = await ami.action(
                "Originate",
                Channel="PJSIP/sup2001",
                Context="supervisors",
                Exten="*321001",
                Priority="1",
                Async="true",
            )
            assert resp["Response"] == "Success", resp
            spy = await ami.wait_event("ChanSpyStart", start=start, timeout=10)
            assert spy["SpyeeChannel"] == connect["DestChannel"]
            assert spy["SpyerChannel"].startswith("PJSIP/sup2001-")
            await ami.wait_event("ChanSpyStop", start=start, timeout=15)
            result = await call.wait_result(timeout=10)
        finally:
            await call.stop()
        assert result.returncode == 0, call.errors()
        call.cleanup_logs()
        await supervisor.wait_outcome("REMOTE_BYE", timeout=5)


async def test_sipp_processes_are_reaped() -> None:
    phone = AgentPhone("1003", 5073)
    await phone.start()
    assert phone.running
    code = await phone.stop()
    assert code is not None and not phone.running
    phone.cleanup_logs()
    await asyncio.sleep(0)
