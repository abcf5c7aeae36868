"""The agent performance report's API (AN-2): who sees whom, what a bad filter answers, and
the figures of a small history written through the real HistoryStore."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from web_helpers import ALICE_DEV, BOB_DEV, CAROL_DEV, T0, Browser, error_code

from standardiste.acd.records import (
    AgentStateChanged,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    Record,
)
from standardiste.history.writer import HistoryStore
from standardiste.pbx.store import ConfigStore
from standardiste.web.appkeys import DEPS

Login = Callable[[str], Awaitable[Browser]]
DAY = "2023-11-14"  # T0 is 22:13:20 UTC that day (the center's time zone here: UTC)
URL = "/api/v1/reports/agents"
START = T0 - 3600  # 21:13:20


def states(agent: str, *steps: tuple[float, str, str, str]) -> list[Record]:
    return [AgentStateChanged(agent, s, r, q, START + t) for t, s, r, q in steps]


@pytest.fixture(autouse=True)
async def history(engine: AsyncEngine, configuration: ConfigStore) -> None:
    for role in ("supervisor", "agent"):  # reports.view for everyone here
        granted = (await configuration.matrix()).get(role, frozenset())
        await configuration.set_role_permissions(role, {*granted, "reports.view"}, "test")
    store = HistoryStore(engine)
    await store.write(
        [
            *states(
                ALICE_DEV,
                (0, "ready", "", ""),
                (100, "ringing", "", "sales"),
                (105, "talking", "", "sales"),
                (165, "hold", "", "sales"),
                (185, "talking", "", "sales"),
                (225, "wrapup", "", "sales"),
                (255, "paused", "lunch", ""),
                (1255, "ready", "", ""),
                (1500, "logged_out", "", ""),
            ),
            QueueCallEntered("c1", "sales", "0611", "", START + 90),
            QueueCallAnswered("c1", "sales", ALICE_DEV, "Alice", 15, START + 105),
            QueueCallCompleted("c1", "sales", ALICE_DEV, 120, 20, "caller", START + 225),
            *states(BOB_DEV, (0, "ready", "", ""), (600, "paused", "", "")),
            *states(CAROL_DEV, (50, "unavailable", "", "")),
        ]
    )
    await store.aclose()


async def report(b: Browser, query: str = "") -> dict:  # type: ignore[type-arg]
    resp = await b.get(f"{URL}?from={DAY}&to={DAY}{query}")
    assert resp.status == 200, await resp.text()
    return await resp.json()  # type: ignore[no-any-return]


async def test_an_admin_sees_every_agent_with_states_summing_to_logged_in(
    logged_in: Login,
) -> None:
    body = await report(await logged_in("ada"))
    agents = {a["agent"]: a for a in body["agents"]}
    assert set(agents) == {ALICE_DEV, BOB_DEV, CAROL_DEV}
    alice = agents[ALICE_DEV]
    assert alice["name"] == "Alice" and alice["username"] == "alice"
    assert alice["states"] == {
        "ready": 100 + 245,
        "ringing": 5,
        "talking": 60 + 40,
        "hold": 20,
        "wrapup": 30,
        "paused": 1000,
        "unavailable": 0,
        # the day before her first transition, and after her log-out until now (T0)
        "logged_out": (START - (T0 - 22 * 3600 - 800)) + (3600 - 1500),
    }
    assert alice["logged_in"] == 1500
    assert alice["paused_by_reason"] == {"lunch": 1000}
    assert alice["calls"] == {
        "queue": 1,
        "direct_in": 0,
        "direct_out": 0,
        "campaign": 0,
        "total": 1,
    }
    # AHT = (talk incl. hold 120 + the wrap-up after the call 30) / 1
    assert alice["aht"]["queue"] == 150 and alice["aht"]["all"] == 150
    assert alice["by_queue"] == [
        {"queue": "sales", "calls": 1, "aht": 150, "talk": 120, "hold": 20, "acw": 30}
    ]
    handling = 60 + 40 + 20 + 30
    assert alice["occupancy"] == round(100 * handling / (handling + 345), 1)
    assert alice["utilisation"] == round(100 * handling / 1500, 1)
    for a in body["agents"]:
        s = a["states"]
        assert a["logged_in"] == pytest.approx(sum(v for k, v in s.items() if k != "logged_out"))
    assert body["totals"]["logged_in"] == pytest.approx(sum(a["logged_in"] for a in body["agents"]))
    assert body["filters"] == {
        "queues": [], "from": DAY, "to": DAY, "tz": "UTC", "hours": None, "agents": []
    }  # fmt: skip


async def test_hours_clip_the_intervals(logged_in: Login) -> None:
    # 21:00-22:00 UTC: alice's day from 21:13:20 (START) to 22:00, bob's too.
    body = await report(await logged_in("ada"), "&hours=21-22&agents=" + ALICE_DEV)
    (alice,) = body["agents"]
    assert alice["logged_in"] == 1500  # all of her 1500 s fall between 21:13:20 and 21:38:20
    assert alice["states"]["logged_out"] == 800 + (3600 - 800 - 1500)
    body = await report(await logged_in("ada"), "&hours=0-21&agents=" + ALICE_DEV)
    assert body["agents"][0]["logged_in"] == 0 and body["agents"][0]["calls"]["total"] == 0


async def test_a_supervisor_sees_the_agents_of_their_queues(logged_in: Login) -> None:
    sue = await logged_in("sue")  # supervises sales: alice and carol are its agents
    agents = {a["agent"] for a in (await report(sue))["agents"]}
    assert agents <= {ALICE_DEV, CAROL_DEV, "PJSIP/desk1001"} and ALICE_DEV in agents
    resp = await sue.get(f"{URL}?from={DAY}&to={DAY}&agents={BOB_DEV}")
    assert await error_code(resp) == (403, "forbidden")
    resp = await sue.get(f"{URL}?from={DAY}&to={DAY}&queues=support")
    assert await error_code(resp) == (403, "forbidden")


async def test_an_agent_sees_only_themself(logged_in: Login) -> None:
    alice = await logged_in("alice")
    assert [a["agent"] for a in (await report(alice))["agents"]] == [ALICE_DEV]
    resp = await alice.get(f"{URL}?from={DAY}&to={DAY}&agents={BOB_DEV}")
    assert await error_code(resp) == (403, "forbidden")
    timeline = f"/api/v1/reports/agents/PJSIP%2Fagent1002/timeline?from={DAY}&to={DAY}"
    assert await error_code(await alice.get(timeline)) == (403, "forbidden")


async def test_without_the_permission_it_is_403(
    logged_in: Login, configuration: ConfigStore
) -> None:
    await configuration.set_role_permissions("agent", {"live.view", "workspace.use"}, "test")
    resp = await (await logged_in("alice")).get(f"{URL}?from={DAY}&to={DAY}")
    assert await error_code(resp) == (403, "forbidden")


@pytest.mark.parametrize(
    "query",
    [
        f"?from={DAY}&to=2023-11-13",  # to before from
        f"?from={DAY}&to={DAY}&tz=Mars/Olympus",
        f"?from={DAY}&to={DAY}&hours=18-8",
        f"?from={DAY}&to={DAY}&hours=abc",
        "?from=yesterday&to=2023-11-14",
        f"?to={DAY}",
    ],
)
async def test_bad_filters_are_400(logged_in: Login, query: str) -> None:
    resp = await (await logged_in("ada")).get(URL + query)
    assert await error_code(resp) == (400, "invalid_input")


async def test_the_timeline_lists_the_intervals_in_order(logged_in: Login) -> None:
    ada = await logged_in("ada")
    resp = await ada.get(
        f"/api/v1/reports/agents/PJSIP%2Fagent1001/timeline?from={DAY}&to={DAY}&tz=Europe/Paris"
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    got = [(i["state"], i["reason"], i["queue"]) for i in body["intervals"]]
    assert got == [
        ("logged_out", "", None),  # from the day's start until her first transition
        ("ready", "", None),
        ("ringing", "", "sales"),
        ("talking", "", "sales"),
        ("hold", "", "sales"),
        ("talking", "", "sales"),
        ("wrapup", "", "sales"),
        ("paused", "lunch", None),
        ("ready", "", None),
        ("logged_out", "", None),
    ]
    assert body["intervals"][0]["start"] == "2023-11-14T00:00:00+01:00"
    assert body["intervals"][1]["start"] == "2023-11-14T22:13:20+01:00"  # START in Paris
    assert body["intervals"][-1]["end"] == "2023-11-14T23:13:20+01:00"  # now (T0)
    long = "/api/v1/reports/agents/PJSIP%2Fagent1001/timeline?from=2023-10-01&to=2023-11-14"
    assert await error_code(await ada.get(long)) == (400, "invalid_input")


def test_the_clock_is_the_apps(make_app) -> None:  # type: ignore[no-untyped-def]
    assert make_app()[DEPS].clock() == T0
