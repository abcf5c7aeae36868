"""What the web app is given by its composition root (``web.process``).

The web runs in its own process (any number of them, on any host): live data comes from the
Redis mirror, agent actions go to the bridge through the command bus
(``standardiste.command_bus``) and come back with the bridge's result or error, and
readiness is what the bridge last published in Redis plus the web's own probes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.agent_state import AgentRequest
from standardiste.bridge_status import read_status
from standardiste.call_control import CallRequest
from standardiste.command_bus import CommandClient
from standardiste.config import Settings, WebSettings
from standardiste.redis_keys import RedisKeys


class AgentActions(Protocol):
    """The agent state use cases the web asks for (run by the bridge)."""

    async def act(self, request: AgentRequest) -> list[str]: ...


class RemoteAgentActions:
    """:class:`AgentActions` over the command bus: the bridge plans, executes, confirms."""

    def __init__(self, client: CommandClient) -> None:
        self.client = client

    async def act(self, request: AgentRequest) -> list[str]:
        done = await self.client.call("agent", request.to_wire(), actor=request.actor.username)
        return [str(q) for q in done or []]


class CallCommands(Protocol):
    """Supervisors' call control (run by the bridge: ``standardiste.call_control``)."""

    async def act(self, request: CallRequest) -> dict[str, Any]: ...


class RemoteCallCommands:
    def __init__(self, client: CommandClient) -> None:
        self.client = client

    async def act(self, request: CallRequest) -> dict[str, Any]:
        result = await self.client.call("calls", request.to_wire(), actor=request.actor.username)
        return dict(result or {})


class ConfigCommands(Protocol):
    """The configuration changes Asterisk must take first (run by the bridge: queues, skill
    levels -> penalties, reconciliation); ``standardiste.composition.run_config_command``."""

    async def run(self, op: str, args: dict[str, Any], *, actor: str) -> Any: ...


class RemoteConfigCommands:
    def __init__(self, client: CommandClient) -> None:
        self.client = client

    async def run(self, op: str, args: dict[str, Any], *, actor: str) -> Any:
        return await self.client.call("config", {**args, "op": op, "actor": actor}, actor=actor)


class DialerCommands(Protocol):
    """What agents ask of the dialer (run by the bridge, command kind ``dialer``): dial or
    skip the contact a preview offers them."""

    async def run(self, args: dict[str, Any], *, actor: str) -> Any: ...


class RemoteDialerCommands:
    def __init__(self, client: CommandClient) -> None:
        self.client = client

    async def run(self, args: dict[str, Any], *, actor: str) -> Any:
        return await self.client.call("dialer", args, actor=actor)


@dataclass(frozen=True, slots=True)
class Health:
    """Whether the process reaches each service it needs (``/readyz``)."""

    ami: bool
    redis: bool
    database: bool
    # The bridge's measured figures (event queue depth and high water, drops, resyncs,
    # pending mirror writes, buffered history records, commands), for operators.
    figures: dict[str, Any] = field(default_factory=dict)


Readiness = Callable[[], Awaitable[Health]]


@dataclass(frozen=True)
class WebDeps:
    settings: Settings
    redis: aioredis.Redis
    keys: RedisKeys
    engine: AsyncEngine  # the history's database: accounts live there too
    agents: AgentActions
    readiness: Readiness
    config: ConfigCommands | None = None  # None: configuration changes answer 503
    calls: CallCommands | None = None  # None: call control answers 503
    dialer: DialerCommands | None = None  # None: preview dial / skip answer 503
    web: WebSettings | None = None  # None: settings.web
    hasher: PasswordHasher | None = None  # None: argon2-cffi's defaults (RFC 9106)
    clock: Callable[[], float] = time.time


def bridge_readiness(redis: aioredis.Redis, keys: RedisKeys) -> Readiness:
    """The bridge's view as it last published it: AMI logged in, mirror and history writes
    succeeding. A bridge that stopped publishing counts as down."""

    async def health() -> Health:
        status = await read_status(redis, keys)
        return Health(
            ami=status.ami_connected,
            redis=status.mirror_healthy,
            database=status.history_healthy,
            figures={"bridge_alive": status.alive, **status.figures},
        )

    return health
