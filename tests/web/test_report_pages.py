"""The report pages (issue 10: AN-1 queue callers, AN-2 agent performance, AN-4 metric
definitions) as each role sees them: for a role with ``reports.view`` only, over the queues
the user supervises (an admin: all), in English and French, with the Reports entry in the
header; the definitions page names every metric of the report API with its formula. (What
they do in a browser: tests/integration/browser/test_report_browser.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestServer
from markupsafe import escape
from test_campaign_pages import data_of, markup, page, untranslated
from web_helpers import Browser

from standardiste.acd.metrics import METRIC_NAMES
from standardiste.pbx.store import ConfigStore
from standardiste.web.appkeys import CONFIG
from standardiste.web.i18n import catalog
from standardiste.web.queue_report_schemas import CampaignFigures
from standardiste.web.report_pages import METRICS
from standardiste.web.report_schemas import AgentFigures

Login = Callable[[str], Awaitable[Browser]]
PAGES = ("/reports/queues", "/reports/agents", "/reports/definitions")
# Every metric the report API answers: the queue metrics (acd/metrics.py, the one definition
# the live cards and the reports share), the agents' ratios, the campaigns' ratios.
API_METRICS = (
    *METRIC_NAMES,
    *(f for f in AgentFigures.model_fields if f in ("occupancy", "utilisation")),
    *(f for f in CampaignFigures.model_fields if f in ("drop_rate", "list_penetration")),
)


async def revoke_reports(server: TestServer, store: ConfigStore) -> None:
    """Take ``reports.view`` away from supervisors, as an admin does in the matrix."""
    current = (await store.matrix()).get("supervisor", frozenset())
    await store.set_role_permissions("supervisor", current - {"reports.view"}, "test")
    await server.app[CONFIG].changed()


async def test_a_supervisor_reports_on_the_queues_they_supervise(
    logged_in: Login, configuration: ConfigStore
) -> None:
    # Supervisors hold reports.view from the start (migration 0012), agents do not.
    matrix = await configuration.matrix()
    assert "reports.view" in matrix["supervisor"] and "reports.view" not in matrix["agent"]
    sue = await logged_in("sue")  # supervises sales
    for path in PAGES:
        for lang in ("en", "fr"):
            resp = await page(sue, path, lang)
            assert resp.status == 200, path
            text = await resp.text()
            assert untranslated(text) == []
            assert f'<html lang="{lang}">' in text
            data = data_of(text)
            assert data["queues"] == ["sales"]
            # The agents to filter by: sales's, by the phone the history knows them by.
            assert {a["username"] for a in data["agents"]} == {"alice", "carol"}
            assert 'id="nav-reports"' in text and 'aria-current="page"' in text
            assert "<script>" not in text  # the CSP allows no inline script
    text = await (await page(sue, "/reports/queues")).text()
    # The filters by label, the charts with the tables under them, a CSV button per table,
    # the printable view and the queue_log export.
    controls = ('for="f-from"', 'for="f-to"', 'for="f-hour-from"', 'for="f-tz"', 'id="rp-print"',
                'id="qlog-link"', 'src="/static/vendor/chart.umd.min.js"')  # fmt: skip
    for control in controls:
        assert control in text, control
    tables = ("t-days", "t-sl", "t-heat", "t-wait-answered", "t-wait-abandoned", "t-missed",
              "t-missed-calls", "t-queues", "t-callbacks", "t-campaigns")  # fmt: skip
    for table in tables:
        assert f'data-table="{table}"' in text, table
    for canvas in ("c-volume", "c-sl", "c-wait-answered", "c-wait-abandoned", "c-missed"):
        assert f'<canvas id="{canvas}" role="img" aria-label=' in text, canvas
    text = await (await page(sue, "/reports/agents", "fr")).text()
    for table in ("t-states", "t-calls", "t-compare", "t-agent-queues", "t-timeline"):
        assert f'data-table="{table}"' in text, table
    assert catalog("fr")["rp.agents.title"] in text


async def test_an_admin_reports_on_every_queue(logged_in: Login) -> None:
    ada = await logged_in("ada")
    text = await (await page(ada, "/reports/queues")).text()
    queues = data_of(text)["queues"]
    assert {"sales", "support"} <= set(queues) and queues == sorted(queues)


async def test_the_reports_are_refused_without_the_permission(
    logged_in: Login, server: TestServer, configuration: ConfigStore
) -> None:
    alice = await logged_in("alice")  # an agent: agents do not have reports.view
    for path in PAGES:
        for lang in ("en", "fr"):
            resp = await page(alice, path, lang)
            assert resp.status == 403
            text = await resp.text()
            assert escape(catalog(lang)["perm.reports.view"]) in text
            assert 'id="rp-filters"' not in text
    assert 'id="nav-reports"' not in await (await page(alice, "/agent")).text()
    # Taken away from the supervisors in the matrix: refused to them too, and out of the menu.
    await revoke_reports(server, configuration)
    sue = await logged_in("sue")
    assert (await page(sue, "/reports/queues")).status == 403
    assert 'id="nav-reports"' not in await (await page(sue, "/supervisor")).text()


async def test_the_reports_open_after_the_log_in(
    browser: Callable[[], Browser],
) -> None:
    b = browser()
    for path in PAGES:
        resp = await page(b, path)
        assert resp.headers["Location"] == f"/login?next={path}"
        await b.login("sue")
        resp = await page(b, f"/login?next={path}")
        assert resp.headers["Location"] == path
        await b.request("DELETE", "/api/v1/session")


async def test_the_definitions_page_defines_every_metric(logged_in: Login) -> None:
    assert len(API_METRICS) == len(METRIC_NAMES) + 4
    assert set(API_METRICS) <= set(METRICS)
    sue = await logged_in("sue")
    for lang in ("en", "fr"):
        strings = catalog(lang)
        text = markup(await (await page(sue, "/reports/definitions", lang)).text())
        for key in METRICS:
            row = text.split(f'<tr id="metric-{key}" data-key="{key}">', 1)[1].split("</tr>", 1)[0]
            assert f"<code>{key}</code>" in row
            for part in (strings[f"metric.{key}"], strings[f"metric.{key}.formula"]):
                assert escape(part) in row, (lang, key)
        for variant in (1, 2, 3, 4):  # the service level variants a queue may use
            assert escape(strings[f"rp.sl_variant.{variant}"]) in text
        assert 'id="t-settings"' in text  # the settings in force, from the report API
    # Every metric means something different in the two languages' words, and each language
    # gives each one a formula of its own.
    en, fr = catalog("en"), catalog("fr")
    assert all(en[f"metric.{k}.formula"] != fr[f"metric.{k}.formula"] for k in METRICS)


async def test_the_charting_library_is_served_and_the_csp_unchanged(
    logged_in: Login,
) -> None:
    sue = await logged_in("sue")
    resp = await sue.http.get(sue.base + "/static/vendor/chart.umd.min.js")
    assert resp.status == 200
    assert b"Chart.js v4" in (await resp.read())[:200]
    resp = await page(sue, "/reports/queues")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe" not in csp
