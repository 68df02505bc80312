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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from assessments import accounts, action_plan, answer_saving, inventory_io, municipality_requests, people, selectors, services
from assessments.access import COMMENT, EDIT, VIEW, assessments_visible_to, get_assessment_for_request
from assessments.answer_values import clean_answer, clean_text, display_value, range_warning
from assessments.forms import (
    TEXT_ROW_FIELDS,
    AssessmentStartForm,
    RowErrors,
    SectionPage,
    clean_rows,
    part_token,
    parts_of,
)
from assessments.models import Membership, Project, Question
from assessments.views import action_plan as action_plan_views
from assessments.views import reassessment as reassessment_views
from assessments.reports import risk_map
from assessments.templatetags.dxpia import lang_ja, message_html

ROW_TYPES = (Question.Type.EVIDENCE, Question.Type.INVENTORY)


@login_required
def assessment_list(request):
    assessments = assessments_visible_to(request.user).select_related(
        "project__municipality", "question_set", "organisation", "owner__profile"
    )
    # The organisation column links to the organisation's page for its members (a reviewer sees the name).
    my_organisations = set(Membership.objects.filter(user=request.user).values_list("organisation_id", flat=True))
    assessments = action_plan.attach_review_states(assessments, timezone.localdate())  # 「見直し時期」
    return render(request, "assessments/list.html", {"assessments": assessments, "my_organisations": my_organisations})


def assessment_start(request, key):
    project = get_object_or_404(Project.objects.select_related("municipality"), key=key)
    if not request.user.is_authenticated:
        # Not a bare redirect to sign-in: a resident who has no account yet learns what it is for.
        return render(request, "assessments/account_needed.html", {"project": project, "next": request.path})
    if not people.is_confirmed(request.user):
        return render(request, "assessments/confirm_needed.html", {"project": project}, status=403)
    form = AssessmentStartForm(request.POST or None, project=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        assessment = answer_saving.assessment_create(user=request.user, project=project, **form.cleaned_data)
        messages.success(request, message_html(_("評価「%(title)s」を始めました。"), title=lang_ja(assessment.title)))
        first = assessment.question_set.sections.order_by("position").first()
        return redirect("assessment_section", pk=assessment.pk, section_key=first.key)
    return render(request, "assessments/start.html", {"project": project, "form": form})


@login_required
def assessment_detail(request, pk):
    assessment = get_assessment_for_request(request, pk)
    first = assessment.question_set.sections.order_by("position").first()
    return redirect("assessment_section", pk=assessment.pk, section_key=first.key)


def _section_context(request, workspace, section, page, **extra):
    sections = workspace.sections
    index = sections.index(section)
    assessment = workspace.assessment
    can_edit = EDIT in assessment.rights and assessment.answers_editable
    has_inventory = any(q.type == "inventory" for q in section.questions.all())
    return {
        "can_edit": can_edit,
        "can_comment": COMMENT in assessment.rights,
        "comments": selectors.comments_by_question(assessment),
        "comment_draft": _refused_comment(request, assessment),
        "assessment": workspace.assessment,
        "workspace": workspace,
        "section": section,
        "page": page,
        "progress": workspace.progress(),
        "visible": workspace.result.visible,
        "nothing_visible": not any(q.key in workspace.result.visible for q in section.questions.all()),
        "previous_section": sections[index - 1] if index > 0 else None,
        "next_section": sections[index + 1] if index + 1 < len(sections) else None,
        "row_types": ROW_TYPES,
        "screening": workspace.screening() if any(q.screening_role for q in section.questions.all()) else None,
        "inventory_links": _inventory_links(assessment, can_edit) if has_inventory else None,
        "inventory_yes_no_words": inventory_io.YES_NO_WORDS if has_inventory else None,
        **extra,
    }


REFUSED_COMMENT = "refused_comment"  # the session key under which comment_add keeps a refused comment


def _refused_comment(request, assessment) -> dict | None:
    """The comment that comment_add refused on this assessment ({question, text, error}), shown
    once in its field with its error; None when there is none."""
    draft = request.session.get(REFUSED_COMMENT)
    if not isinstance(draft, dict) or draft.get("assessment") != assessment.pk:
        return None
    del request.session[REFUSED_COMMENT]
    return draft


def _inventory_links(assessment, can_edit) -> dict:
    """The inventory's file links: export for anyone who sees the section, import for editors."""
    links = {name: reverse(f"inventory_{name}", args=[assessment.pk]) for name in ("csv", "xlsx")}
    if can_edit:
        links["import"] = reverse("inventory_import", args=[assessment.pk])
    return links


def _resolutions(post) -> dict:
    """The conflict buttons: 「自分の入力で上書き」 (key:part:mine:<version>) and 「保存済みの内容を使う」
    (key:part:stored). "mine" overwrites only the version its conflict box showed: a save made after
    the box was shown is a new conflict, not overwritten unseen. A "mine" without a version (a page of
    an older dxpia) overwrites nothing: it is a conflict again, with the version to overwrite."""
    resolve = {}
    for raw in post.getlist("resolve"):
        key, part, choice, version = (raw.split(":", 3) + ["", "", ""])[:4]
        if part not in answer_saving.PARTS:
            continue
        if choice == "stored":
            resolve[(key, part)] = "stored"
        elif choice == "mine":
            resolve[(key, part)] = ("mine", int(version) if version.isascii() and version.isdigit() and len(version) < 10 else -1)
    return resolve


@login_required
def assessment_section(request, pk, section_key):
    assessment = get_assessment_for_request(request, pk, need=EDIT if request.method == "POST" else VIEW)
    workspace = selectors.assessment_workspace(assessment, rows_of=section_key)
    section = workspace.section(section_key)
    if section is None:
        raise Http404
    if request.method == "POST" and not assessment.answers_editable:
        return _refused_after_submission(request, workspace, section)
    if request.method != "POST":
        page = SectionPage(None, workspace, section, extra_rows=1 if request.GET.get("add_row") else 0)
        return render(request, "assessments/section.html", _section_context(request, workspace, section, page))

    page = SectionPage(request.POST, workspace, section)
    valid = page.is_valid()
    resolve = _resolutions(request.POST)
    changes = page.changes(resolve=resolve)
    outcome = answer_saving.answers_save(assessment=assessment, user=request.user, changes=changes) if changes else None
    conflicts = outcome.conflicts if outcome else []
    saved = outcome.saved if outcome else []
    too_large = outcome.too_large if outcome else ""
    if too_large:
        messages.error(request, too_large)
    if valid and not conflicts and not too_large:
        if saved:
            saved_at = timezone.localtime(outcome.saved_at).strftime("%H:%M")
            messages.success(request, _("保存しました（%(time)s）。") % {"time": saved_at})
        elif request.POST.get("goto") == section.key:
            messages.success(request, _("このページの内容はすべて保存済みです。"))
        confirmed = reassessment_views.confirm_from_section(request, assessment, section)  # 「前回の回答」
        return confirmed or _after_save(request, assessment, workspace, section)

    # Show the page again with the user's input: what was saved is said, every refused field has its
    # message, every conflict shows both texts at its question.
    fresh = selectors.assessment_workspace(assessment, rows_of=section.key)
    data = page.data_after(outcome, resolve=resolve, stored_now=fresh.answers)
    again = SectionPage(data, fresh, section)
    again.is_valid()
    by_key = workspace.by_key
    context = _section_context(
        request, fresh, section, again,
        conflicts=conflict_boxes(conflicts),
        error_list=page.error_list(),
        saved_questions=[by_key[key] for key in saved],
        saved_at=timezone.localtime(outcome.saved_at).strftime("%H:%M") if saved else "",
    )
    return render(request, "assessments/section.html", context, status=409 if conflicts else 400)


def _refused_after_submission(request, workspace, section):
    """A page opened while the assessment was a draft, sent after it was submitted: nothing is saved
    (提出後の回答は差し戻されるまで変わらない), and what the person had typed is shown to copy,
    with the way back, instead of a bare refusal that dropped it."""
    page = SectionPage(request.POST, workspace, section)
    page.is_valid()
    typed = [
        {"question": question, "parts": [(PART_LABELS[part], _part_text(question, part, content))
                                         for part, content in change.parts().items()]}
        for question, change in page.changes().items()
    ]
    context = {"assessment": workspace.assessment, "section": section, "typed": typed}
    return render(request, "assessments/refused_after_submission.html", context, status=403)


def _after_save(request, assessment, workspace, section):
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


def _clean_part(question, part: str, payload: dict):
    """One part of a background save, cleaned by the same rules as the form post."""
    raw = payload.get("value")
    if part == "value":
        mark = payload.get("mark", "")
        return clean_answer(question, raw, mark=mark if isinstance(mark, str) else None)
    if part == "note":
        return clean_text(raw)
    return clean_rows(part, raw)


@require_POST
def assessment_autosave(request, pk):
    """Save one part of one answer in the background.

    {"question": key, "part": "value"|"note"|"evidence"|"rows", "base": version, "value": …,
    "mark": ""|"unknown"|"not_disclosed"|"not_applicable" (value part of questions without choices)}
    200 {"ok", "version", "token", "saved_at", "revision", "display", "warning"}; 409 with the stored
    content when somebody saved a newer version of the same part; 400 with the messages; 403
    {"signed_out": true} when the page was left open after its user signed out (or the session ended).
    """
    if not request.user.is_authenticated:
        # Not login_required's redirect: fetch would follow it to the sign-in page and report a 200.
        # The page keeps the input and tries again once its user has signed in (in another tab).
        return _json_error(
            _("ログインが切れたため保存できませんでした。入力は画面に残っています。別のタブでログインし直すと、自動で保存します。"),
            403,
            signed_out=True,
        )
    assessment = get_assessment_for_request(request, pk, need=EDIT)
    if not assessment.answers_editable:
        return _json_error(_("提出後の回答は、差し戻されるまで変更できません。"), 403)
    if request.content_type != "application/json":
        return _json_error(_("送信内容は JSON（application/json）にしてください。"), 415)
    try:
        payload = json.loads(request.body.decode("utf-8"))
        key = payload["question"]
        part = payload.get("part", payload.get("field", "value"))
        base = payload["base"]
        if isinstance(base, bool) or not isinstance(base, int) or base < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, RecursionError):
        # RecursionError: JSON nested deeper than the parser goes (「[[[[…」), which was a 500.
        return _json_error(_("送信内容を読み取れませんでした。"), 400)
    if "user" in payload and payload["user"] != request.user.pk:
        # The page was opened by someone else, who signed out; this browser is now signed in as
        # another person. Their input is not saved under this person's name.
        return _json_error(
            _("このページを開いたときとは別のアカウントでログインしています。入力は画面に残っていますが、"
              "別の人の名前では保存しません。内容を控え、ページを開いたときのアカウントでログインし直してください。"),
            403, other_user=True,
        )
    # One question (keys are unique in a set): by pk, not Question's default order, which joins the
    # set and the section to every background save.
    question = (
        assessment.question_set.questions.filter(key=key).prefetch_related("choices").order_by("pk").first()
        if isinstance(key, str)
        else None
    )
    if question is None or part not in parts_of(question):
        return _json_error(_("この評価にない質問です。"), 400)
    label = question.text if len(question.text) <= 40 else question.text[:40] + "…"
    try:
        content = _clean_part(question, part, payload)
    except RowErrors as error:
        return _json_error(" ".join(error.messages), 400, question_text=label, rows=error.rows)
    except ValidationError as error:
        return _json_error(" ".join(error.messages), 400, question_text=label)
    change = answer_saving.AnswerChange(base={part: base})
    setattr(change, part, content)
    outcome = answer_saving.answers_save(assessment=assessment, user=request.user, changes={question: change})
    if outcome.too_large:
        return _json_error(outcome.too_large, 400, question_text=label)
    if outcome.conflicts:
        conflict = outcome.conflicts[0]
        stored = conflict.stored_content
        return _json_error(
            _("別のタブまたは別の人が、この欄を先に保存しました。あなたの入力と保存されている内容を並べて表示します。"),
            409,
            conflict=True,
            question_text=label,
            part=part,
            version=conflict.version,
            token=part_token(conflict.version, stored),
            stored=_jsonable(stored),
            stored_text=_stored_text(conflict),
        )
    version = outcome.versions[question.key][part]
    return JsonResponse(
        {
            "ok": True,
            "part": part,
            "version": version,
            "token": part_token(version, content),
            "revision": outcome.revision,
            "saved_at": timezone.localtime(outcome.saved_at).strftime("%H:%M"),
            "warning": range_warning(question, content) if part == "value" else "",
            "changed": question.key in outcome.saved,  # a changed 「前回の回答」 is confirmed
        }
    )


def _jsonable(content):
    return json.loads(json.dumps(content, default=str))


PART_LABELS = {"value": gettext_lazy("回答"), "note": gettext_lazy("補足"), "evidence": gettext_lazy("根拠資料"),
               "rows": gettext_lazy("データ項目一覧")}


def _part_text(question, part: str, content, snapshot=None) -> str:
    """One part's content as text, to show a stored part beside the refused input."""
    if part == "value":
        snapshot = snapshot or answer_saving.snapshot_of(question, content)
        return display_value(content, snapshot) or _("（未回答）")
    if part == "note":
        return content or _("（空欄）")
    if part == "evidence":
        return "\n".join(
            " / ".join(str(item[name]) for name in answer_saving.EVIDENCE_FIELDS if item.get(name)) for item in content
        ) or _("（資料なし）")
    return "\n".join(
        " / ".join(str(row[name]) for name in TEXT_ROW_FIELDS if row.get(name))
        for row in content
    ) or _("（行なし）")


def _stored_text(conflict) -> str:
    answer = conflict.stored
    return _part_text(conflict.question, conflict.part, conflict.stored_content, answer.snapshot if answer else None)


def conflict_boxes(conflicts) -> dict[str, list[dict]]:
    """Per question key, what the page shows at each refused part: both texts and the two buttons."""
    boxes: dict[str, list[dict]] = {}
    for conflict in conflicts:
        boxes.setdefault(conflict.question.key, []).append({
            "question": conflict.question,
            "part": conflict.part,
            "label": PART_LABELS[conflict.part],
            "stored_text": _stored_text(conflict),
            "mine_text": _part_text(conflict.question, conflict.part, conflict.mine),
            "version": conflict.version,
            "who": conflict.stored.updated_by if conflict.stored else None,
            "when": conflict.stored.updated_at if conflict.stored else None,
        })
    return boxes


@login_required
def assessment_summary(request, pk):
    assessment = get_assessment_for_request(request, pk)
    workspace = selectors.assessment_workspace(assessment)
    by_key = workspace.by_key
    asked = municipality_requests.asked_by_answer(assessment, timezone.localdate())
    asked_by_key = {key: asked[answer.pk] for key, answer in workspace.answers.items() if answer.pk in asked}
    return render(
        request,
        "assessments/summary.html",
        {
            "assessment": assessment,
            "can_edit": EDIT in assessment.rights and assessment.answers_editable,
            "can_delete": accounts.may_delete_draft(request.user, assessment),
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
            "honorific": services.letter_honorific(assessment),
            "asked": asked_by_key,
            "can_record_request": EDIT in assessment.rights,
            **action_plan_views.summary_context(assessment, workspace),
            **risk_map.context(assessment, workspace),
        },
    )


@login_required
def assessment_delete(request, pk):
    """Deleting a draft, after a confirmation page: by its author or an owner of its organisation."""
    assessment = get_assessment_for_request(request, pk)
    if not accounts.may_delete_draft(request.user, assessment):
        raise PermissionDenied
    context = {"assessment": assessment, "stamp": accounts.draft_stamp(assessment)}
    if request.method == "POST":
        try:
            accounts.delete_draft(assessment, seen=request.POST.get("stamp"))
        except ValueError:
            raise PermissionDenied from None
        except accounts.StaleDelete as stale:
            # Saved to by someone (or another tab) since the page was opened: shown again, not deleted.
            context.update(stamp=accounts.draft_stamp(stale.current), changed=True)
            return render(request, "assessments/delete_confirm.html", context, status=409)
        messages.success(request, message_html(_("評価「%(title)s」を削除しました。"), title=lang_ja(assessment.title)))
        return redirect("assessment_list")
    return render(request, "assessments/delete_confirm.html", context)
