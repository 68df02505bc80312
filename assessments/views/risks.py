"""The risk register (リスク): the list with the suggestions and the map, and the forms to record,
change and delete a risk and to set a suggestion aside or bring it back. Thin views: the access
helper, then risk_forms and the services in assessments.risks do the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import risks as services
from assessments import selectors
from assessments.access import EDIT, VIEW, get_assessment_for_request
from assessments.models import Risk
from assessments.reports import risk_map
from assessments.risk_forms import DismissForm, RiskForm
from assessments.templatetags.dxpia import lang_ja, message_html
from assessments.views.stale_forms import gone_page


def _editable(assessment) -> bool:
    return EDIT in assessment.rights and assessment.answers_editable


def _assessment_to_edit(request, pk):
    """The assessment, if the user may change its register now (403 with the reason otherwise)."""
    assessment = get_assessment_for_request(request, pk, need=EDIT)
    if not assessment.answers_editable:
        raise PermissionDenied(_("提出後のリスクは、差し戻されるまで変更できません。"))
    return assessment


def _risk_of(assessment, rid, *, gone_ok=False) -> Risk | None:
    """The assessment's risk ``rid``; 404 if there is none (None with ``gone_ok``: a form sent for a
    risk deleted meanwhile is answered with what was typed, not a bare 404)."""
    try:
        return Risk.objects.prefetch_related("harms", "questions").get(assessment=assessment, pk=int(rid))
    except Risk.DoesNotExist:
        if gone_ok:
            return None
        raise Http404 from None
    except (ValueError, TypeError, OverflowError):
        raise Http404 from None


def _list_context(assessment, register, **extra):
    return {
        "assessment": assessment, "register": register, "figures": risk_map.figures(register),
        "can_edit": _editable(assessment), "submitted": not assessment.answers_editable, **extra,
    }


@login_required
def risk_list(request, pk):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    register = services.risk_register(assessment)
    return render(request, "risks/list.html", _list_context(assessment, register))


def _form_for(assessment, workspace, part, data=None, *, initial=None, linked_questions=(), linked_items=()):
    visible = workspace.result.visible
    linked = {q.key for q in linked_questions}
    questions = [q for q in workspace.questions if q.key in visible or q.key in linked]
    return RiskForm(data, initial=initial, part=part, questions=questions,
                    items=services.inventory_items(workspace), linked_items=linked_items)


def _checked(value) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, (list, tuple)):
        return {str(v) for v in value}
    return {str(value)}


def _options(form, part, items_now) -> dict:
    """Each choice group's options as (value, label, explanation, checked): the harms with their
    explanation, the scale steps with their definition (shown where they are chosen)."""
    model = part.model

    def group(name, explain):
        checked = _checked(form[name].value())
        return [(value, label, explain(value), value in checked) for value, label in form.fields[name].choices]

    def step(scale):
        steps = {str(s.value): s.description for s in scale}
        return lambda value: steps.get(value, "")

    return {
        "harms": group("harms", lambda key: part.harms[key].explanation),
        "severity": group("severity", step(model.severity)),
        "likelihood": group("likelihood", step(model.likelihood)),
        "residual_severity": group("residual_severity", step(model.severity)),
        "residual_likelihood": group("residual_likelihood", step(model.likelihood)),
        "data_items": group("data_items", lambda name: "" if name in items_now else _("いまのデータ項目一覧にない項目")),
    }


def _form_page(request, assessment, workspace, part, form, *, risk=None, stale=None, status=200):
    by_section = {}
    for question in (workspace.by_key.get(key) for key, _label in form.fields["questions"].choices):
        by_section.setdefault(question.section, []).append(question)
    chosen_questions = set(form["questions"].value() or [])
    return render(request, "risks/form.html", {
        "assessment": assessment, "form": form, "risk": risk, "part": part, "model": part.model,
        "stale": stale,
        "question_groups": [(section, [(q, q.key in chosen_questions) for q in questions])
                            for section, questions in by_section.items()],
        "preview": form.level_preview() if form.is_bound else None,
        "options": _options(form, part, set(services.inventory_items(workspace))),
    }, status=status)


@login_required
def risk_new(request, pk):
    """Record a risk; from a suggestion (?rule=KEY) the form starts with what it suggests."""
    assessment = _assessment_to_edit(request, pk)
    part = services.risk_part(assessment.question_set)
    if part.model is None:
        raise Http404
    workspace = selectors.assessment_workspace(assessment)
    if request.method == "POST":
        form = _form_for(assessment, workspace, part, request.POST)
        if form.is_valid():
            try:
                risk = services.risk_create(assessment=assessment, user=request.user, values=form.values())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, message_html(_("リスク「%(title)s」を記録しました。"), title=lang_ja(risk.title)))
                return redirect("risk_list", pk=assessment.pk)
        return _form_page(request, assessment, workspace, part, form, status=400)
    initial = {"version": 0}
    rule_key = request.GET.get("rule", "")
    suggestion = next((s for s in services.risk_register(assessment, workspace).suggestions
                       if s.rule.key == rule_key), None) if rule_key else None
    if suggestion is not None:
        initial.update({
            "title": suggestion.rule.title, "description": suggestion.rule.reason,
            "harms": list(suggestion.rule.harms), "questions": list(suggestion.suggestion.questions),
            "data_items": list(suggestion.suggestion.items), "origin_rule": suggestion.rule.key,
        })
    form = _form_for(assessment, workspace, part, initial=initial)
    return _form_page(request, assessment, workspace, part, form)


def _initial_of(risk) -> dict:
    return {
        **{name: getattr(risk, name) for name in services.RISK_FIELDS},
        "harms": [h.key for h in risk.harms.all()], "questions": [q.key for q in risk.questions.all()],
        "version": risk.version,
    }


@login_required
def risk_edit(request, pk, rid):
    assessment = _assessment_to_edit(request, pk)
    risk = _risk_of(assessment, rid, gone_ok=request.method == "POST")
    part = services.risk_part(assessment.question_set)
    workspace = selectors.assessment_workspace(assessment)
    if risk is None:  # deleted after this form was opened
        return _risk_gone(request, assessment, _form_for(assessment, workspace, part, request.POST))
    linked = {"linked_questions": list(risk.questions.all()), "linked_items": risk.data_items}
    if request.method != "POST":
        form = _form_for(assessment, workspace, part, initial=_initial_of(risk), **linked)
        return _form_page(request, assessment, workspace, part, form, risk=risk)
    form = _form_for(assessment, workspace, part, request.POST, **linked)
    if form.is_valid():
        try:
            services.risk_update(assessment=assessment, risk_id=risk.pk, user=request.user, values=form.values(),
                                 base_version=form.cleaned_data["version"])
        except services.StaleRisk as error:
            return _stale(request, assessment, workspace, part, form, error.current)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, message_html(_("リスク「%(title)s」を保存しました。"),
                                                   title=lang_ja(form.cleaned_data["title"])))
            return redirect("risk_list", pk=assessment.pk)
    return _form_page(request, assessment, workspace, part, form, risk=risk, status=400)


def _risk_gone(request, assessment, form):
    return gone_page(request, message=_("このリスクは、このページを開いた後に削除されていました。保存していません。"),
                     form=form, typed_fields=("title", "description", "existing_measures", "residual_note"),
                     back_url=reverse("risk_list", args=[assessment.pk]), back_label=_("リスクの一覧に戻る"))


def _stale(request, assessment, workspace, part, form, current):
    """The refused input again, beside what is stored now; saving again overwrites it knowingly."""
    if current is None:
        return _risk_gone(request, assessment, form)
    form.add_error(None, _("このページを開いた後に、別のタブまたは別の人がこのリスクを保存していました。"
                           "下の保存済みの内容を確かめ、残したい内容でもう一度保存してください。"))
    form.data = form.data.copy()
    form.data["version"] = str(current.version)
    stale = services.risk_register(assessment, workspace)
    view = next((v for v in stale.risks if v.risk.pk == current.pk), None)
    return _form_page(request, assessment, workspace, part, form, risk=current, stale=view, status=409)


@login_required
def risk_delete(request, pk, rid):
    assessment = _assessment_to_edit(request, pk)
    risk = _risk_of(assessment, rid, gone_ok=request.method == "POST")
    if risk is None:  # deleted meanwhile (a second confirmation page): what was asked is done
        messages.info(request, _("このリスクは、すでに削除されていました。"))
        return redirect("risk_list", pk=assessment.pk)
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
            services.risk_delete(assessment=assessment, risk_id=risk.pk, base_version=version)
        except (ValueError, services.StaleRisk):
            return render(request, "risks/delete_confirm.html", {
                "assessment": assessment, "risk": risk, "stale": True}, status=409)
        messages.success(request, message_html(_("リスク「%(title)s」を削除しました。"), title=lang_ja(risk.title)))
        return redirect("risk_list", pk=assessment.pk)
    return render(request, "risks/delete_confirm.html", {"assessment": assessment, "risk": risk})


@login_required
@require_POST
def suggestion_dismiss(request, pk, rule_key):
    assessment = _assessment_to_edit(request, pk)
    form = DismissForm(request.POST)
    stale = None
    if form.is_valid():
        try:
            services.suggestion_dismiss(assessment=assessment, user=request.user, rule_key=rule_key,
                                        reason=form.cleaned_data["reason"], seen=_seen(request))
        except services.StaleDismissal as error:
            stale = {"rule_key": rule_key, "current": error.current, "reason": form.cleaned_data["reason"]}
        except ValidationError as error:
            form.add_error("reason", error.message_dict.get("reason", error.messages))
        else:
            messages.success(request, _("示唆を見送りました。理由は、このページの「見送った示唆」に残ります。"))
            return redirect("risk_list", pk=assessment.pk)
    register = services.risk_register(assessment)
    return render(request, "risks/list.html", _list_context(
        assessment, register, dismiss_form=form, dismiss_rule=rule_key, stale_dismissal=stale),
        status=409 if stale else 400)


def _seen(request) -> int:
    """The dismissal in force that the page showed (its pk; 0 for none, and for a page that does not
    say, which then matches only a suggestion nobody has set aside)."""
    seen = request.POST.get("seen", "")
    return int(seen) if seen.isascii() and seen.isdigit() and len(seen) < 12 else 0


@login_required
@require_POST
def suggestion_restore(request, pk, rule_key):
    assessment = _assessment_to_edit(request, pk)
    try:
        if services.suggestion_restore(assessment=assessment, user=request.user, rule_key=rule_key, seen=_seen(request)):
            messages.success(request, _("見送った示唆を元に戻しました。"))
    except services.StaleDismissal:
        messages.error(request, _("このページを開いた後に、この示唆の見送りが変わっていました（別の人または別のタブ）。"
                                  "何も変えていません。いまの状態を確かめてください。"))
    return redirect("risk_list", pk=assessment.pk)
