"""Report API answers shaped exactly as issue 10's JSON contract, for the report pages'
browser test while the report API is not on this branch: the test serves them with
Playwright's ``page.route`` (FIXTURE mode). The figures are arbitrary but consistent
(handled + abandoned + timed out + ... = offered), and spread so that every chart and table
has something to draw; a few names carry commas, quotes and a formula to exercise the CSV.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

HOURS = list(range(24))
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _metrics(offered: int, handled: int, abandoned: int, timed_out: int) -> dict[str, Any]:
    return {
        "offered": offered,
        "handled": handled,
        "abandoned": abandoned,
        "short_abandoned": abandoned // 3,
        "timed_out": timed_out,
        "transferred": offered - handled - abandoned - timed_out,
        "exited": 0,
        "service_level": round(100 * handled / offered, 1) if offered else None,
        "abandon_rate": round(100 * abandoned / offered, 1) if offered else None,
        "asa": 20 + handled % 17 if handled else None,
        "aht": 180 + handled * 3 if handled else None,
        "longest_wait": 60 + abandoned * 7 if offered else None,
        "talk": handled * 170,
        "hold": handled * 9,
        "acw": handled * 20,
    }


def queues_report(
    queues: list[str], first: date, last: date, tz: str, today: date
) -> dict[str, Any]:
    """No calls today (as the seeded history), and from yesterday back fewer each day (one
    with more than a page of missed calls)."""
    days = [(first + timedelta(n)) for n in range((last - first).days + 1)]
    by_day = []
    for day in days:
        back = (today - day).days
        offered = 0 if back < 1 or back > 6 else 40 + 90 * (6 - back)
        handled = offered * 4 // 5
        abandoned = offered // 10
        timed_out = offered // 20
        by_day.append({"day": day.isoformat(), **_metrics(offered, handled, abandoned, timed_out)})
    total = {k: sum(d[k] for d in by_day) for k in ("offered", "handled", "abandoned", "timed_out")}
    offered = [[(w * 7 + h * 3) % 11 if 8 <= h < 19 else 0 for h in HOURS] for w in range(7)]
    return {
        "filters": {
            "queues": queues,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "tz": tz,
            "hours": None,
            "agents": [],
        },  # fmt: skip
        "settings": {
            q: {
                "sl_threshold": 20 + 10 * i,
                "sl_variant": 1 + i % 4,
                "sl_target": 80,
                "short_abandon": 5,
            }  # fmt: skip
            for i, q in enumerate(queues)
        },
        "totals": _metrics(
            total["offered"], total["handled"], total["abandoned"], total["timed_out"]
        ),  # fmt: skip
        "by_queue": [
            {"queue": q, **_metrics(100 + i, 80 + i, 12, 3)} for i, q in enumerate(queues)
        ],
        "by_day": by_day,
        "heatmap": {
            "weekdays": WEEKDAYS,
            "hours": HOURS,
            "offered": offered,
            "days_counted": [1] * 7,
        },  # fmt: skip
        "wait_answered": [
            {"from": 0, "to": 10, "count": 50},
            {"from": 10, "to": 20, "count": 31},
            {"from": 20, "to": 60, "count": 12},
            {"from": 60, "to": None, "count": 4},
        ],  # fmt: skip
        "wait_abandoned": [
            {"from": 0, "to": 10, "count": 6},
            {"from": 10, "to": 20, "count": 9},
            {"from": 20, "to": 60, "count": 7},
            {"from": 60, "to": None, "count": 2},
        ],  # fmt: skip
        "missed_by_day": [
            {"day": d["day"], "abandoned": d["abandoned"], "timed_out": d["timed_out"]}
            for d in by_day
        ],
        "callbacks": {"requested": 9, "connected": 6, "expired": 2, "failed": 1},
        "campaigns": []
        if not total["offered"]
        else [
            {
                "campaign": "winter",
                "attempts": 120,
                "answered": 70,
                "dropped": 2,
                "drop_rate": 2.9,
                "contacts": 80,
                "contacts_dialled": 64,
                "list_penetration": 80.0,
            },  # fmt: skip
        ],
    }


def missed_calls(queues: list[str], day: str, page: int, total: int) -> dict[str, Any]:
    per_page = 50
    start = (page - 1) * per_page
    names = ['Dupont, "Jo"', "=HYPERLINK(1)", "Zoë"]
    return {
        "calls": [
            {
                "queue": queues[i % len(queues)],
                "caller_number": f"+3361234{i:04d}",
                "caller_name": names[i % 3],
                "entered_at": f"{day}T09:{i % 60:02d}:00+00:00",
                "wait": 10 + i,
                "outcome": "abandoned" if i % 4 else "timed_out",
            }
            for i in range(start, min(total, start + per_page))
        ],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def agents_report(devices: dict[str, str]) -> dict[str, Any]:
    agents = []
    for i, (device, name) in enumerate(sorted(devices.items())):
        states = {"ready": 3600 + 600 * i, "ringing": 300, "talking": 5400 - 900 * i,
                  "hold": 240, "wrapup": 900, "paused": 1800, "logged_out": 50_000}  # fmt: skip
        logged_in = sum(v for k, v in states.items() if k != "logged_out")
        calls = {"queue": 30 - 5 * i, "direct_in": 3, "direct_out": 4 + i, "campaign": 6}
        calls["total"] = sum(calls.values())
        agents.append({
            "agent": device, "name": name, "username": name.lower(),
            "states": states, "paused_by_reason": {"lunch": 1200, "break": 600},
            "logged_in": logged_in, "calls": calls,
            "aht": {"queue": 200 + i, "direct_in": 90, "direct_out": 120, "campaign": 150,
                    "all": 180 + i},
            "by_queue": [{"queue": "sales", "calls": 20, "aht": 210, "talk": 3800, "hold": 120,
                          "acw": 500},
                         {"queue": "support", "calls": 10 - 5 * i, "aht": 190, "talk": 1600,
                          "hold": 120, "acw": 400}],
            "occupancy": round(100 * (6300 - 900 * i) / (9900 - 300 * i), 1),
            "utilisation": round(100 * (300 + 5400 - 900 * i + 240 + 900) / logged_in, 1),
        })  # fmt: skip
    return {"filters": {}, "agents": agents, "totals": {}}


def timeline(day: str) -> list[dict[str, Any]]:
    spans = [("ready", None, None, "08:00", "09:10"),
             ("talking", None, "sales", "09:10", "09:25"),
             ("wrapup", None, "sales", "09:25", "09:27"),
             ("paused", "lunch", None, "12:00", "13:00"),
             ("ready", None, None, "13:00", "17:30")]  # fmt: skip
    return [
        {
            "state": s,
            "reason": r,
            "queue": q,
            "start": f"{day}T{a}:00+00:00",
            "end": f"{day}T{b}:00+00:00",
        }  # fmt: skip
        for s, r, q, a, b in spans
    ]
