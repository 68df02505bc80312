"""Downloads and previews of an assessment's documents: the report and the question letter."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from assessments.access import get_assessment_for_request
from assessments.reports import render


def download_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # RFC 6266/5987: an ASCII fallback plus filename*=UTF-8''… for the Japanese name.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def report_pdf(request, pk):
    assessment = get_assessment_for_request(request, pk)
    return download_response(render.report_pdf(assessment), "application/pdf", render.report_filename(assessment, "report", "pdf"))


@login_required
def report_preview(request, pk):
    assessment = get_assessment_for_request(request, pk)
    return HttpResponse(render.report_html(assessment))


@login_required
def letter_pdf(request, pk):
    assessment = get_assessment_for_request(request, pk)
    return download_response(render.letter_pdf(assessment), "application/pdf", render.report_filename(assessment, "letter", "pdf"))


@login_required
def letter_text(request, pk):
    assessment = get_assessment_for_request(request, pk)
    return download_response(
        render.letter_text(assessment).encode("utf-8"),
        "text/plain; charset=utf-8",
        render.report_filename(assessment, "letter", "txt"),
    )


@login_required
def letter_preview(request, pk):
    assessment = get_assessment_for_request(request, pk)
    return HttpResponse(render.letter_html(assessment))
