"""``standardiste demo``: the whole product on one machine, with real SIP traffic.

Starts, in this order:

1. the Asterisk sandbox (built on first use; an already running sandbox is used as it is and
   left running: the demo only stops what it started);
2. Redis: the configured ``redis.url`` if it answers, else a private ``redis-server`` on a free
   port of 127.0.0.1, its files in ``var/redis/`` (no persistence), stopped with the demo;
3. the history in its own SQLite file, ``var/demo.sqlite3`` (never the configured database:
   demo calls must not land in a real history), migrated to head;
4. the bridge; 5. the demo users (a supervisor and four agents, new passwords at every start);
6. the web app on ``web.host``:``web.port``; 7. the traffic (:mod:`standardiste.tools.traffic`).

Stops on the ``stop`` event (the CLI sets it on SIGINT/SIGTERM): intake first, then the traffic
(calls hung up, agents logged out, sipp stopped), the web app, the bridge, the private Redis,
the sandbox if the demo started it. Each step is bounded in time; a step that overruns is
logged and the next one runs anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TextIO, TypeVar

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from standardiste.composition import BridgeProcess, bridge_from_settings
from standardiste.config import Settings, to_env
from standardiste.dialer.campaign import CampaignDef
from standardiste.dialer.schedule import DAYS
from standardiste.errors import StandardisteError, UnknownCampaign
from standardiste.history.migrate import upgrade
from standardiste.outbound.store import CampaignStore
from standardiste.tools import sandbox
from standardiste.tools.demo_config import DEMO_QUEUES
from standardiste.tools.sipp import SPEECH, AgentPhone, BusyPhone, SippError, Uas
from standardiste.tools.traffic import (
    DEMO_AGENTS,
    BridgePbx,
    DemoTraffic,
    TrafficConfig,
    TrafficFigures,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")

SUPERVISOR = "sophie"
ADMIN = "admin"  # the demo's contact-center admin: the admin section (/admin)
SUPERVISOR_DEVICE = "PJSIP/sup2001"  # the demo supervisor phone of config/asterisk/pjsip.conf


class DemoError(RuntimeError):
    """The demo cannot start; the message says what to do."""


@dataclass(frozen=True)
class DemoOptions:
    var_dir: Path = Path("var")
    database_url: str = ""  # "": sqlite+aiosqlite:///<var_dir>/demo.sqlite3
    traffic: TrafficConfig = field(default_factory=TrafficConfig)
    seed: int | None = None  # the traffic's random.Random; None: a new story every run
    passwords: Mapping[str, str] | None = None  # None: new random passwords at every start
    start_timeout_s: float = 30.0  # the bridge's first sync with Asterisk
    step_timeout_s: float = 20.0  # each shutdown step


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str
    role: str  # "supervisor" | "agent"
    devices: tuple[str, ...]
    queues: tuple[str, ...]

    def describe(self) -> str:
        if self.role == "admin":
            return f"{self.username:<8} {self.password:<18} admin (the admin section: /admin)"
        what = "supervisor of" if self.role == "supervisor" else "agent in"
        return (
            f"{self.username:<8} {self.password:<18} {what} {', '.join(self.queues)}"
            f" (phone {', '.join(self.devices)})"
        )


@dataclass
class DemoReport:
    """What the demo did, for its goodbye line and for tests."""

    sandbox_started: bool = False
    redis_url: str = ""
    private_redis: bool = False
    database_url: str = ""
    web_url: str | None = None
    logins: list[DemoLogin] = field(default_factory=list)
    traffic: TrafficFigures | None = None
    campaign: str = ""  # the demo's callback campaign


def demo_logins(passwords: Mapping[str, str] | None = None) -> list[DemoLogin]:
    """The demo's users. Passwords are random unless given.

    Random at every start rather than fixed and documented: the web app may listen on a
    non-loopback address, and a published supervisor password would let anyone on the
    network listen to calls. The start-up banner prints them.
    """
    queues = tuple(sorted({q for a in DEMO_AGENTS for q in a.queues}))

    def password(user: str) -> str:
        return (passwords or {}).get(user) or secrets.token_urlsafe(12)

    logins = [
        DemoLogin(ADMIN, password(ADMIN), "admin", (), ()),
        DemoLogin(SUPERVISOR, password(SUPERVISOR), "supervisor", (SUPERVISOR_DEVICE,), queues),
    ]
    for agent in DEMO_AGENTS:
        logins.append(
            DemoLogin(agent.name, password(agent.name), "agent", (agent.interface,), agent.queues)
        )
    return logins


# ----------------------------------------------------------------------------- the run


async def run_demo(
    settings: Settings,
    stop: asyncio.Event,
    options: DemoOptions | None = None,
    out: TextIO | None = None,
) -> DemoReport:
    """Start everything, run until ``stop`` is set, then stop everything in order."""
    options = options or DemoOptions()
    stream = out or sys.stdout

    def say(line: str = "") -> None:
        print(line, file=stream, flush=True)

    report = DemoReport()
    _preflight()
    say(
        "Starting the Asterisk sandbox (the first run builds it: a few minutes), Redis, the"
        " bridge, the web app and the traffic..."
    )
    async with contextlib.AsyncExitStack() as stack:
        info = await _sandbox(settings, stack, options, report)
        if stop.is_set():
            return report
        settings = await _redis(settings, stack, options, report)
        settings = _demo_files(settings, options, report)
        await upgrade(report.database_url)
        bridge = await _bridge(settings, stack, options)
        if stop.is_set():
            return report
        report.logins = await provision_users(bridge, demo_logins(options.passwords))
        report.campaign = await provision_campaign(bridge)
        await start_contact_phones(stack, options.var_dir / "sipp-contacts")
        report.web_url = await start_web(settings, stack, options)
        traffic = DemoTraffic(
            BridgePbx(bridge),
            config=replace(options.traffic, asterisk_port=info.sip_port),
            rng=random.Random(options.seed),
        )
        report.traffic = traffic.figures
        stack.push_async_callback(_bounded, "traffic", traffic.aclose, options.step_timeout_s)
        try:
            await traffic.start()
        except (SippError, StandardisteError) as exc:
            raise DemoError(f"demo agents: {exc}") from exc
        _banner(say, info, report, options.traffic)
        await stop.wait()
        traffic.stop_intake()  # first: no new caller from here on
        steps = [
            "callers",
            "agents' phones",
            "web app" if report.web_url else "",
            "bridge",
            "Redis" if report.private_redis else "",
            "Asterisk sandbox" if report.sandbox_started else "",
        ]
        say(f"Stopping: {', '.join(s for s in steps if s)}...")
    figures = report.traffic
    say(
        "Demo stopped."
        + (
            f" {sum(figures.placed.values())} callers placed"
            f" ({figures.placed['patient']} patient, {figures.placed['impatient']} impatient,"
            f" {figures.placed['direct']} direct), {figures.pauses} breaks."
            if figures
            else ""
        )
    )
    return report


def _preflight() -> None:
    if os.geteuid() != 0:
        raise DemoError("the demo runs the Asterisk sandbox (chroot, mount): run it as root")
    for tool, package in (("sipp", "sip-tester"), ("chroot", "coreutils")):
        if shutil.which(tool) is None:
            raise DemoError(f"{tool} is not installed: apt-get install {package} (make setup)")


async def _bounded(step: str, close: Callable[[], Awaitable[object]], timeout: float) -> None:
    """Run one shutdown step for at most ``timeout`` s; never stop the steps after it."""
    try:
        async with asyncio.timeout(timeout):
            await close()
    except TimeoutError:
        log.error("demo.stop_step_timeout", step=step, timeout=timeout)
    except Exception:
        log.exception("demo.stop_step_failed", step=step)


async def _sandbox(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    options: DemoOptions,
    report: DemoReport,
) -> sandbox.SandboxInfo:
    cfg = settings.sandbox
    try:
        root = await asyncio.to_thread(
            sandbox.build_root, cfg.cache_dir, mirror=cfg.mirror, suite=cfg.suite
        )
        running = (await asyncio.to_thread(sandbox.status, root)).running
        if not running:
            # Registered before up(): a failed start still gets its mounts undone.
            report.sandbox_started = True
            stack.push_async_callback(
                _bounded, "sandbox", lambda: asyncio.to_thread(sandbox.down, root), 30.0
            )
        return await asyncio.to_thread(sandbox.up, root, cfg.config_dir, ami_port=settings.ami.port)
    except sandbox.SandboxError as exc:
        raise DemoError(f"Asterisk sandbox: {exc}") from exc


async def _redis_answers(url: str) -> bool:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


async def _redis(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    options: DemoOptions,
    report: DemoReport,
) -> Settings:
    url = settings.redis.url
    if not await _redis_answers(url):
        server = PrivateRedis(options.var_dir / "redis")
        stack.push_async_callback(_bounded, "redis", server.stop, options.step_timeout_s)
        url = await server.start()
        report.private_redis = True
        log.info("demo.private_redis", url=url, configured=settings.redis.url)
    report.redis_url = url
    return replace(settings, redis=replace(settings.redis, url=url))


def _demo_files(settings: Settings, options: DemoOptions, report: DemoReport) -> Settings:
    """Everything the demo writes goes under ``var_dir``: the history and its buffer."""
    var = options.var_dir
    url = options.database_url or f"sqlite+aiosqlite:///{var / 'demo.sqlite3'}"
    report.database_url = url
    database = replace(settings.database, url=url, buffer_path=var / "demo-history-buffer.jsonl")
    return replace(settings, database=database)


async def _bridge(
    settings: Settings, stack: contextlib.AsyncExitStack, options: DemoOptions
) -> BridgeProcess:
    bridge = await _enter_bounded(
        stack, "bridge", bridge_from_settings(settings, migrate=False), options.step_timeout_s
    )
    try:
        await asyncio.wait_for(bridge.synced.wait(), options.start_timeout_s)
    except TimeoutError:
        raise DemoError(
            f"the bridge did not reach Asterisk's AMI at {settings.ami.host}:{settings.ami.port}"
            f" within {options.start_timeout_s:.0f} s"
        ) from None
    return bridge


async def _enter_bounded(
    stack: contextlib.AsyncExitStack,
    step: str,
    manager: contextlib.AbstractAsyncContextManager[T],
    timeout: float,
) -> T:
    """``stack.enter_async_context`` with a time limit on the exit."""
    value = await manager.__aenter__()
    stack.push_async_callback(_bounded, step, lambda: manager.__aexit__(None, None, None), timeout)
    return value


# ----------------------------------------------------------------------------- web and users


async def provision_users(bridge: BridgeProcess, logins: list[DemoLogin]) -> list[DemoLogin]:
    """Create the demo users, or reset them (password, devices, queues) if they exist; store
    the demo's queues as the configuration the admin then edits (once: later runs keep the
    admin's changes)."""
    from standardiste.accounts import Accounts
    from standardiste.web.errors import Conflict

    if bridge.config is not None:
        await bridge.config.store.adopt(DEMO_QUEUES, "demo")
    accounts = Accounts(bridge.history.store.engine)
    for login in logins:
        queues = {q: login.role for q in login.queues}
        try:
            await accounts.create_user(
                login.username,
                login.password,
                display_name=login.username.capitalize(),
                role=login.role,
                devices=login.devices,
                queues=queues,
            )
        except Conflict:
            await accounts.update_user(login.username, password=login.password, role=login.role)
            await accounts.set_devices(login.username, login.devices)
            await accounts.set_queues(login.username, queues)
    return logins


DEMO_CAMPAIGN = {
    "name": "missed-calls",
    "display_name": "Missed calls",
    "queue": "sales",
    "mode": "progressive",
    # The demo dials whenever it runs; a real campaign keeps business hours (the default)
    # and the contacts' 09:00-20:00.
    "schedule": {
        "timezone": "Europe/Paris",
        "hours": {d: [{"start": "00:00", "end": "00:00"}] for d in DAYS},
    },
    "call_window": {"start": "00:00", "end": "00:00"},
    "ring_timeout": 20,
    "agent_ring_timeout": 15,
    "missed_queues": ["sales", "support"],
    "missed_max_age": 3600,
    "retry": {"max_attempts": 2, "no_answer_delay": 120, "busy_delay": 60},
}


async def provision_campaign(bridge: BridgeProcess) -> str:
    """The demo's callback campaign: abandoned and timed-out callers of both queues become
    its contacts (SV-10's per-queue rule) and the sales agents call them back, agent first.
    Kept as it is when it exists (a supervisor may have paused or changed it)."""
    if bridge.history.store is None:
        return ""
    store = CampaignStore(bridge.history.store.engine)
    definition = CampaignDef.parse(DEMO_CAMPAIGN)
    try:
        await store.campaign(definition.name)
    except UnknownCampaign:
        await store.create("demo", definition)
    return definition.display_name


async def start_contact_phones(stack: contextlib.AsyncExitStack, log_dir: Path) -> None:
    """The demo's "PSTN" behind [standardiste-dial-out] (config/asterisk/extensions.conf):
    numbers ending 0-6 answer and talk a while, 7 never answers, 8 is busy."""
    await asyncio.to_thread(log_dir.mkdir, parents=True, exist_ok=True)
    phones: list[Uas] = [
        AgentPhone("contacts", 5090, answer_delay_s=3.0, hangup_after_s=25, host="127.0.0.2",
                   log_dir=log_dir, talk=SPEECH if SPEECH.exists() else None),
        AgentPhone("no-answer", 5091, answer_delay_s=3600, host="127.0.0.2", log_dir=log_dir),
        BusyPhone("busy", 5092, host="127.0.0.2", log_dir=log_dir),
    ]  # fmt: skip
    for phone in phones:
        await phone.start()
        stack.push_async_callback(phone.stop)


async def start_web(
    settings: Settings, stack: contextlib.AsyncExitStack, options: DemoOptions
) -> str | None:
    """Start ``standardiste web`` as its own process, as a deployment runs it; its URL.

    The web reads the mirror from Redis and sends agent actions to this process's bridge
    through Redis: nothing it does can stall the bridge's event loop."""
    host, port = settings.web.host, settings.web.port
    if not _port_free(host, port):
        raise DemoError(
            f"the web app cannot listen on {host}:{port} (in use):"
            " set STANDARDISTE_WEB_PORT to a free port"
        )
    env = {**os.environ, **to_env(settings)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "standardiste.cli", "web", env=env, stdin=asyncio.subprocess.DEVNULL
    )
    stack.push_async_callback(_bounded, "web", lambda: _terminate(proc), options.step_timeout_s)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{shown}:{port}/"
    deadline = time.monotonic() + options.start_timeout_s
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise DemoError(f"the web process exited with status {proc.returncode}")
        if await _answers(shown, port):
            return url
        await asyncio.sleep(0.1)
    raise DemoError(f"the web process did not answer on {url} in time")


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host or "0.0.0.0", port))
        except OSError:
            return False
    return True


async def _answers(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5.0)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _banner(
    say: Callable[[str], None],
    info: sandbox.SandboxInfo,
    report: DemoReport,
    traffic: TrafficConfig,
) -> None:
    say("Standardiste demo is running.")
    if report.web_url:
        say(f"  Dashboard  {report.web_url}")
    else:
        say("  Dashboard  (no web app in this checkout yet)")
    say("  Logins     (new passwords at every start)")
    for login in report.logins:
        say(f"    {login.describe()}")
    sandbox_note = "started by the demo" if report.sandbox_started else "was running: left running"
    say(
        f"  Asterisk   {info.version}, AMI {info.ami_host}:{info.ami_port},"
        f" SIP {info.sip_host}:{info.sip_port} ({sandbox_note})"
    )
    redis_note = " (private redis-server, files in var/redis)" if report.private_redis else ""
    say(f"  Redis      {report.redis_url}{redis_note}")
    say(f"  History    {report.database_url}")
    services = ", ".join(f"{number} ({queue})" for number, queue in traffic.services)
    low, high = traffic.arrival_s
    say(
        f"  Traffic    a caller every {low:g}-{high:g} s into {services},"
        f" at most {traffic.max_callers} at once; {traffic.impatient_share:.0%} hang up after"
        f" {traffic.patience_s[0]:g}-{traffic.patience_s[1]:g} s; agents answer in"
        f" {traffic.answer_delay_s[0]:g}-{traffic.answer_delay_s[1]:g} s and talk"
        f" {traffic.talk_s[0]:g}-{traffic.talk_s[1]:g} s"
    )
    if report.campaign:
        say(
            f"  Campaign   {report.campaign!r}: abandoned and timed-out callers become its"
            " contacts and free sales agents call them back, agent first"
            " (supervisor: Campaigns; the demo's contacts answer unless their number ends"
            " in 7 (never) or 8 (busy))"
        )
    say("Press Ctrl-C to stop.")


# ----------------------------------------------------------------------------- private Redis


def _free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class PrivateRedis:
    """A ``redis-server`` owned by the demo: 127.0.0.1, a free port, no persistence.

    Readiness is its own "Ready to accept connections" log line, read from its stdout, rather
    than a polled port; the rest of its output is copied to ``<directory>/redis.log``.
    """

    READY = b"Ready to accept connections"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._proc: asyncio.subprocess.Process | None = None
        self._copy: asyncio.Task[None] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self, timeout: float = 10.0) -> str:
        """Start it; return its ``redis://`` URL."""
        if shutil.which("redis-server") is None:
            raise DemoError("no Redis answers and redis-server is not installed (make setup)")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._log = (self.directory / "redis.log").open("ab")
        port = _free_tcp_port()
        self._proc = await asyncio.create_subprocess_exec(
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory.resolve()),
            "--daemonize",
            "no",
            "--logfile",
            "",  # stdout
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C is for the demo; it stops Redis in its turn
        )
        try:
            await asyncio.wait_for(self._until_ready(), timeout)
        except BaseException:
            await self.stop()
            raise
        assert self._proc.stdout is not None
        self._copy = asyncio.create_task(
            self._copy_output(self._proc.stdout, self._log), name="private-redis-log"
        )
        return f"redis://127.0.0.1:{port}/0"

    async def _until_ready(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None and self._log
        while line := await self._proc.stdout.readline():
            self._log.write(line)
            if self.READY in line:
                return
        self._log.flush()
        raise DemoError(
            f"redis-server exited before it was ready; see {self.directory / 'redis.log'}"
        )

    @staticmethod
    async def _copy_output(stdout: asyncio.StreamReader, log_file: IO[bytes]) -> None:
        # Its stdout is a pipe: somebody must keep reading it or Redis blocks on a full pipe.
        while line := await stdout.readline():
            log_file.write(line)
            log_file.flush()

    async def stop(self, timeout: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), timeout)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
            await proc.wait()
        if self._copy is not None:
            await self._copy  # ends at EOF, which the exit above guarantees
            self._copy = None
        if self._log is not None:
            self._log.close()
            self._log = None


__all__ = [
    "DemoError",
    "DemoLogin",
    "DemoOptions",
    "DemoReport",
    "PrivateRedis",
    "demo_logins",
    "provision_users",
    "run_demo",
    "start_web",
]
