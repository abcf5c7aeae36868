"""Agent state use cases: log in, log out, pause with a reason, resume.

Each reads like its sentence: check the input against allow-lists, write who asked in the
command journal, send the AMI action, then wait for the events that confirm it. A supervisor
acting on another agent's state is recorded as ``by=<supervisor>`` and a supervisor's pause is
*forced*. :meth:`AgentStateService.act` is the entry point of a user's request (from the web,
through the command bus): it decides the queues the action applies to from the permission
policy and the live model — one source of truth — then runs the use case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from standardiste.acd.model import ContactCenter
from standardiste.acd.names import is_interface
from standardiste.acd.state import Member, member_key
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.errors import (
    AmiActionError,
    AmiConnectionLost,
    AmiNotConnected,
    AmiTimeout,
)
from standardiste.errors import (
    AsteriskRefused,
    InvalidInput,
    NotConfirmed,
    PbxUnavailable,
    UnknownQueue,
)
from standardiste.journal import CommandJournal, Entry, MemberAction
from standardiste.permissions import (
    Action,
    LiveFacts,
    Scope,
    action_queues,
    scope_from_wire,
    scope_to_wire,
)

DEFAULT_PAUSE_REASONS = ("break", "lunch", "training", "meeting", "admin", "after-call")

WaitFor = Callable[[Callable[[], bool], float], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a user name and whether they act as a supervisor on someone else."""

    name: str
    supervisor: bool = False


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """A user's request about an agent, as the web checked it: who asks (``actor``), on whom
    (``target``), with which of the target's devices, in which queues (None: the default)."""

    action: Action
    actor: Scope
    target: Scope
    device: str
    queues: tuple[str, ...] | None = None
    reason: str = ""
    member_name: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "actor": scope_to_wire(self.actor),
            "target": scope_to_wire(self.target),
            "device": self.device,
            "queues": None if self.queues is None else list(self.queues),
            "reason": self.reason,
            "member_name": self.member_name,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> AgentRequest:
        try:
            action = data["action"]
            if action not in ("login", "logout", "pause", "resume"):
                raise InvalidInput(f"unknown agent action {action!r}")
            queues = data.get("queues")
            return cls(
                action=action,
                actor=scope_from_wire(data["actor"]),
                target=scope_from_wire(data["target"]),
                device=str(data["device"]),
                queues=None if queues is None else tuple(str(q) for q in queues),
                reason=str(data.get("reason", "")),
                member_name=str(data.get("member_name", "")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(f"malformed agent request: {exc!r}") from exc


def live_facts(
    members: Iterable[Mapping[str, Any] | Member], queues: Iterable[str], request: AgentRequest
) -> LiveFacts:
    """What the policy needs to know of the live state for ``request``."""
    pairs = [
        (m.queue, m.interface) if isinstance(m, Member) else (m["queue"], m["interface"])
        for m in members
    ]
    return LiveFacts(
        queues=frozenset(queues),
        member_of=frozenset(q for q, i in pairs if i == request.device),
        any_device_in=frozenset(q for q, i in pairs if i in request.target.devices),
    )


def plan(request: AgentRequest, live: LiveFacts) -> list[str] | None:
    """The queues ``request`` applies to (None: every queue the device is in)."""
    return action_queues(request.actor, request.target, request.action, request.queues, live)


class AgentStateService:
    def __init__(
        self,
        model: ContactCenter,
        ami: AmiCommands,
        wait_for: WaitFor,
        *,
        queues: Callable[[], Iterable[str]],
        journal: CommandJournal | None = None,
        pause_reasons: Sequence[str] | Callable[[], Awaitable[Sequence[str]]] = (
            DEFAULT_PAUSE_REASONS
        ),
        confirm_timeout: float = 5.0,
        penalty: Callable[[str, str], Awaitable[int]] | None = None,
    ) -> None:
        self._model = model
        self._ami = ami
        self._wait_for = wait_for
        self._queues = queues
        self._journal = journal if journal is not None else CommandJournal()
        # The admin's pause reasons (read when a pause is asked: one just created works at
        # once), or a fixed list (tests, the load tier).
        self._reasons = pause_reasons
        self._timeout = confirm_timeout
        self._penalty = penalty  # (queue, interface) -> the member's penalty; None: 0

    # -------------------------------------------------------------- a user's request
    async def act(self, request: AgentRequest) -> list[str]:
        """Plan ``request`` against the live model and the permission policy, then do it."""
        known = self._queues()  # PbxUnavailable before the first resync
        planned = plan(request, live_facts(self._model.members.values(), known, request))
        # Acting on someone else is a supervisor's act: recorded as by=<actor>, a pause forced.
        by = Actor(request.actor.username, request.actor.username != request.target.username)
        if request.action == "login":
            return await self.log_in(
                request.device, planned, by=by, member_name=request.member_name
            )
        if request.action == "logout":
            return await self.log_out(request.device, planned, by=by)
        if request.action == "pause":
            return await self.pause(request.device, request.reason, planned, by=by)
        return await self.resume(request.device, planned, by=by)

    # -------------------------------------------------------------- use cases
    async def log_in(
        self, agent: str, queues: Sequence[str] | None, *, by: Actor, member_name: str = ""
    ) -> list[str]:
        """Log ``agent`` into ``queues`` (None: every queue). Returns the queues joined."""
        self._check_interface(agent)
        targets = self._check_queues(queues)
        todo = [q for q in targets if member_key(q, agent) not in self._model.members]
        for queue in todo:
            # The penalty its skills give (pbx.skills), from the first ring on.
            penalty = await self._penalty(queue, agent) if self._penalty is not None else 0
            entry = self._expect("login", queue, agent, by)
            await self._do(
                "QueueAdd",
                self._ami.queue_add(queue, agent, member_name=member_name, penalty=penalty),
                entry,
            )
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
            entry = self._expect("logout", queue, agent, by)
            await self._do("QueueRemove", self._ami.queue_remove(queue, agent), entry)
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
        allowed = self._reasons if isinstance(self._reasons, Sequence) else await self._reasons()
        if reason not in allowed:
            raise InvalidInput(f"pause reason {reason!r} is not one of: {', '.join(allowed)}")
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
        action: MemberAction = "pause" if paused else "resume"
        for queue in todo:
            entry = self._expect(action, queue, agent, by)
            await self._do("QueuePause", self._ami.queue_pause(queue, agent, paused, reason), entry)

        def done() -> bool:
            for q in todo:
                member = self._model.members.get(member_key(q, agent))
                if member is None or member.paused != paused:
                    return False
            return True

        await self._confirm(done, f"{agent} {action}d in {', '.join(todo)}")
        return todo

    def _expect(self, action: MemberAction, queue: str, agent: str, by: Actor) -> Entry:
        return self._journal.expect(action, queue, agent, by=by.name, forced=by.supervisor)

    async def _do(self, name: str, command: Awaitable[None], entry: Entry) -> None:
        """Run one AMI command; Asterisk's refusal and an unreachable PBX as domain errors.

        When it fails, the journal forgets who asked: the confirming event will not come, and
        a later change from the phone must not be attributed to this user."""
        try:
            await command
        except ValueError as exc:  # an ami_bridge allow-list said no
            self._journal.cancel(entry)
            raise InvalidInput(str(exc)) from exc
        except AmiActionError as exc:
            self._journal.cancel(entry)
            raise AsteriskRefused(f"Asterisk refused {name}: {exc}") from exc
        except (AmiNotConnected, AmiConnectionLost, AmiTimeout) as exc:
            self._journal.cancel(entry)
            raise PbxUnavailable(f"{name} not done: the PBX is not reachable ({exc})") from exc
        except BaseException:
            self._journal.cancel(entry)
            raise

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
