"""Where the action plan shows (issue 17): the summary with its proposals, the public page of a
published assessment, the report's chapter 「対応計画」, the CSV/XLSX exports and the open data, the
demonstration, the assessment file; the question set's review intervals; fixed query counts."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments import action_plan
from assessments.demo import DEMO_FILE, create_demo_assessment
from assessments.exchange import AssessmentFileError, assessment_from_data, assessment_to_data
from assessments.models import Assessment, PlannedAction, QuestionSet
from assessments.questionset_io import QuestionSetDataError, questionset_from_data, questionset_to_data
from assessments.reports import render
from tests.conftest import make_questionset_data
from tests.pdf_reading import toc_entries
from tests.test_action_plan import D, make_action, set_status
from tests.test_reports import pdf_text, squash

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x","y")'


def publish(assessment):
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED, published_at=timezone.now())


# --- The summary and its proposals --------------------------------------------------------------------


def test_a_proposal_becomes_an_action_prefilled_from_its_text(client, cast):
    question = cast["assessment"].question_set.questions.get(key="a-public-comment")
    # A weak answer: the summary lists its proposal with 「対応計画に加える」.
    from assessments.answer_saving import AnswerChange
    from tests.conftest import save_now

    save_now(cast["assessment"], cast["editor"], {question: AnswerChange(value="unknown")})
    client.force_login(cast["editor"])
    summary = client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).content.decode()
    proposals = summary.split('id="proposal-list"')[1].split("</ol>")[0]
    link = reverse("action_new", args=[cast["assessment"].pk]) + "?from=a-public-comment"
    assert question.proposal in proposals and link in proposals and "対応計画に加える" in proposals
    form = client.get(link).content.decode()
    first_sentence = question.proposal.partition("。")[0]
    assert f'value="{first_sentence}"' in form and 'name="question" value="a-public-comment"' in form
    response = client.post(reverse("action_new", args=[cast["assessment"].pk]), {
        "title": "意見募集を求める", "detail": question.proposal, "responsible": "department",
        "responsible_name": "子育て支援担当課（架空）", "due_on": "2027-03-31", "question": "a-public-comment", "version": 0})
    assert response.status_code == 302
    action = PlannedAction.objects.get()
    assert (action.question, action.due_on, action.responsible_name) == (question, D(2027, 3, 31), "子育て支援担当課（架空）")
    summary = client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).content.decode()
    assert "対応計画にあります" in summary and "意見募集を求める" in summary.split('id="summary-plan"')[1]
    # A viewer sees the plan but no button.
    client.force_login(cast["viewer"])
    summary = client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).content.decode()
    assert "意見募集を求める" in summary and link not in summary


def test_bad_input_is_shown_beside_the_field_and_kept(client, cast):
    client.force_login(cast["editor"])
    response = client.post(reverse("action_new", args=[cast["assessment"].pk]), {
        "title": "", "detail": "残したい説明", "responsible": "nobody", "due_on": "2027年13月40日", "version": 0})
    page = response.content.decode()
    assert response.status_code == 400 and "残したい説明" in page and "2027年13月40日" in page
    assert page.count("invalid-feedback") >= 3 and not PlannedAction.objects.exists()
    for junk in ({"version": "x"}, {"title": "a" * 300, "version": 0}, {"title": "x", "responsible": "vendor", "question": "\x00", "version": 0}):
        assert client.post(reverse("action_new", args=[cast["assessment"].pk]), junk).status_code in (302, 400)
    for junk in ("\x00", "a\x00b", "x" * 500):
        assert client.get(reverse("action_new", args=[cast["assessment"].pk]), {"from": junk, "risk": junk}).status_code == 200
    assert client.get(reverse("action_detail", args=[cast["assessment"].pk, 99999999999999999999])).status_code == 404


# --- The report ----------------------------------------------------------------------------------------


def test_the_report_has_the_chapter_with_the_plan_and_its_cache_follows_the_plan(cast):
    action = make_action(cast, title="委託契約書の消去条項を確かめる", detail="契約の第12条")
    set_status(cast, action, "done", done_on=D(2027, 1, 9), evidence_title="町からの回答書（2027-01-08）",
               evidence_url="http://127.0.0.1:9/never-fetched")
    assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    pdf = render.report_pdf(assessment)
    entries = {e.title: e for e in toc_entries(pdf)}
    assert "対応計画" in entries
    pages = pdf_text(pdf)
    chapter = squash(pages[entries["対応計画"].target - 1])
    assert "対応計画" in chapter and "委託契約書の消去条項を確かめる" in chapter and "町からの回答書" in chapter
    assert "完了" in chapter and "http://127.0.0.1:9/never-fetched" in chapter
    # Another plan, another cached PDF: the key is a digest of the HTML, which prints the plan.
    before = render._cache_key("report", assessment, render.report_html(assessment))
    make_action(cast, title="説明会を求める")
    assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    html = render.report_html(assessment)
    assert "説明会を求める" in html and render._cache_key("report", assessment, html) != before


# --- Exports --------------------------------------------------------------------------------------------


def test_the_plan_exports_as_csv_and_xlsx_with_formulas_neutralised(client, cast):
    make_action(cast, title=HYPERLINK, detail="-5", responsible_name="@SUM(1)")
    client.force_login(cast["viewer"])
    response = client.get(reverse("action_plan_csv", args=[cast["assessment"].pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert len(rows) == 1
    assert rows[0]["title"] == "'" + HYPERLINK and rows[0]["detail"] == "'-5" and rows[0]["responsible_name"] == "'@SUM(1)"
    assert rows[0]["status"] == "未着手" and rows[0]["responsible"] == "自治体の担当部署" and rows[0]["due_on"] == "2027-03-31"
    workbook = load_workbook(io.BytesIO(client.get(reverse("action_plan_xlsx", args=[cast["assessment"].pk])).content))
    sheet = workbook["対応計画"]
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type in ("f", "e")]
    header = [c.value for c in next(sheet.iter_rows())]
    title = next(sheet.iter_rows(min_row=2))[header.index("title")]
    assert title.value == HYPERLINK and title.data_type == "s" and title.quotePrefix
    client.force_login(cast["outsider"])
    assert client.get(reverse("action_plan_csv", args=[cast["assessment"].pk])).status_code == 404


def test_the_open_data_holds_the_plans_of_published_assessments_only(client, catalogue, published_set, bob, charlie):
    published = create_demo_assessment(user=bob)
    publish(published)
    draft = create_demo_assessment(user=charlie)
    workbook = load_workbook(io.BytesIO(client.get(reverse("public_export_xlsx")).content), read_only=True)
    rows = list(workbook["対応計画"].iter_rows(values_only=True))
    assert rows[0][:3] == ("assessment_id", "action_id", "title")
    assert {row[0] for row in rows[1:]} == {published.pk} and len(rows) == 1 + published.planned_actions.count()
    data = json.loads(client.get(reverse("public_export_json", args=[published.pk])).content)
    assert [a["title"] for a in data["actions"]] == list(published.planned_actions.order_by("pk").values_list("title", flat=True))
    assert client.get(reverse("public_export_json", args=[draft.pk])).status_code == 404


# --- The public page -------------------------------------------------------------------------------------


def test_the_public_page_shows_the_plan_only_once_published(client, cast):
    make_action(cast, title="<b>説明会</b>を求める")
    url = reverse("public_assessment", args=[cast["assessment"].pk])
    assert client.get(url).status_code == 404
    publish(cast["assessment"])
    page = client.get(url).content.decode()
    plan = page.split('id="action-plan"')[1].split("</section>")[0]
    assert "&lt;b&gt;説明会&lt;/b&gt;を求める" in plan and "未着手" in plan and "自治体の担当部署" in plan
    assert "2027-03-31" in plan and "（令和9年3月31日）" in plan
    assert 'href="/assessments/' not in plan  # nothing that needs signing in
    Assessment.objects.filter(pk=cast["assessment"].pk).update(status=Assessment.Status.APPROVED, published_at=None)
    assert client.get(url).status_code == 404


# --- The demonstration and the assessment file ----------------------------------------------------------


def test_the_demo_carries_a_plan_with_a_done_action_and_its_source(client, catalogue, published_set, bob):
    demo = create_demo_assessment(user=bob)
    actions = {a.status: a for a in demo.planned_actions.all()}
    assert set(actions) == {"todo", "doing", "done", "declined"}
    done = actions["done"]
    assert done.evidence_title and done.done_on and "架空" in done.evidence_title
    assert all("架空" in a.detail + a.responsible_name + a.declined_reason for a in actions.values())
    client.force_login(bob)
    summary = client.get(reverse("assessment_summary", args=[demo.pk])).content.decode()
    for action in actions.values():
        assert action.title in summary
    assert assessment_to_data(demo)["actions"] == json.loads(DEMO_FILE.read_text(encoding="utf-8"))["actions"]


def test_an_assessment_file_carries_the_plan_but_not_its_conditions(catalogue, published_set, bob, charlie):
    demo = create_demo_assessment(user=bob)
    PlannedAction.objects.filter(assessment=demo, status="todo").update(required=True)
    data = assessment_to_data(demo)
    assert any(a["required"] for a in data["actions"])
    copy = assessment_from_data(data, user=charlie)
    assert copy.planned_actions.count() == 4 and not copy.planned_actions.filter(required=True).exists()
    assert copy.planned_actions.get(status="done").evidence_title == demo.planned_actions.get(status="done").evidence_title
    data["actions"][0]["status"] = "declined"
    data["actions"][0]["declined_reason"] = ""
    with pytest.raises(AssessmentFileError, match="対応計画の1件目: 見送る理由"):
        assessment_from_data(data, user=charlie)
    data["actions"] = [{"title": "x", "question": "no-such-question"}]
    with pytest.raises(AssessmentFileError, match="no-such-question"):
        assessment_from_data(data, user=charlie)
    assert Assessment.objects.count() == 2  # nothing of a refused file stays


# --- The question set's review intervals ----------------------------------------------------------------


def test_a_set_names_its_review_intervals_and_older_files_take_the_defaults(db):
    older = questionset_from_data(make_questionset_data(key="older"))
    assert (older.review_months, older.reassessment_years) == (12, 5)
    assert "review_interval_months" not in questionset_to_data(older)  # exported as it always was
    data = make_questionset_data(key="newer")
    data.update(review_interval_months=6, reassessment_interval_years=3)
    newer = questionset_from_data(data)
    assert (newer.review_months, newer.reassessment_years) == (6, 3)
    exported = questionset_to_data(newer)
    assert (exported["review_interval_months"], exported["reassessment_interval_years"]) == (6, 3)
    bad = make_questionset_data(key="bad")
    bad.update(review_interval_months=0, reassessment_interval_years="5")
    with pytest.raises(QuestionSetDataError) as refused:
        questionset_from_data(bad)
    assert {p.where for p in refused.value.problems} == {"review_interval_months", "reassessment_interval_years"}
    assert not QuestionSet.objects.filter(key="bad").exists()


def test_the_interval_of_the_set_moves_the_review_date(cast):
    assessment = Assessment.objects.select_related("question_set").get(pk=cast["assessment"].pk)
    assessment.approved_at = timezone.make_aware(datetime.datetime(2026, 4, 1, 12))
    assessment.question_set.review_interval_months = 6
    assert action_plan.review_clock_of(assessment).review_on == D(2026, 10, 1)


# --- Query counts ----------------------------------------------------------------------------------------


def test_the_plan_page_and_the_summary_read_in_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    client.force_login(cast["editor"])
    question = cast["assessment"].question_set.questions.get(key="a-public-comment")

    def counts():
        result = []
        for name in ("action_plan", "assessment_summary", "public_assessment"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(name, args=[cast["assessment"].pk])).status_code == 200
            result.append(len(queries))
        return result

    make_action(cast, title="最初の対応")
    publish(cast["assessment"])
    counts()  # the published set's risk part is read once, then cached (risks.risk_part)
    one = counts()
    Assessment.objects.filter(pk=cast["assessment"].pk).update(status="draft")
    for i in range(12):
        action = make_action(cast, title=f"対応{i}", question=question)
        set_status(cast, action, "done" if i % 2 else "doing", done_on=D(2027, 1, 9), evidence_title="資料")
    publish(cast["assessment"])
    assert counts() == one
    with django_assert_max_num_queries(20):
        client.get(reverse("action_plan", args=[cast["assessment"].pk]))
