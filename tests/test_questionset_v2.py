"""Question set v2 (issue 13): published by the seed as the default for new assessments, with its
changelog on its page, a gate for projects without personal data, choice labels that answer each
question, quotations exactly as the seed writes them, and a letter in the addressee's terms."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from assessments import scoring, seed, selectors
from assessments.answer_saving import AnswerChange, assessment_create
from assessments.forms import AssessmentStartForm
from assessments.models import Assessment, Municipality, Project, Question, QuestionSet
from assessments.questionset_io import questionset_from_data, read_questionset_file, validate_questionset_data
from assessments.reports import render
from tests.conftest import save_now

pytestmark = pytest.mark.django_db

V2_FILE = seed.FIXTURES / "questionsets" / "dx-pia-v2.json"
SEED_TEXT = (Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_d855217b63582051.txt")


@pytest.fixture(scope="module")
def v2_data():
    return read_questionset_file(V2_FILE)


@pytest.fixture
def v2_set(db, v2_data):
    return questionset_from_data(v2_data)


@pytest.fixture
def v2_assessment(bob, misato, v2_set):
    return assessment_create(user=bob, project=misato, question_set=v2_set, title="v2の評価", standpoint="resident")


def ordered_questions(question_set):
    return list(Question.objects.filter(question_set=question_set).prefetch_related("choices")
                .order_by("section__position", "position"))


def test_the_file_is_sound_and_keeps_v1_readable(v2_data, questionset_data):
    assert validate_questionset_data(v2_data) == []
    assert (v2_data["key"], v2_data["version"], v2_data["status"]) == ("dx-pia", 2, "published")
    assert v2_data["min_confirmed_percent"] == 50
    # Every v1 question is still there under the same key (a v1 assessment's questions keep their meaning).
    v1_keys = {q["key"] for s in questionset_data["sections"] for q in s["questions"]}
    v2_keys = {q["key"] for s in v2_data["sections"] for q in s["questions"]}
    assert v1_keys <= v2_keys


def test_the_seed_keeps_v2_published_beside_the_later_versions(catalogue, bob, misato):
    report = seed.SeedReport()
    seed.seed_questionsets(report)
    v1, v2, v3, v4 = (QuestionSet.objects.get(key="dx-pia", version=v) for v in (1, 2, 3, 4))
    assert v1.status == v2.status == v3.status == v4.status == QuestionSet.Status.PUBLISHED  # none is retired
    assert AssessmentStartForm(project=misato, user=bob).fields["question_set"].initial == v4.pk
    again = seed.SeedReport()
    seed.seed_questionsets(again)
    assert again.created == {} and again.notes == []


def test_a_new_assessment_starts_only_on_the_newest_version_of_a_set(catalogue, bob, bob_client, misato):
    """v1 scores an assessment where nothing is known yet as 深刻な懸念 (no 判定保留); v2's changelog
    says why that was unfair. v1 stays published for the assessments made with it, but is not offered
    for a new one, and a start that names it anyway is refused next to the field."""
    seed.seed_questionsets(seed.SeedReport())
    v1, v4 = (QuestionSet.objects.get(key="dx-pia", version=v) for v in (1, 4))
    offered = list(AssessmentStartForm(project=misato, user=bob).fields["question_set"].queryset)
    assert offered == [v4]
    start = reverse("assessment_start", args=[misato.key])
    page = bob_client.get(start).content.decode()
    assert f'value="{v4.pk}"' in page and f'value="{v1.pk}"' not in page
    response = bob_client.post(start, {"question_set": v1.pk, "title": "旧版での評価", "standpoint": "resident"})
    assert response.status_code == 200 and "正しく選択してください" in response.content.decode()
    assert "旧版での評価" in response.content.decode()  # the input is kept
    assert not Assessment.objects.filter(title="旧版での評価").exists()
    assert bob_client.get(reverse("questionset_detail", args=["dx-pia", 1])).status_code == 200


def test_the_changelog_is_on_the_question_set_page(v2_set, published_set, client, v2_data):
    page = client.get(reverse("questionset_detail", args=["dx-pia", 2])).content.decode()
    assert 'id="changelog"' in page
    for entry in v2_data["changelog"]:
        assert entry["what"][:30] in page and entry["why"][:30] in page
    assert page.count("<td>v2</td>") == len([e for e in v2_data["changelog"] if e["version"] == 2])
    assert "判定保留（確認できない事項が多い）" in page  # the level table explains the rule
    assert "未回答の質問も分母に数えます" in page  # as the report says and scoring counts
    v1_page = client.get(reverse("questionset_detail", args=["dx-pia", 1])).content.decode()
    assert 'id="changelog"' not in v1_page


def test_a_project_without_personal_data_needs_no_privacy_answers(v2_assessment, bob, bob_client):
    gate = Question.objects.get(question_set=v2_assessment.question_set, key="screening-personal-data")
    save_now(v2_assessment, bob, {gate: AnswerChange(value="no")})
    workspace = selectors.assessment_workspace(v2_assessment)
    visible = workspace.result.visible
    for question in workspace.questions:
        if question.section.key in ("a", "b", "c", "d", "e", "f") or question.section.key == "screening":
            assert (question.key in visible) == (question.key == "screening-personal-data"), question.key
    assert {"g-total-cost", "h-window-needs"} <= visible and "g-proportionality" not in visible
    assert all(q.section in ("g", "h") for q in workspace.result.unanswered_required)
    assert workspace.screening().depth == "not_required"
    assert scoring.NO_PERSONAL_DATA_REASON in workspace.screening().reasons
    page = bob_client.get(reverse("assessment_section", args=[v2_assessment.pk, "a"])).content.decode()
    assert 'id="nothing-visible"' in page
    # Answering 該当なし to every question of the privacy sections is not needed to be complete.
    progress = {p.section.key: (p.answered, p.visible) for p in workspace.progress()}
    assert progress["a"] == progress["f"] == (0, 0)


def test_the_gate_answered_yes_or_unknown_shows_everything(v2_assessment, bob):
    gate = Question.objects.get(question_set=v2_assessment.question_set, key="screening-personal-data")
    for answer in ("yes", "unknown"):
        save_now(v2_assessment, bob, {gate: AnswerChange(value=answer)})
        visible = selectors.assessment_workspace(v2_assessment).result.visible
        assert {"a-plan-published", "b-inventory", "c-profiling", "f-review-body", "h-conditional-sensitive"} <= visible


def answer_every_choice(assessment, user, pick):
    changes = {}
    for question in ordered_questions(assessment.question_set):
        if question.is_choice:
            key = pick(question)
            if key is not None:
                changes[question] = AnswerChange(value=[key] if question.type == "multiple" else key)
    save_now(assessment, user, changes)
    return selectors.assessment_workspace(assessment).result


def test_an_honest_no_profiling_answer_raises_no_flag(v2_assessment, bob):
    profiling = Question.objects.get(question_set=v2_assessment.question_set, key="c-profiling")
    done = profiling.choices.get(key="done")
    assert "行わないこと" in done.label and not done.red_flag
    assert profiling.choices.get(key="not-done").red_flag
    result = answer_every_choice(v2_assessment, bob, lambda q: "yes" if q.key == "screening-personal-data" else (
        "done" if q.key == "c-profiling" else None))
    assert not [f for f in result.red_flags if f.question == "c-profiling"]


def test_the_best_answer_to_every_question_raises_no_flag_and_scores_full(v2_assessment, bob):
    def best(question):
        choices = [c for c in question.choices.all() if c.meaning == "answer"]
        scored = [c for c in choices if c.score is not None]
        top = max(scored, key=lambda c: c.score) if scored else (choices[0] if choices else None)
        if question.key == "screening-personal-data":
            return "yes"
        if question.key == "screening-my-number":
            return "yes"
        return top.key if top else None

    result = answer_every_choice(v2_assessment, bob, best)
    assert result.red_flags == []
    assert result.overall.percent == 100.0 and result.overall.level.label == "良好"


def test_generic_labels_are_gone(v2_set):
    for question in ordered_questions(v2_set):
        labels = {c.label for c in question.choices.all()}
        assert not labels & {"実施・確認済み", "未実施", "一部"}, question.key


def test_an_all_unknown_v2_assessment_is_pending(v2_assessment, bob):
    result = answer_every_choice(v2_assessment, bob, lambda q: "yes" if q.key == "screening-personal-data" else (
        "unknown" if q.choices.filter(key="unknown").exists() else None))
    v2_assessment.refresh_from_db()
    assert result.overall.level is scoring.PENDING and v2_assessment.overall_level == scoring.PENDING.label
    assert v2_assessment.overall_level != "深刻な懸念"


def test_opt_out_or_bundled_consent_costs_something(v2_set):
    method = Question.objects.get(question_set=v2_set, key="a-consent-method")
    choices = {c.key: c for c in method.choices.all()}
    for key in ("opt-out", "bundled"):
        assert choices[key].score == 0 and choices[key].red_flag
    assert choices["written"].score == 2 and not choices["written"].red_flag


def quoted_from_the_seed(text):
    return re.findall(r"資料[^「」。]{0,25}「([^」]+)」", text)


def test_quotations_of_the_seed_are_exact(v2_data):
    seed_text = re.sub(r"\s", "", SEED_TEXT.read_text(encoding="utf-8")) if SEED_TEXT.exists() else None
    if seed_text is None:
        pytest.skip("the seed text is not in this checkout")
    for section in v2_data["sections"]:
        for question in section["questions"]:
            for field in ("guidance", "basis", "proposal"):
                for quote in quoted_from_the_seed(question[field]):
                    if quote in ("不明", "未開示", "該当なし"):
                        continue  # the choice labels, not the seed
                    assert re.sub(r"\s", "", quote) in seed_text, (question["key"], quote)


def test_citations_that_were_wrong_or_uncheckable_are_gone(v2_data):
    texts = {q["key"]: q for s in v2_data["sections"] for q in s["questions"]}
    everything = json.dumps(v2_data["sections"], ensure_ascii=False)  # the changelog names what went
    assert "FAQ" not in everything and "心の天気" not in everything and "虫歯" not in everything
    location = texts["d-data-location"]
    assert "第66条" in location["guidance"] and "国内に限り" not in location["proposal"]
    assert "第71条" not in location["proposal"]
    assert "条例要配慮個人情報" in texts["e-ppc-reporting"]["guidance"]
    assert "Q7-1-4" in texts["f-resident-members"]["basis"]
    for key in ("h-ordinance", "h-conditional-sensitive"):
        assert "未確認" not in texts[key]["guidance"] + texts[key]["basis"], key
    assert "第3条第3号" in texts["a-stakeholders-heard"]["guidance"]
    consultation = {c["key"]: c for c in texts["f-council-consultation"]["choices"]}
    assert consultation["not-done"]["score"] is None
    for question in texts.values():
        assert "教えてください" not in question["municipality_question"], question["key"]
        assert "市町村" not in question["municipality_question"], question["key"]


def test_the_letter_calls_the_addressee_by_its_kind(bob, v2_set, catalogue):
    for kind, word in ((Municipality.Kind.TOWN, "貴町"), (Municipality.Kind.CITY, "貴市"),
                       (Municipality.Kind.VILLAGE, "貴村"), (Municipality.Kind.DESIGNATED_CITY, "貴市")):
        project = Project.objects.filter(municipality__kind=kind, responsible_body="head").first()
        assessment = assessment_create(user=bob, project=project, question_set=v2_set, title="質問書", standpoint="resident")
        subcontract = Question.objects.get(question_set=v2_set, key="d-subcontract-approval")
        subcontracting = Question.objects.get(question_set=v2_set, key="d-subcontracting")
        gate = Question.objects.get(question_set=v2_set, key="screening-personal-data")
        save_now(assessment, bob, {gate: AnswerChange(value="yes"), subcontracting: AnswerChange(value="yes"),
                                   subcontract: AnswerChange(value="unknown")})
        letter = render.letter_text(assessment)
        assert f"{word}が事前に承認した記録" in letter, kind
        assert "貴団体" not in letter and "市町村が事前に" not in letter


def test_the_preselected_set_is_never_a_superseded_version(db):
    """An older version published after a newer one (published_at later) was preselected on the start
    page though the page no longer offers it."""
    import datetime
    from unittest import mock

    from django.utils import timezone

    from assessments import selectors
    from assessments.questionset_io import questionset_from_data
    from tests.conftest import make_questionset_data

    from assessments import services

    older = questionset_from_data(make_questionset_data(key="late", version=1, status="draft"))
    newer = questionset_from_data(make_questionset_data(key="late", version=2, status="published"))
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + datetime.timedelta(days=1)):
        services.questionset_publish(question_set=older)  # v1 published after v2
    assert selectors.default_questionset() == newer
    assert list(selectors.questionsets_for_new_assessments()) == [newer]
