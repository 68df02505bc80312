"""Published assessments, for anyone: residents read them without signing in."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from assessments import action_plan, municipality_requests, plain_language, plain_summary, selectors, services
from assessments.access import get_published_assessment
from assessments.models import Assessment
from assessments.reports import render as documents
from assessments.views import action_plan as action_plan_views
from assessments.reports import risk_map
from assessments.views.documents import DOWNLOAD_RELATIONS, download_response


def public_list(request):
    published = (
        Assessment.objects.filter(status=Assessment.Status.PUBLISHED)
        .select_related("project__municipality", "organisation", "owner__profile")
        .order_by("project__municipality__code", "-published_at")
    )
    published = action_plan.attach_review_states(published.select_related("question_set"), timezone.localdate())
    return render(request, "public/list.html", {"assessments": published})


def public_assessment(request, pk):
    assessment = get_published_assessment(pk)
    workspace = selectors.assessment_workspace(assessment)
    return render(
        request,
        "public/assessment.html",
        {
            "assessment": assessment,
            "plain": plain_summary.summary_for(workspace),
            "result": workspace.result,
            "progress": workspace.progress(),
            "screening": workspace.screening(),
            "red_flags": [(workspace.by_key[f.question], f.message) for f in workspace.result.red_flags],
            "municipality_questions": workspace.municipality_questions(),
            "honorific": services.letter_honorific(assessment),
            "review_body": selectors.review_body(assessment),
            **risk_map.context(assessment, workspace),
            "requests": municipality_requests.ordered_for_list(
                municipality_requests.published_requests(assessment), timezone.localdate()
            ),
            **action_plan_views.public_context(assessment),
        },
    )


def public_report_pdf(request, pk):
    assessment = get_published_assessment(pk, relations=DOWNLOAD_RELATIONS)
    return download_response(documents.report_pdf(assessment), "application/pdf",
                     documents.report_filename(assessment, "report", "pdf"))


def public_letter_pdf(request, pk):
    assessment = get_published_assessment(pk, relations=DOWNLOAD_RELATIONS)
    return download_response(documents.letter_pdf(assessment), "application/pdf",
                     documents.report_filename(assessment, "letter", "pdf"))


def _public_address(request, assessment) -> str:
    """The public page's address as the site names itself (settings.SITE_URL), so that the PDF, and
    its stored copy, are the same whichever host name a reader used; the request's without it."""
    path = reverse("public_assessment", args=[assessment.pk])
    return settings.SITE_URL.rstrip("/") + path if settings.SITE_URL else request.build_absolute_uri(path)


def _summary_or_404(assessment):
    summary = plain_summary.summary_for(selectors.assessment_workspace(assessment))
    if summary is None:
        raise Http404("no plain summary for this question set")
    return summary


def public_plain_pdf(request, pk):
    """The やさしい日本語 summary on one page, with readings."""
    assessment = get_published_assessment(pk)
    _summary_or_404(assessment)
    return download_response(documents.plain_summary_pdf(assessment, _public_address(request, assessment)),
                             "application/pdf", documents.report_filename(assessment, "plain", "pdf"))


def public_plain_text(request, pk):
    """The やさしい日本語 summary as plain text (UTF-8), shown in the browser."""
    assessment = get_published_assessment(pk)
    summary = _summary_or_404(assessment)
    title = f"やさしい日本語のまとめ: {assessment.project.title}"
    text = plain_language.summary_text(summary, title, _public_address(request, assessment))
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Language"] = "ja"
    return response
