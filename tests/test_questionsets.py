"""Question sets: frozen once published, cloned into new versions, exported and imported intact."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from assessments import services
from assessments.models import Choice, Level, Question, QuestionSet, QuestionSetFrozen, Section
from assessments.questionset_io import QuestionSetDataError, questionset_from_data, questionset_to_data
from tests.conftest import QUESTIONSET_FILE, make_questionset_data

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def nothing_written():
    return not any(model.objects.exists() for model in (QuestionSet, Section, Question, Choice, Level))


# --- Frozen once published -------------------------------------------------------------------------


def test_a_published_question_cannot_be_edited(published_set):
    question = published_set.questions.first()
    question.text = "書き換え"
    with pytest.raises(QuestionSetFrozen):
        question.save()
    question.refresh_from_db()
    assert question.text != "書き換え"


@pytest.mark.parametrize("model", [Section, Question, Choice, Level])
def test_no_part_of_a_published_set_can_be_deleted(published_set, model):
    count = model.objects.count()
    with pytest.raises(QuestionSetFrozen):
        model.objects.first().delete()
    with pytest.raises(QuestionSetFrozen):
        model.objects.all().delete()
    assert model.objects.count() == count


def test_bulk_updates_cannot_bypass_the_freeze(published_set):
    with pytest.raises(QuestionSetFrozen):
        Choice.objects.filter(question__question_set=published_set).update(score=99)
    with pytest.raises(QuestionSetFrozen):
        QuestionSet.objects.filter(pk=published_set.pk).update(status=QuestionSet.Status.DRAFT)
    assert not Choice.objects.filter(score=99).exists()
    published_set.refresh_from_db()
    assert published_set.status == QuestionSet.Status.PUBLISHED


def test_nothing_can_be_added_to_a_published_set(published_set):
    section = published_set.sections.first()
    with pytest.raises(QuestionSetFrozen):
        Question.objects.create(section=section, key="new-question", text="追加", type="text")
    with pytest.raises(QuestionSetFrozen):
        Section.objects.create(question_set=published_set, key="new", title="追加")


def test_conditions_of_a_published_set_cannot_change(published_set):
    dependent = published_set.questions.exclude(condition_question=None).first()
    with pytest.raises(QuestionSetFrozen), transaction.atomic():
        dependent.condition_choices.clear()
    assert dependent.condition_choices.exists()


def test_the_set_itself_cannot_be_retitled_or_deleted(published_set):
    published_set.title = "別の題名"
    with pytest.raises(QuestionSetFrozen):
        published_set.save()
    with pytest.raises(QuestionSetFrozen):
        QuestionSet.objects.get(pk=published_set.pk).delete()
    assert QuestionSet.objects.filter(pk=published_set.pk, title="DX事業 住民視点プライバシー影響評価").exists()


@pytest.mark.django_db
def test_a_clone_keeps_the_plain_sentences_of_its_questions():
    from assessments import seed
    from assessments.models import PlainFinding

    seed.seed_questionsets(seed.SeedReport())
    seed.seed_plain_findings(seed.SeedReport())
    published_set = QuestionSet.objects.get(key="dx-pia", version=4)
    original = set(PlainFinding.objects.filter(question__question_set=published_set)
                   .values_list("question__key", "answer_class", "text"))
    assert original
    clone = services.questionset_clone(question_set=published_set)
    assert set(PlainFinding.objects.filter(question__question_set=clone)
               .values_list("question__key", "answer_class", "text")) == original


def test_a_published_set_can_be_retired_and_then_nothing_changes(published_set):
    services.questionset_retire(question_set=published_set)
    published_set.refresh_from_db()
    assert published_set.status == QuestionSet.Status.RETIRED
    published_set.status = QuestionSet.Status.PUBLISHED
    with pytest.raises(QuestionSetFrozen):
        published_set.save()


def test_a_draft_can_be_edited_freely():
    draft = questionset_from_data(make_questionset_data())
    question = draft.questions.first()
    question.text = "直した質問"
    question.save()
    question.refresh_from_db()
    assert question.text == "直した質問"


# --- Clone ----------------------------------------------------------------------------------------


def test_clone_is_a_deep_independent_draft_of_the_next_version(published_set):
    clone = services.questionset_clone(question_set=published_set)
    assert (clone.key, clone.version, clone.status) == ("dx-pia", 2, QuestionSet.Status.DRAFT)
    assert clone.cloned_from == published_set

    original, copied = questionset_to_data(published_set), questionset_to_data(clone)
    assert copied["sections"] == original["sections"]
    assert copied["levels"] == original["levels"]
    assert copied["screening"] == original["screening"]
    # Independent rows: nothing is shared between the versions.
    assert not set(clone.questions.values_list("pk", flat=True)) & set(published_set.questions.values_list("pk", flat=True))
    dependent = clone.questions.exclude(condition_question=None).first()
    assert dependent.condition_question.question_set == clone
    assert all(choice.question.question_set == clone for choice in dependent.condition_choices.all())

    # Editing the clone leaves the published version as it was.
    question = clone.questions.first()
    question.text = "第2版で直した質問"
    question.save()
    choice = Choice.objects.filter(question__question_set=clone).first()
    choice.label = "変更"
    choice.save()
    assert questionset_to_data(published_set) == original


def test_publish_validates_the_whole_set_and_lists_every_problem():
    data = make_questionset_data()
    draft = questionset_from_data(data)
    first, second = draft.questions.order_by("pk")[:2]
    first.choices.exclude(key="done").delete()  # a choice question with one choice
    second.key = "Bad Key!"
    second.save()
    with pytest.raises(QuestionSetDataError) as error:
        services.questionset_publish(question_set=draft)
    messages = [str(problem) for problem in error.value.problems]
    assert any("s0-q0" in m and "2つ以上" in m for m in messages)
    assert any("Bad Key!" in m for m in messages)
    draft.refresh_from_db()
    assert draft.status == QuestionSet.Status.DRAFT


def test_publish_freezes_a_sound_draft():
    draft = questionset_from_data(make_questionset_data())
    services.questionset_publish(question_set=draft)
    draft.refresh_from_db()
    assert draft.status == QuestionSet.Status.PUBLISHED and draft.published_at is not None


# --- Export and import ---------------------------------------------------------------------------


def test_import_of_the_shipped_file_exports_identically(questionset_data):
    imported = questionset_from_data(questionset_data)
    assert questionset_to_data(imported) == questionset_data


def test_export_then_import_through_the_commands_gives_an_identical_set(tmp_path, questionset_data):
    call_command("import_questionset", str(QUESTIONSET_FILE))
    exported = tmp_path / "export.json"
    call_command("export_questionset", "dx-pia", "1", "-o", str(exported))
    assert json.loads(exported.read_text(encoding="utf-8")) == questionset_data

    # Into another, empty database (a new SQLite file, as another instance would have).
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["import_questionset", str(exported)]):
        subprocess.run(manage + command, env=env, check=True, capture_output=True)
    again = subprocess.run(manage + ["export_questionset", "dx-pia", "1"], env=env, check=True, capture_output=True)
    assert json.loads(again.stdout) == questionset_data


def test_importing_an_existing_version_is_refused(published_set, questionset_data):
    with pytest.raises(QuestionSetDataError, match="既にあります"):
        questionset_from_data(questionset_data)
    assert QuestionSet.objects.count() == 1


def write(tmp_path, content) -> str:
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(path)


def refused(tmp_path, content) -> str:
    with pytest.raises(CommandError) as error:
        call_command("import_questionset", write(tmp_path, content))
    assert nothing_written()
    return str(error.value)


def test_invalid_json_is_refused_with_its_line(tmp_path):
    message = refused(tmp_path, '{"format": "dxpia-questionset",\n "key": }')
    assert "bad.json:2:" in message and "JSON" in message


def test_an_unknown_type_is_refused_with_its_place(tmp_path):
    data = make_questionset_data()
    data["sections"][1]["questions"][2]["type"] = "slider"
    message = refused(tmp_path, data)
    assert "sections[1] (s1).questions[2] (s1-q2)" in message and "slider" in message


def test_a_duplicate_question_key_is_refused(tmp_path):
    data = make_questionset_data()
    data["sections"][1]["questions"][0]["key"] = "s0-q1"
    message = refused(tmp_path, data)
    assert "s0-q1" in message and "重複" in message


@pytest.mark.parametrize("where", ["set", "section", "question"])
def test_a_key_with_a_trailing_newline_is_refused(tmp_path, where, client):
    """"$" matched before a final newline: a published set "set\n" was imported, and then the home
    page and the list of sets failed for every visitor on a link to it."""
    data = make_questionset_data(status="published")
    owner = {"set": data, "section": data["sections"][0], "question": data["sections"][0]["questions"][0]}[where]
    owner["key"] += "\n"
    assert "英小文字・数字・ハイフン" in refused(tmp_path, data)
    assert client.get("/").status_code == 200


def test_a_lone_surrogate_is_refused_with_its_place(tmp_path):
    data = make_questionset_data()
    data["sections"][0]["questions"][1]["guidance"] = "案内\ud800"
    message = refused(tmp_path, json.dumps(data))  # "\ud800" escaped, as a JSON file holds it
    assert "sections[0].questions[1].guidance" in message and "サロゲート" in message


def test_a_duplicate_choice_key_is_refused(tmp_path):
    data = make_questionset_data()
    data["sections"][0]["questions"][0]["choices"][1]["key"] = "done"
    assert "'done'" in refused(tmp_path, data)


def test_a_condition_on_a_missing_question_is_refused(tmp_path):
    data = make_questionset_data()
    data["sections"][0]["questions"][1]["condition"] = {"question": "no-such-question", "choices": ["done"]}
    message = refused(tmp_path, data)
    assert "sections[0] (s0).questions[1] (s0-q1)" in message and "no-such-question" in message


def test_a_condition_on_a_later_question_or_missing_choice_is_refused(tmp_path):
    data = make_questionset_data()
    data["sections"][0]["questions"][0]["condition"] = {"question": "s0-q2", "choices": ["done"]}
    data["sections"][0]["questions"][2]["condition"] = {"question": "s0-q1", "choices": ["maybe"]}
    message = refused(tmp_path, data)
    assert "s0-q2" in message and "'maybe'" in message


def test_a_choice_question_without_choices_is_refused(tmp_path):
    data = make_questionset_data()
    data["sections"][0]["questions"][0]["choices"] = []
    message = refused(tmp_path, data)
    assert "(s0-q0)" in message and "選択肢が2つ以上" in message


def test_a_good_file_imports_through_the_command(tmp_path, capsys):
    call_command("import_questionset", write(tmp_path, make_questionset_data(status="published")))
    assert "読み込みました" in capsys.readouterr().out
    question_set = QuestionSet.objects.get(key="test-set")
    assert question_set.status == QuestionSet.Status.PUBLISHED
    assert question_set.questions.count() == 6


def _question(data, predicate):
    return next(q for s in data["sections"] for q in s["questions"] if predicate(q))


@pytest.mark.parametrize("place, spoil", [
    ("status", lambda d: d.update(status=["published"])),
    ("language", lambda d: d.update(language={"ja": True})),
    ("type", lambda d: d["sections"][1]["questions"][0].update(type=["single"])),
    ("risk_category", lambda d: d["sections"][1]["questions"][0].update(risk_category=["incident"])),
    ("screening_role", lambda d: d["sections"][1]["questions"][0].update(screening_role=["criteria"])),
    ("meaning", lambda d: d["sections"][1]["questions"][0]["choices"][0].update(meaning=["answer"])),
    ("condition.question", lambda d: _question(d, lambda q: q.get("condition"))["condition"].update(question=["x"])),
    ("condition.choices", lambda d: _question(d, lambda q: q.get("condition"))["condition"].update(choices=[["yes"]])),
    ("risks.matrix", lambda d: d["risks"]["matrix"][0].__setitem__(0, ["low"])),
    ("risks.rules.harms", lambda d: d["risks"]["rules"][0].update(harms=[["breach"]])),
    ("risks.rules.conditions.question", lambda d: d["risks"]["rules"][0]["conditions"].__setitem__(
        0, {"question": ["a"], "choices": ["x"]})),
    ("risks.rules.conditions.choices", lambda d: d["risks"]["rules"][0]["conditions"].__setitem__(
        0, {"question": "a-consent-method", "choices": [["opt-out"]]})),
])
def test_a_value_of_the_wrong_json_type_is_a_placed_problem_not_a_traceback(place, spoil):
    from assessments.questionset_io import read_questionset_file, validate_questionset_data
    from assessments.seed import FIXTURES

    data = read_questionset_file(FIXTURES / "questionsets" / "dx-pia-v4.json")
    assert validate_questionset_data(data) == []
    spoil(data)
    problems = validate_questionset_data(data)
    assert problems and all(problem.where and problem.message for problem in problems), place


def test_a_question_stays_in_the_set_it_was_made_in():
    from django.core.exceptions import ValidationError

    first = questionset_from_data(make_questionset_data(key="set-a"))
    second = questionset_from_data(make_questionset_data(key="set-b"))
    question = first.questions.first()
    question.section = second.sections.first()
    with pytest.raises(ValidationError, match="作った質問セットの節のあいだでだけ"):
        question.full_clean()
    with pytest.raises(ValidationError, match="作った質問セットの節のあいだでだけ"):
        question.save()
    assert Question.objects.get(pk=question.pk).question_set_id == first.pk
    question.section = first.sections.last()  # another section of its own set: moved
    question.save()
    assert Question.objects.get(pk=question.pk).section_id == first.sections.last().pk
