"""Demo traffic over real SIP: sipp agent phones answer, sipp callers ring the queues.

Two halves. The *decisions* (when the next caller comes, who calls whom, how patient they are,
how fast a phone answers and how long agents talk, who takes a break and why) are pure
functions of an injected :class:`random.Random`, unit-tested with a seeded one. :class:`DemoTraffic`
only carries them out with real processes and owns each one: every caller is a task of one
``TaskGroup``, every sipp process is stopped and reaped on :meth:`DemoTraffic.aclose`.

The PBX side goes through the small :class:`Pbx` protocol; :class:`BridgePbx` implements it over
the running bridge: the agent state use cases (``by=Actor("demo")``), its live model (who is
busy), and an AMI ``Hangup`` to end the demo's calls cleanly at shutdown (a killed sipp says no
SIP goodbye, and Asterisk would keep its channels).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import structlog

from standardiste.agent_state import DEFAULT_PAUSE_REASONS, Actor
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.errors import AmiError
from standardiste.composition import BridgeProcess
from standardiste.errors import StandardisteError
from standardiste.tools.sipp import AgentPhone, CallResult, SippError, place_call

log = structlog.get_logger(__name__)

DEMO_ACTOR = Actor("demo")


# ----------------------------------------------------------------------------- the cast


@dataclass(frozen=True, slots=True)
class DemoAgent:
    """A demo agent: their user name, phone number, sipp port and queues."""

    name: str
    number: str  # "1001": PJSIP endpoint agent1001 and direct number 1001 in from-pstn
    port: int  # the static contact of the endpoint's AOR: sipp listens there
    queues: tuple[str, ...]

    @property
    def interface(self) -> str:
        return f"PJSIP/agent{self.number}"


# Mirrors config/asterisk/pjsip.conf (agent100N -> 127.0.0.1:507N) and queues.conf.
DEMO_AGENTS: tuple[DemoAgent, ...] = (
    DemoAgent("alice", "1001", 5071, ("sales", "support")),
    DemoAgent("bruno", "1002", 5072, ("sales",)),
    DemoAgent("chloe", "1003", 5073, ("support",)),
    DemoAgent("david", "1004", 5074, ("sales", "support")),
)


# ----------------------------------------------------------------------------- decisions

Range = tuple[float, float]
CallerKind = Literal["patient", "impatient", "direct"]
_RANGES = ("arrival_s", "patience_s", "answer_delay_s", "talk_s", "pause_every_s", "pause_for_s")


@dataclass(frozen=True, slots=True)
class TrafficConfig:
    """How busy the demo is. Durations in seconds; ``(low, high)`` are uniform ranges."""

    services: tuple[tuple[str, str], ...] = (("5000", "sales"), ("5001", "support"))
    arrival_s: Range = (4.0, 10.0)  # between two callers
    max_callers: int = 8  # sipp callers alive at once; an arrival beyond it is skipped
    # Impatient callers hang up after ``patience_s``: in line (an abandon) or, when an agent
    # answered sooner, in the middle of the call.
    impatient_share: float = 0.4  # enough give up for the demo's callback campaign to fill
    patience_s: Range = (3.0, 12.0)
    # Patient callers stay longer than the queue's max wait (120 s) plus a call: Asterisk or
    # the agent ends their call, never they.
    patient_s: float = 180.0
    direct_share: float = 0.1  # calls to an idle agent's direct number (non-queue calls)
    answer_delay_s: Range = (1.0, 6.0)  # a phone rings this long before answering
    talk_s: Range = (5.0, 30.0)  # then the agent hangs up after this long
    pause_every_s: Range = (20.0, 60.0)  # between two breaks
    pause_for_s: Range = (10.0, 30.0)
    pause_reasons: tuple[str, ...] = tuple(r for r in DEFAULT_PAUSE_REASONS if r != "after-call")
    asterisk_host: str = "127.0.0.1"
    asterisk_port: int = 5060
    caller_ip: str = "127.0.0.2"  # the sandbox's "pstn" endpoint is identified by this address

    def __post_init__(self) -> None:
        for name in _RANGES:
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise ValueError(f"TrafficConfig.{name}: need 0 < low <= high, got {low, high}")
        for name in ("impatient_share", "direct_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"TrafficConfig.{name} must be between 0 and 1")
        if self.max_callers < 1:
            raise ValueError("TrafficConfig.max_callers must be at least 1")
        if not self.services or not self.pause_reasons:
            raise ValueError("TrafficConfig needs at least one service and one pause reason")


@dataclass(frozen=True, slots=True)
class PhoneProfile:
    """How an agent's phone behaves on every call: ring, answer, talk, hang up."""

    answer_delay_s: float
    hangup_after_s: float


@dataclass(frozen=True, slots=True)
class CallerPlan:
    kind: CallerKind
    to: str  # a service number of from-pstn, or an agent's direct number
    caller_number: str
    hangup_after_s: float


@dataclass(frozen=True, slots=True)
class PausePlan:
    agent: str  # interface
    reason: str
    duration_s: float


def _uniform(rng: random.Random, span: Range) -> float:
    return round(rng.uniform(*span), 1)


def next_arrival_s(rng: random.Random, config: TrafficConfig) -> float:
    return _uniform(rng, config.arrival_s)


def next_pause_in_s(rng: random.Random, config: TrafficConfig) -> float:
    return _uniform(rng, config.pause_every_s)


def plan_phone(rng: random.Random, config: TrafficConfig) -> PhoneProfile:
    return PhoneProfile(_uniform(rng, config.answer_delay_s), _uniform(rng, config.talk_s))


def caller_number(rng: random.Random, taken: Collection[str] = ()) -> str:
    """A French mobile number, 06 and eight digits, not one of ``taken``.

    Live callers need distinct numbers: shutdown finds a caller's channel by its number.
    """
    while True:
        number = "06" + "".join(rng.choice("0123456789") for _ in range(8))
        if number not in taken:
            return number


def plan_caller(
    rng: random.Random,
    config: TrafficConfig,
    idle_agents: Sequence[DemoAgent] = (),
    taken: Collection[str] = (),
) -> CallerPlan:
    """The next caller: a direct call to one of ``idle_agents`` now and then, else a queue
    caller, patient or not."""
    number = caller_number(rng, taken)
    if idle_agents and rng.random() < config.direct_share:
        agent = rng.choice(list(idle_agents))
        return CallerPlan("direct", agent.number, number, config.patient_s)
    to = rng.choice(config.services)[0]
    if rng.random() < config.impatient_share:
        return CallerPlan("impatient", to, number, _uniform(rng, config.patience_s))
    return CallerPlan("patient", to, number, config.patient_s)


def plan_pause(
    rng: random.Random, config: TrafficConfig, candidates: Sequence[str]
) -> PausePlan | None:
    """Who takes the next break (one of ``candidates``), why and for how long."""
    if not candidates:
        return None
    agent = rng.choice(sorted(candidates))
    return PausePlan(agent, rng.choice(config.pause_reasons), _uniform(rng, config.pause_for_s))


# ----------------------------------------------------------------------------- the PBX side


class Pbx(Protocol):
    """What the traffic needs from the contact center."""

    async def log_in(self, agent: DemoAgent) -> list[str]:
        """Log ``agent`` into their queues; return the queues newly joined."""

    async def log_out(self, agent: DemoAgent, queues: Sequence[str]) -> None: ...

    async def pause(self, interface: str, reason: str) -> None: ...

    async def resume(self, interface: str) -> None: ...

    def logged_in(self) -> set[str]:
        """Interfaces that are a member of at least one queue."""

    def paused(self) -> set[str]: ...

    def busy(self) -> set[str]:
        """Interfaces with a live channel: ringing or in a call."""

    async def hang_up(self, caller_numbers: Collection[str]) -> int:
        """End the calls of these callers; return how many channels were hung up."""

    async def hang_up_devices(self, interfaces: Collection[str]) -> int:
        """End every channel still on these phones (a campaign call ringing an agent who just
        logged out); return how many were hung up."""


def _gone(channels: Mapping[str, object], uniqueid: str) -> Callable[[], bool]:
    return lambda: uniqueid not in channels


class BridgePbx:
    """:class:`Pbx` over a running bridge (:class:`~standardiste.composition.BridgeProcess`)."""

    def __init__(self, bridge: BridgeProcess, actor: Actor = DEMO_ACTOR) -> None:
        self._bridge = bridge
        self._actor = actor

    async def log_in(self, agent: DemoAgent) -> list[str]:
        return await self._bridge.agents.log_in(
            agent.interface, list(agent.queues), by=self._actor, member_name=agent.name
        )

    async def log_out(self, agent: DemoAgent, queues: Sequence[str]) -> None:
        await self._bridge.agents.log_out(agent.interface, list(queues), by=self._actor)

    async def pause(self, interface: str, reason: str) -> None:
        await self._bridge.agents.pause(interface, reason, by=self._actor)

    async def resume(self, interface: str) -> None:
        await self._bridge.agents.resume(interface, by=self._actor)

    def logged_in(self) -> set[str]:
        return {m.interface for m in self._bridge.model.members.values()}

    def paused(self) -> set[str]:
        return {m.interface for m in self._bridge.model.members.values() if m.paused}

    def busy(self) -> set[str]:
        return {c.device for c in self._bridge.model.channels.values()}

    async def hang_up(self, caller_numbers: Collection[str]) -> int:
        # The caller's own leg (uniqueid == linkedid) carries the whole call: hanging it up
        # makes Asterisk end the agent leg and send the sipp caller a BYE. One call at a time,
        # each until the bridge saw its channel go: when several calls end in the same
        # instant, Asterisk sometimes sends AgentComplete without the caller's Uniqueid, and
        # that call would stay unfinished in the history.
        model = self._bridge.model
        legs = [
            (c.uniqueid, c.channel)
            for c in list(model.channels.values())
            if c.caller_number in caller_numbers and c.uniqueid == c.linkedid
        ]
        done = 0
        for uniqueid, channel in legs:
            try:
                await AmiCommands(self._bridge.ami).hangup(channel)
            except (AmiError, ValueError) as exc:  # gone already, or AMI down: sipp is stopped
                log.info("traffic.hangup_failed", channel=channel, error=str(exc))
                continue
            done += 1
            await self._bridge.wait_for(_gone(model.channels, uniqueid), 1.0)
        return done

    async def hang_up_devices(self, interfaces: Collection[str]) -> int:
        model = self._bridge.model
        legs = [c.channel for c in list(model.channels.values()) if c.device in interfaces]
        done = 0
        for channel in legs:
            try:
                await AmiCommands(self._bridge.ami).hangup(channel)
            except (AmiError, ValueError) as exc:  # gone already, or AMI down
                log.info("traffic.hangup_failed", channel=channel, error=str(exc))
                continue
            done += 1
        return done


# ----------------------------------------------------------------------------- processes


class Phone(Protocol):
    async def start(self) -> object: ...

    async def close(self) -> None: ...


class CallHandle(Protocol):
    async def wait_result(self, timeout: float | None = None) -> CallResult: ...

    async def close(self) -> None: ...


class PlaceCall(Protocol):
    async def __call__(
        self,
        to: str,
        caller_number: str,
        hangup_after_s: float,
        *,
        local_ip: str,
        asterisk_host: str,
        asterisk_port: int,
    ) -> CallHandle: ...


class PhoneFactory(Protocol):
    def __call__(self, agent: DemoAgent, profile: PhoneProfile) -> Phone: ...


def sipp_phone(agent: DemoAgent, profile: PhoneProfile) -> Phone:
    return AgentPhone(
        agent.number,
        agent.port,
        answer_delay_s=profile.answer_delay_s,
        hangup_after_s=profile.hangup_after_s,
    )


@dataclass
class TrafficFigures:
    """What the traffic did so far (for logs and the demo's goodbye line)."""

    placed: dict[CallerKind, int] = field(
        default_factory=lambda: {"patient": 0, "impatient": 0, "direct": 0}
    )
    skipped: int = 0  # arrivals dropped because ``max_callers`` were alive
    failed: int = 0  # sipp could not start or ended without a SIP outcome
    finished: int = 0
    pauses: int = 0
    phone_rerolls: int = 0


class DemoTraffic:
    """Agent phones, logged-in agents, a stream of callers and the odd break, all owned.

    ``start()`` starts the phones, logs the agents in and starts the traffic; ``stop_intake()``
    stops new callers and breaks; ``aclose()`` also ends the calls in progress, logs out (and
    resumes) what the demo logged in (and paused), and stops every sipp process.
    """

    def __init__(
        self,
        pbx: Pbx,
        *,
        config: TrafficConfig | None = None,
        agents: Sequence[DemoAgent] = DEMO_AGENTS,
        rng: random.Random | None = None,
        place: PlaceCall = place_call,
        phone: PhoneFactory = sipp_phone,
    ) -> None:
        self.config = config or TrafficConfig()
        self.agents = tuple(agents)
        self.figures = TrafficFigures()
        self._pbx = pbx
        self._rng = rng or random.Random()
        self._place = place
        self._phone_factory = phone
        self._phones: dict[str, Phone] = {}
        self._joined: dict[str, list[str]] = {}  # interface -> queues the demo logged into
        self._paused_by_us: set[str] = set()
        self._live: dict[str, CallHandle] = {}  # caller number -> its sipp
        self._callers: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start the phones, log the agents in, then let callers in."""
        try:
            for agent in self.agents:
                await self._start_phone(agent, plan_phone(self._rng, self.config))
            for agent in self.agents:
                self._joined[agent.interface] = await self._pbx.log_in(agent)
        except BaseException:
            await self.aclose()
            raise
        self._runner = asyncio.create_task(self._run(), name="demo-traffic")

    def stop_intake(self) -> None:
        """No new caller, no new break; calls in progress go on."""
        self._stopping.set()

    async def aclose(self, timeout: float = 10.0) -> None:
        """Stop intake, end the calls (AMI hang-up, then sipp stop), undo what the demo did.

        Bounded: callers still alive after ``timeout`` seconds are killed. If the close itself
        is cancelled (a caller's own time limit), every sipp process is still stopped.
        """
        self.stop_intake()
        try:
            if self._runner is not None:
                await self._end_calls(timeout)
            await self._undo_agent_state()
            # What the dialer rang on the demo's phones (agent-first campaign calls) ends too.
            await self._pbx.hang_up_devices({agent.interface for agent in self.agents})
        finally:
            await self._stop_processes()

    async def _stop_processes(self) -> None:
        try:
            await self._stop_runner()
        finally:
            phones, self._phones = self._phones, {}
            for phone in phones.values():
                await phone.close()

    async def _stop_runner(self) -> None:
        """Cancel the traffic if still running and wait for it: its callers stop their sipp."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        runner.cancel()
        # wait() rather than await: the runner's cancellation is not ours to re-raise.
        await asyncio.wait({runner})
        if not runner.cancelled() and runner.exception() is not None:
            log.error("traffic.crashed", exc_info=runner.exception())

    async def _end_calls(self, timeout: float) -> None:
        assert self._runner is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Hang up, then wait for the sipp callers to get their BYE and exit. Again after a
        # moment: a caller spawned just before intake stopped may not have had a channel yet.
        while self._live and loop.time() < deadline:
            await self._hang_up(list(self._live))
            await asyncio.wait({self._runner}, timeout=min(2.0, deadline - loop.time()))
        await asyncio.wait({self._runner}, timeout=max(0.0, deadline - loop.time()))
        killed = list(self._live)
        if not self._runner.done():
            log.warning("traffic.callers_left", callers=len(killed))
        await self._stop_runner()
        if killed:  # killed sipp processes said no goodbye: their channels would stay
            await self._hang_up(killed)

    async def _hang_up(self, numbers: list[str]) -> None:
        try:
            await self._pbx.hang_up(numbers)
        except Exception as exc:  # the PBX may be gone: sipp is stopped anyway
            log.warning("traffic.hangup_failed", error=str(exc))

    async def __aenter__(self) -> DemoTraffic:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def live_callers(self) -> int:
        return len(self._live)

    # ------------------------------------------------------------------ the traffic
    async def _run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._breaks(), name="demo-breaks")
            while await self._pace(next_arrival_s(self._rng, self.config)):
                self._arrival(group)
            # Leaving the block waits for the callers still in a call.

    async def _pace(self, seconds: float) -> bool:
        """Wait ``seconds`` unless intake stops first; True while the traffic goes on."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()

    def _arrival(self, group: asyncio.TaskGroup) -> None:
        if len(self._callers) >= self.config.max_callers:
            self.figures.skipped += 1
            return
        plan = plan_caller(self._rng, self.config, self._idle_agents(), taken=self._live)
        self.figures.placed[plan.kind] += 1
        task = group.create_task(self._caller(plan), name=f"demo-caller-{plan.caller_number}")
        self._callers.add(task)
        task.add_done_callback(self._callers.discard)

    def _idle_agents(self) -> list[DemoAgent]:
        """Agents a direct call may ring: logged in, not paused, not on the phone."""
        unavailable = self._pbx.busy() | self._pbx.paused()
        logged_in = self._pbx.logged_in()
        return [
            a for a in self.agents if a.interface in logged_in and a.interface not in unavailable
        ]

    async def _caller(self, plan: CallerPlan) -> None:
        cfg = self.config
        try:
            call = await self._place(
                plan.to,
                plan.caller_number,
                plan.hangup_after_s,
                local_ip=cfg.caller_ip,
                asterisk_host=cfg.asterisk_host,
                asterisk_port=cfg.asterisk_port,
            )
        except (SippError, OSError, ValueError) as exc:
            self.figures.failed += 1
            log.warning("traffic.caller_failed", to=plan.to, error=str(exc))
            return
        self._live[plan.caller_number] = call
        try:
            result = await call.wait_result()  # bounded by sipp's own -timeout
        except Exception:  # one odd caller must not end the TaskGroup, hence the demo
            self.figures.failed += 1
            log.exception("traffic.caller_crashed", to=plan.to)
        else:
            if result.ended_by is None:
                self.figures.failed += 1
            else:
                self.figures.finished += 1
            log.debug("traffic.caller_done", kind=plan.kind, to=plan.to, ended_by=result.ended_by)
        finally:
            del self._live[plan.caller_number]
            await call.close()

    async def _breaks(self) -> None:
        """Now and then one agent takes a break with a reason, then resumes."""
        while await self._pace(next_pause_in_s(self._rng, self.config)):
            ours = {a.interface for a in self.agents}
            candidates = sorted((self._pbx.logged_in() & ours) - self._pbx.paused())
            plan = plan_pause(self._rng, self.config, candidates)
            if plan is None:
                continue
            try:
                await self._pbx.pause(plan.agent, plan.reason)
                self._paused_by_us.add(plan.agent)
                self.figures.pauses += 1
                await self._reroll_phone(plan.agent)
                await self._pace(plan.duration_s)
                await self._pbx.resume(plan.agent)
                self._paused_by_us.discard(plan.agent)
            except StandardisteError as exc:
                log.warning("traffic.break_failed", agent=plan.agent, error=exc.message)
            except Exception:  # the show goes on: one failed break must not end the demo
                log.exception("traffic.break_crashed", agent=plan.agent)

    async def _reroll_phone(self, interface: str) -> None:
        """Give a paused, idle agent's phone a new answer delay and talk time.

        sipp fixes both when it starts; a pause is the one moment no queue rings the phone
        (and no direct call is aimed at a paused agent), so it can restart then.
        """
        if interface in self._pbx.busy():
            return
        agent = next(a for a in self.agents if a.interface == interface)
        old = self._phones.pop(interface, None)
        if old is not None:
            await old.close()
        try:
            await self._start_phone(agent, plan_phone(self._rng, self.config))
            self.figures.phone_rerolls += 1
        except (SippError, OSError) as exc:
            log.error("traffic.phone_restart_failed", agent=interface, error=str(exc))

    async def _start_phone(self, agent: DemoAgent, profile: PhoneProfile) -> None:
        phone = self._phone_factory(agent, profile)
        await phone.start()
        self._phones[agent.interface] = phone
        log.info(
            "traffic.phone_up",
            agent=agent.interface,
            answer_delay_s=profile.answer_delay_s,
            talk_s=profile.hangup_after_s,
        )

    async def _undo_agent_state(self) -> None:
        """Resume whom the demo paused and log out what it logged in, nothing else."""
        for interface in sorted(self._paused_by_us):
            try:
                await self._pbx.resume(interface)
            except StandardisteError as exc:
                log.warning("traffic.resume_failed", agent=interface, error=exc.message)
        self._paused_by_us.clear()
        for agent in self.agents:
            queues = self._joined.pop(agent.interface, [])
            if not queues:
                continue
            try:
                await self._pbx.log_out(agent, queues)
            except StandardisteError as exc:
                log.warning("traffic.logout_failed", agent=agent.interface, error=exc.message)


__all__ = [
    "DEMO_ACTOR",
    "DEMO_AGENTS",
    "BridgePbx",
    "CallerPlan",
    "DemoAgent",
    "DemoTraffic",
    "PausePlan",
    "Pbx",
    "PhoneProfile",
    "TrafficConfig",
    "TrafficFigures",
    "caller_number",
    "next_arrival_s",
    "next_pause_in_s",
    "plan_caller",
    "plan_pause",
    "plan_phone",
]
