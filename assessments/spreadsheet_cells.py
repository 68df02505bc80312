"""What may go into a cell of an exported spreadsheet (CSV or XLSX), in one place; and how an
imported CSV is read (``csv_reader``).

Two dangers, both from text that anyone can write (project titles from the catalogue import, notes,
assessment titles, JSON-imported answers):

* **Formula injection** (OWASP "CSV Injection"). A spreadsheet treats text starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return as a formula (``=HYPERLINK(…)``, DDE ``=cmd|…``).
  - CSV has no cell types, so such text gets a single quote ``'`` in front, as OWASP advises. The
    check also looks past leading whitespace (``" =1+1"``), which some programs skip before
    deciding; the quote then goes before the whitespace.
  - XLSX has cell types: such text is written as a *string* cell (openpyxl would otherwise store any
    text starting with ``=`` as a live formula, and ``#N/A`` and the like as error cells) with the
    cell style ``quotePrefix`` set, so that Excel shows it as text and keeps it text when the cell
    is edited. The text itself stays exactly as stored (no quote added).
  Only text is touched: ints, floats, Decimals (amounts, positions, ids) stay numbers, negative ones
  too. Text that looks like a number (a note ``"-5"``) is still text and is guarded like any other.

* **Characters a file cannot hold.** XML 1.0 (the XLSX format) refuses C0 control characters other
  than tab, newline and carriage return, U+FFFE and U+FFFF (openpyxl raises IllegalCharacterError on
  the former — a 500 for everyone — and writes the latter into a corrupt file), and lone surrogates
  cannot be encoded as UTF-8 at all (a CSV stream would break off mid-file). Each such character is
  **replaced by U+FFFD** (the replacement character "�") rather than dropped, so that the reader sees
  that something was there. CSV keeps control characters (the csv module quotes them) and only
  loses lone surrogates.
"""

import csv
import io
import re
from decimal import Decimal

REPLACEMENT = "\ufffd"

# The characters OWASP lists: a cell starting with one of them is read as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_LONE_SURROGATES = re.compile("[\ud800-\udfff]")
# Not XML 1.0 Char: C0 controls but tab (09), newline (0A) and carriage return (0D); U+FFFE, U+FFFF;
# surrogate code points (a str can only hold them unpaired).
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Whitespace a program may skip before reading a formula (tab and CR are triggers themselves).
_LEADING_SPACE = re.compile(r"[^\S\t\r]+")

# Text openpyxl would not store as a plain string: formulas, and the error codes it turns into error cells.
_XLSX_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def clean_for_csv(text: str) -> str:
    """Text that UTF-8 can encode: lone surrogates become U+FFFD."""
    return _LONE_SURROGATES.sub(REPLACEMENT, text)


def clean_for_xml(text: str) -> str:
    """Text that XML 1.0 (so XLSX) can hold: each refused character becomes U+FFFD."""
    return _NOT_XML_CHAR.sub(REPLACEMENT, text)


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet might read ``text`` as a formula (also after leading whitespace)."""
    if text.startswith(FORMULA_TRIGGERS):
        return True
    space = _LEADING_SPACE.match(text)
    return bool(space) and text[space.end():].startswith(FORMULA_TRIGGERS)


def csv_cell(value):
    """One CSV cell: text cleaned and, if it could start a formula, prefixed with ``'``; anything
    else (numbers, None) unchanged, for the csv module to write."""
    if not isinstance(value, str):
        return value
    value = clean_for_csv(value)
    return "'" + value if starts_like_formula(value) else value


def csv_row(row) -> list:
    return [csv_cell(value) for value in row]


def xlsx_text(value: str) -> tuple[str, bool]:
    """Cleaned text for an XLSX cell, and whether the cell must be forced to a text cell."""
    value = clean_for_xml(value)
    return value, starts_like_formula(value) or value in _XLSX_ERROR_CODES


def xlsx_row(sheet, row) -> list:
    """One row for ``sheet.append`` (a write-only openpyxl sheet): numbers as they are, text cleaned,
    risky text as a string cell with ``quotePrefix`` (never a formula). Only the risky cells cost a
    cell object; the rest stay plain values, so big exports stay fast."""
    cells = []
    for value in row:
        if value is not None and not isinstance(value, (str, int, float, Decimal)):
            value = str(value)  # nothing else is expected; whatever it is, it goes out as text
        if isinstance(value, str):
            value, guarded = xlsx_text(value)
            if guarded:
                value = text_cell(sheet, value)
        cells.append(value)
    return cells


def text_cell(sheet, text: str):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl made "=…" a formula ("f") and "#N/A" an error ("e")
    cell.quotePrefix = True
    return cell


# Python's csv module refuses a cell of more than 131,072 characters with csv.Error, which the
# imports reported as a broken file (an unclosed quote). The imports' own limits on file size and
# cell length say what is wrong instead, so the module's limit is raised to the largest file read.
LARGEST_CSV_CHARACTERS = 5_000_000


def csv_reader(text: str):
    """A csv.reader over an imported file's ``text`` (decoded), whose cells are as long as they are."""
    if csv.field_size_limit() < LARGEST_CSV_CHARACTERS:
        csv.field_size_limit(LARGEST_CSV_CHARACTERS)
    return csv.reader(io.StringIO(text, newline=""))
