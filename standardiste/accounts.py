"""Web accounts: users, their devices and queues, and password checks.

Used by the web app (log in, who am I, whose device is this) and by whoever provisions users
(the demo, tests, later the admin API). Passwords are hashed with argon2id; hashing runs in
a worker thread because it is deliberately slow and the web shares its event loop with the
bridge.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from standardiste.account_tables import (
    LANGUAGES,
    QUEUE_ROLES,
    ROLES,
    UserDevice,
    UserQueue,
    UserRow,
)
from standardiste.acd.names import is_interface, is_queue
from standardiste.errors import Conflict, InvalidInput, UnknownUser

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes any length; a cap keeps a request from costing more


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    email: str
    role: str
    language: str
    time_zone: str
    devices: tuple[str, ...]  # the first is the default one
    queues: Mapping[str, str]  # queue -> "agent" | "supervisor"
    # Changes whenever the password hash does: sessions opened before a password change end.
    credentials_version: str
    disabled: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def public(self) -> dict[str, object]:
        """What the API shows of a user."""
        return {
            "username": self.username,
            "display_name": self.display_name,
            "email": self.email,
            "role": self.role,
            "language": self.language,
            "time_zone": self.time_zone,
            "devices": list(self.devices),
            "queues": [{"name": q, "role": r} for q, r in sorted(self.queues.items())],
        }


class Accounts:
    """Reads and writes accounts in the database of ``engine``."""

    def __init__(self, engine: AsyncEngine, hasher: PasswordHasher | None = None) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    # ---------------------------------------------------------------- reading
    async def get(self, username: str) -> User | None:
        async with self._sessions() as session:
            row = await _row(session, username)
            return _user(row) if row is not None else None

    async def list(self) -> list[User]:
        async with self._sessions() as session:
            rows = await session.scalars(select(UserRow).order_by(UserRow.username))
            return [_user(r) for r in rows]

    async def device_directory(self) -> dict[str, dict[str, str]]:
        """Every known device -> its owner's username and display name."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(UserDevice.interface, UserRow.username, UserRow.display_name).join(
                    UserRow, UserRow.id == UserDevice.user_id
                )
            )
            return {
                interface: {"username": username, "display_name": display}
                for interface, username, display in rows
            }

    async def agent_devices(self, queues: Iterable[str]) -> frozenset[str]:
        """The devices of the users who are agents in any of ``queues``."""
        wanted = sorted(set(queues))
        if not wanted:
            return frozenset()
        async with self._sessions() as session:
            rows = await session.scalars(
                select(UserDevice.interface)
                .join(UserQueue, UserQueue.user_id == UserDevice.user_id)
                .where(UserQueue.queue.in_(wanted), UserQueue.role == "agent")
            )
            return frozenset(rows)

    # ---------------------------------------------------------------- passwords
    async def authenticate(self, username: str, password: str) -> User | None:
        """The user if ``password`` is theirs, else None.

        An unknown user costs one argon2 verification too, so response times do not tell
        which user names exist.
        """
        async with self._sessions() as session:
            row = await _row(session, username.strip().lower())
            if row is None:
                await asyncio.to_thread(self._verify, await self._dummy(), password)
                return None
            if not await asyncio.to_thread(self._verify, row.password_hash, password):
                return None
            if row.disabled:  # checked after the password: the answer tells nothing more
                return None
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = await asyncio.to_thread(self._hasher.hash, password)
                await session.commit()
            return _user(row)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self._hasher.hash, "not a password")
        return self._dummy_hash

    async def _hash(self, password: str) -> str:
        if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidInput(f"a password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        return await asyncio.to_thread(self._hasher.hash, password)

    # ---------------------------------------------------------------- writing
    async def create_user(
        self,
        username: str,
        password: str,
        *,
        display_name: str = "",
        email: str = "",
        role: str = "agent",
        language: str = "",
        time_zone: str = "",
        devices: Sequence[str] = (),
        queues: Mapping[str, str] | None = None,
    ) -> User:
        """Create a user with their devices and queues; ``Conflict`` if the name is taken."""
        username = _username(username)
        now = datetime.now(UTC)
        row = UserRow(
            username=username,
            display_name=_text("display name", display_name or username, 128),
            email=_email(email),
            password_hash=await self._hash(password),
            role=_choice("role", role, ROLES),
            language=_choice("language", language, LANGUAGES),
            time_zone=_time_zone(time_zone),
            created_at=now,
            updated_at=now,
        )
        row.devices = _devices(devices)
        row.queues = _queues(queues or {}, row.role)
        async with self._sessions() as session:
            session.add(row)
            await commit_or_conflict(
                session, f"user {username!r} or one of their devices already exists"
            )
            return _user(row)

    async def update_user(
        self,
        username: str,
        *,
        password: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        role: str | None = None,
        language: str | None = None,
        time_zone: str | None = None,
    ) -> User:
        """Change the given fields; the others stay."""
        new_hash = await self._hash(password) if password is not None else None
        async with self._sessions() as session:
            row = await existing_user_row(session, username)
            if new_hash is not None:
                row.password_hash = new_hash
            if display_name is not None:
                row.display_name = _text("display name", display_name or row.username, 128)
            if email is not None:
                row.email = _email(email)
            if role is not None:
                row.role = _choice("role", role, ROLES)
                _queues({q.queue: q.role for q in row.queues}, row.role)  # still allowed?
            if language is not None:
                row.language = _choice("language", language, LANGUAGES)
            if time_zone is not None:
                row.time_zone = _time_zone(time_zone)
            row.updated_at = datetime.now(UTC)
            await commit_or_conflict(session, "conflicting update")
            return _user(row)

    async def set_devices(self, username: str, devices: Sequence[str]) -> User:
        """Replace the user's devices (the first is the default)."""
        async with self._sessions() as session:
            row = await existing_user_row(session, username)
            row.devices.clear()
            await session.flush()  # delete first: a device may move to another position
            row.devices.extend(_devices(devices))
            row.updated_at = datetime.now(UTC)
            await commit_or_conflict(session, "one of these devices belongs to another user")
            return _user(row)

    async def set_queues(self, username: str, queues: Mapping[str, str]) -> User:
        """Replace the user's queues: queue name -> "agent" or "supervisor"."""
        async with self._sessions() as session:
            row = await existing_user_row(session, username)
            links = _queues(queues, row.role)
            row.queues.clear()
            await session.flush()
            row.queues.extend(links)
            row.updated_at = datetime.now(UTC)
            await commit_or_conflict(session, "conflicting queues")
            return _user(row)

    async def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (or enable again) an account; its sessions are ended by the caller."""
        async with self._sessions() as session:
            row = await existing_user_row(session, username)
            row.disabled = disabled
            row.updated_at = datetime.now(UTC)
            await commit_or_conflict(session, "conflicting update")
            return _user(row)

    async def delete_user(self, username: str) -> None:
        async with self._sessions() as session:
            row = await existing_user_row(session, username)
            await session.delete(row)
            await session.commit()


# -------------------------------------------------------------------- helpers
async def _row(session: AsyncSession, username: str) -> UserRow | None:
    result = await session.scalars(select(UserRow).where(UserRow.username == username))
    return result.one_or_none()


async def existing_user_row(session: AsyncSession, username: str) -> UserRow:
    row = await _row(session, username)
    if row is None:
        raise UnknownUser(f"no user {username!r}")
    return row


async def commit_or_conflict(session: AsyncSession, conflict: str) -> None:
    """Commit; a unique or foreign key refusal is a ``Conflict`` saying ``conflict``."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(conflict) from None


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        role=row.role,
        language=row.language,
        time_zone=row.time_zone,
        devices=tuple(d.interface for d in row.devices),
        queues={q.queue: q.role for q in row.queues},
        credentials_version=hashlib.sha256(row.password_hash.encode()).hexdigest()[:16],
        disabled=bool(row.disabled),
    )


def _username(value: str) -> str:
    if not isinstance(value, str) or not USERNAME_RE.fullmatch(value):
        raise InvalidInput(
            f"user name {value!r}: 1-64 of a-z 0-9 . _ -, starting with a letter or digit"
        )
    return value


def _text(what: str, value: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise InvalidInput(f"{what} must be at most {limit} printable characters")
    return value.strip()


def _email(value: str) -> str:
    if value and not EMAIL_RE.fullmatch(value):
        raise InvalidInput(f"e-mail address {value!r} is not valid")
    return value


def _choice(what: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(f"{what} {value!r} is not one of: {', '.join(map(repr, allowed))}")
    return value


def _time_zone(value: str) -> str:
    if value:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"time zone {value!r} is not known") from None
    return value


def _devices(devices: Sequence[str]) -> list[UserDevice]:
    if isinstance(devices, str):
        raise InvalidInput("devices must be a list of interfaces")
    for device in devices:
        if not is_interface(device):
            raise InvalidInput(f"device {device!r} is not an interface like PJSIP/1001")
    if len(set(devices)) != len(devices):
        raise InvalidInput("a device is listed twice")
    return [UserDevice(interface=d, position=i) for i, d in enumerate(devices)]


def _queues(queues: Mapping[str, str], role: str) -> list[UserQueue]:
    links = []
    for queue, queue_role in sorted(queues.items()):
        if not is_queue(queue):
            raise InvalidInput(f"queue name {queue!r} is not valid")
        _choice(f"role in queue {queue}", queue_role, QUEUE_ROLES)
        # Supervising a queue is a supervisor's or an admin's job, never a plain agent's.
        if queue_role == "supervisor" and role == "agent":
            raise InvalidInput(f"an agent cannot supervise queue {queue!r}: make them supervisor")
        links.append(UserQueue(queue=queue, role=queue_role))
    return links


__all__ = ["Accounts", "User", "commit_or_conflict", "existing_user_row"]
