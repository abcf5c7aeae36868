"""Typed configuration: defaults, then a TOML file, then ``STANDARDISTE_*`` variables.

Every setting has a dotted name (``ami.port``) and an environment variable
(``STANDARDISTE_AMI_PORT``). A bad value stops start-up with a :class:`ConfigError`
that names the setting and where the value came from.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "STANDARDISTE_"
CONFIG_FILE_ENV = "STANDARDISTE_CONFIG"


class ConfigError(ValueError):
    """A setting is missing, unknown or has a value of the wrong kind."""


@dataclass(frozen=True)
class AmiSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "standardiste"
    secret: str = "standardiste-sandbox"
    ping_interval: float = 5.0
    ping_timeout: float = 3.0
    backoff_min: float = 0.5
    backoff_max: float = 30.0
    event_queue_size: int = 10000
    # The queues.conf Asterisk runs with, read for the queues' wrapuptime and shared_lastcall
    # (no AMI action reports them without the "config" class; see standardiste/queues_conf.py),
    # with its includes (the generated standardiste/queues.conf). None: the sandbox root's.
    queues_conf: Path | None = None

    def queues_conf_path(self, sandbox: SandboxSettings) -> Path:
        return self.queues_conf or sandbox.root / "etc/asterisk/queues.conf"


@dataclass(frozen=True)
class RedisSettings:
    url: str = "redis://127.0.0.1:6379/0"
    prefix: str = "std:"
    stream_maxlen: int = 10000


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///var/standardiste.sqlite3"
    buffer_path: Path = Path("var/history-buffer.jsonl")
    buffer_max_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class AsteriskSettings:
    # Asterisk's queue_log file, read to fill the history's gaps after a bridge restart or an
    # AMI outage (the bridge runs beside Asterisk). None: the sandbox root's.
    queue_log_path: Path | None = None
    queue_log_enabled: bool = True
    queue_log_interval: float = 10.0  # seconds between passes while running
    # Where the bridge writes the Asterisk files generated from the admin's configuration
    # (queues.conf, queuerules.conf, routes.conf), #included by the PBX's own files. None:
    # the sandbox root's etc/asterisk/standardiste (a deployment: /etc/asterisk/standardiste).
    generated_dir: Path | None = None
    # Queue() options of every managed queue: "r" rings the caller instead of music on hold
    # (the sandbox has no MOH files); "" plays music on hold. Letters only.
    queue_options: str = "r"
    # Where Asterisk's MixMonitor writes queue recordings (its monitor directory); the
    # product's files are in its standardiste/ folder. None: the sandbox root's.
    recordings_dir: Path | None = None
    recording_retention_days: int = 90  # recordings older than this are deleted (0: never)
    # Asterisk's sounds directory (its astdatadir's sounds/): the bridge writes the canned
    # audio messages into its standardiste/canned/ folder, which our dialplan plays from.
    # None: the sandbox root's (a Debian deployment: /usr/share/asterisk/sounds).
    sounds_dir: Path | None = None

    def generated(self, sandbox: SandboxSettings) -> Path:
        return self.generated_dir or sandbox.root / "etc/asterisk/standardiste"

    def sounds(self, sandbox: SandboxSettings) -> Path:
        return self.sounds_dir or sandbox.root / "usr/share/asterisk/sounds"

    def recordings(self, sandbox: SandboxSettings) -> Path:
        return self.recordings_dir or sandbox.root / "var/spool/asterisk/monitor"


@dataclass(frozen=True)
class CallbackSettings:
    """Callbacks that keep the caller's place (BY-1): the FastAGI server the dialplan asks
    (standardiste/agi_scripts/, in the bridge process) and how callers' numbers are read.
    Per-queue settings (key, offer threshold, expiry) are the admin's, in each queue."""

    # Where the bridge serves the FastAGI scripts; the generated routes.conf tells the
    # dialplan agi://<agi_host>:<agi_port>. FastAGI has no authentication: loopback, and
    # only the addresses of agi_allowed (Asterisk's) may connect.
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    agi_allowed: str = "127.0.0.1"  # comma-separated addresses or CIDRs
    # A caller number without a country code is read in this country (ISO 3166 alpha-2).
    default_region: str = "FR"

    @property
    def agi_url(self) -> str:
        host = f"[{self.agi_host}]" if ":" in self.agi_host else self.agi_host
        return f"agi://{host}:{self.agi_port}"

    @property
    def allowed(self) -> tuple[Network, ...]:
        return parse_networks("callbacks.agi_allowed", self.agi_allowed)


@dataclass(frozen=True)
class SandboxSettings:
    cache_dir: Path = Path.home() / ".cache" / "standardiste"
    mirror: str = "http://deb.debian.org/debian"
    suite: str = "sid"
    # The checkout's config/asterisk/, wherever the command is run from.
    config_dir: Path = Path(__file__).resolve().parents[1] / "config" / "asterisk"

    @property
    def root(self) -> Path:
        """Where the sandbox's Asterisk root is kept (``standardiste.tools.sandbox``)."""
        return self.cache_dir.expanduser().resolve() / "asterisk-root"


@dataclass(frozen=True)
class WebSettings:
    """Every setting of the web process (one tree: the web reads this, nothing else)."""

    host: str = "127.0.0.1"
    port: int = 8080
    cookie_name: str = "standardiste_session"
    cookie_secure: bool = False  # set behind HTTPS
    # Seconds a session lasts after the log-in (server-side: web/sessions.py).
    session_max_age: int = 12 * 3600
    # Extra origins allowed for the websocket and state-changing requests, comma-separated,
    # e.g. ``https://cc.example.org`` behind a TLS-terminating proxy (the app's own always is).
    allowed_origins: str = ""
    login_max_failures: int = 5  # per user name and address
    login_max_failures_per_account: int = 20  # per user name, from any address
    login_max_failures_per_address: int = 50  # per address, for any user name
    login_window: int = 300
    # Proxies whose X-Forwarded-For is believed, comma-separated addresses or CIDRs.
    trusted_proxies: str = ""
    # Messages a websocket client may have waiting before it is told to resync and dropped.
    ws_buffer: int = 1000
    # A single send blocked longer than this drops the client (its socket is not draining).
    ws_send_timeout: float = 10.0
    ws_heartbeat: float = 25.0
    max_body_bytes: int = 64 * 1024
    # Seconds a web request waits for the bridge to run an agent action (then 504).
    command_timeout: float = 10.0
    # Bearer token for /metrics; empty: /metrics answers loopback clients only.
    metrics_token: str = ""

    @property
    def origins(self) -> tuple[str, ...]:
        """``allowed_origins`` as a tuple."""
        return tuple(o.strip() for o in self.allowed_origins.split(",") if o.strip())

    @property
    def proxies(self) -> tuple[Network, ...]:
        """``trusted_proxies`` parsed (checked at load: see ``validate``)."""
        return parse_networks("web.trusted_proxies", self.trusted_proxies)


@dataclass(frozen=True)
class Settings:
    ami: AmiSettings = field(default_factory=AmiSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    asterisk: AsteriskSettings = field(default_factory=AsteriskSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    web: WebSettings = field(default_factory=WebSettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    timezone: str = "UTC"
    log_level: str = "info"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(setting: str, value: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.0.2.7"`` -> networks; a ConfigError naming ``setting`` otherwise."""
    networks: list[Network] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"setting {setting}: {part!r} is not an address or CIDR") from None
    return tuple(networks)


def _coerce(name: str, kind: Any, value: Any, source: str) -> Any:
    """Turn a TOML or environment value into ``kind`` or raise a ConfigError naming it."""
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if kind is int:
            if isinstance(value, bool):
                raise ValueError("expected an integer")
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError("expected a number")
            return float(value)
        if kind is Path:
            return Path(str(value)).expanduser()
        if kind is str:
            if not isinstance(value, str | int | float):
                raise ValueError("expected a string")
            return str(value)
    except ValueError as exc:
        raise ConfigError(f"setting {name} from {source}: {value!r} is invalid ({exc})") from None
    raise ConfigError(f"setting {name}: unsupported type {kind!r}")  # pragma: no cover


def _section_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def _apply(obj: Any, values: Mapping[str, Any], prefix: str, source: str) -> Any:
    kinds = _section_types(type(obj))
    changes: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if key not in kinds:
            raise ConfigError(f"unknown setting {name} in {source}")
        kind = kinds[key]
        if isinstance(kind, type) and hasattr(kind, "__dataclass_fields__"):
            if not isinstance(value, Mapping):
                raise ConfigError(f"setting {name} in {source} must be a table")
            changes[key] = _apply(getattr(obj, key), value, f"{name}.", source)
        else:
            if isinstance(kind, types.UnionType):  # an optional setting: its type
                kind = typing.get_args(kind)[0]
            changes[key] = _coerce(name, kind, value, source)
    return replace(obj, **changes)


def _env_values(env: Mapping[str, str]) -> dict[str, Any]:
    """Map ``STANDARDISTE_AMI_PORT=5038`` to ``{"ami": {"port": "5038"}}``."""
    sections = _section_types(Settings)
    out: dict[str, Any] = {}
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX) or var == CONFIG_FILE_ENV:
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        for section, kind in sections.items():
            if hasattr(kind, "__dataclass_fields__") and rest.startswith(section + "_"):
                out.setdefault(section, {})[rest[len(section) + 1 :]] = value
                break
        else:
            out[rest] = value
    return out


def validate(settings: Settings) -> Settings:
    """Checks that types alone cannot express."""
    if not 0 < settings.ami.port < 65536:
        raise ConfigError(f"setting ami.port: {settings.ami.port} is not a TCP port")
    if not 0 < settings.web.port < 65536:
        raise ConfigError(f"setting web.port: {settings.web.port} is not a TCP port")
    if settings.ami.ping_timeout <= 0 or settings.ami.ping_interval <= 0:
        raise ConfigError("settings ami.ping_interval and ami.ping_timeout must be positive")
    if settings.ami.backoff_min <= 0 or settings.ami.backoff_max < settings.ami.backoff_min:
        raise ConfigError("settings ami.backoff_min/backoff_max: need 0 < min <= max")
    if settings.ami.event_queue_size < 100:
        raise ConfigError("setting ami.event_queue_size must be at least 100")
    if not settings.redis.url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"setting redis.url: {settings.redis.url!r} is not a redis:// URL")
    if "+" not in settings.database.url.split("://", 1)[0]:
        raise ConfigError(
            f"setting database.url: {settings.database.url!r} needs an async driver, "
            "e.g. sqlite+aiosqlite:///file or postgresql+asyncpg://host/db"
        )
    if not 1.0 <= settings.web.command_timeout <= 60.0:
        raise ConfigError("setting web.command_timeout must be between 1 and 60 seconds")
    if not re.fullmatch(r"[A-Za-z]{0,8}", settings.asterisk.queue_options):
        raise ConfigError("setting asterisk.queue_options: letters only (Queue() options)")
    if settings.asterisk.recording_retention_days < 0:
        raise ConfigError("setting asterisk.recording_retention_days must be >= 0")
    if settings.asterisk.queue_log_interval <= 0:
        raise ConfigError("setting asterisk.queue_log_interval must be positive")
    check_web(settings.web)
    check_callbacks(settings.callbacks)
    if settings.log_level not in {"debug", "info", "warning", "error"}:
        raise ConfigError(f"setting log_level: {settings.log_level!r} is not a log level")
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(settings.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"setting timezone: {settings.timezone!r} is not a time zone") from None
    return settings


def load(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file (``path`` or ``$STANDARDISTE_CONFIG``), then the environment."""
    env = os.environ if env is None else env
    settings = Settings()
    if path is None and env.get(CONFIG_FILE_ENV):
        path = Path(env[CONFIG_FILE_ENV])
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: {exc}") from None
        settings = _apply(settings, data, "", str(path))
    settings = _apply(settings, _env_values(env), "", "environment (STANDARDISTE_*)")
    return validate(settings)


def shown_url(url: str) -> str:
    """``url`` fit for a log or a terminal: its password replaced by ``***``."""
    return re.sub(r"(//[^/@:]*:)[^@/]*@", r"\1***@", url)


def to_env(settings: Settings) -> dict[str, str]:
    """``settings`` as ``STANDARDISTE_*`` variables: what ``load`` reads back as the same
    settings (how a parent process, the demo, configures the processes it starts)."""
    out: dict[str, str] = {}

    def walk(obj: Any, prefix: str) -> None:
        for f in fields(obj):
            value = getattr(obj, f.name)
            if hasattr(value, "__dataclass_fields__"):
                walk(value, f"{prefix}{f.name.upper()}_")
            elif value is None:  # an optional setting left to its default
                continue
            elif isinstance(value, bool):
                out[f"{prefix}{f.name.upper()}"] = "true" if value else "false"
            else:
                out[f"{prefix}{f.name.upper()}"] = str(value)

    walk(settings, ENV_PREFIX)
    return out


def check_callbacks(callbacks: CallbackSettings) -> CallbackSettings:
    """The callbacks section's rules that types alone cannot express."""
    if not 0 < callbacks.agi_port < 65536:
        raise ConfigError(f"setting callbacks.agi_port: {callbacks.agi_port} is not a TCP port")
    try:
        ipaddress.ip_address(callbacks.agi_host)
    except ValueError:
        raise ConfigError(
            f"setting callbacks.agi_host: {callbacks.agi_host!r} is not an IP address"
        ) from None
    if not callbacks.allowed:
        raise ConfigError("setting callbacks.agi_allowed: at least one address (Asterisk's)")
    if not re.fullmatch(r"[A-Z]{2}", callbacks.default_region):
        raise ConfigError(
            f"setting callbacks.default_region: {callbacks.default_region!r} is not a "
            "two-letter country code such as FR"
        )
    return callbacks


def check_web(web: WebSettings) -> WebSettings:
    """The web section's rules that types alone cannot express."""
    parse_networks("web.trusted_proxies", web.trusted_proxies)
    if web.session_max_age < 60:
        raise ConfigError("setting web.session_max_age must be at least 60 seconds")
    if (
        min(web.login_max_failures, web.login_max_failures_per_account, web.login_window) < 1
        or web.login_max_failures_per_address < 1
    ):
        raise ConfigError("settings web.login_max_failures* and web.login_window must be >= 1")
    if web.ws_buffer < 2:
        raise ConfigError("setting web.ws_buffer must be at least 2")
    for origin in web.origins:
        if not origin.startswith(("http://", "https://")) or origin.endswith("/"):
            raise ConfigError(
                f"setting web.allowed_origins: {origin!r} is not an origin like https://host"
            )
    return web
