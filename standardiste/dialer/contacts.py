"""Contacts' numbers and the outcomes of a dial (pure).

Numbers are stored in E.164 (``+33612345678``), normalised with ``phonenumbers`` (Google's
libphonenumber metadata), so the same person typed three ways is one contact, and a number
no carrier can route is refused at import with a reason instead of failing at dial time.
The dialplan receives the digits without ``+`` (``dial_digits``), checked again by a regex.
"""

from __future__ import annotations

import re
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from standardiste.errors import InvalidInput

E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
REGION_RE = re.compile(r"^[A-Z]{2}$")


class InvalidNumber(InvalidInput):
    """A number that is not a valid phone number; the message says why."""


def normalise_number(raw: object, default_region: str) -> str:
    """``raw`` as E.164. A number without a country code is read in ``default_region``
    (ISO 3166 alpha-2, e.g. ``FR``). Raises :class:`InvalidNumber` naming the problem."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidNumber("number: empty")
    text = raw.strip()
    if len(text) > 32:
        raise InvalidNumber("number: longer than 32 characters")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(
            text, default_region if REGION_RE.fullmatch(default_region) else None
        )
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(
            f"number: {raw!r} is not a phone number ({_parse_reason(exc)})"
        ) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumber(f"number: {raw!r} has the wrong length for its country")
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"number: {raw!r} is not a valid number in its country's plan")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not E164_RE.fullmatch(e164):  # belt and braces: what reaches the dialplan
        raise InvalidNumber(f"number: {raw!r} does not give an E.164 number")
    return e164


def _parse_reason(exc: phonenumbers.NumberParseException) -> str:
    return {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }.get(exc.error_type, "unreadable")


def dial_digits(e164: str) -> str:
    """What the dialplan dials: the E.164 digits without ``+``."""
    if not E164_RE.fullmatch(e164):
        raise InvalidNumber(f"number: {e164!r} is not E.164")
    return e164[1:]


def is_e164(value: object) -> bool:
    return isinstance(value, str) and bool(E164_RE.fullmatch(value))


def timezone_name(value: object, field: str = "timezone") -> str:
    """An IANA time-zone name (``Europe/Paris``), checked against the tz database."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_+/-]{1,64}", value):
        raise InvalidInput(f"{field}: an IANA time zone such as Europe/Paris is expected")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{field}: unknown time zone {value!r}") from None
    return value


def region_timezone(e164: str, fallback: str) -> str:
    """The contact's time zone guessed from the number: the only zone of its region when the
    number maps to one (France, Germany...), else ``fallback`` (the campaign's)."""
    from phonenumbers import timezone as pn_timezone

    zones = pn_timezone.time_zones_for_number(phonenumbers.parse(e164))
    if len(zones) == 1 and zones[0] != "Etc/Unknown":
        return str(zones[0])
    return fallback


class Outcome(StrEnum):
    """How an attempt ended, from the contact's side.

    ``agent_no_answer``: progressive agent-first, the agent did not answer, the contact was
    never dialled (not counted against the contact). ``incomplete`` in the product page's
    words is a contact who did not answer the agent's call: ``no_answer``/``busy``/``failed``.
    ``skipped``: a preview the agent skipped, or an offer withdrawn (agent gone, restart):
    never dialled, not counted.
    ``dropped``: the contact answered and no agent was connected within 2 s (the rule's
    abandoned call). ``unknown``: after a restart nothing said how it ended; counted as an
    attempt and retried by the rules, never re-dialled at once."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    DROPPED = "dropped"
    AGENT_NO_ANSWER = "agent_no_answer"
    SKIPPED = "skipped"  # preview: the agent skipped it, or the offer lapsed (never dialled)
    UNKNOWN = "unknown"


INCOMPLETE = frozenset({Outcome.NO_ANSWER, Outcome.BUSY, Outcome.FAILED})


def outcome_from_dialstatus(status: str) -> Outcome:
    """Asterisk's ``DIALSTATUS`` after dialling the contact (``AGENTNOANSWER``: our
    dialplan's word for an agent-first call the agent did not answer)."""
    return {
        "AGENTNOANSWER": Outcome.AGENT_NO_ANSWER,
        "ANSWER": Outcome.ANSWERED,
        "NOANSWER": Outcome.NO_ANSWER,
        "CANCEL": Outcome.NO_ANSWER,
        "BUSY": Outcome.BUSY,
    }.get(status.upper(), Outcome.FAILED)
