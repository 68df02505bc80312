"""Requests to the municipality (issue 16): recording the letter as sent, the due day by the
municipality's rule, state changes and the derived 期限超過, replies updating the 不明/未開示 answers
they answer (with the reply as a source, in the history), and who may do what."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import municipality_requests as services
from assessments import seed
from assessments.reports import render
from assessments.answer_saving import AnswerChange
from assessments.models import (
    Answer,
    Assessment,
    AnswerHistory,
    DisclosureRule,
    LetterDetails,
    MunicipalityRequest,
    Question,
    Reply,
)
from tests.conftest import save_now
from tests.forms_helper import read_form

pytestmark = pytest.mark.django_db
D = datetime.date
State = MunicipalityRequest.State


@pytest.fixture
def gaps(cast):
    """The cast's assessment with one question answered 不明 and one 未開示; the disclosure rules loaded."""
    seed.seed_disclosure_limits(seed.SeedReport())
    assessment = cast["assessment"]
    questions = {q.key: q for q in Question.objects.filter(question_set=assessment.question_set,
                                                           key__in=["d-subcontracting", "a-consent-legal-basis"])}
    save_now(assessment, cast["editor"], {questions["d-subcontracting"]: AnswerChange(value="unknown"),
                                          questions["a-consent-legal-basis"]: AnswerChange(value="not-disclosed")})
    cast["questions"] = questions
    return cast


def record(cast, **values):
    prefill = services.letter_prefill(cast["assessment"])
    defaults = {"kind": prefill.kind, "title": prefill.title, "addressed_to": prefill.addressed_to,
                "sent_on": D(2026, 4, 28), "method": "post", "reference": "", "received_on": None,
                "reply_by": None, "published": False, "note": ""}
    return services.request_create(assessment=cast["assessment"], user=cast["editor"], values={**defaults, **values},
                                   questions=prefill.questions, documents=prefill.documents, today=D(2026, 4, 28))


# --- The disclosure rules --------------------------------------------------------------------------


def test_the_seed_loads_a_rule_for_each_of_the_63_municipalities_marked_unchecked(catalogue):
    report = seed.SeedReport()
    seed.seed_disclosure_limits(report)
    assert report.created == {"disclosure rules": 63}
    rule = DisclosureRule.objects.get(municipality__name="美里町")
    assert (rule.decision_days, rule.extension_days, rule.start, rule.holiday_moves, rule.verified) == (15, 45, "next_day", True, False)
    assert (rule.pi_decision_days, rule.pi_extension_days, rule.pi_verified) == (30, 30, False)
    assert rule.note.startswith("条例の本文を確認できていません。") and rule.source_url == ""
    # 行田市 counts from the day of receipt itself (its own page: 「受理した日から起算して15日以内」).
    gyoda = DisclosureRule.objects.get(municipality__name="行田市")
    assert (gyoda.start, gyoda.decision_days, gyoda.extension_days, gyoda.verified) == ("same_day", 15, 45, False)
    assert gyoda.source_url.startswith("https://www.city.gyoda.lg.jp/")
    assert not DisclosureRule.objects.filter(verified=True).exists()  # none could be read in an ordinance
    again = seed.SeedReport()
    seed.seed_disclosure_limits(again)
    assert again.created == {} and again.updated == {}


@pytest.mark.parametrize("change, message", [
    (lambda r: r.__setitem__(4, "十五"), "3行目: decision_days は1から365までの日数にしてください（「十五」）"),
    (lambda r: r.__setitem__(6, "翌々日"), "3行目: start は 翌日・当日・未確認 のいずれかにしてください"),
    (lambda r: r.__setitem__(9, "たぶん"), "3行目: verified は 確認済み・未確認 のいずれかにしてください"),
    (lambda r: r.__setitem__(0, "999999"), "3行目: 団体コード「999999」の自治体がありません"),
    (lambda r: r.__setitem__(1, "川口市"), "3行目: 団体コード 112011 は川越市です"),
    (lambda r: r.__setitem__(8, "javascript:alert(1)"), "3行目: source_url は http:// か https:// で始めてください"),
    (lambda r: r.pop(), "3行目: 列の数が見出しと合いません"),
])
def test_a_bad_row_is_refused_with_its_line(catalogue, tmp_path, change, message):
    lines = (seed.FIXTURES / "disclosure_limits.tsv").read_text(encoding="utf-8").splitlines()
    row = lines[2].split("\t")
    change(row)
    lines[2] = "\t".join(row)
    path = tmp_path / "limits.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(seed.DisclosureLimitsError, match=message):
        seed.seed_disclosure_limits(seed.SeedReport(), path)
    assert not DisclosureRule.objects.exists()


# --- Recording and the clock -----------------------------------------------------------------------


def test_recording_the_letter_keeps_its_questions_and_documents_as_sent(gaps):
    request = record(gaps)
    assert request.state == State.SENT and request.kind == "letter"
    questions = list(request.items.filter(kind="question"))
    assert len(questions) == 2
    answers = {q.answer.question.key for q in questions}
    assert answers == {"d-subcontracting", "a-consent-legal-basis"}
    letter = render.letter_text(gaps["assessment"])
    assert all(q.text in letter for q in questions)  # the letter's words
    assert all(d.text in letter for d in request.items.filter(kind="document"))
    assert request.items.filter(kind="document").exists()
    assert list(request.events.values_list("kind", "on")) == [("sent", D(2026, 4, 28))]


def test_a_letter_is_due_on_its_reply_by_date_a_disclosure_request_by_the_rule(gaps):
    letter = record(gaps, reply_by=D(2026, 5, 29))
    assert letter.due_on == D(2026, 5, 29)
    disclosure = record(gaps, kind="disclosure", sent_on=D(2026, 4, 24), received_on=D(2026, 4, 28))
    # 15 days from the day after receipt (4/29) end Wed 5/13 (test_request_clock checks the calendar).
    assert disclosure.due_on == D(2026, 5, 13) and disclosure.period_days == 15
    assert "未確認" in disclosure.clock_note and "受付日から" in disclosure.clock_note
    personal = record(gaps, kind="personal", sent_on=D(2026, 4, 28))
    # 30 days from 4/29 end Thu 5/28 (a working day); counted from the sending date.
    assert personal.due_on == D(2026, 5, 28) and "送付日" in personal.clock_note
    council = record(gaps, kind="council")
    assert council.due_on is None


def test_a_personal_information_request_is_counted_by_the_law_not_by_the_towns_disclosure_ordinance(catalogue):
    """行田市's 情報公開 guide counts the day of receipt (「受理した日から起算して」); 第83条's 「開示請求が
    あった日から」 does not: a personal-information request is due the same day in every town."""
    seed.seed_disclosure_limits(seed.SeedReport())
    rules = {name: DisclosureRule.objects.get(municipality__name=name) for name in ("行田市", "美里町", "鳩山町")}
    for rule in [rules["行田市"], rules["美里町"], None]:  # (鳩山町's guide gives 15 days for both kinds)
        request = MunicipalityRequest(kind="personal", sent_on=D(2027, 1, 4), received_on=D(2027, 1, 4))
        services.schedule(request, rule)
        # From 1/5, the 30th day is Wed 2/3; the extension's 30 more end Fri 3/5.
        assert (request.due_on, services.extended_due(request, rule)) == (D(2027, 2, 3), D(2027, 3, 5)), rule
        assert request.clock_note.startswith("個人情報の保護に関する法律 第83条: 30日、延長30日")
        assert "受け付けた日の翌日から数え" in request.clock_note
        # The law does not say a closed last day moves the deadline: the page says which reading it uses.
        assert "末日が休日の場合に延びるかは個人情報保護法に定めがなく（民法第142条は" in request.clock_note
    # A 情報公開請求 follows each town's recorded count, and its note says which count that is.
    gyoda = MunicipalityRequest(kind="disclosure", sent_on=D(2026, 12, 25), received_on=D(2026, 12, 25))
    services.schedule(gyoda, rules["行田市"])
    assert gyoda.due_on == D(2027, 1, 8)  # 12/25 is day 1; the 15th day is Fri 1/8
    assert "受け付けた日を1日目として数え、末日が休日なら翌開庁日" in gyoda.clock_note
    assert "遅くなる方" not in gyoda.clock_note
    hatoyama = MunicipalityRequest(kind="disclosure", sent_on=D(2026, 12, 25), received_on=D(2026, 12, 25))
    services.schedule(hatoyama, rules["鳩山町"])
    assert hatoyama.due_on == D(2027, 1, 12)  # 12/26–1/9 (Sat), then 1/11 成人の日 → Tue 1/12
    assert "受け付けた日の翌日から数え、末日が休日なら翌開庁日）。期限が遅くなる方の数え方です" in hatoyama.clock_note


def test_overdue_is_derived_from_the_day_after_the_due_day(gaps):
    request = record(gaps, kind="disclosure", received_on=D(2026, 4, 28))
    assert not services.is_overdue(request, D(2026, 5, 13))
    assert services.is_overdue(request, D(2026, 5, 14))
    assert services.state_label(request, D(2026, 5, 14)) == "期限超過（送付済み）"
    assert services.days_left(request, D(2026, 5, 10)) == 3
    request.state = State.ANSWERED
    assert not services.is_overdue(request, D(2027, 1, 1))


def test_transitions_follow_the_states_and_overdue_is_recorded_only_when_overdue(gaps):
    from django.core.exceptions import ValidationError

    request = record(gaps, kind="disclosure", received_on=D(2026, 4, 28))
    editor = gaps["editor"]
    with pytest.raises(ValidationError, match="期限を過ぎていないため"):
        services.request_transition(request=request, user=editor, kind="overdue", on=D(2026, 5, 13), note="",
                                    base_version=request.version, today=D(2026, 5, 13))
    request.refresh_from_db()
    request = services.request_transition(request=request, user=editor, kind="overdue", on=D(2026, 5, 14),
                                          note="電話で催促", base_version=request.version, today=D(2026, 5, 14))
    assert request.state == State.SENT  # 期限超過 is recorded, not a state
    request = services.request_transition(request=request, user=editor, kind="extended", on=D(2026, 5, 14), note="",
                                          base_version=request.version, today=D(2026, 5, 14))
    # 45 days after the first period's end (5/13): Sat 6/27, moved to Mon 6/29.
    assert request.state == State.EXTENDED and request.extended_due_on == D(2026, 6, 29)
    assert not services.is_overdue(request, D(2026, 6, 29)) and services.is_overdue(request, D(2026, 6, 30))
    with pytest.raises(ValidationError, match="「期限延長」から「準備中」には変えられません"):
        services.request_transition(request=request, user=editor, kind="draft", on=D(2026, 5, 14), note="",
                                    base_version=request.version, today=D(2026, 5, 14))
    request.refresh_from_db()
    request = services.request_transition(request=request, user=editor, kind="refused", on=D(2026, 6, 1), note="",
                                          base_version=request.version, today=D(2026, 6, 1))
    assert request.is_appealable
    assert list(request.events.values_list("kind", flat=True)) == ["sent", "overdue", "extended", "refused"]


def test_dates_before_the_request_was_sent_are_refused_beside_their_field(gaps, client):
    """A reply received, or a decision made, before the request was sent would put the timeline out of
    order and give negative reply times on the dashboard."""
    request = record(gaps, kind="disclosure", sent_on=D(2026, 4, 28))
    pages = urls(gaps["assessment"], request)
    client.force_login(gaps["editor"])
    reply = client.post(pages["reply"], {"received_on": "2026-04-20", "text": "早すぎる回答", "state": "answered",
                                         "version": str(request.version)})
    assert reply.status_code == 400
    form = reply.context["reply_form"]
    assert form.errors["received_on"] == ["受け取った日は送付日（2026-04-28）以後の日にしてください。"]
    assert "早すぎる回答" in reply.content.decode()
    state = client.post(pages["state"], {"kind": "refused", "on": "2026-04-01", "note": "", "version": str(request.version)})
    assert state.status_code == 400
    assert state.context["transition_form"].errors["on"] == ["日付は送付日（2026-04-28）以後の日にしてください。"]
    request.refresh_from_db()
    assert request.state == State.SENT and not Reply.objects.exists()
    assert list(request.events.values_list("kind", flat=True)) == ["sent"]


def test_a_reply_dated_before_the_municipality_received_the_request_is_refused(gaps):
    request = record(gaps, kind="disclosure", sent_on=D(2026, 4, 1), received_on=D(2026, 4, 10))
    with pytest.raises(ValidationError, match=r"受け取った日は受付日（2026-04-10）以後の日にしてください。"):
        services.reply_record(request=request, user=gaps["editor"], received_on=D(2026, 4, 5), text="x", item_ids=[],
                              documents=[], state="answered", updates=[], base_version=request.version,
                              today=D(2026, 5, 1))
    assert not Reply.objects.exists()


def test_a_receipt_day_after_a_recorded_decision_is_refused_beside_the_field(gaps, client):
    request = record(gaps, kind="disclosure", sent_on=D(2026, 4, 28))
    request = services.request_transition(request=request, user=gaps["editor"], kind="waiting", on=D(2026, 5, 1),
                                          note="", base_version=request.version, today=D(2026, 5, 1))
    values = {name: getattr(request, name) for name in services.REQUEST_FIELDS}
    with pytest.raises(ValidationError, match=r"受付日は、すでに記録した回答や状態の変化の日（2026-05-01）より後にはできません。"):
        services.request_update(request=request, values={**values, "received_on": D(2026, 5, 10)},
                                base_version=request.version)
    client.force_login(gaps["editor"])
    pages = urls(gaps["assessment"], request)
    edit = read_form(client.get(pages["detail"]).content.decode(), "edit-form")
    refused = client.post(pages["edit"], {**edit, "received_on": "2026-05-10"})
    assert refused.status_code == 400
    assert refused.context["request_form"].errors["received_on"] == [
        "受付日は、すでに記録した回答や状態の変化の日（2026-05-01）より後にはできません。"]
    request.refresh_from_db()
    assert request.received_on is None


def test_a_letters_reply_by_day_that_has_passed_is_not_recorded_as_its_due_day(gaps):
    LetterDetails.objects.create(assessment=gaps["assessment"], reply_by=timezone.localdate() - datetime.timedelta(days=3))
    assert services.letter_prefill(gaps["assessment"]).reply_by is None
    LetterDetails.objects.filter(assessment=gaps["assessment"]).update(reply_by=timezone.localdate() + datetime.timedelta(days=3))
    assert services.letter_prefill(gaps["assessment"]).reply_by == timezone.localdate() + datetime.timedelta(days=3)


def test_the_personal_information_note_names_the_law_and_fits_its_column_in_english(catalogue):
    from django.utils import translation

    seed.seed_disclosure_limits(seed.SeedReport())
    for name in ("鳩山町", "行田市", "さいたま市"):
        with translation.override("en"):
            request = MunicipalityRequest(kind="personal", sent_on=D(2027, 1, 4))
            services.schedule(request, DisclosureRule.objects.get(municipality__name=name))
        assert "http" not in request.clock_note and len(request.clock_note) <= 500, (name, len(request.clock_note))


def test_a_corrected_receipt_date_moves_the_counted_extension_but_not_a_notices_date(gaps):
    editor = gaps["editor"]
    counted = record(gaps, kind="disclosure", received_on=D(2026, 11, 4))
    counted = services.request_transition(request=counted, user=editor, kind="extended", on=D(2026, 12, 1), note="",
                                          base_version=counted.version, today=D(2026, 12, 1))
    assert counted.extended_due_on == D(2027, 1, 4)  # 11/19 + 45 days = Sun 1/3 (年末年始) → Mon 1/4
    values = {name: getattr(counted, name) for name in services.REQUEST_FIELDS}
    counted = services.request_update(request=counted, values={**values, "received_on": D(2026, 11, 27)},
                                      base_version=counted.version)
    # 15 days from 11/28 end Sat 12/12 → Mon 12/14; 45 more from 12/12 end Tue 1/26.
    assert (counted.due_on, counted.extended_due_on) == (D(2026, 12, 14), D(2027, 1, 26))

    noticed = record(gaps, kind="disclosure", received_on=D(2026, 11, 4))
    noticed = services.request_transition(request=noticed, user=editor, kind="extended", on=D(2026, 12, 1), note="",
                                          base_version=noticed.version, today=D(2026, 12, 1),
                                          extended_due_on=D(2027, 1, 15))
    values = {name: getattr(noticed, name) for name in services.REQUEST_FIELDS}
    noticed = services.request_update(request=noticed, values={**values, "received_on": D(2026, 11, 27)},
                                      base_version=noticed.version)
    assert noticed.extended_due_on == D(2027, 1, 15)


def test_a_stale_version_is_refused(gaps):
    request = record(gaps)
    services.request_transition(request=request, user=gaps["editor"], kind="waiting", on=D(2026, 4, 28), note="",
                                base_version=0, today=D(2026, 4, 30))
    with pytest.raises(services.StaleRequest):
        services.request_transition(request=request, user=gaps["owner"], kind="withdrawn", on=D(2026, 4, 28), note="",
                                    base_version=0, today=D(2026, 4, 30))
    request.refresh_from_db()
    assert request.state == State.WAITING


# --- Pages and rights ------------------------------------------------------------------------------


def urls(assessment, request):
    return {
        "list": reverse("request_list", args=[assessment.pk]),
        "new": reverse("request_new", args=[assessment.pk]),
        "detail": reverse("request_detail", args=[assessment.pk, request.pk]),
        "edit": reverse("request_edit", args=[assessment.pk, request.pk]),
        "state": reverse("request_transition", args=[assessment.pk, request.pk]),
        "reply": reverse("request_reply", args=[assessment.pk, request.pk]),
    }


def test_outsiders_get_404_viewers_may_look_but_not_write(gaps, client):
    request = record(gaps)
    pages = urls(gaps["assessment"], request)
    client.force_login(gaps["outsider"])
    for url in pages.values():
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {}).status_code == 404, url
    client.force_login(gaps["viewer"])
    assert client.get(pages["list"]).status_code == 200
    detail = client.get(pages["detail"])
    assert detail.status_code == 200 and "回答を記録する" not in detail.content.decode()
    for name in ("new", "edit", "state", "reply"):
        assert client.post(pages[name], {"kind": "withdrawn", "on": "2026-04-28", "version": "1"}).status_code == 403, name
    request.refresh_from_db()
    assert request.state == State.SENT
    # A request of another assessment is not reachable through this one.
    other = reverse("request_detail", args=[gaps["assessment"].pk, request.pk + 1000])
    client.force_login(gaps["editor"])
    assert client.get(other).status_code == 404


def test_the_editor_records_the_sending_from_the_letter(gaps, client):
    client.force_login(gaps["editor"])
    page = client.get(reverse("request_new", args=[gaps["assessment"].pk])).content.decode()
    assert 'name="question" value="0"' in page and services.letter_prefill(gaps["assessment"]).questions[0][1] in page
    data = {"kind": "disclosure", "title": "委託契約書の公開請求", "addressed_to": "head", "sent_on": "2026-04-24",
            "received_on": "2026-04-28", "method": "post", "reference": "美総第12号", "reply_by": "", "note": "",
            "version": "0", "question": ["1"], "document": ["0"]}
    response = client.post(reverse("request_new", args=[gaps["assessment"].pk]), data)
    assert response.status_code == 302
    request = MunicipalityRequest.objects.get()
    assert request.due_on == D(2026, 5, 13) and request.reference == "美総第12号"
    assert request.items.filter(kind="question").count() == 1 and request.items.filter(kind="document").count() == 1
    detail = client.get(response["Location"]).content.decode()
    assert "2026-05-13" in detail and "委託契約書の公開請求" in detail


def test_bad_input_is_shown_next_to_the_field_with_the_input_kept(gaps, client):
    client.force_login(gaps["editor"])
    data = {"kind": "disclosure", "title": "公開請求X", "addressed_to": "head", "sent_on": "2026-04-30",
            "received_on": "2026-04-28", "method": "post", "version": "0"}
    response = client.post(reverse("request_new", args=[gaps["assessment"].pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "受付日は送付日以後の日にしてください。" in page and 'value="公開請求X"' in page
    data.update(sent_on="令和8年13月1日", received_on="")
    assert client.post(reverse("request_new", args=[gaps["assessment"].pk]), data).status_code == 400
    data.update(sent_on=(timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    assert "今日までの日付にしてください。" in client.post(reverse("request_new", args=[gaps["assessment"].pk]), data).content.decode()
    # A reply-by day on or before the day the letter went out (a typo: overdue from the start).
    data.update(kind="letter", sent_on="2026-04-30", reply_by="2026-04-30")
    page = client.post(reverse("request_new", args=[gaps["assessment"].pk]), data).content.decode()
    assert "回答の期限は、送付日より後の日にしてください。" in page.split('id="id_reply_by"')[1][:1500]
    assert not MunicipalityRequest.objects.exists()


def test_sending_a_draft_on_or_after_its_reply_by_day_is_refused_next_to_the_date(gaps, client):
    """The form refuses a reply-by day on or before the sending day; a draft recorded without a
    sending day, then marked 送付済み after its reply-by day, went round it and was overdue at once."""
    request = record(gaps, sent_on=None, reply_by=D(2026, 5, 1))
    client.force_login(gaps["editor"])
    response = client.post(urls(gaps["assessment"], request)["state"], {
        "kind": "sent", "on": "2026-05-10", "note": "", "version": str(request.version)})
    page = response.content.decode()
    assert response.status_code == 400 and "回答の期限（2026-05-01）が、送付日（2026-05-10）以前になります" in page
    request.refresh_from_db()
    assert request.state == State.DRAFT and request.sent_on is None


def test_malformed_posts_give_no_500(gaps, client):
    request = record(gaps)
    pages = urls(gaps["assessment"], request)
    client.force_login(gaps["editor"])
    for name in ("new", "edit", "state", "reply"):
        for data in ({}, {"version": "x", "kind": "nonsense", "on": "\x00", "items": ["a", "999999999999999999999"]},
                     {"version": "-1", "received_on": "2026-02-30", "a1-update": "1", "a1-value-version": "z"}):
            assert client.post(pages[name], data).status_code in (400, 302), (name, data)
    assert client.get(reverse("request_detail", args=[gaps["assessment"].pk, 99999999999999999999])).status_code == 404


def waiting_request(gaps, client):
    """A letter recorded, then marked 回答待ち through the page by its editor (now signed in)."""
    request = record(gaps)
    pages = urls(gaps["assessment"], request)
    client.force_login(gaps["editor"])
    today = timezone.localdate().isoformat()
    assert client.post(pages["state"], {"kind": "waiting", "on": today, "note": "受領の電話", "version": "0"}).status_code == 302
    return request, pages, today


def test_a_state_change_through_the_page_and_a_stale_form(gaps, client):
    request, pages, today = waiting_request(gaps, client)
    stale = client.post(pages["state"], {"kind": "withdrawn", "on": today, "note": "取り下げの理由", "version": "0"})
    assert stale.status_code == 400 and "別のタブまたは別の人がこの記録を変えていました" in stale.content.decode()
    request.refresh_from_db()
    assert request.state == State.WAITING
    # The refused form keeps the input and now carries the version it was refused for: sent again
    # as the page holds it (after reading the latest record), it is stored.
    again = read_form(stale.content.decode(), "transition-form")
    assert again["note"] == "取り下げの理由" and again["version"] == str(request.version)
    assert client.post(pages["state"], again).status_code == 302
    request.refresh_from_db()
    assert request.state == State.WITHDRAWN


def test_a_stale_reply_and_a_stale_correction_can_be_sent_again(gaps, client):
    request, pages, today = waiting_request(gaps, client)
    stale = client.post(pages["reply"], {"received_on": today, "text": "別のタブで書いた回答の要旨", "state": "answered",
                                         "version": "0"})
    assert stale.status_code == 400 and "入力はそのまま残しています" in stale.content.decode()
    again = read_form(stale.content.decode(), "reply-form")
    assert again["text"] == "別のタブで書いた回答の要旨"
    assert client.post(pages["reply"], again).status_code == 302
    assert Reply.objects.get(request=request).text == "別のタブで書いた回答の要旨"

    page = client.get(pages["detail"]).content.decode()
    edit = read_form(page, "edit-form")
    assert client.post(pages["edit"], {**edit, "title": "別のタブで直した題名"}).status_code == 302
    edit["title"] = "題名を直した"
    stale = client.post(pages["edit"], edit)
    assert stale.status_code == 400
    again = read_form(stale.content.decode(), "edit-form")
    assert again["title"] == "題名を直した"
    assert client.post(pages["edit"], again).status_code == 302
    request.refresh_from_db()
    assert request.title == "題名を直した"


def test_a_reply_updates_a_not_disclosed_answer_with_its_source_and_history(gaps, client):
    request = record(gaps)
    pages = urls(gaps["assessment"], request)
    answer = Answer.objects.get(assessment=gaps["assessment"], question__key="a-consent-legal-basis")
    item = request.items.get(answer=answer)
    client.force_login(gaps["editor"])
    page = client.get(pages["detail"]).content.decode()
    prefix = f"a{answer.pk}"
    assert f'name="{prefix}-update"' in page
    choice = next(c for c in answer.question.choices.all() if c.meaning == "answer")
    data = {"received_on": "2026-05-20", "text": "同意ではなく条例を根拠としています。", "items": [str(item.pk)],
            "state": "answered", "version": str(request.version),
            "doc-0-title": "こどもデータ連携 運用規程", "doc-0-page": "3", "doc-0-date": "2026-04-01",
            "doc-0-url": "https://example.org/kitei.pdf",
            f"{prefix}-update": "1", f"{prefix}-value": choice.key, f"{prefix}-note": "回答書による",
            f"{prefix}-value-version": str(answer.value_version), f"{prefix}-note-version": str(answer.note_version),
            f"{prefix}-evidence-version": str(answer.evidence_version)}
    response = client.post(pages["reply"], data)
    assert response.status_code == 302, response.content.decode()[:3000]
    answer.refresh_from_db()
    assert answer.value == choice.key and answer.note == "回答書による"
    titles = list(answer.evidence.values_list("title", "date"))
    assert ("美里町からの回答（2026-05-20）", D(2026, 5, 20)) in titles
    assert ("こどもデータ連携 運用規程", D(2026, 4, 1)) in titles
    history = AnswerHistory.objects.filter(question=answer.question).latest("pk")
    assert history.new["value"] == choice.key and history.user == gaps["editor"]
    assert any(e["title"] == "美里町からの回答（2026-05-20）" for e in history.new["evidence"])
    request.refresh_from_db()
    assert request.state == State.ANSWERED
    reply = Reply.objects.get()
    assert list(reply.items.all()) == [item] and reply.documents.get().url == "https://example.org/kitei.pdf"
    # The answer no longer 未開示 is offered for update no more; the summary shows the reply.
    assert f'name="{prefix}-update"' not in client.get(pages["detail"]).content.decode()
    # Published (the assessment, and this request by its author's choice), the reply is public: the
    # public page lists it, and the open data has the new answer with the reply as its source.
    Assessment.objects.filter(pk=gaps["assessment"].pk).update(status=Assessment.Status.PUBLISHED)
    MunicipalityRequest.objects.filter(pk=request.pk).update(published=True)
    client.logout()
    public = client.get(reverse("public_assessment", args=[gaps["assessment"].pk])).content.decode()
    assert "同意ではなく条例を根拠としています。" in public and "こどもデータ連携 運用規程、3ページ（2026-04-01）" in public
    body = b"".join(client.get(reverse("public_export_csv")).streaming_content).decode("utf-8")[1:]
    row = next(r for r in csv.DictReader(io.StringIO(body)) if r["question_key"] == "a-consent-legal-basis")
    assert row["answer"] == choice.label and row["note"] == "回答書による"
    assert "美里町からの回答（2026-05-20）" in row["sources"] and "こどもデータ連携 運用規程（p.3、2026-04-01）" in row["sources"]
    data = client.get(reverse("public_export_json", args=[gaps["assessment"].pk])).json()
    assert data["answers"]["a-consent-legal-basis"]["value"] == choice.key
    assert data["requests"][0]["replies"][0]["documents"][0]["title"] == "こどもデータ連携 運用規程"


def test_a_reply_whose_answer_changed_meanwhile_saves_nothing(gaps, client):
    request = record(gaps)
    pages = urls(gaps["assessment"], request)
    answer = Answer.objects.get(assessment=gaps["assessment"], question__key="d-subcontracting")
    base = {"value": answer.value_version, "note": answer.note_version, "evidence": answer.evidence_version}
    save_now(gaps["assessment"], gaps["owner"], {answer.question: AnswerChange(value="not-disclosed")})
    client.force_login(gaps["editor"])
    prefix = f"a{answer.pk}"
    choice = next(c for c in answer.question.choices.all() if c.meaning == "answer")
    response = client.post(pages["reply"], {
        "received_on": "2026-05-20", "text": "回答", "state": "answered", "version": str(request.version),
        f"{prefix}-update": "1", f"{prefix}-value": choice.key, f"{prefix}-note": "",
        **{f"{prefix}-{part}-version": str(v) for part, v in base.items()}})
    assert response.status_code == 400
    assert "何も保存していません" in response.content.decode()
    assert not Reply.objects.exists()
    answer.refresh_from_db()
    assert answer.value == "not-disclosed"
    request.refresh_from_db()
    assert request.state == State.SENT


def test_a_reply_that_would_take_an_answer_past_its_fifty_sources_saves_nothing(gaps, client):
    """The reply and its documents are added to the answer's sources: past the 50 that every other
    way of saving allows, the answer's sources could no longer be edited (the section page refused
    the formset) and the assessment's own file could not be imported again."""
    from assessments.forms import MAX_SOURCES_PER_QUESTION

    request = record(gaps)
    pages = urls(gaps["assessment"], request)
    answer = Answer.objects.get(assessment=gaps["assessment"], question__key="a-consent-legal-basis")
    full = [{"title": f"資料{n}", "url": "", "page": "", "date": None, "note": ""} for n in range(MAX_SOURCES_PER_QUESTION - 1)]
    save_now(gaps["assessment"], gaps["owner"], {answer.question: AnswerChange(evidence=full)})
    answer.refresh_from_db()
    item = request.items.get(answer=answer)
    client.force_login(gaps["editor"])
    prefix = f"a{answer.pk}"
    choice = next(c for c in answer.question.choices.all() if c.meaning == "answer")
    data = {"received_on": "2026-05-20", "text": "条例を根拠としています。", "items": [str(item.pk)],
            "state": "answered", "version": str(request.version), "doc-0-title": "運用規程",
            f"{prefix}-update": "1", f"{prefix}-value": choice.key, f"{prefix}-note": "",
            f"{prefix}-value-version": str(answer.value_version), f"{prefix}-note-version": str(answer.note_version),
            f"{prefix}-evidence-version": str(answer.evidence_version)}
    response = client.post(pages["reply"], data)
    page = response.content.decode()
    assert response.status_code == 400 and "根拠資料は50件までです" in page and "51件になる" in page
    assert "条例を根拠としています。" in page  # the input is kept
    assert not Reply.objects.exists() and answer.evidence.count() == MAX_SOURCES_PER_QUESTION - 1
    # Without the document the reply and the answer's update fit (49 + the reply itself).
    del data["doc-0-title"]
    assert client.post(pages["reply"], data).status_code == 302
    assert answer.evidence.count() == MAX_SOURCES_PER_QUESTION


def test_a_refusal_explains_the_appeal(gaps, client):
    request = record(gaps, kind="disclosure", received_on=D(2026, 4, 28))
    services.request_transition(request=request, user=gaps["editor"], kind="refused", on=D(2026, 5, 10), note="",
                                base_version=request.version, today=D(2026, 5, 10))
    client.force_login(gaps["viewer"])
    page = client.get(urls(gaps["assessment"], request)["detail"]).content.decode()
    assert "審査請求" in page and "翌日から起算して3か月以内" in page and "行政不服審査法 第18条第1項・第2項" in page
    assert "処分があった日の翌日から起算して1年を過ぎるとできなくなります" in page
    assert "条例の該当条文を確かめてください。" in page  # the rule is unchecked
    assert "2026-04-28（令和8年4月28日）" in page  # the municipality's day of receipt, 和暦 beside 西暦


def test_a_question_letter_refused_an_answer_offers_no_appeal(gaps, client):
    """A question letter is not an application under a law: its refusal is no 処分 to contest, and
    its overdue reminder suggests no 不作為 appeal (a disclosure request's does)."""
    letter = record(gaps, reply_by=D(2026, 5, 29))
    services.request_transition(request=letter, user=gaps["editor"], kind="refused", on=D(2026, 5, 10), note="",
                                base_version=letter.version, today=D(2026, 5, 10))
    letter.refresh_from_db()
    assert not letter.is_appealable
    client.force_login(gaps["viewer"])
    page = client.get(urls(gaps["assessment"], letter)["detail"]).content.decode()
    assert "不服があるとき" not in page and "行政不服審査法" not in page

    from assessments import request_reminders

    waiting = record(gaps, title="回答待ちの質問書", reply_by=D(2026, 5, 29))
    disclosure = record(gaps, kind="disclosure", received_on=D(2026, 4, 28))
    letter_mail = request_reminders.message(waiting, "overdue", D(2026, 6, 2))
    disclosure_mail = request_reminders.message(disclosure, "overdue", D(2026, 6, 2))
    assert "不作為" not in str(letter_mail) and "回答をお願いした" in str(letter_mail)
    assert "不作為についての審査請求" in str(disclosure_mail)


def test_the_list_and_the_summary_use_a_constant_number_of_queries(gaps, client, django_assert_max_num_queries):
    client.force_login(gaps["editor"])
    assessment = gaps["assessment"]

    def pages():
        with django_assert_max_num_queries(14) as list_queries:
            assert client.get(reverse("request_list", args=[assessment.pk])).status_code == 200
        with django_assert_max_num_queries(40) as summary_queries:
            summary = client.get(reverse("assessment_summary", args=[assessment.pk]))
        return len(list_queries), len(summary_queries), summary.content.decode()

    def replied(title):
        extra = record(gaps, title=title)
        services.reply_record(request=extra, user=gaps["editor"], received_on=D(2026, 5, 1), text="x",
                              item_ids=list(extra.items.values_list("pk", flat=True)), documents=[{"title": "文書"}],
                              state="", updates=[], base_version=extra.version, today=D(2026, 5, 2))

    replied("最初")
    pages()  # the published set's structure and risk part are read once per process, then kept
    one = pages()
    assert "質問済み" in one[2] and "送付済み" in one[2]
    for i in range(5):
        replied(f"追加{i}")
        record(gaps, title=f"回答なし{i}")
    many = pages()
    assert many[0] == one[0] and many[1] == one[1]
    assert "回答 1件（2026-05-01）" in many[2]


def test_statistics_by_municipality(gaps):
    request = record(gaps, kind="disclosure", received_on=D(2026, 4, 28))
    record(gaps, title="回答済み")
    services.reply_record(request=request, user=gaps["editor"], received_on=D(2026, 5, 8), text="", item_ids=[],
                          documents=[], state="partial", updates=[], base_version=request.version, today=D(2026, 5, 8))
    stats = services.request_stats_by_municipality(today=D(2026, 6, 1))
    assert len(stats) == 1
    entry = stats[0]
    assert entry["municipality"] == "美里町" and entry["total"] == 2 and entry["partial"] == 1
    assert entry["open"] == 1 and entry["median_reply_days"] == 10 and entry["decided"] == 1
    assert services.requests_for_assessments(
        type(gaps["assessment"]).objects.filter(pk=gaps["assessment"].pk)).count() == 2


def test_hostile_text_is_stored_inert_and_shown_escaped(gaps, client):
    client.force_login(gaps["editor"])
    payload = '<script>alert(1)</script>\x00"><img src=x onerror=alert(2)>=HYPERLINK("http://evil")'
    response = client.post(reverse("request_new", args=[gaps["assessment"].pk]), {
        "kind": "letter", "title": payload, "addressed_to": "head", "sent_on": "2026-04-28", "method": "post",
        "reference": payload[:100], "note": payload, "version": "0", "question": ["0"]})
    assert response.status_code == 302
    request = MunicipalityRequest.objects.get()
    assert "\x00" not in request.title and "<script>alert(1)</script>" in request.title
    reply = client.post(reverse("request_reply", args=[gaps["assessment"].pk, request.pk]), {
        "received_on": "2026-05-01", "text": payload, "state": "", "version": str(request.version),
        "doc-0-title": payload, "doc-0-url": "javascript:alert(3)"})
    assert reply.status_code == 302
    for url in (reverse("request_detail", args=[gaps["assessment"].pk, request.pk]),
                reverse("request_list", args=[gaps["assessment"].pk]),
                reverse("assessment_summary", args=[gaps["assessment"].pk])):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page, url
        assert 'href="javascript:' not in page, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(
        reverse("request_detail", args=[gaps["assessment"].pk, request.pk])).content.decode()


def test_the_seed_command_names_the_bad_line(catalogue, tmp_path, monkeypatch):
    from django.core.management import CommandError, call_command

    lines = (seed.FIXTURES / "disclosure_limits.tsv").read_text(encoding="utf-8").splitlines()
    cells = lines[5].split("\t")
    cells[6] = "あした"
    lines[5] = "\t".join(cells)
    path = tmp_path / "disclosure_limits.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(seed, "seed_disclosure_limits",
                        lambda report, path=path, _real=seed.seed_disclosure_limits: _real(report, path))
    with pytest.raises(CommandError, match="6行目: start は 翌日・当日・未確認 のいずれかにしてください"):
        call_command("seed")


def test_a_draft_is_scheduled_when_it_is_sent(gaps):
    draft = record(gaps, kind="disclosure", sent_on=None)
    assert draft.state == State.DRAFT and draft.due_on is None
    sent = services.request_transition(request=draft, user=gaps["editor"], kind="sent", on=D(2026, 4, 28), note="",
                                       base_version=draft.version, today=D(2026, 4, 28))
    assert sent.sent_on == D(2026, 4, 28) and sent.due_on == D(2026, 5, 13)
    # The municipality's receipt date, learnt later, moves the due day: 5/1 (Fri) + 15 days = Sat 5/16 → Mon 5/18.
    values = {name: getattr(sent, name) for name in services.REQUEST_FIELDS}
    updated = services.request_update(request=sent, values={**values, "received_on": D(2026, 5, 1)}, base_version=sent.version)
    assert updated.due_on == D(2026, 5, 18)
    with pytest.raises(services.StaleRequest):
        services.request_update(request=sent, values=values, base_version=sent.version)


def test_the_admin_edits_rules_and_shows_requests(gaps, admin_client):
    request = record(gaps)
    rule = DisclosureRule.objects.get(municipality__name="美里町")
    assert admin_client.get(reverse("admin:assessments_disclosurerule_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:assessments_disclosurerule_change", args=[rule.pk])).content.decode()
    assert 'name="verified"' in page and 'name="source_url"' in page
    assert admin_client.get(reverse("admin:assessments_municipalityrequest_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:assessments_municipalityrequest_change", args=[request.pk])).content.decode()
    assert 'name="published"' in page and 'name="title"' not in page
    assert admin_client.get(reverse("admin:assessments_municipalityrequest_add")).status_code == 403
