"""Callbacks that keep the caller's place (BY-1), piece by piece: the pure rules, the model,
the AMI side (translate, commands), the generated files, queue_log, the FastAGI server and
the figures. The feature working end to end is tests/integration/test_callback_live.py's."""

from __future__ import annotations

import asyncio
import ipaddress
import math
from collections.abc import AsyncIterator, Mapping

import pytest

from standardiste.acd import events as ev
from standardiste.acd.callbacks import (
    callback_of,
    expected_wait,
    hold_uniqueid,
    moves_forward,
    placeholder_uniqueid,
    should_offer,
    step_status,
)
from standardiste.acd.model import ContactCenter
from standardiste.acd.records import (
    CallbackProgress,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
)
from standardiste.agi_scripts.server import AgiCall, AgiServer, call_of, parse_headers
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.translate import BadMessage, snapshot, translate
from standardiste.ami_bridge.wire import AmiMessage
from standardiste.errors import InvalidInput
from standardiste.history.queue_log import BadLine, parse_line, records_of
from standardiste.pbx.definitions import QueueDef
from standardiste.pbx.render import render
from standardiste.web.figures import queue_figures

T0 = 1_700_000_000.0
ID = "0123456789abcdef0123456789abcdef"
PLACEHOLDER = f"cb-{ID}"
CHANNEL = f"Local/{ID}@standardiste-callback-place-0000002a;2"


# ------------------------------------------------------------------ pure rules
def test_a_placeholder_is_known_by_its_uniqueid_alone() -> None:
    assert placeholder_uniqueid(ID) == PLACEHOLDER and hold_uniqueid(ID) == f"cbh-{ID}"
    assert callback_of(PLACEHOLDER) == ID
    for other in ("1700000000.12", f"cbh-{ID}", f"cb-{ID}x", f"cb-{ID.upper()}", ""):
        assert callback_of(other) is None
    with pytest.raises(ValueError, match="32 hex"):
        placeholder_uniqueid("../etc")


def test_the_expected_wait_counts_rounds_of_the_agents_taking_calls() -> None:
    assert expected_wait(1, 1, 120.0) == 120.0
    assert expected_wait(3, 2, 100.0) == 200.0  # two rounds: callers 1-2, then 3
    assert expected_wait(4, 2, 100.0) == 200.0
    assert expected_wait(1, 0, 100.0) == math.inf  # nobody to take the call
    assert should_offer(math.inf, 86400) and should_offer(60.0, 60)
    assert not should_offer(59.0, 60)
    with pytest.raises(ValueError):
        expected_wait(0, 1, 1.0)


def test_steps_and_statuses_only_move_forward() -> None:
    assert step_status("left", "TIMEOUT") == "expired"
    assert step_status("left", "WITHDRAW") is None  # placed again, not settled
    assert step_status("ended", "ANSWER") == "connected"
    assert step_status("ended", "NOANSWER") == step_status("ended", "BUSY") == "no_answer"
    assert step_status("ended", "CHANUNAVAIL") == step_status("ended", "CANCEL") == "failed"
    assert step_status("requested", "") is None
    assert moves_forward("waiting", "connecting") and moves_forward("calling", "connected")
    assert not moves_forward("calling", "connecting")  # AgentConnect comes after "calling"
    assert not moves_forward("expired", "connected") and not moves_forward("failed", "expired")


# ------------------------------------------------------------------ the model
def _member() -> ev.MemberState:
    return ev.MemberState(
        "sales", "PJSIP/agent1001", "Alice", "PJSIP/agent1001", True, False, "", 1, False, 0,
        0.0, T0,
    )  # fmt: skip


def test_a_placeholder_waits_and_is_answered_as_a_callback_not_as_an_inbound_call() -> None:
    cc = ContactCenter()
    cc.apply(ev.MemberAdded(_member()))
    records = []
    for event in (
        ev.CallerJoined("sales", PLACEHOLDER, CHANNEL, "33612345678", "Callback", 2, T0),
        ev.CallerLeft("sales", PLACEHOLDER, T0 + 10),
        ev.CallbackStep("sales", ID, "calling", "", T0 + 10),
        ev.AgentConnected(
            "sales", PLACEHOLDER, "PJSIP/agent1001", "Alice", 10, "1.9", "PJSIP/agent1001-9",
            T0 + 10,
        ),
        ev.CallbackStep("sales", ID, "connected", "", T0 + 12),
    ):  # fmt: skip
        out = cc.apply(event)
        records.extend(out.records)
        if isinstance(event, ev.CallerJoined):
            caller = cc.callers[PLACEHOLDER]
            assert (caller.kind, caller.callback, caller.position) == ("callback", ID, 2)
            changed = [c.value for c in out.changes if c.entity == "caller"]  # type: ignore[union-attr]
            assert changed and changed[0]["kind"] == "callback"  # what the browser gets
    call = cc.calls[PLACEHOLDER]
    assert (call.kind, call.callback, call.caller_number) == ("callback", ID, "33612345678")
    assert cc.members["sales|PJSIP/agent1001"].in_call  # the agent is busy all the same
    records += cc.apply(
        ev.AgentCompleted("sales", PLACEHOLDER, "PJSIP/agent1001", 10, 30, "caller", T0 + 42)
    ).records
    records += cc.apply(ev.CallbackStep("sales", ID, "ended", "ANSWER", T0 + 42)).records
    records += cc.apply(ev.ChannelHungUp(PLACEHOLDER, 16, T0 + 42)).records
    kinds = (QueueCallEntered, QueueCallAnswered, QueueCallLeft, QueueCallCompleted)
    # The placeholder's passage through the queue (queue_log's cb-<id> lines), which the
    # history keeps apart from the inbound calls by its uniqueid; no inbound call counted.
    passage = [r for r in records if isinstance(r, kinds)]
    assert [type(r) for r in passage] == [QueueCallEntered, QueueCallAnswered, QueueCallCompleted]
    assert {r.uniqueid for r in passage} == {PLACEHOLDER}
    assert cc.queues["sales"].today.handled == 0
    assert [(r.status, r.ended, r.agent) for r in records if isinstance(r, CallbackProgress)] == [
        ("calling", False, ""),
        ("connecting", False, "PJSIP/agent1001"),
        ("connected", False, ""),
        ("connected", True, ""),
    ]
    today = cc.queues["sales"].today
    assert (today.handled, today.abandoned, today.timed_out, today.transferred) == (0, 0, 0, 0)
    assert (today.callbacks_connected, today.callbacks_failed) == (1, 0)


def test_callback_counters_requested_expired_and_not_reached() -> None:
    cc = ContactCenter()
    steps = [
        ("requested", ""), ("requested", ""), ("requested", ""),
        ("left", "TIMEOUT"), ("left", "WITHDRAW"), ("ended", "NOANSWER"),
    ]  # fmt: skip
    records = []
    for step, status in steps:
        records += cc.apply(ev.CallbackStep("sales", ID, step, status, T0)).records
    today = cc.queues["sales"].today
    counts = (today.callbacks_requested, today.callbacks_expired, today.callbacks_failed)
    assert counts == (3, 1, 1)
    assert today.callbacks_connected == 0
    assert [(r.status, r.detail) for r in records if isinstance(r, CallbackProgress)] == [
        ("expired", "TIMEOUT"),
        ("no_answer", "NOANSWER"),
    ]


def test_a_placeholder_that_vanishes_during_a_resync_is_not_an_exited_call() -> None:
    cc = ContactCenter()
    cc.apply(ev.CallerJoined("sales", PLACEHOLDER, CHANNEL, "336", "Callback", 1, T0))
    cc.apply(ev.CallerJoined("sales", "1.5", "PJSIP/pstn-5", "0611", "Bob", 2, T0))
    out = cc.replace(ev.Snapshot(T0 + 5, queues=(ev.QueueParams("sales", "rrmemory", 0, 20, 0),)))
    left = [r for r in out.records if isinstance(r, QueueCallLeft)]
    assert [(r.uniqueid, r.outcome) for r in left] == [("1.5", "exited")]
    # A resync that finds a placeholder waiting marks it as one.
    entry = ev.WaitingCaller("sales", PLACEHOLDER, CHANNEL, "336", "Callback", 1, 3.0)
    cc.replace(ev.Snapshot(T0 + 6, callers=(entry,)))
    assert cc.callers[PLACEHOLDER].kind == "callback"


# ------------------------------------------------------------------ AMI
def _msg(**headers: str) -> AmiMessage:
    return AmiMessage(list(headers.items()))


def test_the_dialplans_callback_event_is_translated_and_checked() -> None:
    event = translate(
        _msg(Event="UserEvent", UserEvent="Callback", Queue="sales", Id=ID, Step="ended",
             Status="ANSWER", Uniqueid=f"cbh-{ID}", Timestamp=str(T0)),
        0.0,
    )  # fmt: skip
    assert event == ev.CallbackStep("sales", ID, "ended", "ANSWER", T0)
    with pytest.raises(BadMessage, match="request id"):
        translate(_msg(Event="UserEvent", UserEvent="Callback", Queue="q", Id="x", Step="ended"), 0)
    with pytest.raises(BadMessage, match="step"):
        translate(_msg(Event="UserEvent", UserEvent="Callback", Queue="q", Id=ID, Step="boom"), 0)


def test_the_callback_keys_exit_is_reported_with_the_key() -> None:
    def exit_event(**headers: str) -> object:
        msg = _msg(Event="UserEvent", UserEvent="QueueExit", Queue="sales", Uniqueid="100.1",
                   Timestamp=str(T0), **headers)  # fmt: skip
        return translate(msg, 0.0)

    assert exit_event(Status="EXITWITHKEY", Key="5") == ev.QueueExited(
        "sales", "100.1", "EXITWITHKEY", T0, key="5"
    )
    assert exit_event(Status="WITHDRAW", Info="dev:sup2001") == ev.QueueExited(
        "sales", "100.1", "WITHDRAW", T0, info="dev:sup2001"
    )
    # What the dialplan would never send is dropped, the exit kept.
    assert exit_event(Status="EXITWITHKEY", Key="55") == ev.QueueExited(
        "sales", "100.1", "EXITWITHKEY", T0
    )
    assert exit_event(Status="WITHDRAW", Info="dev:a|b") == ev.QueueExited(
        "sales", "100.1", "WITHDRAW", T0
    )


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str], bool]] = []

    async def send(
        self, name: str, headers: Mapping[str, str], *, timeout: float = 10.0,
        idempotent: bool = True,
    ) -> object:  # fmt: skip
        self.sent.append((name, dict(headers), idempotent))
        return None


async def test_the_placeholder_is_originated_with_the_requests_own_uniqueids() -> None:
    conn = Recorder()
    await AmiCommands(conn).place_callback(ID, "sales", "33612345678", position=3, timeout_s=600)
    [(name, headers, idempotent)] = conn.sent
    assert (name, idempotent) == ("Originate", False)
    assert headers == {
        "Channel": f"Local/{ID}@standardiste-callback-place/n",
        "Context": "standardiste-callback-hold",
        "Exten": ID,
        "Priority": "1",
        "ChannelId": f"cbh-{ID}",
        "OtherChannelId": f"cb-{ID}",
        "CallerID": '"Callback" <33612345678>',
        "Variable": f"__STD_CB_ID={ID},__STD_CB_QUEUE=sales,__STD_CB_NUMBER=33612345678,"
        "STD_CB_POSITION=3,STD_CB_TIMEOUT=600",
        "Async": "true",
        "Timeout": "10000",
    }


@pytest.mark.parametrize(
    ("request_id", "queue", "digits", "position", "timeout"),
    [
        ("x" * 32, "sales", "336", 1, 60),
        (ID, "sales,evil", "336", 1, 60),
        (ID, "sales", "+336", 1, 60),
        (ID, "sales", "33612345678,SHELL(id)", 1, 60),
        (ID, "sales", "336", -1, 60),
        (ID, "sales", "336", 1, 0),
    ],
)
async def test_nothing_unchecked_reaches_the_originate(
    request_id: str, queue: str, digits: str, position: int, timeout: int
) -> None:
    conn = Recorder()
    with pytest.raises(ValueError):
        await AmiCommands(conn).place_callback(
            request_id, queue, digits, position=position, timeout_s=timeout
        )
    assert conn.sent == []


# ------------------------------------------------------------------ generated files, queue_log
def test_a_queue_with_callbacks_lets_its_key_out_of_the_queue() -> None:
    on = QueueDef.from_mapping(
        {"name": "sales", "extension": "5000", "callback": True, "callback_key": "7"}
    )
    off = QueueDef.from_mapping({"name": "support", "extension": "5001"})
    files = render([on, off], agi="agi://127.0.0.1:4599")
    sales, support = files.queues.split("[support]")
    assert "context = standardiste-callback-key-7" in sales
    assert "context" not in support
    assert "agi = agi://127.0.0.1:4599" in files.routes
    assert "[queue-sales]" in files.routes and "callback = yes\ncallback_key = 7" in files.routes
    with pytest.raises(ValueError, match="agi"):
        render([on], agi="agi://127.0.0.1:4573/x,evil")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"callback_key": "55"}, "callback_key"),
        ({"callback_key": "*"}, "callback_key"),
        ({"callback_key": 5}, "callback_key"),
        ({"callback_threshold": -1}, "callback_threshold"),
        ({"callback_expiry": 5}, "callback_expiry"),
        ({"callback": "yes"}, "callback"),
    ],
)
def test_callback_settings_are_checked_and_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}:"):
        QueueDef.from_mapping({"name": "sales", "extension": "5000", **changes})


def test_queue_log_lines_of_a_placeholder_give_its_passage_and_the_requests_steps() -> None:
    # The passage's records (the history keeps them apart from inbound calls by the cb-
    # uniqueid) and the INFO rows' steps, as the live UserEvent(Callback) gives them.
    lines = [
        f"1795963138|{PLACEHOLDER}|sales|NONE|ENTERQUEUE||33612345678|1",
        f"1795963142|{PLACEHOLDER}|sales|NONE|INFO|CALLBACK_CALLING|{ID}",
        f"1795963142|{PLACEHOLDER}|sales|PJSIP/agent1001|CONNECT|4|1795963141.7|1",
        f"1795963143|{PLACEHOLDER}|sales|NONE|INFO|CALLBACK_CONNECTED|{ID}",
        f"1795963146|{PLACEHOLDER}|sales|NONE|INFO|CALLBACK_END|{ID}|ANSWER",
        f"1795963146|{PLACEHOLDER}|sales|PJSIP/agent1001|COMPLETECALLER|4|4|1",
        f"1795963150|{PLACEHOLDER}|sales|NONE|INFO|CALLBACK_EXPIRED|{ID}",
        f"1795963150|1795963129.2|sales|NONE|INFO|CALLBACK_REQUESTED|{ID}|1",
        "1795963150|1795963129.2|sales|NONE|INFO|SOMETHING_ELSE|x",
    ]
    got = [records_of(parse_line(line), lambda name: name) for line in lines]
    kinds = [QueueCallEntered, None, QueueCallAnswered, None, None, QueueCallCompleted]
    for records, kind in zip(got, kinds, strict=False):
        if kind is not None:
            [record] = records
            assert isinstance(record, kind) and record.uniqueid == PLACEHOLDER
    steps = [
        (r.status, r.ended, r.detail) for x in got for r in x if isinstance(r, CallbackProgress)
    ]
    assert steps == [
        ("calling", False, ""),
        ("connected", False, ""),
        ("connected", True, "ANSWER"),
        ("expired", True, "TIMEOUT"),
    ]
    assert got[-2:] == [[], []]  # the request row is the service's; others' INFO rows
    with pytest.raises(BadLine):
        records_of(parse_line("1795963150|x|sales|NONE|INFO|CALLBACK_END|nope|ANSWER"), str)
    original = parse_line("1795963138|1795963129.2|sales|NONE|EXITWITHKEY|5|1|1|4")
    [left] = records_of(original, lambda name: name)
    assert (left.uniqueid, left.outcome) == ("1795963129.2", "exited")  # type: ignore[attr-defined]


def test_the_waiting_callers_figure_tells_callback_requests_apart() -> None:
    state = {
        "caller": {
            "1.1": {"queue": "sales", "joined_at": T0, "kind": "call"},
            PLACEHOLDER: {"queue": "sales", "joined_at": T0 - 5, "kind": "callback"},
        },
        "queue": {
            "sales": {"today": {"day": "2023-11-14", "handled": 2, "callbacks_requested": 3}}
        },
    }
    figures = queue_figures(state, "sales", T0, "2023-11-14")  # type: ignore[arg-type]
    assert (figures["waiting"], figures["callbacks_waiting"]) == (2, 1)
    assert (figures["total"], figures["callbacks_requested"]) == (2, 3)


# ------------------------------------------------------------------ the FastAGI server
HEADERS = (
    "agi_network: yes\nagi_network_script: callback-offer\nagi_request: agi://127.0.0.1/"
    "callback-offer\nagi_channel: PJSIP/pstn-00000001\nagi_uniqueid: 1700000000.1\n"
    "agi_callerid: 0612345678\nagi_calleridname: Bob\nagi_arg_1: sales\n\n"
)


def test_request_headers_and_arguments_are_read() -> None:
    headers = parse_headers(HEADERS.encode() + b"not: agi\n")
    assert call_of(headers) == ("callback-offer", ("sales",))
    assert "not" not in headers and headers["agi_callerid"] == "0612345678"


@pytest.fixture
async def agi() -> AsyncIterator[tuple[AgiServer, list[AgiCall]]]:
    seen: list[AgiCall] = []

    async def offer(call: AgiCall) -> None:
        seen.append(call)
        await call.set_variable("STD_CB_OFFER", "yes")

    server = AgiServer(
        {"callback-offer": offer},
        host="127.0.0.1",
        port=0,
        allowed=[ipaddress.ip_network("127.0.0.1/32")],
        timeout=2.0,
    )
    server.port = _free_port()
    task = asyncio.create_task(server.run())
    await asyncio.wait_for(server.listening.wait(), 5)
    try:
        yield server, seen
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _asterisk(port: int, request: bytes, reply: bytes = b"200 result=1\n") -> bytes:
    """Plays Asterisk's side of one FastAGI call: what the script sent, once it closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    received = b""
    try:
        while line := await asyncio.wait_for(reader.readline(), 5):
            received += line
            writer.write(reply)
            await writer.drain()
    except ConnectionResetError:  # closed with our request unread: a reset, as closed
        pass
    writer.close()
    return received


async def test_a_script_answers_with_an_allow_listed_variable(
    agi: tuple[AgiServer, list[AgiCall]],
) -> None:
    server, seen = agi
    sent = await _asterisk(server.port, HEADERS.encode())
    assert sent == b'SET VARIABLE STD_CB_OFFER "yes"\n'
    [call] = seen
    assert (call.uniqueid, call.caller_number, call.arg(1), call.arg(2)) == (
        "1700000000.1",
        "0612345678",
        "sales",
        "",
    )
    assert (server.calls, server.failures) == (1, 0)


async def test_unknown_scripts_oversized_or_slow_requests_are_closed(
    agi: tuple[AgiServer, list[AgiCall]],
) -> None:
    server, seen = agi
    unknown = HEADERS.replace("callback-offer", "system").encode()
    assert await _asterisk(server.port, unknown) == b""
    assert await _asterisk(server.port, b"agi_x: " + b"y" * 20000 + b"\n\n") == b""
    assert await _asterisk(server.port, b"agi_network: yes\n") == b""  # never ends: timeout
    assert seen == [] and server.failures == 3


async def test_an_address_outside_the_allow_list_is_closed_before_a_byte_is_read() -> None:
    async def never(call: AgiCall) -> None:  # pragma: no cover - must not run
        raise AssertionError("ran")

    server = AgiServer(
        {"callback-offer": never},
        host="127.0.0.1",
        port=_free_port(),
        allowed=[ipaddress.ip_network("10.0.0.0/8")],
    )
    task = asyncio.create_task(server.run())
    await asyncio.wait_for(server.listening.wait(), 5)
    try:
        assert await _asterisk(server.port, HEADERS.encode()) == b""
        assert (server.refused, server.calls) == (1, 0)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_variables_that_would_need_quoting_are_refused(
    agi: tuple[AgiServer, list[AgiCall]],
) -> None:
    server, _ = agi

    async def bad(call: AgiCall) -> None:
        await call.set_variable("STD_CB_ID", 'x" EXEC System')

    server._scripts["callback-offer"] = bad
    assert await _asterisk(server.port, HEADERS.encode()) == b""
    assert server.failures == 1


def test_snapshot_keeps_placeholders_as_callers() -> None:
    entry = _msg(
        Event="QueueEntry", Queue="sales", Uniqueid=PLACEHOLDER, Channel=CHANNEL,
        CallerIDNum="336", CallerIDName="Callback", Position="1", Wait="3", ActionID="r",
    )  # fmt: skip
    snap = snapshot([entry], [], T0)
    cc = ContactCenter()
    cc.replace(snap)
    assert cc.callers[PLACEHOLDER].callback == ID
