"""Requests to the municipality (質問・開示請求の追跡): record a letter or disclosure request as sent,
follow its due day and state, record the reply and update the answers it answers. Thin views: the
access helper, then request_forms and municipality_requests do the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import municipality_requests as services
from assessments import request_law
from assessments.access import EDIT, VIEW, assessments_visible_to, get_assessment_for_request
from assessments.answer_saving import AnswersLocked
from assessments.answer_values import MARKS, answer_meaning, clean_answer, clean_text, display_value
from assessments.models import Answer, Assessment, MunicipalityRequest, RequestEvent
from assessments.request_forms import DOCUMENT_ROWS, ReplyForm, RequestForm, TransitionForm
from assessments.templatetags.dxpia import lang_ja, message_html
from assessments.views.stale_forms import refuse_stale

def _request_of(assessment, rid) -> MunicipalityRequest:
    try:
        return services.requests_for_assessments(Assessment.objects.filter(pk=assessment.pk)).get(pk=int(rid))
    except (MunicipalityRequest.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


@login_required
def request_list(request, pk):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    today = timezone.localdate()
    requests = services.ordered_for_list(
        services.requests_for_assessments(Assessment.objects.filter(pk=assessment.pk)), today)
    return render(request, "requests/list.html", {
        "assessment": assessment, "requests": requests, "today": today, "can_edit": EDIT in assessment.rights,
    })


@login_required
def my_requests(request):
    """Every request about the assessments the user may see, overdue and due first."""
    requests = services.ordered_for_list(
        services.requests_for_assessments(assessments_visible_to(request.user)), timezone.localdate())
    return render(request, "requests/mine.html", {"requests": requests})


@login_required
def request_new(request, pk):
    """Record a request; prefilled from the letter (its questions and documents) when ?from=letter."""
    assessment = get_assessment_for_request(request, pk, need=EDIT if request.method == "POST" else VIEW)
    if EDIT not in assessment.rights:
        return redirect("request_list", pk=assessment.pk)
    prefill = services.letter_prefill(assessment)
    if request.method == "POST":
        form = RequestForm(request.POST)
        chosen_questions = set(request.POST.getlist("question"))
        chosen_documents = set(request.POST.getlist("document"))
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in services.REQUEST_FIELDS}
            created = services.request_create(
                assessment=assessment, user=request.user, values=values, today=timezone.localdate(),
                questions=[q for i, q in enumerate(prefill.questions) if str(i) in chosen_questions],
                documents=[d for i, d in enumerate(prefill.documents) if str(i) in chosen_documents],
            )
            messages.success(request, message_html(_("「%(title)s」を記録しました。"), title=lang_ja(created.title)))
            return redirect("request_detail", pk=assessment.pk, rid=created.pk)
        status = 400
    else:
        form = RequestForm(initial={
            "kind": prefill.kind, "title": prefill.title, "addressed_to": prefill.addressed_to,
            "sent_on": timezone.localdate().isoformat(),
            "reply_by": prefill.reply_by.isoformat() if prefill.reply_by else "", "version": 0,
            "method": MunicipalityRequest.Method.POST,
        })
        chosen_questions = {str(i) for i in range(len(prefill.questions))}
        chosen_documents = {str(i) for i in range(len(prefill.documents))}
        status = 200
    return render(request, "requests/new.html", {
        "assessment": assessment, "form": form, "status": status,
        "questions": [(str(i), text, answer, str(i) in chosen_questions) for i, (answer, text) in enumerate(prefill.questions)],
        "documents": [(str(i), text, str(i) in chosen_documents) for i, text in enumerate(prefill.documents)],
    }, status=status)


def _answer_rows(req, assessment, data=None, errors=None):
    """The linked answers still 不明/未開示, each with what the reply form shows to update it."""
    rows = []
    seen = set()
    for item in req.items.all():
        answer = item.answer_obj
        if answer is None or answer.pk in seen:
            continue
        seen.add(answer.pk)
        meaning = answer_meaning(answer.value, answer.snapshot)
        if meaning not in ("unknown", "not_disclosed"):
            continue
        question = answer.question
        prefix = f"a{answer.pk}"
        rows.append({
            "answer": answer, "question": question, "prefix": prefix, "meaning": MARKS.get(meaning, meaning),
            "current": display_value(answer.value, answer.snapshot),
            "choices": [(c.key, c.label) for c in question.choices.all()] if question.is_choice else [],
            "multiple": question.type == "multiple",
            "marks": list(MARKS.items()),
            "chosen": (data.getlist(f"{prefix}-value") if data is not None else []),
            "typed": (data.get(f"{prefix}-value", "") if data is not None else ""),
            "mark": (data.get(f"{prefix}-mark", "") if data is not None else ""),
            "note": (data.get(f"{prefix}-note", "") if data is not None else answer.note),
            "update": bool(data is not None and data.get(f"{prefix}-update")),
            "error": (errors or {}).get(answer.pk, ""),
            "versions": (answer.value_version, answer.note_version, answer.evidence_version),
        })
    return rows


def _attach_answers(req):
    """Each item's answer with its question and choices (2 queries, whatever the number of items)."""
    ids = [item.answer_id for item in req.items.all() if item.answer_id]
    answers = {a.pk: a for a in Answer.objects.filter(pk__in=ids).select_related("question").prefetch_related("question__choices")}
    for item in req.items.all():
        item.answer_obj = answers.get(item.answer_id)
        item.current_display = display_value(item.answer_obj.value, item.answer_obj.snapshot) if item.answer_obj else ""


def _detail(request, assessment, req, *, transition_form=None, reply_form=None, request_form=None, answer_rows=None,
            stale=None, status=200):
    today = timezone.localdate()
    rule = services.rule_of(assessment)
    can_edit = EDIT in assessment.rights
    choices = [(k, RequestEvent.Kind(k).label) for k in RequestEvent.Kind.values
               if k in services.TRANSITIONS.get(req.state, set())
               or (k == RequestEvent.Kind.OVERDUE and services.is_overdue(req, today))]
    state_choices = [(s, MunicipalityRequest.State(s).label) for s in services.DECISIONS
                     if s in services.TRANSITIONS.get(req.state, set())]
    version = {"version": req.version}
    if transition_form is None:
        transition_form = TransitionForm(initial={**version, "on": today.isoformat()}, choices=choices)
    else:
        transition_form.fields["kind"].choices = choices
    if reply_form is None:
        reply_form = ReplyForm(initial={**version, "received_on": today.isoformat()}, request_obj=req, state_choices=state_choices)
    if request_form is None:
        request_form = RequestForm(initial={
            **{name: getattr(req, name) for name in services.REQUEST_FIELDS},
            **{name: getattr(req, name).isoformat() if getattr(req, name) else "" for name in ("sent_on", "received_on", "reply_by")},
            **version,
        })
    if answer_rows is None:
        answer_rows = _answer_rows(req, assessment)
    return render(request, "requests/detail.html", {
        "assessment": assessment, "req": req, "today": today, "rule": rule, "can_edit": can_edit,
        "overdue": services.is_overdue(req, today), "days_left": services.days_left(req, today),
        "overdue_days": -services.days_left(req, today) if services.is_overdue(req, today) else None,
        "state_label": services.state_label(req, today),
        "transition_form": transition_form, "reply_form": reply_form, "request_form": request_form,
        "document_rows": [[reply_form[f"doc-{i}-{n}"] for n in ("title", "page", "date", "url")] for i in range(DOCUMENT_ROWS)],
        "answer_rows": answer_rows, "answers_editable": assessment.answers_editable, "stale": stale, "status": status,
        "appeal_period": request_law.APPEAL_PERIOD, "appeal_body": request_law.APPEAL_BODY,
        "check_ordinance": request_law.CHECK_ORDINANCE,
        "questions": [i for i in req.items.all() if i.kind == "question"],
        "documents": [i for i in req.items.all() if i.kind == "document"],
    }, status=status)


@login_required
def request_detail(request, pk, rid):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    req = _request_of(assessment, rid)
    _attach_answers(req)
    return _detail(request, assessment, req)


@login_required
@require_POST
def request_edit(request, pk, rid):
    assessment = get_assessment_for_request(request, pk, need=EDIT)
    req = _request_of(assessment, rid)
    form = RequestForm(request.POST)
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.REQUEST_FIELDS}
        try:
            services.request_update(request=req, values=values, base_version=form.cleaned_data["version"])
        except services.StaleRequest as stale:
            refuse_stale(form, stale.current)
        except ValidationError as error:
            form.add_error("received_on" if values.get("received_on") else "sent_on", error.messages[0])
        else:
            messages.success(request, _("記録を更新しました。"))
            return redirect("request_detail", pk=assessment.pk, rid=req.pk)
    req = _request_of(assessment, rid)
    _attach_answers(req)
    return _detail(request, assessment, req, request_form=form, status=400)


@login_required
@require_POST
def request_transition(request, pk, rid):
    assessment = get_assessment_for_request(request, pk, need=EDIT)
    req = _request_of(assessment, rid)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            services.request_transition(
                request=req, user=request.user, kind=form.cleaned_data["kind"], on=form.cleaned_data["on"],
                note=form.cleaned_data["note"], base_version=form.cleaned_data["version"], today=timezone.localdate(),
                extended_due_on=form.cleaned_data["extended_due_on"])
        except services.StaleRequest as stale:
            refuse_stale(form, stale.current)
        except ValidationError as error:
            field = "extended_due_on" if error.code == "extended_due" else ("on" if error.code in ("future", "before_sent") else "kind")
            form.add_error(field, error.messages[0])
        else:
            messages.success(request, _("状態の変化を記録しました。"))
            return redirect("request_detail", pk=assessment.pk, rid=req.pk)
    req = _request_of(assessment, rid)
    _attach_answers(req)
    return _detail(request, assessment, req, transition_form=form, status=400)


def _answer_updates(req, data, rows) -> tuple[list, dict]:
    """The answer updates the reply form asks for, cleaned by the wizard's rule (clean_answer); errors by answer id."""
    updates, errors = [], {}
    for row in rows:
        if not row["update"]:
            continue
        answer, question, prefix = row["answer"], row["question"], row["prefix"]
        raw = data.getlist(f"{prefix}-value") if row["multiple"] else data.get(f"{prefix}-value", "")
        try:
            value = clean_answer(question, raw, mark=data.get(f"{prefix}-mark", "") if not question.is_choice else "",
                                 choice_keys=[key for key, _label in row["choices"]])
        except ValidationError as error:
            errors[answer.pk] = error.messages[0]
            continue
        if value in (None, "", []):
            errors[answer.pk] = _("新しい回答を選ぶか入力してください。")
            continue
        try:
            base = {part: int(data.get(f"{prefix}-{part}-version", "")) for part in ("value", "note", "evidence")}
        except ValueError:
            base = {"value": 0, "note": 0, "evidence": 0}
        note = clean_text(data.get(f"{prefix}-note", ""))
        updates.append(services.AnswerUpdate(answer=answer, value=value, note=note, base=base))
    return updates, errors


@login_required
@require_POST
def request_reply(request, pk, rid):
    assessment = get_assessment_for_request(request, pk, need=EDIT)
    req = _request_of(assessment, rid)
    _attach_answers(req)
    state_choices = [(s, MunicipalityRequest.State(s).label) for s in services.DECISIONS]
    form = ReplyForm(request.POST, request_obj=req, state_choices=state_choices)
    rows = _answer_rows(req, assessment, data=request.POST)
    updates, errors = _answer_updates(req, request.POST, rows) if assessment.answers_editable else ([], {})
    if form.is_valid() and not errors:
        try:
            services.reply_record(
                request=req, user=request.user, received_on=form.cleaned_data["received_on"],
                text=form.cleaned_data["text"], item_ids=form.cleaned_data["items"], documents=form.documents(),
                state=form.cleaned_data["state"], updates=updates, base_version=form.cleaned_data["version"],
                today=timezone.localdate())
        except services.StaleRequest as stale:
            refuse_stale(form, stale.current)
        except services.AnswerConflict as conflict:
            for item in conflict.conflicts:
                answer = next((r["answer"] for r in rows if r["question"].pk == item.question.pk), None)
                if answer is not None:
                    errors[answer.pk] = _("このページを開いた後に、この回答が別の人に保存されていました。"
                                          "回答の画面で最新の内容を確かめてください。何も保存していません。")
            form.add_error(None, _("回答の更新が別の保存とぶつかったため、何も保存していません。"))
        except AnswersLocked:
            form.add_error(None, _("この評価は提出済みのため、回答を変えられません。回答の更新を外して記録してください。"))
        except ValidationError as error:
            field = {"transition": "state", "future": "received_on", "before_sent": "received_on"}.get(error.code)
            form.add_error(field, error.messages[0])
        else:
            if updates:
                messages.success(request, _("回答を記録し、%(count)s件の回答を更新しました（根拠資料に追加）。") % {"count": len(updates)})
            else:
                messages.success(request, _("回答を記録しました。"))
            return redirect("request_detail", pk=assessment.pk, rid=req.pk)
    req = _request_of(assessment, rid)
    _attach_answers(req)
    rows = _answer_rows(req, assessment, data=request.POST, errors=errors)
    return _detail(request, assessment, req, reply_form=form, answer_rows=rows, status=400)
