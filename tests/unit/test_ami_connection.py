"""ami_bridge.connection against a small fake AMI server (asyncio.start_server)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from standardiste.ami_bridge.connection import AmiConnection
from standardiste.ami_bridge.errors import (
    AmiActionError,
    AmiConnectionLost,
    AmiNotConnected,
    AmiTimeout,
)
from standardiste.ami_bridge.wire import AmiMessage, Framer

SECRET = "s3cret"


def frame(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class FakeAmi:
    """Just enough of Asterisk's manager: banner, Login, Ping, a list action, errors.

    ``actions`` records every action received over every connection, so tests can check
    what was (not) sent twice. Behaviour switches are plain attributes.
    """

    def __init__(self) -> None:
        self.actions: list[AmiMessage] = []
        self.connections = 0
        self.connect_times: list[float] = []
        self.answer_pings = True
        self.close_on_connect = False
        self.kill_on: set[str] = set()  # abort the TCP connection when this action arrives
        self.ignore: set[str] = {"Originate"}  # never answered
        self.answer_after: dict[str, float] = {}
        self.writers: list[asyncio.StreamWriter] = []
        self._handlers: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self.writers:
            writer.transport.abort()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    def named(self, action: str) -> list[AmiMessage]:
        return [a for a in self.actions if a.get("Action") == action]

    def broadcast(self, data: bytes) -> None:
        for writer in self.writers:
            if not writer.is_closing():
                writer.write(data)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.connections += 1
        self.connect_times.append(asyncio.get_running_loop().time())
        try:
            if self.close_on_connect:
                writer.close()
                return
            self.writers.append(writer)
            writer.write(b"Asterisk Call Manager/9.0.0\r\n")
            framer = Framer()
            while data := await reader.read(65536):
                for msg in framer.feed(data):
                    self.actions.append(msg)
                    name = msg.get("Action", "")
                    if name in self.kill_on:
                        writer.transport.abort()
                        return
                    if name in self.answer_after:
                        await asyncio.sleep(self.answer_after[name])
                    writer.write(self.reply(msg))
                    if name == "Logoff":
                        await writer.drain()
                        writer.close()
                        return
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._handlers.discard(task)
            if writer in self.writers:
                self.writers.remove(writer)
            writer.transport.abort()  # the client left (or we kill it): release the socket

    def reply(self, msg: AmiMessage) -> bytes:
        name = msg.get("Action", "")
        aid = f"ActionID: {msg.action_id}"
        if name == "Login":
            if msg.get("Secret") == SECRET:
                return frame("Response: Success", aid, "Message: Authentication accepted") + frame(
                    "Event: FullyBooted", "Privilege: system,all", "Status: Fully Booted"
                )
            return frame("Response: Error", aid, "Message: Authentication failed")
        if name == "Ping":
            if not self.answer_pings:
                return b""
            return frame("Response: Success", aid, "Ping: Pong", "Timestamp: 1.0")
        if name == "QueueStatus":
            return (
                frame(
                    "Response: Success",
                    aid,
                    "EventList: start",
                    "Message: Queue status will follow",
                )
                + frame("Event: QueueParams", aid, "Queue: support", "Max: 0")
                # An unrelated live event in the middle of the list: must go to on_message.
                + frame("Event: Newstate", "Channel: PJSIP/1001-1", "Uniqueid: 1.1")
                + frame("Event: QueueMember", aid, "Queue: support", "Name: PJSIP/1001")
                + frame("Event: QueueStatusComplete", aid, "EventList: Complete", "ListItems: 2")
            )
        if name == "Logoff":
            return frame("Response: Goodbye", aid, "Message: Thanks for all the fish.")
        if name in self.ignore:
            return b""
        if name == "Bogus":
            return frame("Response: Error", aid, "Message: Invalid/unknown command: Bogus.")
        return frame("Response: Success", aid, "Message: OK")


class Recorder:
    def __init__(self) -> None:
        self.messages: list[AmiMessage] = []
        self.overflows = 0
        self.connected_calls = 0

    def on_message(self, msg: AmiMessage) -> None:
        self.messages.append(msg)

    def on_overflow(self) -> None:
        self.overflows += 1

    async def on_connected(self) -> None:
        self.connected_calls += 1

    def events(self, name: str) -> list[AmiMessage]:
        return [m for m in self.messages if m.event == name]


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()


Running = tuple[AmiConnection, Recorder, "asyncio.Task[None]"]


async def start(fake: FakeAmi, **kwargs: Any) -> Running:
    rec = Recorder()
    options: dict[str, Any] = {
        "on_message": rec.on_message,
        "on_connected": rec.on_connected,
        "on_overflow": rec.on_overflow,
        "ping_interval": 0.2,
        "ping_timeout": 0.2,
        "backoff_min": 0.01,
        "backoff_max": 0.05,
        "connect_timeout": 1.0,
    }
    options.update(kwargs)
    conn = AmiConnection("127.0.0.1", fake.port, "bridge", options.pop("secret", SECRET), **options)
    task = asyncio.create_task(conn.run())
    return conn, rec, task


async def stop(conn: AmiConnection, task: asyncio.Task[None]) -> None:
    await conn.close()
    await asyncio.wait_for(task, 2.0)


async def eventually(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    # Polling is deliberate: the conditions are counters of the code under test, which
    # has no event to signal them (and must not grow one just for tests).
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


# -- login, events, actions ---------------------------------------------------------------
async def test_login_then_events_and_on_connected(fake: FakeAmi) -> None:
    conn, rec, task = await start(fake, events="call,agent")
    await conn.wait_connected(2.0)
    assert conn.connected and conn.asterisk_version == "9.0.0"
    (login,) = fake.named("Login")
    assert (login["Username"], login["Secret"], login["Events"]) == ("bridge", SECRET, "call,agent")
    await eventually(lambda: rec.connected_calls == 1 and bool(rec.events("FullyBooted")))
    fake.broadcast(frame("Event: QueueCallerJoin", "Queue: support", "Position: 1"))
    await eventually(lambda: bool(rec.events("QueueCallerJoin")))
    assert rec.events("QueueCallerJoin")[0]["Queue"] == "support"
    # The Login response itself is not an event.
    assert all(m.event for m in rec.messages)
    assert conn.messages_in >= 3
    await stop(conn, task)


async def test_list_action_collects_events_until_complete(fake: FakeAmi) -> None:
    conn, rec, task = await start(fake)
    await conn.wait_connected(2.0)
    resp = await conn.send("QueueStatus", {"Queue": "support"})
    assert resp.message.get("EventList") == "start"
    assert [e.event for e in resp.events] == ["QueueParams", "QueueMember"]
    assert resp.complete is not None and resp.complete["ListItems"] == "2"
    await eventually(lambda: bool(rec.events("Newstate")))
    assert not rec.events("QueueParams") and not rec.events("QueueStatusComplete")
    await stop(conn, task)


async def test_simple_action_and_error_response(fake: FakeAmi) -> None:
    conn, _, task = await start(fake)
    await conn.wait_connected(2.0)
    ok = await conn.send("QueuePause", {"Interface": "PJSIP/1001", "Paused": "true"})
    assert ok.message.response == "Success" and ok.events == []
    with pytest.raises(AmiActionError) as info:
        await conn.send("Bogus")
    assert info.value.action == "Bogus"
    assert info.value.text == "Invalid/unknown command: Bogus."
    assert "Invalid/unknown command" in str(info.value)
    await stop(conn, task)


async def test_not_connected_and_injection_send_nothing(fake: FakeAmi) -> None:
    conn, _, task = await start(fake)
    with pytest.raises(AmiNotConnected):
        await conn.send("Ping")  # run() has not logged in yet
    await conn.wait_connected(2.0)
    before = len(fake.actions)
    with pytest.raises(ValueError):
        await conn.send("Originate", {"Channel": "PJSIP/1\r\nAction: Command"}, idempotent=False)
    await conn.send("Ping")
    assert [a["Action"] for a in fake.actions[before:]] == ["Ping"]
    await stop(conn, task)
    with pytest.raises(AmiNotConnected):
        await conn.send("Ping")


async def test_timeout_and_late_response_is_dropped(fake: FakeAmi) -> None:
    fake.answer_after["Slow"] = 0.2
    conn, rec, task = await start(fake)
    await conn.wait_connected(2.0)
    with pytest.raises(AmiTimeout):
        await conn.send("Slow", timeout=0.05)
    await eventually(lambda: conn.unmatched_responses == 1)
    assert conn.connected  # a slow answer is not a dead connection
    assert not [m for m in rec.messages if m.response]
    await stop(conn, task)


# -- liveness and reconnect ---------------------------------------------------------------
async def test_unanswered_ping_declares_connection_dead(fake: FakeAmi) -> None:
    fake.answer_pings = False
    conn, rec, task = await start(fake, ping_interval=0.1, ping_timeout=0.1)
    await conn.wait_connected(2.0)
    t0 = asyncio.get_running_loop().time()
    await eventually(lambda: fake.connections >= 2, timeout=2.0)
    # ping_interval + ping_timeout + backoff (<= 0.05) + slack
    assert fake.connect_times[1] - t0 < 0.1 + 0.1 + 0.05 + 0.25
    assert conn.reconnects >= 1
    assert conn.last_error is not None and "Ping" in conn.last_error
    await eventually(lambda: rec.connected_calls >= 2)  # resync hook ran again
    await stop(conn, task)


async def test_action_in_flight_fails_and_is_never_resent(fake: FakeAmi) -> None:
    fake.kill_on = {"Originate"}
    conn, rec, task = await start(fake)
    await conn.wait_connected(2.0)
    with pytest.raises(AmiConnectionLost):
        await conn.send("Originate", {"Channel": "PJSIP/1001", "Async": "true"}, idempotent=False)
    assert conn.unsafe_actions_lost == 1
    await eventually(lambda: fake.connections == 2 and conn.connected)
    await eventually(lambda: rec.connected_calls == 2)
    await conn.send("Ping")  # the new session works, and is fully flushed through the server
    await asyncio.sleep(0.05)
    assert len(fake.named("Originate")) == 1
    assert len(fake.named("Login")) == 2
    await stop(conn, task)


async def test_backoff_grows_to_the_cap_then_resets(fake: FakeAmi) -> None:
    chosen: list[float] = []

    class Ceiling(random.Random):
        def uniform(self, a: float, b: float) -> float:
            chosen.append(b)
            return b  # no jitter: the delays are the caps themselves

    fake.close_on_connect = True
    conn, _, task = await start(fake, backoff_min=0.02, backoff_max=0.16, rng=Ceiling())
    await eventually(lambda: fake.connections >= 7, timeout=10.0)
    expected = [0.02, 0.04, 0.08, 0.16, 0.16, 0.16]
    assert chosen[:6] == expected
    # It really waited that long between attempts (a lower bound only: a busy machine may
    # wait longer, never shorter).
    gaps = [b - a for a, b in zip(fake.connect_times, fake.connect_times[1:], strict=False)]
    for gap, want in zip(gaps, expected, strict=False):
        assert gap >= want - 0.005, (gaps, expected)
    assert conn.last_backoff_cap == 0.16
    assert conn.reconnects >= 6 and not conn.connected
    await stop(conn, task)


def test_full_jitter_stays_within_the_cap() -> None:
    conn = AmiConnection(
        "127.0.0.1",
        1,
        "u",
        "s",
        on_message=lambda m: None,
        backoff_min=0.5,
        backoff_max=30.0,
        rng=random.Random(3),
    )
    for attempt, cap in [(0, 0.5), (1, 1.0), (3, 4.0), (6, 30.0), (500, 30.0)]:
        delays = [conn._backoff_delay(attempt) for _ in range(200)]
        assert conn.last_backoff_cap == cap
        assert all(0.0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8  # really spread over the whole range
        assert min(delays) < cap * 0.2


async def test_stable_session_resets_backoff(fake: FakeAmi) -> None:
    class Ceiling(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    fake.kill_on = {"Drop"}
    conn, _, task = await start(
        fake, backoff_min=0.02, backoff_max=1.0, stable_after=0.05, rng=Ceiling()
    )
    for n in range(1, 4):
        await conn.wait_connected(2.0)
        await asyncio.sleep(0.2)  # well past stable_after
        with pytest.raises(AmiConnectionLost):
            await conn.send("Drop")
        await eventually(lambda n=n: fake.connections == n + 1 and conn.connected)  # type: ignore[misc]
        assert conn.last_backoff_cap == 0.02  # back to backoff_min each time
    await stop(conn, task)


async def test_wrong_secret_keeps_retrying_at_max_backoff(fake: FakeAmi) -> None:
    conn, rec, task = await start(fake, secret="wrong", backoff_max=0.05)
    await eventually(lambda: conn.auth_failures >= 3, timeout=2.0)
    assert not conn.connected and rec.connected_calls == 0
    assert conn.last_error is not None and "Authentication failed" in conn.last_error
    with pytest.raises(AmiTimeout):
        await conn.wait_connected(0.01)
    assert not task.done()
    await stop(conn, task)


async def test_failing_on_connected_drops_and_retries(fake: FakeAmi) -> None:
    calls = 0

    async def resync() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise RuntimeError("resync blew up")

    conn, _, task = await start(fake, on_connected=resync)
    await eventually(lambda: calls == 2 and conn.connected)
    assert fake.connections == 2
    assert conn.last_error == "RuntimeError: resync blew up"
    await stop(conn, task)


async def test_on_connected_can_send_through_the_connection(fake: FakeAmi) -> None:
    got: list[int] = []
    conn: AmiConnection | None = None

    async def resync() -> None:
        assert conn is not None
        resp = await conn.send("QueueStatus")
        got.append(len(resp.events))

    conn, _, task = await start(fake, on_connected=resync)
    await eventually(lambda: got == [2])
    await stop(conn, task)


# -- back-pressure ------------------------------------------------------------------------
async def test_overflow_drops_counts_and_reader_keeps_going(fake: FakeAmi) -> None:
    conn, rec, task = await start(fake, event_queue_size=5)
    await conn.wait_connected(2.0)
    await eventually(lambda: bool(rec.events("FullyBooted")))
    # 100 events in one write: the reader frames them all in one go, before the dispatcher
    # gets a turn, so the 5-deep queue must overflow.
    burst = b"".join(frame("Event: VarSet", f"Value: {i}") for i in range(100))
    fake.broadcast(burst)
    await eventually(lambda: conn.events_dropped == 95)
    assert rec.overflows == 1  # once per episode, not once per dropped event
    assert conn.event_queue_high_water == 5
    await eventually(lambda: conn.event_queue_depth == 0)
    assert [m["Value"] for m in rec.events("VarSet")] == ["0", "1", "2", "3", "4"]
    # Still alive: actions are answered and later events delivered.
    await conn.send("Ping")
    fake.broadcast(frame("Event: Hangup", "Uniqueid: 2.2"))
    await eventually(lambda: bool(rec.events("Hangup")))
    # A new episode calls on_overflow again.
    fake.broadcast(burst)
    await eventually(lambda: rec.overflows == 2 and conn.events_dropped == 190)
    await stop(conn, task)


async def test_failing_on_message_does_not_stop_delivery(fake: FakeAmi) -> None:
    seen: list[str] = []

    def on_message(msg: AmiMessage) -> None:
        seen.append(msg.event)
        if msg.event == "Boom":
            raise ValueError("handler bug")

    conn, _, task = await start(fake, on_message=on_message)
    await conn.wait_connected(2.0)
    fake.broadcast(frame("Event: Boom") + frame("Event: After"))
    await eventually(lambda: "After" in seen)
    assert conn.callback_errors == 1 and conn.connected
    await stop(conn, task)


async def test_garbage_is_counted_and_connection_stays_up(fake: FakeAmi) -> None:
    conn, rec, task = await start(fake, max_message_bytes=1024)
    await conn.wait_connected(2.0)
    fake.broadcast(b"junk without headers\r\n\r\n" + b"Event: Big\r\n" + b"X: " + b"y" * 5000)
    fake.broadcast(b"\r\n\r\n" + frame("Event: Fine"))
    await eventually(lambda: bool(rec.events("Fine")))
    assert conn.garbage_skipped == 2 and conn.connected
    await stop(conn, task)


# -- shutdown -----------------------------------------------------------------------------
async def test_close_logs_off_and_leaves_no_tasks(fake: FakeAmi) -> None:
    conn, rec, task = await start(fake)
    await conn.wait_connected(2.0)
    in_flight = asyncio.create_task(conn.send("Originate", {"Channel": "PJSIP/1"}))
    await eventually(lambda: bool(fake.named("Originate")))
    await conn.close()
    await asyncio.wait_for(task, 1.0)
    assert task.result() is None  # run() returns normally after close()
    with pytest.raises(AmiConnectionLost):
        await in_flight
    assert fake.named("Logoff")
    assert not conn.connected
    await conn.close()  # idempotent
    await fake.stop()
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []


async def test_close_while_disconnected_and_cancelling_run(fake: FakeAmi) -> None:
    fake.close_on_connect = True
    conn, _, task = await start(fake, backoff_min=1.0, backoff_max=1.0)
    await eventually(lambda: fake.connections >= 1)
    await asyncio.sleep(0.02)  # now sleeping in the backoff
    await asyncio.wait_for(conn.close(), 1.0)
    assert task.done() and task.result() is None

    conn2, _, task2 = await start(fake)
    await asyncio.sleep(0.05)
    task2.cancel()  # the owner cancels run() instead of calling close(): also clean
    with pytest.raises(asyncio.CancelledError):
        await task2
    await fake.stop()
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []
    assert not conn2.connected


async def test_close_from_inside_a_callback_does_not_deadlock(fake: FakeAmi) -> None:
    conn: AmiConnection | None = None

    async def resync() -> None:
        assert conn is not None
        await conn.close()  # only requests the stop: awaiting our own teardown would hang

    conn, _, task = await start(fake, on_connected=resync)
    await asyncio.wait_for(task, 2.0)
    assert task.result() is None and not conn.connected
