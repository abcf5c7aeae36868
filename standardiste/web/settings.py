"""Typed settings of the web app, derived from :class:`standardiste.config.Settings`.

``config.WebSettings`` only knows ``host`` and ``port`` so far. Every other field here has a
safe default and is read from ``settings.web`` *when that section has it*, so once the
fields are added to ``config.py`` (and so to the TOML file and ``STANDARDISTE_WEB_*``) they
take effect without a change here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from standardiste.config import ConfigError, Network, Settings, parse_networks


@dataclass(frozen=True, slots=True)
class WebAppSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    cookie_name: str = "standardiste_session"
    # Set behind HTTPS (the cookie is then never sent in clear).
    cookie_secure: bool = False
    # Seconds a session lasts after the log-in (server-side: web/sessions.py).
    session_max_age: int = 12 * 3600
    # Extra origins allowed to open the websocket and send state-changing requests, e.g.
    # ``https://cc.example.org`` behind a TLS-terminating proxy. The app's own origin always is.
    allowed_origins: tuple[str, ...] = ()
    login_max_failures: int = 5  # per user name and address
    login_max_failures_per_account: int = 20
    login_max_failures_per_address: int = 50
    login_window: int = 300
    # Proxies whose X-Forwarded-For names the client (web/ratelimit.py).
    trusted_proxies: tuple[Network, ...] = ()
    # Messages a websocket client may have waiting before it is told to resync and dropped.
    ws_buffer: int = 1000
    # A single send blocked longer than this drops the client (its socket is not draining).
    ws_send_timeout: float = 10.0
    ws_heartbeat: float = 25.0
    max_body_bytes: int = 64 * 1024

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> WebAppSettings:
        """Defaults, then whatever ``settings.web`` holds, then ``overrides`` (tests)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if hasattr(settings.web, f.name):
                value = getattr(settings.web, f.name)
                if f.name == "allowed_origins" and isinstance(value, str):
                    value = tuple(o.strip() for o in value.split(",") if o.strip())
                if f.name == "trusted_proxies" and isinstance(value, str):
                    value = parse_networks("web.trusted_proxies", value)
                values[f.name] = value
        return check(replace(cls(**values), **overrides))


def check(web: WebAppSettings) -> WebAppSettings:
    if web.session_max_age < 60:
        raise ConfigError("setting web.session_max_age must be at least 60 seconds")
    if (
        min(web.login_max_failures, web.login_max_failures_per_account, web.login_window) < 1
        or web.login_max_failures_per_address < 1
    ):
        raise ConfigError("settings web.login_max_failures* and web.login_window must be >= 1")
    if web.ws_buffer < 2:
        raise ConfigError("setting web.ws_buffer must be at least 2")
    for origin in web.allowed_origins:
        if not origin.startswith(("http://", "https://")) or origin.endswith("/"):
            raise ConfigError(
                f"setting web.allowed_origins: {origin!r} is not an origin like https://host"
            )
    return web
