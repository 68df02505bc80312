"""Published assessments, for anyone: residents read them without signing in."""

from django.shortcuts import render
from django.utils import timezone

from assessments import action_plan, municipality_requests, selectors
from assessments.access import get_published_assessment
from assessments.models import Assessment
from assessments.reports import render as documents
from assessments.views import action_plan as action_plan_views
from assessments.reports import risk_map
from assessments.views.documents import download_response


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
            "result": workspace.result,
            "progress": workspace.progress(),
            "screening": workspace.screening(),
            "red_flags": [(workspace.by_key[f.question], f.message) for f in workspace.result.red_flags],
            "municipality_questions": workspace.municipality_questions(),
            "review_body": selectors.review_body(assessment),
            **risk_map.context(assessment, workspace),
            "requests": municipality_requests.ordered_for_list(
                municipality_requests.published_requests(assessment), timezone.localdate()
            ),
            **action_plan_views.public_context(assessment),
        },
    )


def public_report_pdf(request, pk):
    assessment = get_published_assessment(pk)
    return download_response(documents.report_pdf(assessment), "application/pdf",
                     documents.report_filename(assessment, "report", "pdf"))


def public_letter_pdf(request, pk):
    assessment = get_published_assessment(pk)
    return download_response(documents.letter_pdf(assessment), "application/pdf",
                     documents.report_filename(assessment, "letter", "pdf"))
