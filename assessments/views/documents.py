"""Downloads and previews of an assessment's documents: the report and the question letter."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from assessments import services
from assessments.access import EDIT, VIEW, get_assessment_for_request
from assessments.forms import LetterDetailsForm
from assessments.reports import render as documents


def download_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # RFC 6266/5987: an ASCII fallback plus filename*=UTF-8''… for the Japanese name.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


# What a PDF download reads before it knows whether the PDF is served as stored: the file name's
# project and municipality. Building the document reads the assessment again with everything it
# prints (reports/render.py, cached_pdf).
DOWNLOAD_RELATIONS = ("project__municipality",)


@login_required
def report_pdf(request, pk):
    assessment = get_assessment_for_request(request, pk, relations=DOWNLOAD_RELATIONS)
    return download_response(documents.report_pdf(assessment), "application/pdf", documents.report_filename(assessment, "report", "pdf"))


@login_required
def report_preview(request, pk):
    assessment = get_assessment_for_request(request, pk)
    return HttpResponse(documents.report_html(assessment))


@login_required
def letter_pdf(request, pk):
    assessment = get_assessment_for_request(request, pk, relations=DOWNLOAD_RELATIONS)
    return download_response(documents.letter_pdf(assessment), "application/pdf", documents.report_filename(assessment, "letter", "pdf"))


@login_required
def letter_text(request, pk):
    assessment = get_assessment_for_request(request, pk)
    return download_response(
        documents.letter_text(assessment).encode("utf-8"),
        "text/plain; charset=utf-8",
        documents.report_filename(assessment, "letter", "txt"),
    )


@login_required
def letter_preview(request, pk):
    assessment = get_assessment_for_request(request, pk)
    return HttpResponse(documents.letter_html(assessment))


@login_required
def letter_settings(request, pk):
    """Choose the letter's form, addressee, sender and reply-by date, then preview or download it."""
    assessment = get_assessment_for_request(request, pk, need=EDIT if request.method == "POST" else VIEW)
    details = services.letter_details_of(assessment)
    stale = None
    if request.method == "POST":
        form = LetterDetailsForm(request.POST)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in services.LETTER_FIELDS}
            try:
                services.letter_details_save(assessment=assessment, values=values, base_version=form.cleaned_data["version"])
            except services.StaleLetterDetails as error:
                stale = error.current
                form.add_error(None, _("このページを開いた後に、別のタブまたは別の人が質問書の設定を保存していました。"
                                       "下の保存済みの内容を確かめ、残したい内容でもう一度保存してください。"))
                form.data = form.data.copy()
                form.data["version"] = str(stale.version)
            else:
                messages.success(request, _("質問書の設定を保存しました。"))
                return redirect("letter_settings", pk=assessment.pk)
        status = 400
    else:
        form = LetterDetailsForm(initial={
            **{name: getattr(details, name) for name in services.LETTER_FIELDS},
            "reply_by": details.reply_by.isoformat() if details.reply_by else "",
            "version": details.version,
        })
        status = 200
    today = timezone.localdate()
    return render(request, "assessments/letter_settings.html", {
        "assessment": assessment, "form": form, "details": details, "stale": stale,
        "can_edit": EDIT in assessment.rights,
        "reply_by_passed": bool(details.pk and details.reply_by and not details.reply_by_ahead(today)),
    }, status=status)
