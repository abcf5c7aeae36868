"""Integration tests against a real Asterisk (the chroot sandbox of standardiste.tools.sandbox).

Every test in this folder is marked ``integration``. The session-scoped ``sandbox`` fixture
builds the root once (cached in $STANDARDISTE_SANDBOX_CACHE_DIR, default ~/.cache/standardiste),
brings Asterisk up with config/asterisk/ and brings it down at the end of the session (unless
it was already running before the session: then it is left running).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # for "from ami_raw import ..." whatever pytest's import mode
    sys.path.insert(0, str(HERE))

from ami_raw import RawAMI  # noqa: E402
from live import eventually  # noqa: E402

from standardiste.composition import BridgeProcess as Bridge  # noqa: E402
from standardiste.composition import bridge_from_settings  # noqa: E402
from standardiste.config import Settings  # noqa: E402
from standardiste.history.migrate import upgrade  # noqa: E402
from standardiste.history.writer import HistoryStore  # noqa: E402
from standardiste.mirror import MirrorReader  # noqa: E402
from standardiste.redis_keys import RedisKeys  # noqa: E402
from standardiste.tools import sandbox as sb  # noqa: E402

REPO = HERE.parents[1]
CONFIG_DIR = REPO / "config" / "asterisk"


def cache_dir() -> Path:
    return Path(
        os.environ.get("STANDARDISTE_SANDBOX_CACHE_DIR", "~/.cache/standardiste")
    ).expanduser()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[sb.SandboxInfo]:
    if os.geteuid() != 0:
        pytest.fail("the Asterisk sandbox needs root (chroot, mount --bind): run the tests as root")
    for tool in ("sipp", "chroot", "mount"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run scripts/setup.sh (make test does)")
    root = sb.build_root(cache_dir())
    was_running = sb.status(root).running
    info = sb.up(root, CONFIG_DIR)
    yield info
    if not was_running:
        sb.down(root)


@pytest.fixture
async def ami(sandbox: sb.SandboxInfo) -> AsyncIterator[RawAMI]:
    """A logged-in AMI session (Events: on). Set-up and teardown remove every dynamic queue
    member and hang up every channel, so tests do not leak logged-in agents or calls into
    each other (set-up too: a test without this fixture may have left some)."""
    client = await RawAMI.connect(sandbox.ami_host, sandbox.ami_port)
    await remove_all_members(client)
    await hang_up_all_channels(client)
    try:
        yield client
    finally:
        if not client.closed.is_set():
            await remove_all_members(client)
            await hang_up_all_channels(client)
        await client.close()


async def hang_up_all_channels(client: RawAMI) -> None:
    """A sipp process killed without a BYE leaves its channel (and its place in a queue)
    behind in Asterisk: hang such leftovers up so the next test starts from an idle PBX."""
    for msg in await client.action_list("CoreShowChannels"):
        if msg.get("Event") == "CoreShowChannel":
            await client.action("Hangup", Channel=msg["Channel"])


async def remove_all_members(client: RawAMI) -> None:
    """Every queue's (a test may have created queues of its own)."""
    for msg in await client.action_list("QueueStatus"):
        if msg.get("Event") == "QueueMember" and msg.get("Membership") == "dynamic":
            await client.action("QueueRemove", Queue=msg["Queue"], Interface=msg["Location"])


# -- databases (shared by the history and live tests) ------------------------------------

PG_HOST = os.environ.get("STANDARDISTE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("STANDARDISTE_TEST_PG_PORT", "5432"))
PG_USER = "postgres"
PG_BIN = Path(
    os.environ.get("STANDARDISTE_PG_BIN")
    or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), "/nonexistent")
)


def _usable(host: str, port: int) -> bool:
    """A server there that lets ``postgres`` in without a password (a freshly installed
    Debian cluster answers but wants a password over TCP: then we run our own)."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(
                host=host, port=port, user=PG_USER, database="postgres", timeout=5
            )
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


@pytest.fixture(scope="session")
def pg_server() -> Iterator[tuple[str, int]]:
    """The PostgreSQL the dialect tests use: the machine's own on 127.0.0.1:5432 when it
    lets ``postgres`` in (trust auth), else a throwaway cluster of this test session, so a
    fresh machine needs only the PostgreSQL packages (scripts/setup.sh installs them)."""
    if _usable(PG_HOST, PG_PORT):
        yield PG_HOST, PG_PORT
        return
    if not (PG_BIN / "initdb").exists():
        pytest.fail(
            f"PostgreSQL is needed: nothing on {PG_HOST}:{PG_PORT} and no initdb in {PG_BIN}"
        )
    root = Path(tempfile.mkdtemp(prefix="standardiste-pg-session-"))
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    data = root / "data"
    subprocess.run(
        [*as_pg, str(PG_BIN / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust",
         "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*as_pg, str(PG_BIN / "pg_ctl"), "start", "-w", "-D", str(data), "-l",
         str(root / "server.log"), "-o",
         f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} -c fsync=off"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield "127.0.0.1", port
    finally:
        subprocess.run(
            [*as_pg, str(PG_BIN / "pg_ctl"), "stop", "-m", "immediate", "-D", str(data)],
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


async def _admin_connection(host: str, port: int) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(
            host=host, port=port, user=PG_USER, database="postgres", timeout=10
        )
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is required for these tests but {host}:{port} is unreachable: {exc!r}"
        )


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_server: tuple[str, int]
) -> AsyncIterator[str]:
    """A fresh, empty database of each dialect."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'history.sqlite3'}"
        return
    name = f"standardiste_test_{uuid.uuid4().hex[:12]}"
    host, port = pg_server
    admin = await _admin_connection(host, port)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+asyncpg://{PG_USER}@{host}:{port}/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[HistoryStore]:
    """The history store on a migrated ``db_url`` database (each dialect)."""
    await upgrade(db_url)
    history = HistoryStore(db_url)
    try:
        yield history
    finally:
        await history.aclose()


# -- the bridge under test (real Asterisk, real Redis, the db_url database) -------------------


def settings_for(db_url: str, tmp_path: Path, ami_port: int, root: Path | None = None) -> Settings:
    """``root``: the sandbox's, whose generated files and recordings the bridge uses."""
    base = Settings()
    if root is not None:
        base = replace(base, sandbox=replace(base.sandbox, cache_dir=root.parent))
    return replace(
        base,
        ami=replace(
            base.ami,
            port=ami_port,
            ping_interval=1.0,
            ping_timeout=1.0,
            backoff_min=0.2,
            backoff_max=1.0,
        ),
        redis=replace(base.redis, prefix=f"test:{uuid.uuid4().hex[:8]}:"),
        database=replace(base.database, url=db_url, buffer_path=tmp_path / "buffer.jsonl"),
        # These tests check the live path against a fresh database, on a sandbox whose
        # queue_log holds the whole day of every test: recovery from it would fill their
        # history with other tests' calls. test_bridge_restart.py tests the recovery.
        asterisk=replace(base.asterisk, queue_log_enabled=False),
    )


@pytest.fixture
async def bridge(
    sandbox: sb.SandboxInfo, ami: RawAMI, db_url: str, tmp_path: Path
) -> AsyncIterator[Bridge]:
    settings = settings_for(db_url, tmp_path, sandbox.ami_port, sandbox.root)
    async with bridge_from_settings(settings) as running:
        await eventually(lambda: _synced(running), bool, 15, "bridge connected and resynced")
        try:
            yield running
        finally:
            client = aioredis.Redis.from_url(settings.redis.url)
            await client.delete(*RedisKeys(settings.redis.prefix).all())
            await client.aclose()


async def _synced(bridge: Bridge) -> bool:
    return bridge.synced.is_set()


@pytest.fixture
def reader(bridge: Bridge) -> MirrorReader:
    return MirrorReader(bridge.redis, bridge.keys)
