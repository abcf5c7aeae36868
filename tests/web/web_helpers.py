"""Helpers of the web tests: a browser-like HTTP client, a mirror to write live state with,
a fake of the agent state service, the demo-like people and state used throughout."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import BaseTestServer
from argon2 import PasswordHasher

from standardiste.acd.state import Change, Entity
from standardiste.agent_state import Actor, AgentRequest, live_facts, plan
from standardiste.call_control import CallRequest
from standardiste.config import WebSettings
from standardiste.mirror import MirrorReader, MirrorWriter
from standardiste.pbx.definitions import QueueDef
from standardiste.web.deps import Health

T0 = 1_700_000_000.0
# Cheap argon2 parameters: the tests hash dozens of passwords; production uses the defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
PASSWORD = "correct horse battery"
ALICE_DEV = "PJSIP/agent1001"
ALICE_DESK = "PJSIP/desk1001"
BOB_DEV = "PJSIP/agent1002"
CAROL_DEV = "PJSIP/agent1003"

# username -> (role, devices, queues)
PEOPLE: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "ada": ("admin", (), {}),
    "sue": ("supervisor", ("PJSIP/sup2001",), {"sales": "supervisor"}),
    "sam": ("supervisor", (), {"support": "supervisor", "sales": "agent"}),
    "alice": ("agent", (ALICE_DEV, ALICE_DESK), {"sales": "agent"}),
    "bob": ("agent", (BOB_DEV,), {"support": "agent"}),
    "carol": ("agent", (CAROL_DEV,), {"sales": "agent", "support": "agent"}),
    "dave": ("agent", (), {"sales": "agent"}),  # no phone
}


RECORDED_CALL = "1699999940.17"  # a sales call answered by alice (conftest.recorded_call)
# Missed calls in the history (conftest.add_campaigns): two of support, one of sales.
MISSED = ("1699999700.1", "1699999800.2", "1699999900.3")
PREVIEW = "0123456789abcdef0123456789abcdef"  # a preview offered to alice (preview_dial())


def write_wav(path: Path, *, seconds: float) -> None:
    """A WAV file as MixMonitor writes one: 8 kHz, 16-bit mono (silence)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))


def wav_bytes(*, seconds: float, rate: int = 8000, channels: int = 1) -> bytes:
    """A WAV file (silence) in memory: what an admin uploads, or what sox makes of it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\0\0" * channels * int(rate * seconds))
    return out.getvalue()


def member(queue: str, interface: str, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "queue": queue,
        "interface": interface,
        "member_name": "",
        "state_interface": "",
        "dynamic": True,
        "paused": False,
        "paused_reason": "",
        "paused_by": "",
        "forced": False,
        "status": 1,
        "in_call": False,
        "ringing": False,
        "calls_taken": 0,
        "last_call": 0.0,
        "wrapup_until": 0.0,
        "wrapuptime": 0.0,
        "since": T0 - 60,
        "logged_in_at": T0 - 3600,
        "status_name": "not_in_use",
    }
    return {**base, **values}


def queue(name: str, day: str = "2023-11-14", handled: int = 0, abandoned: int = 0,
          timed_out: int = 0) -> dict[str, Any]:  # fmt: skip
    return {
        "name": name,
        "strategy": "rrmemory",
        "max_callers": 0,
        "service_level": 20,
        "weight": 0,
        "today": {"day": day, "handled": handled, "abandoned": abandoned, "timed_out": timed_out},
        "updated_at": T0 - 5,
    }


def caller(uniqueid: str, queue_name: str, joined_at: float, number: str = "0600000000") -> (
    dict[str, Any]
):  # fmt: skip
    return {
        "uniqueid": uniqueid,
        "queue": queue_name,
        "channel": f"PJSIP/pstn-{uniqueid}",
        "caller_number": number,
        "caller_name": "",
        "position": 1,
        "joined_at": joined_at,
        "ringing": "",
    }


def call(uniqueid: str, queue_name: str, agent: str) -> dict[str, Any]:
    return {
        "uniqueid": uniqueid,
        "queue": queue_name,
        "agent": agent,
        "member_name": "",
        "caller_number": "0611111111",
        "caller_name": "",
        "wait": 12.0,
        "answered_at": T0 - 30,
        "agent_uniqueid": "",
        "hold": 0.0,
        "on_hold_since": 0.0,
    }


def spy(uniqueid: str, queue_name: str, agent: str, supervisor: str = "sue") -> dict[str, Any]:
    """A supervisor's listen session on ``agent``'s call."""
    return {
        "uniqueid": uniqueid,
        "channel": f"PJSIP/sup2001-{uniqueid}",
        "device": "PJSIP/sup2001",
        "supervisor": supervisor,
        "agent": agent,
        "target_channel": f"{agent}-0000000a",
        "target_uniqueid": "1700000000.10",
        "queue": queue_name,
        "mode": "listen",
        "started_at": T0 - 20,
        "mode_since": T0 - 20,
    }


def canned(uniqueid: str, queue_name: str, agent: str, by: str = "alice") -> dict[str, Any]:
    """A canned audio message playing into ``agent``'s call."""
    return {
        "uniqueid": uniqueid,
        "channel": "Local/1@standardiste-canned-0000000b;1",
        "message": 1,
        "name": "Hold on",
        "by": by,
        "agent": agent,
        "target_channel": f"{agent}-0000000a",
        "target_uniqueid": "1700000000.10",
        "queue": queue_name,
        "started_at": T0 - 3,
    }


def campaign_card(name: str, queue_name: str, **kw: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "name": name,
        "display_name": name.capitalize(),
        "queue": queue_name,
        "mode": "progressive",
        "status": "active",
        "reason": "",
        "paused_by": "",
        "agents_logged_in": 1,
        "agents_free": 1,
        "contacts_total": 10,
        "contacts_left": 7,
        "contacts_dialled": 3,
        "handled": 2,
        "incomplete": 1,
        "dropped": 0,
        "in_flight": 1,
        "aht": 95.0,
        "drop_rate": None,
        "updated_at": T0,
    }
    card.update(kw)
    return card


def dial(
    attempt: str, queue_name: str, device: str, state: str = "ringing_agent"
) -> dict[str, Any]:
    return {
        "id": attempt,
        "campaign": "winter",
        "queue": queue_name,
        "mode": "progressive",
        "contact_id": 1,
        "contact_name": "Jo Martin",
        "number": "+33612345601",
        "agent": "alice",
        "device": device,
        "state": state,
        "started_at": T0 - 4,
        "since": T0 - 4,
    }


def preview_dial() -> dict[str, Any]:
    """The winter campaign offers alice a contact to call or skip (preview mode)."""
    return {
        **dial(PREVIEW, "sales", ALICE_DEV, "preview"),
        "mode": "preview",
        "contact_name": "Léa Petit",
        "number": "+33612345602",
    }


def device(name: str, state: str = "NOT_INUSE") -> dict[str, Any]:
    return {"device": name, "state": state, "since": T0 - 100}


def base_state() -> dict[Entity, dict[str, dict[str, Any]]]:
    """sales: alice ready, carol paused and talking, two callers; support: bob, one caller."""
    return {
        "queue": {
            # 2023-11-14 is T0's day in UTC: 6 handled, 3 abandoned, 1 timed out.
            "sales": queue("sales", handled=6, abandoned=3, timed_out=1),
            "support": queue("support", handled=2),
        },
        "member": {
            f"sales|{ALICE_DEV}": member("sales", ALICE_DEV),
            f"sales|{CAROL_DEV}": member(
                "sales", CAROL_DEV, paused=True, paused_reason="lunch", since=T0 - 120
            ),
            f"support|{BOB_DEV}": member("support", BOB_DEV),
            f"support|{CAROL_DEV}": member("support", CAROL_DEV, in_call=True),
        },
        "caller": {
            "c1": caller("c1", "sales", T0 - 40),
            "c2": caller("c2", "sales", T0 - 10),
            "c3": caller("c3", "support", T0 - 5),
        },
        "call": {"k1": call("k1", "sales", ALICE_DEV), "k2": call("k2", "support", CAROL_DEV)},
        "device": {
            ALICE_DEV: device(ALICE_DEV),
            BOB_DEV: device(BOB_DEV),
            CAROL_DEV: device(CAROL_DEV, "INUSE"),
            "PJSIP/stranger": device("PJSIP/stranger"),
        },
        # sue listens to alice's sales call: the supervisors of sales see it, alice does not.
        "spy": {"s1": spy("s1", "sales", ALICE_DEV)},
        # alice's own call, not through a queue: hers, and her queues' supervisors', to see.
        "direct": {
            "d1": {
                "uniqueid": "d1",
                "device": ALICE_DEV,
                "direction": "outbound",
                "peer_number": "0699999999",
                "started_at": T0 - 15,
                "answered_at": T0 - 10,
            }
        },
        # alice plays a canned message into her sales call: she and sales' supervisors see it.
        "canned": {"p1": canned("p1", "sales", ALICE_DEV)},
        # the sales campaign: its card is for sales' agents and supervisors; its dial ringing
        # alice's phone is hers and sales' supervisors'.
        "campaign": {"winter": campaign_card("winter", "sales")},
        "dial": {"a1": dial("a1", "sales", ALICE_DEV)},
    }


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Knobs:
    """What a test may change about the app before it starts (or, for health, while it runs)."""

    web: WebSettings
    health: Health

    async def readiness(self) -> Health:
        return self.health


class Mirror:
    """Writes live state into Redis with the real MirrorWriter, as the bridge does."""

    def __init__(self, writer: MirrorWriter, state: dict[Entity, dict[str, dict[str, Any]]]):
        self.writer = writer
        self.state = state

    async def reset(self, state: dict[Entity, dict[str, dict[str, Any]]]) -> None:
        self.state.clear()
        self.state.update(state)
        self.writer.mark_dirty()
        await self.writer.flushed()

    async def change(self, entity: Entity, key: str, value: dict[str, Any] | None) -> None:
        table = self.state.setdefault(entity, {})
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
        self.writer.submit([Change(entity, key, value)])
        await self.writer.flushed()


@dataclass
class FakeCalls:
    """Stands in for the bridge's call control (``standardiste.call_control``) in API tests:
    answers as the bridge does when all goes well, or raises ``fail_with``; records what
    it was asked (the bridge's own checks are tested in tests/usecases and live)."""

    requests: list[CallRequest] = field(default_factory=list)
    fail_with: Exception | None = None

    async def act(self, request: CallRequest) -> dict[str, Any]:
        self.requests.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        if request.op == "spy":
            agent = request.target.devices[0] if request.target else ""
            return {
                "device": request.device,
                "agent": agent,
                "target_channel": f"{agent}-0000000a",
                "mode": request.mode,
                "queue": "sales",
            }
        if request.op == "spy_mode":
            return {"session": request.session, "mode": request.mode}
        if request.op == "spy_stop":
            return {"session": request.session, "ended": True}
        if request.op == "canned_play":
            agent = request.actor.devices[0] if request.actor.devices else ""
            return {
                "session": "1700000000.77",
                "message": int(request.message),
                "name": "Hold on",
                "seconds": 2.0,
                "target_channel": f"{agent}-0000000a",
                "queue": "sales",
            }
        if request.op == "canned_stop":
            return {"session": request.session, "ended": True}
        to = request.device or request.target_device or request.extension
        return {"caller": request.caller, "queue": request.queue, "to": to}


@dataclass
class FakeDialer:
    """Stands in for the bridge's dialer (command kind ``dialer``): records what it was asked,
    answers as the bridge does, or raises ``fail_with``."""

    requests: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    fail_with: Exception | None = None

    async def run(self, args: dict[str, Any], *, actor: str) -> Any:
        self.requests.append((args, actor))
        if self.fail_with is not None:
            raise self.fail_with
        return {"attempt": args["attempt"], "state": "ringing_agent"}


@dataclass
class FakeAgents:
    """Stands in for the bridge's agent use cases in unit-level API tests: plans the request
    with the same policy the bridge uses, against the mirror the test set up (the bridge
    plans against its model, which the mirror copies), and records what it was asked."""

    reader: MirrorReader | None = None
    calls: list[tuple[str, str, Any, Any, Actor]] = field(default_factory=list)
    fail_with: Exception | None = None

    async def act(self, request: AgentRequest) -> list[str]:
        state: Any = (await self.reader.snapshot()).state if self.reader else {}
        live = live_facts(state.get("member", {}).values(), state.get("queue", {}), request)
        planned = plan(request, live)
        by = Actor(request.actor.username, request.actor.username != request.target.username)
        if request.action == "login":
            name = request.member_name
            return await self.log_in(request.device, planned, by=by, member_name=name)
        if request.action == "logout":
            return await self.log_out(request.device, planned, by=by)
        if request.action == "pause":
            return await self.pause(request.device, request.reason, planned, by=by)
        return await self.resume(request.device, planned, by=by)

    def _record(self, action: str, agent: str, queues: Any, extra: Any, by: Actor) -> list[str]:
        self.calls.append((action, agent, None if queues is None else list(queues), extra, by))
        if self.fail_with is not None:
            raise self.fail_with
        return list(queues) if queues is not None else ["<all>"]

    async def log_in(self, agent: str, queues: Any, *, by: Actor, member_name: str = "") -> (
        list[str]
    ):  # fmt: skip
        return self._record("login", agent, queues, member_name, by)

    async def log_out(self, agent: str, queues: Any, *, by: Actor) -> list[str]:
        return self._record("logout", agent, queues, None, by)

    async def pause(self, agent: str, reason: str, queues: Any = None, *, by: Actor) -> list[str]:
        return self._record("pause", agent, queues, reason, by)

    async def resume(self, agent: str, queues: Any = None, *, by: Actor) -> list[str]:
        return self._record("resume", agent, queues, None, by)


class Browser:
    """A user agent: its own cookie jar, the CSRF token it was given, the app's Origin."""

    def __init__(self, server: BaseTestServer) -> None:
        self.base = str(server.make_url("")).rstrip("/")
        self.origin = self.base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def login(self, username: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        resp = await self.request("POST", "/api/v1/session", {"username": username,
                                                              "password": password})  # fmt: skip
        if resp.status == 200:
            self.csrf = (await resp.json())["csrf_token"]
        return resp

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        csrf: str | None = None,
        headers: dict[str, str] | None = None,
        data: Any = None,
    ) -> aiohttp.ClientResponse:
        sent = {"Origin": self.origin}
        if method not in ("GET", "HEAD"):
            token = self.csrf if csrf is None else csrf
            if token:
                sent["X-CSRF-Token"] = token
        sent.update(headers or {})
        resp = await self.http.request(
            method,
            self.base + path,
            json=body if data is None and body is not None else None,
            data=data,
            headers=sent,
        )
        await resp.read()
        return resp

    async def get(self, path: str) -> aiohttp.ClientResponse:
        return await self.request("GET", path)

    async def post(self, path: str, body: Any = None, **kw: Any) -> aiohttp.ClientResponse:
        return await self.request("POST", path, body, **kw)

    async def live(self, origin: str | None = None) -> aiohttp.ClientWebSocketResponse:
        return await self.http.ws_connect(
            self.base + "/api/v1/live", headers={"Origin": origin or self.origin}
        )


async def error_code(resp: aiohttp.ClientResponse) -> tuple[int, str]:
    return resp.status, (await resp.json())["error"]["code"]


async def next_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def until(
    probe: Callable[[], Awaitable[bool] | bool], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Test-side wait for something asynchronous to become true."""
    async with asyncio.timeout(timeout):
        while True:
            result = probe()
            if isinstance(result, Awaitable):
                result = await result
            if result:
                return
            await asyncio.sleep(0.02)


@dataclass
class FakeConfig:
    """Stands in for the bridge's configuration commands in API tests: stores what the bridge
    would store once Asterisk took it, without an Asterisk (the live tests use the real one)."""

    store: Any = None
    calls: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    fail_with: Exception | None = None

    async def run(self, op: str, args: dict[str, Any], *, actor: str) -> Any:
        self.calls.append((op, args, actor))
        if self.fail_with is not None:
            raise self.fail_with
        if op in ("queue.create", "queue.update"):
            if op == "queue.create":
                queue = QueueDef.from_mapping(args["queue"])
            else:
                current = await self.store.queue(args["queue"]["name"])
                queue = current.with_changes(args["queue"])
            await self.store.save_queue(queue, actor)
            return queue.to_dict()
        if op == "queue.delete":
            await self.store.delete_queue(args["name"], actor)
            return {}
        if op == "user.skills":
            await self.store.set_user_skills(args["username"], args["levels"], actor)
            return {"penalties": []}
        if op == "reconcile":
            return {"differences": [], "fixed": []}
        if op == "canned_audio.sync":
            return {"written": [], "removed": []}
        raise AssertionError(f"unexpected op {op}")
