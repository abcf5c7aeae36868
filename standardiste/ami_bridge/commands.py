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

from standardiste.acd.callbacks import (
    HOLD_CONTEXT,
    PLACE_CONTEXT,
    REQUEST_ID_RE,
    hold_uniqueid,
    placeholder_uniqueid,
)
from standardiste.acd.canned import CANNED_CONTEXT
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
ORIGINATE_VARIABLES = frozenset(
    {
        "QUEUE_MAXWAIT",
        "STD_ATTEMPT",
        "STD_RING",
        "STD_CALLERID",
        "STD_QUEUE",
    }
)
ATTEMPT_RE = re.compile(r"^[0-9a-f]{32}$")
DIGITS_RE = re.compile(r"^[0-9]{3,20}$")


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

    async def originate_dial(
        self,
        channel: str,
        context: str,
        exten: str,
        *,
        attempt: str,
        caller_name: str,
        caller_number: str,
        variables: Mapping[str, str],
        timeout_s: int,
    ) -> None:
        """A campaign attempt: ``channel`` is rung (the agent's phone, or a Local channel
        towards the contact) and, answered, continues at ``context``/``exten``. The
        originated channel's uniqueid is the attempt's id (``ChannelId``; a Local
        channel's other half gets ``<id>-2``), so after a restart CoreShowChannels says
        which attempts are still up. The phone shows ``"caller_name" <caller_number>``:
        the name sanitised, the number digits only."""
        name = "".join(ch for ch in display_name(caller_name) if CALLER_ID_RE.fullmatch(ch))
        headers: dict[str, str] = {
            "Channel": _check("channel", channel, INTERFACE_RE),
            "Context": _check("context", context, DIALPLAN_RE),
            "Exten": _check("extension", exten, DIALPLAN_RE),
            "Priority": "1",
            "Async": "true",
            "Timeout": str(int(timeout_s) * 1000),
            "ChannelId": _check("attempt", attempt, ATTEMPT_RE),
            "CallerID": f'"{name}" <{_check("caller number", caller_number, DIGITS_RE)}>',
        }
        if channel.startswith("Local/"):
            headers["OtherChannelId"] = f"{attempt}-2"
        pairs = []
        for var, value in variables.items():
            if var not in ORIGINATE_VARIABLES:
                raise ValueError(f"variable {var!r} is not one the dialer may set")
            pairs.append(f"{var}={_check(var, value, DIALPLAN_RE)}")
        if pairs:
            headers["Variable"] = ",".join(pairs)
        await self._conn.send("Originate", headers, idempotent=False)

    async def place_callback(
        self, request: str, queue: str, digits: str, *, position: int, timeout_s: int
    ) -> None:
        """Place callback request ``request``'s placeholder in ``queue`` at ``position``
        (BY-1, ``acd.callbacks``): ``Local/<id>@standardiste-callback-place/n``, whose ;2
        half waits in the queue for ``timeout_s`` and whose ;1 half dials ``digits`` (the
        customer's E.164 number without "+") once an agent answered. The uniqueids are the
        request's (``cbh-<id>``, ``cb-<id>``): Asterisk refuses a second placeholder while
        one lives. Every value is allow-listed; class ``originate`` only."""
        _check("callback request", request, REQUEST_ID_RE)
        _check("queue", queue, QUEUE_RE)
        _check("number", digits, _DIGITS_RE)
        if not 0 <= position <= 99999 or not 1 <= timeout_s <= 999999:
            raise ValueError(f"position {position} or timeout {timeout_s} out of range")
        variables = {
            "__STD_CB_ID": request,
            "__STD_CB_QUEUE": queue,
            "__STD_CB_NUMBER": digits,
            "STD_CB_POSITION": str(int(position)),
            "STD_CB_TIMEOUT": str(int(timeout_s)),
        }
        await self._conn.send(
            "Originate",
            {
                "Channel": f"Local/{request}@{PLACE_CONTEXT}/n",
                "Context": HOLD_CONTEXT,
                "Exten": request,
                "Priority": "1",
                "ChannelId": hold_uniqueid(request),
                "OtherChannelId": placeholder_uniqueid(request),
                "CallerID": f'"Callback" <{digits}>',
                "Variable": ",".join(f"{k}={v}" for k, v in variables.items()),
                "Async": "true",
                "Timeout": "10000",
            },
            idempotent=False,
        )

    async def queue_log(self, queue: str, uniqueid: str, event: str, message: str) -> None:
        """A custom queue_log row (what QueueMetrics reads: ``INFO``...). Class ``agent``."""
        await self._conn.send(
            "QueueLog",
            {
                "Queue": _check("queue", queue, QUEUE_RE),
                "Event": _check("queue_log event", event, _QUEUE_LOG_EVENT_RE),
                "UniqueId": _check("uniqueid", uniqueid, _UNIQUEID_RE),
                "Message": _check("queue_log message", message, _QUEUE_LOG_MESSAGE_RE),
            },
        )

    async def spy(self, device: str, target_channel: str, options: str) -> None:
        """Ring the supervisor's ``device``; answered, it runs ChanSpy on the agent's exact
        channel (``u``: a full channel name, never a prefix). Only ``originate`` is needed:
        ChanSpy is not one of the applications that also require ``system``. Data is
        built here from an allow-listed channel name and fixed option letters only."""
        if not _SPY_OPTIONS_RE.fullmatch(options) or "u" not in options:
            raise ValueError(f"ChanSpy options {options!r} are not allowed")
        await self._conn.send(
            "Originate",
            {
                "Channel": _check("device", device, INTERFACE_RE),
                "Application": "ChanSpy",
                "Data": f"{_check('channel', target_channel, CHANNEL_RE)},{options}",
                "Async": "true",
                "Timeout": "30000",
            },
            idempotent=False,
        )

    async def play_into(self, message: int, target_channel: str) -> None:
        """Play canned message ``message`` into the call of ``target_channel`` (an agent's
        exact channel), heard by both parties: a Local channel whose ``;2`` half runs our
        dialplan's ``[standardiste-canned]`` (Answer, Playback of the message's file,
        Hangup) and whose ``;1`` half runs ``ChanSpy(<channel>,qBEu)``: barge (both legs
        hear), quiet, exact channel, ends with the call. Class ``originate`` only; the
        message is a number and the channel allow-listed, the options fixed."""
        if isinstance(message, bool) or not isinstance(message, int) or not 0 < message < 10**18:
            raise ValueError(f"canned message id {message!r} is not allowed")
        await self._conn.send(
            "Originate",
            {
                "Channel": f"Local/{message}@{CANNED_CONTEXT}",
                "Application": "ChanSpy",
                "Data": f"{_check('channel', target_channel, CHANNEL_RE)},{CANNED_SPY_OPTIONS}",
                "Async": "true",
                "Timeout": "10000",
            },
            idempotent=False,
        )

    async def receive_digit(self, channel: str, digit: str) -> None:
        """As if ``channel`` had received ``digit`` from its phone (PlayDTMF Receive): how
        the browser switches a ChanSpy session's mode (its ``d`` option: 4, 5, 6)."""
        if digit not in ("4", "5", "6"):
            raise ValueError(f"digit {digit!r} is not one this product sends")
        await self._conn.send(
            "PlayDTMF",
            {"Channel": _check("channel", channel, CHANNEL_RE), "Digit": digit, "Receive": "yes"},
        )

    async def withdraw_caller(self, queue: str, caller_channel: str, info: str) -> None:
        """Take a waiting caller out of ``queue``: Queue() returns to our dialplan with
        QUEUESTATUS=WITHDRAW and ``info`` in QUEUE_WITHDRAW_INFO (at most 40 characters),
        which says where the dialplan sends them. Needs no class (Asterisk 20+)."""
        if not _WITHDRAW_INFO_RE.fullmatch(info):
            raise ValueError(f"withdraw info {info!r} is not allowed")
        await self._conn.send(
            "QueueWithdrawCaller",
            {
                "Queue": _check("queue", queue, QUEUE_RE),
                "Caller": _check("channel", caller_channel, CHANNEL_RE),
                "WithdrawInfo": info,
            },
        )

    async def extension_exists(self, context: str, extension: str) -> bool:
        """Whether ``extension`` exists in ``context`` in the dialplan Asterisk runs now
        (DIALPLAN_EXISTS through Getvar: class call)."""
        _check("context", context, DIALPLAN_RE)
        _check("extension", extension, EXTENSION_RE)
        response: Any = await self._conn.send(
            "Getvar", {"Variable": f"DIALPLAN_EXISTS({context},{extension},1)"}
        )
        return str(response.message.get("Value", "")) == "1"

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
# A number the dialplan dials: digits only (E.164 without "+").
_DIGITS_RE = re.compile(r"^[0-9]{3,15}$")
_QUEUE_LOG_EVENT_RE = re.compile(r"^[A-Z][A-Z_]{0,31}$")
_QUEUE_LOG_MESSAGE_RE = re.compile(r"^[A-Za-z0-9_|.:-]{0,200}$")
_UNIQUEID_RE = re.compile(r"^[A-Za-z0-9_.;-]{1,80}$")
# A canned message barges into both legs: quiet, barge, end with the call, exact channel.
CANNED_SPY_OPTIONS = "qBEu"
# ChanSpy options the product uses: q quiet, E end with the spied channel, d DTMF 4/5/6
# switch modes, u exact channel name, w whisper, B barge. Nothing that takes an argument.
_SPY_OPTIONS_RE = re.compile(r"^[qEduwB]{1,8}$")
# What our dialplan understands after a withdraw: "dev:<endpoint>" or "ext:<digits>".
_WITHDRAW_INFO_RE = re.compile(r"^(dev:[A-Za-z0-9_.-]{1,32}|ext:[0-9]{2,20})$")
