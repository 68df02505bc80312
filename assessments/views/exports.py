"""Open data out: the catalogue, the assessments a user may see and (without signing in) every
published assessment, as CSV (UTF-8 with BOM so that
Excel opens Japanese correctly, streamed so memory stays flat) and one assessment as JSON.

Every cell of every CSV and XLSX writer here goes through ``assessments.spreadsheet_cells`` (formula
injection, characters a file cannot hold)."""

import csv
import io
import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from assessments.languages import in_data_language
from assessments import action_plan, open_data
from assessments.access import assessments_visible_to, get_assessment_for_request, get_published_assessment
from assessments.exchange import dump_assessment
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


def _workbook_response(sheets, filename: str) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(xlsx_row(sheet, header))
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _sheets(assessments, *, public: bool):
    """The workbook's sheets: answers, their sources and the data inventory (linked by
    assessment_id), and the projects."""
    return (
        ("回答", open_data.ANSWER_HEADER, open_data.answer_rows(assessments, public=public)),
        ("資料", open_data.SOURCE_HEADER, open_data.source_rows(assessments, public=public)),
        ("データ項目", open_data.INVENTORY_HEADER, open_data.inventory_rows(assessments, public=public)),
        ("質問・請求", open_data.REQUEST_HEADER, open_data.request_rows(assessments, public=public)),
        ("対応計画", action_plan.ACTION_HEADER, action_plan.action_rows(assessments)),
        ("事業", open_data.PROJECT_HEADER, open_data.project_rows()),
    )


def _json_response(data: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@in_data_language
def projects_csv(request):
    def rows():
        yield open_data.PROJECT_HEADER
        yield from open_data.project_rows()

    return _csv_response(rows(), "事業カタログ.csv")


@in_data_language
@login_required
def assessments_xlsx(request):
    """Every assessment the user may see (and no other), answers to hidden questions flagged."""
    visible = assessments_visible_to(request.user).values("pk")
    return _workbook_response(_sheets(visible, public=False), "評価データ.xlsx")


@in_data_language
@login_required
def assessments_csv(request):
    """One row per answer of every assessment the user may see (and no other)."""
    visible = assessments_visible_to(request.user).values("pk")

    def rows():
        yield open_data.ANSWER_HEADER
        yield from open_data.answer_rows(visible, public=False)

    return _csv_response(rows(), "評価の回答.csv")


@in_data_language
@login_required
def assessment_json(request, pk):
    assessment = get_assessment_for_request(request, pk)
    response = HttpResponse(dump_assessment(assessment), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"評価_{assessment.pk}.json")
    return response


# --- Open data: what is published, for anyone without signing in --------------------------------------


@in_data_language
def public_assessments_csv(request):
    """One row per shown answer of every published assessment."""
    published = open_data.published_assessments().values("pk")

    def rows():
        yield open_data.ANSWER_HEADER
        yield from open_data.answer_rows(published, public=True)

    return _csv_response(rows(), "公開された評価の回答.csv")


@in_data_language
def public_assessments_xlsx(request):
    return _workbook_response(_sheets(open_data.published_assessments().values("pk"), public=True),
                              "公開された評価データ.xlsx")


@in_data_language
def public_assessment_json(request, pk):
    assessment = get_published_assessment(pk)
    return _json_response(open_data.public_assessment_data(assessment), f"公開された評価_{assessment.pk}.json")
