"""Suggested risks: the question set's rules evaluated over the answers and the data inventory.

Pure functions over plain data (the scoring specs, the answers' values, the inventory rows), no
database. A rule is "this answer state suggests these harms, because …"; its conditions are data of
the question set (SuggestionRule.conditions), checked here by ``parse_conditions`` for the importer,
the admin and the publish check alike. Only shown questions count: an answer hidden by its condition
suggests nothing, as it scores nothing (scoring.visible_keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from assessments import scoring

YES_NO_FIELDS = ("sensitive", "children", "shared_with_vendor")
TEXT_FIELDS = ("necessity", "purpose", "legal_basis", "category", "held_by", "retention", "note")
YES_NO_VALUES = ("yes", "no", "unknown")
TEXT_VALUES = ("empty", "filled")
MARKS = (scoring.UNKNOWN, scoring.NOT_DISCLOSED)
MATCHES = ("any", "all")


@dataclass(frozen=True)
class Condition:
    """One condition of a rule: ``kind`` is choice, red_flag, mark or inventory."""

    kind: str
    question: str = ""
    choices: frozenset[str] = frozenset()
    marks: frozenset[str] = frozenset()
    row: tuple[tuple[str, str], ...] = ()  # (field, expected) pairs, all of which a row must meet


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    reason: str
    harms: tuple[str, ...]
    conditions: tuple[Condition, ...]
    match: str = "any"


@dataclass(frozen=True)
class Row:
    """An inventory row as the rules see it (``values`` holds the fields of YES_NO_FIELDS and TEXT_FIELDS)."""

    question: str  # the key of the inventory question it belongs to
    data_item: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    """Why one condition holds: the question and what was chosen, or the inventory rows."""

    condition: Condition
    question: str = ""
    choices: tuple[str, ...] = ()  # labels of the chosen choices that meet it
    mark: str = ""  # unknown / not_disclosed of a question without choices
    items: tuple[str, ...] = ()  # data items of the rows that meet it


@dataclass(frozen=True)
class Suggestion:
    rule: Rule
    matches: tuple[Match, ...]

    @property
    def questions(self) -> tuple[str, ...]:
        """The question keys it rests on, in the order found (an inventory match: the inventory's)."""
        return tuple(dict.fromkeys(m.question for m in self.matches if m.question))

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item for m in self.matches for item in m.items))

    @property
    def basis(self) -> dict:
        return {"questions": list(self.questions), "items": list(self.items)}


def parse_conditions(raw, questions: Mapping[str, tuple[str, frozenset[str]]]) -> tuple[tuple[Condition, ...], list[str]]:
    """The conditions of ``raw`` (a rule's JSON list), and the problems found. ``questions`` maps
    each question key of the set to (type, its choice keys)."""
    problems: list[str] = []
    if not isinstance(raw, list) or not raw:
        return (), ["条件を1つ以上、リストで書いてください。"]
    conditions = []
    for index, item in enumerate(raw):
        where = f"conditions[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: オブジェクトにしてください。")
            continue
        if "inventory" in item:
            condition, problem = _inventory_condition(item, where)
        else:
            condition, problem = _answer_condition(item, where, questions)
        if problem:
            problems.append(problem)
        else:
            conditions.append(condition)
    return tuple(conditions), problems


def _inventory_condition(item: dict, where: str) -> tuple[Condition | None, str]:
    wanted = item["inventory"]
    if set(item) != {"inventory"} or not isinstance(wanted, dict) or not wanted:
        return None, f"{where}: inventory には、項目と値の組を1つ以上書いてください。"
    pairs = []
    for name, expected in wanted.items():
        if name in YES_NO_FIELDS and expected in YES_NO_VALUES or name in TEXT_FIELDS and expected in TEXT_VALUES:
            pairs.append((name, expected))
        else:
            return None, (f"{where}: データ項目一覧の条件 {name}={expected!r} は使えません"
                          f"（{'・'.join(YES_NO_FIELDS)} は yes・no・unknown、{'・'.join(TEXT_FIELDS)} は empty・filled）。")
    return Condition(kind="inventory", row=tuple(pairs)), ""


def _answer_condition(item: dict, where: str, questions) -> tuple[Condition | None, str]:
    key = item.get("question")
    if not isinstance(key, str) or key not in questions:  # a list or an object from a file is no key
        return None, f"{where}: 質問 {key!r} はこの質問セットにありません。"
    qtype, choice_keys = questions[key]
    kinds = [name for name in ("choices", "red_flag", "marks") if name in item]
    if len(kinds) != 1 or set(item) - {"question", *kinds}:
        return None, f"{where}: question に加えて choices・red_flag・marks のどれか1つだけを書いてください。"
    kind = kinds[0]
    if kind == "choices":
        chosen = item["choices"]
        if qtype not in ("single", "multiple"):
            return None, f"{where}: 質問 {key!r} は選択式ではありません。"
        if not isinstance(chosen, list) or not chosen or any(not isinstance(c, str) or c not in choice_keys for c in chosen):
            return None, f"{where}: 質問 {key!r} の選択肢のキーを1つ以上挙げてください（{', '.join(sorted(choice_keys))}）。"
        return Condition(kind="choice", question=key, choices=frozenset(chosen)), ""
    if kind == "red_flag":
        if item["red_flag"] is not True or qtype not in ("single", "multiple"):
            return None, f"{where}: red_flag は選択式の質問に true で書いてください。"
        return Condition(kind="red_flag", question=key), ""
    marks = item["marks"]
    if not isinstance(marks, list) or not marks or any(m not in MARKS for m in marks):
        return None, f"{where}: marks は unknown・not_disclosed から選んでください。"
    return Condition(kind="mark", question=key, marks=frozenset(marks)), ""


def _match(condition: Condition, specs: Mapping[str, scoring.QuestionSpec], answers, visible, rows) -> Match | None:
    if condition.kind == "inventory":
        items = tuple(dict.fromkeys(
            row.data_item for row in rows
            if row.question in visible and all(_meets(row.values.get(name, ""), expected) for name, expected in condition.row)
        ))
        if not items:
            return None
        return Match(condition=condition, question=next(r.question for r in rows if r.data_item in items), items=items)
    spec = specs.get(condition.question)
    if spec is None or spec.key not in visible:
        return None
    value = answers.get(spec.key)
    if condition.kind == "mark" and not spec.is_choice:
        mark = scoring.mark_of(value)
        return Match(condition=condition, question=spec.key, mark=mark) if mark in condition.marks else None
    picked = [c for c in (spec.choice(k) for k in scoring.chosen_keys(value)) if c is not None]
    if condition.kind == "choice":
        hits = [c for c in picked if c.key in condition.choices]
    elif condition.kind == "red_flag":
        hits = [c for c in picked if c.red_flag]
    else:
        hits = [c for c in picked if c.meaning in condition.marks]
    return Match(condition=condition, question=spec.key, choices=tuple(c.label for c in hits)) if hits else None


def _meets(value: str, expected: str) -> bool:
    if expected in TEXT_VALUES:
        return bool((value or "").strip()) == (expected == "filled")
    return value == expected


def suggest(
    rules: Sequence[Rule],
    specs: Sequence[scoring.QuestionSpec],
    answers: Mapping[str, object],
    rows: Sequence[Row] = (),
    visible: set[str] | None = None,
) -> list[Suggestion]:
    """The suggestions of ``rules`` for these answers and inventory rows, in the rules' order."""
    if visible is None:
        visible = scoring.visible_keys(specs, answers)
    by_key = {spec.key: spec for spec in specs}
    suggestions = []
    for rule in rules:
        matches = [_match(c, by_key, answers, visible, rows) for c in rule.conditions]
        found = tuple(m for m in matches if m is not None)
        if not found or (rule.match == "all" and len(found) != len(matches)):
            continue
        suggestions.append(Suggestion(rule=rule, matches=found))
    return suggestions


def covers(dismissed_basis: Mapping, suggestion: Suggestion) -> bool:
    """Whether a dismissal made when the suggestion rested on ``dismissed_basis`` still covers it:
    it does while the suggestion rests on nothing that was not there when it was dismissed."""
    questions = set(dismissed_basis.get("questions") or [])
    items = set(dismissed_basis.get("items") or [])
    return set(suggestion.questions) <= questions and set(suggestion.items) <= items
