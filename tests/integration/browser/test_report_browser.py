"""The report pages in Chromium (issue 10: AN-1 queue callers, AN-2 agent performance, AN-4
definitions), in English (sue) and French (solene):

- the Reports entry of the header opens the queue report; the filters are set by keyboard
  (dates typed, hours with the arrow keys, a queue unticked with Space, Enter to show) and
  the report API is asked for exactly those;
- each chart is drawn (a Chart.js chart with the API's figures, pixels on its canvas) and
  the table under it shows the API's figures; the heat map's busiest hour is the darkest;
- a day's button lists the missed calls behind the number, page by page;
- a table's CSV holds the API's rows (raw figures, UTF-8 with a BOM, quotes doubled, a
  caller name that is a formula neutralised), the missed calls' CSV every page of them;
- the printable view hides the navigation and the filters and says what the report covers
  (a PDF is printed);
- the agent report draws the time in each state and the calls by type, and an agent's name
  opens their timeline; the definitions page shows the settings in force per queue.
Screenshots in test-artifacts/screenshots/ (EN and FR).

The data is real: the history is seeded with six days of calls (answered, abandoned — one
day with more than a page of them, callers with awkward names —, timed out) and of the
agents' states, through the history store as the bridge writes them, and the pages read the
report API (queues, missed calls, agents, timelines, queue_log export). Every assertion
compares the page with the JSON the API answers this session for the same query (fetched in
the page).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, Request, expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_support import (  # noqa: E402
    ALICE,
    BOB,
    SHOTS,
    LogIn,
    Shot,
    Site,
    chromium_fixture,  # noqa: F401
    log_in_fixture,  # noqa: F401
    shot_fixture,  # noqa: F401
    site_fixture,  # noqa: F401
)

from standardiste.acd.records import (
    AgentStateChanged,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
)
from standardiste.composition import BridgeProcess as Bridge
from standardiste.history.activity import local_today
from standardiste.web.i18n import catalog

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TZ = "Europe/Paris"
AWKWARD_NAMES = ('Dupont, "Jo"', "=HYPERLINK(1)", "Zoë")
PAGE_TZ = "JSON.parse(document.getElementById('page-data').textContent).timeZone"


class Queries:
    """The report API queries the page sent: path and parameters."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    def record(self, request: Request) -> None:
        url = urlparse(request.url)
        if url.path.startswith("/api/v1/reports/"):
            self.sent.append((url.path, {k: v[0] for k, v in parse_qs(url.query).items()}))

    def last(self, path: str) -> dict[str, str]:
        return next(q for p, q in reversed(self.sent) if p == path)


async def seed_week(bridge: Bridge, tz: str) -> None:
    """Six days of calls before today (none today: the test may run just after midnight),
    from 09:00 in ``tz``, as the bridge writes them: answered by alice and bob, abandoned
    (yesterday more than a page of them), timed out; a few in support."""
    zone = ZoneInfo(tz)
    today = local_today(tz)
    records: list[Record] = []
    for back in range(1, 7):
        day = today - timedelta(days=back)
        start = datetime.combine(day, time(9), zone).timestamp()
        calls = [("answered", 4 + back)] + [("abandoned", 64 if back == 1 else back)]
        calls += [("timed_out", back % 2)]
        k = 0
        for outcome, n in calls:
            for _ in range(n):
                k += 1
                uid = f"{int(start)}.{k}"
                queue = "support" if k % 7 == 0 else "sales"
                at = start + 180 * k
                wait = 4.0 + (k * 7) % 90
                name = AWKWARD_NAMES[k % 3]
                records.append(QueueCallEntered(uid, queue, f"+336123{k:05d}", name, at))
                if outcome == "answered":
                    agent = ALICE if k % 2 else BOB
                    records.append(QueueCallAnswered(uid, queue, agent, agent, wait, at + wait))
                    talk, hold = 60.0 + 11 * k, 15.0 * (k % 3)
                    records.append(
                        QueueCallCompleted(
                            uid, queue, agent, talk, hold, "caller", at + wait + talk
                        )  # fmt: skip
                    )
                else:
                    records.append(QueueCallLeft(uid, queue, outcome, wait, at + wait))
    records += agent_days(today, zone)
    await bridge.history.store.write(records)


# Each seeded day of alice and bob: logged in at 08:50, a call, wrap-up, lunch, logged out.
DAY_STATES = (
    ("08:50", "ready", "", ""), ("09:10", "talking", "", "sales"),
    ("09:25", "wrapup", "", "sales"), ("09:27", "ready", "", ""),
    ("12:00", "paused", "lunch", ""), ("13:00", "ready", "", ""),
    ("17:30", "logged_out", "", ""),
)  # fmt: skip


def agent_days(today: date, zone: ZoneInfo) -> list[Record]:
    """The agents' state transitions on the seeded days, as the model records them."""
    out: list[Record] = []
    for back in range(1, 7):
        day = today - timedelta(days=back)
        for agent in (ALICE, BOB):
            for clock, state, reason, queue in DAY_STATES:
                at = datetime.combine(day, time.fromisoformat(clock), zone).timestamp()
                out.append(AgentStateChanged(agent, state, reason, queue, at + (agent == BOB) * 60))
    return out


async def api_json(page: Page, path: str, query: dict[str, str]) -> Any:
    """What the report API answers this session, for the query the page sent."""
    url = f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    return await page.evaluate("async (u) => (await fetch(u)).json()", url)


async def rows_of(page: Page, table: str) -> list[list[str]]:
    rows = page.locator(f"#{table} tbody tr")
    cells = [await r.locator("th, td").all_inner_texts() for r in await rows.all()]
    return [[c.strip() for c in row] for row in cells]


def pct(lang: str, value: float | None) -> str:
    """Intl.NumberFormat(lang, {style: percent, maximumFractionDigits: 1})."""
    if value is None:
        return "–"
    text = f"{round(value, 1):g}"
    return f"{text}%" if lang == "en" else f"{text.replace('.', ',')}\xa0%"


def num(lang: str, value: int) -> str:
    """Intl.NumberFormat(lang): thousands grouped."""
    return f"{value:,}" if lang == "en" else f"{value:,}".replace(",", "\u202f")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(seconds)
    h, m, r = s // 3600, (s % 3600) // 60, s % 60
    return f"{h}:{m:02d}:{r:02d}" if h else f"{m}:{r:02d}"


async def type_date(page: Page, selector: str, day: date, lang: str) -> None:
    """A date typed into the date field, segment by segment, as a person types it. The
    field's order is the browser's own locale (not the page's): the page's language's order
    first, then the other."""
    orders = [("%m", "%d", "%Y"), ("%d", "%m", "%Y")]
    for order in orders if lang == "en" else orders[::-1]:
        await page.locator(selector).blur()  # focus() then puts the caret on the first part
        await page.locator(selector).focus()
        for part in order:
            await page.keyboard.type(day.strftime(part))
        if await page.locator(selector).input_value() == day.isoformat():
            return
    raise AssertionError(f"{selector}: {day} could not be typed")


async def chart_data(page: Page, canvas: str) -> list[list[Any]]:
    return await page.evaluate(
        "(id) => Chart.getChart(document.getElementById(id)).data.datasets.map((d) => d.data)",
        canvas,
    )


async def painted(page: Page, canvas: str) -> bool:
    """Pixels drawn on the canvas (a chart, not an empty box)."""
    return await page.evaluate(
        """(id) => { const c = document.getElementById(id);
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
            return n > 500; }""",
        canvas,
    )


async def download_csv(page: Page, button: str) -> tuple[bytes, list[list[str]]]:
    async with page.expect_download() as info:
        await page.locator(button).focus()
        await page.keyboard.press("Enter")
    download = await info.value
    raw = await asyncio.to_thread(Path(await download.path()).read_bytes)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


async def ready(page: Page) -> None:
    await expect(page.locator("body")).to_have_attribute("data-report", "ready")


@pytest.mark.parametrize(("username", "lang"), [("sue", "en"), ("solene", "fr")])
async def test_the_reports_in_a_browser(
    site: Site, bridge: Bridge, log_in: LogIn, shot: Shot, username: str, lang: str
) -> None:
    await seed_week(bridge, bridge.settings.timezone)
    strings = catalog(lang)
    page = await log_in(username, locale="en-US" if lang == "en" else "fr-FR")
    queries = Queries()
    page.on("request", queries.record)

    # ------------------------------------------------ AN-1: the queue callers, by keyboard
    nav = page.locator("#nav-reports")
    await expect(nav).to_have_text(strings["nav.reports"])
    await nav.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{site.base}/reports/queues")
    await ready(page)  # the last 7 days, every queue, at first
    # The time zone: the user's (the site's when they chose none), preselected.
    tz = await page.locator("#f-tz").input_value()
    assert tz == await page.evaluate(PAGE_TZ)
    today = local_today(tz)
    first, last = today - timedelta(days=6), today
    await type_date(page, "#f-from", first, lang)
    await type_date(page, "#f-to", last, lang)
    await page.locator("#f-hour-from").focus()
    for _ in range(8):
        await page.keyboard.press("ArrowDown")  # 08:00
    await page.locator("#f-hour-to").focus()
    for _ in range(6):
        await page.keyboard.press("ArrowUp")  # 18:00 (from 24:00)
    support = page.locator('#f-queues input[value="support"]')
    await support.focus()
    await page.keyboard.press("Space")
    await expect(support).not_to_be_checked()
    await page.locator("#rp-show").focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"queues=sales&from="))
    await ready(page)
    query = {"queues": "sales", "from": first.isoformat(), "to": last.isoformat(),
             "tz": tz, "hours": "8-18"}  # fmt: skip
    assert queries.last("/api/v1/reports/queues") == query
    report = await api_json(page, "/api/v1/reports/queues", query)

    # Totals, and volume by day: the chart's series and the table under it are the API's.
    await expect(page.locator("#q-total-offered")).to_have_text(
        num(lang, report["totals"]["offered"])
    )
    days = report["by_day"]
    assert await chart_data(page, "c-volume") == [
        [d["handled"] for d in days],
        [d["abandoned"] for d in days],
        [d["timed_out"] for d in days],
    ]
    assert await painted(page, "c-volume")
    assert await rows_of(page, "t-days") == [
        [d["day"], *(num(lang, d[k]) for k in ("offered", "handled", "abandoned", "timed_out")),
         pct(lang, d["service_level"]), pct(lang, d["abandon_rate"]), duration(d["asa"]),
         duration(d["aht"]), duration(d["longest_wait"])]
        for d in days
    ]  # fmt: skip
    # Service level against the queue's target.
    target = report["settings"]["sales"]["sl_target"]
    sl = await chart_data(page, "c-sl")
    assert sl == [[d["service_level"] for d in days], [target] * len(days)]
    assert await painted(page, "c-sl")
    # The heat map: 7 weekdays × 24 hours; the busiest hour the darkest shade.
    heat = report["heatmap"]
    busiest = max(max(row) for row in heat["offered"])
    heat_rows = await rows_of(page, "t-heat")
    assert [r[0] for r in heat_rows] == [strings[f"rp.wd.{d}"] for d in heat["weekdays"]]
    assert [[c or "0" for c in r[1:25]] for r in heat_rows] == [
        [num(lang, n) for n in row] for row in heat["offered"]
    ]
    # The shades rise with the count: none for no call, the darkest for the busiest hours.
    shades = await page.evaluate(
        """() => [...document.querySelectorAll('#t-heat td.heat')].map((td) =>
            [Number(td.textContent.replace(/\\D/g, '') || 0),
             Number(/heat-(\\d)/.exec(td.className)[1])])"""
    )
    assert len(shades) == 7 * 24
    by_count = sorted(shades)
    assert all(a[1] <= b[1] for a, b in zip(by_count, by_count[1:], strict=False))
    assert {level for n, level in shades if n == busiest} == {5}
    assert {level for n, level in shades if n == 0} == {0}
    # The waits before an answer and before giving up.
    for name, key in (("wait-answered", "wait_answered"), ("wait-abandoned", "wait_abandoned")):
        assert await chart_data(page, f"c-{name}") == [[b["count"] for b in report[key]]]
        assert [r[3] for r in await rows_of(page, f"t-{name}")] == [
            num(lang, b["count"]) for b in report[key]
        ]
        assert await painted(page, f"c-{name}")
    await shot(page, f"{lang}-queues")

    # Missed calls per day, and the calls behind a day's number (by keyboard), page by page.
    missed = report["missed_by_day"]
    assert [r[1:4] for r in await rows_of(page, "t-missed")] == [
        [
            num(lang, d["abandoned"]),
            num(lang, d["timed_out"]),
            num(lang, d["abandoned"] + d["timed_out"]),
        ]
        for d in missed
    ]
    busiest_day = max(missed, key=lambda d: d["abandoned"] + d["timed_out"])
    total = busiest_day["abandoned"] + busiest_day["timed_out"]
    await page.locator(f'#t-missed button[data-day="{busiest_day["day"]}"]').focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#t-missed-calls-title")).to_be_focused()
    calls = await api_json(page, "/api/v1/reports/queues/missed",
                           {**query, "day": busiest_day["day"], "page": "1"})  # fmt: skip
    assert calls["total"] == total
    listed = await rows_of(page, "t-missed-calls")
    assert [(r[1], r[2], r[3]) for r in listed] == [
        (c["queue"], c["caller_number"], c["caller_name"]) for c in calls["calls"]
    ]
    assert total > calls["per_page"] == len(listed)  # more than a page (seeded so)
    pages = -(-total // calls["per_page"])
    await expect(page.locator("#missed-page")).to_have_text(
        strings["rp.page"].format(page=1, pages=pages)
    )
    await page.locator("#missed-next").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#missed-page")).to_have_text(
        strings["rp.page"].format(page=2, pages=pages)
    )
    page2 = await api_json(page, "/api/v1/reports/queues/missed",
                           {**query, "day": busiest_day["day"], "page": "2"})  # fmt: skip
    assert [r[2] for r in await rows_of(page, "t-missed-calls")] == [
        c["caller_number"] for c in page2["calls"]
    ]
    await shot(page, f"{lang}-missed-calls")

    # CSV: the table's rows, raw; every page of the missed calls.
    raw, table = await download_csv(page, "#t-days-csv")
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert table[0][:3] == [strings["rp.day"], strings["metric.offered"], strings["metric.handled"]]
    assert [r[:5] for r in table[1:]] == [
        [d["day"], str(d["offered"]), str(d["handled"]), str(d["abandoned"]), str(d["timed_out"])]
        for d in days
    ]
    assert [r[5] for r in table[1:]] == ["" if d["service_level"] is None
                                         else f"{d['service_level']:g}" for d in days]  # fmt: skip
    _, missed_csv = await download_csv(page, "#t-missed-calls-csv")
    assert len(missed_csv) == 1 + total
    names = {r[3] for r in missed_csv[1:]}
    # The awkward names: a comma and quotes kept, a formula neutralised.
    assert names == {'Dupont, "Jo"', "'=HYPERLINK(1)", "Zoë"}
    # Per queue, callbacks and campaigns: the API's figures.
    by_queue = await rows_of(page, "t-queues")
    assert [(r[0], r[1]) for r in by_queue] == [
        (q["queue"], num(lang, q["offered"])) for q in report["by_queue"]
    ]
    assert [r[1] for r in await rows_of(page, "t-callbacks")] == [
        num(lang, report["callbacks"][k]) for k in ("requested", "connected", "expired", "failed")
    ]
    assert [r[0] for r in await rows_of(page, "t-campaigns")] == [
        c["campaign"] for c in report["campaigns"]
    ]
    # The queue_log export of the same queues and dates.
    href = await page.locator("#qlog-link").get_attribute("href")
    assert href == f"/api/v1/reports/queue_log?queues=sales&from={first}&to={last}"
    # The export's own tests check its lines; here, that the link gives the chosen queue's.
    async with page.expect_download() as info:
        await page.locator("#qlog-link").focus()
        await page.keyboard.press("Enter")
    path = await (await info.value).path()
    lines = (await asyncio.to_thread(Path(path).read_text, encoding="utf-8")).splitlines()
    entered = [x for x in lines if "|ENTERQUEUE|" in x]
    assert entered and all(x.split("|")[2] == "sales" for x in entered)

    # The printable view: no navigation nor filters; what the report covers, in words.
    await page.emulate_media(media="print")
    await expect(page.locator("#rp-filters")).to_be_hidden()
    await expect(page.locator("header.top")).to_be_hidden()
    await expect(page.locator("#rp-summary")).to_be_visible()
    await expect(page.locator("#rp-summary")).to_contain_text(f"{first}")
    await page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    await shot(page, f"{lang}-queues-print")
    await page.pdf(path=str(SHOTS / f"{lang}-queues-report.pdf"), format="A4")
    await page.emulate_media(media="screen")

    # A range without calls (today: none seeded) says so instead of empty charts.
    await type_date(page, "#f-from", today, lang)
    await page.locator("#rp-show").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#rp-empty")).to_be_visible()
    await expect(page.locator("#rp-empty")).to_have_text(strings["rp.no_calls"])
    await expect(page.locator("#rp-results")).to_be_hidden()
    await ready(page)

    # ------------------------------------------------ AN-2: agent performance
    link = page.locator('.report-nav a[href="/reports/agents"]')
    await link.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/reports/agents"))
    await ready(page)
    agents_query = queries.last("/api/v1/reports/agents")
    agents = (await api_json(page, "/api/v1/reports/agents", agents_query))["agents"]
    assert agents, "agents in the report"
    states = await chart_data(page, "c-states")
    ready_hours = [round(a["states"]["ready"] / 3600, 2) for a in agents]
    assert states[0] == ready_hours
    assert await painted(page, "c-states")
    state_rows = await rows_of(page, "t-states")
    assert [(r[0], r[1], r[2]) for r in state_rows] == [
        (a["name"], a["agent"], duration(a["states"]["ready"])) for a in agents
    ]
    call_rows = await rows_of(page, "t-calls")
    assert [r[5] for r in call_rows] == [num(lang, a["calls"]["total"]) for a in agents]
    assert await chart_data(page, "c-compare") == [
        [a["occupancy"] for a in agents],
        [a["utilisation"] for a in agents],
    ]
    await shot(page, f"{lang}-agents")
    # An agent's timeline, from their name (Enter on the button).
    await page.locator(f'#t-states button[data-agent="{agents[0]["agent"]}"]').focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#a-timeline-heading")).to_be_focused()
    answer = await api_json(
        page,
        f"/api/v1/reports/agents/{agents[0]['agent'].replace('/', '%2F')}/timeline",
        {"from": agents_query.get("from", str(first)), "to": agents_query.get("to", str(last)),
         "tz": tz},
    )  # fmt: skip
    # The contract's bare list, or the states branch's {"agent", "tz", "intervals"}.
    timeline = answer if isinstance(answer, list) else answer["intervals"]
    timeline_rows = await rows_of(page, "t-timeline")
    assert [r[0] for r in timeline_rows] == [strings[f"rp.state.{i['state']}"] for i in timeline]
    assert await painted(page, "c-timeline")
    _, timeline_csv = await download_csv(page, "#t-timeline-csv")
    assert [r[0] for r in timeline_csv[1:]] == [i["state"] for i in timeline]
    await shot(page, f"{lang}-agent-timeline")

    # ------------------------------------------------ AN-4: the definitions
    link = page.locator('.report-nav a[href="/reports/definitions"]')
    await link.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/reports/definitions"))
    await ready(page)
    settings_rows = await rows_of(page, "t-settings")
    assert [r[0] for r in settings_rows] == ["sales", "support"]
    definitions = await rows_of(page, "t-metrics")
    assert [r[1] for r in definitions][:3] == ["offered", "handled", "abandoned"]
    _, metrics_csv = await download_csv(page, "#t-metrics-csv")
    assert len(metrics_csv) == 1 + len(definitions)
    await shot(page, f"{lang}-definitions")
