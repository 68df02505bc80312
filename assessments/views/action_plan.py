"""The action plan (対応計画) and the review date of an assessment. Thin views: the access helper,
then action_plan_forms and action_plan do the work; what each person may change is decided by
action_plan.plan_rights."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.languages import in_data_language
from assessments import action_plan, plan_clock, review_law
from assessments.access import VIEW, get_assessment_for_request
from assessments.action_plan_forms import ActionForm, RequireForm, ReviewDateForm, StatusForm, VersionForm
from assessments.models import Assessment, PlannedAction, Question, ReviewSchedule, Risk
from assessments.templatetags.dxpia import lang_ja, message_html
from assessments.views.exports import _csv_response, _workbook_response
from assessments.views.stale_forms import gone_page, refuse_stale


def _allowed(assessment) -> action_plan.PlanRights:
    return action_plan.plan_rights(assessment.status, assessment.rights)


def _action_of(assessment, aid, *, gone_ok=False) -> PlannedAction | None:
    """The assessment's action ``aid``; 404 if there is none (None with ``gone_ok``: a form sent for an
    action deleted meanwhile is answered with what was typed, not a bare 404)."""
    try:
        return PlannedAction.objects.select_related("question__section", "required_by__profile", "risk").get(
            assessment=assessment, pk=int(aid))
    except PlannedAction.DoesNotExist:
        if gone_ok:
            return None
        raise Http404 from None
    except (ValueError, TypeError, OverflowError):
        raise Http404 from None


def _add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError beside the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _review_context(assessment, review_form=None) -> dict:
    schedule = ReviewSchedule.objects.filter(assessment=assessment).first()  # as stored now (after a refused save)
    clock = action_plan.review_clock_of(assessment, schedule, schedule_known=True)
    if review_form is None:
        suggested = clock.review_on
        today = timezone.localdate()
        if suggested is None or suggested <= today:
            suggested = plan_clock.add_months(today, assessment.question_set.review_months)
        review_form = ReviewDateForm(initial={"review_on": suggested.isoformat(),
                                              "version": schedule.version if schedule else 0})
    return {"review_clock": clock, "review_schedule": schedule, "review_form": review_form,
            "review_state": clock.state(timezone.localdate()),
            "reassessment_law": review_law.REASSESSMENT, "yearly_review_law": review_law.YEARLY_REVIEW}


def _plan_page(request, assessment, *, review_form=None, status=200):
    today = timezone.localdate()
    actions, summary = action_plan.plan_of(assessment, today)
    return render(request, "action_plan/plan.html", {
        "assessment": assessment, "actions": actions, "summary": summary, "today": today,
        "allowed": _allowed(assessment), "history": action_plan.history_of(assessment, limit=50),
        "max_actions": action_plan.MAX_ACTIONS, **_review_context(assessment, review_form),
    }, status=status)


@login_required
def plan(request, pk):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    return _plan_page(request, assessment)


def _risk_choices(assessment) -> list[tuple[int, str]]:
    """(id, 「R1 題名」) of the assessment's risks, for the action form (one query)."""
    risks = Risk.objects.filter(assessment=assessment).order_by("pk").values_list("pk", "title")
    return [(pk, f"R{number} {title}") for number, (pk, title) in enumerate(risks, start=1)]


def _question_from(assessment, key) -> Question | None:
    """The question of the assessment's set named by ``key`` (a form's or URL's text), else None. A key
    is never matched with a NUL in it, which PostgreSQL refuses in a query."""
    if not key or "\x00" in str(key):
        return None
    return Question.objects.filter(question_set_id=assessment.question_set_id, key=str(key)[:100]).first()


@login_required
def action_new(request, pk):
    """A new action; ?from=<question key> prefills it from that question's proposal, ?risk=<id> names
    the risk it answers. A reviewer's new action is a condition of approval."""
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    allowed = _allowed(assessment)
    if not (allowed.edit or allowed.require):
        raise PermissionDenied
    risks = _risk_choices(assessment)
    from_risk = None  # 「R1 題名」 of the risk named by ?risk=, shown above the form
    if request.method == "POST":
        form = ActionForm(request.POST, risks=risks)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in action_plan.CONTENT_FIELDS}
            try:
                created = action_plan.action_create(
                    assessment=assessment, user=request.user, rights=assessment.rights, values=values,
                    question=_question_from(assessment, form.cleaned_data["question"]),
                    risk=form.cleaned_data.get("risk"))
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, message_html(_("「%(title)s」を対応計画に加えました。"), title=lang_ja(created.title)))
                return redirect("action_detail", pk=assessment.pk, aid=created.pk)
        question = _question_from(assessment, request.POST.get("question"))
        status = 400
    else:
        question = _question_from(assessment, request.GET.get("from"))
        initial = {"version": 0, "responsible": PlannedAction.Responsible.DEPARTMENT}
        if question is not None:
            # The proposal's first sentence as what should be done, the rest (if any) as its detail.
            first, _sep, rest = question.proposal.partition("。")
            initial.update(title=first[:200], detail=rest.strip()[:2000], question=question.key)
        from_risk = dict(risks).get(_int_or_none(request.GET.get("risk")))
        if from_risk is not None:
            initial["risk"] = str(_int_or_none(request.GET.get("risk")))
        form = ActionForm(initial=initial, risks=risks)
        status = 200
    return render(request, "action_plan/form.html", {
        "assessment": assessment, "form": form, "question": question, "action": None, "from_risk": from_risk,
        "as_condition": allowed.require and not allowed.edit,
    }, status=status)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _detail(request, assessment, action, *, status_form=None, require_form=None, status=200):
    today = timezone.localdate()
    action_plan.annotate([action], today)
    action_plan.label_risks([action], assessment)
    allowed = _allowed(assessment)
    version = {"version": action.version}
    if status_form is None:
        status_form = StatusForm(initial={
            **version, "status": action.status, "declined_reason": action.declined_reason,
            "done_on": (action.done_on or today).isoformat(), "evidence_title": action.evidence_title,
            "evidence_url": action.evidence_url, "evidence_page": action.evidence_page,
            "evidence_date": action.evidence_date.isoformat() if action.evidence_date else ""})
    if require_form is None:
        require_form = RequireForm(initial={**version, "required": "no" if action.required else "yes"})
    return render(request, "action_plan/detail.html", {
        "assessment": assessment, "action": action, "today": today, "allowed": allowed,
        "may_change": action_plan.may_change_content(action, allowed),
        "status_form": status_form, "require_form": require_form, "delete_form": VersionForm(initial=version),
        "history": list(action.changes.select_related("user__profile")),
        "approved": assessment.status in (Assessment.Status.APPROVED, Assessment.Status.PUBLISHED),
    }, status=status)


def _action_gone(request, assessment, form, typed_fields):
    """A form sent for an action deleted after it was opened: what was typed, to copy, and the way
    back to the plan (for anyone who could have sent it: an editor, or a reviewer's condition)."""
    allowed = _allowed(assessment)
    if not (allowed.edit or allowed.require or allowed.progress):
        raise PermissionDenied
    return gone_page(request, message=_("この対応は、このページを開いた後に削除されていました。保存していません。"),
                     form=form, typed_fields=typed_fields,
                     back_url=reverse("action_plan", args=[assessment.pk]), back_label=_("対応計画に戻る"))


@login_required
def action_detail(request, pk, aid):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    return _detail(request, assessment, _action_of(assessment, aid))


@login_required
def action_edit(request, pk, aid):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    action = _action_of(assessment, aid, gone_ok=request.method == "POST")
    if action is None:  # deleted after this form was opened
        return _action_gone(request, assessment, ActionForm(request.POST, risks=[]), ("title", "detail", "responsible_name"))
    if not action_plan.may_change_content(action, _allowed(assessment)):
        raise PermissionDenied
    risks = _risk_choices(assessment)
    if request.method == "POST":
        form = ActionForm(request.POST, risks=risks)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in action_plan.CONTENT_FIELDS}
            link = {"risk": form.cleaned_data.get("risk")} if "risk" in form.fields else {}
            try:
                action_plan.action_update(action=action, user=request.user, rights=assessment.rights, values=values,
                                          base_version=form.cleaned_data["version"], **link)
            except action_plan.StalePlan as stale:
                refuse_stale(form, stale.current)
                action = _action_of(assessment, aid)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("変更を保存しました。"))
                return redirect("action_detail", pk=assessment.pk, aid=action.pk)
        status = 400
    else:
        form = ActionForm(initial={
            **{name: getattr(action, name) for name in action_plan.CONTENT_FIELDS},
            "due_on": action.due_on.isoformat() if action.due_on else "", "version": action.version,
            "risk": str(action.risk_id) if action.risk_id else ""}, risks=risks)
        status = 200
    return render(request, "action_plan/form.html", {
        "assessment": assessment, "form": form, "question": action.question, "action": action,
        "as_condition": action.required,
    }, status=status)


@login_required
@require_POST
def action_status(request, pk, aid):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    action = _action_of(assessment, aid, gone_ok=True)
    if action is None:
        return _action_gone(request, assessment, StatusForm(request.POST),
                            ("note", "declined_reason", "evidence_title", "evidence_url", "evidence_page"))
    if not _allowed(assessment).progress:
        raise PermissionDenied
    form = StatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            action_plan.action_set_status(
                action=action, user=request.user, rights=assessment.rights, status=data["status"], note=data["note"],
                base_version=data["version"], today=timezone.localdate(), declined_reason=data["declined_reason"],
                done_on=data["done_on"], evidence_title=data["evidence_title"], evidence_url=data["evidence_url"],
                evidence_page=data["evidence_page"], evidence_date=data["evidence_date"])
        except action_plan.StalePlan as stale:
            refuse_stale(form, stale.current)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("状態を記録しました。"))
            return redirect("action_detail", pk=assessment.pk, aid=action.pk)
    return _detail(request, assessment, _action_of(assessment, aid), status_form=form, status=400)


@login_required
@require_POST
def action_require(request, pk, aid):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    action = _action_of(assessment, aid, gone_ok=True)
    if action is None:
        return _action_gone(request, assessment, RequireForm(request.POST), ("note",))
    if not _allowed(assessment).require:
        raise PermissionDenied
    form = RequireForm(request.POST)
    if form.is_valid():
        try:
            action_plan.action_require(action=action, user=request.user, rights=assessment.rights,
                                       required=form.cleaned_data["required"], note=form.cleaned_data["note"],
                                       base_version=form.cleaned_data["version"])
        except action_plan.StalePlan as stale:
            refuse_stale(form, stale.current)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("承認の条件にしました。") if form.cleaned_data["required"]
                             else _("承認の条件から外しました。"))
            return redirect("action_detail", pk=assessment.pk, aid=action.pk)
    return _detail(request, assessment, _action_of(assessment, aid), require_form=form, status=400)


@login_required
def action_delete(request, pk, aid):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    action = _action_of(assessment, aid, gone_ok=request.method == "POST")
    if action is None:  # deleted meanwhile (a second confirmation page): what was asked is done
        if not _allowed(assessment).edit:
            raise PermissionDenied
        messages.info(request, _("この対応は、すでに削除されていました。"))
        return redirect("action_plan", pk=assessment.pk)
    if not action_plan.may_change_content(action, _allowed(assessment)):
        raise PermissionDenied
    form = VersionForm(request.POST or None, initial={"version": action.version})
    if request.method == "POST" and form.is_valid():
        try:
            action_plan.action_delete(action=action, user=request.user, rights=assessment.rights,
                                      base_version=form.cleaned_data["version"])
        except action_plan.StalePlan as stale:
            refuse_stale(form, stale.current, has_input=False)
            if stale.current is not None:
                action = _action_of(assessment, aid)  # the page names the action as it is now
        else:
            messages.success(request, message_html(_("「%(title)s」を対応計画から削除しました。"), title=lang_ja(action.title)))
            return redirect("action_plan", pk=assessment.pk)
    return render(request, "action_plan/delete_confirm.html", {"assessment": assessment, "action": action, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def review_date(request, pk):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    if not _allowed(assessment).progress:
        raise PermissionDenied
    form = ReviewDateForm(request.POST)
    if form.is_valid():
        try:
            action_plan.review_date_set(assessment=assessment, user=request.user, rights=assessment.rights,
                                        review_on=form.cleaned_data["review_on"], reason=form.cleaned_data["reason"],
                                        base_version=form.cleaned_data["version"])
        except action_plan.StalePlan as stale:
            refuse_stale(form, stale.current)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("見直しの日を記録しました。"))
            return redirect("action_plan", pk=assessment.pk)
    return _plan_page(request, assessment, review_form=form, status=400)


# --- Exports (what the user may see; every cell through spreadsheet_cells) ---------------------------


def _rows(assessment):
    yield from action_plan.action_rows(Assessment.objects.filter(pk=assessment.pk).values("pk"))


@in_data_language
@login_required
def plan_csv(request, pk):
    assessment = get_assessment_for_request(request, pk, need=VIEW)

    def rows():
        yield action_plan.ACTION_HEADER
        yield from _rows(assessment)

    return _csv_response(rows(), f"対応計画_{assessment.pk}.csv")


@in_data_language
@login_required
def plan_xlsx(request, pk):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    return _workbook_response([("対応計画", action_plan.ACTION_HEADER, _rows(assessment))], f"対応計画_{assessment.pk}.xlsx")


def summary_context(assessment, workspace) -> dict:
    """What the summary's plan section shows (assessments.views.wizard.assessment_summary): the plan,
    the review clock and the proposals with 「対応計画に加える」 (a fixed number of queries)."""
    today = timezone.localdate()
    actions, summary = action_plan.plan_of(assessment, today)
    clock = action_plan.review_clock_of(assessment)
    return {
        "plan_actions": actions, "plan_summary": summary, "plan_allowed": _allowed(assessment),
        "plan_proposals": action_plan.proposals_with_actions(workspace),
        "plan_review_clock": clock, "plan_review_state": clock.state(today), "plan_today": today,
    }


def public_context(assessment) -> dict:
    """What the public page of a published assessment shows of its plan and review clock."""
    today = timezone.localdate()
    actions, summary = action_plan.plan_of(assessment, today)
    clock = action_plan.review_clock_of(assessment)
    return {"plan_actions": actions, "plan_summary": summary, "plan_review_clock": clock,
            "plan_review_state": clock.state(today), "plan_today": today}

