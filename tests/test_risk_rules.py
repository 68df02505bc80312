"""Suggested risks follow the answers and the inventory: pure, without a database."""

import json

import pytest

from assessments import risk_rules, seed
from assessments.risk_rules import Row, Rule, covers, parse_conditions, suggest
from assessments.scoring import ChoiceSpec, QuestionSpec

V3 = json.loads((seed.FIXTURES / "questionsets" / "dx-pia-v3.json").read_text(encoding="utf-8"))

STATUS = (
    ChoiceSpec("done", "実施・確認済み", 2),
    ChoiceSpec("not-done", "未実施", 0, red_flag="未実施"),
    ChoiceSpec("unknown", "不明", 0, meaning="unknown"),
    ChoiceSpec("not-disclosed", "未開示", 0, meaning="not_disclosed"),
)
GATE = QuestionSpec(key="gate", section="a", text="委託していますか", type="single",
                    choices=(ChoiceSpec("yes", "はい", None), ChoiceSpec("no", "いいえ", None)))
CONTRACT = QuestionSpec(key="contract", section="a", text="契約で二次利用を禁じていますか", type="single",
                        choices=STATUS, condition_question="gate", condition_choices=frozenset({"yes"}))
NOTICE = QuestionSpec(key="notice", section="a", text="住民に知らせていますか", type="single", choices=STATUS)
PERIOD = QuestionSpec(key="period", section="a", text="保存期間は", type="text")
INVENTORY = QuestionSpec(key="inv", section="b", text="データ項目一覧", type="inventory")
SPECS = [GATE, CONTRACT, NOTICE, PERIOD, INVENTORY]
QUESTIONS = {s.key: (s.type, frozenset(c.key for c in s.choices)) for s in SPECS}


def rule(conditions, match="any", key="r"):
    parsed, problems = parse_conditions(conditions, QUESTIONS)
    assert problems == []
    return Rule(key=key, title="題名", reason="理由", harms=("vendor-lock-in",), conditions=parsed, match=match)


def keys(suggestions):
    return [s.rule.key for s in suggestions]


def test_a_chosen_choice_suggests_and_another_answer_does_not():
    r = rule([{"question": "contract", "choices": ["not-done", "unknown"]}])
    found = suggest([r], SPECS, {"gate": "yes", "contract": "unknown"})
    assert keys(found) == ["r"] and found[0].questions == ("contract",)
    assert found[0].matches[0].choices == ("不明",)
    assert suggest([r], SPECS, {"gate": "yes", "contract": "done"}) == []
    assert suggest([r], SPECS, {"gate": "yes"}) == []


def test_an_answer_hidden_by_its_condition_suggests_nothing():
    r = rule([{"question": "contract", "choices": ["not-done"]}])
    assert keys(suggest([r], SPECS, {"gate": "yes", "contract": "not-done"})) == ["r"]
    assert suggest([r], SPECS, {"gate": "no", "contract": "not-done"}) == []


def test_a_red_flag_choice_suggests():
    r = rule([{"question": "notice", "red_flag": True}])
    assert keys(suggest([r], SPECS, {"notice": "not-done"})) == ["r"]
    assert suggest([r], SPECS, {"notice": "unknown"}) == []


def test_marks_work_on_choice_meanings_and_on_marked_text_answers():
    on_choice = rule([{"question": "notice", "marks": ["not_disclosed"]}], key="choice")
    on_text = rule([{"question": "period", "marks": ["unknown"]}], key="text")
    found = suggest([on_choice, on_text], SPECS, {"notice": "not-disclosed", "period": {"mark": "unknown"}})
    assert keys(found) == ["choice", "text"]
    assert found[1].matches[0].mark == "unknown"
    assert suggest([on_choice, on_text], SPECS, {"notice": "unknown", "period": "5年"}) == []


def test_inventory_rows_meeting_every_field_are_the_suggestions_items():
    r = rule([{"inventory": {"sensitive": "yes", "necessity": "empty"}}])
    rows = [
        Row("inv", "健診結果", {"sensitive": "yes", "necessity": "  "}),
        Row("inv", "障害の有無", {"sensitive": "yes", "necessity": ""}),
        Row("inv", "病歴", {"sensitive": "yes", "necessity": "虐待の早期発見のため"}),
        Row("inv", "氏名", {"sensitive": "no", "necessity": ""}),
    ]
    found = suggest([r], SPECS, {}, rows)
    assert found[0].items == ("健診結果", "障害の有無") and found[0].questions == ("inv",)
    rows[0] = Row("inv", "健診結果", {"sensitive": "yes", "necessity": "健診の事後指導のため"})
    rows[1] = Row("inv", "障害の有無", {"sensitive": "unknown", "necessity": ""})
    assert suggest([r], SPECS, {}, rows) == []


def test_all_needs_every_condition_and_any_needs_one():
    conditions = [{"question": "notice", "choices": ["not-done"]}, {"question": "period", "marks": ["unknown"]}]
    answers = {"notice": "not-done", "period": "5年"}
    assert keys(suggest([rule(conditions, match="any")], SPECS, answers)) == ["r"]
    assert suggest([rule(conditions, match="all")], SPECS, answers) == []
    answers["period"] = {"mark": "unknown"}
    assert keys(suggest([rule(conditions, match="all")], SPECS, answers)) == ["r"]


def test_a_dismissal_covers_the_suggestion_until_it_rests_on_more():
    r = rule([{"inventory": {"sensitive": "yes", "necessity": "empty"}}, {"question": "notice", "choices": ["not-done"]}])
    rows = [Row("inv", "健診結果", {"sensitive": "yes", "necessity": ""})]
    dismissed = suggest([r], SPECS, {"notice": "done"}, rows)[0].basis
    assert covers(dismissed, suggest([r], SPECS, {"notice": "done"}, rows)[0]) and dismissed == {
        "questions": ["inv"], "items": ["健診結果"]}
    more_items = rows + [Row("inv", "病歴", {"sensitive": "yes", "necessity": ""})]
    assert not covers(dismissed, suggest([r], SPECS, {"notice": "done"}, more_items)[0])
    assert not covers(dismissed, suggest([r], SPECS, {"notice": "not-done"}, rows)[0])


@pytest.mark.parametrize("conditions, words", [
    ([], "条件を1つ以上"),
    ([{"question": "nope", "choices": ["done"]}], "この質問セットにありません"),
    ([{"question": "notice", "choices": ["maybe"]}], "選択肢のキー"),
    ([{"question": "period", "choices": ["done"]}], "選択式ではありません"),
    ([{"question": "notice", "choices": ["done"], "red_flag": True}], "どれか1つだけ"),
    ([{"question": "notice", "marks": ["not_applicable"]}], "unknown・not_disclosed"),
    ([{"inventory": {"colour": "yes"}}], "使えません"),
    ([{"inventory": {"sensitive": "empty"}}], "使えません"),
    (["notice"], "オブジェクト"),
])
def test_malformed_conditions_are_named(conditions, words):
    parsed, problems = parse_conditions(conditions, QUESTIONS)
    assert parsed == () or problems
    assert any(words in p for p in problems), problems


def test_every_shipped_rule_parses_against_the_sets_own_questions():
    questions = {q["key"]: (q["type"], frozenset(c["key"] for c in q.get("choices", [])))
                 for section in V3["sections"] for q in section["questions"]}
    harms = {h["key"] for h in V3["risks"]["harms"]}
    assert len(V3["risks"]["rules"]) >= 10
    for raw in V3["risks"]["rules"]:
        _parsed, problems = parse_conditions(raw["conditions"], questions)
        assert problems == [], raw["key"]
        assert raw["harms"] and set(raw["harms"]) <= harms and raw.get("match", "any") in risk_rules.MATCHES
