"""Re-assessment (再評価): start one from an earlier assessment, see what was carried over, compare
the two, and confirm 「前回の回答」 from the wizard's section page. Thin views: the access helpers,
then assessments/reassessment.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments import people, reassessment, selectors
from assessments.access import EDIT, get_assessment_for_request, get_assessment_to_reassess, get_previous_for_request
from assessments.reassessment_forms import ReassessmentStartForm
from assessments.templatetags.dxpia import lang_ja, message_html

CONFIRM_FIELD = "confirm_carried"  # the wizard's buttons: a question key, or SECTION for the whole section
SECTION = "*"


@login_required
def reassessment_start(request, pk):
    """A page that says what carries over and what does not, then starts the re-assessment."""
    previous = get_assessment_to_reassess(request, pk)
    if not people.is_confirmed(request.user):
        return render(request, "assessments/confirm_needed.html", {"project": previous.project}, status=403)
    question_set = selectors.default_questionset()
    form = ReassessmentStartForm(request.POST or None, previous=previous, user=request.user)
    status = 200
    if request.method == "POST" and question_set is not None:
        if form.is_valid():
            try:
                assessment = reassessment.reassessment_start(user=request.user, previous=previous, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, message_html(_("再評価「%(title)s」を始めました。"), title=lang_ja(assessment.title)))
                return redirect("reassessment_result", pk=assessment.pk)
        status = 400
    plan = reassessment.carry_preview(previous, question_set)[0] if question_set is not None else None
    return render(request, "reassessment/start.html", {
        "previous": previous, "question_set": question_set, "form": form, "plan": plan,
        "not_carried": [(item, reassessment.change_text(item.change)) for item in plan.not_carried] if plan else [],
        "public_only": EDIT not in previous.rights,
    }, status=status)


@login_required
def reassessment_result(request, pk):
    """What the start carried over and what it did not, with the reasons (the stored record)."""
    assessment = get_assessment_for_request(request, pk)
    record = assessment.carry_over
    if not record:
        raise Http404
    first = assessment.question_set.sections.order_by("position", "pk").first()
    return render(request, "reassessment/result.html", {
        "assessment": assessment, "record": record, "first_section": first,
        "not_carried": [(item, reassessment.reason_text(str(item.get("code", "")), str(item.get("choice", "")),
                                                        str(item.get("before", "")), str(item.get("after", ""))))
                        for item in record.get("not_carried", []) if isinstance(item, dict)],
        "unconfirmed": len(reassessment.unconfirmed(assessment)),
    })


@login_required
def reassessment_compare(request, pk):
    """Question by question, section by section and overall: the previous assessment → this one."""
    assessment = get_assessment_for_request(request, pk)
    if assessment.previous_id is None:
        raise Http404
    previous = get_previous_for_request(request, assessment)
    comparison = reassessment.comparison_of(previous, assessment) if previous is not None else None
    only_changes = request.GET.get("only") == "changes"
    rows = []
    if comparison is not None:
        rows = comparison.changed_questions if only_changes else comparison.questions
    return render(request, "reassessment/compare.html", {
        "assessment": assessment, "previous": previous, "comparison": comparison, "rows": rows,
        "only_changes": only_changes,
        "changed_count": len(comparison.changed_questions) if comparison else 0,
    })


def confirm_from_section(request, assessment, section):
    """After the wizard saved a section without errors: confirm the 「前回の回答」 its button named
    (a question of the section, or the whole section) and go back to it; None when no such button
    was pressed."""
    wanted = request.POST.get(CONFIRM_FIELD)
    if not wanted:
        return None
    keys = reassessment.section_carried_keys(assessment, section)
    if wanted != SECTION:
        keys = [key for key in keys if key == wanted]
    confirmed = reassessment.carried_confirm(assessment=assessment, user=request.user, keys=keys)
    if confirmed:
        messages.success(request, _("前回の回答を確認しました（%(count)s問）。") % {"count": len(confirmed)})
    anchor = f"#q-{wanted}" if wanted != SECTION and confirmed else ""
    return redirect(reverse("assessment_section", args=[assessment.pk, section.key]) + anchor)
