"""The task supervisor: owns a process's long-lived tasks, restarts them, cancels them.

A composition root hands each long-lived coroutine (the AMI session, the command server, the
status publisher, ...) to :meth:`Supervisor.start`. A task that fails is logged with its
traceback and started again after a jittered, growing delay; a task that returns is done.
:meth:`Supervisor.aclose` cancels every task and awaits it: nothing is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class _Child:
    name: str
    factory: Callable[[], Awaitable[None]]
    restart: bool
    task: asyncio.Task[None] | None = None
    restarts: int = 0
    failures: list[str] = field(default_factory=list)


class Supervisor:
    def __init__(self, *, backoff_min: float = 0.2, backoff_max: float = 10.0) -> None:
        self._children: dict[str, _Child] = {}
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._closing = False

    def start(
        self, name: str, factory: Callable[[], Awaitable[None]], *, restart: bool = True
    ) -> None:
        """Run ``factory()`` as task ``name``; when it fails and ``restart``, run it again."""
        if name in self._children:
            raise ValueError(f"a task named {name!r} is already supervised")
        child = _Child(name, factory, restart)
        self._children[name] = child
        child.task = asyncio.create_task(self._keep(child), name=name)

    async def _keep(self, child: _Child) -> None:
        delay = self._backoff_min
        while True:
            try:
                await child.factory()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                child.failures.append(f"{type(exc).__name__}: {exc}")
                del child.failures[:-10]
                log.exception("supervisor.task_failed", task=child.name, restarts=child.restarts)
                if not child.restart or self._closing:
                    return
            child.restarts += 1
            await asyncio.sleep(random.uniform(0, delay))  # full jitter
            delay = min(self._backoff_max, delay * 2)

    def restarts(self) -> dict[str, int]:
        return {name: c.restarts for name, c in self._children.items()}

    def running(self) -> dict[str, bool]:
        return {
            name: c.task is not None and not c.task.done() for name, c in self._children.items()
        }

    async def aclose(self) -> None:
        """Cancel every task, newest first, and wait for each to end."""
        self._closing = True
        for child in reversed(list(self._children.values())):
            if child.task is not None:
                child.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await child.task
        self._children.clear()
