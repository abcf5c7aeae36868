"""The stored configuration (SQL) and its audit log.

Queues and skill levels change Asterisk, so they are written by the bridge only, after
Asterisk took them (``pbx.applier``): the stored configuration never claims what Asterisk
does not have. The rest (pause reasons, role permissions, skills' names, canned texts, chat
tags) is written by the web directly. Every write records who, when, before and after in
``config_audit``, in the same transaction as the change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from standardiste.account_tables import UserDevice
from standardiste.accounts import commit_or_conflict, existing_user_row
from standardiste.errors import Conflict, InvalidInput, UnknownQueue
from standardiste.pbx.definitions import PauseReason, QueueDef, slug
from standardiste.pbx.skills import MAX_LEVEL, MIN_LEVEL
from standardiste.pbx.tables import (
    CannedTextRow,
    ChatTagRow,
    ConfigAuditRow,
    ConfigMetaRow,
    PauseReasonRow,
    QueueConfigRow,
    RolePermissionRow,
    SkillRow,
    UserSkillRow,
)
from standardiste.role_permissions import Matrix, checked

MANAGED = "queues_managed"
LANGUAGES = ("en", "fr")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    before: Any
    after: Any


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def audit_row(actor: str, action: str, subject: str, before: Any, after: Any) -> ConfigAuditRow:
    """An audit entry, to add to the session of the change it records (one transaction)."""
    return ConfigAuditRow(
        at=datetime.now(UTC),
        actor=actor,
        action=action,
        subject=subject,
        before=_json(before),
        after=_json(after),
    )


def _queue(row: QueueConfigRow) -> QueueDef:
    return QueueDef.from_mapping(json.loads(row.settings))


class ConfigStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    # ------------------------------------------------------------------ audit
    @staticmethod
    def _audit(
        session: AsyncSession, actor: str, action: str, subject: str, before: Any, after: Any
    ) -> None:
        session.add(audit_row(actor, action, subject, before, after))

    async def record(self, actor: str, action: str, subject: str, before: Any, after: Any) -> None:
        """An audit entry for a change made elsewhere (the accounts)."""
        async with self._sessions() as session:
            self._audit(session, actor, action, subject, before, after)
            await session.commit()

    async def audit(
        self, *, limit: int = 100, before_id: int | None = None, action: str | None = None
    ) -> list[AuditEntry]:
        query = select(ConfigAuditRow).order_by(ConfigAuditRow.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(ConfigAuditRow.id < before_id)
        if action is not None:
            query = query.where(ConfigAuditRow.action == action)
        async with self._sessions() as session:
            rows = await session.scalars(query)
            return [
                AuditEntry(
                    r.id,
                    r.at,
                    r.actor,
                    r.action,
                    r.subject,
                    None if r.before is None else json.loads(r.before),
                    None if r.after is None else json.loads(r.after),
                )
                for r in rows
            ]

    # ------------------------------------------------------------------ queues
    async def managed(self) -> bool:
        async with self._sessions() as session:
            row = await session.get(ConfigMetaRow, MANAGED)
            return row is not None and row.value == "true"

    async def queues(self) -> list[QueueDef]:
        async with self._sessions() as session:
            rows = await session.scalars(select(QueueConfigRow).order_by(QueueConfigRow.name))
            return [_queue(r) for r in rows]

    async def queue(self, name: str) -> QueueDef:
        async with self._sessions() as session:
            row = await _queue_row(session, name)
            return _queue(row)

    async def save_queue(self, queue: QueueDef, actor: str) -> None:
        """Create or replace ``queue`` (already applied to Asterisk by the caller)."""
        now = datetime.now(UTC)
        async with self._sessions() as session:
            row = (
                await session.scalars(
                    select(QueueConfigRow).where(QueueConfigRow.name == queue.name)
                )
            ).one_or_none()
            before = None if row is None else json.loads(row.settings)
            if row is None:
                row = QueueConfigRow(name=queue.name, created_at=now)
                session.add(row)
            row.extension = queue.extension
            row.settings = _json(queue.to_dict()) or "{}"
            row.updated_at = now
            await _set_managed(session)
            self._audit(
                session,
                actor,
                "queue.create" if before is None else "queue.update",
                queue.name,
                before,
                queue.to_dict(),
            )
            await commit_or_conflict(
                session, f"extension {queue.extension} is taken by another queue"
            )

    async def delete_queue(self, name: str, actor: str) -> None:
        async with self._sessions() as session:
            row = await _queue_row(session, name)
            before = json.loads(row.settings)
            await session.delete(row)
            await _set_managed(session)
            self._audit(session, actor, "queue.delete", name, before, None)
            await session.commit()

    async def adopt(self, queues: Iterable[QueueDef], actor: str) -> None:
        """Store ``queues`` as the initial configuration (the demo's), if none is yet."""
        if await self.managed():
            return
        for queue in queues:
            await self.save_queue(queue, actor)

    # ------------------------------------------------------------------ skills
    async def skills(self) -> list[dict[str, str]]:
        async with self._sessions() as session:
            rows = await session.scalars(select(SkillRow).order_by(SkillRow.name))
            return [{"name": r.name, "display_name": r.display_name} for r in rows]

    async def save_skill(self, name: str, display_name: str, actor: str) -> None:
        name = slug("name", name)
        if not isinstance(display_name, str) or not 0 < len(display_name.strip()) <= 64:
            raise InvalidInput("display_name: 1 to 64 characters")
        async with self._sessions() as session:
            row = (
                await session.scalars(select(SkillRow).where(SkillRow.name == name))
            ).one_or_none()
            before = None if row is None else {"name": row.name, "display_name": row.display_name}
            if row is None:
                row = SkillRow(name=name)
                session.add(row)
            row.display_name = display_name.strip()
            self._audit(
                session,
                actor,
                "skill.create" if before is None else "skill.update",
                name,
                before,
                {"name": name, "display_name": row.display_name},
            )
            await commit_or_conflict(session, f"skill {name!r} already exists")

    async def delete_skill(self, name: str, actor: str) -> None:
        used = [q.name for q in await self.queues() if q.skill == name]
        if used:
            raise Conflict(f"skill {name!r} is used by queue(s) {', '.join(used)}")
        async with self._sessions() as session:
            row = (
                await session.scalars(select(SkillRow).where(SkillRow.name == name))
            ).one_or_none()
            if row is None:
                raise InvalidInput(f"no skill {name!r}")
            await session.execute(delete(UserSkillRow).where(UserSkillRow.skill == name))
            await session.delete(row)
            self._audit(session, actor, "skill.delete", name, {"name": name}, None)
            await session.commit()

    async def user_skills(self, username: str) -> dict[str, int]:
        async with self._sessions() as session:
            user = await existing_user_row(session, username)
            rows = await session.scalars(
                select(UserSkillRow).where(UserSkillRow.user_id == user.id)
            )
            return {r.skill: r.level for r in rows}

    async def set_user_skills(self, username: str, levels: Mapping[str, int], actor: str) -> None:
        if not isinstance(levels, Mapping):
            raise InvalidInput("skills: an object skill -> level is expected")
        known = {s["name"] for s in await self.skills()}
        for skill, level in levels.items():
            if skill not in known:
                raise InvalidInput(f"skills: no skill {skill!r}")
            if isinstance(level, bool) or not isinstance(level, int):
                raise InvalidInput(f"skills.{skill}: a level {MIN_LEVEL}-{MAX_LEVEL} is expected")
            if not MIN_LEVEL <= level <= MAX_LEVEL:
                raise InvalidInput(f"skills.{skill}: level must be {MIN_LEVEL} to {MAX_LEVEL}")
        async with self._sessions() as session:
            user = await existing_user_row(session, username)
            rows = list(
                await session.scalars(select(UserSkillRow).where(UserSkillRow.user_id == user.id))
            )
            before = {r.skill: r.level for r in rows}
            for row in rows:
                await session.delete(row)
            await session.flush()
            for skill, level in sorted(levels.items()):
                session.add(UserSkillRow(user_id=user.id, skill=skill, level=level))
            self._audit(session, actor, "user.skills", username, before, dict(levels))
            await session.commit()

    async def levels_by_device(self) -> dict[str, dict[str, int]]:
        """Every device of a user -> that user's skill levels (for member penalties)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(UserDevice.interface, UserSkillRow.skill, UserSkillRow.level).join(
                    UserSkillRow, UserSkillRow.user_id == UserDevice.user_id
                )
            )
            out: dict[str, dict[str, int]] = {}
            for interface, skill, level in rows:
                out.setdefault(interface, {})[skill] = level
            return out

    # ------------------------------------------------------------------ pause reasons
    async def pause_reasons(self, *, active_only: bool = False) -> list[PauseReason]:
        query = select(PauseReasonRow).order_by(PauseReasonRow.position, PauseReasonRow.id)
        if active_only:
            query = query.where(PauseReasonRow.active.is_(True))
        async with self._sessions() as session:
            rows = await session.scalars(query)
            return [PauseReason(r.code, r.label_en, r.label_fr, r.active) for r in rows]

    async def save_pause_reason(self, reason: PauseReason, actor: str) -> None:
        async with self._sessions() as session:
            row = (
                await session.scalars(
                    select(PauseReasonRow).where(PauseReasonRow.code == reason.code)
                )
            ).one_or_none()
            before = None if row is None else _reason_dict(row)
            if row is None:
                last = await session.scalar(select(func.max(PauseReasonRow.position)))
                row = PauseReasonRow(code=reason.code, position=(last or 0) + 1)
                session.add(row)
            row.label_en, row.label_fr, row.active = reason.label_en, reason.label_fr, reason.active
            self._audit(
                session,
                actor,
                "pause_reason.create" if before is None else "pause_reason.update",
                reason.code,
                before,
                _reason_dict(row),
            )
            await commit_or_conflict(session, f"pause reason {reason.code!r} already exists")

    async def update_pause_reason(
        self, code: str, changes: Mapping[str, Any], actor: str
    ) -> PauseReason:
        """Relabel, retire or reactivate ``code``. Only the columns asked for are written (one
        UPDATE): two admins changing different fields at once do not undo each other."""
        async with self._sessions() as session, session.begin():
            row = (
                await session.scalars(
                    select(PauseReasonRow).where(PauseReasonRow.code == code).with_for_update()
                )
            ).one_or_none()
            if row is None:
                raise InvalidInput(f"no pause reason {code!r}")
            before = _reason_dict(row)
            reason = PauseReason.from_mapping(before | dict(changes) | {"code": code})
            wanted = {k: getattr(reason, k) for k in ("label_en", "label_fr", "active")}
            columns = {k: v for k, v in wanted.items() if k in changes}
            if columns:
                await session.execute(
                    update(PauseReasonRow).where(PauseReasonRow.code == code).values(**columns)
                )
            self._audit(session, actor, "pause_reason.update", code, before, before | columns)
        return reason

    # ------------------------------------------------------------------ permissions
    async def matrix(self) -> dict[str, frozenset[str]]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(RolePermissionRow.role, RolePermissionRow.permission)
            )
            out: dict[str, set[str]] = {}
            for role, permission in rows:
                out.setdefault(role, set()).add(permission)
            return {r: frozenset(p) for r, p in out.items()}

    async def set_role_permissions(
        self, role: str, permissions: Iterable[str], actor: str
    ) -> Matrix:
        chosen = checked(role, permissions)
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(RolePermissionRow).where(RolePermissionRow.role == role)
                )
            )
            before = sorted(r.permission for r in rows)
            for row in rows:
                await session.delete(row)
            await session.flush()
            for permission in sorted(chosen):
                session.add(RolePermissionRow(role=role, permission=permission))
            self._audit(session, actor, "permissions.update", role, before, sorted(chosen))
            await session.commit()
        return await self.matrix()

    # ------------------------------------------------------------------ canned texts, tags
    async def canned_texts(self) -> list[dict[str, Any]]:
        async with self._sessions() as session:
            rows = await session.scalars(select(CannedTextRow).order_by(CannedTextRow.title))
            return [
                {"id": r.id, "title": r.title, "body": r.body, "language": r.language} for r in rows
            ]

    async def save_canned_text(
        self, title: str, body: str, language: str, actor: str, text_id: int | None = None
    ) -> int:
        if not isinstance(title, str) or not 0 < len(title.strip()) <= 64:
            raise InvalidInput("title: 1 to 64 characters")
        if not isinstance(body, str) or not 0 < len(body.strip()) <= 4000:
            raise InvalidInput("body: 1 to 4000 characters")
        if language not in LANGUAGES:
            raise InvalidInput(f"language: one of {', '.join(LANGUAGES)}")
        async with self._sessions() as session:
            row = None if text_id is None else await session.get(CannedTextRow, text_id)
            if text_id is not None and row is None:
                raise InvalidInput(f"no canned text {text_id}")
            before = (
                None
                if row is None
                else {"title": row.title, "body": row.body, "language": row.language}
            )
            if row is None:
                row = CannedTextRow()
                session.add(row)
            row.title, row.body, row.language = title.strip(), body.strip(), language
            self._audit(
                session,
                actor,
                "canned_text.create" if before is None else "canned_text.update",
                row.title,
                before,
                {"title": row.title, "body": row.body, "language": language},
            )
            await commit_or_conflict(session, f"a canned text is already titled {title!r}")
            return row.id

    async def delete_canned_text(self, text_id: int, actor: str) -> None:
        async with self._sessions() as session:
            row = await session.get(CannedTextRow, text_id)
            if row is None:
                raise InvalidInput(f"no canned text {text_id}")
            self._audit(session, actor, "canned_text.delete", row.title, {"title": row.title}, None)
            await session.delete(row)
            await session.commit()

    async def chat_tags(self) -> list[str]:
        async with self._sessions() as session:
            return list(await session.scalars(select(ChatTagRow.name).order_by(ChatTagRow.name)))

    async def set_chat_tags(self, tags: Sequence[str], actor: str) -> list[str]:
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise InvalidInput("tags: a list of names is expected")
        clean = sorted({t.strip() for t in tags if t.strip()})
        for tag in clean:
            if len(tag) > 32 or not tag.isprintable():
                raise InvalidInput(f"tag {tag!r}: at most 32 printable characters")
        async with self._sessions() as session:
            before = list(await session.scalars(select(ChatTagRow.name).order_by(ChatTagRow.name)))
            await session.execute(delete(ChatTagRow))
            for tag in clean:
                session.add(ChatTagRow(name=tag))
            self._audit(session, actor, "chat_tags.update", "chat_tags", before, clean)
            await session.commit()
        return clean


def _reason_dict(row: PauseReasonRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "label_en": row.label_en,
        "label_fr": row.label_fr,
        "active": row.active,
    }


async def _queue_row(session: AsyncSession, name: str) -> QueueConfigRow:
    row = (
        await session.scalars(select(QueueConfigRow).where(QueueConfigRow.name == name))
    ).one_or_none()
    if row is None:
        raise UnknownQueue(f"no queue {name!r} in the configuration")
    return row


async def _set_managed(session: AsyncSession) -> None:
    if await session.get(ConfigMetaRow, MANAGED) is None:
        session.add(ConfigMetaRow(key=MANAGED, value="true"))


__all__ = ["AuditEntry", "ConfigStore", "audit_row"]
