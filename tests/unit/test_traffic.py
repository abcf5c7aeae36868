"""The demo traffic's decisions (seeded, pure) and its lifecycle with fake phones and callers."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import pytest

from standardiste.errors import NotConfirmed
from standardiste.tools.sipp import CallOutcome, CallResult
from standardiste.tools.traffic import (
    DEMO_AGENTS,
    CallerPlan,
    DemoAgent,
    DemoTraffic,
    PhoneProfile,
    TrafficConfig,
    caller_number,
    next_arrival_s,
    plan_caller,
    plan_pause,
    plan_phone,
)

CONFIG = TrafficConfig()


# -- decisions ----------------------------------------------------------------------------


def test_same_seed_same_traffic() -> None:
    def story(seed: int) -> list[object]:
        rng = random.Random(seed)
        return [
            (
                next_arrival_s(rng, CONFIG),
                plan_caller(rng, CONFIG, DEMO_AGENTS),
                plan_phone(rng, CONFIG),
            )
            for _ in range(50)
        ]

    assert story(7) == story(7)
    assert story(7) != story(8)


def test_values_stay_in_their_ranges() -> None:
    rng = random.Random(1)
    for _ in range(2000):
        assert 4.0 <= next_arrival_s(rng, CONFIG) <= 10.0
        phone = plan_phone(rng, CONFIG)
        assert 1.0 <= phone.answer_delay_s <= 6.0
        assert 5.0 <= phone.hangup_after_s <= 30.0
        caller = plan_caller(rng, CONFIG)
        assert re.fullmatch(r"06[0-9]{8}", caller.caller_number)
        if caller.kind == "impatient":
            assert 3.0 <= caller.hangup_after_s <= 12.0
        else:
            # Longer than the queue's max wait (120 s) + the longest ring and talk.
            assert caller.hangup_after_s > 120 + 6 + 30


def test_caller_mix_follows_the_shares() -> None:
    rng = random.Random(2)
    queue_only = [plan_caller(rng, CONFIG) for _ in range(4000)]
    kinds = [c.kind for c in queue_only]
    assert "direct" not in kinds  # nobody idle: no direct call
    assert 0.36 < kinds.count("impatient") / len(kinds) < 0.44
    assert {c.to for c in queue_only} == {"5000", "5001"}

    idle = DEMO_AGENTS[:2]
    mixed = [plan_caller(rng, CONFIG, idle) for _ in range(4000)]
    direct = [c for c in mixed if c.kind == "direct"]
    assert 0.08 < len(direct) / len(mixed) < 0.12
    assert {c.to for c in direct} == {"1001", "1002"}  # only the idle agents' numbers


def test_live_callers_never_share_a_number() -> None:
    rng = random.Random(3)
    taken = {caller_number(random.Random(3))}
    assert caller_number(rng, taken) not in taken


def test_breaks() -> None:
    rng = random.Random(4)
    assert plan_pause(rng, CONFIG, []) is None
    plans = [plan_pause(rng, CONFIG, ["PJSIP/agent1001", "PJSIP/agent1003"]) for _ in range(500)]
    assert {p.agent for p in plans if p} == {"PJSIP/agent1001", "PJSIP/agent1003"}
    assert {p.reason for p in plans if p} == {"break", "lunch", "training", "meeting", "admin"}
    assert all(p and 10.0 <= p.duration_s <= 30.0 for p in plans)


@pytest.mark.parametrize(
    "bad",
    [
        {"arrival_s": (0.0, 1.0)},
        {"talk_s": (10.0, 5.0)},
        {"impatient_share": 1.5},
        {"max_callers": 0},
        {"pause_reasons": ()},
    ],
)
def test_config_is_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TrafficConfig(**bad)  # type: ignore[arg-type]


# -- lifecycle with fakes -----------------------------------------------------------------


@dataclass
class FakePbx:
    already_in: set[str] = field(default_factory=set)
    members: dict[str, set[str]] = field(default_factory=dict)
    paused_now: set[str] = field(default_factory=set)
    actions: list[tuple[str, ...]] = field(default_factory=list)
    calls: dict[str, FakeCall] = field(default_factory=dict)
    fail_pause: bool = False

    async def log_in(self, agent: DemoAgent) -> list[str]:
        if agent.interface in self.already_in:
            self.members[agent.interface] = set(agent.queues)
            return []
        self.members[agent.interface] = set(agent.queues)
        self.actions.append(("login", agent.interface, *agent.queues))
        return list(agent.queues)

    async def log_out(self, agent: DemoAgent, queues: Sequence[str]) -> None:
        self.members.pop(agent.interface, None)
        self.actions.append(("logout", agent.interface, *queues))

    async def pause(self, interface: str, reason: str) -> None:
        if self.fail_pause:
            raise NotConfirmed("no event came")
        self.paused_now.add(interface)
        self.actions.append(("pause", interface, reason))

    async def resume(self, interface: str) -> None:
        self.paused_now.discard(interface)
        self.actions.append(("resume", interface))

    def logged_in(self) -> set[str]:
        return set(self.members)

    def paused(self) -> set[str]:
        return set(self.paused_now)

    def busy(self) -> set[str]:
        return set()

    async def hang_up(self, caller_numbers: Collection[str]) -> int:
        self.actions.append(("hangup", *sorted(caller_numbers)))
        for number in caller_numbers:
            call = self.calls.get(number)
            if call is not None:
                call.bye.set()
        return len(caller_numbers)

    async def hang_up_devices(self, interfaces: Collection[str]) -> int:
        return 0  # the fake's calls end by their callers' hang-up above


@dataclass
class FakeCall:
    plan: CallerPlan
    deaf: bool = False  # ignores Asterisk's BYE (a stuck sipp)
    bye: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    async def wait_result(self, timeout: float | None = None) -> CallResult:
        if self.deaf:
            await asyncio.Event().wait()
        try:
            await asyncio.wait_for(self.bye.wait(), self.plan.hangup_after_s)
            outcome = "REMOTE_BYE"
        except TimeoutError:
            outcome = "LOCAL_BYE"
        return CallResult(0, (CallOutcome("x", outcome),))

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakePhone:
    agent: DemoAgent
    profile: PhoneProfile
    started: bool = False
    closed: bool = False

    async def start(self) -> FakePhone:
        self.started = True
        return self

    async def close(self) -> None:
        self.closed = True


@dataclass
class World:
    pbx: FakePbx = field(default_factory=FakePbx)
    calls: list[FakeCall] = field(default_factory=list)
    phones: list[FakePhone] = field(default_factory=list)
    deaf: bool = False

    async def place(
        self,
        to: str,
        caller_number: str,
        hangup_after_s: float,
        *,
        local_ip: str,
        asterisk_host: str,
        asterisk_port: int,
    ) -> FakeCall:
        assert local_ip == "127.0.0.2"
        call = FakeCall(CallerPlan("patient", to, caller_number, hangup_after_s), deaf=self.deaf)
        self.calls.append(call)
        self.pbx.calls[caller_number] = call
        return call

    def phone(self, agent: DemoAgent, profile: PhoneProfile) -> FakePhone:
        phone = FakePhone(agent, profile)
        self.phones.append(phone)
        return phone

    def traffic(self, config: TrafficConfig) -> DemoTraffic:
        return DemoTraffic(
            self.pbx, config=config, rng=random.Random(5), place=self.place, phone=self.phone
        )


FAST = TrafficConfig(
    arrival_s=(0.01, 0.02),
    max_callers=3,
    impatient_share=0.0,
    direct_share=0.0,
    pause_every_s=(100.0, 100.0),
)


async def test_callers_are_bounded_and_all_stopped_on_close() -> None:
    world = World()
    world.pbx.already_in = {"PJSIP/agent1004"}  # not the demo's doing: left logged in
    traffic = world.traffic(FAST)
    await traffic.start()
    assert [p.agent.number for p in world.phones] == ["1001", "1002", "1003", "1004"]
    assert all(p.started for p in world.phones)
    await asyncio.sleep(0.3)
    assert traffic.live_callers == 3  # patient callers stay: the bound holds
    assert traffic.figures.skipped > 0
    live = sorted(c.plan.caller_number for c in world.calls if not c.closed)

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await traffic.aclose()
    assert loop.time() - t0 < 1.0  # hung up through the PBX, not left to time out
    assert ("hangup", *live) in world.pbx.actions
    assert all(c.closed for c in world.calls)
    assert all(p.closed for p in world.phones)
    assert traffic.live_callers == 0
    assert traffic.figures.finished == len(world.calls)
    logouts = [a for a in world.pbx.actions if a[0] == "logout"]
    assert logouts == [
        ("logout", "PJSIP/agent1001", "sales", "support"),
        ("logout", "PJSIP/agent1002", "sales"),
        ("logout", "PJSIP/agent1003", "support"),
    ]
    # Nothing is placed after the close.
    placed = len(world.calls)
    await asyncio.sleep(0.05)
    assert len(world.calls) == placed


async def test_stuck_callers_are_killed_within_the_timeout() -> None:
    world = World(deaf=True)
    traffic = world.traffic(FAST)
    await traffic.start()
    await asyncio.sleep(0.1)
    traffic.stop_intake()
    placed = len(world.calls)
    assert placed >= 1
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await traffic.aclose(timeout=0.3)
    assert loop.time() - t0 < 1.0
    assert all(c.closed for c in world.calls)
    assert len(world.calls) == placed  # intake stopped first
    # Killed sipp callers said no goodbye: their calls are hung up once more afterwards.
    hangups = [a for a in world.pbx.actions if a[0] == "hangup"]
    assert len(hangups) >= 2


async def test_breaks_pause_then_resume_with_a_reason_and_reroll_the_phone() -> None:
    world = World()
    config = TrafficConfig(
        arrival_s=(100.0, 100.0), pause_every_s=(0.01, 0.01), pause_for_s=(0.05, 0.05)
    )
    traffic = world.traffic(config)
    await traffic.start()
    await asyncio.sleep(0.3)
    await traffic.aclose()
    pauses = [a for a in world.pbx.actions if a[0] == "pause"]
    resumes = [a for a in world.pbx.actions if a[0] == "resume"]
    assert pauses and len(resumes) == len(pauses)
    assert all(reason in config.pause_reasons for _, _, reason in pauses)
    assert not world.pbx.paused_now
    assert traffic.figures.phone_rerolls == len(pauses)
    assert len(world.phones) == 4 + len(pauses)
    assert all(p.closed for p in world.phones)


async def test_a_failed_break_does_not_stop_the_traffic() -> None:
    world = World()
    world.pbx.fail_pause = True
    config = TrafficConfig(arrival_s=(0.02, 0.02), pause_every_s=(0.01, 0.01))
    traffic = world.traffic(config)
    await traffic.start()
    await asyncio.sleep(0.2)
    assert len(world.calls) >= 3
    await traffic.aclose()
    assert traffic.figures.pauses == 0


async def test_a_cancelled_close_still_stops_every_process() -> None:
    # The demo bounds each shutdown step; running out of time must not leak a sipp.
    world = World(deaf=True)
    traffic = world.traffic(FAST)
    await traffic.start()
    await asyncio.sleep(0.1)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await traffic.aclose(timeout=5.0)
    assert world.calls and all(c.closed for c in world.calls)
    assert all(p.closed for p in world.phones)
