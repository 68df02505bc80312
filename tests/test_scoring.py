"""Scoring, visibility and screening: pure functions, no database."""

import pytest

from assessments.scoring import (
    SectionScore,
    percent_of,
    ChoiceSpec,
    LevelSpec,
    QuestionSpec,
    ScreeningThresholds,
    level_for,
    score,
    screen,
    visible_keys,
)

STATUS = (
    ChoiceSpec("done", "実施・確認済み", 2),
    ChoiceSpec("partial", "一部", 1),
    ChoiceSpec("not-done", "未実施", 0, red_flag="未実施です"),
    ChoiceSpec("unknown", "不明", 0, meaning="unknown"),
    ChoiceSpec("not-disclosed", "未開示", 0, meaning="not_disclosed"),
    ChoiceSpec("na", "該当なし", None, meaning="not_applicable"),
)
LEVELS = [LevelSpec("a", "良好", 80), LevelSpec("b", "課題", 50), LevelSpec("c", "懸念", 0)]


def status_question(key, section="a", weight=1, required=True, **kwargs):
    return QuestionSpec(key=key, section=section, text=key, type="single", required=required, weight=weight,
                        choices=STATUS, **kwargs)


QUESTIONS = [
    status_question("q1", weight=2),
    status_question("q2"),
    status_question("q3", condition_question="q2", condition_choices=frozenset({"done", "partial"})),
    status_question("q4", condition_question="q3", condition_choices=frozenset({"done"})),
    status_question("q5", section="b", weight=3),
]


def test_maximum_scores_give_100_percent_and_the_top_level():
    answers = {"q1": "done", "q2": "done", "q3": "done", "q4": "done", "q5": "done"}
    result = score(QUESTIONS, answers, LEVELS)
    assert result.overall.percent == 100.0 and result.overall.level.label == "良好"
    assert result.sections["a"].achieved == result.sections["a"].maximum == 2 * 2 + 2 + 2 + 2
    assert not result.unanswered_required and not result.red_flags


def test_all_unknown_scores_zero_and_lists_every_question():
    answers = {key: "unknown" for key in ("q1", "q2", "q5")}
    result = score(QUESTIONS, answers, LEVELS)
    assert result.overall.percent == 0.0 and result.overall.level.label == "懸念"
    assert [q.key for q in result.unknown] == ["q1", "q2", "q5"]
    # q3 and q4 depend on q2 being done/partial, so they are hidden, not missing.
    assert not result.unanswered_required and result.visible == {"q1", "q2", "q5"}


def test_not_disclosed_is_listed_apart_from_unknown():
    result = score(QUESTIONS, {"q1": "not-disclosed", "q2": "unknown", "q5": "done"}, LEVELS)
    assert [q.key for q in result.not_disclosed] == ["q1"]
    assert [q.key for q in result.unknown] == ["q2"]


def test_all_not_applicable_cannot_be_scored():
    result = score(QUESTIONS, {"q1": "na", "q2": "na", "q5": "na"}, LEVELS)
    assert result.overall.percent is None and result.overall.level is None
    assert result.overall.maximum == 0 and result.sections["a"].answered == 2


def test_hidden_answers_are_kept_but_never_counted():
    # q3 and q4 were answered when q2 was "done"; q2 is now "not-done", so they are hidden.
    answers = {"q1": "done", "q2": "not-done", "q3": "not-done", "q4": "unknown", "q5": "done"}
    result = score(QUESTIONS, answers, LEVELS)
    assert "q3" not in result.visible and "q4" not in result.visible
    assert result.sections["a"].maximum == 2 * 2 + 2
    assert [flag.question for flag in result.red_flags] == ["q2"]
    assert not result.unknown


def test_conditions_chain_through_hidden_questions():
    assert visible_keys(QUESTIONS, {"q2": "done", "q3": "done"}) == {"q1", "q2", "q3", "q4", "q5"}
    # q4's own condition holds, but q3 is hidden because q2 changed: q4 is hidden too.
    assert visible_keys(QUESTIONS, {"q2": "unknown", "q3": "done"}) == {"q1", "q2", "q5"}


def test_unanswered_required_visible_questions_are_incomplete():
    result = score(QUESTIONS, {"q2": "partial"}, LEVELS)
    assert [q.key for q in result.unanswered_required] == ["q1", "q3", "q5"]


def test_weights_multiply_scores():
    result = score(QUESTIONS, {"q1": "done", "q2": "not-done", "q5": "partial"}, LEVELS)
    assert (result.sections["a"].achieved, result.sections["a"].maximum) == (4, 6)
    assert (result.sections["b"].achieved, result.sections["b"].maximum) == (3, 6)
    assert (result.overall.achieved, result.overall.maximum) == (7, 12)
    assert result.overall.percent == 58.3 and result.overall.level.label == "課題"


def test_multiple_choice_counts_its_best_chosen_score():
    multi = QuestionSpec(
        key="m", section="a", text="m", type="multiple",
        choices=(ChoiceSpec("x", "x", 1), ChoiceSpec("y", "y", 3), ChoiceSpec("z", "z", None)),
    )
    result = score([multi], {"m": ["x", "y"]}, LEVELS)
    assert (result.overall.achieved, result.overall.maximum) == (3, 3)
    result = score([multi], {"m": ["z"]}, LEVELS)
    assert result.overall.maximum == 0 and result.sections["a"].answered == 1


def test_an_empty_inventory_is_unanswered_and_rows_answer_it():
    inventory = QuestionSpec(key="inv", section="b", text="inv", type="inventory", required=True)
    assert [q.key for q in score([inventory], {}, LEVELS).unanswered_required] == ["inv"]
    assert not score([inventory], {}, LEVELS, rows={"inv": 3}).unanswered_required


@pytest.mark.parametrize("qtype", ["number", "date", "text", "textarea", "evidence", "inventory"])
def test_every_non_choice_question_can_be_unknown_not_disclosed_or_not_applicable(qtype):
    question = QuestionSpec(key="x", section="g", text="x", type=qtype, required=True)
    unknown = score([question], {"x": {"mark": "unknown"}}, LEVELS)
    assert [q.key for q in unknown.unknown] == ["x"] and not unknown.not_disclosed
    assert not unknown.unanswered_required and unknown.sections["g"].answered == 1
    hidden = score([question], {"x": {"mark": "not_disclosed"}}, LEVELS)
    assert [q.key for q in hidden.not_disclosed] == ["x"] and not hidden.unknown
    na = score([question], {"x": {"mark": "not_applicable"}}, LEVELS)
    assert not na.unknown and not na.not_disclosed and not na.unanswered_required
    assert na.overall.maximum == 0
    # Anything else shaped like a mark is no answer at all.
    for odd in ({"mark": "bogus"}, {"mark": "unknown", "more": 1}):
        assert [q.key for q in score([question], {"x": odd}, LEVELS).unanswered_required] == (
            ["x"] if qtype in ("evidence", "inventory") else []
        )


def test_a_mark_on_a_choice_question_is_not_an_answer():
    result = score([status_question("q")], {"q": {"mark": "unknown"}}, LEVELS)
    assert [q.key for q in result.unanswered_required] == ["q"] and not result.unknown


def test_unknown_choice_keys_and_zero_weights_do_not_score():
    result = score([status_question("q", weight=0), status_question("r")], {"q": "done", "r": "bogus"}, LEVELS)
    assert result.overall.maximum == 0


@pytest.mark.parametrize("percent, label", [(100, "良好"), (80, "良好"), (79.9, "課題"), (50, "課題"), (0, "懸念")])
def test_levels_come_from_their_lower_bounds(percent, label):
    assert level_for(percent, LEVELS).label == label


@pytest.mark.parametrize("part, whole, shown", [(9, 16, 56.3), (1, 8, 12.5), (1, 16, 6.3), (2, 3, 66.7), (1, 3, 33.3),
                                               (7999, 10005, 80.0), (0, 5, 0.0), (5, 5, 100.0)])
def test_percentages_round_a_half_up_as_a_clerk_recomputing_them_would(part, whole, shown):
    """Python's round() gave 56.2 for 9 of 16 (halves to even) where a spreadsheet's ROUND gives 56.3:
    a figure a municipality cannot reproduce is a figure it can dismiss."""
    assert percent_of(part, whole) == shown
    assert SectionScore(section="", achieved=part, maximum=whole).percent == shown


T = ScreeningThresholds()


def test_screening_says_not_answered_yet_apart_from_unknown():
    """After the first screening answer, the box said 「取扱者数が不明です。自治体に確認してください。」 of
    questions nobody had answered yet, and gave a settled depth with the criteria still open."""
    open_ = frozenset({"handlers", "serious_incident", "persons_covered", "criteria"})
    texts = [str(r) for r in screen(persons=None, handlers=None, incident=None, criteria=[], thresholds=T, unanswered=open_).reasons]
    assert "取扱者数がまだ回答されていません。" in texts and not any("不明" in t or "自治体に確認" in t for t in texts)
    assert any("当てはまる基準の質問がまだ回答されていません。2つ以上当てはまると" in t for t in texts)
    unknown = [str(r) for r in screen(persons=None, handlers=None, incident="unknown", criteria=[], thresholds=T).reasons]
    assert "取扱者数が不明です。自治体に確認してください。" in unknown
    assert "過去1年以内の重大事故の有無が不明です。自治体に確認してください。" in unknown


def test_screening_below_1000_persons_is_not_required():
    result = screen(persons=999, handlers=10, incident="no", criteria=[], thresholds=T)
    assert result.depth == "not_required" and "1,000人未満" in result.reasons[0]


def test_screening_300000_or_more_is_full():
    assert screen(persons=300_000, handlers=1, incident="no", criteria=[], thresholds=T).depth == "full"


@pytest.mark.parametrize(
    "handlers, incident, depth", [(499, "no", "priority"), (500, "no", "full"), (10, "yes", "full")]
)
def test_screening_100000_to_299999_depends_on_handlers_and_incidents(handlers, incident, depth):
    assert screen(persons=150_000, handlers=handlers, incident=incident, criteria=[], thresholds=T).depth == depth


def test_screening_1000_to_99999_is_basic():
    assert screen(persons=5_000, handlers=600, incident="yes", criteria=[], thresholds=T).depth == "basic"
    assert screen(persons=50_000, handlers=10, incident="no", criteria=[], thresholds=T).depth == "basic"


def test_screening_applies_the_unverified_small_band_rule_and_says_so():
    result = screen(persons=50_000, handlers=500, incident="no", criteria=[], thresholds=T)
    assert result.depth == "priority" and any("未確認" in reason for reason in result.reasons)


def test_two_criteria_call_for_a_full_assessment_whatever_the_numbers():
    result = screen(persons=500, handlers=3, incident="no", criteria=["こどものデータ", "データの突合"], thresholds=T)
    assert result.depth == "full"
    assert any("こどものデータ、データの突合" in reason for reason in result.reasons)
    one = screen(persons=500, handlers=3, incident="no", criteria=["こどものデータ"], thresholds=T)
    assert one.depth == "not_required"


def test_screening_with_unknown_numbers_says_what_to_ask():
    result = screen(persons=None, handlers=None, incident=None, criteria=[], thresholds=T)
    assert result.depth is None and "判定できない" in result.label
    assert sum("確認してください" in reason for reason in result.reasons) == 3


def test_screening_thresholds_are_data():
    strict = ScreeningThresholds(persons_not_required_below=10, persons_full_from=1000, handlers_threshold=5)
    assert screen(persons=2000, handlers=1, incident="no", criteria=[], thresholds=strict).depth == "full"


# --- 確認率 and 判定保留 -----------------------------------------------------------------------------


def test_all_unknown_is_pending_with_a_confirmed_rate_rule_not_the_lowest_level():
    answers = {key: "unknown" for key in ("q1", "q2", "q5")}
    result = score(QUESTIONS, answers, LEVELS, min_confirmed_percent=50)
    assert result.overall.percent == 0.0
    assert result.overall.confirmed_percent == 0.0
    assert result.overall.level.label == "判定保留（確認できない事項が多い）" and result.overall.pending
    assert result.sections["a"].pending and result.sections["b"].pending
    # Without the rule (v1), the same answers are the lowest level, as before.
    assert score(QUESTIONS, answers, LEVELS).overall.level.label == "懸念"


def test_confirmed_rate_counts_not_disclosed_apart_from_unknown():
    answers = {"q1": "not-disclosed", "q2": "unknown", "q5": "not-done"}
    result = score(QUESTIONS, answers, LEVELS, min_confirmed_percent=30)
    overall = result.overall
    assert (overall.scored, overall.confirmed, overall.unknown, overall.not_disclosed) == (3, 1, 1, 1)
    assert overall.confirmed_percent == 33.3
    # 33.3% reaches the threshold of 30: the level is the level of the score, a known weakness.
    assert overall.level.label == "懸念" and not overall.pending
    # Section a has only the not-disclosed and the unknown answer: nothing confirmed, so pending.
    assert result.sections["a"].confirmed_percent == 0.0 and result.sections["a"].pending
    assert result.sections["b"].confirmed_percent == 100.0 and result.sections["b"].level.label == "懸念"


def test_confirmed_rate_at_the_threshold_is_judged_below_it_is_pending():
    questions = [status_question(f"x{i}") for i in range(4)]
    half = {"x0": "done", "x1": "done", "x2": "unknown", "x3": "unknown"}
    assert score(questions, half, LEVELS, min_confirmed_percent=50).overall.level.label == "課題"
    assert score(questions, half, LEVELS, min_confirmed_percent=51).overall.pending


def test_not_applicable_and_unscored_answers_do_not_count_in_the_confirmed_rate():
    questions = [status_question("x0"), status_question("x1"),
                 QuestionSpec(key="n", section="a", text="n", type="number")]
    result = score(questions, {"x0": "done", "x1": "na", "n": {"mark": "unknown"}}, LEVELS, min_confirmed_percent=50)
    assert (result.overall.scored, result.overall.confirmed) == (1, 1)
    assert result.overall.confirmed_percent == 100.0 and result.overall.level.label == "良好"
    # Nothing scored at all: no 確認率 and no level, never 判定保留.
    empty = score(questions, {"x0": "na"}, LEVELS, min_confirmed_percent=50)
    assert empty.overall.confirmed_percent is None and empty.overall.level is None


def test_a_project_without_personal_data_needs_no_assessment_whatever_else_is_stored():
    result = screen(personal_data="no", persons=500_000, handlers=900, incident="yes",
                    criteria=["a", "b", "c"], thresholds=ScreeningThresholds())
    assert result.depth == "not_required" and len(result.reasons) == 1
    assert "個人情報を取り扱わない" in result.reasons[0]


def test_an_unanswered_gate_asks_for_it_first_and_yes_screens_as_usual():
    unanswered = screen(personal_data="", persons=None, handlers=None, incident=None, criteria=[],
                        thresholds=ScreeningThresholds())
    assert unanswered.depth is None and unanswered.reasons == ["まず、この事業が個人情報を取り扱うかどうかを答えてください。"]
    for gate in ("yes", "unknown", None):
        assert screen(personal_data=gate, persons=500_000, handlers=10, incident="no", criteria=[],
                      thresholds=ScreeningThresholds()).depth == "full"


def test_unanswered_questions_count_against_the_confirmed_rate():
    # Three confirmed answers out of ten shown questions are not grounds for a level.
    questions = [status_question(f"x{i}") for i in range(10)]
    answers = {"x0": "done", "x1": "done", "x2": "done"}
    result = score(questions, answers, LEVELS, min_confirmed_percent=50)
    overall = result.overall
    assert (overall.scored, overall.confirmed, overall.unanswered) == (3, 3, 7)
    assert overall.percent == 100.0 and overall.confirmed_percent == 30.0 and overall.pending
    # Answered in full, the same protections give the level of their percentage.
    full = score(questions, {f"x{i}": "done" for i in range(10)}, LEVELS, min_confirmed_percent=50)
    assert full.overall.unanswered == 0 and full.overall.level.label == "良好"
    # Hidden and 該当なし questions do not count as unanswered.
    na = score(questions, {**answers, **{f"x{i}": "na" for i in range(3, 10)}}, LEVELS, min_confirmed_percent=50)
    assert na.overall.unanswered == 0 and na.overall.confirmed_percent == 100.0


def test_the_method_rows_add_up_to_the_score_and_say_why_a_question_is_not_counted():
    """The report's 「採点の方法」 lists what each question added: summed, the rows are the score (so a
    reader can recompute it by hand), and every question left out says why."""
    from assessments.scoring import MethodRow, method_rows

    questions = [
        status_question("a", weight=2),
        status_question("b", weight=3),
        status_question("c"),
        status_question("d"),
        status_question("e", condition_question="a", condition_choices=frozenset({"done"})),
    ]
    answers = {"a": "partial", "b": "done", "c": "na", "e": "done"}  # e's answer stored, its condition unmet
    result = score(questions, answers, LEVELS)
    rows = method_rows(questions, answers, result.visible)
    counted = [row.points for row in rows if row.points]
    assert counted == [(1 * 2, 2 * 2), (2 * 3, 2 * 3)]
    assert (sum(p[0] for p in counted), sum(p[1] for p in counted)) == (result.overall.achieved, result.overall.maximum)
    assert [(row.question.key, row.why) for row in rows if not row.points] == [
        ("c", "not_applicable"), ("d", "unanswered"), ("e", "hidden")]
    # The chapter lists the answers proper; 不明, 未開示 and 該当なし only where they score otherwise.
    assert all(c.meaning == "answer" for c in rows[0].listed_choices)
    assert isinstance(rows[0], MethodRow)
