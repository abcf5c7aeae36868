"""The names the PBX accepts: one definition for the web, the accounts and the AMI commands.

Two kinds of text reach Asterisk, and they are treated differently:

- **Identifiers** (queue names, interfaces, dialplan contexts and extensions, pause reasons)
  end up in dialplan arguments, channel names or ``queue_log`` fields, where a comma, a
  parenthesis, ``$``, ``|`` or a line break changes what Asterisk does. They are matched
  against a strict allow-list and refused otherwise.
- **Display names** (a member's name, a caller's name) are only shown. Refusing them would
  lock out real people ("Anne-Marie (nuit)", "O'Brien"), so they are *sanitised* instead:
  control characters (CR/LF included: AMI header injection) and line separators turned
  into spaces,
  ``|`` (the ``queue_log`` field separator, where Asterisk writes the member name) replaced,
  whitespace trimmed, length capped. Escaping for HTML is the templates' job.

This module is pure (no I/O) so that ``ami_bridge``, the core and ``web`` can all import it
without importing each other.
"""

from __future__ import annotations

import re
import unicodedata

# Matched with fullmatch(): "$" alone lets a trailing "\n" through.
# technology/resource: PJSIP/agent1001, Local/100@agents, ...
INTERFACE_RE = re.compile(r"^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@+-]{1,64}$")
# A queue is a queues.conf section and an argument of Queue(): no commas, parentheses, $,
# spaces or "|". Dots are harmless there ("sales.fr").
QUEUE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# Dialplan context and extension names (Originate): the same, plus what extensions may hold.
DIALPLAN_RE = re.compile(r"^[A-Za-z0-9_+*#-]{1,64}$")
# A queue's extension: the digits a caller dials (read back by the dialplan with AST_CONFIG).
EXTENSION_RE = re.compile(r"^[0-9]{2,20}$")
# Names the admin gives to what the product creates: its queues (Asterisk names), skills,
# pause reason codes. Lower case, no dot: a queue name, a section name and a queue rule's name.
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Pause reasons come from a configured list; they are written to queue_log, so no "|".
REASON_RE = re.compile(r"^[\w .,'-]{0,64}$")
# A CallerID header is parsed by Asterisk ("name" <number>): no quotes or angle brackets.
CALLER_ID_RE = REASON_RE

DISPLAY_MAX = 64
# Cc: control characters (CR, LF, NUL, ESC...); Zl/Zp: line and paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def is_interface(value: object) -> bool:
    return isinstance(value, str) and INTERFACE_RE.fullmatch(value) is not None


def is_queue(value: object) -> bool:
    return isinstance(value, str) and QUEUE_RE.fullmatch(value) is not None


def is_dialplan_name(value: object) -> bool:
    return isinstance(value, str) and DIALPLAN_RE.fullmatch(value) is not None


def is_reason(value: object) -> bool:
    return isinstance(value, str) and REASON_RE.fullmatch(value) is not None


def display_name(value: str, max_len: int = DISPLAY_MAX) -> str:
    """``value`` made safe to send to Asterisk and to show: never refused, only cleaned."""
    if value.isprintable() and "|" not in value and "  " not in value and len(value) <= max_len:
        return value.strip()  # the usual case, without a pass per character
    spaced = "".join(" " if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch for ch in value)
    # Runs of whitespace (what the control characters became included) collapse to one space.
    return " ".join(spaced.replace("|", "/").split())[:max_len].strip()


__all__ = [
    "CALLER_ID_RE",
    "DIALPLAN_RE",
    "DISPLAY_MAX",
    "EXTENSION_RE",
    "INTERFACE_RE",
    "QUEUE_RE",
    "REASON_RE",
    "SLUG_RE",
    "display_name",
    "is_dialplan_name",
    "is_interface",
    "is_queue",
    "is_reason",
]
