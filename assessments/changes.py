"""What changed between an earlier assessment and its re-assessment (前回からの変化): pure functions
over plain data, no database (like scoring.py), so that the rules are tested on their own and more
kinds of rows (risks, actions) can be added to a comparison beside the questions and scores.

One rule decides both what a re-assessment carries over and which rows of a comparison compare the
same question: ``meaning_change``. A question keeps its meaning from one question set to the next
when its key is in both and, in both,

- it has the same type (a number is not a date, one choice is not several),
- the same text (spaces and line breaks aside): the text is what the assessor answered,
- the same unit (12,000 in 千円 is not 12,000 in 円),
- and, for a choice question, the same choice keys, each with the same meaning (回答, 不明, 未開示,
  該当なし) and the same score, and each answer choice with the same label. A choice added or
  removed changes every answer: with another option on offer the assessor might have chosen it. The
  labels of 不明, 未開示 and 該当なし may be reworded (v2 explains 「不明（まだ確認できていない）」):
  their meaning says what they are.

Guidance, basis, proposals, questions to the municipality, red-flag wording, weights and display
conditions do not change what an answer says, so they do not stop it from carrying over (a changed
condition may show or hide the question; a hidden question's answer counts nowhere, as always).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from assessments import scoring

# Why a question's answer cannot carry over (MeaningChange.code); the pages word them.
REMOVED = "removed"  # the new set has no question with this key
TYPE = "type"
TEXT = "text"
UNIT = "unit"
CHOICES = "choices"  # choices added or removed
CHOICE_MEANING = "choice_meaning"
CHOICE_SCORE = "choice_score"
CHOICE_LABEL = "choice_label"

MARK_MEANINGS = (scoring.UNKNOWN, scoring.NOT_DISCLOSED, scoring.NOT_APPLICABLE)


@dataclass(frozen=True)
class ChoiceShape:
    key: str
    label: str
    score: int | None
    meaning: str = scoring.ANSWER


@dataclass(frozen=True)
class QuestionShape:
    """What of a question decides what its answer means, with where it stands (section, text)."""

    key: str
    section: str
    text: str
    type: str
    unit: str = ""
    choices: tuple[ChoiceShape, ...] = ()


@dataclass(frozen=True)
class MeaningChange:
    """``choice``: the earlier label of the choice concerned (choice_* codes); ``before``/``after``:
    what changed, as text (the labels, the scores, the choices removed and added)."""

    code: str
    choice: str = ""
    before: str = ""
    after: str = ""


def _words(text: str) -> str:
    return "".join(text.split())


def meaning_change(old: QuestionShape, new: QuestionShape | None) -> MeaningChange | None:
    """Why an answer to ``old`` does not answer ``new`` (None: it does; see the module's rule)."""
    if new is None:
        return MeaningChange(REMOVED)
    if old.type != new.type:
        return MeaningChange(TYPE)
    if _words(old.text) != _words(new.text):
        return MeaningChange(TEXT)
    if old.unit.strip() != new.unit.strip():
        return MeaningChange(UNIT)
    old_choices = {c.key: c for c in old.choices}
    new_choices = {c.key: c for c in new.choices}
    if set(old_choices) != set(new_choices):
        return MeaningChange(
            CHOICES, before="、".join(c.label for c in old.choices if c.key not in new_choices),
            after="、".join(c.label for c in new.choices if c.key not in old_choices))
    for choice in old.choices:
        other = new_choices[choice.key]
        if choice.meaning != other.meaning:
            return MeaningChange(CHOICE_MEANING, choice.label)
        if choice.score != other.score:
            return MeaningChange(CHOICE_SCORE, choice.label, _score_text(choice.score), _score_text(other.score))
        if choice.meaning not in MARK_MEANINGS and _words(choice.label) != _words(other.label):
            return MeaningChange(CHOICE_LABEL, choice.label, choice.label, other.label)
    return None


def _score_text(score: int | None) -> str:
    return "" if score is None else str(score)


@dataclass(frozen=True)
class NotCarried:
    key: str
    text: str  # the earlier question's text
    change: MeaningChange


@dataclass
class CarryPlan:
    carried: list[str] = field(default_factory=list)  # keys, in the earlier set's order
    not_carried: list[NotCarried] = field(default_factory=list)
    new_questions: list[str] = field(default_factory=list)  # keys only the new set has


def carry_plan(old: Sequence[QuestionShape], new: Sequence[QuestionShape], answered: set[str]) -> CarryPlan:
    """Which of the earlier answers (``answered``: the keys of the shown questions that hold an
    answer, a note, sources or rows) carry over to a re-assessment against ``new``, and why the
    others do not."""
    new_by_key = {question.key: question for question in new}
    old_keys = {question.key for question in old}
    plan = CarryPlan(new_questions=[q.key for q in new if q.key not in old_keys])
    for question in old:
        if question.key not in answered:
            continue
        change = meaning_change(question, new_by_key.get(question.key))
        if change is None:
            plan.carried.append(question.key)
        else:
            plan.not_carried.append(NotCarried(key=question.key, text=question.text, change=change))
    return plan


# --- Comparing two assessments ---------------------------------------------------------------------

HIDDEN = "hidden"  # AnswerState.meaning of a question its assessment does not show


@dataclass(frozen=True)
class AnswerState:
    """One question's answer as its reader sees it. ``meaning``: "answer", "unknown" (不明),
    "not_disclosed" (未開示), "not_applicable" (該当なし), "" (unanswered) or HIDDEN (not shown,
    so neither its answer nor its score is given). ``points``/``best``: the weighted score and the
    question's weighted best, None when the answer scores nothing. ``rows``: a digest of the sources
    or inventory rows that answer a question without choices, so that a changed row shows as a change."""

    text: str = ""
    meaning: str = ""
    points: int | None = None
    best: int | None = None
    rows: str = ""
    carried: bool = field(default=False, compare=False)  # 「前回の回答」 not yet confirmed


HIDDEN_STATE = AnswerState(meaning=HIDDEN)


def question_points(spec: scoring.QuestionSpec, value) -> tuple[int, int] | None:
    """(points, best) of a choice answer, weighted as scoring.score counts them; None when it scores
    nothing (no choices, 該当なし, unanswered, a zero weight)."""
    best = spec.max_score
    if not spec.is_choice or best is None or not spec.weight:
        return None
    scores = [c.score for c in (spec.choice(k) for k in scoring.chosen_keys(value)) if c is not None and c.score is not None]
    if not scores:
        return None
    return max(scores) * spec.weight, best * spec.weight


@dataclass(frozen=True)
class ScoreState:
    """A section's or the overall result: percentage, level and 確認率 (None: not shown by the set)."""

    percent: float | None = None
    level: str = ""
    confirmed_percent: float | None = None


@dataclass(frozen=True)
class RiskShape:
    """One risk of a register as the comparison reads it: its harms (keys) and its level before and
    after the planned measures, each as (rank, label); rank -1 when it has none (no residual
    estimate, or a set without a risk part)."""

    harms: tuple[str, ...]
    level: tuple[int, str] = (-1, "")
    residual: tuple[int, str] = (-1, "")


@dataclass(frozen=True)
class HarmState:
    """What a register says of one harm: how many risks name it and the highest level among them,
    before and after the planned measures (labels; "" when none)."""

    count: int = 0
    highest: str = ""
    highest_residual: str = ""


@dataclass(frozen=True)
class Side:
    """One assessment as plain data: its questions in order, the section titles, each question's
    AnswerState (every question of the set; HIDDEN_STATE for the hidden ones), the scores, and its
    risk register (the harms of its set's catalogue as key → label, and its risks)."""

    questions: tuple[QuestionShape, ...]
    section_titles: Mapping[str, str]
    answers: Mapping[str, AnswerState]
    sections: Mapping[str, ScoreState]
    overall: ScoreState
    harm_labels: Mapping[str, str] = field(default_factory=dict)
    risks: tuple[RiskShape, ...] = ()


@dataclass(frozen=True)
class Row:
    """One line of a comparison, before → after. ``kind``: "overall", "section" or "question" (others
    may be added: their states need only compare with ==). A side is None when that assessment has
    no such thing (a question only one set asks). ``change``: the two sets ask the question with
    another meaning (meaning_change), so the answers were not carried over and are not comparable."""

    kind: str
    key: str
    label: str
    before: object
    after: object
    group: str = ""  # the section's title, for a question
    change: MeaningChange | None = None

    @property
    def changed(self) -> bool:
        return self.change is not None or self.before != self.after


@dataclass
class Comparison:
    overall: Row
    sections: list[Row]
    questions: list[Row]
    risks: list[Row] = field(default_factory=list)  # one per harm either register names

    @property
    def changed_questions(self) -> list[Row]:
        return [row for row in self.questions if row.changed]


def compare(before: Side, after: Side) -> Comparison:
    """Question by question (the new set's order, then the questions only the earlier set asks),
    section by section (by key) and overall: what the earlier assessment showed and what the new one
    shows."""
    overall = Row(kind="overall", key="overall", label="", before=before.overall, after=after.overall)
    section_keys = list(dict.fromkeys([*after.section_titles, *before.section_titles]))
    sections = [
        Row(kind="section", key=key, label=after.section_titles.get(key) or before.section_titles.get(key, key),
            before=before.sections.get(key) if key in before.section_titles else None,
            after=after.sections.get(key) if key in after.section_titles else None)
        for key in section_keys
    ]
    old_by_key = {q.key: q for q in before.questions}
    new_keys = {q.key for q in after.questions}
    questions = []
    for question in after.questions:
        old = old_by_key.get(question.key)
        questions.append(Row(
            kind="question", key=question.key, label=question.text,
            group=after.section_titles.get(question.section, question.section),
            before=before.answers.get(question.key, AnswerState()) if old else None,
            after=after.answers.get(question.key, AnswerState()),
            change=meaning_change(old, question) if old else None,
        ))
    for question in before.questions:
        if question.key not in new_keys:
            questions.append(Row(
                kind="question", key=question.key, label=question.text,
                group=before.section_titles.get(question.section, question.section),
                before=before.answers.get(question.key, AnswerState()), after=None,
            ))
    return Comparison(overall=overall, sections=sections, questions=questions, risks=compare_risks(before, after))


def harm_state(risks: Sequence[RiskShape], harm: str) -> HarmState:
    """What ``risks`` say of ``harm``: the count and the highest levels (pure)."""
    naming = [risk for risk in risks if harm in risk.harms]
    if not naming:
        return HarmState()
    return HarmState(count=len(naming), highest=max(r.level for r in naming)[1],
                     highest_residual=max(r.residual for r in naming)[1])


def compare_risks(before: Side, after: Side) -> list[Row]:
    """Harm by harm (the new catalogue's order, then harms only the earlier one has), for each harm
    either register names: how many risks named it and the highest level, before and after. Risks
    are not carried over to a re-assessment, so harms, the catalogue's stable keys, are what the two
    registers share. A side is None when its set has no such harm (an earlier set without risks)."""
    named = {harm for risk in (*before.risks, *after.risks) for harm in risk.harms}
    keys = [key for key in dict.fromkeys([*after.harm_labels, *before.harm_labels]) if key in named]
    return [
        Row(kind="risk", key=key, label=after.harm_labels.get(key) or before.harm_labels.get(key, key),
            before=harm_state(before.risks, key) if key in before.harm_labels else None,
            after=harm_state(after.risks, key) if key in after.harm_labels else None)
        for key in keys
    ]
