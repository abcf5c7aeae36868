"""The configuration use cases of the bridge (pbx.applier) without Asterisk: the real store on
SQLite, the real model, a fake Asterisk that loads (or ignores) the generated files on
QueueReload the way app_queue and AST_CONFIG read them. The live tier (integration/
test_admin_live.py) checks the same against the real Asterisk."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from standardiste.accounts import Accounts
from standardiste.acd.model import ContactCenter
from standardiste.acd.state import Caller, Member, Queue
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.ami_bridge.errors import AmiActionError
from standardiste.errors import AsteriskRefused, Conflict
from standardiste.history.migrate import upgrade
from standardiste.pbx.applier import ConfigApplier
from standardiste.pbx.store import ConfigStore
from standardiste.tools.demo_config import DEMO_QUEUES


@dataclass
class Reply:
    message: dict[str, str]
    events: list[Any] = field(default_factory=list)


@dataclass
class FakeAsterisk:
    """QueueReload: load the generated queues.conf (unless ``deaf``); Getvar AST_CONFIG: the
    generated routes.conf as loaded; QueuePenalty: recorded."""

    directory: Path
    deaf: bool = False
    loaded: dict[str, dict[str, str]] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)
    penalties: list[tuple[str, str, str]] = field(default_factory=list)
    reloads: int = 0

    async def send(self, name: str, headers: Mapping[str, str], **_: Any) -> Reply:
        if name == "QueueReload":
            self.reloads += 1
            if not self.deaf:
                self._load()
            return Reply({"Response": "Success"})
        if name == "Getvar":
            extension = re.fullmatch(
                r"AST_CONFIG\(standardiste/routes.conf,extensions,(\d+)\)", headers["Variable"]
            )
            assert extension, headers
            return Reply({"Response": "Success", "Value": self.routes.get(extension[1], "")})
        if name == "QueuePenalty":
            if headers["Interface"].endswith("gone"):
                raise AmiActionError(name, {"Message": "Invalid interface"})  # type: ignore[arg-type]
            self.penalties.append((headers["Queue"], headers["Interface"], headers["Penalty"]))
            return Reply({"Response": "Success"})
        raise AssertionError(f"unexpected action {name}")

    def _load(self) -> None:
        queues: dict[str, dict[str, str]] = {}
        current: dict[str, str] | None = None
        for line in (self.directory / "queues.conf").read_text().splitlines():
            section = re.fullmatch(r"\[([^\]]+)\](\(!\))?.*", line)
            if section:
                current = None if section[2] else queues.setdefault(section[1], {})
            elif current is not None and " = " in line:
                key, value = line.split(" = ", 1)
                current[key] = value
        self.loaded = queues
        text = (self.directory / "routes.conf").read_text()
        block = text.split("[extensions]\n", 1)[1].split("\n\n", 1)[0]
        self.routes = dict(line.split(" = ") for line in block.splitlines() if line)


@dataclass
class World:
    applier: ConfigApplier
    store: ConfigStore
    asterisk: FakeAsterisk
    model: ContactCenter
    directory: Path
    engine: AsyncEngine


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'config.sqlite3'}"
    await upgrade(url)
    engine = create_async_engine(url)
    directory = tmp_path / "generated"
    asterisk = FakeAsterisk(directory)
    model = ContactCenter()

    async def resync() -> None:  # what a resync reads back: the queues Asterisk loaded
        model.queues = {
            name: Queue(
                name,
                strategy=p["strategy"],
                weight=int(p["weight"]),
                service_level=int(p["servicelevel"]),
            )
            for name, p in asterisk.loaded.items()
        }

    store = ConfigStore(engine)
    applier = ConfigApplier(
        store,
        AmiCommands(asterisk),
        model,
        generated_dir=directory,
        queue_options="r",
        resync=resync,
        synced=lambda: True,
    )
    await store.adopt(DEMO_QUEUES, "demo")
    await applier.reconcile()  # the stored demo queues written and loaded
    yield World(applier, store, asterisk, model, directory, engine)
    await engine.dispose()


async def test_a_queue_is_applied_then_stored_with_its_audit_entry(world: World) -> None:
    queue = await world.applier.save_queue(
        {"name": "billing", "extension": "5050", "weight": 4}, "ada", create=True
    )
    assert world.asterisk.loaded["billing"]["weight"] == "4"
    assert world.asterisk.routes["5050"] == "billing"
    assert await world.store.queue("billing") == queue
    entry = (await world.store.audit(limit=1))[0]
    assert (entry.actor, entry.action, entry.subject, entry.before) == (
        "ada",
        "queue.create",
        "billing",
        None,
    )
    assert world.model.wrapup["billing"] == 5.0  # the model's wrap-up follows the settings


async def test_what_asterisk_does_not_take_is_neither_stored_nor_left_in_the_files(
    world: World,
) -> None:
    before = {p.name: p.read_text() for p in world.directory.iterdir()}
    world.asterisk.deaf = True
    with pytest.raises(AsteriskRefused) as refused:
        await world.applier.save_queue({"name": "support", "weight": 9}, "ada", create=False)
    assert "Asterisk kept weight 0, not 9" in refused.value.message
    assert {p.name: p.read_text() for p in world.directory.iterdir()} == before
    assert (await world.store.queue("support")).weight == 0
    assert not any(e.action == "queue.update" for e in await world.store.audit())


async def test_conflicts_are_refused_before_asterisk_is_touched(world: World) -> None:
    reloads = world.asterisk.reloads
    with pytest.raises(Conflict, match="extension 5000 is queue sales's"):
        await world.applier.save_queue({"name": "x", "extension": "5000"}, "ada", create=True)
    with pytest.raises(Conflict, match="already exists"):
        await world.applier.save_queue({"name": "sales", "extension": "5099"}, "ada", create=True)
    with pytest.raises(Conflict, match="skill 'french' does not exist"):
        await world.applier.save_queue({"name": "sales", "skill": "french"}, "ada", create=False)
    world.model.callers["c1"] = Caller("c1", "support", "PJSIP/pstn-1", "0600", "", 1, 0.0)
    with pytest.raises(Conflict, match="1 caller\\(s\\) are waiting in queue support"):
        await world.applier.delete_queue("support", "ada")
    assert world.asterisk.reloads == reloads


async def test_reconcile_rewrites_what_differs_and_says_so(world: World) -> None:
    path = world.directory / "queues.conf"
    path.write_text(path.read_text().replace("weight = 0", "weight = 42"))
    world.asterisk._load()  # Asterisk restarted with the edited file
    report = await world.applier.reconcile()
    assert report.differences == [
        "generated file queues.conf differed from the stored configuration"
    ]
    assert world.asterisk.loaded["sales"]["weight"] == "0"
    entry = (await world.store.audit(limit=1))[0]
    assert (entry.actor, entry.action) == ("bridge", "config.reconcile")
    assert (await world.applier.reconcile()).differences == []  # then nothing more to do


async def test_an_unmanaged_configuration_leaves_the_files_alone(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    await upgrade(url)
    engine = create_async_engine(url)
    directory = tmp_path / "generated"
    directory.mkdir()
    (directory / "queues.conf").write_text("; the sandbox's demo queues\n")
    asterisk = FakeAsterisk(directory)
    applier = ConfigApplier(
        ConfigStore(engine),
        AmiCommands(asterisk),
        ContactCenter(),
        generated_dir=directory,
        queue_options="r",
        resync=lambda: _nothing(),
        synced=lambda: True,
    )
    report = await applier.reconcile()
    assert (report.differences, report.fixed, asterisk.reloads) == ([], [], 0)
    assert (directory / "queues.conf").read_text() == "; the sandbox's demo queues\n"
    await engine.dispose()


async def _nothing() -> None:
    return None


async def test_penalties_follow_skill_levels(world: World) -> None:
    accounts = Accounts(world.engine)
    await accounts.create_user("anne", "a long password", devices=["PJSIP/anne"])
    await world.store.save_skill("french", "French", "ada")
    await world.applier.save_queue(
        {"name": "sales", "skill": "french", "skill_min_level": 2}, "ada", create=False
    )
    world.model.members["sales|PJSIP/anne"] = Member("sales", "PJSIP/anne", penalty=0)
    world.model.members["support|PJSIP/anne"] = Member("support", "PJSIP/anne", penalty=0)
    world.model.members["sales|PJSIP/gone"] = Member("sales", "PJSIP/gone", penalty=0)
    fixed = await world.applier.set_user_skills("anne", {"french": 4}, "ada")
    # sales ranks by French: level 4 is penalty 1; support has no skill: 0 already; a member
    # Asterisk no longer has is logged, not fatal.
    assert world.asterisk.penalties == [("sales", "PJSIP/anne", "1")]
    assert fixed == ["PJSIP/anne in sales: penalty 1"]


async def test_two_admins_changing_a_pause_reason_at_once_keep_both_changes(
    world: World,
) -> None:
    await asyncio.gather(
        world.store.update_pause_reason("lunch", {"label_fr": "Repas"}, "ada"),
        world.store.update_pause_reason("lunch", {"active": False}, "bea"),
    )
    [lunch] = [r for r in await world.store.pause_reasons() if r.code == "lunch"]
    assert (lunch.label_fr, lunch.active) == ("Repas", False)
