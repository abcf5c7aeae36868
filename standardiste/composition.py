"""The composition root of the bridge process: every object built here, by hand, once.

``standardiste bridge`` runs :func:`bridge_from_settings`: the AMI session, the event pump,
the resync owner, the agent use cases and their command journal, the supervisors' call
control (listen / whisper / barge, waiting callers taken or transferred), the canned audio
messages (their files where Asterisk plays them, an agent's playback), the callbacks that
keep the caller's place (the FastAGI server the dialplan asks, the placeholders' keeper),
the command server that takes the web's requests from Redis, the status publisher, the
Redis mirror writer, the SQL history sink and the recordings' retention. The long-lived
tasks belong to one :class:`~standardiste.supervisor.Supervisor`. The web process has its
own root: ``web.process``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import time
import zoneinfo
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog

from standardiste import queues_conf
from standardiste.accounts import Accounts
from standardiste.acd import events as ev
from standardiste.acd.day import day_of, start_of_day
from standardiste.acd.model import ContactCenter
from standardiste.acd.state import Counters
from standardiste.agent_state import DEFAULT_PAUSE_REASONS, AgentRequest, AgentStateService
from standardiste.agi_scripts.callback import callback_scripts
from standardiste.agi_scripts.server import AgiServer
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.connection import AmiConnection
from standardiste.ami_bridge.translate import EVENT_CLASSES
from standardiste.bridge import Bridge
from standardiste.bridge_status import StatusPublisher
from standardiste.call_control import CANNED_OPS, CallControl, CallRequest
from standardiste.callback_store import CallbackCounts, CallbackStore
from standardiste.callbacks import CallbackService
from standardiste.canned_play import CannedPlayer
from standardiste.command_bus import CommandServer
from standardiste.config import Settings
from standardiste.errors import InvalidInput, PbxUnavailable, UnknownQueue
from standardiste.history.buffer import DiskBuffer
from standardiste.history.migrate import upgrade
from standardiste.history.queue_report import today_tallies
from standardiste.history.recovery import member_names, queue_log_path, recover_queue_log
from standardiste.history.sink import HistorySink
from standardiste.history.writer import HistoryStore
from standardiste.journal import CommandJournal
from standardiste.mirror import MirrorWriter
from standardiste.outbound.engine import DialerEngine
from standardiste.outbound.store import CampaignStore
from standardiste.pbx.applier import ConfigApplier
from standardiste.pbx.canned_audio import CannedAudioFiles, CannedAudioStore
from standardiste.pbx.definitions import QueueDef
from standardiste.pbx.store import ConfigStore
from standardiste.recordings import purge_every
from standardiste.redis_keys import RedisKeys
from standardiste.resync import Resyncer
from standardiste.supervisor import Supervisor

log = structlog.get_logger(__name__)


def redis_client(settings: Settings) -> aioredis.Redis:
    # Longer than the 5 s XREAD BLOCK of the mirror's readers and the commands' BLPOP, so a
    # quiet stream is not taken for a dead Redis; short enough that a dead one is noticed.
    return aioredis.Redis.from_url(
        settings.redis.url, socket_timeout=15.0, socket_connect_timeout=5.0
    )


@dataclass
class BridgeProcess:
    """The running bridge: what tests, the demo and the CLI may look at."""

    settings: Settings
    redis: aioredis.Redis
    keys: RedisKeys
    model: ContactCenter
    pump: Bridge
    ami: AmiConnection
    resyncer: Resyncer
    agents: AgentStateService
    calls: CallControl
    journal: CommandJournal
    commands: CommandServer
    mirror: MirrorWriter
    history: HistorySink
    supervisor: Supervisor
    # Applies the admin's configuration to Asterisk (None: a bridge without SQL history,
    # the benchmarks').
    config: ConfigApplier | None = None
    # Canned audio: the files where Asterisk plays them, the agents' playbacks (None: no SQL).
    canned_files: CannedAudioFiles | None = None
    canned: CannedPlayer | None = None
    # Callbacks that keep the caller's place, and the FastAGI server (None: no SQL).
    callbacks: CallbackService | None = None
    agi: AgiServer | None = None
    # The campaigns' dialer (None: no SQL).
    dialer: DialerEngine | None = None

    @property
    def synced(self) -> asyncio.Event:
        return self.pump.synced

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        return await self.pump.wait_for(predicate, timeout)

    async def wait_synced(self, timeout: float = 15.0) -> None:
        """Wait for the first full resync (the model reflects Asterisk from then on)."""
        try:
            await asyncio.wait_for(self.pump.synced.wait(), timeout)
        except TimeoutError:
            ami = self.settings.ami
            raise PbxUnavailable(
                f"no resync with Asterisk at {ami.host}:{ami.port} within {timeout:.0f}s"
            ) from None

    def figures(self) -> dict[str, Any]:
        return {
            "ami_connected": self.ami.connected,
            "ami_messages_in": self.ami.messages_in,
            "event_queue_depth": self.ami.event_queue_depth,
            "event_queue_high_water": self.ami.event_queue_high_water,
            "events_dropped": self.ami.events_dropped,
            "events_applied": self.pump.events_applied,
            "event_lag_seconds": self.pump.lag.figures(),
            "event_lag_last": self.pump.lag.last,
            "bad_messages": self.pump.bad_messages,
            "resyncs": self.resyncer.resyncs,
            "resync_failures": self.resyncer.failures,
            "mirror_healthy": self.mirror.healthy,
            "mirror_pending": self.mirror.pending,
            "history_healthy": self.history.healthy,
            "history_buffered": self.history.buffered,
            "commands_taken": self.commands.taken,
            "commands_failed": self.commands.failed,
            "commands_expired": self.commands.expired,
            "commands_in_flight": self.commands.in_flight,
            "journal_pending": len(self.journal),
            "task_restarts": self.supervisor.restarts(),
            "agi_calls": self.agi.calls if self.agi else 0,
            "agi_failures": self.agi.failures if self.agi else 0,
            "agi_refused": self.agi.refused if self.agi else 0,
            "callback_requests": self.callbacks.requests if self.callbacks else 0,
            "callback_placements": self.callbacks.placements if self.callbacks else 0,
            "dialer_in_flight": len(self.dialer.live) if self.dialer else 0,
            "dialer_decisions": self.dialer.decisions if self.dialer else 0,
        }


async def run_config_command(
    config: ConfigApplier, args: Mapping[str, Any], canned: CannedAudioFiles | None = None
) -> Any:
    """The web's configuration commands (``kind: config``), run by the bridge: the changes
    that Asterisk must take before they are stored, and the canned audio files to write
    where Asterisk plays them from after a change (``canned_audio.sync``)."""
    op, actor = args.get("op"), str(args.get("actor", ""))
    if not actor:
        raise InvalidInput("a configuration command needs its actor")
    if op in ("queue.create", "queue.update"):
        queue = args.get("queue")
        if not isinstance(queue, Mapping):
            raise InvalidInput("queue: an object is expected")
        saved = await config.save_queue(queue, actor, create=op == "queue.create")
        return saved.to_dict()
    if op == "queue.delete":
        await config.delete_queue(str(args.get("name", "")), actor)
        return {}
    if op == "user.skills":
        levels = args.get("levels")
        if not isinstance(levels, Mapping):
            raise InvalidInput("levels: an object skill -> level is expected")
        return {"penalties": await config.set_user_skills(str(args.get("username")), levels, actor)}
    if op == "reconcile":
        return (await config.reconcile()).to_dict()
    if op == "canned_audio.sync":
        if canned is None:
            raise PbxUnavailable("this bridge does not manage canned audio (no SQL store)")
        return (await canned.sync()).to_dict()
    raise InvalidInput(f"unknown configuration command {op!r}")


async def seed_counters(process: BridgeProcess, *, quiet: bool = False) -> bool:
    """Today's per-queue counters from the history, so a restarted bridge continues them.

    ``quiet``: only if no record was on its way to the database during the read (else the
    read could miss a call the model counted) — the queue_log follower's re-reads."""
    history = process.history
    tz = process.settings.timezone
    now = time.time()
    midnight = dt.datetime.fromtimestamp(start_of_day(tz, now), zoneinfo.ZoneInfo(tz))
    submitted = history.submitted
    if quiet and history.buffered:
        return False
    try:
        counts = await today_tallies(history.store.engine, midnight)
    except Exception as exc:  # the database may be down: start anyway, counters from zero
        log.warning("bridge.seed_counters_failed", error=str(exc))
        return False
    if quiet and (history.buffered or history.submitted != submitted):
        return False
    callbacks: dict[str, CallbackCounts] = {}
    if process.callbacks is not None:
        try:
            found = await process.callbacks.store.today_counts(midnight)
        except Exception as exc:  # as above
            log.warning("bridge.seed_callback_counters_failed", error=str(exc))
            return False
        callbacks = found
    model = process.model
    today = day_of(tz)(now)
    seeded = {n: Counters() for n, q in model.queues.items() if q.today.day == today}
    for q in set(counts) | set(callbacks):
        counters = seeded[q] = Counters()
        if (tally := counts.get(q)) is not None:
            counters.merge(tally)
        if (c := callbacks.get(q)) is not None:
            (
                counters.callbacks_requested,
                counters.callbacks_connected,
                counters.callbacks_expired,
                counters.callbacks_failed,
            ) = c.as_tuple()
    process.pump.publish(model.seed_counters(today, seeded))
    return True


async def seed_agent_states(process: BridgeProcess) -> None:
    """Each agent's last stored state, so that the first resync of a restarted bridge writes
    only the states that changed while it was away (an agent who logged out meanwhile is
    closed then, at the resync's time)."""
    try:
        states = await process.history.store.last_agent_states()
    except Exception as exc:  # the database may be down: start anyway (a state may repeat)
        log.warning("bridge.seed_agent_states_failed", error=str(exc))
        return
    process.model.seed_agent_states(states)


async def sync_canned_files(files: CannedAudioFiles) -> None:
    """At start-up: the canned audio files as stored. A failure (the database, the folder's
    rights) does not stop the bridge: each playback writes its own file first anyway."""
    try:
        await files.sync()
    except Exception as exc:
        log.warning("bridge.canned_audio_not_synced", error=str(exc), folder=str(files.directory))


class _LateSender:
    """The AMI session, looked up when first used: the resync owner is built before it."""

    def __init__(self, get: Callable[[], AmiConnection]) -> None:
        self._get = get

    async def send(self, name: str, headers: Mapping[str, str], **kw: Any) -> object:
        return await self._get().send(name, headers, **kw)


@asynccontextmanager
async def bridge_from_settings(
    settings: Settings, *, migrate: bool = True, history: HistorySink | None = None
) -> AsyncIterator[BridgeProcess]:
    """A started bridge; its tasks cancelled, mirror and history drained and closed on exit.

    ``history``: another sink (the benchmarks pass one that only counts); None: the SQL
    history of ``settings.database``."""
    db = settings.database
    store: HistoryStore | None = None
    if history is None:
        if migrate:
            await upgrade(db.url)
        store = HistoryStore(db.url)
        history = HistorySink(store, DiskBuffer(db.buffer_path, db.buffer_max_bytes))
    client = redis_client(settings)
    keys = RedisKeys(settings.redis.prefix)
    timings = queues_conf.read(settings.ami.queues_conf_path(settings.sandbox))
    model = ContactCenter(
        day_of=day_of(settings.timezone),
        wrapup=timings.wrapup,
        shared_lastcall=timings.shared_lastcall,
    )
    mirror = MirrorWriter(client, keys, model.state, stream_maxlen=settings.redis.stream_maxlen)
    journal = CommandJournal()
    ami_settings = settings.ami
    # The pump, the resync owner and the AMI session refer to each other; the lambdas are
    # bound late, when ``ami`` exists.
    pump = Bridge(
        model,
        mirror=mirror,
        history=history,
        journal=journal,
        on_overflow=lambda: resyncer.request(),
    )
    resyncer = Resyncer(pump, AmiCommands(_LateSender(lambda: ami)), session=lambda: ami.sessions)
    ami = AmiConnection(
        ami_settings.host,
        ami_settings.port,
        ami_settings.username,
        ami_settings.secret,
        events=EVENT_CLASSES,
        on_message=resyncer.on_message,
        on_connected=resyncer.on_connected,
        on_overflow=resyncer.request,
        ping_interval=ami_settings.ping_interval,
        ping_timeout=ami_settings.ping_timeout,
        backoff_min=ami_settings.backoff_min,
        backoff_max=ami_settings.backoff_max,
        event_queue_size=ami_settings.event_queue_size,
    )

    def known_queues() -> list[str]:
        if not pump.synced.is_set():
            raise PbxUnavailable("the bridge has not synchronised with Asterisk yet")
        return list(model.queues)

    config_store = ConfigStore(store.engine) if store is not None else None

    async def pause_reasons() -> list[str]:
        if config_store is None:  # a bridge without SQL (the benchmarks): the shipped list
            return list(DEFAULT_PAUSE_REASONS)
        return [r.code for r in await config_store.pause_reasons(active_only=True)]

    async def penalty_for(queue: str, interface: str) -> int:
        return await config.penalty_for(queue, interface) if config is not None else 0

    agents = AgentStateService(
        model,
        AmiCommands(ami),
        pump.wait_for,
        queues=known_queues,
        journal=journal,
        pause_reasons=pause_reasons,
        penalty=penalty_for,
    )

    async def agent_command(args: Mapping[str, Any]) -> Any:
        return await agents.act(AgentRequest.from_wire(args))

    calls = CallControl(model, AmiCommands(ami), pump.wait_for, journal=journal)
    canned_files = (
        CannedAudioFiles(CannedAudioStore(store.engine), settings.asterisk.sounds(settings.sandbox))
        if store is not None
        else None
    )
    canned = (
        CannedPlayer(model, AmiCommands(ami), pump.wait_for, journal=journal, files=canned_files)
        if canned_files is not None
        else None
    )

    async def calls_command(args: Mapping[str, Any]) -> Any:
        request = CallRequest.from_wire(args)
        if request.op in CANNED_OPS:
            if canned is None:
                raise PbxUnavailable("this bridge does not play canned audio (no SQL store)")
            return await canned.act(request)
        return await calls.act(request)

    config: ConfigApplier | None = None
    if config_store is not None:
        config = ConfigApplier(
            config_store,
            AmiCommands(_LateSender(lambda: ami)),
            model,
            generated_dir=settings.asterisk.generated(settings.sandbox),
            queue_options=settings.asterisk.queue_options,
            agi=settings.callbacks.agi_url,
            resync=lambda: resyncer.resync(),
            synced=pump.synced.is_set,
        )

    callbacks: CallbackService | None = None
    agi: AgiServer | None = None
    if config_store is not None and store is not None:
        queue_store = config_store

        async def queue_def(name: str) -> QueueDef | None:
            try:
                return await queue_store.queue(name)
            except UnknownQueue:
                return None

        def apply_local(event: ev.Event) -> None:
            pump.publish(model.apply(event))

        callbacks = CallbackService(
            CallbackStore(store.engine),
            AmiCommands(_LateSender(lambda: ami)),
            model,
            queue_def,
            default_region=settings.callbacks.default_region,
            synced=pump.synced.is_set,
            apply=apply_local,
            wait_for=pump.wait_for,
        )
        agi = AgiServer(
            callback_scripts(callbacks),
            host=settings.callbacks.agi_host,
            port=settings.callbacks.agi_port,
            allowed=settings.callbacks.allowed,
        )

    async def config_command(args: Mapping[str, Any]) -> Any:
        if config is None:
            raise PbxUnavailable("this bridge does not manage the configuration (no SQL store)")
        return await run_config_command(config, args, canned_files)

    dialer: DialerEngine | None = None
    if store is not None:
        accounts = Accounts(store.engine)
        log_file = queue_log_path(settings)

        async def queue_log_lines() -> list[str]:
            def read() -> list[str]:
                try:
                    return log_file.read_text(encoding="utf-8", errors="replace").splitlines()
                except FileNotFoundError:
                    return []

            return await asyncio.to_thread(read)

        dialer = DialerEngine(
            CampaignStore(store.engine),
            AmiCommands(_LateSender(lambda: ami)),
            model,
            publish=pump.apply_local,
            synced=pump.synced.is_set,
            queue_log=queue_log_lines,
            directory=accounts.device_directory,
        )
        pump.listen(dialer.on_event)

    async def dialer_command(args: Mapping[str, Any]) -> Any:
        if dialer is None:
            raise PbxUnavailable("this bridge does not dial campaigns (no SQL store)")
        return await dialer.act(args)

    commands = CommandServer(
        client,
        keys,
        {
            "agent": agent_command,
            "config": config_command,
            "calls": calls_command,
            "dialer": dialer_command,
        },
        consumer=f"{socket.gethostname()}-{os.getpid()}",
    )
    supervisor = Supervisor()
    process = BridgeProcess(
        settings=settings,
        redis=client,
        keys=keys,
        model=model,
        pump=pump,
        ami=ami,
        resyncer=resyncer,
        agents=agents,
        calls=calls,
        journal=journal,
        commands=commands,
        mirror=mirror,
        history=history,
        supervisor=supervisor,
        config=config,
        canned_files=canned_files,
        canned=canned,
        callbacks=callbacks,
        agi=agi,
        dialer=dialer,
    )
    status = StatusPublisher(client, keys, process.figures)
    try:
        await history.start()
        # Calls Asterisk logged while no bridge was watching reach the history before the
        # counters are seeded from it; then the file is followed (history/recovery.py).
        follow = await recover_queue_log(
            settings,
            history.store,
            synced=pump.synced,
            member_names=lambda: member_names(
                (m.member_name, m.interface) for m in model.members.values()
            ),
            reseed=lambda: seed_counters(process, quiet=True),
        )
        await seed_counters(process)
        await seed_agent_states(process)
        if canned_files is not None:
            await sync_canned_files(canned_files)
        await mirror.start()
        supervisor.start("ami", ami.run)
        supervisor.start("resync", resyncer.run)
        supervisor.start("commands", commands.run)
        supervisor.start("status", status.run)
        if follow is not None:
            supervisor.start("queue-log", follow)
        if agi is not None and callbacks is not None:
            supervisor.start("agi", agi.run)
            supervisor.start("callbacks", callbacks.run)
        if config is not None:
            applier = config
            supervisor.start("config", lambda: applier.run(lambda: resyncer.resyncs))
        if dialer is not None:
            supervisor.start("dialer", dialer.run)
        retention = settings.asterisk.recording_retention_days
        if retention > 0:  # 0: recordings are kept forever
            recordings = settings.asterisk.recordings(settings.sandbox)
            supervisor.start(
                "recordings-retention",
                lambda: purge_every(recordings, retention_days=retention),
            )
        yield process
    finally:
        await ami.close()
        await supervisor.aclose()
        try:
            await status.withdraw()
        except Exception as exc:  # Redis down: readers notice the silence instead
            log.warning("bridge.status_not_withdrawn", error=str(exc))
        try:
            await mirror.flushed(timeout=2.0)
        except TimeoutError:
            log.warning("bridge.mirror_not_flushed", pending=mirror.pending)
        await mirror.aclose()
        await history.aclose()
        if store is not None:
            await store.aclose()
        await client.aclose()
