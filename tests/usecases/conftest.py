"""The use-case tier: the bridge's use cases, resync and command bus without Asterisk.

A :class:`~fake_pbx.FakePbx` answers the AMI actions and feeds back the events recorded from
the real sandbox; the pump, model, journal, resync owner and use cases are the real ones.
The command bus runs over the real Redis on 127.0.0.1:6379 (a unique key prefix per test).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fake_pbx import FakePbx  # noqa: E402

from standardiste.acd.model import ContactCenter  # noqa: E402
from standardiste.acd.records import Record  # noqa: E402
from standardiste.acd.state import Change, Reset  # noqa: E402
from standardiste.agent_state import AgentStateService  # noqa: E402
from standardiste.ami_bridge.commands import AmiCommands  # noqa: E402
from standardiste.bridge import Bridge  # noqa: E402
from standardiste.journal import CommandJournal  # noqa: E402
from standardiste.redis_keys import RedisKeys  # noqa: E402
from standardiste.resync import Resyncer  # noqa: E402


@dataclass
class Sinks:
    changes: list[Change | Reset] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)


class _ChangeSink:
    def __init__(self, sinks: Sinks) -> None:
        self._sinks = sinks

    def submit(self, changes: list[Change | Reset]) -> None:
        self._sinks.changes.extend(changes)


class _RecordSink:
    def __init__(self, sinks: Sinks) -> None:
        self._sinks = sinks

    def submit(self, records: list[Record]) -> None:
        self._sinks.records.extend(records)


@dataclass
class Harness:
    model: ContactCenter
    pump: Bridge
    pbx: FakePbx
    resyncer: Resyncer
    journal: CommandJournal
    agents: AgentStateService
    sinks: Sinks


@pytest.fixture
async def harness() -> Harness:
    sinks = Sinks()
    model = ContactCenter()
    journal = CommandJournal()
    pump = Bridge(
        model,
        mirror=_ChangeSink(sinks),
        history=_RecordSink(sinks),
        journal=journal,
        on_overflow=lambda: resyncer.request(),
    )
    pbx = FakePbx(pump.on_message)
    resyncer = Resyncer(pump, AmiCommands(pbx), session=lambda: 1)

    def queues() -> list[str]:
        return list(model.queues)

    agents = AgentStateService(
        model, AmiCommands(pbx), pump.wait_for, queues=queues, journal=journal, confirm_timeout=1.0
    )
    await resyncer.resync()
    return Harness(model, pump, pbx, resyncer, journal, agents, sinks)


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=15.0)
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001 - say what is missing
        pytest.fail(f"Redis on 127.0.0.1:6379 is needed (scripts/setup.sh starts it): {exc}")
    yield client
    await client.aclose()


@pytest.fixture
async def keys(redis_client: aioredis.Redis) -> AsyncIterator[RedisKeys]:
    keys = RedisKeys(f"test:{uuid.uuid4().hex[:8]}:")
    yield keys
    await redis_client.delete(*keys.all())


def records_of(sinks: Sinks, kind: type) -> list[Any]:
    return [r for r in sinks.records if isinstance(r, kind)]
