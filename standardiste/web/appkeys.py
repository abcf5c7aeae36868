"""Typed keys of the web application's state (``app[KEY]``), in one place so that handlers
and the factory agree on them without importing each other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from standardiste.accounts import Accounts
from standardiste.config import WebSettings
from standardiste.mirror import MirrorReader
from standardiste.outbound.imports import ImportStore
from standardiste.outbound.store import CampaignStore
from standardiste.pbx.canned_audio import CannedAudioStore
from standardiste.web.config_view import ConfigView
from standardiste.web.deps import WebDeps
from standardiste.web.ratelimit import LoginLimiter
from standardiste.web.sessions import SessionStore

if TYPE_CHECKING:
    from standardiste.web.campaign_imports import ImportRunner
    from standardiste.web.live import LiveHub

DEPS = web.AppKey("deps", WebDeps)
SETTINGS = web.AppKey("web_settings", WebSettings)
ACCOUNTS = web.AppKey("accounts", Accounts)
LIMITER = web.AppKey("login_limiter", LoginLimiter)
MIRROR = web.AppKey("mirror_reader", MirrorReader)
SESSIONS = web.AppKey("sessions", SessionStore)
HUB: web.AppKey[LiveHub] = web.AppKey("live_hub")
CONFIG = web.AppKey("config_view", ConfigView)
CANNED = web.AppKey("canned_audio", CannedAudioStore)
CAMPAIGNS = web.AppKey("campaigns", CampaignStore)
IMPORTS = web.AppKey("contact_imports", ImportStore)
IMPORT_RUNNER: web.AppKey[ImportRunner] = web.AppKey("import_runner")
