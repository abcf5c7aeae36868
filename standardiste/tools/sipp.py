"""Real SIP endpoints for tests: asyncio wrappers around ``sipp`` processes.

- ``AgentPhone``: a UAS playing an agent's phone on 127.0.0.1:<port> (the static contact of
  the agent's PJSIP AOR). It rings, answers after ``answer_delay_s`` and stays in the call until
  Asterisk hangs up (or until ``hangup_after_s``, then it sends BYE itself).
- ``place_call``: a UAC bound to 127.0.0.2 (the sandbox's "pstn" endpoint) calling a service
  number in ``from-pstn`` with any caller number; it stays ``hangup_after_s`` then sends BYE
  (CANCEL if it was never answered).
- Either can put the call on hold the way a phone's hold key does (:class:`Hold`): a re-INVITE
  with ``a=sendonly`` some time after the answer, then one with ``a=sendrecv``.
- An agent's phone can press keys (:class:`Key`): an RFC 4733 event (sip-tester's
  ``dtmf_2833_<digit>.pcap``) some time after the answer; its SDP offers telephone-event
  (payload type 101) for that, as a real phone's does.

Both can talk: ``talk=`` a pcap of RTP audio (:data:`SPEECH`, or ``tools.tone``'s tone and
looped speech) that sipp plays once answered; silent otherwise (no RTP at all).

Scenarios are templates in ``standardiste/tools/sipp_scenarios/`` (package data). Each process
gets a
private log directory; the scenarios write one ``<call_id> <OUTCOME>`` line per step through
sipp's ``<log>`` action, which is how ``outcomes()`` reports what happened. Every process is
awaited (no zombies); ``stop()`` sends SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import socket
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

SCENARIO_DIR = Path(__file__).with_name("sipp_scenarios")
AGENT_SCENARIO = "agent_uas.xml"
BUSY_SCENARIO = "busy_uas.xml"
CALLER_SCENARIO = "caller_uac.xml"
FOREVER_MS = 86_400_000  # "never" for sipp timeouts: one day
_CALLER_RE = re.compile(r"^\+?[0-9]{1,32}$")
_SERVICE_RE = re.compile(r"^[0-9*#+]{1,32}$")
_PCAP_RE = re.compile(r"/[A-Za-z0-9_./-]{1,250}\.pcap")  # nothing to escape in XML
# sip-tester's sample of speech (G.711 A-law RTP, about 7 s), for a phone that talks.
SPEECH = Path("/usr/share/sip-tester/g711a.pcap")
# sip-tester's key presses: RFC 4733 events (payload type 101) of about 140 ms, one per key.
DTMF_DIR = Path("/usr/share/sip-tester")
_KEY_FILES = {**{d: d for d in "0123456789"}, "*": "star", "#": "pound"}
# How long a key press takes in the scenario: the event's packets (about 140 ms) are sent
# before the phone's voice (its ``talk``) starts again.
KEY_S = 0.3


class SippError(RuntimeError):
    """sipp is missing, failed to start, or a call did not end as expected."""


@dataclass(frozen=True)
class Hold:
    """Put the call on hold ``after_s`` after the answer, for ``for_s`` (then back to talking).

    The scenario logs HOLD once Asterisk accepted the ``a=sendonly`` re-INVITE and UNHOLD once
    it accepted the ``a=sendrecv`` one. A BYE from Asterisk during the hold fails the call (sipp
    waits on a timer there, not on a message): hold before the other side hangs up.
    """

    after_s: float
    for_s: float

    def __post_init__(self) -> None:
        if not (self.after_s >= 0 and self.for_s > 0):
            raise ValueError(f"hold: after_s >= 0 and for_s > 0: {self!r}")


@dataclass(frozen=True)
class Key:
    """Press ``digit`` (0-9, * or #) ``after_s`` after the answer.

    sipp plays one pcap at a time per call: a new one stops the one playing. So the key's
    event stops the phone's voice (``talk``) and, :data:`KEY_S` later, the voice starts again
    from its beginning, as a phone whose user speaks, presses a key and speaks again. The
    scenario logs KEY (detail: the digit) as it sends the event. Like the hold, the presses
    are timed steps: a BYE or re-INVITE from Asterisk before the last key fails the call.
    """

    after_s: float
    digit: str

    def __post_init__(self) -> None:
        if self.digit not in _KEY_FILES or not self.after_s >= 0:
            raise ValueError(f"key: a digit 0-9, * or # and after_s >= 0: {self!r}")

    @property
    def pcap(self) -> Path:
        return DTMF_DIR / f"dtmf_2833_{_KEY_FILES[self.digit]}.pcap"


def key_steps(keys: Sequence[Key], talk: Path | None, then: str) -> str:
    """The scenario steps of ``keys`` (in time order, :data:`KEY_S` apart at least), ending
    with a jump to label ``then``; "" without keys."""
    if not keys:
        return ""
    steps: list[str] = []
    at = 0.0
    for key in keys:
        if key.after_s < at:
            raise ValueError(f"keys: in time order, {KEY_S} s apart at least: {keys!r}")
        steps += [
            f'  <pause milliseconds="{_ms(key.after_s - at)}"/>',
            f'  <nop><action><exec play_pcap_audio="{key.pcap}"/>'
            f'<log message="[call_id] KEY {key.digit}"/></action></nop>',
            f'  <pause milliseconds="{_ms(KEY_S)}"/>',
        ]
        if talk is not None:
            steps.append(f'  <nop><action><exec play_pcap_audio="{talk}"/></action></nop>')
        at = key.after_s + KEY_S
    steps.append(f'  <nop next="{then}"/>')
    return "\n".join(steps)


def hold_values(hold: Hold | None) -> dict[str, str]:
    """The scenario placeholders of a hold (none: go straight to the in-call wait)."""
    if hold is None:
        return {"AFTER_ANSWER": "incall", "HOLD_AFTER_MS": "1", "HOLD_FOR_MS": "1"}
    return {
        "AFTER_ANSWER": "hold",
        "HOLD_AFTER_MS": _ms(hold.after_s),
        "HOLD_FOR_MS": _ms(hold.for_s),
    }


@dataclass(frozen=True)
class CallOutcome:
    """One ``<call_id> <OUTCOME> [detail]`` line written by a scenario."""

    call_id: str
    # RINGING, CANCELLED, ANSWERED, KEY, HOLD, UNHOLD, REMOTE_BYE, LOCAL_BYE, REJECTED
    outcome: str
    detail: str = ""  # KEY: the digit


@dataclass(frozen=True)
class CallResult:
    """How a ``place_call`` process ended."""

    returncode: int  # sipp: 0 all calls succeeded, 1 some failed, <0 killed by a signal
    outcomes: tuple[CallOutcome, ...]

    @property
    def answered(self) -> bool:
        return any(o.outcome == "ANSWERED" for o in self.outcomes)

    @property
    def ended_by(self) -> str | None:
        """``"remote"`` (Asterisk sent BYE), ``"local"`` (we sent BYE), ``"cancel"``,
        ``"rejected"`` or None (no outcome logged: sipp failed)."""
        names = {o.outcome for o in self.outcomes}
        for name, key in (
            ("REMOTE_BYE", "remote"),
            ("LOCAL_BYE", "local"),
            ("CANCELLED", "cancel"),
            ("REJECTED", "rejected"),
        ):
            if name in names:
                return key
        return None


def render_scenario(name: str, dest: Path, **values: str) -> Path:
    """Copy scenario template ``name`` into ``dest`` with ``{{KEY}}`` placeholders filled
    (``ON_ANSWER`` and ``KEYS`` may be left out: no action once answered, a silent phone
    that presses no key)."""
    text = (SCENARIO_DIR / name).read_text(encoding="iso-8859-1")
    for key, value in {"ON_ANSWER": "", "KEYS": "", **values}.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.findall(r"\{\{[A-Z_]+\}\}", text)
    if left:
        raise SippError(f"scenario {name}: placeholders without a value: {sorted(set(left))}")
    out = dest / name
    out.write_text(text, encoding="iso-8859-1")
    return out


def _latin1(text: str) -> bool:
    try:
        text.encode("iso-8859-1")
    except UnicodeEncodeError:
        return False
    return True


def free_udp_port(host: str) -> int:
    """A UDP port free right now on ``host`` (racy by nature; fine on a test machine)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return str(FOREVER_MS)
    return str(max(1, round(seconds * 1000)))


class SippProcess:
    """One sipp process with a private log directory."""

    def __init__(self, label: str, log_dir: Path | None = None) -> None:
        if shutil.which("sipp") is None:
            raise SippError("sipp is not installed (apt-get install sip-tester)")
        self.label = label
        self._own_dir = log_dir is None
        # Each process gets a directory of its own (inside log_dir when one is given): two
        # processes sharing one outcomes.log would read each other's calls.
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"sipp-{label}-", dir=log_dir))
        self.proc: asyncio.subprocess.Process | None = None
        self.returncode: int | None = None

    @property
    def log_file(self) -> Path:
        return self.log_dir / "outcomes.log"

    @property
    def error_file(self) -> Path:
        return self.log_dir / "errors.log"

    def _common_args(self) -> list[str]:
        return [
            "-nostdin",
            "-trace_logs",
            "-log_file",
            str(self.log_file),
            "-trace_err",
            "-error_file",
            str(self.error_file),
        ]

    async def _spawn(self, args: list[str]) -> None:
        with (self.log_dir / "stdout.log").open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                "sipp",
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal must not reach it
            )

    def outcomes(self) -> tuple[CallOutcome, ...]:
        """The outcome lines written so far (sipp flushes them as it goes)."""
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return ()
        result = []
        for line in lines:
            parts = line.split()
            if len(parts) >= 2:
                result.append(CallOutcome(parts[0], parts[1], " ".join(parts[2:])))
        return tuple(result)

    def errors(self) -> str:
        try:
            return self.error_file.read_text(errors="replace")
        except OSError:
            return ""

    def count(self, outcome: str) -> int:
        """How many calls reached ``outcome`` (RINGING, ANSWERED, CANCELLED, REMOTE_BYE...)."""
        return sum(1 for o in self.outcomes() if o.outcome == outcome)

    async def wait_outcome(self, outcome: str, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``count`` calls reached ``outcome``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.count(outcome) < count:
            if loop.time() > deadline:
                raise SippError(
                    f"{self.label}: {outcome} x{count} not reached in {timeout} s; "
                    f"outcomes={self.outcomes()} errors={self.errors()!r}"
                )
            if not self.running:
                raise SippError(f"{self.label} exited: {self.errors()}")
            await asyncio.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def wait(self, timeout: float | None = None) -> int:
        if self.proc is None:
            raise SippError(f"sipp {self.label} was never started")
        self.returncode = await asyncio.wait_for(self.proc.wait(), timeout)
        return self.returncode

    async def stop(self, timeout: float = 3.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; always reaps the process."""
        proc = self.proc
        if proc is None:
            return None
        if proc.returncode is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                await asyncio.wait_for(asyncio.shield(proc.wait()), timeout)
            except TimeoutError:
                try:
                    proc.kill()
                except ProcessLookupError:
                    pass
        self.returncode = await proc.wait()
        return self.returncode

    def cleanup_logs(self) -> None:
        """Delete the log directory if this object created it."""
        if self._own_dir:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    async def close(self) -> None:
        """Stop the process (if still running) and delete its private log directory."""
        await self.stop()
        self.cleanup_logs()


def _udp_bound(needle: str) -> bool:
    """Is "<hex ip>:<hex port>" a local address in /proc/net/udp (a tiny procfs read)?"""
    with open("/proc/net/udp") as f:
        return any(line.split()[1] == needle for line in f.readlines()[1:])


async def _wait_udp_bound(proc: SippProcess, host: str, port: int, timeout: float) -> None:
    """Wait until ``proc`` has bound host:port (read from /proc/net/udp)."""
    needle = f"{socket.inet_aton(host)[::-1].hex().upper()}:{port:04X}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if not proc.running:
            raise SippError(
                f"sipp {proc.label} exited with {proc.proc and proc.proc.returncode}: "
                f"{proc.errors() or (proc.log_dir / 'stdout.log').read_text(errors='replace')}"
            )
        if _udp_bound(needle):
            return
        await asyncio.sleep(0.02)
    raise SippError(f"sipp {proc.label} did not bind {host}:{port} within {timeout} s")


class Uas(SippProcess):
    """A phone that answers on ``host:port`` (a UAS): what its scenario does is the subclass's."""

    host: str
    port: int

    async def start(self, timeout: float = 5.0) -> Self:
        raise NotImplementedError

    async def _serve(self, scenario: Path, timeout: float) -> Self:
        """Run ``scenario`` on ``host:port``; back once sipp is bound there."""
        await self._spawn(
            [
                "-sf",
                str(scenario),
                "-i",
                self.host,
                "-p",
                str(self.port),
                "-mi",
                self.host,
                "-aa",  # 200 OK to OPTIONS/INFO/NOTIFY/UPDATE
                *self._common_args(),
            ]
        )
        try:
            await _wait_udp_bound(self, self.host, self.port, timeout)
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        if exc is None:
            self.cleanup_logs()


class AgentPhone(Uas):
    """An agent's phone: a sipp UAS on ``host:port`` for ``number`` (e.g. "1001", port 5071).

    Use as ``async with AgentPhone("1001", 5071, answer_delay_s=1.0) as phone: ...``.
    ``hangup_after_s``: once answered, send BYE after this long (None: wait for Asterisk's BYE).
    ``talk``: a pcap of RTP audio the phone sends once answered (e.g. :data:`SPEECH`, sip-tester's
    G.711 A-law sample); None: a silent phone (no RTP at all, so a recording stays empty).
    ``hold``: the agent puts each answered call on hold (:class:`Hold`); ``hangup_after_s`` then
    counts from the end of the hold.
    ``keys``: ``(after_s, digit)`` pairs (:class:`Key`), the keys pressed in each answered call,
    in time order; a hold comes after the last key, and ``hangup_after_s`` counts from there.
    """

    def __init__(
        self,
        number: str,
        port: int,
        answer_delay_s: float = 1.0,
        *,
        hangup_after_s: float | None = None,
        host: str = "127.0.0.1",
        log_dir: Path | None = None,
        talk: Path | None = None,
        hold: Hold | None = None,
        keys: Sequence[tuple[float, str]] = (),
    ) -> None:
        if talk is not None and not _PCAP_RE.fullmatch(str(talk)):
            raise ValueError(f"talk: an absolute path of a .pcap file: {talk!r}")
        self.keys = tuple(Key(after_s, digit) for after_s, digit in keys)
        key_steps(self.keys, talk, "incall")  # checks their order before anything starts
        super().__init__(f"agent{number}", log_dir)
        self.talk = talk
        self.number = number
        self.port = port
        self.host = host
        self.answer_delay_s = answer_delay_s
        self.hangup_after_s = hangup_after_s
        self.hold = hold

    async def start(self, timeout: float = 5.0) -> Self:
        after = hold_values(self.hold)
        if self.keys:  # the keys first, then the hold (or straight in call)
            after["KEYS"] = key_steps(self.keys, self.talk, after["AFTER_ANSWER"])
            after["AFTER_ANSWER"] = "keys"
        scenario = render_scenario(
            AGENT_SCENARIO,
            self.log_dir,
            ANSWER_MS=_ms(self.answer_delay_s),
            HANGUP_MS=_ms(self.hangup_after_s),
            ON_ANSWER="" if self.talk is None else f'<exec play_pcap_audio="{self.talk}"/>',
            **after,
        )
        return await self._serve(scenario, timeout)


class BusyPhone(Uas):
    """A phone that is always busy (486) on ``host:port``: a campaign's busy contact."""

    def __init__(
        self, label: str, port: int, *, host: str = "127.0.0.1", log_dir: Path | None = None
    ) -> None:
        super().__init__(label, log_dir)
        self.port = port
        self.host = host

    async def start(self, timeout: float = 5.0) -> Self:
        return await self._serve(render_scenario(BUSY_SCENARIO, self.log_dir), timeout)


class Call(SippProcess):
    """A running ``place_call``: ``await call.wait_result()`` when it is over; ``await
    call.close()`` (or ``async with``) always, to reap sipp and delete its logs."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def wait_result(self, timeout: float | None = None) -> CallResult:
        code = await self.wait(timeout)
        return CallResult(code, self.outcomes())

    async def hangup_now(self) -> CallResult:
        """Kill the caller process (no SIP goodbye: Asterisk notices via its timers only)."""
        code = await self.stop()
        return CallResult(code if code is not None else -1, self.outcomes())


async def place_call(
    to: str = "5000",
    caller_number: str = "0612345678",
    hangup_after_s: float = 5.0,
    *,
    caller_name: str | None = None,
    talk: Path | None = None,
    local_ip: str = "127.0.0.2",
    asterisk_host: str = "127.0.0.1",
    asterisk_port: int = 5060,
    log_dir: Path | None = None,
    timeout_s: float | None = None,
    hold: Hold | None = None,
    keys: Sequence[tuple[float, str]] = (),
) -> Call:
    """Start a caller from ``local_ip`` to ``to`` in ``from-pstn``; return its handle.

    ``talk``: a pcap of RTP audio the caller sends once answered (as ``AgentPhone``'s); None:
    a silent caller (no RTP at all).

    The caller stays ``hangup_after_s`` once answered (in the queue or talking), then sends BYE;
    CANCEL if no final answer came within that time; it answers Asterisk's BYE if Asterisk hangs
    up first. sipp itself exits after this one call (``-m 1``), at the latest ``timeout_s``
    (default ``hangup_after_s`` + 30 s, plus the hold) after it started. ``caller_name``: the
    From display name (default: the number). ``hold``: the caller puts the call on hold
    (:class:`Hold`, counted from Asterisk's answer, which comes when the caller enters the
    queue); ``hangup_after_s`` then counts from the end of the hold. ``keys``: ``(after_s,
    digit)`` pairs (:class:`Key`) the caller presses after the answer, before the hold.
    """
    if not _CALLER_RE.match(caller_number):
        raise ValueError(f"caller_number must be digits (optional leading +): {caller_number!r}")
    if not _SERVICE_RE.match(to):
        raise ValueError(f"to must be a dialable number: {to!r}")
    if talk is not None and not _PCAP_RE.fullmatch(str(talk)):
        raise ValueError(f"talk: an absolute path of a .pcap file: {talk!r}")
    name = caller_number if caller_name is None else caller_name
    # "[" and "]" would be sipp keywords inside the scenario.
    if not 0 < len(name) <= 64 or not name.isprintable() or not _latin1(name) or "[" in name:
        raise ValueError(f"caller_name: 1-64 printable Latin-1 characters, no [ ]: {name!r}")
    pressed = tuple(Key(after_s, digit) for after_s, digit in keys)
    after = hold_values(hold)
    if pressed:  # the keys first, then the hold (or straight in call)
        after["KEYS"] = key_steps(pressed, talk, after["AFTER_ANSWER"])
        after["AFTER_ANSWER"] = "keys"
    call = Call(f"caller{caller_number.lstrip('+')}", log_dir)
    scenario = render_scenario(
        CALLER_SCENARIO,
        call.log_dir,
        ON_ANSWER="" if talk is None else f'<exec play_pcap_audio="{talk}"/>',
        CALLER=caller_number,
        # A SIP quoted-string (RFC 3261 25.1): backslash and double quote are escaped.
        CALLER_NAME=name.replace("\\", "\\\\").replace('"', '\\"'),
        HANGUP_MS=_ms(hangup_after_s),
        **after,
    )
    held = hold.after_s + hold.for_s if hold is not None else 0.0
    held += pressed[-1].after_s + KEY_S if pressed else 0.0
    limit = timeout_s if timeout_s is not None else hangup_after_s + held + 30.0
    await call._spawn(
        [
            f"{asterisk_host}:{asterisk_port}",
            "-sf",
            str(scenario),
            "-s",
            to,
            "-i",
            local_ip,
            "-p",
            str(free_udp_port(local_ip)),
            "-mi",
            local_ip,
            "-aa",
            "-m",
            "1",
            "-timeout",
            f"{max(1, round(limit))}s",
            "-timeout_error",
            *call._common_args(),
        ]
    )
    return call


__all__ = [
    "AgentPhone",
    "Call",
    "CallOutcome",
    "CallResult",
    "Hold",
    "Key",
    "KEY_S",
    "SippError",
    "SippProcess",
    "free_udp_port",
    "hold_values",
    "key_steps",
    "place_call",
    "render_scenario",
    "SCENARIO_DIR",
    "SPEECH",
]
