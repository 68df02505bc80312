"""The review page: workflow, review body, opinions, residents' views; comments and history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import reviewing, selectors
from assessments.access import COMMENT, EDIT, OWN, REVIEW, VIEW, get_assessment_for_request
from assessments.answer_values import display_snapshot
from assessments.forms import OpinionForm, ResidentViewsForm, ReviewerForm, TransitionForm
from assessments.models import Answer, AnswerHistory, Comment, Question, ResidentViews, Reviewer, ReviewOpinion, Section
from assessments.views.stale_forms import refuse_stale
from assessments.views.wizard import REFUSED_COMMENT

# How much of a refused comment is kept for the page it goes back to (the limit is 5,000 characters).
REFUSED_COMMENT_KEPT = 20_000


def _apply(request, assessment, write, success: str, form=None, **forms):
    """Run one service call; on success say so and go back to the review page. Its validation
    errors are shown next to the fields of ``form`` (the user's input kept) on the review page shown
    again; without a form, as messages after going back."""
    try:
        write()
    except reviewing.StaleSave as stale:
        refuse_stale(form, stale.current, base=stale.base)  # the input kept, now based on the stored record
        return _refused(request, assessment, form, **forms)
    except ValidationError as error:
        if form is not None:
            return _refused(request, assessment, form, error, **forms)
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("assessment_review", pk=assessment.pk)


# Where a refused form's errors that name no field of it are shown: beside the field the user wrote.
MAIN_FIELDS = {TransitionForm: "note", OpinionForm: "text", ReviewerForm: "username", ResidentViewsForm: "summary"}


def _refused(request, assessment, form, error: ValidationError | None = None, **forms):
    """The review page again, status 400, with the refused ``form`` (passed in ``forms`` under its
    place on the page) bound to the user's input and its errors next to its fields (an error that
    names none of them beside the form's main field), each error also as a message at the top."""
    main = MAIN_FIELDS[type(form)]
    if error is not None:
        errors = error.error_dict.items() if hasattr(error, "error_dict") else [(None, error.error_list)]
        for field, messages_of_field in errors:
            form.add_error(field if field in form.fields else main, messages_of_field)
    for message in form.errors.pop("__all__", []):
        form.add_error(main, message)
    _report_form_errors(request, form)
    return _review_page(request, assessment, status=400, **forms)


@login_required
def review_page(request, pk):
    return _review_page(request, get_assessment_for_request(request, pk, need=VIEW))


def _review_page(request, assessment, *, transition_form=None, opinion_form=None, reviewer_form=None,
                 resident_form=None, status=200):
    rights = assessment.rights
    reviewers = list(assessment.reviewers.select_related("user__profile"))
    my_seat = next((r for r in reviewers if r.user_id == request.user.pk), None)
    opinions = list(
        ReviewOpinion.objects.filter(assessment=assessment).select_related("reviewer__user__profile", "section")
    )
    sections = list(Section.objects.filter(question_set=assessment.question_set).order_by("position"))
    resident_views = ResidentViews.objects.filter(assessment=assessment).first()
    mine = {o.section_id: o for o in opinions if my_seat and o.reviewer_id == my_seat.pk}
    fingerprint = reviewing.content_fingerprint(assessment)
    for opinion in opinions:  # what an opinion counts for, said beside it
        opinion.outdated = opinion.fingerprint != fingerprint
    review_open = assessment.status in reviewing.REVIEW_OPEN
    opinion_forms = []
    if REVIEW in rights and my_seat and review_open:
        for section in [None, *sections]:
            prefix = opinion_prefix(section)
            if opinion_form is not None and opinion_form.prefix == prefix:
                opinion_forms.append((section, opinion_form))  # refused: the reviewer's input, with its errors
                continue
            existing = mine.get(section.pk if section else None)
            initial = {"section": section.pk if section else "", "verdict": existing.verdict if existing else "",
                       "text": existing.text if existing else "", "base": reviewing.stored_base(existing)}
            opinion_forms.append((section, OpinionForm(initial=initial, prefix=prefix)))
    return render(
        request,
        "assessments/review.html",
        {
            "assessment": assessment,
            "rights": rights,
            "actions": reviewing.allowed_actions(assessment.status, rights),
            "transition_form": transition_form or TransitionForm(),
            "history": assessment.status_changes.select_related("user__profile"),
            "reviewers": reviewers,
            "composition": selectors.review_body_composition([r for r in reviewers if r.active]),
            "review_open": review_open,
            "opinions": opinions,
            "reviewers_with_opinions": {opinion.reviewer_id for opinion in opinions},  # kept on the record
            "opinion_forms": opinion_forms,
            "reviewer_form": (reviewer_form or ReviewerForm()) if OWN in rights and review_open else None,
            "my_seat": my_seat,
            "resident_views_changes": assessment.resident_views_changes.select_related("user__profile")[:50],
            "review_body": selectors.review_body(assessment),
            "approval": reviewing.approval_check(assessment, fingerprint) if assessment.status == "in_review" else None,
            "resident_views": resident_views,
            "resident_form": (resident_form or ResidentViewsForm(instance_data=resident_views)) if EDIT in rights else None,
        },
        status=status,
    )


def opinion_prefix(section) -> str:
    """The prefix of the opinion form on ``section`` (None: the opinion on the whole)."""
    return f"op-{section.key if section else 'overall'}"


def _report_form_errors(request, form) -> None:
    """Each of a refused form's errors as a message, after the label of its field."""
    for field, errors in form.errors.items():
        for error in errors:
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {error}" if label else error)


@login_required
@require_POST
def transition(request, pk):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    action = form.cleaned_data["action"]
    if action in ("publish", "unpublish") and request.POST.get("confirmed") != "yes":
        # Publishing and unpublishing are confirmed on a page that shows what becomes public.
        chosen = reviewing.ACTIONS[action]
        if chosen.right not in assessment.rights:
            raise PermissionDenied
        if assessment.status not in chosen.sources:  # the state moved on in another tab
            messages.error(request, reviewing.state_moved_message(assessment, chosen))
            return redirect("assessment_review", pk=assessment.pk)
        return render(request, "assessments/publish_confirm.html", {
            "assessment": assessment, "action": chosen, "form": form,
            "review_body": selectors.review_body(assessment),
        })
    return _apply(request, assessment, lambda: reviewing.assessment_transition(
        assessment=assessment, user=request.user, rights=assessment.rights,
        action=form.cleaned_data["action"], note=form.cleaned_data["note"],
    ), _("状態を変更しました。"), form, transition_form=form)


@login_required
@require_POST
def reviewer_add(request, pk):
    assessment = get_assessment_for_request(request, pk, need=OWN)
    form = ReviewerForm(request.POST)
    if not form.is_valid():
        return _refused(request, assessment, form, reviewer_form=form)
    return _apply(request, assessment, lambda: reviewing.reviewer_add(assessment=assessment, **form.cleaned_data),
                  _("審査委員を加えました。"), form, reviewer_form=form)


@login_required
@require_POST
def reviewer_consent(request, pk):
    """A reviewer's own choice whether published pages and reports name them."""
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    seat = get_object_or_404(Reviewer, assessment=assessment, user=request.user)
    named = request.POST.get("named") == "yes"
    Reviewer.objects.filter(pk=seat.pk).update(named=named)
    messages.success(request, _("公開する資料に氏名を載せます。") if named else _("公開する資料には氏名を載せず、区分だけを載せます。"))
    return redirect("assessment_review", pk=assessment.pk)


@login_required
@require_POST
def reviewer_remove(request, pk, reviewer_id):
    assessment = get_assessment_for_request(request, pk, need=OWN)
    reviewer = get_object_or_404(Reviewer, pk=reviewer_id, assessment=assessment)
    return _apply(request, assessment, lambda: reviewing.reviewer_remove(assessment=assessment, reviewer=reviewer),
                  _("審査委員を外しました。"))


@login_required
@require_POST
def opinion_save(request, pk):
    assessment = get_assessment_for_request(request, pk, need=REVIEW)
    prefix = request.POST.get("prefix", "")
    form = OpinionForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return _refused(request, assessment, form, opinion_form=form)
    section_id = form.cleaned_data["section"]
    section = None
    if section_id:
        section = Section.objects.filter(pk=section_id, question_set=assessment.question_set).first()
        if section is None:
            raise Http404
    return _apply(request, assessment, lambda: reviewing.opinion_save(
        assessment=assessment, user=request.user, section=section,
        verdict=form.cleaned_data["verdict"], text=form.cleaned_data["text"], base=form.cleaned_data["base"],
    ), _("意見を保存しました。"), form, opinion_form=form)


@login_required
@require_POST
def resident_views_save(request, pk):
    assessment = get_assessment_for_request(request, pk, need=EDIT)
    form = ResidentViewsForm(request.POST)
    if not form.is_valid():
        return _refused(request, assessment, form, resident_form=form)
    return _apply(request, assessment, lambda: reviewing.resident_views_save(assessment=assessment, user=request.user, **form.cleaned_data),
                  _("住民・当事者の意見を保存しました。"), form, resident_form=form)


@login_required
@require_POST
def comment_add(request, pk):
    assessment = get_assessment_for_request(request, pk, need=COMMENT)
    question = Question.objects.filter(question_set=assessment.question_set, key=request.POST.get("question", "")).select_related("section").first()
    if question is None:
        raise Http404
    parent = None
    if request.POST.get("parent"):
        raw = request.POST["parent"]
        parent = Comment.objects.filter(pk=int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else 0,
                                        assessment=assessment).first()
        if parent is None:
            raise Http404
    text = request.POST.get("text", "")
    try:
        reviewing.comment_add(assessment=assessment, user=request.user, question=question, text=text, parent=parent)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        # Shown again in its field, with the error beside it, on the section page it goes back to.
        request.session[REFUSED_COMMENT] = {"assessment": assessment.pk, "question": question.key,
                                            "text": text[:REFUSED_COMMENT_KEPT], "error": " ".join(error.messages)}
    else:
        messages.success(request, _("コメントを投稿しました。"))
    url = reverse("assessment_section", args=[assessment.pk, question.section.key])
    return redirect(f"{url}#q-{question.key}")


@login_required
def answer_history(request, pk, question_key):
    assessment = get_assessment_for_request(request, pk, need=VIEW)
    question = get_object_or_404(Question.objects.select_related("section"), question_set=assessment.question_set, key=question_key)
    entries = AnswerHistory.objects.filter(assessment=assessment, question=question).select_related("user__profile")
    # History states keep no snapshot: their values are shown with the answer's, completed from the question.
    answer = Answer.objects.filter(assessment=assessment, question=question).first()
    snapshot = display_snapshot(question, answer.snapshot if answer else None)
    return render(request, "assessments/history.html",
                  {"assessment": assessment, "question": question, "entries": entries, "snapshot": snapshot})
