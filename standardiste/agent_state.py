"""Agent state use cases: log in, log out, pause with a reason, resume.

Each reads like its sentence: check the input against allow-lists, tell the model who asked,
send the AMI action, then wait for the events that confirm it. A supervisor acting on another
agent's state is recorded as ``by=<supervisor>`` and a supervisor's pause is *forced*.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from acd.model import ContactCenter
from acd.names import is_interface
from acd.state import Member, member_key
from ami_bridge.commands import AmiCommands
from ami_bridge.errors import AmiActionError, AmiConnectionLost, AmiNotConnected, AmiTimeout
from standardiste.errors import (
    AsteriskRefused,
    InvalidInput,
    NotConfirmed,
    PbxUnavailable,
    UnknownQueue,
)

DEFAULT_PAUSE_REASONS = ("break", "lunch", "training", "meeting", "admin", "after-call")

WaitFor = Callable[[Callable[[], bool], float], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a user name and whether they act as a supervisor on someone else."""

    name: str
    supervisor: bool = False


class AgentStateService:
    def __init__(
        self,
        model: ContactCenter,
        ami: AmiCommands,
        wait_for: WaitFor,
        *,
        queues: Callable[[], Iterable[str]],
        pause_reasons: Sequence[str] = DEFAULT_PAUSE_REASONS,
        confirm_timeout: float = 5.0,
    ) -> None:
        self._model = model
        self._ami = ami
        self._wait_for = wait_for
        self._queues = queues
        self._reasons = tuple(pause_reasons)
        self._timeout = confirm_timeout

    # -------------------------------------------------------------- use cases
    async def log_in(
        self, agent: str, queues: Sequence[str] | None, *, by: Actor, member_name: str = ""
    ) -> list[str]:
        """Log ``agent`` into ``queues`` (None: every queue). Returns the queues joined."""
        self._check_interface(agent)
        targets = self._check_queues(queues)
        todo = [q for q in targets if member_key(q, agent) not in self._model.members]
        for queue in todo:
            self._model.expect("login", queue, agent, by=by.name, forced=by.supervisor)
            await self._do("QueueAdd", self._ami.queue_add(queue, agent, member_name=member_name))
        await self._confirm(
            lambda: all(member_key(q, agent) in self._model.members for q in todo),
            f"{agent} logged into {', '.join(todo)}",
        )
        return todo

    async def log_out(self, agent: str, queues: Sequence[str] | None, *, by: Actor) -> list[str]:
        """Log ``agent`` out of ``queues`` (None: every queue they are in)."""
        self._check_interface(agent)
        todo = [m.queue for m in self._memberships(agent, queues)]
        for queue in todo:
            self._model.expect("logout", queue, agent, by=by.name, forced=by.supervisor)
            await self._do("QueueRemove", self._ami.queue_remove(queue, agent))
        await self._confirm(
            lambda: not any(member_key(q, agent) in self._model.members for q in todo),
            f"{agent} logged out of {', '.join(todo)}",
        )
        return todo

    async def pause(
        self, agent: str, reason: str, queues: Sequence[str] | None = None, *, by: Actor
    ) -> list[str]:
        """Pause ``agent`` with ``reason`` (one of the configured pause reasons)."""
        self._check_interface(agent)
        if reason not in self._reasons:
            raise InvalidInput(f"pause reason {reason!r} is not one of: {', '.join(self._reasons)}")
        return await self._set_paused(agent, True, reason, queues, by)

    async def resume(
        self, agent: str, queues: Sequence[str] | None = None, *, by: Actor
    ) -> list[str]:
        self._check_interface(agent)
        return await self._set_paused(agent, False, "", queues, by)

    # -------------------------------------------------------------- steps
    async def _set_paused(
        self, agent: str, paused: bool, reason: str, queues: Sequence[str] | None, by: Actor
    ) -> list[str]:
        members = self._memberships(agent, queues)
        todo = [m.queue for m in members if m.paused != paused or m.paused_reason != reason]
        action = "pause" if paused else "resume"
        for queue in todo:
            self._model.expect(action, queue, agent, by=by.name, forced=by.supervisor)
            await self._do("QueuePause", self._ami.queue_pause(queue, agent, paused, reason))

        def done() -> bool:
            for q in todo:
                member = self._model.members.get(member_key(q, agent))
                if member is None or member.paused != paused:
                    return False
            return True

        await self._confirm(done, f"{agent} {action}d in {', '.join(todo)}")
        return todo

    async def _do(self, name: str, command: Awaitable[None]) -> None:
        """Run one AMI command; Asterisk's refusal and an unreachable PBX as domain errors."""
        try:
            await command
        except ValueError as exc:  # an ami_bridge allow-list said no
            raise InvalidInput(str(exc)) from exc
        except AmiActionError as exc:
            raise AsteriskRefused(f"Asterisk refused {name}: {exc}") from exc
        except (AmiNotConnected, AmiConnectionLost, AmiTimeout) as exc:
            raise PbxUnavailable(f"{name} not done: the PBX is not reachable ({exc})") from exc

    async def _confirm(self, predicate: Callable[[], bool], what: str) -> None:
        if not await self._wait_for(predicate, self._timeout):
            raise NotConfirmed(f"Asterisk accepted the request but never confirmed: {what}")

    # -------------------------------------------------------------- checks
    def _check_interface(self, agent: str) -> None:
        if not is_interface(agent):
            raise InvalidInput(f"agent device {agent!r} is not a valid interface (e.g. PJSIP/1001)")

    def _check_queues(self, queues: Sequence[str] | None) -> list[str]:
        known = sorted(self._queues())
        if queues is None:
            return known
        unknown = [q for q in queues if q not in known]
        if unknown:
            raise UnknownQueue(f"unknown queue(s): {', '.join(unknown)}")
        return list(queues)

    def _memberships(self, agent: str, queues: Sequence[str] | None) -> list[Member]:
        if queues is not None:
            self._check_queues(queues)
        return [
            m
            for m in self._model.members.values()
            if m.interface == agent and (queues is None or m.queue in queues)
        ]
