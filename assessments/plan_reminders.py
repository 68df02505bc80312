"""Reminders of the action plan and of the review, sent by e-mail like those of requests
(assessments.request_reminders) to the assessment's editors (its organisation's editors and owners,
confirmed addresses only): an open action a week before its due day and on the first day it is
overdue, and an approved or published assessment when its review date has come.
``manage.py send_reminders`` runs these and the request reminders once a day (README).

Each reminder is sent once (PlanReminder, unique): per action, kind and due day (a new due day gets
its own), and per assessment and review date (recording a review, which sets the next date, gets the
next one). A run that missed days still sends what is due, as the request reminders do.
"""

import datetime

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments import action_plan, plan_clock
from assessments.models import Assessment, PlannedAction, PlanReminder
from assessments.request_reminders import Outcome, _day, recipients_by_organisation

WEEK = plan_clock.SOON_DAYS
Kind = PlanReminder.Kind


def action_reminder_kind(action: PlannedAction, today: datetime.date) -> str | None:
    """Which reminder ``action`` calls for today, if any (pure: no database)."""
    if action.due_on is None or not action.is_open:
        return None
    if today > action.due_on:
        return Kind.ACTION_OVERDUE
    if (action.due_on - today).days <= WEEK:
        return Kind.ACTION_WEEK_BEFORE
    return None


def review_reminder_due(clock: plan_clock.ReviewClock, today: datetime.date) -> bool:
    """Whether an assessment with ``clock`` calls for its review reminder today (pure)."""
    return clock.review_on is not None and today >= clock.review_on


def action_message(action: PlannedAction, kind: str, today: datetime.date) -> tuple[str, str]:
    assessment = action.assessment
    if kind == Kind.ACTION_OVERDUE:
        subject = _("【dxpia】対応計画の期限を過ぎました: %(title)s") % {"title": action.title}
        lead = _("次の対応は、期限の%(due)sを過ぎました（%(days)s日超過）。進んでいれば状態（対応中・完了）を、"
                 "やめたのなら「見送り」と理由を記録してください。") % {"due": _day(action.due_on), "days": (today - action.due_on).days}
    else:
        subject = _("【dxpia】対応計画の期限が近づいています: %(title)s") % {"title": action.title}
        lead = _("次の対応の期限は%(due)sです（あと%(days)s日）。") % {"due": _day(action.due_on), "days": (action.due_on - today).days}
    who = action.get_responsible_display() + (
        _("（%(text)s）") % {"text": action.responsible_name} if action.responsible_name else "")
    link = settings.SITE_URL + reverse("action_detail", args=[assessment.pk, action.pk])
    body = "\n".join([
        lead, "",
        _("すべきこと: %(title)s") % {"title": action.title},
        _("だれが: %(who)s") % {"who": who},
        _("状態: %(status)s") % {"status": action.get_status_display()},
        _("評価: %(title)s") % {"title": assessment.title},
        "", link, "",
        _("このメールは、この評価の団体の編集者と管理者に、期限ごとに1回だけ送られます。"),
    ])
    return subject, body


def review_message(assessment: Assessment, clock: plan_clock.ReviewClock, today: datetime.date) -> tuple[str, str]:
    subject = _("【dxpia】評価の見直し時期です: %(title)s") % {"title": assessment.title}
    lines = [
        _("次の評価は、見直しの日（%(date)s）になりました。回答と対応計画がいまも正しいかを確かめ、"
          "見直しを終えたら、対応計画のページで次の見直しの日を理由とともに記録してください。") % {"date": _day(clock.review_on)},
        "",
        _("評価: %(title)s") % {"title": assessment.title},
        _("事業: %(project)s") % {"project": assessment.project},
    ]
    if clock.reassess_by:
        lines.append(_("再評価の期限: %(date)s") % {"date": _day(clock.reassess_by)})
    lines += ["", settings.SITE_URL + reverse("action_plan", args=[assessment.pk]) + "#review", "",
              _("このメールは、この評価の団体の編集者と管理者に、見直しの日ごとに1回だけ送られます。")]
    return subject, "\n".join(lines)


def _send_once(outcome: Outcome, record: dict, to: list[str], make_message, dry_run: bool) -> None:
    if dry_run:
        outcome.reminders += 1
        outcome.emails += len(to)
        return
    subject, body = make_message()
    try:
        # The record first, in the same transaction as the sending: a second run waits for this one
        # and then finds it; a failed send leaves no record, so the next run tries again.
        with transaction.atomic():
            PlanReminder.objects.create(recipients=len(to), **record)
            send_mass_mail([(subject, body, None, [address]) for address in to])
    except IntegrityError:
        return  # another run sent it meanwhile
    outcome.reminders += 1
    outcome.emails += len(to)


def send_plan_reminders(today: datetime.date, *, dry_run: bool = False) -> Outcome:
    """Send every action and review reminder due ``today`` that was not sent before."""
    actions = list(
        PlannedAction.objects.filter(status__in=PlannedAction.OPEN_STATUSES).exclude(due_on=None)
        .select_related("assessment__project").order_by("pk")
    )
    due_actions = [(action, kind) for action in actions if (kind := action_reminder_kind(action, today))]
    reviewed = action_plan.attach_review_states(
        Assessment.objects.filter(status__in=(Assessment.Status.APPROVED, Assessment.Status.PUBLISHED))
        .select_related("question_set", "project").order_by("pk"), today)
    due_reviews = [a for a in reviewed if review_reminder_due(a.review_clock, today)]
    recipients = recipients_by_organisation(
        {action.assessment.organisation_id for action, _kind in due_actions} | {a.organisation_id for a in due_reviews})
    sent_actions = set(PlanReminder.objects.filter(action__in=[a for a, _k in due_actions])
                       .values_list("action_id", "kind", "due_on"))
    sent_reviews = set(PlanReminder.objects.filter(action=None, kind=Kind.REVIEW_DUE, assessment__in=due_reviews)
                       .values_list("assessment_id", "due_on"))
    outcome = Outcome()
    for action, kind in due_actions:
        to = recipients.get(action.assessment.organisation_id, [])
        if (action.pk, kind, action.due_on) in sent_actions or not to:
            continue
        _send_once(outcome, {"assessment_id": action.assessment_id, "action": action, "kind": kind, "due_on": action.due_on},
                   to, lambda: action_message(action, kind, today), dry_run)
    for assessment in due_reviews:
        to = recipients.get(assessment.organisation_id, [])
        review_on = assessment.review_clock.review_on
        if (assessment.pk, review_on) in sent_reviews or not to:
            continue
        _send_once(outcome, {"assessment": assessment, "action": None, "kind": Kind.REVIEW_DUE, "due_on": review_on},
                   to, lambda: review_message(assessment, assessment.review_clock, today), dry_run)
    return outcome
