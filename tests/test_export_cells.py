"""Exported spreadsheets never run what someone wrote, and one odd character never breaks them
(issue 12, items 4 and 5): the cell rules of assessments.spreadsheet_cells, then the real endpoints."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from assessments.answer_saving import snapshot_of
from assessments.models import Answer, Assessment, InventoryRow, Project
from assessments.spreadsheet_cells import (
    FORMULA_TRIGGERS,
    REPLACEMENT,
    clean_for_csv,
    clean_for_xml,
    csv_cell,
    csv_row,
    starts_like_formula,
    xlsx_row,
)
from assessments.views.exports import _csv_response

HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "=cmd|' /C calc'!A0"
AT_TITLE = "@SUM(1+1)*cmd|' /C calc'!A0"
# \x01, not NUL: PostgreSQL refuses NUL in text, and both break an XLSX file the same way.
BROKEN_NOTE = "前\x01中\uffff後"


# --- the pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_text_starting_with_a_trigger_gets_a_quote_in_csv(trigger):
    text = f"{trigger}1+1"
    assert starts_like_formula(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
@pytest.mark.parametrize("space", [" ", "  ", "\n", "\u3000"])
def test_a_trigger_after_leading_whitespace_is_caught_too(trigger, space):
    text = f"{space}{trigger}1+1"
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "美里町", "1+1", "a=b", "'=already quoted", "5", "#N/A", " ", "x-5"])
def test_other_text_is_left_alone_in_csv(text):
    assert not starts_like_formula(text) or text == ""
    assert csv_cell(text) == text


@pytest.mark.parametrize("text", ["-5", "+81 3 0000 0000", "-", "="])
def test_text_that_looks_like_a_number_is_still_text(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("number", [0, 7, -5, -1.5, 3.25, Decimal("-12.50"), 706_384, True, None])
def test_numbers_and_none_pass_through_csv_unchanged(number):
    assert csv_cell(number) is number


def test_csv_cleans_lone_surrogates_only():
    assert clean_for_csv("a\ud800b\udfffc") == f"a{REPLACEMENT}b{REPLACEMENT}c"
    assert clean_for_csv("😀\x00\uffff\t") == "😀\x00\uffff\t"  # a real pair and the rest stay
    assert csv_row(["=\ud83d", 1]) == [f"'={REPLACEMENT}", 1]


@pytest.mark.parametrize("bad", [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]]
                         + ["\ufffe", "\uffff", "\ud800", "\udbff", "\udc00", "\udfff"])
def test_xml_refused_characters_become_the_replacement_character(bad):
    assert clean_for_xml(f"a{bad}b") == f"a{REPLACEMENT}b"


def test_xml_keeps_tab_newline_cr_and_everything_legal():
    text = "\t行1\n行2\r\n\x7f\x85\ufffd😀\U0010ffff"
    assert clean_for_xml(text) == text


def saved_row(values):
    """``values`` written through xlsx_row into a real workbook and read back as openpyxl cells."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("t")
    sheet.append(xlsx_row(sheet, values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return list(load_workbook(io.BytesIO(buffer.getvalue()))["t"].iter_rows())[0]


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_xlsx_writes_trigger_text_as_a_quoted_string_cell(trigger):
    text = f"{trigger}SUM(1+1)"
    (cell,) = saved_row([text])
    # An XML parser reads a CR as a newline (XML 1.0 end-of-line handling), so compare with that.
    assert cell.data_type == "s" and cell.value == text.replace("\r", "\n") and cell.quotePrefix


@pytest.mark.parametrize("text", [HYPERLINK, DDE, "#N/A", "#DIV/0!", " =1+1"])
def test_xlsx_never_writes_a_formula_or_error_cell(text):
    (cell,) = saved_row([text])
    assert cell.data_type == "s" and cell.value == text and cell.quotePrefix


def test_xlsx_keeps_numbers_numeric_also_negative_ones():
    cells = saved_row([-5, 0, 706_384, -1.5, Decimal("-12.5"), None, "-5"])
    assert [c.data_type for c in cells[:5]] == ["n"] * 5
    assert [c.value for c in cells[:5]] == [-5, 0, 706_384, -1.5, -12.5]
    assert cells[5].value is None
    assert cells[6].data_type == "s" and cells[6].value == "-5"  # text stays text


def test_xlsx_plain_text_stays_plain():
    (cell,) = saved_row(["美里町 こどもデータ"])
    assert cell.data_type == "s" and not cell.quotePrefix


def test_xlsx_survives_every_character_it_cannot_hold():
    text = "".join(chr(c) for c in range(0x20) if c != 0x0D) + "\ufffe\uffff\ud800"  # CR: see above
    (cell,) = saved_row([text])
    assert cell.value == clean_for_xml(text)
    assert cell.value.count(REPLACEMENT) == 29 + 3  # 32 C0 controls less tab, newline and CR; 3 more


def test_a_csv_stream_with_a_lone_surrogate_is_written_to_the_end():
    response = _csv_response(iter([["a"], ["x\ud800y"], ["end"]]), "t.csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert list(csv.reader(io.StringIO(body[1:]))) == [["a"], [f"x{REPLACEMENT}y"], ["end"]]


# --- through the real endpoints ------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def hostile(assessment, misato):
    """Hostile text stored straight through the ORM, as an import or an old row could hold it."""
    Project.objects.filter(pk=misato.pk).update(title=HYPERLINK, amount_thousand_yen=1234)
    Assessment.objects.filter(pk=assessment.pk).update(title=AT_TITLE)
    questions = list(assessment.question_set.questions.exclude(type="inventory").order_by("pk")[:3])
    for question, note in zip(questions, [DDE, BROKEN_NOTE, "-5"]):
        Answer.objects.create(assessment=assessment, question=question, note=note,
                              snapshot=snapshot_of(question, None))
    InventoryRow.objects.filter(answer__assessment=assessment, position=0).update(data_item="+1 住民票")
    return Assessment.objects.get(pk=assessment.pk)


@pytest.mark.django_db
def test_the_public_catalogue_csv_quotes_a_formula_title(client, hostile):
    rows = read_csv(client.get(reverse("export_projects_csv")))
    row = next(r for r in rows if r[0] == "case-misato-kodomo-data")
    assert row[3] == "'" + HYPERLINK
    assert row[6] == "1234"  # the amount is written as a plain number
    assert not any(cell.startswith(FORMULA_TRIGGERS) for r in rows for cell in r)


@pytest.mark.django_db
def test_the_assessment_csv_quotes_hostile_titles_and_notes(bob_client, hostile):
    rows = read_csv(bob_client.get(reverse("export_assessments_csv")))
    header, body = rows[0], rows[1:]
    title, note = header.index("assessment"), header.index("note")
    assert {r[title] for r in body} == {"'" + AT_TITLE}
    notes = {r[note] for r in body}
    assert {"'" + DDE, BROKEN_NOTE, "'-5"} <= notes  # CSV keeps the control characters, quoted
    assert {r[0] for r in body} == {str(hostile.pk)}
    assert not any(cell.startswith(FORMULA_TRIGGERS) for r in rows for cell in r)


@pytest.mark.django_db
def test_the_workbook_opens_and_holds_text_never_formulas(bob_client, hostile):
    response = bob_client.get(reverse("export_assessments_xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type in ("f", "e")]

    answers = list(workbook["回答"].iter_rows())
    header = [c.value for c in answers[0]]
    title, note = header.index("assessment"), header.index("note")
    body = answers[1:]
    assert body and all(r[title].value == AT_TITLE and r[title].data_type == "s" and r[title].quotePrefix
                        for r in body)
    by_note = {r[note].value: r[note] for r in body}
    assert by_note[DDE].data_type == "s" and by_note[DDE].quotePrefix
    assert by_note["-5"].data_type == "s" and by_note["-5"].quotePrefix
    assert "前\ufffd中\ufffd後" in by_note  # the control character and U+FFFF replaced, the file is not corrupt
    assert all(r[0].data_type == "n" and r[0].value == hostile.pk for r in body)  # ids stay numbers

    inventory = list(workbook["データ項目"].iter_rows())[1:]
    first = next(r for r in inventory if r[1].value == 1)
    assert first[1].data_type == "n" and first[2].value == "+1 住民票" and first[2].quotePrefix

    projects = list(workbook["事業"].iter_rows())
    misato = next(r for r in projects if r[0].value == "case-misato-kodomo-data")
    assert misato[3].value == HYPERLINK and misato[3].data_type == "s" and misato[3].quotePrefix
    assert misato[6].value == 1234 and misato[6].data_type == "n"
