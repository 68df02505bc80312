"""The workflow and the review body: who may move an assessment where, opinions, comments and the
residents' views. Writes happen in one transaction each and are recorded."""

import hashlib
import json
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.languages import in_record_language
from assessments import action_plan, render_ahead
from assessments.access import EDIT, OWN, REVIEW
from assessments.answer_values import clean_text
from assessments.models import (
    AnswerHistory,
    Assessment,
    Comment,
    Membership,
    Organisation,
    Question,
    ResidentViews,
    ResidentViewsChange,
    Reviewer,
    ReviewOpinion,
    Risk,
    StatusChange,
)

S = Assessment.Status


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    sources: tuple[str, ...]
    target: str
    right: str
    needs_note: bool = False


ACTIONS = {
    action.key: action
    for action in (
        Action("submit", gettext_lazy("審査に提出する"), (S.DRAFT, S.RETURNED), S.SUBMITTED, EDIT),
        Action("start_review", gettext_lazy("審査を始める"), (S.SUBMITTED,), S.IN_REVIEW, REVIEW),
        Action("return", gettext_lazy("差し戻す（理由を書く）"), (S.SUBMITTED, S.IN_REVIEW), S.RETURNED, REVIEW, True),
        Action("approve", gettext_lazy("承認する"), (S.IN_REVIEW,), S.APPROVED, REVIEW),
        Action("publish", gettext_lazy("住民に公開する"), (S.APPROVED,), S.PUBLISHED, OWN),
        Action("unpublish", gettext_lazy("公開をやめる"), (S.PUBLISHED,), S.APPROVED, OWN, True),
    )
}


def allowed_actions(status: str, rights: set[str]) -> list[Action]:
    """The transitions a person with ``rights`` may make from ``status`` (pure)."""
    return [a for a in ACTIONS.values() if status in a.sources and a.right in rights]


def state_moved_message(assessment: Assessment, action: Action) -> str:
    return _("この評価はいま「%(status)s」です。「%(action)s」はできません。ページを開き直して、いまの状態を確かめてください。") % {
        "status": assessment.get_status_display(), "action": action.label}


@transaction.atomic
def assessment_transition(*, assessment: Assessment, user, rights: set[str], action: str, note: str = "") -> Assessment:
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    chosen = ACTIONS.get(action)
    if chosen is None or chosen.right not in rights:
        raise PermissionDenied(_("この操作はできません。"))
    if locked.status not in chosen.sources:
        # The right is there; the state moved on since the page was opened (another tab or person).
        raise ValidationError(state_moved_message(locked, chosen))
    note = clean_text(note, max_length=5000).strip()
    if chosen.needs_note and not note:
        raise ValidationError({"note": _("理由を書いてください。")})
    if chosen.key in ("submit", "start_review", "approve"):
        withdraw_conflicted_seats(locked)
    if chosen.key == "submit":
        from assessments.reassessment import submission_problem

        problem = submission_problem(locked)
        if problem:
            raise ValidationError(problem)
    if chosen.key == "approve":
        fingerprint = content_fingerprint(locked)  # what the check compares with, and what is approved
        check = approval_check(locked, fingerprint)
        if check.problems:
            raise ValidationError(check.problems)
        if check.reconsider and not note:
            raise ValidationError({"note": _(
                "「要再検討」の意見があります（%(where)s）。それでも承認するなら、その理由を書いてください。"
                "理由は報告書と公開ページに載ります。") % {"where": "、".join(check.reconsider)}})
    StatusChange.objects.create(assessment=locked, from_status=locked.status, to_status=chosen.target, user=user, note=note)
    if chosen.key == "approve":
        locked.approved_revision = locked.revision + 1
        locked.approved_fingerprint = fingerprint
        locked.approved_at = timezone.now()
        members = members_of(locked.organisation_id)
        for seat in Reviewer.objects.filter(assessment=locked, withdrawn_at=None):
            Reviewer.objects.filter(pk=seat.pk).update(outside_at_approval=seat.user_id not in members)
    locked.status = chosen.target
    if chosen.target == S.PUBLISHED:
        locked.published_at = timezone.now()
    elif chosen.key == "unpublish":
        locked.published_at = None
    # A new revision: reports and caches keyed on it are made anew with the new status.
    locked.revision += 1
    locked.save(update_fields=["status", "published_at", "revision", "updated_at", "approved_revision",
                               "approved_fingerprint", "approved_at"])
    render_ahead.report_changed(locked.pk)
    return locked


# --- Independence of the review (審査の独立性) ---------------------------------------------------------


def reviewer_conflict(assessment: Assessment, user) -> str:
    """Why ``user`` may not review ``assessment`` (empty if they may): nobody reviews what they wrote."""
    if user.pk == assessment.owner_id:
        return _("評価の作成者は、その評価の審査委員になれません。")
    role = Membership.objects.filter(organisation_id=assessment.organisation_id, user=user).values_list(
        "role", flat=True).first()
    if role in (Membership.Role.EDITOR, Membership.Role.OWNER):
        return _("この評価を編集できる団体の構成員（編集者・管理者）は、審査委員になれません。")
    if AnswerHistory.objects.filter(assessment=assessment, user=user).exists():
        return _("この評価の回答を変更したことのある人は、審査委員になれません。")
    if ResidentViewsChange.objects.filter(assessment=assessment, user=user).exists():
        return _("この評価の住民・当事者の意見を記録したことのある人は、審査委員になれません。")
    if Risk.objects.filter(assessment=assessment).filter(Q(created_by=user) | Q(updated_by=user)).exists():
        return _("この評価のリスクを書いたことのある人は、審査委員になれません。")
    return ""


def withdraw_reviewer_who_edited(assessment: Assessment, user, what: str) -> None:
    """A reviewer who changes the assessment is no longer independent: the seat is withdrawn (kept
    with its opinions, on the record) and counts no more."""
    Reviewer.objects.filter(assessment=assessment, user=user, withdrawn_at=None).update(
        withdrawn_at=timezone.now(), withdrawn_reason=_("%(what)sを変更したため") % {"what": what})


def withdraw_conflicted_seats(assessment: Assessment) -> bool:
    """Withdraw the seats of reviewers who are no longer independent of ``assessment`` (made an
    editor of the group, wrote a risk…): they count no more, and their opinions stay on the record.
    Only while the review is open; an approved assessment keeps the body it was approved by. True
    when a seat was withdrawn."""
    if Assessment.objects.filter(pk=assessment.pk).values_list("status", flat=True).first() not in REVIEW_OPEN:
        return False
    withdrawn = False
    for seat in Reviewer.objects.filter(assessment=assessment, withdrawn_at=None).exclude(user=None).select_related("user"):
        conflict = reviewer_conflict(assessment, seat.user)
        if conflict:
            with in_record_language(assessment):
                reason = _("審査の独立性を失ったため: %(why)s") % {"why": conflict}
            Reviewer.objects.filter(pk=seat.pk).update(withdrawn_at=timezone.now(), withdrawn_reason=reason[:200])
            withdrawn = True
    if withdrawn:
        _report_changed(assessment)
    return withdrawn


def members_of(organisation_id) -> set[int]:
    return set(Membership.objects.filter(organisation_id=organisation_id).values_list("user_id", flat=True))


@dataclass
class ApprovalCheck:
    problems: list[str]
    reconsider: list[str]  # where an active reviewer's opinion is 要再検討 (全体, a section's title)


def approval_check(assessment: Assessment, fingerprint: str | None = None) -> ApprovalCheck:
    """What stands between ``assessment`` and approval: the review body's rules and completeness
    (``fingerprint``: its content_fingerprint, when the caller has it already)."""
    from assessments import selectors

    problems = []
    seats = list(Reviewer.objects.filter(assessment=assessment, withdrawn_at=None).select_related("user"))
    # A reviewer who lost their independence counts no more (withdrawn at approval at the latest).
    seats = [s for s in seats if s.user_id is None or not reviewer_conflict(assessment, s.user)]
    kept = {s.pk for s in seats}
    opinions = [o for o in ReviewOpinion.objects.filter(assessment=assessment, reviewer__withdrawn_at=None)
                .select_related("section", "reviewer") if o.reviewer_id in kept]
    if not seats:
        problems.append(_("審査委員がいません。審査体を置いてください。"))
    current = fingerprint or content_fingerprint(assessment)
    overall = {o.reviewer_id: o for o in opinions if o.section_id is None}
    missing = [s for s in seats if s.pk not in overall]
    if missing:
        problems.append(_("全体への意見をまだ述べていない審査委員がいます（%(count)s名）。全員の意見が必要です。")
                        % {"count": len(missing)})
    # An opinion is on the content the reviewer saw: changed since, it must be given again.
    outdated = [s for s in seats if s.pk in overall and overall[s.pk].fingerprint != current]
    if outdated:
        problems.append(_("%(count)s名の審査委員が全体への意見を述べた後に、評価の内容（回答、住民・当事者の意見、リスク、"
                          "対応計画）が変わりました。変わった内容を見たうえで、意見を述べ直してもらってください。")
                        % {"count": len(outdated)})
    members = members_of(assessment.organisation_id)
    outside = [s for s in seats if s.user_id not in members]
    needed = Organisation.objects.filter(pk=assessment.organisation_id).values_list(
        "min_outside_reviewers", flat=True).first() or 0
    if len(outside) < needed:
        problems.append(_("評価を行った団体の外からの審査委員が%(needed)s名以上必要です（いまは%(count)s名）。")
                        % {"needed": needed, "count": len(outside)})
    unanswered = selectors.assessment_workspace(assessment).result.unanswered_required
    if unanswered:
        problems.append(_("未回答の必須質問があります（%(count)s問）。回答を終えてから審査してください。")
                        % {"count": len(unanswered)})
    # A reviewer may make an action of the plan a condition of approval (action_plan): until every
    # such action is recorded as done (完了, with its source), the assessment is not approved.
    conditions = action_plan.unmet_conditions(assessment)
    if conditions:
        problems.append(_("承認の条件とされた対応が、まだ完了していません（%(count)s件: %(titles)s）。"
                          "対応計画で完了（と、それを示す資料）を記録するか、審査委員が条件を外してください。")
                        % {"count": len(conditions), "titles": "、".join(f"「{t}」" for t in conditions)})
    reconsider = sorted({o.section.title if o.section_id else _("全体") for o in opinions
                         if o.verdict == ReviewOpinion.Verdict.RECONSIDER})
    return ApprovalCheck(problems=problems, reconsider=reconsider)


def resident_views_data(views: ResidentViews | None) -> dict | None:
    if views is None:
        return None
    return {"sought": views.sought, "methods": list(views.methods), "summary": views.summary,
            "response": views.response, "reason_not_sought": views.reason_not_sought}


def content_fingerprint(assessment: Assessment) -> str:
    """A digest of what the review body approves: answers with notes and sources, the inventory, the
    residents' views, the risk register and the action plan (risks.fingerprint_material and
    action_plan.fingerprint_material say what of them; not the letter's settings or the title)."""
    from assessments import risks
    from assessments.exchange import assessment_to_data

    data = assessment_to_data(assessment)
    material = {"answers": data["answers"], "inventory": data["inventory"],
                "resident_views": resident_views_data(ResidentViews.objects.filter(assessment=assessment).first()),
                **risks.fingerprint_material(assessment)}
    plan = action_plan.fingerprint_material(assessment)
    if plan:  # absent when empty: what was approved before there were plans keeps its fingerprint
        material["actions"] = plan
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def reopen_if_changed_after_approval(assessment: Assessment, user, what: str) -> bool:
    """After a change to an approved or published assessment: if what was approved changed, back to
    審査中 (no longer public), recorded 「承認後に変更されました」 with what changed."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status not in (S.APPROVED, S.PUBLISHED) or content_fingerprint(locked) == locked.approved_fingerprint:
        return False
    StatusChange.objects.create(assessment=locked, from_status=locked.status, to_status=S.IN_REVIEW, user=user,
                                note=_("承認後に変更されました: %(what)s") % {"what": what})
    locked.status = S.IN_REVIEW
    locked.published_at = None
    locked.revision += 1
    locked.save(update_fields=["status", "published_at", "revision", "updated_at"])
    render_ahead.report_changed(locked.pk)
    withdraw_conflicted_seats(locked)  # e.g. a reviewer who joined the group as an editor since approval
    return True


def _report_changed(assessment: Assessment) -> None:
    """The review body, opinions and residents' views are part of what the report shows: a new
    revision says so to everything that follows revisions (the cached PDFs themselves follow the
    HTML they are made from, reports.render)."""
    Assessment.objects.filter(pk=assessment.pk).update(revision=F("revision") + 1)
    render_ahead.report_changed(assessment.pk)


def personal_organisation(user) -> Organisation:
    """The organisation of one person, for someone who is not in any group yet.

    Found by the user (``Organisation.personal_for``, unique), never by its name: a renamed user
    keeps theirs, a later user under a reused user name gets a new one and never an existing
    organisation. Safe when two first starts of the same user meet: the unique key lets one create
    it, the other then finds it."""
    organisation = Organisation.objects.filter(personal_for=user).first()
    if organisation is None:
        organisation = _personal_organisation_create(user)
    Membership.objects.get_or_create(organisation=organisation, user=user, defaults={"role": Membership.Role.OWNER})
    return organisation


# What a person's own organisation is called: Japanese data like every organisation's name (the
# report and the open data are in Japanese), shown as it is in the lists and pages
# (templatetags.dxpia.organisation_name); its stored name adds a tag to keep names unique.
PERSONAL_ORGANISATION = "個人の評価"


def personal_organisation_name() -> str:
    """A name for one person's organisation that says nothing of the person: the login name is shown
    to nobody (the sign-up page promises so), yet an organisation's name is shown to reviewers and,
    once published, in the open data. Organisation.name is unique: a taken name means another try."""
    return f"{PERSONAL_ORGANISATION}（{uuid.uuid4().hex[:8]}）"


def _personal_organisation_names(user):
    while True:
        yield personal_organisation_name()


def _personal_organisation_create(user) -> Organisation:
    for name in _personal_organisation_names(user):
        if Organisation.objects.filter(name=name).exists():
            continue
        try:
            with transaction.atomic():
                return Organisation.objects.create(name=name, personal_for=user)
        except IntegrityError:
            # Either a concurrent first start made this user's organisation (use it) or another
            # organisation took the name meanwhile (try the next name).
            existing = Organisation.objects.filter(personal_for=user).first()
            if existing is not None:
                return existing
    raise AssertionError("unreachable")  # pragma: no cover


REVIEW_OPEN = (S.DRAFT, S.RETURNED, S.SUBMITTED, S.IN_REVIEW)


def _review_open(assessment: Assessment) -> None:
    """After approval the review body and its opinions are what was approved: they stay as they were
    (a change of the content sends the assessment back to review, and they are open again)."""
    status = Assessment.objects.filter(pk=assessment.pk).values_list("status", flat=True).first()
    if status not in REVIEW_OPEN:
        raise ValidationError(_("承認された評価の審査体と意見は、承認されたときのまま残します。変えられるのは、"
                                "評価が審査に戻ってからです。"))


@transaction.atomic
def reviewer_add(*, assessment: Assessment, username: str, kind: str) -> Reviewer:
    _review_open(assessment)
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise ValidationError({"username": _("そのユーザー名の人はいません。")})
    if Reviewer.objects.filter(assessment=assessment, user=user).exists():
        raise ValidationError({"username": _("この人は既に審査委員です。")})
    reviewer = Reviewer(assessment=assessment, user=user, kind=kind)
    reviewer.full_clean()
    reviewer.save()
    _report_changed(assessment)
    return reviewer


@transaction.atomic
def reviewer_remove(*, assessment: Assessment, reviewer: Reviewer) -> None:
    _review_open(assessment)
    if reviewer.opinions.exists():
        raise ValidationError(_("意見を述べた審査委員は外せません（記録を残すため）。"))
    reviewer.delete()
    _report_changed(assessment)


def stored_base(record) -> str:
    """What a form of a record (residents' views, an opinion) keeps of the version it shows: when it
    was last saved ("" for none yet). StaleSave refuses a save whose record changed since."""
    return record.updated_at.isoformat() if record is not None else ""


class StaleSave(ValidationError):
    """A save based on a record that changed after the page was opened (another tab, another
    person); ``current``: the record now (None: deleted), ``base``: what a form of it now carries."""

    def __init__(self, current):
        super().__init__(_("このページを開いた後に、別のタブまたは別の人がこの記録を変えていました。"
                           "下の最新の内容を確かめてください。入力はそのまま残しています。残すときは、もう一度送ってください。"))
        self.current = current
        self.base = stored_base(current)


def _check_base(current, base: str | None) -> None:
    """Refuse (StaleSave) a save based on ``base`` (stored_base of the record the page showed) when
    the record ``current`` (locked) is not that one any more. None: not checked (scripts)."""
    if base is not None and base != stored_base(current):
        raise StaleSave(current)


@transaction.atomic
def opinion_save(*, assessment: Assessment, user, section, verdict: str, text: str, base: str | None = None) -> ReviewOpinion:
    """The reviewer's opinion on ``section`` (None: on the whole), replacing theirs if ``base`` (the
    version the page showed) is still the stored one."""
    reviewer = Reviewer.objects.select_for_update().filter(assessment=assessment, user=user, withdrawn_at=None).first()
    if reviewer is None:
        raise PermissionDenied(_("審査委員だけが意見を述べられます。"))
    conflict = reviewer_conflict(assessment, user)
    if conflict:
        raise PermissionDenied(conflict)
    if verdict not in ReviewOpinion.Verdict.values:
        raise ValidationError({"verdict": _("意見を選んでください。")})
    _review_open(assessment)
    _check_base(ReviewOpinion.objects.filter(assessment=assessment, reviewer=reviewer, section=section).first(), base)
    opinion, _created = ReviewOpinion.objects.update_or_create(
        assessment=assessment, reviewer=reviewer, section=section,
        defaults={"verdict": verdict, "text": clean_text(text).strip(), "fingerprint": content_fingerprint(assessment)},
    )
    _report_changed(assessment)
    return opinion


@transaction.atomic
def comment_add(*, assessment: Assessment, user, question: Question, text: str, parent: Comment | None) -> Comment:
    text = clean_text(text, max_length=5000).strip()
    if not text:
        raise ValidationError({"text": _("コメントを書いてください。")})
    if question.question_set_id != assessment.question_set_id:
        raise ValidationError({"question": _("この評価にない質問です。")})
    if parent is not None and (parent.assessment_id != assessment.pk or parent.question_id != question.pk):
        raise ValidationError({"parent": _("返信先のコメントが見つかりません。")})
    return Comment.objects.create(assessment=assessment, author=user, question=question, text=text, parent=parent)


@transaction.atomic
def resident_views_save(*, assessment: Assessment, user, sought: str, methods: list[str], summary: str, response: str,
                        reason_not_sought: str, base: str | None = None) -> ResidentViews:
    """The residents' views as ``user`` recorded them, if ``base`` (the version the page showed) is
    still the stored one."""
    Assessment.objects.select_for_update().filter(pk=assessment.pk).exists()  # one save at a time, the first too
    _check_base(ResidentViews.objects.filter(assessment=assessment).first(), base)
    views, _created = ResidentViews.objects.select_for_update().get_or_create(assessment=assessment)
    old = None if _created else resident_views_data(views)
    views.sought = sought
    views.methods = methods
    views.summary = clean_text(summary).strip()
    views.response = clean_text(response).strip()
    views.reason_not_sought = clean_text(reason_not_sought).strip()
    views.full_clean()
    views.save()
    new = resident_views_data(views)
    if new != old:
        ResidentViewsChange.objects.create(assessment=assessment, user=user, old=old, new=new)
        with in_record_language(assessment):
            withdraw_reviewer_who_edited(assessment, user, _("住民・当事者の意見"))
            change = ResidentViewsChange(old=old, new=new)
            reopen_if_changed_after_approval(assessment, user, _("住民・当事者の意見（%(fields)s）") % {
                "fields": "、".join(str(label) for label in change.changed_labels)})
    _report_changed(assessment)
    return views
