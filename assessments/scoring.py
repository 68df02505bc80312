"""Scoring, visibility and screening: pure functions over plain data, no database.

The wizard, the summary, the reports and the tests all use these, so that a hidden question is
hidden the same way everywhere and a score means the same thing on every page. Thresholds and
weights come from the question set (data), never from constants here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping, Sequence

# The words are looked up when shown (in the interface's language, or the report's Japanese), so this
# module still runs without Django settings: lazily, or (reasons) by their msgid, marked with gettext_noop.
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _


def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages (by this name), without Django's, which reads the settings."""
    return message


UNKNOWN = "unknown"
NOT_DISCLOSED = "not_disclosed"
NOT_APPLICABLE = "not_applicable"
ANSWER = "answer"


@dataclass(frozen=True)
class ChoiceSpec:
    key: str
    label: str
    score: int | None
    meaning: str = ANSWER
    red_flag: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    section: str
    text: str
    type: str
    required: bool = False
    weight: int = 1
    choices: tuple[ChoiceSpec, ...] = ()
    condition_question: str | None = None
    condition_choices: frozenset[str] = frozenset()
    screening_role: str = ""

    @property
    def is_choice(self) -> bool:
        return self.type in ("single", "multiple")

    def choice(self, key: str) -> ChoiceSpec | None:
        return next((c for c in self.choices if c.key == key), None)

    @property
    def max_score(self) -> int | None:
        scores = [c.score for c in self.choices if c.score is not None]
        return max(scores) if scores else None


@dataclass(frozen=True)
class LevelSpec:
    key: str
    label: str
    min_percent: int


def chosen_keys(value) -> list[str]:
    """The choice keys of a stored choice answer (single: a key, multiple: a list)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str)]


MARKS = (UNKNOWN, NOT_DISCLOSED, NOT_APPLICABLE)


def mark_of(value) -> str | None:
    """The mark of a non-choice answer stored as {"mark": "unknown"} (不明, 未開示, 該当なし)."""
    if isinstance(value, dict) and len(value) == 1 and value.get("mark") in MARKS:
        return value["mark"]
    return None


def is_answered(question: QuestionSpec, value, *, has_rows: bool = False) -> bool:
    """A question answered 不明, 未開示 or 該当なし is answered, whatever its type."""
    if mark_of(value) is not None and not question.is_choice:
        return True
    if question.type == "inventory" or question.type == "evidence":
        return has_rows
    if question.is_choice:
        return bool(chosen_keys(value))
    return value not in (None, "", [])


def visible_keys(questions: Sequence[QuestionSpec], answers: Mapping[str, object]) -> set[str]:
    """Keys of the questions shown: no condition, or a visible condition question answered with one
    of the condition's choices. Conditions point at earlier questions, so one pass in order suffices."""
    visible: set[str] = set()
    for question in questions:
        if question.condition_question is None:
            visible.add(question.key)
        elif question.condition_question in visible and (
            set(chosen_keys(answers.get(question.condition_question))) & question.condition_choices
        ):
            visible.add(question.key)
    return visible


# The level of a score that rests on too few known answers (see ``score``): not a judgement of the
# project either way, but the assessor's open work and the municipality's undisclosed points.
PENDING = LevelSpec(key="pending", label="判定保留（確認できない事項が多い）", min_percent=0)


def percent_of(part: int, whole: int) -> float:
    """``part`` of ``whole`` in percent to one decimal, a half rounded up, as a clerk rounding the
    report's own figures by hand or with a spreadsheet's ROUND does: 9 of 16 is 56.3 %, not the
    56.2 % of Python's round() (halves to even, and on a binary float). Exact: the fraction is
    rounded, never a float."""
    exact = Decimal(100 * part) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class SectionScore:
    section: str
    achieved: int = 0
    maximum: int = 0
    answered: int = 0
    scored: int = 0
    # Of the scored questions: answered with what was found (neither 不明 nor 未開示), answered 不明
    # (the assessor does not know yet) and answered 未開示 (the municipality has not disclosed it).
    confirmed: int = 0
    unknown: int = 0
    not_disclosed: int = 0
    # Shown questions that would be scored but have no answer yet: not known either, so they count
    # against the 確認率 (three answers out of sixty are not grounds for a level).
    unanswered: int = 0
    level: LevelSpec | None = None
    # The set's 確認率 threshold (None: the set has no such rule, and pages do not show 確認率).
    min_confirmed_percent: int | None = None

    @property
    def percent(self) -> float | None:
        return None if self.maximum == 0 else percent_of(self.achieved, self.maximum)

    @property
    def confirmed_percent(self) -> float | None:
        """確認率: the share of the shown, scorable questions whose answer is known (answered, and
        neither 不明 nor 未開示); unanswered ones count as not known. None while nothing is scored:
        an assessment not yet begun has no level at all rather than 判定保留."""
        if self.scored == 0:
            return None
        return percent_of(self.confirmed, self.scored + self.unanswered)

    @property
    def pending(self) -> bool:
        return self.level is PENDING


@dataclass(frozen=True)
class RedFlag:
    question: str
    section: str
    message: str


@dataclass
class Result:
    sections: dict[str, SectionScore]
    overall: SectionScore
    unanswered_required: list[QuestionSpec] = field(default_factory=list)
    unknown: list[QuestionSpec] = field(default_factory=list)
    not_disclosed: list[QuestionSpec] = field(default_factory=list)
    red_flags: list[RedFlag] = field(default_factory=list)
    visible: set[str] = field(default_factory=set)


def level_for(percent: float | None, levels: Sequence[LevelSpec]) -> LevelSpec | None:
    """The first level (highest first) whose lower bound the percentage reaches."""
    if percent is None:
        return None
    for level in sorted(levels, key=lambda lv: -lv.min_percent):
        if percent >= level.min_percent:
            return level
    return None


def score(
    questions: Sequence[QuestionSpec],
    answers: Mapping[str, object],
    levels: Sequence[LevelSpec],
    *,
    rows: Mapping[str, int] | None = None,
    min_confirmed_percent: int | None = None,
) -> Result:
    """Score the visible questions of an assessment.

    - A choice's score times the question's weight counts against the question's best score times
      its weight. For multiple choice the best chosen score counts.
    - 不明 and 未開示 score what their choice says (0 in the shipped set): a protection nobody can
      confirm earns nothing, but the question still counts towards the maximum.
    - 該当なし (score null) and unanswered questions count neither way; unanswered required ones
      are listed as incomplete.
    - Questions without choices (number, date, text, evidence, inventory) carry no score; answered
      不明 or 未開示 (a mark, see ``mark_of``) they are listed like the choices' 不明 and 未開示.
    - Hidden questions (condition not met) count nowhere, whatever their stored answer.
    - Beside each score, its 確認率 (``confirmed_percent``): the share of the shown, scorable
      questions answered with what was found rather than 不明, 未開示 or nothing yet (each also
      counted apart). When the set gives
      ``min_confirmed_percent`` and a score's 確認率 is below it, its level is PENDING
      (判定保留), not the level of its percentage: a score made mostly of 0s for "could not
      confirm" says how little is known, not how badly the project protects people.
    ``rows`` gives the number of inventory rows or evidence entries per question key.
    """
    rows = rows or {}
    visible = visible_keys(questions, answers)
    sections: dict[str, SectionScore] = {}
    overall = SectionScore(section="")
    result = Result(sections=sections, overall=overall, visible=visible)
    for question in questions:
        section = sections.setdefault(question.section, SectionScore(section=question.section))
        if question.key not in visible:
            continue
        value = answers.get(question.key)
        answered = is_answered(question, value, has_rows=rows.get(question.key, 0) > 0)
        if answered:
            section.answered += 1
        elif question.required:
            result.unanswered_required.append(question)
        if not answered:
            if question.is_choice and question.max_score is not None and question.weight:
                section.unanswered += 1
                overall.unanswered += 1
            continue
        if not question.is_choice:
            # 不明 and 未開示 of a number, date, text, evidence or inventory question: listed like
            # the choices' 不明 and 未開示 (so asked of the municipality); such questions carry no score.
            mark = mark_of(value)
            if mark == UNKNOWN:
                result.unknown.append(question)
            elif mark == NOT_DISCLOSED:
                result.not_disclosed.append(question)
            continue
        picked = [c for c in (question.choice(k) for k in chosen_keys(value)) if c is not None]
        meanings = {c.meaning for c in picked}
        if UNKNOWN in meanings:
            result.unknown.append(question)
        if NOT_DISCLOSED in meanings:
            result.not_disclosed.append(question)
        result.red_flags.extend(
            RedFlag(question=question.key, section=question.section, message=c.red_flag) for c in picked if c.red_flag
        )
        points = contribution(question, value)
        if points is None:
            continue
        scored_meanings = {c.meaning for c in picked if c.score is not None}
        for target in (section, overall):
            target.achieved += points[0]
            target.maximum += points[1]
            target.scored += 1
            if ANSWER in scored_meanings:
                target.confirmed += 1
            elif NOT_DISCLOSED in scored_meanings:
                target.not_disclosed += 1
            else:
                target.unknown += 1
    for target in (*sections.values(), overall):
        target.level = level_for(target.percent, levels)
        target.min_confirmed_percent = min_confirmed_percent
        confirmed = target.confirmed_percent
        if min_confirmed_percent is not None and confirmed is not None and confirmed < min_confirmed_percent:
            target.level = PENDING
    overall.answered = sum(s.answered for s in sections.values())
    return result


def contribution(question: QuestionSpec, value) -> tuple[int, int] | None:
    """What one shown, answered choice question adds to its section's score: (the best chosen
    choice's points × the weight, the best choice's points × the weight). None when it adds nothing:
    not a choice question, no scored choice chosen (該当なし), or no weight."""
    if not question.is_choice or question.weight == 0 or question.max_score is None:
        return None
    scores = [c.score for c in (question.choice(k) for k in chosen_keys(value)) if c is not None and c.score is not None]
    if not scores:
        return None
    return max(scores) * question.weight, question.max_score * question.weight


@dataclass(frozen=True)
class MethodRow:
    """One scored question as the report's 「採点の方法」 shows it, so that its figures can be
    recomputed by hand: its weight, each choice's points, the answer and what it added (None: not
    counted, with ``why``)."""

    question: QuestionSpec
    chosen: tuple[str, ...]
    points: tuple[int, int] | None
    why: str = ""  # "hidden", "unanswered", "not_applicable" when points is None

    @property
    def listed_choices(self) -> list[ChoiceSpec]:
        """The choices to list with their points: the answers proper, and a 不明, 未開示 or 該当なし
        only where it does not score as the chapter's rule says of all of them (0, 0, not counted)."""
        usual = {UNKNOWN: 0, NOT_DISCLOSED: 0, NOT_APPLICABLE: None}
        return [c for c in self.question.choices if c.meaning not in usual or c.score != usual[c.meaning]]


def method_rows(questions: Sequence[QuestionSpec], answers: Mapping[str, object], visible: set[str]) -> list[MethodRow]:
    """Every question of the set that can carry a score, with what it added to this assessment's
    score: summed per section, the points are the section's 得点 (``score`` adds the same)."""
    rows = []
    for question in questions:
        if not question.is_choice or question.max_score is None or question.weight == 0:
            continue
        value = answers.get(question.key)
        chosen = tuple(c.label for c in (question.choice(k) for k in chosen_keys(value)) if c is not None)
        if question.key not in visible:
            rows.append(MethodRow(question, chosen, None, "hidden"))
        elif not chosen:
            rows.append(MethodRow(question, chosen, None, "unanswered"))
        else:
            points = contribution(question, value)
            rows.append(MethodRow(question, chosen, points, "" if points else "not_applicable"))
    return rows


# --- Screening (modelled on 特定個人情報保護評価 and the WP29 criteria) -------------------------------

DEPTHS = ("not_required", "basic", "priority", "full")
DEPTH_LABELS = {
    "not_required": _("評価は必須ではない（しきい値未満）"),
    "basic": _("基礎的な評価（基礎項目評価に相当）"),
    "priority": _("重点的な評価（重点項目評価に相当）"),
    "full": _("詳細な評価（全項目評価に相当）"),
    None: _("判定できない（情報不足）"),
}


@dataclass(frozen=True)
class Data:
    """Words of the question set (a criterion's label) inside a reason: Japanese in any interface."""

    text: str


def _translated(message: str) -> str:
    """``message`` (a msgid) in the active language; itself where Django is not set up."""
    from django.conf import settings

    if not settings.configured:
        return message
    from django.utils.translation import gettext

    return gettext(message)


class Reason:
    """One reason of a screening: ``message % values``, worded when shown (str: the text; in a
    template, HTML with the question set's words marked lang="ja"). ``message`` is a msgid (gettext_noop); a
    list value is joined with 「、」; compares and searches as its text."""

    def __init__(self, message, **values):
        self.message, self.values = message, values

    def _render(self, html: bool) -> str:
        def value(item):
            if isinstance(item, Reason):
                return item._render(html)
            if isinstance(item, Data):
                if not html:
                    return item.text
                from django.utils.translation import get_language

                japanese = (get_language() or "ja").split("-")[0] == "ja"  # a Japanese page needs no mark
                return conditional_escape(item.text) if japanese else format_html('<span lang="ja">{}</span>', item.text)
            if isinstance(item, (list, tuple)):
                separator = _translated(gettext_noop("、"))
                return (conditional_escape(separator) if html else str(separator)).join(value(i) for i in item)
            return conditional_escape(item) if html else str(item)

        message = _translated(self.message)
        return (conditional_escape(message) if html else message) % {name: value(v) for name, v in self.values.items()}

    def __str__(self) -> str:
        return self._render(False)

    def __html__(self) -> str:
        return self._render(True)

    @property
    def html(self):
        """For a template (``{{ reason.html }}``), which shows other objects as their str."""
        from django.utils.safestring import mark_safe

        return mark_safe(self._render(True))

    def __eq__(self, other) -> bool:
        return str(self) == str(other) if isinstance(other, (str, Reason)) else NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __contains__(self, text) -> bool:
        return text in str(self)

    def __repr__(self) -> str:
        return f"Reason({str(self)!r})"


@dataclass(frozen=True)
class ScreeningThresholds:
    persons_not_required_below: int = 1000
    persons_small_band_from: int = 10000
    persons_priority_from: int = 100000
    persons_full_from: int = 300000
    handlers_threshold: int = 500
    criteria_for_full: int = 2


@dataclass
class ScreeningResult:
    depth: str | None
    reasons: list[Reason]

    @property
    def label(self) -> str:
        return DEPTH_LABELS[self.depth]


def _deeper(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if DEPTHS.index(a) >= DEPTHS.index(b) else b


NO_PERSONAL_DATA_REASON = Reason(gettext_noop(
    "個人情報を取り扱わない事業との回答です。個人に関する節の質問は表示しません"
    "（この回答が正しいかは、仕様書などで確かめてください）。"
))


GATE_UNANSWERED_REASON = Reason(gettext_noop("まず、この事業が個人情報を取り扱うかどうかを答えてください。"))


def screen(
    *,
    personal_data: str | None = None,
    persons: int | None,
    handlers: int | None,
    incident: str | None,
    criteria: Sequence[str],
    thresholds: ScreeningThresholds,
    unanswered: frozenset[str] = frozenset(),
) -> ScreeningResult:
    """The recommended depth of assessment and the reasons for it.

    ``unanswered``: the screening roles (persons_covered, handlers, serious_incident, criteria) whose
    question is shown and not answered yet. Not answered is said as such, not as 不明 to ask the
    municipality about (the assessor has not answered it; nothing is known to be unknown).

    ``incident`` is "yes", "no", or None/other for unknown; ``criteria`` are the labels of the
    criteria that apply. The deeper of the two recommendations (PPC thresholds, criteria) wins.
    ``personal_data`` "no" (the project handles no personal information, the set's gate question)
    needs no assessment, whatever else is stored: the other screening questions are hidden then;
    "" (the set has the gate and it is unanswered) cannot be judged yet; None: the set has no gate.
    """
    if personal_data == "no":
        return ScreeningResult(depth="not_required", reasons=[NO_PERSONAL_DATA_REASON])
    if personal_data == "":
        return ScreeningResult(depth=None, reasons=[GATE_UNANSWERED_REASON])
    t = thresholds
    reasons: list[Reason] = []
    many_handlers = handlers is not None and handlers >= t.handlers_threshold
    had_incident = incident == "yes"
    aggravating: list[Reason] = []
    if many_handlers:
        aggravating.append(Reason(gettext_noop("取扱者数が%(handlers)s人（%(threshold)s人以上）"),
                                  handlers=f"{handlers:,}", threshold=f"{t.handlers_threshold:,}"))
    if had_incident:
        aggravating.append(Reason(gettext_noop("過去1年以内に重大事故があった")))
    if "handlers" in unanswered:
        reasons.append(Reason(gettext_noop("取扱者数がまだ回答されていません。")))
    elif handlers is None:
        reasons.append(Reason(gettext_noop("取扱者数が不明です。自治体に確認してください。")))
    if "serious_incident" in unanswered:
        reasons.append(Reason(gettext_noop("過去1年以内の重大事故の有無がまだ回答されていません。")))
    elif incident not in ("yes", "no"):
        reasons.append(Reason(gettext_noop("過去1年以内の重大事故の有無が不明です。自治体に確認してください。")))

    ppc: str | None
    if persons is None:
        ppc = None
        reasons.append(Reason(
            gettext_noop("対象人数がまだ回答されていないため、人数のしきい値を当てはめられません。") if "persons_covered" in unanswered
            else gettext_noop("対象人数が不明なため、人数のしきい値を当てはめられません。自治体に確認してください。")))
    elif persons < t.persons_not_required_below:
        ppc = "not_required"
        reasons.append(Reason(gettext_noop("対象人数%(persons)s人は%(below)s人未満です。"),
                              persons=f"{persons:,}", below=f"{t.persons_not_required_below:,}"))
    elif persons >= t.persons_full_from:
        ppc = "full"
        reasons.append(Reason(gettext_noop("対象人数%(persons)s人は%(full)s人以上です。"),
                              persons=f"{persons:,}", full=f"{t.persons_full_from:,}"))
    elif persons >= t.persons_priority_from:
        band = {"persons": f"{persons:,}", "low": f"{t.persons_priority_from:,}",
                "high": f"{t.persons_full_from - 1:,}"}
        if aggravating:
            ppc = "full"
            reasons.append(Reason(
                gettext_noop("対象人数%(persons)s人（%(low)s〜%(high)s人）で、%(aggravating)s。"),
                aggravating=aggravating, **band))
        else:
            ppc = "priority"
            reasons.append(Reason(gettext_noop("対象人数%(persons)s人は%(low)s〜%(high)s人です。"), **band))
    elif persons >= t.persons_small_band_from and aggravating:
        ppc = "priority"
        reasons.append(Reason(
            gettext_noop("対象人数%(persons)s人（%(low)s〜%(high)s人）で、%(aggravating)s（この基準は未確認です）。"),
            persons=f"{persons:,}", low=f"{t.persons_small_band_from:,}", high=f"{t.persons_priority_from - 1:,}",
            aggravating=aggravating,
        ))
    else:
        ppc = "basic"
        reasons.append(Reason(gettext_noop("対象人数%(persons)s人は%(low)s〜%(high)s人です。"),
                              persons=f"{persons:,}", low=f"{t.persons_not_required_below:,}",
                              high=f"{t.persons_priority_from - 1:,}"))

    wp29 = None
    labels = [Data(str(label)) for label in criteria]  # the question set's words
    if len(criteria) >= t.criteria_for_full:
        wp29 = "full"
        reasons.append(Reason(gettext_noop("該当する基準が%(count)sつ（%(minimum)sつ以上）: %(criteria)s。"),
                              count=len(criteria), minimum=t.criteria_for_full, criteria=labels))
    elif criteria:
        reasons.append(Reason(gettext_noop("該当する基準は%(count)sつ: %(criteria)s。"),
                              count=len(criteria), criteria=labels))
    if "criteria" in unanswered:
        # The result may still deepen: it is said so rather than given as settled.
        reasons.append(Reason(gettext_noop("当てはまる基準の質問がまだ回答されていません。%(minimum)sつ以上当てはまると、詳細な評価になります。"),
                              minimum=t.criteria_for_full))
    return ScreeningResult(depth=_deeper(ppc, wp29), reasons=reasons)
