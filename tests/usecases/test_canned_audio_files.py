"""The canned audio messages where Asterisk plays them from (the bridge's side): the folder
holds exactly the stored messages after a sync (missing or different files written, those
of deleted messages removed, nothing else touched), and a playback writes its own file
first. On a real SQLite database and a temporary sounds directory."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from standardiste.errors import Conflict, InvalidInput, UnknownMessage
from standardiste.history.migrate import upgrade
from standardiste.pbx.canned_audio import CannedAudioFiles, CannedAudioStore
from standardiste.pbx.sound import Converted
from standardiste.pbx.store import ConfigStore


def sound(seconds: float, level: int = 0) -> Converted:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(level.to_bytes(2, "little", signed=True) * int(8000 * seconds))
    return Converted(out.getvalue(), seconds)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'config.sqlite3'}"
    await upgrade(url)
    engine = create_async_engine(url)
    yield engine
    await engine.dispose()


async def test_the_folder_holds_exactly_the_stored_messages(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    store = CannedAudioStore(engine)
    files = CannedAudioFiles(store, tmp_path / "sounds")
    hello = await store.add("Hello", "en", sound(1.0), "ada")
    bye = await store.add("Au revoir", "fr", sound(2.0, 100), "ada")
    assert files.directory == tmp_path / "sounds" / "standardiste" / "canned"
    assert files.playback_name(hello.id) == f"standardiste/canned/{hello.id}"
    report = await files.sync()
    assert (report.written, report.removed) == ([hello.id, bye.id], [])
    assert files.path(hello.id).read_bytes() == sound(1.0).wav
    assert (await files.sync()).to_dict() == {"written": [], "removed": []}  # nothing to do
    # Someone else's file in the folder is left alone; a stale message file goes; a file
    # that is not the stored audio (another database's message 1) is rewritten.
    (files.directory / "notes.txt").write_text("mine")
    (files.directory / "99.wav").write_bytes(b"old")
    files.path(hello.id).write_bytes(sound(1.0, 7).wav)
    await store.delete(bye.id, "ada")
    report = await files.sync()
    assert (report.written, report.removed) == ([hello.id], [bye.id, 99])
    assert sorted(p.name for p in files.directory.iterdir()) == [f"{hello.id}.wav", "notes.txt"]
    assert files.path(hello.id).read_bytes() == sound(1.0).wav


async def test_a_playback_writes_its_own_file_first(engine: AsyncEngine, tmp_path: Path) -> None:
    store = CannedAudioStore(engine)
    files = CannedAudioFiles(store, tmp_path / "sounds")
    hello = await store.add("Hello", "en", sound(1.0), "ada")
    assert not files.path(hello.id).exists()  # the bridge missed the change
    message = await files.ensure(hello.id)
    assert (message.name, message.seconds) == ("Hello", 1.0)
    assert files.path(hello.id).read_bytes() == sound(1.0).wav
    with pytest.raises(UnknownMessage):
        await files.ensure(hello.id + 1)


async def test_names_are_unique_and_every_change_is_audited(engine: AsyncEngine) -> None:
    store, config = CannedAudioStore(engine), ConfigStore(engine)
    hello = await store.add("Hello", "en", sound(1.0), "ada")
    with pytest.raises(Conflict):
        await store.add(" Hello ", "fr", sound(1.0), "ada")
    other = await store.add("Other", "en", sound(1.0), "ada")
    with pytest.raises(Conflict):
        await store.update(other.id, {"name": "Hello"}, "ada")
    for bad in ({"name": ""}, {"name": "a\nb"}, {"name": "x" * 65}, {"language": "de"}):
        with pytest.raises(InvalidInput):
            await store.update(hello.id, bad, "ada")
    renamed = await store.update(hello.id, {"name": "Bonjour", "language": "fr"}, "bob")
    assert (renamed.name, renamed.language) == ("Bonjour", "fr")
    await store.delete(other.id, "bob")
    entries = [(e.actor, e.action, e.subject) for e in await config.audit()]
    assert entries == [
        ("bob", "canned_audio.delete", "Other"),
        ("bob", "canned_audio.update", "Bonjour"),
        ("ada", "canned_audio.create", "Other"),
        ("ada", "canned_audio.create", "Hello"),
    ]
    assert [m.name for m in await store.messages()] == ["Bonjour"]
