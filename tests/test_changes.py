"""The rule of what carries over to a re-assessment and the comparison of two assessments
(assessments/changes.py): pure functions, no database."""

from dataclasses import replace

from assessments import changes, scoring
from assessments.changes import AnswerState, ChoiceShape, QuestionShape, ScoreState, Side

STATUS = (
    ChoiceShape("done", "公表されている", 2),
    ChoiceShape("partial", "一部だけ公表されている", 1),
    ChoiceShape("not-done", "公表されていない", 0),
    ChoiceShape("unknown", "不明", 0, scoring.UNKNOWN),
    ChoiceShape("na", "該当なし", None, scoring.NOT_APPLICABLE),
)
PLAN = QuestionShape("a-plan", "a", "事業計画は公表されていますか？", "single", choices=STATUS)
COST = QuestionShape("g-cost", "g", "総事業費はいくらですか？", "number", unit="千円")


def choices_with(key, **changed):
    return tuple(replace(c, **changed) if c.key == key else c for c in STATUS)


def test_the_same_question_keeps_its_meaning():
    assert changes.meaning_change(PLAN, PLAN) is None
    assert changes.meaning_change(COST, COST) is None


def test_spaces_and_line_breaks_in_the_text_do_not_change_the_meaning():
    assert changes.meaning_change(PLAN, replace(PLAN, text="事業計画は\n公表されていますか？ ")) is None


def test_a_reworded_text_type_or_unit_changes_the_meaning():
    assert changes.meaning_change(PLAN, replace(PLAN, text="事業計画は住民に説明されていますか？")).code == changes.TEXT
    assert changes.meaning_change(PLAN, replace(PLAN, type="multiple")).code == changes.TYPE
    assert changes.meaning_change(COST, replace(COST, unit="円")).code == changes.UNIT


def test_a_question_the_new_set_lacks_is_removed():
    assert changes.meaning_change(PLAN, None).code == changes.REMOVED


def test_an_answer_choice_reworded_rescored_or_remeant_changes_the_meaning():
    label = changes.meaning_change(PLAN, replace(PLAN, choices=choices_with("done", label="公表され、読みやすい")))
    assert (label.code, label.before, label.after) == (changes.CHOICE_LABEL, "公表されている", "公表され、読みやすい")
    score = changes.meaning_change(PLAN, replace(PLAN, choices=choices_with("partial", score=0)))
    assert (score.code, score.choice, score.before, score.after) == (changes.CHOICE_SCORE, "一部だけ公表されている", "1", "0")
    meaning = changes.meaning_change(PLAN, replace(PLAN, choices=choices_with("na", meaning=scoring.ANSWER)))
    assert meaning.code == changes.CHOICE_MEANING


def test_a_choice_added_or_removed_changes_the_meaning_and_names_them():
    more = replace(PLAN, choices=(*STATUS[:4], ChoiceShape("not-disclosed", "未開示", 0, scoring.NOT_DISCLOSED)))
    change = changes.meaning_change(PLAN, more)
    assert (change.code, change.before, change.after) == (changes.CHOICES, "該当なし", "未開示")


def test_the_labels_of_unknown_and_not_applicable_may_be_reworded():
    """v2 explains 「不明（まだ確認できていない）」: the meaning, not the label, says what it is."""
    worded = replace(PLAN, choices=choices_with("unknown", label="不明（まだ確認できていない）"))
    assert changes.meaning_change(PLAN, worded) is None


def test_the_plan_carries_the_answered_questions_that_keep_their_meaning():
    reworded = replace(COST, text="総事業費（税込み）はいくらですか？")
    new_question = QuestionShape("a-new", "a", "新しい質問", "text")
    plan = changes.carry_plan([PLAN, COST, QuestionShape("z-gone", "z", "消えた質問", "text")],
                              [PLAN, reworded, new_question], answered={"a-plan", "g-cost", "z-gone"})
    assert plan.carried == ["a-plan"]
    assert [(item.key, item.change.code) for item in plan.not_carried] == [("g-cost", changes.TEXT),
                                                                            ("z-gone", changes.REMOVED)]
    assert plan.new_questions == ["a-new"]


def test_an_unanswered_question_is_neither_carried_nor_listed():
    plan = changes.carry_plan([PLAN, COST], [PLAN, replace(COST, unit="円")], answered=set())
    assert plan.carried == [] and plan.not_carried == []


def test_points_are_weighted_as_scoring_counts_them():
    spec = scoring.QuestionSpec(key="q", section="a", text="", type="single", weight=3, choices=(
        scoring.ChoiceSpec("done", "", 2), scoring.ChoiceSpec("partial", "", 1), scoring.ChoiceSpec("na", "", None)))
    assert changes.question_points(spec, "partial") == (3, 6)
    assert changes.question_points(spec, "na") is None
    assert changes.question_points(spec, None) is None
    assert changes.question_points(replace(spec, weight=0), "done") is None


def side(questions, answers, sections=None, overall=None):
    return Side(questions=tuple(questions), section_titles={"a": "A. 住民説明", "g": "G. 財政"}, answers=answers,
                sections=sections or {}, overall=overall or ScoreState())


def test_the_comparison_shows_a_changed_answer_and_score():
    before = side([PLAN, COST], {"a-plan": AnswerState("公表されている", "answer", 2, 2),
                                 "g-cost": AnswerState("12,000千円", "answer")},
                  sections={"a": ScoreState(100.0, "良好", 100.0)}, overall=ScoreState(100.0, "良好", 100.0))
    after = side([PLAN, COST], {"a-plan": AnswerState("公表されていない", "answer", 0, 2),
                                "g-cost": AnswerState("12,000千円", "answer", carried=True)},
                 sections={"a": ScoreState(0.0, "深刻な懸念", 100.0)}, overall=ScoreState(0.0, "深刻な懸念", 100.0))
    result = changes.compare(before, after)
    plan_row, cost_row = result.questions
    assert plan_row.changed and (plan_row.before.points, plan_row.after.points) == (2, 0)
    assert plan_row.group == "A. 住民説明"
    assert not cost_row.changed  # the same answer, still marked carried: not a change
    assert result.changed_questions == [plan_row]
    assert result.overall.changed and result.overall.after.level == "深刻な懸念"
    assert [(row.key, row.changed) for row in result.sections] == [("a", True), ("g", False)]


def test_questions_only_one_set_asks_and_changed_meanings_are_changes():
    reworded = replace(PLAN, text="事業計画は住民に説明されていますか？")
    new_only = QuestionShape("a-new", "a", "新しい質問", "text")
    before = side([PLAN, COST], {"a-plan": AnswerState("公表されている", "answer", 2, 2), "g-cost": AnswerState()})
    after = side([reworded, new_only], {"a-plan": AnswerState("公表されている", "answer", 2, 2),
                                        "a-new": AnswerState()})
    rows = {row.key: row for row in changes.compare(before, after).questions}
    assert rows["a-plan"].change.code == changes.TEXT and rows["a-plan"].changed
    assert rows["a-new"].before is None and rows["a-new"].changed
    assert rows["g-cost"].after is None and rows["g-cost"].group == "G. 財政"
    assert list(rows) == ["a-plan", "a-new", "g-cost"]  # the new set's order, then what only the earlier asked


def test_a_question_hidden_in_both_is_no_change_and_shows_no_answer():
    both = side([PLAN], {"a-plan": changes.HIDDEN_STATE})
    row = changes.compare(both, both).questions[0]
    assert not row.changed and row.before.text == "" and row.before.meaning == changes.HIDDEN
