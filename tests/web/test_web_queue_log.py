"""The queue_log export over HTTP (BY-6): who may export which queues, what a bad range is
told, and that the answer is a queue_log attachment. The lines themselves are checked in
tests/unit/test_queue_log_export.py and, against Asterisk's own file, on the sandbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from web_helpers import Browser, error_code

from standardiste.acd.records import (
    AgentEvent,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
)
from standardiste.history.writer import HistoryStore
from standardiste.pbx.store import ConfigStore

Login = Callable[[str], Awaitable[Browser]]
Q = "/api/v1/reports/queue_log"
T0 = 1_763_000_000.0  # 2025-11-13 02:13:20 UTC


@pytest.fixture
async def history(configuration: ConfigStore, engine: object) -> None:
    """A call in sales, one in support, and a pause in support; supervisors may see reports
    (a grant the admin gives in the matrix)."""
    matrix = await configuration.matrix()
    await configuration.set_role_permissions(
        "supervisor", matrix.get("supervisor", frozenset()) | {"reports.view"}, "test"
    )
    store = HistoryStore(engine)  # type: ignore[arg-type]
    records = []
    for n, queue in enumerate(("sales", "support")):
        uid = f"{T0:.0f}.{n}"
        records += [
            QueueCallEntered(uid, queue, f"06000000{n}", "", T0 + n, 1),
            QueueCallAnswered(uid, queue, "PJSIP/1001", "Alice", 4, T0 + n + 4, f"x.{n}", 3),
            QueueCallCompleted(uid, queue, "PJSIP/1001", 30, 0, "caller", T0 + n + 34, 4),
        ]
    records.append(
        AgentEvent("PJSIP/1002", "support", "pause", "lunch", "bob", False, T0 + 50, "Bob")
    )
    await store.write(records)


def queues_of(text: str) -> set[str]:
    return {line.split("|")[2] for line in text.splitlines()}


@pytest.mark.usefixtures("history")
async def test_an_admin_exports_every_queue_as_a_queue_log_attachment(logged_in: Login) -> None:
    resp = await (await logged_in("ada")).get(f"{Q}?from=2025-11-12&to=2025-11-13")
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    text = await resp.text()
    assert queues_of(text) == {"sales", "support"}
    assert f"{T0:.0f}|{T0:.0f}.0|sales|NONE|ENTERQUEUE||060000000|1" in text.splitlines()
    assert f"{T0 + 50:.0f}|NONE|support|Bob|PAUSE|lunch" in text.splitlines()
    # Narrowed to one queue on request.
    resp = await (await logged_in("ada")).get(f"{Q}?from=2025-11-12&to=2025-11-13&queues=support")
    assert queues_of(await resp.text()) == {"support"}


@pytest.mark.usefixtures("history")
async def test_a_supervisor_gets_only_the_queues_they_supervise(logged_in: Login) -> None:
    sue = await logged_in("sue")  # supervises sales
    resp = await sue.get(f"{Q}?from=2025-11-12&to=2025-11-13")
    assert queues_of(await resp.text()) == {"sales"}
    # Asking for a queue of someone else's gives nothing of it.
    resp = await sue.get(f"{Q}?from=2025-11-12&to=2025-11-13&queues=support,sales")
    assert queues_of(await resp.text()) == {"sales"}
    resp = await sue.get(f"{Q}?from=2025-11-12&to=2025-11-13&queues=support")
    assert resp.status == 200 and await resp.text() == ""


@pytest.mark.usefixtures("history")
async def test_an_agent_without_the_permission_is_refused(logged_in: Login) -> None:
    resp = await (await logged_in("alice")).get(f"{Q}?from=2025-11-12&to=2025-11-13")
    assert await error_code(resp) == (403, "forbidden")


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize(
    "query",
    [
        "?to=2025-11-13",
        "?from=2025-11-12",
        "?from=yesterday&to=2025-11-13",
        "?from=2025-11-13&to=2025-11-12",
        "?from=2025-11-12T00:00:00&to=2025-11-13",  # an instant without its offset
        "?from=2025-11-12&to=2025-11-13&queues=sa les",
    ],
)
async def test_a_bad_range_or_queue_is_a_400_naming_it(logged_in: Login, query: str) -> None:
    resp = await (await logged_in("ada")).get(Q + query)
    status, code = await error_code(resp)
    assert (status, code) == (400, "invalid_input"), await resp.text()
