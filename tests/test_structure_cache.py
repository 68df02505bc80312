"""A frozen (published or retired) question set's structure is read once per process; a draft's is
read anew on every call, so an administrator's edit shows at once."""

import pytest

from assessments import selectors
from assessments.models import Level, Question, QuestionSet
from assessments.questionset_io import questionset_from_data
from tests.conftest import make_questionset_data


def _texts(sections):
    return [(s.key, [q.text for q in s.questions.all()]) for s in sections]


@pytest.mark.django_db
def test_a_published_sets_structure_is_read_once(django_assert_num_queries):
    published_set = questionset_from_data(make_questionset_data(key="published-set", status="published"))
    assert published_set.is_frozen
    with django_assert_num_queries(4):
        first = selectors.questionset_structure(published_set)
    read_again = QuestionSet.objects.get(pk=published_set.pk)  # as the next request reads it
    with django_assert_num_queries(0):
        again = selectors.questionset_structure(read_again)
    assert _texts(again) == _texts(first) and len(first) == 2
    again.pop()  # a caller changing its list does not change what the next caller gets
    assert len(selectors.questionset_structure(published_set)) == 2


@pytest.mark.django_db
def test_a_drafts_structure_is_read_every_time_and_shows_an_edit(django_assert_num_queries):
    draft = questionset_from_data(make_questionset_data(key="draft-set", status="draft"))
    assert not draft.is_frozen
    with django_assert_num_queries(4):
        before = selectors.questionset_structure(draft)
    question = Question.objects.filter(question_set=draft).order_by("pk").first()
    question.text = "編集した設問（架空）"
    question.save()
    with django_assert_num_queries(4):
        after = selectors.questionset_structure(draft)
    assert "編集した設問（架空）" in str(_texts(after)) and "編集した設問（架空）" not in str(_texts(before))


@pytest.mark.django_db
def test_a_published_sets_levels_are_read_once_and_a_drafts_every_time(django_assert_num_queries):
    published_set = questionset_from_data(make_questionset_data(key="published-levels", status="published"))
    with django_assert_num_queries(1):
        first = selectors.set_levels(published_set)
    read_again = QuestionSet.objects.get(pk=published_set.pk)  # as the next request reads it
    with django_assert_num_queries(0):
        again = selectors.set_levels(read_again)
    assert first and [level.label for level in again] == [level.label for level in first]

    draft = questionset_from_data(make_questionset_data(key="draft-levels", status="draft"))
    with django_assert_num_queries(1):
        before = selectors.set_levels(draft)
    level = Level.objects.filter(question_set=draft).order_by("pk").first()
    level.label = "編集した水準（架空）"
    level.save()
    with django_assert_num_queries(1):
        after = selectors.set_levels(draft)
    assert "編集した水準（架空）" in [lv.label for lv in after] and "編集した水準（架空）" not in [lv.label for lv in before]


@pytest.mark.django_db
def test_a_published_sets_specs_are_made_once_and_a_drafts_show_an_edit(django_assert_num_queries):
    published_set = questionset_from_data(make_questionset_data(key="published-specs", status="published"))
    first = selectors.set_specs(published_set)
    read_again = QuestionSet.objects.get(pk=published_set.pk)  # as the next request reads it
    with django_assert_num_queries(0):
        again = selectors.set_specs(read_again)
    assert first and [spec.key for spec in again] == [spec.key for spec in first]

    draft = questionset_from_data(make_questionset_data(key="draft-specs", status="draft"))
    before = selectors.set_specs(draft)
    question = Question.objects.filter(question_set=draft).order_by("pk").first()
    question.text = "編集した設問（架空）"
    question.save()
    after = selectors.set_specs(QuestionSet.objects.get(pk=draft.pk))
    assert {spec.key: spec.text for spec in after}[question.key] == "編集した設問（架空）"
    assert {spec.key: spec.text for spec in before}[question.key] != "編集した設問（架空）"


@pytest.mark.django_db
def test_choices_come_in_their_order_and_are_read_without_joining_their_questions(django_assert_num_queries):
    """A question's choices in their own order (position, not the order they were made in), and the
    display condition's choices, each read from the choices alone: Choice's order once joined the
    question, its set and its section, and on PostgreSQL with statistics that call those tables empty
    that query took 9–10 s (tests/test_english.py's fixtures, in the full suite)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.models import Choice

    data = make_questionset_data(key="choice-order", status="draft")
    data["sections"][0]["questions"][1]["condition"] = {"question": "s0-q0", "choices": ["partial", "done"]}
    draft = questionset_from_data(data)
    first = Question.objects.get(question_set=draft, key="s0-q0")
    for position, key in enumerate(["na", "unknown", "not-disclosed", "not-done", "partial", "done"]):
        Choice.objects.filter(question=first, key=key).update(position=position)  # the reverse of pk order
    with CaptureQueriesContext(connection) as queries:
        sections = selectors.questionset_structure(draft)
    questions = {q.key: q for q in sections[0].questions.all()}
    assert [c.key for c in questions["s0-q0"].choices.all()] == [
        "na", "unknown", "not-disclosed", "not-done", "partial", "done"]
    assert [c.key for c in questions["s0-q1"].choices.all()][0] == "done"  # the others keep theirs
    assert [c.key for c in questions["s0-q1"].condition_choices.all()] == ["partial", "done"]
    choice_reads = [q["sql"] for q in queries.captured_queries if 'FROM "assessments_choice"' in q["sql"]]
    assert len(choice_reads) == 2
    for sql in choice_reads:
        for table in ("assessments_question\" ", "assessments_questionset", "assessments_section"):
            assert f'JOIN "{table}' not in sql and f"JOIN {table}" not in sql, sql
