"""Fixtures of the web tests: the app on a real Redis (a key prefix per test) and a fresh,
migrated SQLite database, with a fake agent state service (unit-level API tests; the real
one is exercised by tests/integration/test_web_live.py)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # for "from web_helpers import ..." whatever the import mode
    sys.path.insert(0, str(HERE))

from web_helpers import (  # noqa: E402
    ALICE_DEV,
    FAST_HASHER,
    MISSED,
    PASSWORD,
    PEOPLE,
    RECORDED_CALL,
    T0,
    Browser,
    Clock,
    FakeAgents,
    FakeCalls,
    FakeConfig,
    FakeDialer,
    Knobs,
    Mirror,
    base_state,
    wav_bytes,
    write_wav,
)

from standardiste.accounts import Accounts  # noqa: E402
from standardiste.acd.records import (  # noqa: E402
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
)
from standardiste.config import Settings, WebSettings  # noqa: E402
from standardiste.dialer.campaign import CampaignDef  # noqa: E402
from standardiste.history.migrate import upgrade  # noqa: E402
from standardiste.history.writer import HistoryStore  # noqa: E402
from standardiste.mirror import MirrorReader, MirrorWriter  # noqa: E402
from standardiste.outbound.csv_import import read_table  # noqa: E402
from standardiste.outbound.imports import ImportStore, run_import  # noqa: E402
from standardiste.outbound.store import CampaignStore, NewContact  # noqa: E402
from standardiste.pbx.canned_audio import CannedAudioStore  # noqa: E402
from standardiste.pbx.sound import Converted  # noqa: E402
from standardiste.pbx.store import ConfigStore  # noqa: E402
from standardiste.redis_keys import RedisKeys  # noqa: E402
from standardiste.tools.demo_config import DEMO_QUEUES  # noqa: E402
from standardiste.web.app import init_app  # noqa: E402
from standardiste.web.deps import Health, WebDeps  # noqa: E402


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        await client.ping()
    except OSError as exc:  # pragma: no cover - setup.sh starts Redis
        pytest.fail(f"Redis is required on 127.0.0.1:6379: {exc!r}")
    yield client
    await client.aclose()


@pytest.fixture
async def keys(redis_client: aioredis.Redis) -> AsyncIterator[RedisKeys]:
    keys = RedisKeys(f"test:web:{uuid.uuid4().hex[:10]}:")
    yield keys
    found = [k async for k in redis_client.scan_iter(match=f"{keys.prefix}*")]
    if found:
        await redis_client.delete(*found)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}"
    await upgrade(url)
    engine = create_async_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def accounts(engine: AsyncEngine) -> Accounts:
    accounts = Accounts(engine, FAST_HASHER)
    for username, (role, devices, queues) in PEOPLE.items():
        await accounts.create_user(
            username,
            PASSWORD,
            display_name=username.capitalize(),
            role=role,
            devices=devices,
            queues=queues,
        )
    return accounts


@pytest.fixture
async def configuration(engine: AsyncEngine, accounts: Accounts) -> ConfigStore:
    """The demo's queues stored (as the demo does), two skills, a canned text."""
    store = ConfigStore(engine)
    await store.adopt(DEMO_QUEUES, "test")
    for name in ("french", "german"):
        await store.save_skill(name, name.capitalize(), "test")
    await store.save_canned_text("Welcome", "Hello, how can I help?", "en", "test")
    # A canned audio message (id 1), as converted for Asterisk: two seconds of silence.
    await CannedAudioStore(engine).add(
        "Hold on", "en", Converted(wav_bytes(seconds=2.0), 2.0), "test"
    )
    await add_campaigns(engine)
    return store


async def add_campaigns(engine: AsyncEngine) -> None:
    """The campaign winter dials through sales (the live card of base_state), with three
    contacts (one from its import 1), help through support."""
    campaigns = CampaignStore(engine)
    await campaigns.create("test", CampaignDef.parse({"name": "winter", "queue": "sales"}))
    await campaigns.create("test", CampaignDef.parse({"name": "help", "queue": "support"}))
    await campaigns.add_contacts(
        "test",
        "winter",
        [
            NewContact("Jo Martin", "+33612345601", "Europe/Paris", source="csv"),
            NewContact("Léa Petit", "+33612345602", "Europe/Paris", source="manual"),
        ],
    )
    # Import 1 of winter: done, one row rejected.
    imports = ImportStore(engine)
    winter = await campaigns.campaign("winter")
    table = read_table(b"number\n0612345603\n12\n")
    import_id = await imports.start(winter, "first.csv", "sue", table.total)
    await run_import(campaigns, imports, import_id, winter, table, "sue")


@pytest.fixture
async def missed_calls(engine: AsyncEngine) -> tuple[str, ...]:
    """SV-10: support's callers missed two calls, sales' one (in the history)."""
    await HistoryStore(engine).write(
        [
            QueueCallEntered(MISSED[0], "support", "0611223344", "Nina", T0 - 300),
            QueueCallLeft(MISSED[0], "support", "abandoned", 40.0, T0 - 260),
            QueueCallEntered(MISSED[1], "support", "+33611223355", "", T0 - 200),
            QueueCallLeft(MISSED[1], "support", "timed_out", 90.0, T0 - 110),
            QueueCallEntered(MISSED[2], "sales", "0611223366", "Sal", T0 - 100),
            QueueCallLeft(MISSED[2], "sales", "abandoned", 5.0, T0 - 95),
        ]
    )
    return MISSED


@pytest.fixture
def config_commands(configuration: ConfigStore) -> FakeConfig:
    return FakeConfig(configuration)


@pytest.fixture
async def mirror(redis_client: aioredis.Redis, keys: RedisKeys) -> AsyncIterator[Mirror]:
    state = base_state()
    writer = MirrorWriter(redis_client, keys, lambda: state)
    await writer.start()
    m = Mirror(writer, state)
    await m.reset(state.copy())
    yield m
    await writer.aclose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def agents(redis_client: aioredis.Redis, keys: RedisKeys) -> FakeAgents:
    return FakeAgents(MirrorReader(redis_client, keys))


@pytest.fixture
def calls() -> FakeCalls:
    return FakeCalls()


@pytest.fixture
def dialer() -> FakeDialer:
    return FakeDialer()


@pytest.fixture
def knobs() -> Knobs:
    return Knobs(
        web=WebSettings(ws_send_timeout=30.0),
        health=Health(ami=True, redis=True, database=True),
    )


@pytest.fixture
def recordings_dir(tmp_path: Path) -> Path:
    """Where the web looks for recordings (Asterisk's monitor directory): empty."""
    return tmp_path / "monitor"


@pytest.fixture
def make_app(
    redis_client: aioredis.Redis,
    keys: RedisKeys,
    engine: AsyncEngine,
    agents: FakeAgents,
    clock: Clock,
    knobs: Knobs,
    config_commands: FakeConfig,
    recordings_dir: Path,
    calls: FakeCalls,
    dialer: FakeDialer,
) -> Callable[[], web.Application]:
    def make() -> web.Application:
        base = Settings()
        settings = replace(
            base,
            timezone="UTC",
            asterisk=replace(base.asterisk, recordings_dir=recordings_dir),
        )
        deps = WebDeps(
            settings=settings,
            redis=redis_client,
            keys=keys,
            engine=engine,
            agents=agents,
            config=config_commands,
            calls=calls,
            dialer=dialer,
            readiness=knobs.readiness,
            web=knobs.web,
            hasher=FAST_HASHER,
            clock=clock,
        )
        return init_app(deps)

    return make


@pytest.fixture
async def recorded_call(engine: AsyncEngine, recordings_dir: Path) -> str:
    """A sales call answered by alice, in the history, with its recording on disk (one
    second of silence, as Asterisk's MixMonitor writes it): its id."""
    await HistoryStore(engine).write(
        [
            QueueCallEntered(RECORDED_CALL, "sales", "0611111111", "Client", T0 - 60),
            QueueCallAnswered(RECORDED_CALL, "sales", ALICE_DEV, "Alice", 10.0, T0 - 50),
            QueueCallCompleted(RECORDED_CALL, "sales", ALICE_DEV, 40.0, 0.0, "caller", T0 - 10),
        ]
    )
    write_wav(recordings_dir / "standardiste" / f"{RECORDED_CALL}.wav", seconds=1.0)
    return RECORDED_CALL


@pytest.fixture
async def server(
    make_app: Callable[[], web.Application], accounts: Accounts, mirror: Mirror
) -> AsyncIterator[TestServer]:
    async with TestServer(make_app()) as srv:
        yield srv


@pytest.fixture
async def browser(server: TestServer) -> AsyncIterator[Callable[[], Browser]]:
    """A factory of browsers (each its own cookie jar), all closed at the end."""
    opened: list[Browser] = []

    def new() -> Browser:
        b = Browser(server)
        opened.append(b)
        return b

    yield new
    for b in opened:
        await b.close()


@pytest.fixture
async def logged_in(browser: Callable[[], Browser]) -> Callable[[str], Awaitable[Browser]]:
    """``await logged_in("sue")``: a browser with sue's session."""

    async def login(username: str) -> Browser:
        b = browser()
        resp = await b.login(username)
        assert resp.status == 200, await resp.text()
        return b

    return login
