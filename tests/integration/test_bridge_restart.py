"""Nothing lost across a bridge restart: the bridge, run as its own process, is killed with -9
while calls are answered, abandoned and time out; calls go on while it is down; it starts
again. The SQL history and today's counters in the Redis mirror must then equal what
Asterisk's own queue_log says, with no duplicate row; and a further restart changes nothing.

queue_log is read here with the test's own few lines of parsing, not the product's parser.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from ami_raw import RawAMI
from live import eventually, sql_rows

from standardiste.redis_keys import RedisKeys
from standardiste.tools import sandbox as sb
from standardiste.tools.sipp import AgentPhone, Call, place_call

REPO = Path(__file__).resolve().parents[2]
AGENTS = {"Alice": ("PJSIP/agent1001", "1001", 5071), "Bob": ("PJSIP/agent1002", "1002", 5072)}
OUTCOME = {"CONNECT": "answered", "ABANDON": "abandoned", "EXITWITHTIMEOUT": "timed_out"}
OUTCOME |= {e: "exited" for e in ("EXITEMPTY", "EXITWITHKEY")}
OUTCOME["WITHDRAW"] = "transferred"


class BridgeProcess:
    """``standardiste bridge`` with its settings in environment variables."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                str(REPO / ".venv/bin/standardiste"), "bridge",
                env=self.env, stdout=out, stderr=out, cwd=self.log.parent,
            )  # fmt: skip

    async def stop(self, sig: int) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            await asyncio.wait_for(self.proc.wait(), 15)
        self.proc = None


def epoch(value: Any) -> float:
    """A timestamp column as read with plain SQL: text on SQLite (naive UTC), else aware."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    return float(value.timestamp())


def today_lines(path: Path, since: float) -> list[list[str]]:
    """Today's lines, without those of callback placeholders (callid cb-<id>, BY-1): they
    are not inbound calls, and neither the history nor the counters take them."""
    lines = [line.split("|") for line in path.read_text(errors="replace").splitlines()]
    return [
        cols
        for cols in lines
        if len(cols) >= 5
        and cols[0].isdigit()
        and int(cols[0]) >= since
        and not cols[1].startswith("cb-")
    ]


def expected_calls(lines: list[list[str]]) -> dict[tuple[str, str], tuple[str | None, bool]]:
    """(callid, queue) -> (outcome, completed) for every call that entered a queue."""
    calls: dict[tuple[str, str], tuple[str | None, bool]] = {}
    for _at, callid, queue, _agent, event, *_ in lines:
        key = (callid, queue)
        if event == "ENTERQUEUE":
            calls.setdefault(key, (None, False))
        elif key in calls and event in OUTCOME:
            calls[key] = (OUTCOME[event], calls[key][1])
        elif key in calls and (event.startswith("COMPLETE") or event.endswith("TRANSFER")):
            calls[key] = (calls[key][0], True)
    return calls


def expected_counters(lines: list[list[str]]) -> dict[str, tuple[int, int, int]]:
    n = Counter((cols[2], cols[4]) for cols in lines)
    queues = {q for q, e in n if e in ("CONNECT", "ABANDON", "EXITWITHTIMEOUT")}
    return {q: (n[q, "CONNECT"], n[q, "ABANDON"], n[q, "EXITWITHTIMEOUT"]) for q in queues}


async def history_calls(db_url: str) -> dict[tuple[str, str], tuple[str | None, bool]]:
    rows = await sql_rows(db_url, "select uniqueid, queue, outcome, ended_by from queue_calls")
    keys = [(str(r["uniqueid"]), str(r["queue"])) for r in rows]
    assert len(keys) == len(set(keys)), "a call has two rows"
    return {
        (str(r["uniqueid"]), str(r["queue"])): (
            None if r["outcome"] is None else str(r["outcome"]),
            r["ended_by"] is not None,
        )
        for r in rows
    }


async def everything(db_url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    calls = await sql_rows(db_url, "select * from queue_calls order by uniqueid, queue")
    events = await sql_rows(db_url, "select * from agent_events order by key")
    for row in calls + events:
        row.pop("id")
    return calls, events


async def mirror_counters(client: aioredis.Redis, keys: RedisKeys, day: str) -> dict[str, Any]:
    raw = await client.hgetall(keys.entity("queue"))
    out = {}
    for name, value in raw.items():
        today = json.loads(value)["today"]
        counts = (today["handled"], today["abandoned"], today["timed_out"])
        if today["day"] == day and counts != (0, 0, 0):
            out[name.decode()] = counts
    return out


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    yield client
    await client.aclose()


async def test_calls_made_while_the_bridge_is_down_reach_history_and_counters(
    sandbox: sb.SandboxInfo,
    ami: RawAMI,
    db_url: str,
    tmp_path: Path,
    redis_client: aioredis.Redis,
) -> None:
    queue_log = sandbox.root / "var/log/asterisk/queue_log"
    keys = RedisKeys(f"test:{uuid.uuid4().hex[:8]}:")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANDARDISTE_")}
    env |= {
        "STANDARDISTE_AMI_PORT": str(sandbox.ami_port),
        "STANDARDISTE_AMI_PING_INTERVAL": "1",
        "STANDARDISTE_AMI_BACKOFF_MIN": "0.2",
        "STANDARDISTE_AMI_BACKOFF_MAX": "1",
        "STANDARDISTE_REDIS_PREFIX": keys.prefix,
        "STANDARDISTE_DATABASE_URL": db_url,
        "STANDARDISTE_DATABASE_BUFFER_PATH": str(tmp_path / "buffer.jsonl"),
        "STANDARDISTE_ASTERISK_QUEUE_LOG_PATH": str(queue_log),
        "STANDARDISTE_ASTERISK_QUEUE_LOG_INTERVAL": "1",
    }
    bridge = BridgeProcess(env, tmp_path / "bridge.log")
    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = midnight.date().isoformat()

    async def members_in_mirror() -> set[str]:
        return {k.decode() for k in await redis_client.hkeys(keys.entity("member"))}

    async def started() -> None:
        await bridge.start()
        want = {f"sales|{iface}" for iface, _, _ in AGENTS.values()}
        await eventually(members_in_mirror, lambda m: want <= m, 20, "bridge resynced")

    callers: list[Call] = []

    async def calls(*specs: tuple[str, str, float]) -> None:
        for to, number, after in specs:
            callers.append(await place_call(to, number, hangup_after_s=after, log_dir=tmp_path))

    async def no_channels() -> int:
        listed = await ami.action_list("CoreShowChannels")
        return sum(1 for m in listed if m.get("Event") == "CoreShowChannel")

    phones = [
        AgentPhone(ext, port, answer_delay_s=1.0, log_dir=tmp_path)
        for _, ext, port in AGENTS.values()
    ]
    for phone in phones:
        await phone.start()
    # From the next whole second: queue_log has whole seconds, and the lines of the test
    # before may share the current one.
    began = int(time.time()) + 1
    await asyncio.sleep(began - time.time())
    try:
        for name, (iface, _, _) in AGENTS.items():
            await ami.action("QueueAdd", Queue="sales", Interface=iface, MemberName=name)
        await started()
        # Live: calls answered (5000, sales), abandoned and timed out (support has nobody:
        # 5001 callers hang up after 2 s, 95001 callers (support, 8 s max wait) time out).
        await calls(
            ("5000", "0610000001", 3), ("5001", "0610000002", 2), ("95001", "0610000003", 30)
        )
        await asyncio.sleep(1)
        # In flight when the bridge dies: talking, waiting to give up, waiting to time out.
        await calls(
            ("5000", "0610000004", 8), ("5001", "0610000005", 5), ("95001", "0610000006", 30)
        )
        await asyncio.sleep(2.5)
        await bridge.stop(signal.SIGKILL)
        # While it is down: more of each, a pause and resume, a call still going at restart.
        await calls(
            ("5000", "0610000007", 3), ("5001", "0610000008", 2), ("95001", "0610000009", 30)
        )
        await ami.action("QueuePause", Queue="sales", Interface="PJSIP/agent1002", Paused="true")
        await asyncio.sleep(1)
        await ami.action("QueuePause", Queue="sales", Interface="PJSIP/agent1002", Paused="false")
        await calls(("5000", "0610000010", 14))
        await asyncio.sleep(10)
        await started()
        await eventually(no_channels, lambda n: n == 0, 40, "every call over")

        since = midnight.timestamp()
        lines = today_lines(queue_log, since)
        expected = expected_calls(lines)
        assert sum(1 for o, _ in expected.values() if o == "answered") >= 4
        assert await eventually(
            lambda: history_calls(db_url), lambda h: h == expected, 20, "history = queue_log"
        )
        # Queues that exist in Asterisk now (another test's load queues, gone since, still
        # have lines in today's queue_log).
        existing = {q.decode() for q in await redis_client.hkeys(keys.entity("queue"))}
        want = {q: c for q, c in expected_counters(lines).items() if q in existing}
        assert {"sales", "support"} <= existing
        assert await eventually(
            lambda: mirror_counters(redis_client, keys, day),
            lambda c: c == want,
            20,
            f"counters = queue_log {want}",
        )
        # Agent events since the test began: one row per queue_log line.
        iface = {name: i for name, (i, _, _) in AGENTS.items()}
        action = {"ADDMEMBER": "login", "PAUSE": "pause", "UNPAUSE": "resume"}
        agent_lines = Counter(
            (iface.get(cols[3], cols[3]), action[cols[4]])
            for cols in lines
            if int(cols[0]) >= began and cols[4] in action
        )
        rows = await sql_rows(db_url, "select agent, action, at from agent_events")
        got = Counter(
            (str(r["agent"]), str(r["action"]))
            for r in rows
            if epoch(r["at"]) >= began and r["action"] != "logout"
        )
        assert got == agent_lines

        # Once more, stopped cleanly this time: nothing changes.
        before = await everything(db_url)
        await bridge.stop(signal.SIGTERM)
        await started()
        await asyncio.sleep(3)  # three passes of the follower
        assert await everything(db_url) == before
        assert await mirror_counters(redis_client, keys, day) == want
    finally:
        await bridge.stop(signal.SIGTERM)
        for sipp in [*callers, *phones]:
            await sipp.close()
        await redis_client.delete(*keys.all())
