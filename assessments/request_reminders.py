"""Reminders of the due days of requests to municipalities, sent by e-mail to the assessment's
editors (its organisation's editors and owners): a week before a due day, and on the first day it is
overdue. ``manage.py send_request_reminders`` runs this once a day (cron or a systemd timer, README).

Each reminder is sent once per request, kind and due day (RequestReminder, unique): a second run on
the same day, or two runs at once, send nothing more; an extension moves the due day and so gets its
own reminders. A run that missed days still sends what is due (a week-before reminder is sent on any
day of the last week before the due day, the overdue one on any day after it while still open).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments import municipality_requests
from assessments.models import Membership, MunicipalityRequest, RequestReminder

WEEK = 7
Kind = RequestReminder.Kind


def _day(day: datetime.date) -> str:
    """2026-05-20（令和8年5月20日）: 西暦 with 和暦 beside it (in English, 2026-05-20 (Reiwa 8))."""
    from assessments.templatetags.dxpia import day_with_era

    return day_with_era(day)


def reminder_kind(request: MunicipalityRequest, today: datetime.date) -> str | None:
    """Which reminder ``request`` calls for today, if any (pure: no database)."""
    due = request.current_due
    if due is None or request.state not in MunicipalityRequest.OPEN_STATES:
        return None
    if today > due:
        return Kind.OVERDUE
    if (due - today).days <= WEEK:
        return Kind.WEEK_BEFORE
    return None


@dataclass
class Outcome:
    reminders: int = 0
    emails: int = 0


def recipients_by_organisation(organisation_ids) -> dict[int, list[str]]:
    recipients: dict[int, list[str]] = {}
    memberships = (
        Membership.objects.filter(
            organisation_id__in=organisation_ids, role__in=(Membership.Role.EDITOR, Membership.Role.OWNER),
            user__is_active=True,
        )
        .exclude(user__email="")
        # An address not yet confirmed (a self-sign-up that never opened its link) gets no mail.
        .exclude(user__profile__isnull=False, user__profile__email_confirmed_at=None)
        .values_list("organisation_id", "user__email")
        .order_by("organisation_id", "user__email")
    )
    for organisation_id, email in memberships:
        recipients.setdefault(organisation_id, []).append(email)
    return recipients


def message(request: MunicipalityRequest, kind: str, today: datetime.date) -> tuple[str, str]:
    due = request.current_due
    assessment = request.assessment
    municipality = assessment.project.municipality.name if assessment.project.municipality_id else ""
    if kind == Kind.OVERDUE:
        subject = _("【dxpia】期限を過ぎても回答がありません: %(title)s") % {"title": request.title}
        if request.kind in (MunicipalityRequest.Kind.DISCLOSURE, MunicipalityRequest.Kind.PERSONAL):
            lead = _("次の質問・請求は、期限の%(due)sを過ぎました（%(days)s日超過）。回答や延長の通知が届いていれば記録してください。"
                     "届いていなければ、担当課への問い合わせ、期限超過の記録、不作為についての審査請求などを検討してください。")
        else:
            # A question letter's reply-by date is the sender's own request, not a legal deadline: no
            # 不作為 to contest (行政不服審査法第3条 needs an application under a law or an ordinance).
            lead = _("次の質問は、回答をお願いした%(due)sを過ぎました（%(days)s日超過）。回答が届いていれば記録してください。"
                     "届いていなければ、担当課への問い合わせや、情報公開請求で資料を求めることを検討してください。")
        lead = lead % {"due": _day(due), "days": (today - due).days}
    else:
        subject = _("【dxpia】回答の期限が近づいています: %(title)s") % {"title": request.title}
        lead = _("次の質問・請求の期限は%(due)sです（あと%(days)s日）。") % {"due": _day(due), "days": (due - today).days}
    link = settings.SITE_URL + reverse(REQUEST_PAGE, args=[assessment.pk, request.pk])
    body = "\n".join([
        lead,
        "",
        _("件名: %(title)s") % {"title": request.title},
        _("種類: %(kind)s（%(municipality)s）") % {"kind": request.get_kind_display(), "municipality": municipality},
        _("評価: %(title)s") % {"title": assessment.title},
        _("送付日: %(date)s") % {"date": _day(request.sent_on) if request.sent_on else _("記録なし")},
        _("状態: %(state)s") % {"state": municipality_requests.state_label(request, today)},
        "",
        link,
        "",
        _("このメールは、この評価の団体の編集者と管理者に、期限ごとに1回だけ送られます。"),
    ])
    return subject, body


REQUEST_PAGE = "request_detail"


def send_reminders(today: datetime.date, *, dry_run: bool = False) -> Outcome:
    """Send every reminder due ``today`` that was not sent before; returns how many."""
    requests = list(
        MunicipalityRequest.objects.filter(state__in=MunicipalityRequest.OPEN_STATES)
        .exclude(due_on=None, extended_due_on=None)
        .select_related("assessment__project__municipality")
        .order_by("pk")
    )
    due = [(request, kind) for request in requests if (kind := reminder_kind(request, today))]
    recipients = recipients_by_organisation({request.assessment.organisation_id for request, _kind in due})
    sent = set(
        RequestReminder.objects.filter(request__in=[request for request, _kind in due])
        .values_list("request_id", "kind", "due_on")
    )
    outcome = Outcome()
    for request, kind in due:
        to = recipients.get(request.assessment.organisation_id, [])
        if (request.pk, kind, request.current_due) in sent or not to:
            continue
        if dry_run:
            outcome.reminders += 1
            outcome.emails += len(to)
            continue
        subject, body = message(request, kind, today)
        try:
            # The record first, in the same transaction as the sending: a second run waits for this
            # one and then finds it; a failed send leaves no record, so the next run tries again.
            with transaction.atomic():
                RequestReminder.objects.create(request=request, kind=kind, due_on=request.current_due,
                                               recipients=len(to))
                send_mass_mail([(subject, body, None, [address]) for address in to])
        except IntegrityError:
            continue  # another run sent it meanwhile
        outcome.reminders += 1
        outcome.emails += len(to)
    return outcome
