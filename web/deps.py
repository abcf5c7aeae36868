"""What the web app is given by its composition root.

The web runs **in the bridge's process**: agent actions go straight to the bridge's
``AgentStateService``, whose model sees the confirming AMI events and which records who asked
(``by=``, ``forced``). A separate web process would need an action channel to the bridge,
which does not exist. Live data, on the other hand, is read from the Redis mirror like any
other reader would, never from the bridge's model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.agent_state import DEFAULT_PAUSE_REASONS, Actor
from standardiste.config import Settings
from standardiste.redis_keys import RedisKeys
from web.settings import WebAppSettings

if TYPE_CHECKING:
    from standardiste.bridge import Bridge


class AgentActions(Protocol):
    """The agent state use cases the web calls (``standardiste.agent_state``)."""

    async def log_in(
        self, agent: str, queues: Sequence[str] | None, *, by: Actor, member_name: str = ""
    ) -> list[str]: ...

    async def log_out(
        self, agent: str, queues: Sequence[str] | None, *, by: Actor
    ) -> list[str]: ...

    async def pause(
        self, agent: str, reason: str, queues: Sequence[str] | None = None, *, by: Actor
    ) -> list[str]: ...

    async def resume(
        self, agent: str, queues: Sequence[str] | None = None, *, by: Actor
    ) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Health:
    """Whether the process reaches each service it needs (``/readyz``)."""

    ami: bool
    redis: bool
    database: bool
    # The bridge's measured figures (event queue depth and high water, drops, resyncs,
    # pending mirror writes, buffered history records), for operators.
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebDeps:
    settings: Settings
    redis: aioredis.Redis
    keys: RedisKeys
    engine: AsyncEngine  # the history's database: accounts live there too
    agents: AgentActions
    readiness: Callable[[], Health]
    web: WebAppSettings | None = None  # None: WebAppSettings.from_settings(settings)
    hasher: PasswordHasher | None = None  # None: argon2-cffi's defaults (RFC 9106)
    pause_reasons: Sequence[str] = DEFAULT_PAUSE_REASONS
    clock: Callable[[], float] = time.time


def bridge_readiness(bridge: Bridge) -> Callable[[], Health]:
    """The bridge's own view: AMI logged in, mirror writes succeeding, history writes too."""

    def health() -> Health:
        figures = bridge.figures()
        return Health(
            ami=bool(figures["ami_connected"]),
            redis=bool(figures["mirror_healthy"]),
            database=bool(figures["history_healthy"]),
            figures=figures,
        )

    return health


def deps_from_bridge(bridge: Bridge, *, web: WebAppSettings | None = None) -> WebDeps:
    """The web's dependencies taken from a running bridge of the same process."""
    return WebDeps(
        settings=bridge.settings,
        redis=bridge.redis,
        keys=bridge.keys,
        engine=bridge.history.store.engine,
        agents=bridge.agents,
        readiness=bridge_readiness(bridge),
        web=web,
    )
