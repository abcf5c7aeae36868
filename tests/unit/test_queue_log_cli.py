"""``standardiste queue-log export``: the lines of local days, of the queues asked for, to a
file or stdout; a bad date is refused with the reason."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from standardiste import cli
from standardiste.acd.records import AgentEvent, QueueCallEntered, QueueCallLeft
from standardiste.history import HistoryStore, upgrade

# 2026-03-10 23:30 in Paris is 22:30 UTC: the local day decides, not UTC's.
LATE = dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC).timestamp()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.sqlite3'}"

    async def fill() -> None:
        await upgrade(url)
        store = HistoryStore(url)
        await store.write(
            [
                QueueCallEntered("c1", "sales", "0611", "Jo", LATE, 1),
                QueueCallLeft("c1", "sales", "abandoned", 9.0, LATE + 9, 1),
                QueueCallEntered("c2", "support", "0622", "", LATE + 5, 1),
                # The next local day (00:30 in Paris).
                AgentEvent("PJSIP/1001", "sales", "login", "", "sue", False, LATE + 3600, "Al"),
            ]
        )
        await store.aclose()

    asyncio.run(fill())
    # The command's logging setup would bind structlog to this test's captured stderr,
    # closed once it ends (other tests would then log into a closed file).
    monkeypatch.setattr(cli, "configure", lambda *args, **kwargs: None)
    monkeypatch.setenv("STANDARDISTE_DATABASE_URL", url)
    monkeypatch.setenv("STANDARDISTE_TIMEZONE", "Europe/Paris")
    return url


@pytest.mark.usefixtures("database")
def test_export_of_local_days_and_queues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "queue_log"
    args = ["queue-log", "export", "--from", "2026-03-10", "--to", "2026-03-10"]
    assert cli.main([*args, "--queue", "sales", "--output", str(out)]) == 0
    e = int(LATE)
    assert out.read_text().splitlines() == [
        f"{e}|c1|sales|NONE|ENTERQUEUE||0611|1",
        f"{e + 9}|c1|sales|NONE|ABANDON|1|1|9",
    ]
    # Every queue, two days, to stdout.
    assert cli.main(["queue-log", "export", "--from", "2026-03-10", "--to", "2026-03-11"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [x.split("|")[4] for x in lines] == ["ENTERQUEUE", "ENTERQUEUE", "ABANDON", "ADDMEMBER"]


@pytest.mark.usefixtures("database")
def test_a_bad_range_is_refused_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["queue-log", "export", "--from", "10/03/2026", "--to", "2026-03-10"]) == 2
    assert "10/03/2026" in capsys.readouterr().err
    assert cli.main(["queue-log", "export", "--from", "2026-03-11", "--to", "2026-03-10"]) == 2
    assert "after its start" in capsys.readouterr().err
