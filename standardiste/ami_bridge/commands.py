"""Typed AMI commands: the actions the application sends, with their inputs checked here.

Callers never build AMI headers themselves. Anything that could reach the dialplan, a channel
name or a variable is matched against an allow-list first (CVE-2024-42365 came from text
passed into Originate); the allow-lists are ``acd.names``', shared with the web and the
accounts, and display names (``MemberName``) are sanitised there rather than refused. Errors
are ami_bridge's own (``AmiActionError`` carries Asterisk's
message); mapping them to domain errors is the application's business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from standardiste.acd.names import (
    CALLER_ID_RE,
    DIALPLAN_RE,
    EXTENSION_RE,
    INTERFACE_RE,
    QUEUE_RE,
    REASON_RE,
    display_name,
)

# Variables an Originate may set: the dialer's own, never functions such as FILE() or SHELL().
ORIGINATE_VARIABLES = frozenset({"DIALER_CAMPAIGN", "DIALER_CONTACT", "QUEUE_MAXWAIT"})


class Sender(Protocol):
    async def send(
        self, name: str, headers: Mapping[str, str], *, timeout: float = ..., idempotent: bool = ...
    ) -> object: ...


def _check(what: str, value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.fullmatch(value):  # fullmatch: "$" alone would let a final "\n" in
        raise ValueError(f"{what} {value!r} is not allowed")
    return value


class AmiCommands:
    """``queue_add(...)``, ``queue_pause(...)``, ``originate(...)``: one method per action."""

    def __init__(self, connection: Sender) -> None:
        self._conn = connection

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str = "",
        paused: bool = False,
        penalty: int = 0,
    ) -> None:
        if not 0 <= penalty <= 1000:
            raise ValueError(f"penalty {penalty} out of range")
        headers = {
            "Queue": _check("queue", queue, QUEUE_RE),
            "Interface": _check("interface", interface, INTERFACE_RE),
            "Paused": "true" if paused else "false",
        }
        if penalty:
            headers["Penalty"] = str(int(penalty))
        if display_name(member_name):
            headers["MemberName"] = display_name(member_name)
        await self._conn.send("QueueAdd", headers)

    async def queue_remove(self, queue: str, interface: str) -> None:
        await self._conn.send(
            "QueueRemove",
            {
                "Queue": _check("queue", queue, QUEUE_RE),
                "Interface": _check("interface", interface, INTERFACE_RE),
            },
        )

    async def queue_pause(self, queue: str, interface: str, paused: bool, reason: str = "") -> None:
        headers = {
            "Queue": _check("queue", queue, QUEUE_RE),
            "Interface": _check("interface", interface, INTERFACE_RE),
            "Paused": "true" if paused else "false",
        }
        if reason:
            headers["Reason"] = _check("pause reason", reason, REASON_RE)
        await self._conn.send("QueuePause", headers)

    async def queue_penalty(self, queue: str, interface: str, penalty: int) -> None:
        if not 0 <= penalty <= 1000:
            raise ValueError(f"penalty {penalty} out of range")
        await self._conn.send(
            "QueuePenalty",
            {
                "Queue": _check("queue", queue, QUEUE_RE),
                "Interface": _check("interface", interface, INTERFACE_RE),
                "Penalty": str(int(penalty)),
            },
        )

    async def queue_reload(self, *, rules: bool = True) -> None:
        """Re-read every queue's parameters (and the queue rules) from queues.conf and its
        includes; members are left alone (``Members: no``). Needs no AMI class."""
        await self._conn.send(
            "QueueReload",
            {"Parameters": "yes", "Rules": "yes" if rules else "no", "Members": "no"},
        )

    async def route_of(self, extension: str) -> str:
        """The queue the generic dialplan sends ``extension`` to, as Asterisk reads it now
        (``AST_CONFIG`` of the generated routes.conf: what a call would get)."""
        _check("extension", extension, EXTENSION_RE)
        response: Any = await self._conn.send(
            "Getvar",
            {"Variable": f"AST_CONFIG(standardiste/routes.conf,extensions,{extension})"},
        )
        return str(response.message.get("Value", ""))

    async def originate(
        self,
        channel: str,
        context: str,
        exten: str,
        *,
        caller_id: str = "",
        variables: Mapping[str, str] | None = None,
        timeout_s: int = 30,
    ) -> None:
        """Start a call asynchronously (``Async: true``); never re-sent after a reconnect."""
        headers: dict[str, str] = {
            "Channel": _check("channel", channel, INTERFACE_RE),
            "Context": _check("context", context, DIALPLAN_RE),
            "Exten": _check("extension", exten, DIALPLAN_RE),
            "Priority": "1",
            "Async": "true",
            "Timeout": str(int(timeout_s) * 1000),
        }
        if caller_id:
            headers["CallerID"] = _check("caller id", caller_id, CALLER_ID_RE)
        pairs = []
        for name, value in (variables or {}).items():
            if name not in ORIGINATE_VARIABLES:
                raise ValueError(f"variable {name!r} is not one the dialer may set")
            pairs.append(f"{name}={_check(name, value, DIALPLAN_RE)}")
        if pairs:
            headers["Variable"] = ",".join(pairs)
        await self._conn.send("Originate", headers, idempotent=False)

    async def snapshot_lists(self) -> tuple[list[Any], list[Any], list[Any]]:
        """The three lists a resync rebuilds the model from: QueueStatus, CoreShowChannels
        and DeviceStateList (each the events of its list response)."""
        status: Any = await self._conn.send("QueueStatus", {})
        channels: Any = await self._conn.send("CoreShowChannels", {})
        devices: Any = await self._conn.send("DeviceStateList", {})
        return list(status.events), list(channels.events), list(devices.events)

    async def hangup(self, channel: str) -> None:
        """Hang up one channel (e.g. ``PJSIP/pstn-0000002a``); idempotent: gone is gone."""
        await self._conn.send(
            "Hangup", {"Channel": _check("channel", channel, CHANNEL_RE)}, idempotent=True
        )


# A live channel's name: an interface, Asterisk's "-<hex>" suffix, a Local channel's ";1"/";2".
CHANNEL_RE = re.compile(r"^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@+-]{1,80}(;[12])?$")
