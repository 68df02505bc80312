"""Reminders of the action plan and of the review (issue 17), sent by ``send_reminders`` with those of
requests, each once; the review date the editors set; 「見直し時期」 on the pages."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessments import action_plan
from assessments.access import rights_of
from assessments.models import Assessment, PlannedAction, PlanReminder, ReviewSchedule
from assessments.plan_reminders import action_reminder_kind
from tests.test_action_plan import make_action, set_status
from tests.test_request_followup import make_request

pytestmark = pytest.mark.django_db

D = datetime.date
DUE = D(2027, 3, 31)


def remind(day: D, *, command="send_reminders", dry_run=False) -> str:
    out = StringIO()
    call_command(command, "--today", day.isoformat(), *(["--dry-run"] if dry_run else []), stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(("status", "today", "expected"), [
    ("todo", D(2027, 3, 23), None),
    ("todo", D(2027, 3, 24), "action_week_before"),
    ("doing", D(2027, 3, 31), "action_week_before"),
    ("doing", D(2027, 4, 1), "action_overdue"),
    ("done", D(2027, 4, 1), None),
    ("declined", D(2027, 4, 1), None),
])
def test_the_reminder_an_action_calls_for(status, today, expected):
    assert action_reminder_kind(PlannedAction(status=status, due_on=DUE), today) == expected


def test_each_action_reminder_is_sent_once_to_editors_and_owners(cast):
    action = make_action(cast, title="説明会の開催を求める")
    make_action(cast, title="期限のない対応", due_on=None)
    assert "plan and reviews: sent 0 reminders" in remind(D(2027, 3, 23)) and not mail.outbox
    assert "plan and reviews: sent 1 reminders in 2 e-mails" in remind(D(2027, 3, 24))
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.org", "dave@example.org"]  # not vera nor rita
    message = mail.outbox[0]
    assert "対応計画の期限が近づいています" in message.subject and "説明会の開催を求める" in message.subject
    assert "2027-03-31（令和9年3月31日）" in message.body and "あと7日" in message.body
    assert f"/assessments/{cast['assessment'].pk}/plan/{action.pk}/" in message.body
    assert "sent 0 reminders in 0 e-mails" in remind(D(2027, 3, 31)).splitlines()[-1]
    assert "plan and reviews: sent 1 reminders" in remind(D(2027, 4, 1))  # overdue, once
    assert "対応計画の期限を過ぎました" in mail.outbox[-1].subject and "1日超過" in mail.outbox[-1].body
    assert "sent 0 reminders" in remind(D(2027, 4, 2)).splitlines()[-1] and len(mail.outbox) == 4
    # A new due day gets its own reminders; a done action none.
    action.refresh_from_db()
    action_plan.action_update(action=action, user=cast["editor"], rights=rights_of(cast["editor"], cast["assessment"]),
                              values={"title": action.title, "due_on": D(2027, 5, 31)}, base_version=action.version)
    assert "plan and reviews: sent 1 reminders" in remind(D(2027, 5, 30))
    set_status(cast, action, "done", done_on=D(2027, 1, 9), evidence_title="町の回答書")
    assert "sent 0 reminders" in remind(D(2027, 6, 5)).splitlines()[-1]
    assert list(PlanReminder.objects.values_list("kind", "due_on")) == [
        ("action_week_before", DUE), ("action_overdue", DUE), ("action_week_before", D(2027, 5, 31))]


def approved_on(assessment, day: D):
    Assessment.objects.filter(pk=assessment.pk).update(
        status=Assessment.Status.PUBLISHED,
        approved_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))),
        published_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(13))))


def test_the_review_reminder_is_sent_once_per_review_date(cast):
    approved_on(cast["assessment"], D(2026, 4, 1))
    assert "plan and reviews: sent 0 reminders" in remind(D(2027, 3, 31))
    assert "plan and reviews: sent 1 reminders in 2 e-mails" in remind(D(2027, 4, 1))
    assert "評価の見直し時期です" in mail.outbox[0].subject and "2027-04-01（令和9年4月1日）" in mail.outbox[0].body
    assert "sent 0 reminders" in remind(D(2027, 4, 2)).splitlines()[-1]
    # The editors record the review: the next date gets its own reminder.
    assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    assessment.rights = rights_of(cast["editor"], assessment)
    action_plan.review_date_set(assessment=assessment, user=cast["editor"], rights=assessment.rights,
                                review_on=D(2028, 4, 1), reason="見直しを終えた", base_version=0)
    assert "sent 0 reminders" in remind(D(2027, 4, 3)).splitlines()[-1]
    assert "plan and reviews: sent 1 reminders" in remind(D(2028, 4, 1))
    assert list(PlanReminder.objects.values_list("kind", "due_on")) == [("review_due", D(2027, 4, 1)),
                                                                        ("review_due", D(2028, 4, 1))]


def test_send_reminders_sends_request_reminders_too_and_the_old_command_only_those(cast):
    make_request(cast["assessment"], cast["editor"])  # due 2026-05-20
    make_action(cast, due_on=D(2026, 5, 20))
    dry = remind(D(2026, 5, 21), dry_run=True)
    assert "requests: would send 1 reminders" in dry and "plan and reviews: would send 1 reminders" in dry
    assert not mail.outbox and not PlanReminder.objects.exists()
    assert "sent 1 reminders in 2 e-mails" in remind(D(2026, 5, 21), command="send_request_reminders")
    out = remind(D(2026, 5, 21))
    assert "requests: sent 0 reminders" in out and "plan and reviews: sent 1 reminders" in out
    assert "2026-05-21: sent 1 reminders in 2 e-mails" in out.splitlines()[-1]


def test_a_failed_send_is_tried_again(cast, monkeypatch):
    from assessments import plan_reminders

    make_action(cast)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(plan_reminders, "send_mass_mail", broken)
    with pytest.raises(ConnectionRefusedError):
        remind(D(2027, 4, 1))
    assert not PlanReminder.objects.exists()
    monkeypatch.undo()
    assert "plan and reviews: sent 1 reminders" in remind(D(2027, 4, 1))


# --- The review date and 「見直し時期」 ---------------------------------------------------------------


def test_the_editors_set_the_review_date_with_a_reason(client, cast):
    client.force_login(cast["editor"])
    url = reverse("review_date", args=[cast["assessment"].pk])
    refused = client.post(url, {"review_on": "2027-10-01", "reason": "", "version": 0})
    assert refused.status_code == 400 and "2027-10-01" in refused.content.decode()
    assert client.post(url, {"review_on": "令和9年10月1日", "reason": "本格実施の前に見直す", "version": 0}).status_code == 302
    schedule = ReviewSchedule.objects.get(assessment=cast["assessment"])
    assert (schedule.review_on, schedule.reason, schedule.updated_by) == (D(2027, 10, 1), "本格実施の前に見直す", cast["editor"])
    stale = client.post(url, {"review_on": "2028-01-01", "reason": "古いタブ", "version": 0})
    assert stale.status_code == 400 and "別のタブまたは別の人" in stale.content.decode()
    page = client.get(reverse("action_plan", args=[cast["assessment"].pk])).content.decode()
    assert "2027-10-01（令和9年10月1日）（編集者が決めた日）" in page and "本格実施の前に見直す" in page
    client.force_login(cast["viewer"])
    assert client.post(url, {"review_on": "2028-01-01", "reason": "x", "version": 1}).status_code == 403


def test_a_passed_review_date_is_flagged_on_the_summary_lists_public_page_and_dashboard(client, cast):
    today = timezone.localdate()
    approved_on(cast["assessment"], today - datetime.timedelta(days=400))
    client.force_login(cast["editor"])
    assert "見直し時期" in client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).content.decode()
    listing = client.get(reverse("assessment_list")).content.decode()
    assert "review-flag" in listing and "見直し時期" in listing
    client.logout()
    public = client.get(reverse("public_assessment", args=[cast["assessment"].pk])).content.decode()
    assert 'id="review-due"' in public and "見直し時期" in public
    assert "review-flag" in client.get(reverse("public_list")).content.decode()
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "守る会の評価" in dashboard.split('id="review-due-list"')[1].split("</ul>")[0]
    # A review recorded: no longer flagged.
    ReviewSchedule.objects.create(assessment=cast["assessment"], review_on=today + datetime.timedelta(days=30), reason="済")
    assert 'id="review-due"' not in client.get(reverse("public_assessment", args=[cast["assessment"].pk])).content.decode()
    assert "review-flag" not in client.get(reverse("public_list")).content.decode()
    assert 'id="review-due-list"' not in client.get(reverse("dashboard")).content.decode()


def test_an_assessment_approved_recently_is_not_flagged(client, cast):
    approved_on(cast["assessment"], timezone.localdate() - datetime.timedelta(days=30))
    client.force_login(cast["editor"])
    assert 'id="review-due"' not in client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).content.decode()
    assert "review-flag" not in client.get(reverse("assessment_list")).content.decode()
