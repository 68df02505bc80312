"""How much one assessment may hold (issue 12, item 8): answer_saving.CONTENT_BUDGET, kept as a
running count with every save and refused as a whole, with a message, when a save would pass it."""

import json

import pytest
from django.apps import apps
from django.urls import reverse

from assessments import answer_saving
from assessments.answer_saving import CONTENT_BUDGET, ITEM_WEIGHT, AnswerChange, answer_size, content_size
from assessments.exchange import AssessmentFileError, assessment_from_data, assessment_to_data
from assessments.models import Answer, Assessment, Question
from tests.conftest import save_now
from tests.forms_helper import read_form

NOTE = 20_000  # the longest note (answer_values.MAX_TEXT_LENGTH)


# --- The count, without a database ---------------------------------------------------------------


def test_content_size_counts_characters_and_each_source_or_row_as_more():
    assert content_size("note", "あいう") == 3
    assert content_size("value", {"mark": "unknown"}) == len("unknown")
    assert content_size("value", ["done", "partial"]) == 11
    assert content_size("value", None) == 0
    sources = [{"title": "契約書", "url": "", "page": "3", "date": None, "note": ""}, {"title": "", "url": "", "page": "", "date": None, "note": ""}]
    assert content_size("evidence", sources) == 2 * ITEM_WEIGHT + 4
    assert content_size("rows", []) == 0


# --- Saving up to the budget and past it ------------------------------------------------------------


def notes_questions(assessment, count):
    questions = list(Question.objects.filter(question_set=assessment.question_set).exclude(type=Question.Type.INVENTORY).order_by("section__position", "position"))
    assert len(questions) >= count
    return questions[:count]


@pytest.fixture
def full(assessment, bob):
    """Bob's assessment filled to within 50 characters of the budget with long notes."""
    room = CONTENT_BUDGET - assessment.content_size - 50
    count = -(-room // NOTE)
    questions = notes_questions(assessment, count + 1)
    changes = {}
    for i, question in enumerate(questions[:count]):
        changes[question] = AnswerChange(note="記" * min(NOTE, room - i * NOTE))
    save_now(assessment, bob, changes)
    assert assessment.content_size == CONTENT_BUDGET - 50
    assessment.spare_question = questions[count]
    return assessment


def recount(assessment) -> int:
    answers = Answer.objects.filter(assessment=assessment).prefetch_related("evidence", "inventory_rows")
    return sum(answer_size(answer) for answer in answers)


def test_the_count_follows_every_save_and_starts_with_the_prefilled_rows(assessment, bob):
    rows_only = recount(assessment)
    assert rows_only > 0 and assessment.content_size == rows_only  # 美里町's data items, prefilled
    first, second = notes_questions(assessment, 2)
    save_now(assessment, bob, {first: AnswerChange(note="あ" * 500), second: AnswerChange(evidence=[
        {"title": "委託契約書", "url": "https://example.jp/a.pdf", "page": "3", "date": None, "note": ""}])})
    save_now(assessment, bob, {first: AnswerChange(note="い" * 20)})
    save_now(assessment, bob, {second: AnswerChange(evidence=[])})
    assessment.refresh_from_db()
    assert assessment.content_size == recount(assessment) == rows_only + 20


def test_a_form_post_past_the_budget_stores_nothing_and_keeps_the_input(full, bob_client):
    question = full.spare_question
    url = reverse("assessment_section", args=[full.pk, question.section.key])
    data = read_form(bob_client.get(url).content.decode())
    data[f"note-{question.key}"] = "新しい補足" * 20
    data["goto"] = question.section.key
    revision = full.revision
    response = bob_client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "上限の 300,000字を超えます" in page and "300,050字" in page
    assert read_form(page)[f"note-{question.key}"] == "新しい補足" * 20
    full.refresh_from_db()
    assert full.revision == revision and full.content_size == CONTENT_BUDGET - 50
    assert not Answer.objects.filter(assessment=full, question=question).exclude(note="").exists()
    # Shortened to fit, the same page saves.
    again = read_form(page)
    again[f"note-{question.key}"] = "短い補足"
    again["goto"] = question.section.key
    assert bob_client.post(url, again).status_code == 302
    assert Answer.objects.get(assessment=full, question=question).note == "短い補足"


def test_a_background_save_past_the_budget_is_a_400_with_the_message(full, bob_client):
    question = full.spare_question
    response = bob_client.post(
        reverse("assessment_autosave", args=[full.pk]),
        json.dumps({"question": question.key, "part": "note", "base": 0, "value": "あ" * 51}),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and "上限の 300,000字を超えます" in body["error"]
    assert not Answer.objects.filter(assessment=full, question=question).exists()
    fits = bob_client.post(
        reverse("assessment_autosave", args=[full.pk]),
        json.dumps({"question": question.key, "part": "note", "base": 0, "value": "あ" * 50}),
        content_type="application/json",
    )
    assert fits.status_code == 200
    full.refresh_from_db()
    assert full.content_size == CONTENT_BUDGET


def test_sources_count_against_the_budget_however_short(full, bob):
    question = full.spare_question
    outcome = answer_saving.answers_save(assessment=full, user=bob, changes={question: AnswerChange(
        evidence=[{"title": "a", "url": "", "page": "", "date": None, "note": ""}], base={"evidence": 0})})
    assert outcome.too_large and not outcome.saved
    assert outcome.versions[question.key] == {}  # the client keeps its base: nothing moved
    assert not Answer.objects.filter(assessment=full, question=question).exists()


def test_a_save_that_shrinks_goes_through_even_above_the_budget(full, bob):
    Assessment.objects.filter(pk=full.pk).update(content_size=CONTENT_BUDGET + 1000)  # an older, larger one
    first = notes_questions(full, 1)[0]
    outcome = save_now(full, bob, {first: AnswerChange(note="短く")})
    assert outcome.saved == [first.key] and not outcome.too_large
    assert full.content_size == CONTENT_BUDGET + 1000 - NOTE + 2


def test_an_imported_file_past_the_budget_is_refused_and_nothing_is_created(full, bob):
    data = assessment_to_data(full)
    spare = full.spare_question.key
    data["answers"].setdefault(spare, {"value": None})["note"] = "あ" * 100
    before = Assessment.objects.count()
    with pytest.raises(AssessmentFileError, match="上限の 300,000字を超えます"):
        assessment_from_data(data, user=bob)
    assert Assessment.objects.count() == before


def test_the_migration_counts_what_older_assessments_hold(full):
    migration = __import__("assessments.migrations.0011_assessment_content_size", fromlist=["count_stored_content"])
    Assessment.objects.filter(pk=full.pk).update(content_size=0)
    migration.count_stored_content(apps, None)
    full.refresh_from_db()
    assert full.content_size == recount(full) == CONTENT_BUDGET - 50
