"""The queue callers' report API (AN-1): who may read which queues, bad filters as 400 JSON,
the figures of the calls in the history, the list behind the missed figure, the document."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from web_helpers import ALICE_DESK, ALICE_DEV, T0, Browser

from standardiste.acd.records import QueueCallAnswered, QueueCallCompleted, QueueCallEntered
from standardiste.history.writer import HistoryStore

Login = Callable[[str], Awaitable[Browser]]
DAY = datetime.fromtimestamp(T0, UTC).date()  # the web tests' center is in UTC


def url(path: str = "/api/v1/reports/queues", **params: str) -> str:
    values = {"from": DAY.isoformat(), "to": DAY.isoformat(), **params}
    return f"{path}?{urlencode(values)}"


@pytest.fixture
async def answered(engine: AsyncEngine, missed_calls: tuple[str, ...]) -> None:
    """Besides the missed calls: a sales call alice answered after 12 s, talked 60 s."""
    await HistoryStore(engine).write(
        [
            QueueCallEntered("1699999000.9", "sales", "0611", "Ana", T0 - 1000),
            QueueCallAnswered("1699999000.9", "sales", ALICE_DEV, "Alice", 12.0, T0 - 988),
            QueueCallCompleted("1699999000.9", "sales", ALICE_DEV, 60.0, 10.0, "agent", T0 - 928),
        ]
    )


async def test_who_reads_which_queues(logged_in: Login, answered: None) -> None:
    alice, sue, sam, ada = [await logged_in(u) for u in ("alice", "sue", "sam", "ada")]
    refused = await alice.get(url())
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "forbidden"
    # A supervisor: their queues by default, another queue refused.
    mine = await (await sue.get(url())).json()
    assert mine["filters"]["queues"] == ["sales"]
    assert [row["queue"] for row in mine["by_queue"]] == ["sales"]
    assert (await sue.get(url(queues="support"))).status == 403
    assert (await sue.get(url(queues="sales,support"))).status == 403
    # sam supervises support (and is an agent of sales): support only.
    assert (await (await sam.get(url())).json())["filters"]["queues"] == ["support"]
    # An admin: every queue with calls.
    every = await (await ada.get(url())).json()
    assert [row["queue"] for row in every["by_queue"]] == ["sales", "support"]


async def test_the_figures_of_the_calls_in_the_history(logged_in: Login, answered: None) -> None:
    ada = await logged_in("ada")
    body = await (await ada.get(url())).json()
    sales, support = body["by_queue"]
    assert (sales["offered"], sales["handled"], sales["abandoned"]) == (2, 1, 1)
    assert sales["short_abandoned"] == 1  # waited 5 s: within the 5 s default
    assert sales["abandon_rate"] == 0.0 and sales["service_level"] == 100.0
    assert (sales["asa"], sales["aht"], sales["talk"], sales["hold"]) == (12.0, 60.0, 60.0, 10.0)
    assert (support["abandoned"], support["timed_out"], support["handled"]) == (1, 1, 0)
    assert support["service_level"] == 0.0 and support["longest_wait"] == 90.0
    assert body["totals"]["offered"] == 4
    assert body["missed_by_day"] == [{"day": DAY.isoformat(), "abandoned": 2, "timed_out": 1}]
    assert body["settings"]["sales"] == {
        "sl_threshold": 20, "sl_variant": 1, "sl_target": 80, "short_abandon": 5
    }  # fmt: skip
    answered_waits = {b["to"]: b["count"] for b in body["wait_answered"]}
    assert answered_waits[20] == 1 and sum(answered_waits.values()) == 1
    hour = datetime.fromtimestamp(T0 - 1000, UTC)
    assert body["heatmap"]["offered"][hour.weekday()][hour.hour] >= 1
    assert sum(map(sum, body["heatmap"]["offered"])) == 4
    # Only what alice answered; hours of the day outside the calls: nothing.
    mine = await (await ada.get(url(agents="alice"))).json()
    assert mine["totals"]["offered"] == mine["totals"]["handled"] == 1
    assert mine["filters"]["agents"] == sorted([ALICE_DEV, ALICE_DESK])
    # sales' calls entered at 21:56 and 22:11 UTC
    assert (hour.hour, datetime.fromtimestamp(T0 - 100, UTC).hour) == (21, 22)
    evening = await (await ada.get(url(hours="21-22", queues="sales"))).json()
    assert (evening["totals"]["offered"], evening["totals"]["handled"]) == (1, 1)
    assert evening["filters"]["hours"] == [21, 22]


async def test_the_list_behind_the_missed_figure(logged_in: Login, answered: None) -> None:
    sam, sue = await logged_in("sam"), await logged_in("sue")
    body = await (await sam.get(url("/api/v1/reports/queues/missed", day=DAY.isoformat()))).json()
    assert body["total"] == 2 and body["per_page"] == 50 and body["page"] == 1
    assert [c["outcome"] for c in body["calls"]] == ["timed_out", "abandoned"]  # newest first
    assert body["calls"][1]["caller_name"] == "Nina"
    refused = await sue.get(url("/api/v1/reports/queues/missed", queues="support"))
    assert refused.status == 403


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2023-11-15", "to": "2023-11-14"},
        {"from": "2022-01-01", "to": "2023-11-14"},  # more than 400 days
        {"from": "2023-13-01"},
        {"tz": "Mars/Olympus"},
        {"hours": "18-8"},
        {"hours": "eight"},
        {"queues": "sales;drop"},
        {"agents": "nobody"},
    ],
)
async def test_bad_filters_are_400_json(logged_in: Login, params: dict[str, str]) -> None:
    ada = await logged_in("ada")
    resp = await ada.get(url(**params))
    assert resp.status == 400, params
    assert (await resp.json())["error"]["code"] == "invalid_input"
    day = await ada.get(url("/api/v1/reports/queues/missed", day="2020-01-01"))
    assert day.status == 400


async def test_without_the_permission_nobody_but_an_admin_reads_them(
    logged_in: Login,
) -> None:
    ada, sue = await logged_in("ada"), await logged_in("sue")
    matrix = await (await ada.get("/api/v1/admin/permissions")).json()
    kept = [p for p in matrix["roles"]["supervisor"] if p != "reports.view"]
    resp = await ada.request("PUT", "/api/v1/admin/permissions/supervisor", {"permissions": kept})
    assert resp.status == 200
    assert (await sue.get(url())).status == 403
    assert (await ada.get(url())).status == 200


async def test_the_routes_are_in_the_document(logged_in: Login) -> None:
    ada = await logged_in("ada")
    doc = await (await ada.get("/api/openapi.json")).json()
    op = doc["paths"]["/api/v1/reports/queues"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"from", "to", "tz", "hours", "queues"}
    assert "/api/v1/reports/queues/missed" in doc["paths"]
