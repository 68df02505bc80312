"""Open data out: the catalogue and the assessments a user may see, as CSV (UTF-8 with BOM so that
Excel opens Japanese correctly, streamed so memory stays flat) and one assessment as JSON.

Every cell of every CSV and XLSX writer here goes through ``assessments.spreadsheet_cells`` (formula
injection, characters a file cannot hold)."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from assessments.access import assessments_visible_to, get_assessment_for_request
from assessments.answer_values import display_value, mark_of
from assessments.exchange import dump_assessment
from assessments.models import Answer, InventoryRow, Project
from assessments.spreadsheet_cells import csv_row, xlsx_row

BOM = "\ufeff"


class _Echo:
    def write(self, value):
        return value


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield BOM
        for row in rows:
            yield writer.writerow(csv_row(row))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def projects_csv(request):
    def rows():
        yield PROJECT_HEADER
        yield from _project_rows()

    return _csv_response(rows(), "事業カタログ.csv")


ANSWER_HEADER = ["assessment_id", "assessment", "organisation", "status", "project_key", "municipality",
                 "question_set", "section", "question_key", "question", "answer", "meanings", "note", "overall_level"]
INVENTORY_HEADER = ["assessment_id", "position", "data_item", "held_by", "purpose", "legal_basis", "sensitive",
                    "children", "necessity", "retention", "shared_with_vendor", "flagged", "category", "note"]
PROJECT_HEADER = ["key", "municipality_code", "municipality", "title", "program", "fiscal_year",
                  "amount_thousand_yen", "amount_note", "source_row", "categories", "description"]


def _project_rows():
    projects = Project.objects.select_related("municipality").prefetch_related("categories").order_by("kind", "source_row", "key")
    for project in projects.iterator(chunk_size=2000):
        yield [
            project.key,
            project.municipality.code if project.municipality_id else "",
            project.municipality.name if project.municipality_id else "",
            project.title, project.program, project.fiscal_year or "",
            "" if project.amount_thousand_yen is None else project.amount_thousand_yen,  # unknown stays empty
            project.amount_note, project.source_row or "",
            "|".join(c.key for c in project.categories.all()), project.description,
        ]


def _answer_rows(visible):
    # Plain tuples rather than model instances: several times faster for hundreds of thousands of rows.
    answers = (
        Answer.objects.filter(assessment__in=visible)
        .order_by("assessment_id", "question__section__position", "question__position")
        .values_list(
            "assessment_id", "assessment__title", "assessment__organisation__name", "assessment__status",
            "assessment__project__key", "assessment__project__municipality__name", "assessment__question_set__key",
            "assessment__question_set__version", "question__section__key", "question__key", "snapshot", "value",
            "note", "assessment__overall_level",
        )
    )
    for (pk, title, organisation, status, project, municipality, set_key, set_version, section, key, snapshot,
         value, note, level) in answers.iterator(chunk_size=5000):
        # The answer as every page shows it; the meanings of the chosen choices, or of a mark (不明 …).
        mark = mark_of(value)
        meanings = mark or "|".join(c.get("meaning", "") for c in snapshot.get("choices") or [])
        yield [
            pk, title, organisation, status, project, municipality or "", f"{set_key} v{set_version}", section, key,
            snapshot.get("question", ""), display_value(value, snapshot), meanings, note, level,
        ]


def _inventory_rows(visible):
    rows = InventoryRow.objects.filter(answer__assessment__in=visible).select_related("answer").order_by(
        "answer__assessment_id", "position"
    )
    for row in rows.iterator(chunk_size=2000):
        yield [row.answer.assessment_id, row.position + 1, row.data_item, row.held_by, row.purpose, row.legal_basis,
               row.sensitive, row.children, row.necessity, row.retention, row.shared_with_vendor,
               "yes" if row.flagged else "", row.category, row.note]


@login_required
def assessments_xlsx(request):
    """One workbook: answers, the data inventory (linked by assessment_id) and the projects."""
    from openpyxl import Workbook

    visible = assessments_visible_to(request.user).values("pk")
    workbook = Workbook(write_only=True)
    for title, header, rows in (
        ("回答", ANSWER_HEADER, _answer_rows(visible)),
        ("データ項目", INVENTORY_HEADER, _inventory_rows(visible)),
        ("事業", PROJECT_HEADER, _project_rows()),
    ):
        sheet = workbook.create_sheet(title)
        sheet.append(xlsx_row(sheet, header))
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, "評価データ.xlsx")
    return response


@login_required
def assessments_csv(request):
    """One row per answer of every assessment the user may see (and no other)."""
    visible = assessments_visible_to(request.user).values("pk")

    def rows():
        yield ANSWER_HEADER
        yield from _answer_rows(visible)

    return _csv_response(rows(), "評価の回答.csv")


@login_required
def assessment_json(request, pk):
    assessment = get_assessment_for_request(request, pk)
    response = HttpResponse(dump_assessment(assessment), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"評価_{assessment.pk}.json")
    return response
