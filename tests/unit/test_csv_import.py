"""Reading contacts CSV files (CD-5) and do-not-call files: what spreadsheets save (UTF-8
with a byte-order mark, ``;`` or ``,``, French or English headers, none at all), and every
bad row named by its line, its column and the reason — the file read to its end."""

from __future__ import annotations

import pytest

from standardiste.errors import InvalidInput
from standardiste.outbound.csv_import import (
    MAX_ROWS,
    ContactRow,
    RowError,
    header_columns,
    parse_contacts,
    parse_numbers,
    read_table,
    sniff_delimiter,
)

PARIS = "Europe/Paris"


def parse(text: str, *, bom: bool = False) -> tuple[list[ContactRow], list[RowError]]:
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    parsed = parse_contacts(data, region="FR", fallback_timezone=PARIS)
    return parsed.contacts, parsed.errors


def test_a_french_excel_file_with_bad_rows_is_read_to_its_end() -> None:
    good, bad = parse(
        "Nom;Téléphone;Fuseau horaire\r\n"
        "Jo Martin;06 12 34 56 01;\r\n"
        "Léa Petit;+33 6 12 34 56 02;Europe/Paris\r\n"
        "Bad One;12;\r\n"
        "\r\n"  # blank: skipped, not an error (line 5)
        "Twice;0612345601;\r\n"
        "New York;+1 212 555 0134;\r\n"
        "Nowhere;0612345603;Mars/Olympus\r\n"
        "No number;;\r\n",
        bom=True,
    )
    assert [(c.line, c.name, c.number, c.timezone) for c in good] == [
        (2, "Jo Martin", "+33612345601", PARIS),
        (3, "Léa Petit", "+33612345602", PARIS),
        (7, "New York", "+12125550134", "America/New_York"),
    ]
    assert [(e.line, e.column, e.field) for e in bad] == [
        (4, "Téléphone", "number"),
        (6, "Téléphone", "number"),
        (8, "Fuseau horaire", "timezone"),
        (9, "Téléphone", "number"),
    ]
    reasons = {e.line: e.reason for e in bad}
    assert "wrong length" in reasons[4] or "not a phone number" in reasons[4], reasons[4]
    assert reasons[6] == "duplicate: the same number as line 2"
    assert reasons[8] == "not a time zone (such as Europe/Paris)"
    assert reasons[9] == "no phone number"
    assert bad[0].value == "12" and bad[2].value == "Mars/Olympus"
    # Each reason also as a code, which the page translates.
    assert [e.code for e in bad] == ["wrong_length", "duplicate", "bad_timezone", "no_number"]
    assert bad[1].first == 2


def test_an_english_comma_file_with_quotes_and_a_multiline_field() -> None:
    good, bad = parse(
        'phone,full name,tz\n"+44 20 7946 0958","Smith, Anne",Europe/London\n'
        '0612345601,"Two\nlines",\n0033612345602,Zed,\n'
    )
    assert [(c.line, c.name, c.number) for c in good] == [
        (2, "Smith, Anne", "+442079460958"),
        (3, "Two lines", "+33612345601"),  # the name's line break becomes a space
        (5, "Zed", "+33612345602"),  # line 5: the record above spans lines 3-4
    ]
    assert bad == []


def test_without_a_header_the_columns_are_read_by_their_count() -> None:
    good, _ = parse("0612345601\n0612345602\n")
    assert [c.number for c in good] == ["+33612345601", "+33612345602"]
    good, _ = parse("Jo;0612345601\nContact;0612345602\n")  # "Contact" is data here
    assert [(c.line, c.name) for c in good] == [(1, "Jo"), (2, "Contact")]
    good, _ = parse("Jo;0612345601;America/Chicago\n")
    assert good[0].timezone == "America/Chicago"
    with pytest.raises(InvalidInput, match="add a header line"):
        parse("a;b;c;d\n1;2;3;4\n")


def test_what_is_wrong_with_the_whole_file_is_said_at_once() -> None:
    with pytest.raises(InvalidInput, match="none holds the phone number"):
        parse("Nom;Adresse\nJo;Paris\n")
    with pytest.raises(InvalidInput, match="empty"):
        parse("  \n")
    with pytest.raises(InvalidInput, match="only a header"):
        parse("name;number\n")
    with pytest.raises(InvalidInput, match=r"line 3 is not UTF-8"):
        parse_contacts(
            "number\n0612345601\nL\u00e9a".encode("cp1252"), region="FR", fallback_timezone=PARIS
        )
    rows = "number\n" + "0612345601\n" * (MAX_ROWS + 1)
    with pytest.raises(InvalidInput, match="more than 50,000 rows"):
        read_table(rows.encode())


def test_a_file_of_the_largest_size_is_accepted() -> None:
    data = "number\n" + "".join(f"06{i:08d}\n" for i in range(MAX_ROWS))
    assert read_table(data.encode()).total == MAX_ROWS


def test_delimiters_and_headers() -> None:
    assert sniff_delimiter("nom;numéro") == ";"
    assert sniff_delimiter('"a;b",c,d') == ","
    assert sniff_delimiter("name\tnumber") == "\t"
    assert sniff_delimiter("0612345601") == ","
    columns = header_columns(["  NUMÉRO ", "Nom complet", "TZ"])
    assert columns is not None
    assert (columns.number, columns.name, columns.timezone) == (0, 1, 2)
    assert columns.label("number") == "NUMÉRO"
    assert header_columns(["Jo", "06 12 34 56 01"]) is None


def test_names_are_cleaned_never_refused() -> None:
    good, bad = parse("name;number\n\"<b>Jo</b>\x07 | x\";0612345601\n")
    assert bad == []
    assert good[0].name == "<b>Jo</b> / x"  # escaped when shown, control characters dropped


def test_a_do_not_call_file() -> None:
    good, bad = parse_numbers(
        "numéro\n06 12 34 56 01\n+33612345601\n999\n".encode(), region="FR"
    )
    assert good == [(2, "+33612345601")]  # the repeat is not an error
    assert [(e.line, e.column, e.field, e.code) for e in bad] == [
        (4, "numéro", "number", "wrong_length")
    ]
    good, _ = parse_numbers(b"0612345601\n0612345602\n", region="FR")
    assert [n for _, n in good] == ["+33612345601", "+33612345602"]
    with pytest.raises(InvalidInput, match="add a header line"):
        parse_numbers(b"Jo;0612345601\n", region="FR")
