"""確認率 and 判定保留 through the app (issue 13, "不明 is not 未実施"): a set with a 確認率 rule shows
the rate beside every level, on the summary, the public page, the report and the comparison, and an
assessment of mostly 不明 is 判定保留, never the lowest level. A set without the rule (v1) is as before."""

import pytest
from django.urls import reverse

from assessments.answer_saving import AnswerChange, assessment_create
from assessments.models import Assessment, Question, QuestionSet
from assessments.questionset_io import (
    questionset_from_data,
    questionset_to_data,
    validate_questionset_data,
)
from assessments.reports import render
from tests.conftest import make_questionset_data, save_now
from tests.test_reports import pdf_text, squash

pytestmark = pytest.mark.django_db

PENDING = "判定保留（確認できない事項が多い）"


@pytest.fixture
def ruled_set(db):
    data = make_questionset_data(key="ruled", status="published", questions_per_section=4)
    data["min_confirmed_percent"] = 50
    return questionset_from_data(data)


def answer_all(assessment, user, choice_of):
    questions = Question.objects.filter(question_set=assessment.question_set).order_by("section__position", "position")
    save_now(assessment, user, {q: AnswerChange(value=choice_of(q)) for q in questions})


@pytest.fixture
def unknown_assessment(bob, misato, ruled_set):
    assessment = assessment_create(user=bob, project=misato, question_set=ruled_set, title="確認率の評価",
                                   standpoint="resident")
    # Section s0: all 不明. Section s1: three 未開示 and one 未実施 (a known weakness).
    answer_all(assessment, bob, lambda q: "unknown" if q.key.startswith("s0") else
               ("not-done" if q.key == "s1-q3" else "not-disclosed"))
    return assessment


def test_mostly_unknown_is_pending_on_every_page(unknown_assessment, bob_client, client):
    unknown_assessment.refresh_from_db()
    assert unknown_assessment.overall_level == PENDING
    assert unknown_assessment.result_summary["confirmed_percent"] == 12.5
    assert unknown_assessment.result_summary["not_disclosed_scored"] == 3

    page = bob_client.get(reverse("assessment_summary", args=[unknown_assessment.pk])).content.decode()
    assert PENDING in page and "深刻な懸念" not in page and "懸念</td>" not in page
    assert "確認率 12.5%（不明 4・未開示 3）" in page
    assert "確認率 0.0%（不明 4・未開示 0）" in page  # section s0
    assert "確認率 25.0%（不明 0・未開示 3）" in page  # section s1
    assert "確認率が50%未満の総合・節は" in page

    Assessment.objects.filter(pk=unknown_assessment.pk).update(status=Assessment.Status.PUBLISHED)
    public = client.get(reverse("public_assessment", args=[unknown_assessment.pk])).content.decode()
    assert PENDING in public and "確認率 12.5%（不明 4・未開示 3）" in public

    text = squash("".join(pdf_text(render.report_pdf(unknown_assessment))))
    assert squash(PENDING) in text and squash("確認率12.5%（不明4・未開示3）") in text
    assert squash("確認率が50%未満の総合・節は") in text


def test_the_comparison_shows_the_rate_with_the_level(unknown_assessment, bob_client):
    page = bob_client.get(reverse("compare"), {"category": unknown_assessment.project.categories.first().pk}).content.decode()
    assert PENDING in page and "確認率 12.5%（不明 4・未開示 3）" in page


def test_enough_known_answers_are_judged_by_their_score(bob, misato, ruled_set, bob_client):
    assessment = assessment_create(user=bob, project=misato, question_set=ruled_set, title="判定できる評価",
                                   standpoint="resident")
    answer_all(assessment, bob, lambda q: "not-done" if q.key.endswith(("q0", "q1", "q2")) else "unknown")
    assessment.refresh_from_db()
    assert assessment.overall_level == "懸念" and assessment.result_summary["confirmed_percent"] == 75.0


def test_a_set_without_the_rule_shows_no_rate_and_keeps_its_lowest_level(assessment, bob, bob_client):
    answer_all(assessment, bob, lambda q: "unknown" if q.is_choice else None)
    assessment.refresh_from_db()
    assert assessment.overall_level == "深刻な懸念"
    assert "confirmed_percent" not in assessment.result_summary
    page = bob_client.get(reverse("assessment_summary", args=[assessment.pk])).content.decode()
    assert "確認率" not in page and PENDING not in page
    assert "確認率" not in render.report_html(assessment)


def test_the_rule_travels_with_the_question_set_file(ruled_set):
    data = questionset_to_data(ruled_set)
    assert data["min_confirmed_percent"] == 50
    data["key"] = "ruled-copy"
    assert questionset_from_data(data).min_confirmed_percent == 50
    for bad in (0, 101, "50", 5.5, True):
        data["min_confirmed_percent"] = bad
        assert any(p.where == "min_confirmed_percent" for p in validate_questionset_data(data)), bad


def test_a_set_without_the_rule_exports_without_it(published_set):
    assert "min_confirmed_percent" not in questionset_to_data(published_set)
    assert QuestionSet.objects.get(pk=published_set.pk).min_confirmed_percent is None


def test_a_few_good_answers_are_not_grounds_for_a_level(bob, misato, ruled_set, bob_client):
    assessment = assessment_create(user=bob, project=misato, question_set=ruled_set, title="途中の評価",
                                   standpoint="resident")
    first = Question.objects.filter(question_set=ruled_set).order_by("section__position", "position")[:2]
    save_now(assessment, bob, {q: AnswerChange(value="done") for q in first})
    assessment.refresh_from_db()
    assert assessment.overall_level == PENDING
    assert assessment.result_summary["unanswered_scorable"] == 6
    page = bob_client.get(reverse("assessment_summary", args=[assessment.pk])).content.decode()
    assert "確認率 25.0%（不明 0・未開示 0・未回答 6）" in page
    # Section s0 has half its questions confirmed, which the rule accepts; the whole does not.
    assert "良好<br><span class=\"small\">確認率 50.0%（不明 0・未開示 0・未回答 2）" in page


def test_rescore_brings_stored_results_up_to_the_rules(bob, misato, ruled_set):
    from io import StringIO

    from django.core.management import call_command

    assessment = assessment_create(user=bob, project=misato, question_set=ruled_set, title="古い結果",
                                   standpoint="resident")
    first = Question.objects.filter(question_set=ruled_set).order_by("section__position", "position")[:2]
    save_now(assessment, bob, {q: AnswerChange(value="done") for q in first})
    # As stored before unanswered questions counted against the 確認率.
    Assessment.objects.filter(pk=assessment.pk).update(overall_level="良好", result_summary={"confirmed_percent": 100.0})
    revision = Assessment.objects.get(pk=assessment.pk).revision
    out = StringIO()
    call_command("rescore", stdout=out)
    assessment.refresh_from_db()
    assert assessment.overall_level == PENDING and assessment.result_summary["confirmed_percent"] == 25.0
    assert assessment.revision == revision and "1件" in out.getvalue()
