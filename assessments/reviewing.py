"""The workflow and the review body: who may move an assessment where, opinions, comments and the
residents' views. Writes happen in one transaction each and are recorded."""

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.access import EDIT, OWN, REVIEW
from assessments.answer_values import clean_text
from assessments.models import (
    Assessment,
    Comment,
    Membership,
    Organisation,
    Question,
    ResidentViews,
    Reviewer,
    ReviewOpinion,
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


@transaction.atomic
def assessment_transition(*, assessment: Assessment, user, rights: set[str], action: str, note: str = "") -> Assessment:
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    chosen = ACTIONS.get(action)
    if chosen is None or chosen not in allowed_actions(locked.status, rights):
        raise PermissionDenied(_("この操作はできません。"))
    note = clean_text(note, max_length=5000).strip()
    if chosen.needs_note and not note:
        raise ValidationError({"note": _("理由を書いてください。")})
    StatusChange.objects.create(assessment=locked, from_status=locked.status, to_status=chosen.target, user=user, note=note)
    locked.status = chosen.target
    if chosen.target == S.PUBLISHED:
        locked.published_at = timezone.now()
    elif chosen.key == "unpublish":
        locked.published_at = None
    # A new revision: reports and caches keyed on it are made anew with the new status.
    locked.revision += 1
    locked.save(update_fields=["status", "published_at", "revision", "updated_at"])
    return locked


def _report_changed(assessment: Assessment) -> None:
    """The report shows the review body, opinions and residents' views: a new revision makes cached
    documents be rendered anew."""
    Assessment.objects.filter(pk=assessment.pk).update(revision=F("revision") + 1)


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


def _personal_organisation_names(user):
    """Display names to try: "<username> の評価", then numbered ones, then ones no one can have taken.
    Organisation.name is unique, and a taken name only means trying the next one."""
    base = f"{user.get_username()} の評価"[:180]
    yield base
    for number in range(2, 10):
        yield f"{base} ({number})"
    while True:
        yield f"{base} ({uuid.uuid4().hex[:12]})"


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


@transaction.atomic
def reviewer_add(*, assessment: Assessment, username: str, kind: str) -> Reviewer:
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
    if reviewer.opinions.exists():
        raise ValidationError(_("意見を述べた審査委員は外せません（記録を残すため）。"))
    reviewer.delete()
    _report_changed(assessment)


@transaction.atomic
def opinion_save(*, assessment: Assessment, user, section, verdict: str, text: str) -> ReviewOpinion:
    reviewer = Reviewer.objects.filter(assessment=assessment, user=user).first()
    if reviewer is None:
        raise PermissionDenied(_("審査委員だけが意見を述べられます。"))
    if verdict not in ReviewOpinion.Verdict.values:
        raise ValidationError({"verdict": _("意見を選んでください。")})
    opinion, _created = ReviewOpinion.objects.update_or_create(
        assessment=assessment, reviewer=reviewer, section=section,
        defaults={"verdict": verdict, "text": clean_text(text).strip()},
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
def resident_views_save(*, assessment: Assessment, sought: str, methods: list[str], summary: str, response: str,
                        reason_not_sought: str) -> ResidentViews:
    views, _created = ResidentViews.objects.get_or_create(assessment=assessment)
    views.sought = sought
    views.methods = methods
    views.summary = clean_text(summary).strip()
    views.response = clean_text(response).strip()
    views.reason_not_sought = clean_text(reason_not_sought).strip()
    views.full_clean()
    views.save()
    _report_changed(assessment)
    return views
