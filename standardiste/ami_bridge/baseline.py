"""Parser baselines: panoramisk's AMI parser vs our :class:`~ami_bridge.wire.Framer`.

Used by the benchmark to compare parsing speed on the same byte stream. Both functions
feed the stream in socket-sized chunks (as a reader would) and return the number of
messages parsed. :func:`synthetic_queue_stream` builds a realistic stream of queue-call
events (about 72% VarSet, like a recorded queue call) so no Asterisk is needed.

Within the project only :mod:`ami_bridge` may import panoramisk, and within it only this
module does (the connection deliberately doesn't use it); the import is lazy so importing
:mod:`ami_bridge` does not pull panoramisk in.
"""

from __future__ import annotations

import random
from typing import Any

from .wire import Framer

__all__ = ["own_parse", "panoramisk_parse", "synthetic_queue_stream", "CHUNK_BYTES"]

#: What one ``StreamReader.read`` typically hands over on a busy socket.
CHUNK_BYTES = 64 * 1024


def _chunks(stream: bytes, size: int) -> list[bytes]:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


class _CountingFactory:
    """Stands in for panoramisk's Manager: receives dispatched events."""

    save_stream = None
    forgetable_actions: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.awaiting_actions: list[Any] = []

    def dispatch(self, message: Any) -> None:  # pragma: no cover - handle_message is replaced
        pass

    def connection_lost(self, exc: Any) -> None:  # pragma: no cover
        pass


class _NullTransport:
    def write(self, data: bytes) -> None:  # pragma: no cover
        pass

    def close(self) -> None:  # pragma: no cover
        pass


def panoramisk_parse(stream: bytes, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Parse ``stream`` with ``panoramisk.ami_protocol.AMIProtocol.data_received``.

    ``handle_message`` is replaced by a counter so only framing + ``Message.from_line``
    (panoramisk's whole parsing path) is measured, not its routing or dispatch.
    """
    from panoramisk.ami_protocol import AMIProtocol

    count = 0

    def handle_message(message: Any) -> None:
        nonlocal count
        count += 1

    proto = AMIProtocol()
    proto.connection_made(_NullTransport())
    proto.factory = _CountingFactory()
    proto.handle_message = handle_message
    for chunk in _chunks(stream, chunk_bytes):
        proto.data_received(chunk)
    return count


def own_parse(stream: bytes, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Parse ``stream`` with our :class:`Framer`; same chunking as :func:`panoramisk_parse`."""
    framer = Framer()
    count = 0
    for chunk in _chunks(stream, chunk_bytes):
        count += len(framer.feed(chunk))
    return count


# -- synthetic stream ---------------------------------------------------------------------

_CONTEXTS = ("from-pstn", "queues", "agents")


def _channel_block(prefix: str, chan: str, uid: str, linked: str, rng: random.Random) -> list[str]:
    num = f"0{rng.randrange(100000000, 999999999)}"
    return [
        f"{prefix}Channel: {chan}",
        f"{prefix}ChannelState: 6",
        f"{prefix}ChannelStateDesc: Up",
        f"{prefix}CallerIDNum: {num}",
        f"{prefix}CallerIDName: Caller {num[-4:]}",
        f"{prefix}ConnectedLineNum: <unknown>",
        f"{prefix}ConnectedLineName: <unknown>",
        f"{prefix}Language: fr",
        f"{prefix}AccountCode: ",
        f"{prefix}Context: {rng.choice(_CONTEXTS)}",
        f"{prefix}Exten: s",
        f"{prefix}Priority: {rng.randrange(1, 12)}",
        f"{prefix}Uniqueid: {uid}",
        f"{prefix}Linkedid: {linked}",
    ]


def synthetic_queue_stream(
    n_events: int = 10_000, *, seed: int = 1, eol: bytes = b"\r\n", banner: bool = True
) -> bytes:
    """A realistic AMI stream of ``n_events`` queue-call events (Asterisk 22 field sets).

    Mix: ~72% VarSet, the rest Newchannel/Newstate/QueueCallerJoin/AgentCalled/
    AgentConnect/QueueMemberStatus/QueueCallerLeave/Hangup, each with full channel
    snapshots, as in a recorded queue call.
    """
    rng = random.Random(seed)
    sep = eol.decode()
    out: list[str] = []
    if banner:
        out.append(f"Asterisk Call Manager/9.0.0{sep}")
    others = (
        "Newchannel",
        "Newstate",
        "QueueCallerJoin",
        "AgentCalled",
        "AgentConnect",
        "QueueMemberStatus",
        "QueueCallerLeave",
        "Hangup",
    )
    for i in range(n_events):
        ts = 1_700_000_000 + i / 100
        uid = f"{ts:.6f}"
        linked = f"{1_700_000_000 + (i // 240) / 100:.6f}"
        chan = f"PJSIP/trunk-{i // 240:08x}"
        agent = f"PJSIP/agent{1000 + rng.randrange(20)}"
        if rng.random() < 0.72:
            name = rng.choice(("BRIDGEPEER", "QUEUEPOSITION", "MEMBERINTERFACE", "DIALSTATUS"))
            lines = ["Event: VarSet", "Privilege: dialplan,all", f"Timestamp: {ts:.6f}"]
            lines += _channel_block("", chan, uid, linked, rng)
            lines += [f"Variable: {name}", f"Value: {agent if name != 'QUEUEPOSITION' else i}"]
        else:
            event = rng.choice(others)
            lines = [f"Event: {event}", "Privilege: agent,all", f"Timestamp: {ts:.6f}"]
            lines += _channel_block("", chan, uid, linked, rng)
            if event in ("AgentCalled", "AgentConnect"):
                lines += _channel_block("Dest", f"{agent}-{i:08x}", uid + "1", linked, rng)
                lines += [f"Queue: support-{i % 3}", f"MemberName: {agent}", f"Interface: {agent}"]
                if event == "AgentConnect":
                    lines += [f"HoldTime: {rng.randrange(60)}", f"RingTime: {rng.randrange(20)}"]
            elif event == "QueueMemberStatus":
                lines = ["Event: QueueMemberStatus", "Privilege: agent,all"]
                lines += [
                    f"Queue: support-{i % 3}",
                    f"MemberName: {agent}",
                    f"Interface: {agent}",
                    f"StateInterface: {agent}",
                    "Membership: dynamic",
                    "Penalty: 0",
                    f"CallsTaken: {rng.randrange(100)}",
                    f"LastCall: {int(ts) - 60}",
                    f"LastPause: {int(ts) - 600}",
                    f"LoginTime: {int(ts) - 3600}",
                    "InCall: 1",
                    f"Status: {rng.randrange(1, 9)}",
                    "Paused: 0",
                    "PausedReason: ",
                    "Ringinuse: 0",
                    "Wrapuptime: 0",
                ]
            elif event in ("QueueCallerJoin", "QueueCallerLeave"):
                lines += [f"Queue: support-{i % 3}", f"Position: {1 + i % 5}", "Count: 3"]
            elif event == "Hangup":
                lines += ["Cause: 16", "Cause-txt: Normal Clearing"]
        out.append(sep.join(lines) + sep + sep)
    return "".join(out).encode()
