"""Following requests up (issue 16): the daily reminders of due days, the public page's list of what
the author published, and the dashboard's figures per municipality."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessments import municipality_requests as requests_service
from assessments.models import Assessment, MunicipalityRequest, RequestReminder
from assessments.request_reminders import reminder_kind

pytestmark = pytest.mark.django_db

D = datetime.date
SENT = D(2026, 4, 28)
REPLY_BY = D(2026, 5, 20)


def make_request(assessment, user, *, sent_on=SENT, reply_by=REPLY_BY, title="質問書（1回目）", published=False, **values):
    request = requests_service.request_create(
        assessment=assessment, user=user,
        values={"kind": MunicipalityRequest.Kind.LETTER, "title": title, "sent_on": sent_on, "reply_by": reply_by,
                **values},
        questions=[(None, "住民への説明はいつ、どのように行いましたか。")], documents=["委託契約書"], today=SENT,
    )
    if published:
        MunicipalityRequest.objects.filter(pk=request.pk).update(published=True)
        request.refresh_from_db()
    return request


def remind(day: D) -> str:
    from io import StringIO

    out = StringIO()
    call_command("send_request_reminders", "--today", day.isoformat(), stdout=out)
    return out.getvalue()


# --- Which reminder a day calls for (pure) -----------------------------------------------------------


@pytest.mark.parametrize(("today", "expected"), [
    (D(2026, 5, 12), None),                 # 8 days before
    (D(2026, 5, 13), "week_before"),        # 7 days before
    (D(2026, 5, 20), "week_before"),        # the due day itself is not overdue
    (D(2026, 5, 21), "overdue"),            # the day after
    (D(2026, 7, 1), "overdue"),
])
def test_the_reminder_a_day_calls_for(today, expected):
    request = MunicipalityRequest(state=MunicipalityRequest.State.SENT, due_on=REPLY_BY)
    assert reminder_kind(request, today) == expected


def test_closed_or_undated_requests_call_for_no_reminder():
    for state in (*MunicipalityRequest.CLOSED_STATES, MunicipalityRequest.State.DRAFT):
        assert reminder_kind(MunicipalityRequest(state=state, due_on=REPLY_BY), D(2026, 6, 1)) is None
    assert reminder_kind(MunicipalityRequest(state=MunicipalityRequest.State.SENT, due_on=None), D(2026, 6, 1)) is None
    extended = MunicipalityRequest(state=MunicipalityRequest.State.EXTENDED, due_on=REPLY_BY, extended_due_on=D(2026, 7, 6))
    assert reminder_kind(extended, D(2026, 5, 25)) is None  # the extended day counts, a month away


# --- The command -----------------------------------------------------------------------------------


def test_editors_and_owners_get_each_reminder_once(cast):
    request = make_request(cast["assessment"], cast["editor"])
    assert "sent 0 reminders" in remind(D(2026, 5, 12)) and not mail.outbox
    assert "sent 1 reminders in 2 e-mails" in remind(D(2026, 5, 13))
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.org", "dave@example.org"]  # not vera (viewer) nor rita
    message = mail.outbox[0]
    assert "回答の期限が近づいています" in message.subject and request.title in message.subject
    assert "2026-05-20（令和8年5月20日）" in message.body and "あと7日" in message.body
    assert f"/assessments/{cast['assessment'].pk}/requests/{request.pk}/" in message.body
    # The next days of the week send nothing more.
    assert "sent 0 reminders" in remind(D(2026, 5, 14)) and len(mail.outbox) == 2
    assert "sent 0 reminders" in remind(D(2026, 5, 20)) and len(mail.outbox) == 2
    # The day after the due day: the overdue reminder, once.
    assert "sent 1 reminders in 2 e-mails" in remind(D(2026, 5, 21))
    assert "期限を過ぎても回答がありません" in mail.outbox[-1].subject and "1日超過" in mail.outbox[-1].body
    assert "sent 0 reminders" in remind(D(2026, 5, 22)) and len(mail.outbox) == 4
    assert list(RequestReminder.objects.values_list("kind", "due_on")) == [("week_before", REPLY_BY), ("overdue", REPLY_BY)]


def test_an_extension_gets_its_own_reminders_and_an_answer_stops_them(cast):
    request = make_request(cast["assessment"], cast["editor"])
    remind(D(2026, 5, 21))
    assert len(mail.outbox) == 2  # overdue (the week-before one was missed: the run was not made)
    request = requests_service.request_transition(
        request=request, user=cast["editor"], kind=MunicipalityRequest.State.EXTENDED, on=D(2026, 5, 21), note="",
        base_version=request.version, today=D(2026, 5, 21), extended_due_on=D(2026, 6, 19))
    assert "sent 0 reminders" in remind(D(2026, 5, 22))
    assert "sent 1 reminders" in remind(D(2026, 6, 12))
    assert "2026-06-19" in mail.outbox[-1].body
    requests_service.request_transition(
        request=request, user=cast["editor"], kind=MunicipalityRequest.State.ANSWERED, on=D(2026, 6, 15), note="",
        base_version=request.version, today=D(2026, 6, 15))
    assert "sent 0 reminders" in remind(D(2026, 6, 20)) and len(mail.outbox) == 4


def test_an_unconfirmed_address_gets_no_reminder(cast):
    from assessments.models import Profile

    Profile.objects.filter(user=cast["owner"]).update(email_confirmed_at=None)
    make_request(cast["assessment"], cast["editor"])
    remind(D(2026, 5, 21))
    assert [m.to for m in mail.outbox] == [["dave@example.org"]]


def test_a_dry_run_sends_and_records_nothing(cast):
    from io import StringIO

    make_request(cast["assessment"], cast["editor"])
    out = StringIO()
    call_command("send_request_reminders", "--today", "2026-05-21", "--dry-run", stdout=out)
    assert "would send 1 reminders in 2 e-mails" in out.getvalue()
    assert not mail.outbox and not RequestReminder.objects.exists()


def test_a_failed_send_is_tried_again_the_next_run(cast, monkeypatch):
    from assessments import request_reminders

    make_request(cast["assessment"], cast["editor"])

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(request_reminders, "send_mass_mail", broken)
    with pytest.raises(ConnectionRefusedError):
        remind(D(2026, 5, 21))
    assert not RequestReminder.objects.exists()
    monkeypatch.undo()
    assert "sent 1 reminders" in remind(D(2026, 5, 21))


def test_a_bad_today_is_refused_clearly(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="2026-05-20"):
        call_command("send_request_reminders", "--today", "20th May")


# --- The public page ---------------------------------------------------------------------------------


def publish(assessment):
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED, published_at=timezone.now())


def test_the_public_page_lists_only_the_requests_the_author_published(client, cast):
    assessment = cast["assessment"]
    shown = make_request(assessment, cast["editor"], title="公開する質問書", published=True)
    make_request(assessment, cast["editor"], title="公開しない質問書")
    make_request(assessment, cast["editor"], title="準備中の質問書", sent_on=None, published=True)
    requests_service.reply_record(
        request=shown, user=cast["editor"], received_on=D(2026, 5, 18), text="<b>説明会は開いていません。</b>",
        item_ids=[shown.items.first().pk], documents=[{"title": "回答書", "page": "2", "date": D(2026, 5, 15), "url": ""}],
        state=MunicipalityRequest.State.ANSWERED, updates=[], base_version=shown.version, today=D(2026, 5, 18))
    publish(assessment)
    page = client.get(reverse("public_assessment", args=[assessment.pk])).content.decode()
    assert "公開する質問書" in page and "公開しない質問書" not in page and "準備中の質問書" not in page
    assert "2026-04-28（令和8年4月28日）" in page and "回答あり" in page
    assert "&lt;b&gt;説明会は開いていません。&lt;/b&gt;" in page and "回答書、2ページ（2026-05-15）" in page
    assert "委託契約書" in page  # the documents requested, as sent


def test_the_public_page_reads_requests_in_a_fixed_number_of_queries(client, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    publish(cast["assessment"])
    make_request(cast["assessment"], cast["editor"], published=True)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("public_assessment", args=[cast["assessment"].pk])).status_code == 200
        return len(queries)

    count()  # the published set's structure and risk part are read once per process, then kept
    one = count()
    for i in range(4):
        make_request(cast["assessment"], cast["editor"], title=f"質問書{i}", published=True)
    assert count() == one


# --- The dashboard -----------------------------------------------------------------------------------


def test_the_dashboard_counts_published_requests_per_municipality_with_the_median_reply_time(client, cast):
    assessment = cast["assessment"]
    publish(assessment)
    for days, sent in ((10, D(2026, 4, 1)), (20, D(2026, 4, 2)), (40, D(2026, 4, 3))):
        request = make_request(assessment, cast["editor"], sent_on=sent, reply_by=sent + datetime.timedelta(days=30), published=True)
        requests_service.reply_record(
            request=request, user=cast["editor"], received_on=sent + datetime.timedelta(days=days), text="回答",
            item_ids=[], documents=[], state=MunicipalityRequest.State.ANSWERED, updates=[],
            base_version=request.version, today=D(2026, 6, 1))
    make_request(assessment, cast["editor"], sent_on=D(2026, 4, 1), reply_by=D(2026, 4, 30), published=True)  # overdue
    make_request(assessment, cast["editor"], published=False)  # not published: not counted
    page = client.get(reverse("dashboard")).content.decode()
    table = page.split('id="request-stats-table"')[1].split("</table>")[0]
    row = table.split("美里町")[1].split("</tr>")[0]
    cells = [cell.split(">")[-1] for cell in row.split("</td>")[:-1]]
    assert cells == ["4", "3", "1", "1", "20日（3件）"]


def test_the_dashboard_says_when_no_request_is_published(client, cast):
    make_request(cast["assessment"], cast["editor"], published=True)  # its assessment is not published
    page = client.get(reverse("dashboard")).content.decode()
    assert "公開された質問・請求はまだありません。" in page


# --- The user's own list across assessments ----------------------------------------------------------


def test_my_requests_lists_overdue_and_due_first_and_only_what_the_user_may_see(client, cast, bob, charlie):
    from django.contrib.auth import get_user_model  # noqa: F401

    from assessments.answer_saving import assessment_create

    later = make_request(cast["assessment"], cast["editor"], title="期限が先の質問書", reply_by=D(2099, 1, 30))
    overdue = make_request(cast["assessment"], cast["editor"], title="期限を過ぎた質問書", reply_by=D(2026, 5, 20))
    theirs = assessment_create(user=charlie, project=cast["assessment"].project, question_set=cast["assessment"].question_set,
                               title="charlie の評価", standpoint="resident")
    make_request(theirs, charlie, title="よその質問書")
    client.force_login(cast["viewer"])
    page = client.get(reverse("my_requests")).content.decode()
    assert page.index(overdue.title) < page.index(later.title) and "よその質問書" not in page
    assert "守る会の評価</a>（美里町）" in page
    assert f'/assessments/{cast["assessment"].pk}/requests/{overdue.pk}/' in page
    client.logout()
    assert client.get(reverse("my_requests")).status_code == 302  # to sign in


def test_my_requests_reads_in_a_fixed_number_of_queries(client, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_request(cast["assessment"], cast["editor"])
    client.force_login(cast["editor"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("my_requests")).status_code == 200
        return len(queries)

    one = count()
    for i in range(5):
        make_request(cast["assessment"], cast["editor"], title=f"質問書{i}")
    assert count() == one
