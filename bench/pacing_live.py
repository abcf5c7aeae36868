"""The predictive dialer live on the sandbox, against the simulation of the same center.

A predictive campaign on the demo's ``sales`` queue: ``--agents`` sipp agent phones (1001...)
answer in 0.2 s and talk ``--talk`` s (then the queue's wrap-up); its contacts are the demo
"PSTN"'s sipp phones: a number ending 0-6 answers after ``--answer-delay`` s, one ending 7
never answers (rung ``ring_timeout``); the share of answering numbers is ``--answer-rate``.
It runs ``--minutes``, then the campaign is paused and the calls in flight end.

Printed: attempts, live answers, drops and the drop rate (with its binomial standard error),
agent utilisation and contacts reached per agent-hour; then the simulation of the same
center (``bench/pacing.py``'s ``simulate``: same agents, answer rate, answer delay, talk,
wrap-up, ring timeout and duration, ``--seeds`` seeds): its drop rate's mean and standard
deviation, and whether the live rate is within the combined error (2 sigma). Nothing is
asserted beyond that line; the figures go in the notes.

    .venv/bin/python bench/pacing_live.py [--minutes 5] [--agents 4] [--answer-rate 0.4]

Needs root (the sandbox), sipp and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from standardiste import config  # noqa: E402
from standardiste.agent_state import Actor  # noqa: E402
from standardiste.composition import bridge_from_settings  # noqa: E402
from standardiste.dialer.campaign import CampaignDef  # noqa: E402
from standardiste.dialer.schedule import DAYS  # noqa: E402
from standardiste.outbound.store import Attempt, CampaignStore, NewContact  # noqa: E402
from standardiste.tools import sandbox as sb  # noqa: E402
from standardiste.tools.sipp import AgentPhone  # noqa: E402

RING_TIMEOUT = 15


def contacts(n: int, answer_rate: float, seed: int) -> list[NewContact]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        last = rng.choice("0123456") if rng.random() < answer_rate else "7"
        number = f"+336{i:07d}{last}"  # unique: the last digit picks the demo PSTN's phone
        out.append(NewContact(f"Contact {i}", number, "Europe/Paris", "csv"))
    return out


async def live(args: argparse.Namespace) -> dict[str, float]:
    base = config.load()
    root = sb.build_root(base.sandbox.cache_dir)
    sb.up(root, base.sandbox.config_dir)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/pacing.sqlite3"
            settings = replace(
                base,
                sandbox=replace(base.sandbox, cache_dir=root.parent),
                redis=replace(base.redis, prefix=f"bench:{uuid.uuid4().hex[:8]}:"),
                database=replace(base.database, url=url, buffer_path=Path(tmp) / "b.jsonl"),
                asterisk=replace(base.asterisk, queue_log_enabled=False),
            )
            async with bridge_from_settings(settings) as bridge:
                await bridge.wait_synced()
                engine = create_async_engine(url)
                store = CampaignStore(engine)
                await store.create(
                    "bench",
                    CampaignDef.parse(
                        {
                            "name": "pacing",
                            "queue": "sales",
                            "mode": "predictive",
                            "schedule": {
                                "timezone": "Europe/Paris",
                                "hours": {d: [{"start": "00:00", "end": "00:00"}] for d in DAYS},
                            },
                            "call_window": {"start": "00:00", "end": "00:00"},
                            "ring_timeout": RING_TIMEOUT,
                            "retry": {"max_attempts": 1},
                            "drop_window": 3600,  # as the simulation's rule
                        }
                    ),
                )
                n = int(args.minutes * 60 * args.agents * 2 / max(1.0, args.talk)) + 50
                await store.add_contacts("bench", "pacing", contacts(n, args.answer_rate, 1))
                phones = [
                    AgentPhone(str(1001 + i), 5071 + i, answer_delay_s=0.2,
                               hangup_after_s=args.talk, log_dir=Path(tmp))
                    for i in range(args.agents)
                ]  # fmt: skip
                phones.append(
                    AgentPhone("contacts", 5090, answer_delay_s=args.answer_delay,
                               hangup_after_s=3600, host="127.0.0.2", log_dir=Path(tmp))
                )  # fmt: skip
                phones.append(
                    AgentPhone("never", 5091, answer_delay_s=3600, host="127.0.0.2",
                               log_dir=Path(tmp))
                )  # fmt: skip
                for phone in phones:
                    await phone.start()
                try:
                    for i in range(args.agents):
                        await bridge.agents.log_in(
                            f"PJSIP/agent{1001 + i}", ["sales"], by=Actor("bench")
                        )
                    started = time.time()
                    await asyncio.sleep(args.minutes * 60)
                    await store.set_paused("bench", "pacing", True)
                    stopped = time.time()
                    for _ in range(int((RING_TIMEOUT + args.talk + 30) / 0.5)):
                        if not (bridge.dialer and bridge.dialer.live):
                            break  # every call in flight has ended
                        await asyncio.sleep(0.5)
                    rows = await store.attempts("pacing", limit=100000)
                finally:
                    for i in range(args.agents):
                        try:
                            await bridge.agents.log_out(
                                f"PJSIP/agent{1001 + i}", ["sales"], by=Actor("bench")
                            )
                        except Exception:
                            pass
                    for phone in phones:
                        await phone.stop()
                    await engine.dispose()
            return figures_of(rows, args, stopped - started)
    finally:
        sb.down(root)


def figures_of(rows: list[Attempt], args: argparse.Namespace, duration: float) -> dict[str, float]:
    outcomes = [r.outcome for r in rows]
    answers = sum(1 for o in outcomes if o in ("answered", "dropped"))
    drops = outcomes.count("dropped")
    connected = outcomes.count("answered")
    busy = sum((r.talk_seconds or 0.0) + args.wrap_up for r in rows if r.outcome == "answered")
    return {
        "utilisation": busy / (args.agents * duration),
        "attempts": len(rows),
        "answers": answers,
        "drops": drops,
        "connected": connected,
        "duration": duration,
        "drop_rate": drops / answers if answers else 0.0,
        "contacts_per_agent_hour": connected / (args.agents * duration / 3600),
    }


def simulated(args: argparse.Namespace, policy: str) -> list[Any]:
    from pacing import HOUR, Center, simulate  # bench/pacing.py

    from standardiste.dialer.drops import DropRule

    center = Center(
        agents=args.agents,
        hours=args.minutes / 60,
        answer_rate=args.answer_rate,
        answer_rate_after=args.answer_rate,
        change_at=math.inf,
        ring_timeout=float(RING_TIMEOUT),
        fail_fast_share=0.0,
        talk_median=args.talk,
        talk_sigma=0.01,
        wrap_up=args.wrap_up,
        answer_delay=(args.answer_delay, args.answer_delay),
        rule=DropRule(window=HOUR),
    )
    return [simulate(center, policy, seed) for seed in range(1, args.seeds + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--answer-rate", type=float, default=0.4)
    parser.add_argument("--answer-delay", type=float, default=3.0)
    parser.add_argument("--talk", type=float, default=8.0)
    parser.add_argument("--wrap-up", type=float, default=5.0, help="the sales queue's")
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()
    got = asyncio.run(live(args))
    rate, answers = got["drop_rate"], got["answers"]
    se = math.sqrt(rate * (1 - rate) / answers) if answers else 0.0
    print(
        f"live      {got['attempts']:.0f} attempts over {got['duration']:.0f} s,"
        f" {answers:.0f} live answers, {got['drops']:.0f} drops:"
        f" drop rate {rate:.2%} ± {se:.2%} (binomial s.e.),"
        f" {got['contacts_per_agent_hour']:.1f} contacts reached per agent-hour"
    )
    print(f"live      agent utilisation {got['utilisation']:.1%} (talk + wrap-up)")
    sims = simulated(args, "predictive")
    rates = [r.drop_rate for r in sims]
    mean, sd = statistics.mean(rates), statistics.pstdev(rates)
    util = [r.utilisation for r in sims]
    reached = [r.contacts_per_agent_hour for r in sims]
    base = simulated(args, "progressive")
    print(
        f"simulated {len(rates)} seeds of the same center: drop rate {mean:.2%}"
        f" (sd {sd:.2%}, min {min(rates):.2%}, max {max(rates):.2%}); utilisation"
        f" {statistics.mean(util):.1%} (sd {statistics.pstdev(util):.1%}); contacts reached per"
        f" agent-hour {statistics.mean(reached):.1f} (sd {statistics.pstdev(reached):.1f});"
        f" progressive 1:1: utilisation {statistics.mean(r.utilisation for r in base):.1%},"
        f" {statistics.mean(r.contacts_per_agent_hour for r in base):.1f} per agent-hour"
    )
    error = 2 * math.sqrt(sd**2 + se**2)
    within = abs(rate - mean) <= error
    print(
        f"live - simulated = {rate - mean:+.2%}; 2-sigma combined error {error:.2%}:"
        f" {'WITHIN' if within else 'OUTSIDE'} the simulation's error"
    )


if __name__ == "__main__":
    main()
