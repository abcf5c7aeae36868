"""Browser test fixtures: the real pages in a real headless Chromium, against the web app
running in-process on a free port with the real bridge (real Asterisk, Redis, the ``db_url``
database). The tests here are marked ``integration`` by tests/integration/conftest.py.

Chromium is Debian's (/usr/bin/chromium, installed by scripts/setup.sh) driven by the
``playwright`` package: ``playwright install`` downloads a browser build, which is neither
needed nor possible here. Screenshots of each step (and of every open page when a test
fails) go to test-artifacts/screenshots/.

Not a conftest.py: the integration tests ``from conftest import ...`` their parent conftest,
and a second module named ``conftest`` would shadow it. Test modules import these fixtures.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from argon2 import PasswordHasher
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from standardiste.accounts import Accounts
from standardiste.composition import BridgeProcess as Bridge
from standardiste.config import WebSettings
from standardiste.tools import sandbox as sb
from standardiste.web.app import init_app
from standardiste.web.process import web_deps

REPO = Path(__file__).resolve().parents[3]
SHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("STANDARDISTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "browser-test-password"
ALICE = "PJSIP/agent1001"
BOB = "PJSIP/agent1002"
# Cheap argon2: the tests create a few users per test; production uses the defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)

# username -> (role, language, devices, queues)
PEOPLE: dict[str, tuple[str, str, tuple[str, ...], dict[str, str]]] = {
    "sue": ("supervisor", "en", (), {"sales": "supervisor", "support": "supervisor"}),
    "alice": ("agent", "en", (ALICE,), {"sales": "agent"}),
    "bob": ("agent", "", (BOB,), {"sales": "agent", "support": "agent"}),
    "solene": ("supervisor", "fr", (), {"sales": "supervisor", "support": "supervisor"}),
}


@dataclass(frozen=True)
class Site:
    base: str  # http://127.0.0.1:<port>
    app: web.Application


Shot = Callable[[Page, str], Awaitable[None]]
LogIn = Callable[..., Awaitable[Page]]


@pytest.fixture(name="site")
async def site_fixture(bridge: Bridge, sandbox: sb.SandboxInfo) -> AsyncIterator[Site]:
    """The web app with its pages, on 127.0.0.1:<free port>; it reads the recordings where
    the sandbox's Asterisk writes them."""
    monitor = sandbox.root / "var/spool/asterisk/monitor"
    settings = replace(
        bridge.settings, asterisk=replace(bridge.settings.asterisk, recordings_dir=monitor)
    )
    deps = replace(
        web_deps(
            settings,
            bridge.redis,
            bridge.history.store.engine,
            web=WebSettings(),
        ),
        hasher=FAST_HASHER,
    )
    accounts = Accounts(deps.engine, FAST_HASHER)
    for username, (role, language, devices, queues) in PEOPLE.items():
        await accounts.create_user(
            username,
            PASSWORD,
            display_name=username.capitalize(),
            role=role,
            language=language,
            devices=devices,
            queues=queues,
        )
    app = init_app(deps)
    async with TestServer(app, host="127.0.0.1") as server:
        yield Site(str(server.make_url("")).rstrip("/"), app)


@pytest.fixture(name="chromium")
async def chromium_fixture() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"Chromium is needed at {CHROMIUM}: run scripts/setup.sh (make test does)")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(name="shot")
def shot_fixture(request: pytest.FixtureRequest) -> Shot:
    """``await shot(page, "step")`` saves test-artifacts/screenshots/<test>-<step>.png."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    SHOTS.mkdir(parents=True, exist_ok=True)

    async def take(page: Page, step: str) -> None:
        await page.screenshot(path=str(SHOTS / f"{name}-{step}.png"), full_page=True)

    return take


@pytest.fixture(name="log_in")
async def log_in_fixture(
    site: Site, chromium: Browser, shot: Shot, request: pytest.FixtureRequest
) -> AsyncIterator[LogIn]:
    """``await log_in("sue")``: a new browser context signed in through the login page."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []
    # The call phase's report is logged before teardown: a new failure means this test's.
    failed_before = request.session.testsfailed

    async def open_as(username: str, *, locale: str = "en-US") -> Page:
        context = await chromium.new_context(locale=locale, viewport={"width": 1366, "height": 900})
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{username}: {exc}"))
        await page.goto(f"{site.base}/login")
        await page.fill("#username", username)
        await page.fill("#password", PASSWORD)
        await page.click("#login-submit")
        await page.wait_for_url(re.compile(rf"{re.escape(site.base)}/(supervisor|agent)$"))
        await page.wait_for_selector('#live-status[data-state="live"]', timeout=10_000)
        return page

    yield open_as
    failed = request.session.testsfailed > failed_before
    for i, context in enumerate(contexts):
        if failed:
            for j, page in enumerate(context.pages):
                await shot(page, f"FAILED-{i}-{j}")
        await context.close()
    assert errors == [], "JavaScript errors in the pages"
