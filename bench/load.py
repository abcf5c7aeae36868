"""Load tier: the bridge, as its own process, against the real Asterisk sandbox under load.

Local-channel agents (``Local/7NNN@load-agent``: answer after 0.3-6 s, talk 1-8 s), each a
member of several of the ``loadNN`` queues (config/asterisk/load/), and Local-channel callers
originated at a steady rate: some give up while waiting (ABANDON), some have a short maximum
wait (EXITWITHTIMEOUT), the rest wait up to ``--max-wait`` s; memberships are paused and
resumed all along. The bridge runs as ``standardiste bridge`` with its settings in
environment variables, so its CPU (``/proc/<pid>/stat``) can be set against Asterisk's in the
same window, and its peak RSS (VmHWM) read.

While it runs, every ``--sample`` s, the mirror (``MirrorReader``) is compared with what a
separate AMI session reads from Asterisk (QueueStatus, CoreShowChannels): members (paused,
in_call), waiting callers (queue) and answered calls (agent). The rule: Asterisk answers a
list action at one instant while the bridge is a few events behind, so a difference in one
sample is expected; a *divergence* is the same difference (same key, same value on each side)
in two consecutive samples ~1 s apart. At quiescence (no load channel left in Asterisk) the
mirror must equal Asterisk exactly, and today's counters of each load queue must equal what
Asterisk wrote to its queue_log during the run (CONNECT = handled, ABANDON = abandoned,
EXITWITHTIMEOUT = timed_out).

    .venv/bin/python bench/load.py                      # long form: 200 agents, 20 queues,
                                                        # 2 queues each, 10 calls/s, 60 s
    .venv/bin/python bench/load.py --duration 15 --max-wait 10   # what the test runs

Needs root (the sandbox), Redis on 127.0.0.1:6379. Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from standardiste.acd.state import device_of  # noqa: E402
from standardiste.ami_bridge.commands import AmiCommands  # noqa: E402
from standardiste.ami_bridge.connection import AmiConnection  # noqa: E402
from standardiste.ami_bridge.errors import AmiError  # noqa: E402
from standardiste.ami_bridge.wire import AmiMessage  # noqa: E402
from standardiste.config import AmiSettings  # noqa: E402
from standardiste.mirror import MirrorReader  # noqa: E402
from standardiste.redis_keys import RedisKeys  # noqa: E402
from standardiste.tools import sandbox as sb  # noqa: E402

CONFIG_DIR = REPO / "config" / "asterisk"
LOAD_FILES = {"queues.conf": "load-queues.conf", "extensions.conf": "load-extensions.conf"}
QUEUE_PREFIX = "load"
AGENT_CONTEXT = "load-agent"
CALLER_CONTEXT = "load-caller"
QUEUE_CONTEXT = "load-queue"
MAX_QUEUES = 20  # config/asterisk/load/queues.conf defines load00..load19
MAX_AGENTS = 999  # Local/7001..7999@load-agent
QUEUE_LOG_COUNTED = {"CONNECT": "handled", "ABANDON": "abandoned", "EXITWITHTIMEOUT": "timed_out"}


@dataclass(frozen=True)
class LoadOptions:
    agents: int = 200
    queues: int = 20
    queues_per_agent: int = 2
    rate: float = 10.0  # calls per second
    duration: float = 60.0  # seconds of traffic
    max_wait: int = 20  # a patient caller's maximum wait (s), then EXITWITHTIMEOUT
    impatient: float = 0.25  # share of callers who hang up after 1-6 s
    short_wait: float = 0.20  # share of callers with a 1-4 s maximum wait
    pauses_per_s: float = 2.0  # memberships paused per second (resumed after 2-6 s)
    sample: float = 1.0  # seconds between comparisons mirror vs Asterisk
    drain_timeout: float = 90.0
    seed: int | None = None


@dataclass
class LoadReport:
    options: LoadOptions
    placed: int = 0
    originate_failures: int = 0
    pauses: int = 0
    queue_log: dict[str, Counter[str]] = field(default_factory=dict)
    samples: int = 0
    transient: int = 0  # differences seen in one sample only (events in flight)
    divergences: list[str] = field(default_factory=list)  # persisted across two samples
    final_differences: list[str] = field(default_factory=list)
    counter_differences: list[str] = field(default_factory=list)
    window: float = 0.0
    bridge_cpu: float = 0.0
    asterisk_cpu: float = 0.0
    bridge_peak_rss_kib: int = 0
    bridge_messages: int | None = None
    drain_seconds: float = 0.0

    @property
    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.queue_log.values():
            total.update(counts)
        return total

    @property
    def ok(self) -> bool:
        return not (self.divergences or self.final_differences or self.counter_differences)

    def lines(self) -> list[str]:
        o, t = self.options, self.totals
        ratio = self.bridge_cpu / self.asterisk_cpu if self.asterisk_cpu else float("nan")
        rate = self.bridge_messages / self.window if self.bridge_messages and self.window else 0
        out = [
            f"load: {o.agents} agents x {o.queues_per_agent} of {o.queues} queues, "
            f"{o.rate:g} calls/s for {o.duration:g} s (seed {o.seed})",
            f"calls placed {self.placed} (originate failures {self.originate_failures}); "
            f"queue_log: answered {t['CONNECT']}, abandoned {t['ABANDON']}, "
            f"timed out {t['EXITWITHTIMEOUT']}, entered {t['ENTERQUEUE']}, "
            f"ring-no-answer {t['RINGNOANSWER']}; pauses/resumes {self.pauses}",
            f"samples {self.samples}: divergences {len(self.divergences)} (goal 0), "
            f"transient differences {self.transient}; at quiescence "
            f"(drained in {self.drain_seconds:.1f} s): mirror vs Asterisk "
            f"{len(self.final_differences)} differences, counters vs queue_log "
            f"{len(self.counter_differences)} differences",
            f"CPU over {self.window:.1f} s: bridge {self.bridge_cpu:.2f} s, Asterisk "
            f"{self.asterisk_cpu:.2f} s, ratio bridge/Asterisk {ratio:.2f}; "
            f"bridge peak RSS {self.bridge_peak_rss_kib / 1024:.1f} MiB; "
            f"AMI messages read by the bridge {self.bridge_messages} ({rate:.0f}/s)",
        ]
        out += [f"  DIVERGENCE {d}" for d in self.divergences[:20]]
        out += [f"  AT QUIESCENCE {d}" for d in self.final_differences[:20]]
        out += [f"  COUNTERS {d}" for d in self.counter_differences]
        return out


# -- the sandbox ---------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(
        os.environ.get("STANDARDISTE_SANDBOX_CACHE_DIR", "~/.cache/standardiste")
    ).expanduser()


def install_load_config(root: Path) -> None:
    """Copy the load tier's queues and dialplan into the sandbox (queues.conf and
    extensions.conf #tryinclude them), then reload app_queue and the dialplan.

    The main files are touched so Asterisk's config cache re-reads them with the include;
    reloading is done through the sandbox's own CLI (root, as the harness), since the AMI
    user has neither ``config`` nor ``command``.
    """
    etc = root / "etc" / "asterisk"
    for src, dst in LOAD_FILES.items():
        shutil.copyfile(CONFIG_DIR / "load" / src, etc / dst)
        (etc / src).touch()
    sb.cli(root, "module load func_rand.so")  # a sandbox started before modules.conf had it
    sb.cli(root, "dialplan reload")
    sb.cli(root, "queue reload parameters")


def uninstall_load_config(root: Path) -> None:
    """Leave the sandbox as the product's config has it: no load queue, no load dialplan."""
    etc = root / "etc" / "asterisk"
    for src, dst in LOAD_FILES.items():
        (etc / dst).unlink(missing_ok=True)
        (etc / src).touch()
    sb.cli(root, "dialplan reload")
    sb.cli(root, "queue reload parameters")


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def queue_log_counts(path: Path, offset: int, queues: Iterable[str]) -> dict[str, Counter[str]]:
    """queue_log events per queue written after ``offset`` (epoch|callid|queue|agent|EVENT|...)."""
    wanted = set(queues)
    counts: dict[str, Counter[str]] = {q: Counter() for q in wanted}
    with path.open("rb") as f:
        f.seek(offset)
        for raw in f.read().decode(errors="replace").splitlines():
            parts = raw.split("|")
            if len(parts) >= 5 and parts[2] in wanted:
                counts[parts[2]][parts[4]] += 1
    return counts


# -- what each side says -------------------------------------------------------------------

# (entity, key) -> comparable value; a member's is "paused=.. in_call=..".
View = dict[tuple[str, str], str]


def _is_load_queue(name: str) -> bool:
    return name.startswith(QUEUE_PREFIX) and name[len(QUEUE_PREFIX) :].isdigit()


def asterisk_view(status: list[AmiMessage], channels: list[AmiMessage]) -> View:
    view: View = {}
    for m in status:
        queue = m.get("Queue", "")
        if not _is_load_queue(queue):
            continue
        if m.event == "QueueMember":
            view[("member", f"{queue}|{m.get('Location', '')}")] = (
                f"paused={m.get('Paused') == '1'} in_call={m.get('InCall') == '1'}"
            )
        elif m.event == "QueueEntry":
            view[("caller", m.get("Uniqueid", ""))] = queue
    by_bridge: dict[str, list[AmiMessage]] = {}
    for c in channels:
        if c.event == "CoreShowChannel" and c.get("BridgeId", ""):
            by_bridge.setdefault(c.get("BridgeId", ""), []).append(c)
    for members in by_bridge.values():
        for c in members:
            # A queue caller talking to an agent: still in Queue(), bridged to a member.
            if c.get("Application", "") != "Queue" or f"@{CALLER_CONTEXT}-" not in c.get(
                "Channel", ""
            ):
                continue
            agents = [device_of(o.get("Channel", "")) for o in members if o is not c]
            view[("call", c.get("Uniqueid", ""))] = ",".join(sorted(agents))
    return view


def mirror_view(state: dict[str, dict[str, dict[str, Any]]]) -> View:
    view: View = {}
    for key, m in state.get("member", {}).items():
        if _is_load_queue(m["queue"]):
            view[("member", key)] = f"paused={bool(m['paused'])} in_call={bool(m['in_call'])}"
    for key, c in state.get("caller", {}).items():
        if _is_load_queue(c["queue"]):
            view[("caller", key)] = c["queue"]
    for key, c in state.get("call", {}).items():
        if _is_load_queue(c["queue"]):
            view[("call", key)] = c["agent"]
    return view


def differences(asterisk: View, mirror: View) -> set[tuple[str, str, str, str]]:
    """(entity, key, Asterisk's value, the mirror's value); "-" for absent."""
    return {
        (entity, key, asterisk.get((entity, key), "-"), mirror.get((entity, key), "-"))
        for entity, key in asterisk.keys() | mirror.keys()
        if asterisk.get((entity, key)) != mirror.get((entity, key))
    }


def describe(diff: tuple[str, str, str, str]) -> str:
    entity, key, ast, mirror = diff
    return f"{entity} {key}: Asterisk {ast!r}, mirror {mirror!r}"


# -- the run -------------------------------------------------------------------------------


class LoadRun:
    def __init__(self, opts: LoadOptions, info: sb.SandboxInfo, redis_url: str) -> None:
        if not 1 <= opts.queues <= MAX_QUEUES or not 1 <= opts.agents <= MAX_AGENTS:
            raise SystemExit(f"--queues 1..{MAX_QUEUES}, --agents 1..{MAX_AGENTS}")
        if not 1 <= opts.queues_per_agent <= opts.queues or not 1 <= opts.max_wait <= 90:
            raise SystemExit("--queues-per-agent 1..queues, --max-wait 1..90")
        self.opts = opts
        self.info = info
        self.rng = random.Random(opts.seed)
        self.report = LoadReport(opts)
        self.queues = [f"{QUEUE_PREFIX}{i:02d}" for i in range(opts.queues)]
        self.memberships: list[tuple[str, str]] = []
        for n in range(1, opts.agents + 1):
            interface = f"Local/7{n:03d}@{AGENT_CONTEXT}"
            for queue in self.rng.sample(self.queues, opts.queues_per_agent):
                self.memberships.append((queue, interface))
        self.redis_url = redis_url
        self.prefix = f"load:{uuid.uuid4().hex[:8]}:"
        self.ami = AmiConnection(
            info.ami_host,
            info.ami_port,
            AmiSettings.username,
            AmiSettings.secret,
            events="off",  # Asterisk serves the bridge's events only: its CPU stays honest
            on_message=lambda _msg: None,
            ping_interval=5.0,
            ping_timeout=5.0,
        )
        self.commands = AmiCommands(self.ami)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._paused: set[tuple[str, str]] = set()

    # ---------------------------------------------------------------- setup / teardown
    async def _list(self, action: str, headers: dict[str, str] | None = None) -> list[AmiMessage]:
        return (await self.ami.send(action, headers or {}, timeout=30.0)).events

    async def clean_asterisk(self) -> None:
        """No member, caller or channel of the load queues left from an earlier run."""
        for m in await self._list("QueueStatus"):
            if m.event == "QueueMember" and _is_load_queue(m.get("Queue", "")):
                with contextlib.suppress(AmiError):
                    await self.commands.queue_remove(m.get("Queue", ""), m.get("Location", ""))
        for c in await self._list("CoreShowChannels"):
            if c.event == "CoreShowChannel" and "@load-" in c.get("Channel", ""):
                with contextlib.suppress(AmiError):  # a tool's clean-up, not the product's
                    await self.ami.send("Hangup", {"Channel": c.get("Channel", "")})

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start_bridge(self, workdir: Path) -> asyncio.subprocess.Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STANDARDISTE_")}
        env.update(
            STANDARDISTE_AMI_HOST=self.info.ami_host,
            STANDARDISTE_AMI_PORT=str(self.info.ami_port),
            STANDARDISTE_AMI_QUEUES_CONF=str(self.info.root / "etc/asterisk/queues.conf"),
            STANDARDISTE_REDIS_URL=self.redis_url,
            STANDARDISTE_REDIS_PREFIX=self.prefix,
            STANDARDISTE_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'history.sqlite3'}",
            STANDARDISTE_DATABASE_BUFFER_PATH=str(workdir / "buffer.jsonl"),
            STANDARDISTE_LOG_LEVEL="warning",
            # The live path alone: recovery from queue_log would fill what it missed and hide
            # a drift (the restart test covers recovery), and would count earlier runs' calls.
            STANDARDISTE_ASTERISK_QUEUE_LOG_ENABLED="false",
        )
        exe = Path(sys.executable).parent / "standardiste"
        self.bridge_log = workdir / "bridge.log"
        with self.bridge_log.open("wb") as out:  # the child keeps its own descriptor
            return await asyncio.create_subprocess_exec(
                str(exe),
                "bridge",
                env=env,
                cwd=str(workdir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def wait_bridge_synced(self, reader: MirrorReader, bridge: Any) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if bridge.returncode is not None:
                raise SystemExit(f"the bridge exited: {self.bridge_log.read_text()[-2000:]}")
            snap = await reader.snapshot()
            members = snap.state.get("member", {}).values()
            if sum(_is_load_queue(m["queue"]) for m in members) == len(self.memberships):
                return
            await asyncio.sleep(0.2)
        raise SystemExit(f"the bridge did not mirror the members: {self.bridge_log.read_text()}")

    async def stop_bridge(self, bridge: asyncio.subprocess.Process) -> None:
        if bridge.returncode is None:
            bridge.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(bridge.wait(), 20)
            except TimeoutError:
                bridge.kill()
                await bridge.wait()
        for line in self.bridge_log.read_text(errors="replace").splitlines():
            # cli.py prints the bridge's figures when it stops.
            if line.startswith("bridge stopping: ") and "'ami_messages_in': " in line:
                value = line.split("'ami_messages_in': ", 1)[1].split(",", 1)[0].rstrip("}")
                self.report.bridge_messages = int(value)

    # ---------------------------------------------------------------- traffic
    def _caller(self) -> tuple[int, int]:
        """(patience in tenths of a second, maximum wait in s) of the next caller. Patience
        and maximum wait are kept 2 s apart or more: a hang-up in the same instant as the
        time-out cannot be told from an abandon (see README, load tier)."""
        r = self.rng.random()
        if r < self.opts.impatient:
            return self.rng.randint(10, 60), self.opts.max_wait
        if r < self.opts.impatient + self.opts.short_wait:
            return (self.opts.max_wait + 10) * 10, self.rng.randint(1, 4)
        return (self.opts.max_wait + 10) * 10, self.opts.max_wait

    async def _originate(self, n: int) -> None:
        patience, max_wait = self._caller()
        queue = self.rng.randrange(self.opts.queues)
        try:
            await self.commands.originate(
                f"Local/{patience:03d}@{CALLER_CONTEXT}",
                QUEUE_CONTEXT,
                f"{queue:02d}{max_wait:02d}",
                caller_id=f"06{n:08d}",
            )
            self.report.placed += 1
        except AmiError:
            self.report.originate_failures += 1

    async def _pause(self, queue: str, interface: str) -> None:
        try:
            await self.commands.queue_pause(queue, interface, True, "load")
            self.report.pauses += 1
            await asyncio.sleep(self.rng.uniform(2.0, 6.0))
            await self.commands.queue_pause(queue, interface, False)
        except AmiError:
            pass
        finally:
            self._paused.discard((queue, interface))

    async def traffic(self) -> None:
        start = time.monotonic()
        n = 0
        pause_credit = 0.0
        while (elapsed := time.monotonic() - start) < self.opts.duration:
            due = int(elapsed * self.opts.rate) + 1
            while n < due:
                n += 1
                self._spawn(self._originate(n))
                pause_credit += self.opts.pauses_per_s / self.opts.rate
                while pause_credit >= 1:
                    pause_credit -= 1
                    target = self.rng.choice(self.memberships)
                    if target not in self._paused:
                        self._paused.add(target)
                        self._spawn(self._pause(*target))
            await asyncio.sleep(max(0.0, n / self.opts.rate - (time.monotonic() - start)))
        while self._tasks:  # the last originates and resumes
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ---------------------------------------------------------------- comparison
    async def compare(self, reader: MirrorReader) -> set[tuple[str, str, str, str]]:
        status = await self._list("QueueStatus")
        channels = await self._list("CoreShowChannels")
        ast = asterisk_view(status, channels)
        mirror = mirror_view((await reader.snapshot()).state)  # type: ignore[arg-type]
        return differences(ast, mirror)

    async def sampler(self, reader: MirrorReader, stop: asyncio.Event) -> None:
        previous: set[tuple[str, str, str, str]] = set()
        persisted: set[tuple[str, str, str, str]] = set()
        while not stop.is_set():
            current = await self.compare(reader)
            self.report.samples += 1
            self.report.transient += len(current - previous)
            persisted |= current & previous
            previous = current
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.opts.sample)
        self.report.divergences = sorted(describe(d) for d in persisted)

    async def drain(self) -> None:
        """Wait for quiescence: no channel of the load tier left, no caller waiting."""
        start = time.monotonic()
        while time.monotonic() - start < self.opts.drain_timeout:
            channels = await self._list("CoreShowChannels")
            if not any(
                c.event == "CoreShowChannel" and "@load-" in c.get("Channel", "") for c in channels
            ):
                break
            await asyncio.sleep(0.5)
        self.report.drain_seconds = time.monotonic() - start

    async def final_check(self, reader: MirrorReader, queue_log: Path, offset: int) -> None:
        # The bridge may still be a few events behind the last hang-up: a few seconds' grace.
        diffs: set[tuple[str, str, str, str]] = set()
        for _ in range(20):
            diffs = await self.compare(reader)
            if not diffs:
                break
            await asyncio.sleep(0.5)
        self.report.final_differences = sorted(describe(d) for d in diffs)
        self.report.queue_log = queue_log_counts(queue_log, offset, self.queues)
        counters: dict[str, dict[str, int]] = {}
        for _ in range(20):
            snap = await reader.snapshot()
            counters = {name: q.get("today", {}) for name, q in snap.state.get("queue", {}).items()}
            self.report.counter_differences = self._counter_differences(counters)
            if not self.report.counter_differences:
                break
            await asyncio.sleep(0.5)

    def _counter_differences(self, counters: dict[str, dict[str, int]]) -> list[str]:
        out = []
        for queue in self.queues:
            logged = self.report.queue_log.get(queue, Counter())
            today = counters.get(queue, {})
            for event, name in QUEUE_LOG_COUNTED.items():
                if today.get(name, 0) != logged[event]:
                    out.append(
                        f"{queue} {name}: mirror {today.get(name, 0)}, queue_log {event} "
                        f"{logged[event]}"
                    )
        return out

    # ---------------------------------------------------------------- all of it
    async def run(self) -> LoadReport:
        # The Asterisk running now (a test before may have restarted the sandbox).
        asterisk_pid = sb.status(self.info.root).pid or self.info.pid
        runner = asyncio.create_task(self.ami.run())
        workdir = Path(tempfile.mkdtemp(prefix="standardiste-load-"))
        redis = aioredis.Redis.from_url(self.redis_url)
        reader = MirrorReader(redis, RedisKeys(self.prefix))
        bridge: asyncio.subprocess.Process | None = None
        try:
            await self.ami.wait_connected(10)
            await self.clean_asterisk()
            for queue, interface in self.memberships:
                await self.commands.queue_add(queue, interface, member_name=interface[6:10])
            queue_log = self.info.root / "var/log/asterisk/queue_log"
            offset = queue_log.stat().st_size if queue_log.exists() else 0
            bridge = await self.start_bridge(workdir)
            await self.wait_bridge_synced(reader, bridge)

            t0 = time.monotonic()
            cpu0 = proc_cpu_seconds(bridge.pid), proc_cpu_seconds(asterisk_pid)
            stop = asyncio.Event()
            sampling = asyncio.create_task(self.sampler(reader, stop))
            await self.traffic()
            await self.drain()
            stop.set()
            await sampling
            await self.final_check(reader, queue_log, offset)
            cpu1 = proc_cpu_seconds(bridge.pid), proc_cpu_seconds(asterisk_pid)
            self.report.window = time.monotonic() - t0
            self.report.bridge_cpu = cpu1[0] - cpu0[0]
            self.report.asterisk_cpu = cpu1[1] - cpu0[1]
            self.report.bridge_peak_rss_kib = proc_peak_rss_kib(bridge.pid)
        finally:
            if bridge is not None:
                await self.stop_bridge(bridge)
            with contextlib.suppress(AmiError):
                await self.clean_asterisk()
            await self.ami.close()
            await runner
            await redis.delete(*RedisKeys(self.prefix).all())
            await redis.aclose()
            shutil.rmtree(workdir, ignore_errors=True)
        return self.report


async def run_load(opts: LoadOptions, info: sb.SandboxInfo) -> LoadReport:
    """One load run against a running sandbox whose config is installed (``sb.up``)."""
    await asyncio.to_thread(install_load_config, info.root)
    try:
        return await LoadRun(opts, info, "redis://127.0.0.1:6379/0").run()
    finally:
        await asyncio.to_thread(uninstall_load_config, info.root)


def main(argv: list[str] | None = None) -> int:
    d = LoadOptions()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--agents", type=int, default=d.agents)
    p.add_argument("--queues", type=int, default=d.queues)
    p.add_argument("--queues-per-agent", type=int, default=d.queues_per_agent)
    p.add_argument("--rate", type=float, default=d.rate, help="calls per second")
    p.add_argument("--duration", type=float, default=d.duration, help="seconds of traffic")
    p.add_argument("--max-wait", type=int, default=d.max_wait)
    p.add_argument("--pauses-per-s", type=float, default=d.pauses_per_s)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    opts = LoadOptions(
        agents=args.agents,
        queues=args.queues,
        queues_per_agent=args.queues_per_agent,
        rate=args.rate,
        duration=args.duration,
        max_wait=args.max_wait,
        pauses_per_s=args.pauses_per_s,
        seed=seed,
    )
    root = sb.build_root(cache_dir())
    was_running = sb.status(root).running
    info = sb.up(root, CONFIG_DIR)
    try:
        report = asyncio.run(run_load(opts, info))
    finally:
        if not was_running:
            sb.down(root)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
