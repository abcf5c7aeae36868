"""GET /api/v1/overview: each role sees its share of the live state, with queue figures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from web_helpers import ALICE_DEV, BOB_DEV, CAROL_DEV, T0, Browser, Mirror, error_code

from standardiste.pbx.store import ConfigStore

Login = Callable[[str], Awaitable[Browser]]


async def overview(b: Browser, query: str = "") -> dict[str, Any]:
    resp = await b.get("/api/v1/overview" + query)
    assert resp.status == 200, await resp.text()
    data: dict[str, Any] = await resp.json()
    return data


def keys(body: dict[str, Any]) -> dict[str, set[str]]:
    return {entity: set(items) for entity, items in body["state"].items()}


async def test_admin_sees_everything(logged_in: Login) -> None:
    body = await overview(await logged_in("ada"))
    assert keys(body) == {
        "queue": {"sales", "support"},
        "member": {f"sales|{ALICE_DEV}", f"sales|{CAROL_DEV}", f"support|{BOB_DEV}",
                   f"support|{CAROL_DEV}"},
        "caller": {"c1", "c2", "c3"},
        "call": {"k1", "k2"},
        "device": {ALICE_DEV, BOB_DEV, CAROL_DEV, "PJSIP/stranger"},
        "spy": {"s1"},
        "direct": {"d1"},
        "canned": {"p1"},
        "campaign": {"winter"},
        "dial": {"a1"},
    }  # fmt: skip
    assert set(body["figures"]) == {"sales", "support"}


async def test_supervisor_sees_the_queues_they_supervise_in_full(logged_in: Login) -> None:
    body = await overview(await logged_in("sue"))
    assert keys(body) == {
        "queue": {"sales"},
        "member": {f"sales|{ALICE_DEV}", f"sales|{CAROL_DEV}"},
        "caller": {"c1", "c2"},
        "call": {"k1"},
        "device": {ALICE_DEV, CAROL_DEV},  # the phones of the agents of sales
        "spy": {"s1"},  # who listens to their agents
        "direct": {"d1"},  # their agents' other calls
        "canned": {"p1"},  # a message an agent of theirs plays into a sales call
        "campaign": {"winter"},
        "dial": {"a1"},  # a dial ringing an agent of theirs
    }
    assert body["users"] == {
        ALICE_DEV: {"username": "alice", "display_name": "Alice"},
        CAROL_DEV: {"username": "carol", "display_name": "Carol"},
        "PJSIP/sup2001": {"username": "sue", "display_name": "Sue"},  # who listens to alice
    }
    assert (body["seq"], body["server_time"], body["day"]) == (1, T0, "2023-11-14")


async def test_queue_figures(logged_in: Login) -> None:
    body = await overview(await logged_in("sue"))
    figures = body["figures"]["sales"]
    assert set(figures.pop("metrics")) >= {"service_level", "abandon_rate", "asa", "aht"}
    assert figures.pop("sl")["threshold"] > 0
    assert figures == {
        "waiting": 2,
        "longest_wait": 40.0,
        "waiting_since": T0 - 40,
        "talking": 1,
        "agents_logged_in": 2,
        "agents_paused": 1,
        "agents_ready": 1,
        "agents_in_call": 0,
        "handled": 6,
        "abandoned": 3,
        "timed_out": 1,
        "transferred": 0,
        # No callback request (BY-1) in this state: counted apart from the calls above.
        "callbacks_waiting": 0,
        "callbacks_requested": 0,
        "callbacks_connected": 0,
        "callbacks_expired": 0,
        "callbacks_failed": 0,
        "total": 10,
        "pct_handled": 60.0,
        "pct_abandoned": 30.0,
        "pct_timed_out": 10.0,
        "updated_at": T0 - 5,
    }
    carol = body["state"]["member"][f"sales|{CAROL_DEV}"]
    assert (carol["presence"], carol["time_in_status"]) == ("paused", 120.0)
    alice = body["state"]["member"][f"sales|{ALICE_DEV}"]
    assert (alice["presence"], alice["time_in_status"]) == ("ready", 60.0)


async def test_the_cards_service_level_uses_the_queues_settings(
    logged_in: Login, mirror: Mirror, configuration: ConfigStore
) -> None:
    """Today's waits in the counters, the queue's variant, threshold, target and short
    abandons from the admin's settings: the card's service level and its status."""
    sales = await configuration.queue("sales")
    await configuration.save_queue(
        replace(sales, servicelevel=20, sl_variant=1, sl_target=90, short_abandon=5), "ada"
    )
    state = mirror.state
    state["queue"]["sales"]["today"] |= {
        "offered": 9, "handled": 5, "abandoned": 3, "timed_out": 1,
        "answered_wait": 50.0, "waits_answered": {"3": 4, "25": 1},
        "waits_abandoned": {"2": 1, "15": 1, "40": 1},  # one short (<= 5 s)
        "completed": 4, "talk": 400.0, "hold": 40.0, "longest_wait": 40.0,
    }  # fmt: skip
    await mirror.reset(dict(state))
    figures = (await overview(await logged_in("sue")))["figures"]["sales"]
    m = figures["metrics"]
    # (4 answered + 1 abandoned within 20 s) / (5 answered + 2 counted abandons)
    assert m["service_level"] == round(100 * 5 / 7, 1)
    assert (m["short_abandoned"], m["abandon_rate"]) == (1, 25.0)  # 2 / (9 - 1)
    assert (m["asa"], m["aht"], m["longest_wait"]) == (10.0, 100.0, 40.0)
    assert figures["sl"] == {
        "threshold": 20, "variant": 1, "target": 90, "short_abandon": 5, "status": "below"
    }  # fmt: skip


async def test_yesterdays_counters_are_not_todays(logged_in: Login, mirror: Mirror) -> None:
    state = mirror.state
    state["queue"]["sales"]["today"]["day"] = "2023-11-13"
    await mirror.reset(dict(state))
    figures = (await overview(await logged_in("sue")))["figures"]["sales"]
    assert (figures["handled"], figures["total"], figures["pct_handled"]) == (0, 0, None)


async def test_agent_sees_queue_cards_and_only_their_own_rows(logged_in: Login) -> None:
    body = await overview(await logged_in("alice"))
    assert keys(body) == {
        "queue": {"sales"},
        "member": {f"sales|{ALICE_DEV}"},
        "caller": set(),  # who waits is not an agent's business...
        "call": {"k1"},
        "device": {ALICE_DEV},
        "spy": set(),  # an agent is not told who listens to them
        "direct": {"d1"},  # her own
        "canned": {"p1"},  # but sees the message she plays (to stop it)
        "campaign": {"winter"},  # her queue's campaign (AG-4)
        "dial": {"a1"},  # the contact her phone rings for
    }
    assert body["figures"]["sales"]["waiting"] == 2  # ...how many wait is
    assert body["figures"]["sales"]["agents_logged_in"] == 2


async def test_agent_in_two_queues(logged_in: Login) -> None:
    body = await overview(await logged_in("carol"))
    assert keys(body) == {
        "queue": {"sales", "support"},
        "member": {f"sales|{CAROL_DEV}", f"support|{CAROL_DEV}"},
        "caller": set(),
        "call": {"k2"},
        "device": {CAROL_DEV},
        "spy": set(),
        "direct": set(),  # another agent's
        "canned": set(),  # another agent's call
        "campaign": {"winter"},  # sales' campaign: carol is an agent of sales
        "dial": set(),  # ringing alice, not her
    }


async def test_supervisor_of_one_queue_and_agent_of_another(logged_in: Login) -> None:
    body = await overview(await logged_in("sam"))
    assert keys(body) == {
        "queue": {"sales", "support"},
        "member": {f"support|{BOB_DEV}", f"support|{CAROL_DEV}"},
        "caller": {"c3"},
        "call": {"k2"},
        "device": {BOB_DEV, CAROL_DEV},
        "spy": set(),  # a session on a sales call: not sam's queue
        "direct": set(),  # alice is not an agent of sam's queue
        "canned": set(),  # sam is an agent of sales, not its supervisor
        "campaign": {"winter"},  # but an agent of sales sees its campaign's card
        "dial": set(),
    }


async def test_narrowing_to_some_queues(logged_in: Login) -> None:
    sam = await logged_in("sam")
    body = await overview(sam, "?queues=support")
    assert set(body["state"]["queue"]) == {"support"} and set(body["figures"]) == {"support"}
    assert set(body["state"]["device"]) == {BOB_DEV, CAROL_DEV}  # devices have no queue
    sue = await logged_in("sue")
    assert await error_code(await sue.get("/api/v1/overview?queues=support")) == (
        403,
        "forbidden",
    )


async def test_overview_needs_a_session(browser: Callable[[], Browser]) -> None:
    assert await error_code(await browser().get("/api/v1/overview")) == (401, "unauthenticated")
