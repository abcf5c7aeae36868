"""Record raw AMI transcripts from the real sandbox Asterisk.

    sudo .venv/bin/python tests/transcripts/record.py [scenario ...]

For each scenario, writes ``<name>.ami`` (every byte Asterisk sent to one AMI session logged in
as ``standardiste`` with ``Events: on``, banner included) and ``<name>.md`` (what happened, the
actions the recorder sent, and the event order observed). Scenarios: answered, abandoned,
timeout, pause, resync, restart, hold, callback (which runs a bridge in the recorder's
process: the callback's FastAGI scripts and placeholder are the bridge's; it needs Redis on
127.0.0.1:6379). Needs root (the sandbox is a chroot). The sandbox is
brought up fresh (config/asterisk/, astdb reset) and down again at the end unless it was
already running.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO))

from ami_raw import AMIError, Message, RawAMI  # noqa: E402

from standardiste.composition import bridge_from_settings  # noqa: E402
from standardiste.config import Settings  # noqa: E402
from standardiste.redis_keys import RedisKeys  # noqa: E402
from standardiste.tools import sandbox as sb  # noqa: E402
from standardiste.tools.demo_config import DEMO_QUEUES, demo_files  # noqa: E402
from standardiste.tools.sipp import AgentPhone, Call, Hold, place_call  # noqa: E402

CONFIG_DIR = REPO / "config" / "asterisk"
# Events too chatty to list in the .md order summaries (they stay in the .ami files).
QUIET = {"DeviceStateChange", "NewConnectedLine", "DialState", "NewCallerid"}
SUMMARY_KEYS = ("Channel", "DestChannel", "Queue", "Interface", "Reason", "Status", "Paused")


@dataclass
class Recording:
    name: str
    title: str
    ami: RawAMI
    actions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra_raw: list[tuple[str, bytes]] = field(default_factory=list)  # later sessions

    async def act(self, action: str, action_id: str | None = None, **fields: str) -> Message:
        aid = action_id or f"{self.name}-{len(self.actions) + 1}"
        shown = ", ".join(f"{k}={v}" for k, v in fields.items())
        self.actions.append(f"`{action}` (ActionID `{aid}`){': ' + shown if shown else ''}")
        return await self.ami.action(action, ActionID=aid, **fields)

    async def act_list(self, action: str, action_id: str, **fields: str) -> list[Message]:
        shown = ", ".join(f"{k}={v}" for k, v in fields.items())
        self.actions.append(f"`{action}` (ActionID `{action_id}`){': ' + shown if shown else ''}")
        return await self.ami.action_list(action, ActionID=action_id, **fields)


def fmt(msg: Message) -> str:
    name = msg.get("Event") or f"Response: {msg.get('Response')}"
    if name == "UserEvent":
        name = f"UserEvent({msg.get('UserEvent')})"
    details = [f"{k}={msg[k]}" for k in SUMMARY_KEYS if k in msg]
    aid = msg.get("ActionID")
    if aid:
        details.append(f"ActionID={aid}")
    return f"{name} " + " ".join(details) if details else name


def order(messages: list[Message], *, quiet: bool = True) -> list[str]:
    """One line per message; QUIET events are left out unless they answer an action."""
    return [
        fmt(m) for m in messages if not (quiet and m.get("Event") in QUIET and "ActionID" not in m)
    ]


def first_index(messages: list[Message], event: str, **match: str) -> int | None:
    for i, m in enumerate(messages):
        if m.get("Event") == event and all(m.get(k) == v for k, v in match.items()):
            return i
    return None


def before(messages: list[Message], a: str, b: str) -> str:
    ia, ib = first_index(messages, a), first_index(messages, b)
    if ia is None or ib is None:
        state = {a: ia, b: ib}
        return ", ".join(f"{k} {'absent' if v is None else 'present'}" for k, v in state.items())
    return f"{a} came {'BEFORE' if ia < ib else 'AFTER'} {b}"


async def settle(seconds: float = 1.0) -> None:
    await asyncio.sleep(seconds)


async def finish_call(call: Call) -> None:
    try:
        await call.wait_result(timeout=60)
    finally:
        await call.stop()  # logs kept until the scenario has read the outcomes


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


async def sc_answered(rec: Recording) -> None:
    async with AgentPhone("1001", 5071, answer_delay_s=1.0) as phone:
        await rec.act(
            "QueueAdd", Queue="sales", Interface="PJSIP/agent1001", MemberName="Agent 1001"
        )
        await settle(0.3)
        # Join ~0.5 s after the 200 OK (Answer waits for media), ring 1 s, talk ~3 s.
        call = await place_call("5000", "0611111111", hangup_after_s=4.5)
        await finish_call(call)
        await settle(1.0)
        rec.notes.append(f"Caller sipp outcomes: {[o.outcome for o in call.outcomes()]}")
        rec.notes.append(f"Agent phone outcomes: {[o.outcome for o in phone.outcomes()]}")
        call.cleanup_logs()
    await rec.act("QueueRemove", Queue="sales", Interface="PJSIP/agent1001")
    await settle(0.3)
    m = rec.ami.messages
    rec.notes += [
        before(m, "AgentCalled", "AgentConnect"),
        before(m, "QueueCallerLeave", "AgentConnect"),
        before(m, "AgentConnect", "BridgeEnter"),
        before(m, "DialEnd", "QueueCallerLeave"),
        before(m, "AgentComplete", "Hangup"),
        before(m, "AgentComplete", "BridgeLeave"),
    ]
    complete = next((x for x in m if x.get("Event") == "AgentComplete"), None)
    if complete:
        rec.notes.append(
            f"AgentComplete Reason={complete.get('Reason')} HoldTime={complete.get('HoldTime')}"
            f" TalkTime={complete.get('TalkTime')}"
        )


async def sc_hold(rec: Recording) -> None:
    # The caller is answered by the queue at once, the agent ~1.5 s later: the agent's hold
    # (~2.5 s to ~5.5 s) and the caller's (4 s to 7 s) overlap.
    async with AgentPhone("1001", 5071, answer_delay_s=1.0, hold=Hold(1.0, 3.0)) as phone:
        await rec.act(
            "QueueAdd", Queue="sales", Interface="PJSIP/agent1001", MemberName="Agent 1001"
        )
        await settle(0.3)
        call = await place_call("5000", "0666666666", hangup_after_s=2.0, hold=Hold(4.0, 3.0))
        await finish_call(call)
        await settle(1.0)
        rec.notes.append(f"Caller sipp outcomes: {[o.outcome for o in call.outcomes()]}")
        rec.notes.append(f"Agent phone outcomes: {[o.outcome for o in phone.outcomes()]}")
        call.cleanup_logs()
    await rec.act("QueueRemove", Queue="sales", Interface="PJSIP/agent1001")
    await settle(0.3)
    for msg in rec.ami.messages:
        if msg.get("Event") in ("Hold", "Unhold"):
            fields = ("Channel", "Uniqueid", "Linkedid", "MusicClass", "ChannelStateDesc")
            shown = " ".join(f"{k}={msg[k]}" for k in fields if k in msg)
            rec.notes.append(f"{msg['Event']} at {msg.get('Timestamp')}: {shown}")
    complete = next((x for x in rec.ami.messages if x.get("Event") == "AgentComplete"), None)
    if complete:
        rec.notes.append(
            f"AgentComplete HoldTime={complete.get('HoldTime')} (the wait in queue) "
            f"TalkTime={complete.get('TalkTime')}"
        )


async def sc_callback(rec: Recording) -> None:
    # A bridge of our own serves the FastAGI scripts and places the placeholder.
    base = Settings()
    tmp = Path(tempfile.mkdtemp(prefix="record-callback-"))
    settings = replace(
        base,
        redis=replace(base.redis, prefix=f"record:{uuid.uuid4().hex[:8]}:"),
        database=replace(
            base.database,
            url=f"sqlite+aiosqlite:///{tmp / 'history.sqlite3'}",
            buffer_path=tmp / "buffer.jsonl",
        ),
        asterisk=replace(base.asterisk, queue_log_enabled=False),
    )
    root = settings.sandbox.root
    async with bridge_from_settings(settings) as bridge:
        await bridge.wait_synced()
        assert bridge.config is not None
        try:
            await bridge.config.store.adopt(DEMO_QUEUES, "recorder")
            await bridge.config.save_queue(
                {"name": "sales", "callback": True, "callback_threshold": 0},
                "recorder",
                create=False,
            )
            await rec.act(
                "QueueAdd", Queue="sales", Interface="PJSIP/agent1001",
                MemberName="Agent 1001", Paused="true",
            )  # fmt: skip
            async with (
                AgentPhone("1001", 5071, answer_delay_s=1.0) as phone,
                AgentPhone(
                    "customer", 5090, host="127.0.0.2", answer_delay_s=1.0, hangup_after_s=3.0
                ) as customer,
            ):
                call = await place_call("5000", "0612345670", hangup_after_s=40, keys=[(9.0, "5")])
                await finish_call(call)
                await settle(1.0)
                await rec.act(
                    "QueuePause", Queue="sales", Interface="PJSIP/agent1001", Paused="false"
                )
                await customer.wait_outcome("LOCAL_BYE", timeout=30)
                await settle(2.0)
                rec.notes.append(f"Caller sipp outcomes: {[o.outcome for o in call.outcomes()]}")
                rec.notes.append(f"Agent phone outcomes: {[o.outcome for o in phone.outcomes()]}")
                rec.notes.append(
                    f"Customer phone outcomes: {[o.outcome for o in customer.outcomes()]}"
                )
                call.cleanup_logs()
            await rec.act("QueueRemove", Queue="sales", Interface="PJSIP/agent1001")
            await settle(0.3)
        finally:
            sb.install_generated(root, demo_files().by_name())
            await rec.ami.action("QueueReload", Parameters="yes", Rules="yes", Members="no")
            await bridge.redis.delete(*RedisKeys(settings.redis.prefix).all())
    m = rec.ami.messages
    steps = [
        f"{x.get('Step')}{'/' + x['Status'] if x.get('Status') else ''} on {x.get('Channel')}"
        for x in m
        if x.get("Event") == "UserEvent" and x.get("UserEvent") == "Callback"
    ]
    rec.notes.append(f"UserEvent(Callback) steps: {steps}")
    joins = [
        (x.get("Uniqueid"), x.get("Position")) for x in m if x.get("Event") == "QueueCallerJoin"
    ]
    rec.notes.append(f"QueueCallerJoin (uniqueid, position): {joins}")
    calling = first_index(m, "UserEvent", UserEvent="Callback", Step="calling")
    connect = first_index(m, "AgentConnect")
    if calling is not None and connect is not None:
        rec.notes.append(
            f"UserEvent(Callback) calling came {'BEFORE' if calling < connect else 'AFTER'} "
            "AgentConnect"
        )


async def sc_abandoned(rec: Recording) -> None:
    call = await place_call("5000", "0622222222", hangup_after_s=3.0)
    await finish_call(call)
    await settle(1.0)
    rec.notes.append(f"Caller sipp outcomes: {[o.outcome for o in call.outcomes()]}")
    call.cleanup_logs()
    m = rec.ami.messages
    rec.notes += [
        before(m, "QueueCallerAbandon", "QueueCallerLeave"),
        before(m, "QueueCallerLeave", "Hangup"),
        "UserEvent(QueueExit) "
        + ("present" if first_index(m, "UserEvent") is not None else "absent")
        + " (the caller hung up inside Queue(): the dialplan does not continue)",
    ]


async def sc_timeout(rec: Recording) -> None:
    call = await place_call("5009", "0633333333", hangup_after_s=30.0)
    await finish_call(call)
    await settle(1.0)
    rec.notes.append(
        f"Caller sipp outcomes: {[o.outcome for o in call.outcomes()]} (REMOTE_BYE: Asterisk "
        "hung up after the 8 s max wait)"
    )
    call.cleanup_logs()
    m = rec.ami.messages
    rec.notes += [
        before(m, "QueueCallerLeave", "UserEvent"),
        before(m, "UserEvent", "Hangup"),
        "QueueCallerAbandon "
        + ("present" if first_index(m, "QueueCallerAbandon") is not None else "absent"),
    ]
    ue = next((x for x in m if x.get("Event") == "UserEvent"), None)
    if ue:
        rec.notes.append(
            f"UserEvent fields: UserEvent={ue.get('UserEvent')} Queue={ue.get('Queue')}"
            f" Status={ue.get('Status')}"
        )
    join = first_index(m, "QueueCallerJoin")
    leave = first_index(m, "QueueCallerLeave")
    if join is not None and leave is not None:
        wait = float(m[leave]["Timestamp"]) - float(m[join]["Timestamp"])
        rec.notes.append(f"QueueCallerJoin -> QueueCallerLeave: {wait:.2f} s")


async def sc_pause(rec: Recording) -> None:
    iface = "PJSIP/agent1002"
    await rec.act("QueueAdd", Queue="sales", Interface=iface, MemberName="Agent 1002")
    await settle(0.3)
    await rec.act("QueuePause", Queue="sales", Interface=iface, Paused="true", Reason="lunch")
    await settle(0.3)
    await rec.act("QueuePause", Queue="sales", Interface=iface, Paused="false")
    await settle(0.3)
    await rec.act("QueueRemove", Queue="sales", Interface=iface)
    await settle(0.5)
    msgs = rec.ami.messages
    events = [i for i, x in enumerate(msgs) if x.get("Event") == "QueueMemberPause"]
    for aid, ev in zip((f"{rec.name}-3", f"{rec.name}-4"), events, strict=False):
        resp = next(i for i, x in enumerate(msgs) if x.get("ActionID") == aid)
        p = msgs[ev]
        rec.notes.append(
            f"QueueMemberPause Paused={p.get('Paused')} PausedReason={p.get('PausedReason')!r}"
            f" Status={p.get('Status')}: the event came "
            f"{'AFTER' if ev > resp else 'BEFORE'} the Response to {aid}"
        )


async def sc_resync(rec: Recording) -> None:
    async with AgentPhone("1001", 5071, answer_delay_s=0.5) as phone:
        await rec.act(
            "QueueAdd", Queue="sales", Interface="PJSIP/agent1001", MemberName="Agent 1001"
        )
        await settle(0.3)
        talking = await place_call("5000", "0644444444", hangup_after_s=60)
        await rec.ami.wait_event("AgentConnect", timeout=15)
        waiting = await place_call("5000", "0655555555", hangup_after_s=60)
        await rec.ami.wait_event("QueueCallerJoin", CallerIDNum="0655555555", timeout=15)
        await settle(0.5)
        for action in ("QueueStatus", "CoreShowChannels", "DeviceStateList", "QueueSummary"):
            await rec.act_list(action, f"resync-{action}")
        await settle(0.3)
        # Clean up: hang both callers up from AMI.
        for m in list(rec.ami.messages):
            if m.get("Event") == "CoreShowChannel" and m.get("Channel", "").startswith(
                "PJSIP/pstn"
            ):
                await rec.act("Hangup", Channel=m["Channel"])
        for c in (talking, waiting):
            await finish_call(c)
            c.cleanup_logs()
        await settle(1.0)
        rec.notes.append(f"Agent phone outcomes: {[o.outcome for o in phone.outcomes()]}")
    await rec.act("QueueRemove", Queue="sales", Interface="PJSIP/agent1001")
    await settle(0.3)
    for action in ("QueueStatus", "CoreShowChannels", "DeviceStateList", "QueueSummary"):
        aid = f"resync-{action}"
        msgs = [m for m in rec.ami.messages if m.get("ActionID") == aid]
        kinds = sorted({m.get("Event", "Response") for m in msgs})
        rec.notes.append(f"{action}: {len(msgs)} messages ({', '.join(kinds)})")


async def sc_restart(rec: Recording, root: Path) -> None:
    await rec.act("QueueAdd", Queue="support", Interface="PJSIP/agent1003", MemberName="Agent 1003")
    await settle(0.3)
    t_kill = time.monotonic()
    pid = sb.kill9(root)
    rec.actions.append(f"(sandbox) kill9: SIGKILL asterisk pid {pid}")
    await asyncio.wait_for(rec.ami.closed.wait(), 5)
    rec.notes.append(
        f"Session 1 ended with EOF {time.monotonic() - t_kill:.3f} s after SIGKILL, "
        f"after {len(rec.ami.raw)} bytes."
    )
    await rec.ami.close()
    # Restart in a thread while the client keeps trying to reconnect every 50 ms, as the
    # bridge would: the first session that gets in shows what a client sees during boot.
    starter = asyncio.create_task(asyncio.to_thread(sb.start, root))
    rec.actions.append("(sandbox) start: asterisk -F in the chroot, in parallel with reconnects")
    attempts = 0
    second: RawAMI | None = None
    while second is None:
        attempts += 1
        try:
            second = await RawAMI.connect(action_id=f"{rec.name}-relogin", timeout=5)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, AMIError) as exc:
            if attempts > 400:
                raise RuntimeError(f"could not reconnect: {exc}") from exc
            await asyncio.sleep(0.05)
    rec.actions.append(
        f"Login (ActionID `{rec.name}-relogin`) after {attempts} connection attempt(s)"
    )
    info = await starter
    rec.notes.append(
        f"Reconnected after {attempts} attempts; asterisk FullyBooted {info.boot_seconds:.3f} s "
        "after start"
    )
    try:
        await second.wait_event("FullyBooted", timeout=10)
        rec.ami = second
        members = await rec.act_list("QueueStatus", f"{rec.name}-queuestatus", Queue="support")
        persisted = [m.get("Location") for m in members if m.get("Event") == "QueueMember"]
        rec.notes.append(f"Members of support after restart (persistentmembers=yes): {persisted}")
        await rec.act("QueueRemove", Queue="support", Interface="PJSIP/agent1003")
        await settle(0.3)
        first = [m.get("Event") or f"Response: {m.get('Response')}" for m in second.messages[:4]]
        rec.notes.append(f"Session 2 begins: banner {second.banner!r}, then {first}")
    finally:
        await second.close()


# --------------------------------------------------------------------------------------------


DESCRIPTIONS = {
    "answered": "agent1001 (sipp UAS on 127.0.0.1:5071, answers after 1 s) is logged into "
    "`sales` with QueueAdd; a caller (sipp UAC from 127.0.0.2, caller number 0611111111) dials "
    "5000, the agent answers, they talk ~3 s, the caller hangs up (BYE). Then QueueRemove.",
    "abandoned": "No agent logged in. A caller (0622222222) dials 5000 (sales) and hangs up "
    "after ~3 s in the queue.",
    "timeout": "No agent logged in. A caller (0633333333) dials 5009 (support, max wait 8 s) "
    "and stays: Queue() returns TIMEOUT, the dialplan emits UserEvent(QueueExit) and hangs up.",
    "pause": "QueueAdd agent1002 to sales, QueuePause Paused=true Reason=lunch, QueuePause "
    "Paused=false, QueueRemove (no phone needed).",
    "resync": "agent1001 logged into sales and talking to caller 0644444444; caller 0655555555 "
    "waiting in sales. The recorder sends the resync actions QueueStatus, CoreShowChannels, "
    "DeviceStateList, QueueSummary (ActionIDs `resync-<Action>`), then hangs both callers up "
    "with AMI Hangup and logs the agent out.",
    "hold": "agent1001 (answers after 1 s) is logged into `sales`; a caller (0666666666) dials "
    "5000. 1 s after answering, the agent's phone puts the call on hold (re-INVITE a=sendonly) "
    "for 3 s (then a=sendrecv); 4 s after the queue answered it, the caller's phone does the "
    "same for 3 s (the two holds overlap), then the caller hangs up 2 s later. Then "
    "QueueRemove.",
    "callback": "sales offers callbacks (threshold 0 s) and agent1001 is logged in paused. A "
    "caller (0612345670) dials 5000, hears the offer and presses 5 about 9 s after the answer "
    "(in the queue): the bridge (in the recorder's process) stores the request and originates "
    "the placeholder Local/<id>@standardiste-callback-place/n (uniqueids cbh-<id>, cb-<id>) "
    "at the caller's position; the caller hears the confirmation and is hung up on. Then the "
    "agent is unpaused: she answers the placeholder, the customer's phone (127.0.0.2:5090) "
    "rings, answers after 1 s and hangs up 3 s later.",
    "restart": "agent1003 is added to support; the sandbox Asterisk is SIGKILLed (kill9) and "
    "started again (start) while the recorder reconnects every 50 ms. The file is session 1 "
    "(up to the EOF caused by the kill) followed by session 2 (banner, login response, "
    "FullyBooted, ...): split it at the second `Asterisk Call Manager/` banner line.",
}

# What the recordings on Asterisk 22.10.1 taught us (checked by hand; re-check on upgrades).
LESSONS = {
    "answered": [
        "Order: QueueCallerJoin, AgentCalled, DialBegin, (ringing) DialEnd, QueueCallerLeave, "
        "AgentConnect, BridgeCreate, BridgeEnter (agent), BridgeEnter (caller).",
        "QueueMemberStatus Status=2 (in use) lands either just before or just after "
        "AgentConnect (seen both ways): do not rely on its position.",
        "On completion: HangupRequest (caller), AgentComplete Reason=caller, BridgeLeave, "
        "Hangup events, QueueMemberStatus Status=1. AgentComplete comes BEFORE both Hangup "
        "events; Reason is `caller` or `agent` (who hung up first) or `transfer`.",
        "No UserEvent(QueueExit) on an answered call: Queue() does not return to the dialplan "
        "when the caller hangs up.",
    ],
    "abandoned": [
        "QueueCallerAbandon comes BEFORE QueueCallerLeave (both after HangupRequest), then "
        "Hangup. No UserEvent(QueueExit): the dialplan ends inside Queue().",
    ],
    "timeout": [
        "TRAP: Asterisk ALSO sends QueueCallerAbandon on a max-wait timeout (with "
        "HoldTime = the max wait), before QueueCallerLeave. Only what follows tells them apart: "
        "UserEvent(QueueExit) Status=TIMEOUT arrives right after QueueCallerLeave and before "
        "the Hangup; queue_log says EXITWITHTIMEOUT (not ABANDON). A bridge must hold an "
        "abandon until the channel's Hangup and reclassify it if a QueueExit TIMEOUT came.",
    ],
    "pause": [
        "Each action's Response comes BEFORE its QueueMemberAdded/Pause/Removed event. "
        "QueueMemberPause carries Paused=1 PausedReason=lunch, then Paused=0 with an empty "
        "PausedReason. queue_log: PAUSE|lunch and UNPAUSE|.",
    ],
    "resync": [
        "Every list action answers Response (EventList: start), its items, then a "
        "*Complete event, all carrying the ActionID; unrelated live events may interleave.",
        "QueueStatus lists QueueParams per queue, then QueueMember and QueueEntry items of "
        "that queue. DeviceStateList lists DeviceStateChange items (the same event name as "
        "the live event, distinguished by the ActionID).",
    ],
    "hold": [
        "A phone's re-INVITE with a=sendonly raises `Hold` (with MusicClass) on that phone's "
        "own channel, a=sendrecv raises `Unhold` on it; nothing on the other leg (which hears "
        "the music). Each leg is reported on its own: the two holds overlap here.",
        "The device state is the held side's: PJSIP/agent1001 turned ONHOLD (QueueMemberStatus "
        "Status=8) when the CALLER held, and stayed INUSE while only the agent held.",
        "AgentComplete's HoldTime is the wait in the queue, and its TalkTime includes the hold; "
        "queue_log has no hold line. Hold time comes only from Hold/Unhold.",
    ],
    "callback": [
        "The caller's key makes Queue() publish QueueCallerLeave (no QueueCallerAbandon, no "
        "QueueExit: the dialplan goes on in the key's context); queue_log says EXITWITHKEY.",
        "The placeholder's channels carry the uniqueids the bridge chose (ChannelId "
        "cbh-<id> for ;1, OtherChannelId cb-<id> for ;2): QueueCallerJoin of cb-<id> with "
        "CallerIDName Callback and the customer's digits, at the position asked.",
        "When the agent answers: UserEvent(Callback) calling (the ;1 half, redirected by the "
        "agent's gosub) comes BEFORE AgentConnect for cb-<id> (app_queue runs the gosub, then "
        "publishes AgentConnect); then connected (Dial's U() gosub, on the customer's leg) "
        "and, when the customer hangs up, ended Status=ANSWER (the ;1 half's hang-up "
        "handler), then AgentComplete Reason=caller. Statuses must be applied forward-only.",
        "The customer's Local/<digits>@standardiste-dial-out optimises itself away (a "
        "LocalOptimizationBegin/End): PJSIP/pstn ends up bridged with the placeholder's ;1.",
    ],
    "restart": [
        "After SIGKILL the client sees a plain EOF (no Shutdown event). Reconnecting while "
        "Asterisk boots is refused until AMI listens; the first session that gets in saw the "
        "banner, the Login response, then FullyBooted at once (boot ~0.25 s in the sandbox).",
        "Dynamic members come back (persistentmembers=yes) without any QueueMemberAdded "
        "event: only a QueueStatus after reconnect shows them.",
    ],
}

Scenario = Callable[[Recording], Awaitable[None]]


def queue_log_size(root: Path) -> int:
    try:
        return (root / "var/log/asterisk/queue_log").stat().st_size
    except OSError:
        return 0


def queue_log_since(root: Path, offset: int) -> list[str]:
    try:
        with (root / "var/log/asterisk/queue_log").open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace").splitlines()
    except OSError:
        return []


async def record(name: str, root: Path, out_dir: Path) -> None:
    qlog_start = queue_log_size(root)
    ami = await RawAMI.connect(action_id=f"{name}-login")
    rec = Recording(name, name, ami)
    rec.actions.append(f"Login (ActionID `{name}-login`): Username=standardiste, Events=on")
    first_session = ami
    try:
        if name == "restart":
            await sc_restart(rec, root)
        else:
            scenarios: dict[str, Scenario] = {
                "answered": sc_answered,
                "abandoned": sc_abandoned,
                "timeout": sc_timeout,
                "pause": sc_pause,
                "resync": sc_resync,
                "hold": sc_hold,
                "callback": sc_callback,
            }
            await scenarios[name](rec)
    finally:
        await first_session.close()
        if rec.ami is not first_session:
            await rec.ami.close()
    raw = bytes(first_session.raw)
    messages = list(first_session.messages)
    if rec.ami is not first_session:
        raw += bytes(rec.ami.raw)
        messages += rec.ami.messages
    (out_dir / f"{name}.ami").write_bytes(raw)
    version = sb.read_version(root) or "?"
    qlog = queue_log_since(root, qlog_start)
    write_md(out_dir / f"{name}.md", rec, messages, len(first_session.raw), version, qlog)
    print(f"{name}: {len(raw)} bytes, {len(messages)} messages")


def write_md(
    path: Path,
    rec: Recording,
    messages: list[Message],
    first_len: int,
    version: str,
    qlog: list[str],
) -> None:
    lines = [
        f"# AMI transcript: {rec.name}",
        "",
        f"Recorded by `tests/transcripts/record.py` against Asterisk "
        f"{version} (sandbox, config/asterisk/).",
        f"Raw bytes: `{rec.name}.ami` (one AMI session, `standardiste` user, `Events: on`"
        + (f"; session 1 is bytes 0..{first_len - 1}" if rec.name == "restart" else "")
        + ").",
        "",
        "## What happened",
        "",
        DESCRIPTIONS[rec.name],
        "",
        "## Actions the recorder sent",
        "",
        *[f"{i}. {a}" for i, a in enumerate(rec.actions, 1)],
        "",
        "## Observations (computed by the recorder)",
        "",
        *[f"- {n}" for n in rec.notes],
        "",
        "## Lessons (Asterisk 22.10.1 recording, written by hand)",
        "",
        *[f"- {n}" for n in LESSONS[rec.name]],
        "",
        "## Event order (without " + ", ".join(sorted(QUIET)) + ")",
        "",
        "```",
        *order(messages),
        "```",
        "",
        "## queue_log lines written meanwhile (var/log/asterisk/queue_log)",
        "",
        "```",
        *qlog,
        "```",
        "",
    ]
    path.write_text("\n".join(lines))


async def record_all(names: list[str], root: Path, out_dir: Path) -> None:
    for name in names:
        await record(name, root, out_dir)
        await asyncio.sleep(6)  # past wrapuptime and sipp timewaits: the next one starts clean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"scenarios (default all): {list(DESCRIPTIONS)}")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    unknown = set(args.names) - set(DESCRIPTIONS)
    if unknown:
        parser.error(f"unknown scenario(s): {sorted(unknown)}")
    cache = os.environ.get("STANDARDISTE_SANDBOX_CACHE_DIR", "~/.cache/standardiste")
    root = sb.build_root(Path(cache).expanduser())
    was_running = sb.status(root).running
    sb.down(root)  # restart fresh: our current config, empty astdb
    sb.up(root, CONFIG_DIR)
    try:
        asyncio.run(record_all(args.names or list(DESCRIPTIONS), root, args.out))
    finally:
        if not was_running:
            sb.down(root)


if __name__ == "__main__":
    main()
