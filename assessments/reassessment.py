"""Re-assessment (再評価): a new assessment of the same project against the latest question set,
started from an earlier one, with the answers that still mean the same carried over and marked
「前回の回答」 until the assessors confirm them; and the comparison of the two (前回からの変化).

Who may start one (access.get_assessment_to_reassess): the editors of the earlier assessment, in
any state; anyone signed in, from a published assessment. In both cases only what the earlier
assessment shows carries over: the answers, notes, sources and inventory rows of the questions it
shows (an answer kept for a question hidden by its display condition counts nowhere, and is left
out of the public page, report and open data, so it is never carried either). Comments, the
answer history, the review body and its opinions, the residents' views, the letter's settings and
the requests to the municipality stay with the earlier assessment.

Carried answers count in the scores like any answer (they are what is known until someone says
otherwise), but an assessment is not submitted for review while a shown question still holds an
unconfirmed 「前回の回答」 (``submission_problem``).

The rule of what "the same meaning" is, and the comparison itself, are pure (assessments/changes.py).
"""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import answer_saving, changes, render_ahead, risks, scoring, selectors
from assessments.answer_values import MARKS, answer_meaning, display_snapshot, display_value
from assessments.models import Answer, AnswerHistory, Assessment, Evidence, InventoryRow, Organisation, Question

ROW_TYPES = (Question.Type.EVIDENCE, Question.Type.INVENTORY)

REASONS = {
    changes.REMOVED: gettext_lazy("新しい質問セットにこの質問がありません。"),
    changes.TYPE: gettext_lazy("回答の種類が変わりました。"),
    changes.TEXT: gettext_lazy("質問文が変わりました。"),
    changes.UNIT: gettext_lazy("単位が変わりました。"),
    changes.CHOICE_MEANING: gettext_lazy("選択肢「%(choice)s」の意味（回答・不明・未開示・該当なし）が変わりました。"),
    changes.CHOICE_LABEL: gettext_lazy("選択肢の文言が変わりました（「%(before)s」→「%(after)s」）。"),
}


def reason_text(code: str, choice: str = "", before: str = "", after: str = "") -> str:
    """Why an answer was not carried over (changes.MeaningChange, or its stored record), in words."""
    if code == changes.CHOICES:
        parts = []
        if before:
            parts.append(_("なくなった選択肢: %(labels)s") % {"labels": before})
        if after:
            parts.append(_("加わった選択肢: %(labels)s") % {"labels": after})
        return _("選択肢が変わりました（%(details)s）。") % {"details": "。".join(parts)} if parts else _("選択肢が変わりました。")
    if code == changes.CHOICE_SCORE:
        none = _("点数なし")
        return _("選択肢「%(choice)s」の点数が変わりました（%(before)s→%(after)s）。") % {
            "choice": choice, "before": _("%(score)s点") % {"score": before} if before else none,
            "after": _("%(score)s点") % {"score": after} if after else none}
    if code == changes.CHOICE_LABEL and not (before and after):
        return _("選択肢「%(choice)s」の文言が変わりました。") % {"choice": choice}
    message = REASONS.get(code)
    if message is None:
        return _("質問の意味が変わりました。")
    return str(message) % {"choice": choice, "before": before, "after": after}


def change_text(change: changes.MeaningChange) -> str:
    return reason_text(change.code, change.choice, change.before, change.after)


def question_shape(question: Question, section_key: str) -> changes.QuestionShape:
    """A question as changes.meaning_change compares it (choices prefetched)."""
    return changes.QuestionShape(
        key=question.key, section=section_key, text=question.text, type=question.type, unit=question.unit,
        choices=tuple(changes.ChoiceShape(key=c.key, label=c.label, score=c.score, meaning=c.meaning)
                      for c in question.choices.all()),
    )


def _shapes(sections) -> list[changes.QuestionShape]:
    return [question_shape(q, section.key) for section in sections for q in section.questions.all()]


def _has_content(answer: Answer) -> bool:
    return (answer.value not in (None, "", []) or bool(answer.note.strip())
            or bool(answer.evidence.all()) or bool(answer.inventory_rows.all()))


def carry_preview(previous: Assessment, question_set) -> tuple[changes.CarryPlan, selectors.Workspace, list]:
    """What starting a re-assessment of ``previous`` against ``question_set`` would carry over: the
    plan, the earlier assessment's workspace and the new set's sections (a fixed number of queries)."""
    workspace = selectors.assessment_workspace(previous)
    new_sections = selectors.questionset_structure(question_set)
    shown = workspace.result.visible
    answered = {key for key, answer in workspace.answers.items() if key in shown and _has_content(answer)}
    plan = changes.carry_plan(_shapes(workspace.sections), _shapes(new_sections), answered)
    return plan, workspace, new_sections


def _history_evidence(items: list[dict]) -> list[dict]:
    return [{**item, "date": item["date"].isoformat() if item.get("date") else None} for item in items]


@transaction.atomic
def reassessment_start(*, user, previous: Assessment, title: str, standpoint: str,
                       organisation: Organisation | None = None) -> Assessment:
    """A new draft assessment of ``previous``'s project against the latest published question set,
    linked to ``previous``, with the answers that keep their meaning carried over (value, note,
    sources, inventory rows), each marked 「前回の回答」 and recorded in its history; in one
    transaction. The caller has checked that ``user`` may start it (access.get_assessment_to_reassess)."""
    question_set = selectors.default_questionset()
    if question_set is None:
        raise ValidationError(_("公開中の質問セットがないため、再評価を始められません。"))
    plan, old, new_sections = carry_preview(previous, question_set)
    assessment = answer_saving.assessment_create(
        user=user, project=previous.project, question_set=question_set, title=title, standpoint=standpoint,
        organisation=organisation,
    )
    questions = {q.key: q for section in new_sections for q in section.questions.all()}
    # The inventory prefilled from the catalogue by assessment_create gives way to a carried one.
    prefilled = {a.question_id: a for a in Answer.objects.filter(assessment=assessment).prefetch_related(
        "evidence", "inventory_rows")}
    revision = 1
    size = assessment.content_size
    carried, replaced, history = [], [], []
    for key in plan.carried:
        source, question = old.answers[key], questions[key]
        answer = prefilled.get(question.pk)
        if answer is not None:
            size -= answer_saving.answer_size(answer)
            answer.inventory_rows.all().delete()
            replaced.append(answer)
        else:
            answer = Answer(assessment=assessment, question=question)
        answer.value = source.value
        answer.note = source.note
        answer.snapshot = answer_saving.snapshot_of(question, source.value)
        answer.carried = True
        answer.revision = revision
        answer.updated_by = user
        for part in answer_saving.PARTS:
            setattr(answer, f"{part}_version", 1)
        items = answer_saving.evidence_dicts(source)
        lines = answer_saving.row_dicts(source)
        carried.append((answer, items, lines))
        size += sum(answer_saving.content_size(part, content) for part, content in
                    (("value", source.value), ("note", source.note), ("evidence", items), ("rows", lines)))
        history.append(AnswerHistory(
            assessment=assessment, question=question, user=user, revision=revision, old=None,
            new={"value": source.value, "note": source.note, "evidence": _history_evidence(items), "rows": lines,
                 "carried_from": previous.pk},
        ))
    Answer.objects.bulk_create([answer for answer, _items, _lines in carried if answer.pk is None])
    for answer in replaced:
        answer.save()
    Evidence.objects.bulk_create(
        Evidence(answer=answer, position=i, **item) for answer, items, _lines in carried for i, item in enumerate(items))
    InventoryRow.objects.bulk_create(
        InventoryRow(answer=answer, position=i, **line) for answer, _items, lines in carried for i, line in enumerate(lines))
    AnswerHistory.objects.bulk_create(history)
    record = {
        "from": previous.pk,
        "from_title": previous.title,
        "from_question_set": f"{previous.question_set.key} v{previous.question_set.version}",
        "question_set": f"{question_set.key} v{question_set.version}",
        "at": timezone.now().isoformat(),
        "carried": len(plan.carried),
        "not_carried": [{"key": item.key, "text": item.text, "code": item.change.code, "choice": item.change.choice,
                         "before": item.change.before, "after": item.change.after} for item in plan.not_carried],
        "new_questions": len(plan.new_questions),
    }
    Assessment.objects.filter(pk=assessment.pk).update(
        previous=previous, carry_over=record, revision=revision, content_size=size)
    render_ahead.report_changed(assessment.pk)
    assessment.previous, assessment.carry_over, assessment.revision, assessment.content_size = (
        previous, record, revision, size)
    answer_saving.store_overall_result(assessment)
    return assessment


def _visible_keys(assessment: Assessment) -> set[str]:
    specs, _levels = selectors.scoring_structure(assessment.question_set)
    values, _rows = selectors.answer_values_and_rows(assessment)
    return scoring.visible_keys(specs, values)


def unconfirmed(assessment: Assessment) -> list[str]:
    """Keys of the shown questions still holding an unconfirmed 「前回の回答」 (3 queries at most)."""
    carried = list(Answer.objects.filter(assessment=assessment, carried=True).values_list("question__key", flat=True))
    if not carried:
        return []
    shown = _visible_keys(assessment)
    return [key for key in carried if key in shown]


def submission_problem(assessment: Assessment) -> str:
    """Why ``assessment`` may not be submitted yet (empty if nothing stops it here)."""
    keys = unconfirmed(assessment)
    if not keys:
        return ""
    return _(
        "前回の評価から引き継いだ回答のうち、まだ確認していないものが%(count)s問あります。"
        "各質問の「前回の回答」を確かめ、「この回答を確認した」（または節ごとの「この節の前回の回答をすべて確認した」）を"
        "押すか、回答を直して保存してから提出してください。"
    ) % {"count": len(keys)}


@transaction.atomic
def carried_confirm(*, assessment: Assessment, user, keys) -> list[str]:
    """Confirm the 「前回の回答」 of the questions ``keys``: each stays as it is, its mark goes, its
    history records who confirmed it. Returns the keys confirmed.

    No version check is needed: an answer still marked carried has not changed since it was carried
    over (any accepted change clears the mark, answer_saving.answers_save), so whoever confirms it
    confirms exactly what the page showed them; one already changed or confirmed is passed over.
    """
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now())  # the row lock, as answers_save
    current, status = Assessment.objects.values_list("revision", "status").get(pk=assessment.pk)
    if status not in Assessment.EDITABLE_STATUSES:
        raise answer_saving.AnswersLocked()
    answers = list(Answer.objects.filter(assessment=assessment, carried=True, question__key__in=list(keys))
                   .select_related("question").prefetch_related("evidence", "inventory_rows"))
    if not answers:
        return []
    revision = current + 1
    history = []
    for answer in answers:
        state = {"value": answer.value, "note": answer.note,
                 "evidence": _history_evidence(answer_saving.evidence_dicts(answer)),
                 "rows": answer_saving.row_dicts(answer)}
        history.append(AnswerHistory(assessment=assessment, question=answer.question, user=user, revision=revision,
                                     old={**state, "carried_from": assessment.previous_id},
                                     new={**state, "confirmed": True}))
    Answer.objects.filter(pk__in=[a.pk for a in answers]).update(carried=False, revision=revision)
    AnswerHistory.objects.bulk_create(history)
    # The pages and the report show the mark: a new revision says they changed.
    Assessment.objects.filter(pk=assessment.pk).update(revision=F("revision") + 1)
    render_ahead.report_changed(assessment.pk)
    assessment.revision = revision
    return [a.question.key for a in answers]


def section_carried_keys(assessment: Assessment, section) -> list[str]:
    """Keys of the shown questions of ``section`` still holding an unconfirmed 「前回の回答」."""
    in_section = set(Question.objects.filter(section=section).values_list("key", flat=True))
    return [key for key in unconfirmed(assessment) if key in in_section]


# --- The comparison (前回からの変化) ---------------------------------------------------------------


def _rows_digest(answer: Answer) -> str:
    content = [answer_saving.evidence_dicts(answer), answer_saving.row_dicts(answer)]
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()[:16]


def _answer_state(question: Question, spec: scoring.QuestionSpec, answer: Answer | None) -> changes.AnswerState:
    if answer is None:
        return changes.AnswerState()
    snapshot = display_snapshot(question, answer.snapshot)
    meaning = answer_meaning(answer.value, snapshot)
    text = display_value(answer.value, snapshot)
    if question.is_choice:
        chosen = [spec.choice(key) for key in scoring.chosen_keys(answer.value)]
        chosen = [c for c in chosen if c is not None]
        if chosen and all(c.meaning in changes.MARK_MEANINGS for c in chosen):
            # 不明, 未開示, 該当なし as such: their labels may be worded anew by a later set.
            text = "、".join(MARKS[c.meaning] for c in chosen)
    rows = ""
    if question.type in ROW_TYPES:
        count = len(answer.inventory_rows.all()) if question.type == Question.Type.INVENTORY else len(answer.evidence.all())
        if count and meaning == "":
            meaning = scoring.ANSWER
            text = (_("%(count)s項目") if question.type == Question.Type.INVENTORY else _("資料 %(count)s件")) % {"count": count}
        rows = _rows_digest(answer) if count else ""
    points = changes.question_points(spec, answer.value)
    return changes.AnswerState(text=text, meaning=meaning, points=points[0] if points else None,
                               best=points[1] if points else None, rows=rows, carried=answer.carried)


def _score_state(score: scoring.SectionScore | None) -> changes.ScoreState:
    if score is None:
        return changes.ScoreState()
    return changes.ScoreState(
        percent=score.percent, level=score.level.label if score.level else "",
        confirmed_percent=score.confirmed_percent if score.min_confirmed_percent is not None else None,
    )


def side_of(workspace: selectors.Workspace) -> changes.Side:
    """An assessment as the comparison reads it: only what its pages show (a hidden question's
    answer is HIDDEN_STATE, never its content)."""
    result = workspace.result
    specs = {spec.key: spec for spec in workspace.specs}
    answers = {}
    for question in workspace.questions:
        if question.key not in result.visible:
            answers[question.key] = changes.HIDDEN_STATE
        else:
            answers[question.key] = _answer_state(question, specs[question.key], workspace.answers.get(question.key))
    register = risks.risk_register(workspace.assessment, workspace)
    return changes.Side(
        questions=tuple(_shapes(workspace.sections)),
        section_titles={section.key: section.title for section in workspace.sections},
        answers=answers,
        sections={key: _score_state(score) for key, score in result.sections.items()},
        overall=_score_state(result.overall),
        harm_labels={harm.key: harm.label for harm in register.harms},
        risks=tuple(_risk_shape(view) for view in register.risks),
    )


def _risk_shape(view) -> changes.RiskShape:
    def level(found):
        return (found.rank, found.label) if found is not None else (-1, "")

    return changes.RiskShape(harms=tuple(h.key for h in view.harms), level=level(view.level),
                             residual=level(view.residual_level))


def comparison_of(previous: Assessment, assessment: Assessment, workspace: selectors.Workspace | None = None):
    """The comparison of ``previous`` (before) and ``assessment`` (after), in a fixed number of queries."""
    after = workspace or selectors.assessment_workspace(assessment)
    return changes.compare(side_of(selectors.assessment_workspace(previous)), side_of(after))


def report_chapter(assessment: Assessment, workspace: selectors.Workspace) -> dict | None:
    """What the report's chapter 「前回からの変化」 shows (None: no previous assessment, no chapter).

    A report is read by everyone who may read the new assessment, and by anyone once it is
    published; so it compares with the earlier assessment only when that one is published, or when
    both belong to the same organisation and the new one is not published. Otherwise the chapter
    says that the earlier one is not public, and shows no content of it."""
    if assessment.previous_id is None:
        return None
    previous = (Assessment.objects.select_related("question_set", "organisation")
                .filter(pk=assessment.previous_id).first())
    if previous is None:
        return None
    shown = previous.status == Assessment.Status.PUBLISHED or (
        previous.organisation_id == assessment.organisation_id and assessment.status != Assessment.Status.PUBLISHED)
    return {
        "previous": previous if shown else None,
        "comparison": comparison_of(previous, assessment, workspace) if shown else None,
        "unconfirmed": [q for q in workspace.questions
                        if q.key in workspace.result.visible and getattr(workspace.answers.get(q.key), "carried", False)],
    }
