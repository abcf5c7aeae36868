"""Typed keys of the web application's state (``app[KEY]``), in one place so that handlers
and the factory agree on them without importing each other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from standardiste.mirror import MirrorReader
from web.accounts import Accounts
from web.deps import WebDeps
from web.ratelimit import LoginLimiter
from web.sessions import SessionStore
from web.settings import WebAppSettings

if TYPE_CHECKING:
    from web.live import LiveHub

DEPS = web.AppKey("deps", WebDeps)
SETTINGS = web.AppKey("web_settings", WebAppSettings)
ACCOUNTS = web.AppKey("accounts", Accounts)
LIMITER = web.AppKey("login_limiter", LoginLimiter)
MIRROR = web.AppKey("mirror_reader", MirrorReader)
SESSIONS = web.AppKey("sessions", SessionStore)
HUB: web.AppKey[LiveHub] = web.AppKey("live_hub")
