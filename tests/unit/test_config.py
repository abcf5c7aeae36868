"""Configuration layering and the errors an operator sees for a bad setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from standardiste.config import ConfigError, load


def test_defaults_point_at_the_local_sandbox() -> None:
    s = load(env={})
    assert (s.ami.host, s.ami.port, s.ami.username) == ("127.0.0.1", 5038, "standardiste")
    assert s.database.url.startswith("sqlite+aiosqlite:///")


def test_file_then_environment_override(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('timezone = "Europe/Paris"\n[ami]\nport = 6038\nhost = "10.0.0.5"\n')
    s = load(f, env={"STANDARDISTE_AMI_PORT": "7038", "STANDARDISTE_REDIS_PREFIX": "cc:"})
    assert (s.ami.host, s.ami.port, s.redis.prefix, s.timezone) == (
        "10.0.0.5",
        7038,
        "cc:",
        "Europe/Paris",
    )


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[web]\nport = 9000\n")
    assert load(env={"STANDARDISTE_CONFIG": str(f)}).web.port == 9000


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"STANDARDISTE_AMI_PORT": "fifty"}, "ami.port"),
        ({"STANDARDISTE_AMI_PORT": "70000"}, "ami.port"),
        ({"STANDARDISTE_AMI_NOPE": "1"}, "ami.nope"),
        ({"STANDARDISTE_REDIS_URL": "http://x"}, "redis.url"),
        ({"STANDARDISTE_DATABASE_URL": "sqlite:///x.db"}, "database.url"),
        ({"STANDARDISTE_TIMEZONE": "Mars/Olympus"}, "timezone"),
    ],
)
def test_bad_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load(env=env)


def test_bad_file_is_named(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[ami\nport=1")
    with pytest.raises(ConfigError, match=str(f)):
        load(f, env={})
    f.write_text("[ami]\nport = true\n")
    with pytest.raises(ConfigError, match=r"ami\.port"):
        load(f, env={})


def test_urls_are_shown_without_their_password() -> None:
    from standardiste.config import shown_url

    assert shown_url("postgresql+asyncpg://std:s3cret@127.0.0.1:5432/db") == (
        "postgresql+asyncpg://std:***@127.0.0.1:5432/db"
    )
    assert shown_url("redis://:pw@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert shown_url("sqlite+aiosqlite:///var/s.sqlite3") == "sqlite+aiosqlite:///var/s.sqlite3"
