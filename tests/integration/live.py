"""Support for the live tests: what Asterisk reports vs what the Redis mirror says.

Asterisk's side is read with the test's own raw AMI client (not the bridge's code), so a bug in
the bridge cannot hide itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from ami_raw import RawAMI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from standardiste.mirror import MirrorReader

T = TypeVar("T")


@dataclass
class View:
    """The part of the PBX state both sides can report, normalised for comparison."""

    members: dict[tuple[str, str], tuple[bool, str]] = field(default_factory=dict)
    callers: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    calls: set[str] = field(default_factory=set)
    devices: dict[str, str] = field(default_factory=dict)  # the agents' phones


async def asterisk_view(ami: RawAMI) -> View:
    view = View()
    for m in await ami.action_list("QueueStatus"):
        kind = m.get("Event")
        if kind == "QueueMember":
            paused = m.get("Paused") == "1"
            view.members[(m["Queue"], m["Location"])] = (
                paused,
                m.get("PausedReason", "") if paused else "",
            )
        elif kind == "QueueEntry":
            view.callers[m["Uniqueid"]] = (m["Queue"], int(m["Position"]), m.get("CallerIDNum", ""))
    for d in await ami.action_list("DeviceStateList"):
        if d.get("Event") == "DeviceStateChange" and d["Device"].startswith("PJSIP/agent"):
            view.devices[d["Device"]] = d["State"]
    for c in await ami.action_list("CoreShowChannels"):
        # A queue caller talking to an agent: still in Queue(), and bridged.
        if (
            c.get("Event") == "CoreShowChannel"
            and c.get("Application") == "Queue"
            and c.get("BridgeId")
        ):
            view.calls.add(c["Uniqueid"])
    return view


async def mirror_view(reader: MirrorReader) -> View:
    snap = await reader.snapshot()
    view = View()
    for m in snap.state["member"].values():
        view.members[(m["queue"], m["interface"])] = (m["paused"], m["paused_reason"])
    for c in snap.state["caller"].values():
        view.callers[c["uniqueid"]] = (c["queue"], c["position"], c["caller_number"])
    view.calls = set(snap.state["call"])
    view.devices = {
        k: v["state"] for k, v in snap.state["device"].items() if k.startswith("PJSIP/agent")
    }
    return view


async def eventually(
    probe: Callable[[], Awaitable[T]],
    check: Callable[[T], bool],
    timeout: float = 15.0,
    what: str = "condition",
) -> T:
    """Wait until ``check(await probe())``; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout}s; last: {value!r}")
        await asyncio.sleep(0.2)


async def converged(ami: RawAMI, reader: MirrorReader, timeout: float = 15.0) -> View:
    """Wait until the mirror equals what Asterisk reports; return that view."""

    async def both() -> tuple[View, View]:
        return await asterisk_view(ami), await mirror_view(reader)

    pbx, _ = await eventually(both, lambda v: v[0] == v[1], timeout, "mirror == Asterisk")
    return pbx


async def queue_params(ami: RawAMI) -> dict[str, dict[str, str]]:
    """Each queue's QueueParams, as Asterisk reports them now."""
    return {
        m["Queue"]: m
        for m in await ami.action_list("QueueStatus")
        if m.get("Event") == "QueueParams"
    }


async def members(ami: RawAMI) -> dict[tuple[str, str], dict[str, str]]:
    """(queue, interface) -> its QueueMember row, as Asterisk reports it now."""
    return {
        (m["Queue"], m["Location"]): m
        for m in await ami.action_list("QueueStatus")
        if m.get("Event") == "QueueMember"
    }


async def route(ami: RawAMI, extension: str) -> str:
    """The queue the generic dialplan sends ``extension`` to (the generated routes.conf)."""
    reply = await ami.action(
        "Getvar", Variable=f"AST_CONFIG(standardiste/routes.conf,extensions,{extension})"
    )
    return str(reply.get("Value", ""))


async def sql_rows(url: str, query: str, **params: Any) -> list[dict[str, Any]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(query), params)
            return [dict(r._mapping) for r in result]
    finally:
        await engine.dispose()


class ApiUser:
    """One browser on the JSON API at ``base``: its own cookies, its CSRF token, the Origin."""

    def __init__(self, base: str, password: str) -> None:
        self.base = base.rstrip("/")
        self.password = password
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Origin": self.base, "X-CSRF-Token": self.csrf}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    async def login(self, username: str) -> None:
        status, body = await self.call(
            "POST", "/api/v1/session", {"username": username, "password": self.password}
        )
        assert status == 200, body
        self.csrf = body["csrf_token"]
