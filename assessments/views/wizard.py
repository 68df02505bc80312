"""The assessment wizard: start, sections, autosave and summary. Thin views: the access helper,
then forms and services do the work."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import answer_saving, selectors
from assessments.access import COMMENT, EDIT, VIEW, assessments_visible_to, get_assessment_for_user
from assessments.answer_values import clean_answer, clean_text
from assessments.forms import (
    AssessmentStartForm,
    EvidenceFormSet,
    InventoryFormSet,
    SectionForm,
    formset_rows,
)
from assessments.models import Project, Question

ROW_TYPES = (Question.Type.EVIDENCE, Question.Type.INVENTORY)


@login_required
def assessment_list(request):
    assessments = assessments_visible_to(request.user).select_related(
        "project__municipality", "question_set", "organisation"
    )
    return render(request, "assessments/list.html", {"assessments": assessments})


@login_required
def assessment_start(request, key):
    project = get_object_or_404(Project.objects.select_related("municipality"), key=key)
    form = AssessmentStartForm(request.POST or None, project=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        assessment = answer_saving.assessment_create(user=request.user, project=project, **form.cleaned_data)
        messages.success(request, _("評価「%(title)s」を始めました。") % {"title": assessment.title})
        first = assessment.question_set.sections.order_by("position").first()
        return redirect("assessment_section", pk=assessment.pk, section_key=first.key)
    return render(request, "assessments/start.html", {"project": project, "form": form})


@login_required
def assessment_detail(request, pk):
    assessment = get_assessment_for_user(request.user, pk)
    first = assessment.question_set.sections.order_by("position").first()
    return redirect("assessment_section", pk=assessment.pk, section_key=first.key)


class SectionPage:
    """The forms of one section page: answers and notes, evidence per question, the inventory."""

    def __init__(self, data, workspace, section, *, extra_rows=0):
        self.questions = list(section.questions.all())
        stored = workspace.answers
        self.form = SectionForm(data, questions=self.questions, stored=stored, revision=workspace.assessment.revision)
        self.evidence = {}
        self.inventory = None
        for question in self.questions:
            answer = stored.get(question.key)
            if question.type == Question.Type.INVENTORY:
                initial = answer_saving.row_dicts(answer) if answer else []
                self.inventory = (question, InventoryFormSet(data, initial=initial, prefix="inv"))
                self.inventory[1].extra = extra_rows
            else:
                initial = answer_saving.evidence_dicts(answer) if answer else []
                self.evidence[question.key] = EvidenceFormSet(data, initial=initial, prefix=f"ev-{question.key}")

    def formsets(self):
        yield from self.evidence.values()
        if self.inventory:
            yield self.inventory[1]

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.formsets():
            valid = formset.is_valid() and valid
        return valid

    def changes(self) -> dict:
        changes = {
            question: answer_saving.AnswerChange(value=value, note=note)
            for question, (value, note) in self.form.changed_questions().items()
        }
        for question in self.questions:
            formset = self.evidence.get(question.key)
            if formset is not None and formset.has_changed():
                change = changes.setdefault(question, answer_saving.AnswerChange())
                change.evidence = formset_rows(formset, answer_saving.EVIDENCE_FIELDS)
        if self.inventory and self.inventory[1].has_changed():
            question, formset = self.inventory
            changes.setdefault(question, answer_saving.AnswerChange()).rows = formset_rows(formset, answer_saving.ROW_FIELDS)
        return changes


def _section_context(request, workspace, section, page, **extra):
    sections = workspace.sections
    index = sections.index(section)
    assessment = workspace.assessment
    return {
        "can_edit": EDIT in assessment.rights and assessment.answers_editable,
        "can_comment": COMMENT in assessment.rights,
        "comments": selectors.comments_by_question(assessment),
        "assessment": workspace.assessment,
        "workspace": workspace,
        "section": section,
        "page": page,
        "progress": workspace.progress(),
        "visible": workspace.result.visible,
        "previous_section": sections[index - 1] if index > 0 else None,
        "next_section": sections[index + 1] if index + 1 < len(sections) else None,
        "row_types": ROW_TYPES,
        "screening": workspace.screening() if any(q.screening_role for q in section.questions.all()) else None,
        **extra,
    }


@login_required
def assessment_section(request, pk, section_key):
    assessment = get_assessment_for_user(request.user, pk, need=EDIT if request.method == "POST" else VIEW)
    workspace = selectors.assessment_workspace(assessment)
    section = workspace.section(section_key)
    if section is None:
        raise Http404
    if request.method == "POST" and not assessment.answers_editable:
        raise PermissionDenied(_("提出後の回答は、差し戻されるまで変更できません。"))
    if request.method != "POST":
        page = SectionPage(None, workspace, section, extra_rows=1 if request.GET.get("add_row") else 0)
        return render(request, "assessments/section.html", _section_context(request, workspace, section, page))

    page = SectionPage(request.POST, workspace, section)
    if not page.is_valid():
        messages.error(request, _("入力に誤りがあります。各欄のメッセージを確認してください（入力内容は保存されていません）。"))
        context = _section_context(request, workspace, section, page)
        return render(request, "assessments/section.html", context, status=400)
    try:
        outcome = answer_saving.answers_save(
            assessment=assessment,
            user=request.user,
            base_revision=page.form.cleaned_data["revision"],
            changes=page.changes(),
        )
    except answer_saving.StaleRevision as stale:
        # Keep the user's input, move the form to the current revision so that saving again
        # overwrites deliberately, and show what is stored beside it.
        data = request.POST.copy()
        data["revision"] = str(stale.revision)
        page = SectionPage(data, workspace, section)
        page.is_valid()
        context = _section_context(
            request, workspace, section, page, conflicts={c.question.key: c.stored for c in stale.conflicts}
        )
        return render(request, "assessments/section.html", context, status=409)

    if outcome.saved:
        saved_at = timezone.localtime(outcome.saved_at).strftime("%H:%M")
        messages.success(request, _("保存しました（%(time)s）。") % {"time": saved_at})
    target = request.POST.get("goto", "")
    if target == "summary":
        return redirect("assessment_summary", pk=assessment.pk)
    if "add_row" in request.POST:
        return redirect(reverse("assessment_section", args=[assessment.pk, section.key]) + "?add_row=1#inventory")
    if target and workspace.section(target) is not None:
        return redirect("assessment_section", pk=assessment.pk, section_key=target)
    return redirect("assessment_section", pk=assessment.pk, section_key=section.key)


def _json_error(message, status, **extra):
    return JsonResponse({"ok": False, "error": message, **extra}, status=status)


@login_required
@require_POST
def assessment_autosave(request, pk):
    """Save one answer or note in the background: {"question", "field": "value"|"note", "value", "revision"}."""
    assessment = get_assessment_for_user(request.user, pk, need=EDIT)
    if not assessment.answers_editable:
        return _json_error(_("提出後の回答は、差し戻されるまで変更できません。"), 403)
    try:
        payload = json.loads(request.body.decode("utf-8"))
        key = payload["question"]
        field = payload.get("field", "value")
        revision = int(payload["revision"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return _json_error(_("送信内容を読み取れませんでした。"), 400)
    question = (
        assessment.question_set.questions.filter(key=key).prefetch_related("choices").first()
        if isinstance(key, str)
        else None
    )
    if question is None or question.type in ROW_TYPES or field not in ("value", "note"):
        return _json_error(_("この評価にない質問です。"), 400)
    try:
        if field == "value":
            change = answer_saving.AnswerChange(value=clean_answer(question, payload.get("value")))
        else:
            change = answer_saving.AnswerChange(note=clean_text(payload.get("value")))
    except ValidationError as error:
        return _json_error(" ".join(error.messages), 400)
    try:
        outcome = answer_saving.answers_save(
            assessment=assessment, user=request.user, base_revision=revision, changes={question: change}
        )
    except answer_saving.StaleRevision as stale:
        stored = stale.conflicts[0].stored
        return _json_error(
            _("別のタブまたは別の人が、この回答を先に保存しました。ページを再読み込みして、保存されている内容を確認してください。"),
            409,
            revision=stale.revision,
            stored={"value": stored.value, "note": stored.note},
        )
    return JsonResponse(
        {"ok": True, "revision": outcome.revision, "saved_at": timezone.localtime(outcome.saved_at).strftime("%H:%M")}
    )


@login_required
def assessment_summary(request, pk):
    assessment = get_assessment_for_user(request.user, pk)
    workspace = selectors.assessment_workspace(assessment)
    by_key = workspace.by_key
    return render(
        request,
        "assessments/summary.html",
        {
            "assessment": assessment,
            "can_edit": EDIT in assessment.rights and assessment.answers_editable,
            "workspace": workspace,
            "result": workspace.result,
            "progress": workspace.progress(),
            "screening": workspace.screening(),
            "section_scores": [(s, workspace.result.sections.get(s.key)) for s in workspace.sections],
            "unanswered": [by_key[q.key] for q in workspace.result.unanswered_required],
            "unknown": [by_key[q.key] for q in workspace.result.unknown],
            "not_disclosed": [by_key[q.key] for q in workspace.result.not_disclosed],
            "red_flags": [(by_key[f.question], f.message) for f in workspace.result.red_flags],
            "flagged_rows": workspace.flagged_rows(),
            "municipality_questions": workspace.municipality_questions(),
        },
    )
