"""The UI's languages (BY-7): both catalogs complete and consistent, language negotiation,
dates in the user's language and time zone."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from standardiste.history.models import QUEUE_OUTCOMES
from standardiste.web.i18n import (
    LANGUAGES,
    LOCALES_DIR,
    catalog,
    choose_language,
    negotiate,
    placeholders,
    translator,
)

WEB = Path(__file__).resolve().parents[2] / "standardiste" / "web"


def test_both_catalogs_have_the_same_keys() -> None:
    en, fr = catalog("en"), catalog("fr")
    assert sorted(set(en) - set(fr)) == [], "missing in French"
    assert sorted(set(fr) - set(en)) == [], "missing in English"


def test_translations_use_the_same_placeholders_and_are_not_empty() -> None:
    en, fr = catalog("en"), catalog("fr")
    for key in en:
        assert en[key].strip() and fr[key].strip(), key
        assert placeholders(en[key]) == placeholders(fr[key]), key


def test_catalog_files_have_no_duplicate_keys() -> None:
    for lang in LANGUAGES:
        pairs = json.loads(
            (LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"),
            object_pairs_hook=lambda items: [k for k, _ in items],
        )
        assert len(pairs) == len(set(pairs)), lang


def test_french_is_french() -> None:
    fr = catalog("fr")
    assert fr["sv.title"] == "Vue en temps réel"
    assert fr["presence.paused"] == "En pause"
    # French typography: a non-breaking space before the colon.
    assert "\u00a0:" in fr["punct.colon"]
    # Nothing left in English by mistake (same text is fine for a few true cognates).
    same = {k for k in fr if fr[k] == catalog("en")[k]}
    assert same <= {"app.name", "agent.name", "sv.agents", "agent.actions", "caller.position",
                    "role.agent", "date.long", "date.short", "admin.spylog.agent",
                    "admin.spylog.mode", "campaign.status.active", "campaign.status.inactive",
                    "cd.contacts", "cd.tab_contacts", "cd.tab_agents", "rp.f.agents", "rp.total",
                    "rp.c.contacts", "metric.utilisation"}, same  # fmt: skip


def _keys_used() -> set[str]:
    """Every literal key the templates and modules ask for."""
    used: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("static/js/*.js")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.-]+)["']""", text))
    return used


def test_every_key_used_exists() -> None:
    missing = sorted(_keys_used() - set(catalog("en")))
    assert missing == []


def test_dynamic_key_families_are_complete() -> None:
    en = catalog("en")
    for family, names in {
        "presence": ["ready", "in_call", "ringing", "wrapup", "paused", "unavailable",
                     "logged_out"],
        "live": ["connecting", "live", "reconnecting", "ended"],
        "outcome": [*QUEUE_OUTCOMES, "waiting"],  # the history's, and a caller still there
        "action": ["login", "logout", "pause", "resume"],
        "ag": ["login", "logout", "pause", "resume"],
        "admin.spylog.events": ["start", "mode", "end"],
        "admin.spylog.modes": ["listen", "whisper", "barge"],
    }.items():  # fmt: skip
        for name in names:
            assert f"{family}.{name}" in en, f"{family}.{name}"
    from standardiste.web.errors import STATUS_BY_CODE

    for code in STATUS_BY_CODE:
        assert f"error.{code}" in en, code


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-GB,en;q=0.9,fr;q=0.8", "en"),
        ("de-DE,fr;q=0.5,en;q=0.3", "fr"),
        ("de-DE", "en"),
        ("fr;q=0, en", "en"),
        ("FR-ca", "fr"),
        ("en;q=0.5, fr;q=0.5", "en"),  # a tie: the first listed
        ("fr;q=abc, en;q=0.1", "en"),
    ],
)
def test_accept_language(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_the_users_choice_beats_the_browser() -> None:
    assert choose_language("fr", "en-US") == "fr"
    assert choose_language("", "fr-FR") == "fr"
    assert choose_language(None, None) == "en"


def test_dates_in_each_language() -> None:
    day = date(2025, 11, 24)
    assert translator("en", "UTC").long_date(day) == "Monday 24 November 2025"
    assert translator("fr", "UTC").long_date(day) == "lundi 24 novembre 2025"
    assert translator("fr", "UTC").short_date(day) == "lun. 24/11"


def test_times_are_in_the_users_time_zone() -> None:
    instant = 1_763_996_400.0  # 2025-11-24 15:00 UTC
    assert translator("en", "UTC").instant(instant) == "24 November 2025, 15:00"
    assert translator("fr", "Europe/Paris").instant(instant) == "24 novembre 2025 à 16:00"
    # Near midnight the user's day is not UTC's.
    late = 1_764_026_000.0  # 2025-11-24 23:13 UTC
    assert translator("en", "Asia/Tokyo").today(late) == date(2025, 11, 25)


def test_unknown_time_zone_falls_back_to_the_contact_centers() -> None:
    t = translator("en", "Not/AZone", "Europe/Paris")
    assert str(t.tz) == "Europe/Paris"
    assert str(translator("en", "", "").tz) == "UTC"


def test_missing_key_shows_itself_and_params_fill_in() -> None:
    t = translator("fr", "UTC")
    assert t("no.such.key") == "no.such.key"
    assert t("figure.n_waiting", n=3) == "3 en attente"
    assert t.maybe("reason.lunch", "lunch") == "Déjeuner"
    assert t.maybe("reason.custom", "custom") == "custom"


def test_time_zones_a_user_may_choose() -> None:
    from standardiste.web.i18n import is_time_zone, zone_choices

    assert is_time_zone("Europe/Paris") and is_time_zone("UTC") and is_time_zone("US/Eastern")
    for bad in ("", "localtime", "Factory", "europe/paris", "Mars/Base", "../etc/passwd"):
        assert not is_time_zone(bad), bad
    menu = zone_choices("Europe/Paris")
    assert menu[0] == "Europe/Paris" and len(menu) == len(set(menu)) > 300
    assert menu[1:-1] == sorted(menu[1:-1]) and menu[-1] == "UTC"
    assert all(is_time_zone(z) for z in menu)
    # An older name the user already has comes first; it is not offered otherwise.
    assert zone_choices("US/Eastern")[0] == "US/Eastern"
    assert "US/Eastern" not in zone_choices("Europe/Paris")
