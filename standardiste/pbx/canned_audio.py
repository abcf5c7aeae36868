"""Canned audio messages (AG-3): stored in SQL, written where Asterisk plays them from.

- :class:`CannedAudioStore` (the web and the bridge): the messages, each converted once at
  upload (``pbx.sound``) and stored with its SHA-256; every change is audited in the same
  transaction (``config_audit``: ``canned_audio.create`` / ``.update`` / ``.delete``).
- :class:`CannedAudioFiles` (the bridge, which runs beside Asterisk): each message as
  ``<Asterisk's sounds dir>/standardiste/canned/<id>.wav``, the file our dialplan's
  ``[standardiste-canned]`` plays (``Playback(standardiste/canned/<id>)``: a path relative to
  the sounds directory, the same inside a chroot or a container). Written atomically
  (temp file + rename: Asterisk never reads half a file). :meth:`CannedAudioFiles.sync`
  runs at start-up and after each change (a configuration command from the web): missing
  or different files written, files of deleted messages removed; a playback first makes
  sure its own file is there (:meth:`CannedAudioFiles.ensure`), so a change the bridge
  missed never plays a wrong or absent file.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from standardiste.accounts import commit_or_conflict
from standardiste.errors import InvalidInput, UnknownMessage
from standardiste.pbx.sound import Converted
from standardiste.pbx.store import LANGUAGES, audit_row
from standardiste.pbx.tables import CannedAudioRow

log = structlog.get_logger(__name__)

# Relative to Asterisk's sounds directory: what the dialplan plays (without ".wav").
SOUNDS_SUBDIR = Path("standardiste") / "canned"
NAME_MAX = 64
_FILE_RE = re.compile(r"^([0-9]{1,18})\.wav$")


@dataclass(frozen=True, slots=True)
class CannedAudio:
    """A message without its audio."""

    id: int
    name: str
    language: str
    seconds: float
    sha256: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "seconds": self.seconds,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def audited(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "seconds": round(self.seconds, 2),
            "sha256": self.sha256,
        }


_COLUMNS = (
    CannedAudioRow.id,
    CannedAudioRow.name,
    CannedAudioRow.language,
    CannedAudioRow.seconds,
    CannedAudioRow.sha256,
    CannedAudioRow.created_at,
    CannedAudioRow.updated_at,
)


def _message(row: Any) -> CannedAudio:
    return CannedAudio(
        id=row.id,
        name=row.name,
        language=row.language,
        seconds=row.seconds,
        sha256=row.sha256,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def checked_name(name: object) -> str:
    if not isinstance(name, str) or not 0 < len(name.strip()) <= NAME_MAX:
        raise InvalidInput(f"name: 1 to {NAME_MAX} characters")
    if not name.isprintable():
        raise InvalidInput("name: printable characters only (no line breaks)")
    return name.strip()


def checked_language(language: object) -> str:
    if language not in LANGUAGES:
        raise InvalidInput(f"language: one of {', '.join(LANGUAGES)}")
    return str(language)


class CannedAudioStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def messages(self) -> list[CannedAudio]:
        """Every message, by name (the audio is not read)."""
        async with self._sessions() as session:
            rows = await session.execute(select(*_COLUMNS).order_by(CannedAudioRow.name))
            return [_message(r) for r in rows]

    async def message(self, message_id: int) -> CannedAudio:
        async with self._sessions() as session:
            row = (
                await session.execute(select(*_COLUMNS).where(CannedAudioRow.id == message_id))
            ).one_or_none()
        if row is None:
            raise UnknownMessage(f"no canned audio message {message_id}")
        return _message(row)

    async def audio(self, message_id: int) -> bytes:
        async with self._sessions() as session:
            audio = await session.scalar(
                select(CannedAudioRow.audio).where(CannedAudioRow.id == message_id)
            )
        if audio is None:
            raise UnknownMessage(f"no canned audio message {message_id}")
        return bytes(audio)

    async def digests(self) -> dict[int, str]:
        """Every message's id -> the SHA-256 of its audio."""
        async with self._sessions() as session:
            rows = await session.execute(select(CannedAudioRow.id, CannedAudioRow.sha256))
            return {r.id: r.sha256 for r in rows}

    async def add(self, name: str, language: str, sound: Converted, actor: str) -> CannedAudio:
        name, language = checked_name(name), checked_language(language)
        now = datetime.now(UTC)
        async with self._sessions() as session:
            row = CannedAudioRow(
                name=name,
                language=language,
                audio=sound.wav,
                sha256=sound.sha256,
                seconds=sound.seconds,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            after = {"name": name, "language": language, "seconds": round(sound.seconds, 2),
                     "sha256": sound.sha256}  # fmt: skip
            session.add(audit_row(actor, "canned_audio.create", name, None, after))
            await commit_or_conflict(session, f"a canned audio message is already named {name!r}")
        return _message(row)

    async def update(self, message_id: int, changes: Mapping[str, Any], actor: str) -> CannedAudio:
        """Rename it or change its language (the audio never changes: upload another)."""
        async with self._sessions() as session:
            row = await session.get(CannedAudioRow, message_id)
            if row is None:
                raise UnknownMessage(f"no canned audio message {message_id}")
            before = _message(row).audited()
            if "name" in changes:
                row.name = checked_name(changes["name"])
            if "language" in changes:
                row.language = checked_language(changes["language"])
            row.updated_at = datetime.now(UTC)
            saved = _message(row)
            session.add(
                audit_row(actor, "canned_audio.update", saved.name, before, saved.audited())
            )
            await commit_or_conflict(
                session, f"a canned audio message is already named {row.name!r}"
            )
        return saved

    async def delete(self, message_id: int, actor: str) -> None:
        async with self._sessions() as session:
            row = await session.get(CannedAudioRow, message_id)
            if row is None:
                raise UnknownMessage(f"no canned audio message {message_id}")
            before = _message(row).audited()
            await session.delete(row)
            session.add(audit_row(actor, "canned_audio.delete", row.name, before, None))
            await session.commit()


@dataclass
class SyncReport:
    written: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"written": self.written, "removed": self.removed}


class CannedAudioFiles:
    """The bridge's copy of the messages, where Asterisk plays them from."""

    def __init__(self, store: CannedAudioStore, sounds_dir: Path) -> None:
        self._store = store
        self.directory = sounds_dir / SOUNDS_SUBDIR
        self._lock = asyncio.Lock()

    def path(self, message_id: int) -> Path:
        return self.directory / f"{message_id}.wav"

    @staticmethod
    def playback_name(message_id: int) -> str:
        """What ``Playback()`` is given (relative to the sounds directory, no extension)."""
        return f"{SOUNDS_SUBDIR.as_posix()}/{message_id}"

    async def ensure(self, message_id: int) -> CannedAudio:
        """The message, its file written first if missing or not this audio."""
        message = await self._store.message(message_id)
        async with self._lock:
            if await asyncio.to_thread(self._digest, message_id) != message.sha256:
                audio = await self._store.audio(message_id)
                await asyncio.to_thread(self._write, message_id, audio)
                log.info("canned_audio.written", message=message_id)
        return message

    async def sync(self) -> SyncReport:
        """Make the directory hold exactly the stored messages."""
        report = SyncReport()
        async with self._lock:
            wanted = await self._store.digests()
            on_disk = await asyncio.to_thread(self._listed)
            for message_id, digest in sorted(wanted.items()):
                if await asyncio.to_thread(self._digest, message_id) != digest:
                    audio = await self._store.audio(message_id)
                    await asyncio.to_thread(self._write, message_id, audio)
                    report.written.append(message_id)
            for message_id in sorted(on_disk - wanted.keys()):
                await asyncio.to_thread(self.path(message_id).unlink, missing_ok=True)
                report.removed.append(message_id)
        if report.written or report.removed:
            log.info("canned_audio.synced", **report.to_dict())
        return report

    # ------------------------------------------------------------------ blocking file work
    def _listed(self) -> set[int]:
        """The ids of the message files there (nothing else in the folder is touched)."""
        if not self.directory.is_dir():
            return set()
        found = (_FILE_RE.fullmatch(p.name) for p in self.directory.iterdir())
        return {int(m.group(1)) for m in found if m}

    def _digest(self, message_id: int) -> str | None:
        try:
            return hashlib.sha256(self.path(message_id).read_bytes()).hexdigest()
        except FileNotFoundError:
            return None

    def _write(self, message_id: int, audio: bytes) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            os.chmod(self.directory, 0o755)  # Asterisk reads it, whatever the bridge's umask
        path = self.path(message_id)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(audio)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)


__all__ = [
    "SOUNDS_SUBDIR",
    "CannedAudio",
    "CannedAudioFiles",
    "CannedAudioStore",
    "SyncReport",
    "checked_language",
    "checked_name",
]
