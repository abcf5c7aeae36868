"""The web application factory.

``init_app(deps)`` builds everything by hand from what the composition root passes in
(:class:`~web.deps.WebDeps`) and owns only what it creates: the live hub and its mirror
follower task, the CSV imports it runs (``cleanup_ctx``). The Redis client, the engine and
the agent service belong to the caller (the bridge's process) and outlive the app.
"""

from __future__ import annotations

from aiohttp import web

from standardiste.accounts import Accounts
from standardiste.mirror import MirrorReader
from standardiste.outbound.imports import ImportStore
from standardiste.outbound.store import CampaignStore
from standardiste.pbx.canned_audio import CannedAudioStore
from standardiste.pbx.store import ConfigStore
from standardiste.web.admin_pages import setup_admin_pages
from standardiste.web.appkeys import (
    ACCOUNTS,
    CAMPAIGNS,
    CANNED,
    CONFIG,
    DEPS,
    HUB,
    IMPORT_RUNNER,
    IMPORTS,
    LIMITER,
    MIRROR,
    SESSIONS,
    SETTINGS,
)
from standardiste.web.campaign_imports import ImportRunner, stop_imports
from standardiste.web.campaign_pages import setup_campaign_pages
from standardiste.web.config_view import ConfigView
from standardiste.web.deps import WebDeps
from standardiste.web.errors import error_middleware
from standardiste.web.figures import day_of
from standardiste.web.live import LiveHub, close_websockets, start_follower, watch_ended_sessions
from standardiste.web.pages import setup_pages
from standardiste.web.ratelimit import LoginLimiter
from standardiste.web.report_pages import setup_report_pages
from standardiste.web.routes import add_api_routes
from standardiste.web.security import csrf_middleware, security_headers, session_middleware
from standardiste.web.sessions import SessionStore


def init_app(deps: WebDeps) -> web.Application:
    settings = deps.web or deps.settings.web
    # Outermost first: errors wrap everything; the session is loaded before CSRF needs it.
    sessions = session_middleware(settings)
    app = web.Application(
        middlewares=[error_middleware, sessions, csrf_middleware],
        client_max_size=settings.max_body_bytes,
    )
    reader = MirrorReader(deps.redis, deps.keys)
    app[DEPS] = deps
    app[SETTINGS] = settings
    app[ACCOUNTS] = Accounts(deps.engine, deps.hasher)
    app[CONFIG] = ConfigView(ConfigStore(deps.engine), deps.redis, deps.keys)
    app[CANNED] = CannedAudioStore(deps.engine)
    app[CAMPAIGNS] = CampaignStore(deps.engine)
    app[IMPORTS] = ImportStore(deps.engine)
    app[IMPORT_RUNNER] = ImportRunner(app[CAMPAIGNS], app[IMPORTS])
    app[LIMITER] = LoginLimiter(
        deps.redis,
        deps.keys,
        max_failures=settings.login_max_failures,
        window=settings.login_window,
        max_per_account=settings.login_max_failures_per_account,
        max_per_address=settings.login_max_failures_per_address,
        trusted_proxies=settings.proxies,
    )
    app[MIRROR] = reader
    app[SESSIONS] = SessionStore(deps.redis, deps.keys, max_age=settings.session_max_age)
    app[HUB] = LiveHub(
        reader,
        clock=deps.clock,
        today=day_of(deps.settings.timezone),
        queue_settings=app[CONFIG].queue_settings,
    )

    add_api_routes(app)  # every JSON route, from the registry the OpenAPI document describes
    setup_pages(app)  # the HTML pages, static files and the history-backed page data
    setup_admin_pages(app)  # the admin section's pages (/admin/...)
    setup_campaign_pages(app)  # a campaign's page, the missed calls (/supervisor/...)
    setup_report_pages(app)  # the reports and the metric definitions (/reports/...)

    app.on_response_prepare.append(security_headers)
    app.on_shutdown.append(close_websockets)
    app.cleanup_ctx.append(start_follower)
    app.cleanup_ctx.append(watch_ended_sessions)  # closes the websockets of ended sessions
    app.cleanup_ctx.append(stop_imports)  # CSV imports still running: cancelled, said so
    return app
