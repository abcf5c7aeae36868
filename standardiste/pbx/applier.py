"""Makes the running Asterisk match the stored configuration, live (in the bridge process).

Route chosen (``../shared/ASTERISK.md``, "Changing queues at runtime"): a **generated
include + QueueReload** for queue definitions, **AMI member actions** for penalties.

- Queue parameters live in ``<generated_dir>/queues.conf`` (``#tryinclude``d by the PBX's
  queues.conf), rules in ``queuerules.conf``; ``QueueReload Parameters: yes Rules: yes
  Members: no`` applies them in one action that needs no AMI class, without touching members
  or callers in progress. Realtime tables were the other route: they would make every
  ``QueueStatus`` cost 1 + 2N database queries, need a database driver and credentials inside
  Asterisk, and still need a reload for rules; the file also works with no database at all.
- The dialplan finds a queue by its extension, its max wait, skills limit and recording in
  ``routes.conf`` with ``AST_CONFIG()``, which re-reads a changed file on the next call:
  nothing to reload (a dialplan reload would need the ``system`` class).
- Skill levels become member penalties with ``QueuePenalty`` (class ``agent``); a member who
  logs in by a feature code gets its penalty from :meth:`ConfigApplier.fix_penalties`.

A change is written to the files, reloaded, then **checked against what Asterisk reports**
(QueueStatus' parameters after a resync, and the route of each extension read back with
``Getvar AST_CONFIG``). If Asterisk refused or kept something else, the previous files are put
back and reloaded, and the admin gets Asterisk's reason; the change is stored (with its
audit entry) only once Asterisk has it. One lock serialises changes.

On start-up and after every resync (an Asterisk restart, a reconnection) :meth:`reconcile`
rewrites files that differ from the stored configuration, re-applies them, and reports each
difference it found in the log and the audit log (actor ``bridge``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from standardiste.acd.model import ContactCenter
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.errors import AmiActionError, AmiError
from standardiste.errors import AsteriskRefused, Conflict, PbxUnavailable
from standardiste.pbx.definitions import QueueDef
from standardiste.pbx.render import DEFAULT_AGI, GeneratedFiles, render
from standardiste.pbx.skills import penalty
from standardiste.pbx.store import ConfigStore

log = structlog.get_logger(__name__)

BRIDGE_ACTOR = "bridge"


@dataclass
class Report:
    """What a reconciliation found and did."""

    differences: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"differences": self.differences, "fixed": self.fixed}


class ConfigApplier:
    def __init__(
        self,
        store: ConfigStore,
        ami: AmiCommands,
        model: ContactCenter,
        *,
        generated_dir: Path,
        queue_options: str,
        agi: str = DEFAULT_AGI,
        resync: Callable[[], Awaitable[None]],
        synced: Callable[[], bool],
    ) -> None:
        self._store = store
        self._ami = ami
        self._model = model
        self._dir = generated_dir
        self._options = queue_options
        self._agi = agi
        self._resync = resync
        self._synced = synced
        self._lock = asyncio.Lock()
        self.last_report = Report()
        self.reconciled = 0

    @property
    def store(self) -> ConfigStore:
        return self._store

    # ------------------------------------------------------------------ files
    def _read(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for name in GeneratedFiles("", "", "").by_name():
            path = self._dir / name
            out[name] = path.read_text(encoding="utf-8") if path.exists() else None
        return out

    def _write(self, files: Mapping[str, str | None]) -> None:
        """Each file replaced atomically (temp file + rename): Asterisk never reads half."""
        self._dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = self._dir / name
            if text is None:
                path.unlink(missing_ok=True)
                continue
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)

    def render(self, queues: list[QueueDef]) -> dict[str, str | None]:
        return dict(render(queues, queue_options=self._options, agi=self._agi).by_name())

    # ------------------------------------------------------------------ checks
    async def _reload(self) -> None:
        try:
            await self._ami.queue_reload()
        except AmiActionError as exc:
            raise AsteriskRefused(f"Asterisk refused QueueReload: {exc}") from exc
        except AmiError as exc:
            raise PbxUnavailable(f"QueueReload not done: the PBX is not reachable ({exc})") from exc
        try:
            await self._resync()
        except AmiError as exc:
            raise PbxUnavailable(f"could not read the queues back from Asterisk ({exc})") from exc

    async def differences(self, queues: list[QueueDef], gone: list[str]) -> list[str]:
        """What Asterisk reports that differs from ``queues`` (the model was just resynced)."""
        out: list[str] = []
        for queue in queues:
            live = self._model.queues.get(queue.name)
            if live is None:
                out.append(
                    f"queue {queue.name}: Asterisk did not load it after QueueReload (does the "
                    f"queues.conf Asterisk reads #tryinclude standardiste/queues.conf, the "
                    f"file written in {self._dir}?)"
                )
            checked = (
                ()
                if live is None
                else (
                    ("strategy", live.strategy, queue.strategy),
                    ("weight", live.weight, queue.weight),
                    ("servicelevel", live.service_level, queue.servicelevel),
                )
            )
            for what, have, want in checked:
                if have != want:
                    out.append(
                        f"queue {queue.name}: Asterisk kept {what} {have!r}, not {want!r} (a "
                        "queue of the same name defined elsewhere in its queues.conf wins)"
                    )
            try:
                route = await self._ami.route_of(queue.extension)
            except AmiActionError as exc:
                route = f"(Asterisk: {exc})"
            if route != queue.name:
                out.append(
                    f"extension {queue.extension}: Asterisk's dialplan reaches "
                    f"{route or 'no queue'!r}, not queue {queue.name} (is func_config loaded "
                    f"and {self._dir / 'routes.conf'} readable by Asterisk?)"
                )
        out += [f"queue {name}: still in Asterisk" for name in gone if name in self._model.queues]
        return out

    # ------------------------------------------------------------------ changes
    async def _apply(self, queues: list[QueueDef], gone: list[str]) -> None:
        """Write, reload, check; on any refusal put the previous files back and raise."""
        previous = self._read()
        self._write(self.render(queues))
        try:
            await self._reload()
            problems = await self.differences(queues, gone)
        except BaseException:
            self._write(previous)
            await self._reload_quietly()
            raise
        if problems:
            self._write(previous)
            await self._reload_quietly()
            raise AsteriskRefused("; ".join(problems))

    async def _reload_quietly(self) -> None:
        try:
            await self._reload()
        except Exception as exc:  # reported by the reconciliation that follows
            log.warning("config.revert_reload_failed", error=str(exc))

    def _update_model(self, queues: list[QueueDef]) -> None:
        for queue in queues:
            self._model.wrapup[queue.name] = float(queue.wrapuptime)

    async def save_queue(self, data: Mapping[str, Any], actor: str, *, create: bool) -> QueueDef:
        """Create (``create``) or change a queue; returns it as Asterisk now has it."""
        async with self._lock:
            stored = {q.name: q for q in await self._store.queues()}
            name = data.get("name")
            if create:
                queue = QueueDef.from_mapping(data)
                if queue.name in stored:
                    raise Conflict(f"queue {queue.name} already exists")
                if queue.name in self._model.queues and await self._store.managed():
                    raise Conflict(
                        f"queue {queue.name} exists in Asterisk outside Standardiste's "
                        "configuration (the PBX's own queues.conf): choose another name"
                    )
            else:
                if not isinstance(name, str) or name not in stored:
                    raise Conflict(f"no queue {name!r} to change")
                queue = stored[name].with_changes(data)
            for other in stored.values():
                if other.name != queue.name and other.extension == queue.extension:
                    raise Conflict(f"extension {queue.extension} is queue {other.name}'s")
            if queue.skill and queue.skill not in {s["name"] for s in await self._store.skills()}:
                raise Conflict(f"skill {queue.skill!r} does not exist")
            queues = [q for n, q in stored.items() if n != queue.name] + [queue]
            await self._apply(queues, [])
            try:
                await self._store.save_queue(queue, actor)
            except BaseException:
                await self._restore_stored()
                raise
            self._update_model([queue])
            await self._fix_penalties_locked()
            return queue

    async def delete_queue(self, name: str, actor: str) -> None:
        async with self._lock:
            stored = {q.name: q for q in await self._store.queues()}
            if name not in stored:
                raise Conflict(f"no queue {name!r} to delete")
            waiting = [c for c in self._model.callers.values() if c.queue == name]
            if waiting:
                raise Conflict(
                    f"{len(waiting)} caller(s) are waiting in queue {name}: delete it when empty"
                )
            queues = [q for n, q in stored.items() if n != name]
            await self._apply(queues, [name])
            try:
                await self._store.delete_queue(name, actor)
            except BaseException:
                await self._restore_stored()
                raise
            self._model.wrapup.pop(name, None)

    async def _restore_stored(self) -> None:
        self._write(self.render(await self._store.queues()))
        await self._reload_quietly()

    async def set_user_skills(
        self, username: str, levels: Mapping[str, int], actor: str
    ) -> list[str]:
        """Store a user's skill levels, then apply the penalties to their live memberships."""
        async with self._lock:
            await self._store.set_user_skills(username, levels, actor)
            return await self._fix_penalties_locked()

    # ------------------------------------------------------------------ penalties
    async def penalty_for(self, queue: str, interface: str) -> int:
        """The penalty ``interface`` gets in ``queue`` (a log-in passes it to QueueAdd)."""
        stored = {q.name: q for q in await self._store.queues()}.get(queue)
        if stored is None:
            return 0
        levels = await self._store.levels_by_device()
        return penalty(stored, levels.get(interface, {}))

    async def fix_penalties(self) -> list[str]:
        async with self._lock:
            return await self._fix_penalties_locked()

    async def _fix_penalties_locked(self) -> list[str]:
        """Members of managed queues whose penalty is not what their skills give: set it."""
        if not self._synced():
            return []
        queues = {q.name: q for q in await self._store.queues()}
        if not queues:
            return []
        levels = await self._store.levels_by_device()
        fixed: list[str] = []
        for member in list(self._model.members.values()):
            queue = queues.get(member.queue)
            if queue is None:
                continue
            want = penalty(queue, levels.get(member.interface, {}))
            if member.penalty == want:
                continue
            try:
                await self._ami.queue_penalty(member.queue, member.interface, want)
            except AmiActionError as exc:
                log.warning(
                    "config.penalty_refused",
                    queue=member.queue,
                    interface=member.interface,
                    error=str(exc),
                )
                continue
            fixed.append(f"{member.interface} in {member.queue}: penalty {want}")
        if fixed:
            log.info("config.penalties_set", members=fixed)
        return fixed

    # ------------------------------------------------------------------ reconciliation
    async def reconcile(self) -> Report:
        """Make Asterisk match the stored configuration; report what differed."""
        async with self._lock:
            report = Report()
            if not await self._store.managed():
                self.last_report = report
                return report
            queues = await self._store.queues()
            wanted = self.render(queues)
            on_disk = self._read()
            changed = [n for n, text in wanted.items() if on_disk.get(n) != text]
            if changed:
                report.differences += [
                    f"generated file {n} differed from the stored configuration" for n in changed
                ]
                self._write(wanted)
                await self._reload()
                report.fixed.append(f"rewrote and reloaded {', '.join(changed)}")
            found = await self.differences(queues, [])
            if found and not changed:  # e.g. Asterisk started with other files: reload
                report.differences += found
                await self._reload()
                report.fixed.append("reloaded the queues")
                found = await self.differences(queues, [])
            report.differences += [f"still: {problem}" for problem in found]
            self._update_model(queues)
            penalties = await self._fix_penalties_locked()
            report.fixed += penalties
            if report.differences or report.fixed:
                log.warning("config.reconciled", **report.to_dict())
                await self._store.record(
                    BRIDGE_ACTOR, "config.reconcile", "asterisk", report.differences, report.fixed
                )
            self.last_report = report
            self.reconciled += 1
            return report

    async def run(self, resyncs: Callable[[], int], *, interval: float = 2.0) -> None:
        """Reconcile after each resync (start-up, Asterisk restart, reconnection); between
        them, keep member penalties right (a feature-code log-in has none)."""
        seen = -1
        while True:
            if self._synced():
                try:
                    current = resyncs()
                    if current != seen:
                        await self.reconcile()
                        seen = current  # only once done: a failed pass is tried again
                    else:
                        await self.fix_penalties()
                except (AmiError, AsteriskRefused, PbxUnavailable) as exc:
                    log.warning("config.reconcile_failed", error=str(exc))
            await asyncio.sleep(interval)


__all__ = ["BRIDGE_ACTOR", "ConfigApplier", "Report"]
