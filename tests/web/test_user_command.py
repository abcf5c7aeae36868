"""``standardiste user add|disable|password``, run for real as a process against the SQLite
database of the web app, then used through the API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from web_helpers import Browser, error_code

from standardiste.redis_keys import RedisKeys

STANDARDISTE = Path(sys.executable).with_name("standardiste")


def run(
    tmp_path: Path, keys: RedisKeys, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    # Only the settings of this test: none of the caller's STANDARDISTE_* variables.
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANDARDISTE_")}
    env["STANDARDISTE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}"
    env["STANDARDISTE_REDIS_PREFIX"] = keys.prefix
    return subprocess.run(
        [str(STANDARDISTE), "user", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_add_an_admin_with_a_piped_password_then_log_in(
    browser: Callable[[], Browser], tmp_path: Path, keys: RedisKeys
) -> None:
    done = run(tmp_path, keys, "add", "root", "--role", "admin", stdin="a long secret 42\n")
    assert done.returncode == 0, done.stderr
    assert "a long secret" not in done.stdout  # a chosen password is never echoed
    b = browser()
    resp = await b.login("root", "a long secret 42")
    assert resp.status == 200
    assert (await resp.json())["user"]["role"] == "admin"


async def test_add_an_agent_with_a_generated_password_shown_once(
    browser: Callable[[], Browser], tmp_path: Path, keys: RedisKeys
) -> None:
    done = run(
        tmp_path, keys, "add", "anne-marie", "--role", "agent",
        "--display-name", "Anne-Marie (nuit)", "--device", "PJSIP/agent1009",
        "--queue", "sales.fr", "--queue", "support",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stdout.splitlines() if x.startswith("password (shown once): ")]
    password = line.removeprefix("password (shown once): ")
    assert len(password) >= 16
    resp = await browser().login("anne-marie", password)
    assert resp.status == 200
    user = (await resp.json())["user"]
    assert user["display_name"] == "Anne-Marie (nuit)"
    assert user["devices"] == ["PJSIP/agent1009"]
    assert user["queues"] == [
        {"name": "sales.fr", "role": "agent"},
        {"name": "support", "role": "agent"},
    ]


async def test_disable_and_password_end_the_sessions(
    browser: Callable[[], Browser], tmp_path: Path, keys: RedisKeys
) -> None:
    added = run(tmp_path, keys, "add", "zoe", "--role", "supervisor", stdin="zoe password 1\n")
    assert added.returncode == 0, added.stderr
    b = browser()
    assert (await b.login("zoe", "zoe password 1")).status == 200

    changed = run(tmp_path, keys, "password", "zoe", stdin="zoe password 2\n")
    assert changed.returncode == 0, changed.stderr
    assert "1 session(s) ended" in changed.stdout
    assert await error_code(await b.get("/api/v1/me")) == (401, "unauthenticated")
    assert (await b.login("zoe", "zoe password 1")).status == 401
    assert (await b.login("zoe", "zoe password 2")).status == 200

    disabled = run(tmp_path, keys, "disable", "zoe")
    assert disabled.returncode == 0 and "1 session(s) ended" in disabled.stdout
    assert await error_code(await b.get("/api/v1/me")) == (401, "unauthenticated")
    assert (await browser().login("zoe", "zoe password 2")).status == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "bad name", "--role", "agent"), "user name"),
        (("add", "sue", "--role", "agent"), "already exists"),  # from the web fixtures
        (("add", "x1", "--role", "agent", "--queue", "sales,1"), "queue name"),
        (("add", "x2", "--role", "agent", "--device", "System/sh"), "device"),
        (("disable", "nobody"), "no user"),
    ],
)
async def test_bad_requests_say_why(
    browser: Callable[[], Browser],  # the app's database, with its users
    tmp_path: Path,
    keys: RedisKeys,
    args: tuple[str, ...],
    message: str,
) -> None:
    done = run(tmp_path, keys, *args, stdin="long enough password\n")
    assert done.returncode == 1
    assert message in done.stderr
