"""The user interface's languages (BY-7): catalogs, language choice and date formatting.

Every string of the pages lives in ``web/locales/<lang>.json``, one flat object of
``"dotted.key": "text with {placeholders}"``; English and French have the same keys (a unit
test holds them to it). The language is the user's own setting, or, when they left it to the
browser (or are not logged in yet), the best match of the ``Accept-Language`` header.

Dates a page renders on the server are formatted here, in the user's time zone, with the
catalog's day and month names: no locale database (Babel, the C library's locales) to install
or to disagree between machines. Live figures are formatted by the browser from epoch seconds.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path
from string import Formatter

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).with_name("locales")
# Keys that zoneinfo lists but no one should choose: the machine's own link and tzdata's
# placeholder zone.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
# The areas of the IANA database's geographic zones: what the time zone menu lists (the
# older names, US/Eastern or EST5EDT, are still accepted, never offered).
_AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/",
          "Australia/", "Europe/", "Indian/", "Pacific/")  # fmt: skip


class CatalogError(ValueError):
    """A catalog file is missing, malformed, or uses a placeholder the other does not."""


@cache
def catalog(lang: str) -> Mapping[str, str]:
    """The strings of ``lang`` (one of LANGUAGES), read once per process."""
    if lang not in LANGUAGES:
        raise CatalogError(f"no catalog for language {lang!r}")
    path = LOCALES_DIR / f"{lang}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise CatalogError(f"{path}: must be one object of strings")
    return data


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` fields of a catalog string."""
    return frozenset(name for _, name, _, _ in Formatter().parse(text) if name)


def negotiate(accept_language: str | None) -> str:
    """The best of LANGUAGES for an ``Accept-Language`` header (RFC 9110 quality values)."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # Equal weights: the first listed wins (a tiny penalty by position keeps it stable).
        weighted = q - position * 1e-6
        if q > 0 and weighted > best_q:
            best, best_q = primary, weighted
    return best


def choose_language(user_language: str | None, accept_language: str | None) -> str:
    """The user's own language if they chose one, else what their browser asks for."""
    if user_language in LANGUAGES:
        return str(user_language)
    return negotiate(accept_language)


def zone(name: str, fallback: str = "UTC") -> tzinfo:
    """A time zone by name; ``fallback`` when ``name`` is empty or unknown."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    raise AssertionError("UTC is always known")  # pragma: no cover


@cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone key a user may choose (the machine's tz database)."""
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES)


def is_time_zone(name: str) -> bool:
    return name in time_zones()


@cache
def _menu_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in time_zones() if z.startswith(_AREAS))) + ("UTC",)


def zone_choices(current: str) -> list[str]:
    """The time zone menu: ``current`` first, then the geographic zones A-Z, then UTC."""
    return [current, *(z for z in _menu_zones() if z != current)]


@dataclass(frozen=True, slots=True)
class Translator:
    """Strings and dates in one language and time zone: what a template calls ``t``."""

    lang: str
    tz: tzinfo

    @property
    def strings(self) -> Mapping[str, str]:
        return catalog(self.lang)

    def __call__(self, key: str, **params: object) -> str:
        """The string for ``key``; a missing key shows as itself (visible, never a crash)."""
        text = self.strings.get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
        return text.format(**params) if params else text

    def maybe(self, key: str, default: str) -> str:
        """The string for ``key`` if the catalog has one (e.g. a configurable pause reason)."""
        return self.strings.get(key, default)

    def label(self, prefix: str, value: object) -> str:
        """The string of the key ``prefix.value`` (a strategy, a role, a permission...), or
        the value itself: what the modules' ``i18n.label`` does."""
        return self.maybe(f"{prefix}.{value}", str(value))

    def weekday(self, day: date) -> str:
        return self(f"date.weekday.{day.weekday()}")

    def long_date(self, day: date) -> str:
        """``Monday 24 November 2025`` / ``lundi 24 novembre 2025``."""
        return self(
            "date.long",
            weekday=self.weekday(day),
            day=day.day,
            month=self(f"date.month.{day.month}"),
            year=day.year,
        )

    def short_date(self, day: date) -> str:
        """``Mon 24/11`` style labels of the week table, in the catalog's order."""
        return self(
            "date.short",
            weekday=self(f"date.weekday_short.{day.weekday()}"),
            day=f"{day.day:02d}",
            month=f"{day.month:02d}",
        )

    def instant(self, epoch: float) -> str:
        """An instant in the user's time zone: ``24 November 2025, 14:05``."""
        local = datetime.fromtimestamp(epoch, self.tz)
        return self(
            "date.datetime",
            day=local.day,
            month=self(f"date.month.{local.month}"),
            year=local.year,
            time=f"{local.hour:02d}:{local.minute:02d}",
        )

    def today(self, now: float) -> date:
        """Today's date in the user's time zone."""
        return datetime.fromtimestamp(now, self.tz).date()


def translator(lang: str, tz_name: str, fallback_tz: str = "UTC") -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANGUAGE, zone(tz_name, fallback_tz))


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "CatalogError",
    "Translator",
    "catalog",
    "choose_language",
    "is_time_zone",
    "negotiate",
    "placeholders",
    "time_zones",
    "translator",
    "zone",
    "zone_choices",
]
