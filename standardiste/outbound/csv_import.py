"""Reading a contacts CSV (CD-5) and a do-not-call CSV: pure, no I/O.

What people upload is what spreadsheets save: UTF-8 with or without a byte-order mark, ``;``
(French Excel) or ``,`` between fields, a header line in English or French or none at all.
:func:`read_table` decodes the file and finds its columns — what is wrong with the file as a
whole (not UTF-8, no number column, too many rows) is an ``InvalidInput`` naming the line —,
then :class:`RowChecker` checks each row on its own: every problem is a :class:`RowError`
with the line, the column and the reason, never a stop. A number already in the file is a
duplicate of the line that had it first. What needs the database (numbers on a do-not-call
list, already pending in the campaign) is found when the rows are inserted
(:mod:`standardiste.outbound.imports`), and reported the same way.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from standardiste.acd.names import display_name
from standardiste.dialer.contacts import (
    InvalidNumber,
    normalise_number,
    region_timezone,
    timezone_name,
)
from standardiste.errors import InvalidInput

MAX_ROWS = 50_000
MAX_BYTES = 8 * 1024 * 1024  # 50,000 rows of a name, a number and a zone fit in ~4 MB
FIELDS = ("name", "number", "timezone")
MAX_VALUE_SHOWN = 40

# Header names, compared without case, accents, spaces, dashes or underscores.
_HEADERS: dict[str, frozenset[str]] = {
    "name": frozenset(
        {
            "name",
            "fullname",
            "contact",
            "contactname",
            "customer",
            "client",
            "nom",
            "nomcomplet",
            "prenomnom",
            "nomprenom",
            "raisonsociale",
            "societe",
            "company",
        }
    ),  # fmt: skip
    "number": frozenset(
        {
            "number",
            "phone",
            "phonenumber",
            "telephone",
            "telephonenumber",
            "tel",
            "mobile",
            "cell",
            "msisdn",
            "numero",
            "numerodetelephone",
            "portable",
            "numerotelephone",
            "e164",
        }
    ),  # fmt: skip
    "timezone": frozenset({"timezone", "tz", "zone", "fuseau", "fuseauhoraire"}),
}
# Why a row is rejected, as a stable code (the UI translates it; ``reason`` says it in English).
REASON_CODES = (
    "no_number",  # the number cell is empty
    "not_a_number",  # not readable as a phone number (letters, unknown country code...)
    "wrong_length",  # too short or too long for its country
    "not_valid",  # the right length but no such number in the country's plan
    "duplicate",  # the same number on an earlier line (``first``)
    "bad_timezone",  # the time zone cell is not an IANA zone
    "dnc",  # on a do-not-call list (found at insert)
    "pending",  # already pending in the campaign (found at insert)
    "failed",  # line 0: the import as a whole failed, nothing imported
)

# Without a header line, the columns are read in this order.
_POSITIONAL = {1: ("number",), 2: ("name", "number"), 3: ("name", "number", "timezone")}


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in folded if ch.isalnum() and not unicodedata.combining(ch))


def _shown(value: str) -> str:
    value = display_name(value, 200)
    return value if len(value) <= MAX_VALUE_SHOWN else value[: MAX_VALUE_SHOWN - 1] + "…"


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row: where (line of the file, 1 = the first) and why."""

    line: int
    column: str  # as the file names it (its header), else the field
    field: str  # name | number | timezone | "" (the row as a whole)
    reason: str  # in English, for people and logs
    value: str = ""
    code: str = ""  # stable, for a translated message (REASON_CODES)
    first: int = 0  # a duplicate: the line that had the number first

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "reason": self.reason,
            "value": self.value,
            "code": self.code,
            "first": self.first,
        }


@dataclass(frozen=True, slots=True)
class Columns:
    """Which column holds what (0-based), and how the file names it."""

    number: int
    name: int | None = None
    timezone: int | None = None
    header: bool = False  # the first line named the columns
    labels: dict[str, str] = field(default_factory=dict)  # field -> the file's header text

    def label(self, name: str) -> str:
        return self.labels.get(name, name)


@dataclass(frozen=True, slots=True)
class Table:
    """A decoded file: its columns and its data rows with their line numbers."""

    columns: Columns
    rows: list[tuple[int, list[str]]]
    delimiter: str

    @property
    def total(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A valid row: the contact to add."""

    line: int
    name: str
    number: str  # E.164
    timezone: str
    raw: str = ""  # the number as the file wrote it (for the report)


# -------------------------------------------------------------------- the file
def decode(data: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped); anything else is refused naming the line."""
    if not data.strip():
        raise InvalidInput("file: the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"file: line {line} is not UTF-8 text: save the file as “CSV UTF-8”"
        ) from None


def sniff_delimiter(first_line: str) -> str:
    """``;``, tab or ``,``: the one the first line uses most outside quotes."""
    counts = {d: 0 for d in (";", "\t", ",")}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def header_columns(cells: Sequence[str]) -> Columns | None:
    """The columns a header line names, or None when the line is data (no header): a line
    with a phone number in it (six digits or more in a cell) is data, whatever it says."""
    if any(sum(ch.isdigit() for ch in cell) >= 6 for cell in cells):
        return None
    found: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, cell in enumerate(cells):
        key = _key(cell)
        for name, names in _HEADERS.items():
            if key in names and name not in found:
                found[name] = index
                labels[name] = cell.strip()
    if not found:
        return None
    if "number" not in found:
        named = ", ".join(c.strip() for c in cells if c.strip())
        raise InvalidInput(
            f"file: line 1 names the columns ({named}) but none holds the phone number: "
            "call it number, phone, téléphone or numéro"
        )
    return Columns(
        number=found["number"],
        name=found.get("name"),
        timezone=found.get("timezone"),
        header=True,
        labels=labels,
    )


def read_table(data: bytes, *, max_rows: int = MAX_ROWS, fields: Iterable[str] = FIELDS) -> Table:
    """The file's columns and rows. Raises ``InvalidInput`` (naming the line) for what is
    wrong with the file as a whole; rows are checked one by one later (:class:`RowChecker`)."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"file: larger than {MAX_BYTES // (1024 * 1024)} MB: split it")
    text = decode(data)
    wanted = tuple(fields)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(_first(text)))
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):  # blank lines are skipped
                records.append((start, cells))
                if len(records) > max_rows + 1:
                    raise InvalidInput(
                        f"file: more than {max_rows:,} rows: split it into smaller files"
                    )
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"file: line {reader.line_num} cannot be read ({exc})") from None
    if not records:
        raise InvalidInput("file: the file has no rows")
    columns = header_columns(records[0][1])
    if columns is not None:
        records = records[1:]
    else:
        columns = _positional(records, wanted)
    if len(records) > max_rows:
        raise InvalidInput(f"file: more than {max_rows:,} rows: split it into smaller files")
    if not records:
        raise InvalidInput("file: only a header line, no rows")
    return Table(columns, records, reader.dialect.delimiter)


def _positional(records: list[tuple[int, list[str]]], wanted: tuple[str, ...]) -> Columns:
    """Columns of a file without a header line, by their count: number; name, number;
    name, number, time zone (a do-not-call file: the number alone)."""
    width = max(len(cells) for _, cells in records[:50])
    order = _POSITIONAL.get(width) if "name" in wanted else _POSITIONAL.get(width, ())[:1]
    if not order or (width > 1 and "name" not in wanted):
        expected = "name; number; timezone" if "name" in wanted else "number"
        raise InvalidInput(
            f"file: line 1 is not a header and rows have {width} columns: add a header "
            f"line naming the columns ({expected})"
        )
    positions = {name: i for i, name in enumerate(order)}
    return Columns(
        number=positions["number"],
        name=positions.get("name"),
        timezone=positions.get("timezone"),
    )


def _first(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


# -------------------------------------------------------------------- the rows
class RowChecker:
    """Checks rows one by one, remembering the numbers seen (duplicates in the file)."""

    def __init__(self, columns: Columns, *, region: str, fallback_timezone: str) -> None:
        self.columns = columns
        self.region = region
        self.fallback_timezone = fallback_timezone
        self.seen: dict[str, int] = {}  # E.164 -> the line that had it first

    def _cell(self, cells: Sequence[str], index: int | None) -> str:
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def check(self, line: int, cells: Sequence[str]) -> ContactRow | RowError:
        c = self.columns
        raw = self._cell(cells, c.number)
        if not raw:
            return RowError(line, c.label("number"), "number", "no phone number", code="no_number")
        try:
            number = normalise_number(raw, self.region)
        except InvalidNumber as exc:
            return _bad_number(line, c, raw, exc)
        first = self.seen.get(number)
        if first is not None:
            return RowError(
                line,
                c.label("number"),
                "number",
                f"duplicate: the same number as line {first}",
                _shown(raw),
                code="duplicate",
                first=first,
            )
        zone_raw = self._cell(cells, c.timezone)
        if zone_raw:
            try:
                zone = timezone_name(zone_raw)
            except InvalidInput:
                return RowError(
                    line,
                    c.label("timezone"),
                    "timezone",
                    "not a time zone (such as Europe/Paris)",
                    _shown(zone_raw),
                    code="bad_timezone",
                )
        else:
            zone = region_timezone(number, self.fallback_timezone)
        self.seen[number] = line
        return ContactRow(line, display_name(self._cell(cells, c.name)), number, zone, _shown(raw))

    def check_many(
        self, rows: Iterable[tuple[int, Sequence[str]]]
    ) -> tuple[list[ContactRow], list[RowError]]:
        good: list[ContactRow] = []
        bad: list[RowError] = []
        for line, cells in rows:
            result = self.check(line, cells)
            (good if isinstance(result, ContactRow) else bad).append(result)  # type: ignore[arg-type]
        return good, bad


def _bad_number(line: int, c: Columns, raw: str, exc: InvalidNumber) -> RowError:
    return RowError(
        line,
        c.label("number"),
        "number",
        _reason(exc.message),
        _shown(raw),
        code=_number_code(exc.message),
    )


def _number_code(message: str) -> str:
    if "wrong length" in message or "longer than" in message:
        return "wrong_length"
    if "valid number" in message:
        return "not_valid"
    return "not_a_number"


def _reason(message: str) -> str:
    """``normalise_number``'s message without its "number: " prefix and quoted value."""
    text = message.removeprefix("number: ")
    if text.startswith(("'", '"')):
        quote = text[0]
        end = text.find(quote, 1)
        if end > 0:
            text = text[end + 1 :].strip()
    return text


@dataclass(frozen=True, slots=True)
class Parsed:
    table: Table
    contacts: list[ContactRow]
    errors: list[RowError]


def parse_contacts(data: bytes, *, region: str, fallback_timezone: str) -> Parsed:
    """The whole file at once (tests, small files): valid contacts and every rejected row."""
    table = read_table(data)
    checker = RowChecker(table.columns, region=region, fallback_timezone=fallback_timezone)
    good, bad = checker.check_many(table.rows)
    return Parsed(table, good, bad)


def parse_numbers(
    data: bytes, *, region: str, max_rows: int = MAX_ROWS
) -> tuple[list[tuple[int, str]], list[RowError]]:
    """A do-not-call file: one number per row (a ``number`` column, or the only column).
    Returns (line, E.164) of the valid rows and the rejected ones; repeats are not errors."""
    table = read_table(data, max_rows=max_rows, fields=("number",))
    c = table.columns
    good: list[tuple[int, str]] = []
    bad: list[RowError] = []
    seen: set[str] = set()
    for line, cells in table.rows:
        raw = cells[c.number].strip() if c.number < len(cells) else ""
        if not raw:
            bad.append(
                RowError(line, c.label("number"), "number", "no phone number", code="no_number")
            )
            continue
        try:
            number = normalise_number(raw, region)
        except InvalidNumber as exc:
            bad.append(_bad_number(line, c, raw, exc))
            continue
        if number not in seen:
            seen.add(number)
            good.append((line, number))
    return good, bad


__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "REASON_CODES",
    "Columns",
    "ContactRow",
    "Parsed",
    "RowChecker",
    "RowError",
    "Table",
    "decode",
    "header_columns",
    "parse_contacts",
    "parse_numbers",
    "read_table",
    "sniff_delimiter",
]
