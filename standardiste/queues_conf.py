"""The queue settings app_queue uses for wrap-up, read from the queues.conf Asterisk runs with.

Why a file: no AMI action reports a queue's ``wrapuptime`` or ``shared_lastcall`` to a user
without the ``config`` class (checked in Asterisk 22's app_queue.c: QueueStatus' QueueParams
and QueueSummary do not carry them; only a member's *own* wrap-up time is in QueueMember and
QueueMemberStatus, as ``Wrapuptime``; the CLI's ``queue show`` needs ``command``). The bridge's
AMI user is kept without ``config`` and ``command`` on purpose, so the bridge reads the file
that Asterisk reads (setting ``ami.queues_conf``; by default the sandbox root's
``etc/asterisk/queues.conf``), with its includes: the queues the admin manages are in the
generated ``standardiste/queues.conf`` beside it.

Only what the model needs is read: each queue's ``wrapuptime`` (with template inheritance,
``[name](template,...)`` and ``[name](+)``) and ``shared_lastcall`` from ``[general]``,
following ``#include``/``#tryinclude`` relative to the main file's directory (Asterisk resolves
them against its config directory, which is where the main file lives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

_SECTION = re.compile(r"^\[([^\]]+)\]\s*(?:\(([^)]*)\))?\s*$")
_INCLUDE = re.compile(r'^#(try)?include\s+"?([^"]+?)"?\s*$')
_MAX_DEPTH = 8


@dataclass(frozen=True)
class QueueTimings:
    """Per-queue ``wrapuptime`` (s) and the ``shared_lastcall`` option."""

    wrapup: dict[str, float] = field(default_factory=dict)
    shared_lastcall: bool = False


def _true(value: str) -> bool:
    """Asterisk's ast_true."""
    return value.strip().lower() in {"yes", "true", "y", "t", "1", "on"}


def _lines(path: Path, base: Path, depth: int = 0) -> list[str]:
    """The file's meaningful lines, includes expanded, comments removed."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"{path}: #include nested more than {_MAX_DEPTH} deep")
    out: list[str] = []
    in_block = False
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw
        if in_block:  # ;-- block comment --;
            end = line.find("--;")
            if end < 0:
                continue
            line, in_block = line[end + 3 :], False
        start = line.find(";--")
        if start >= 0:
            end = line.find("--;", start + 3)
            if end < 0:
                line, in_block = line[:start], True
            else:
                line = line[:start] + line[end + 3 :]
        line = re.sub(r"(?<!\\);.*", "", line).strip()
        if not line:
            continue
        match = _INCLUDE.match(line)
        if match:
            target = Path(match.group(2))
            target = target if target.is_absolute() else base / target
            if target.is_file():
                out.extend(_lines(target, base, depth + 1))
            elif not match.group(1):
                log.warning("queues_conf.include_missing", file=str(target))
            continue
        out.append(line)
    return out


def parse(path: Path) -> QueueTimings:
    """Read ``path`` (raises OSError when it cannot be read)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    templates: set[str] = set()
    current: list[tuple[str, str]] | None = None
    for line in _lines(path, path.parent):
        match = _SECTION.match(line)
        if match:
            name = match.group(1).strip()
            options = [o.strip() for o in (match.group(2) or "").split(",") if o.strip()]
            if "+" in options and name in sections:  # [name](+): adds to the category
                current = sections[name]
                continue
            current = sections[name] = []
            for option in options:
                if option == "!":
                    templates.add(name)
                elif option != "+":
                    current.extend(sections.get(option, []))
            continue
        if current is None or "=" not in line:
            continue
        key, _, value = line.partition("=")
        current.append((key.strip().lower(), value.lstrip(">").strip()))

    general = dict(sections.get("general", []))
    wrapup: dict[str, float] = {}
    for name, values in sections.items():
        if name == "general" or name in templates:
            continue
        seconds = 0.0
        for key, value in values:  # the last assignment wins, as app_queue reads them
            if key == "wrapuptime":
                try:
                    seconds = max(0.0, float(int(value)))
                except ValueError:
                    log.warning("queues_conf.bad_wrapuptime", queue=name, value=value)
        wrapup[name] = seconds
    return QueueTimings(wrapup, _true(general.get("shared_lastcall", "no")))


def read(path: Path) -> QueueTimings:
    """``parse(path)``, or no wrap-up at all (logged) when the file cannot be read: the
    bridge must start anyway; members then go from a call straight to ready."""
    try:
        timings = parse(path)
    except (OSError, ValueError) as exc:
        log.warning("queues_conf.unreadable", path=str(path), error=str(exc))
        return QueueTimings()
    log.info(
        "queues_conf.read",
        path=str(path),
        queues=len(timings.wrapup),
        shared_lastcall=timings.shared_lastcall,
    )
    return timings
