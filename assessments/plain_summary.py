"""The やさしい日本語 summary of one assessment, from the database: the hand-written sentences of its
question set (PlainFinding) picked by its answers (plain_language.build_summary, pure)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from assessments import plain_language
from assessments.models import PlainFinding, Question
from assessments.selectors import Workspace


def _persons(workspace: Workspace) -> int | None:
    """The number of people the project covers, as answered; None when the question is hidden (a
    project said to handle no personal information keeps its earlier answer stored, not shown)."""
    question = next((q for q in workspace.questions if q.screening_role == Question.ScreeningRole.PERSONS_COVERED), None)
    if question is None or question.key not in workspace.result.visible:
        return None
    answer = workspace.answers.get(question.key)
    raw = answer.value if answer else None
    if raw in (None, "") or isinstance(raw, (dict, list, bool)):
        return None
    try:
        number = int(Decimal(str(raw)))
    except (InvalidOperation, ValueError):
        return None
    return number if number > 0 else None


def summary_for(workspace: Workspace) -> plain_language.PlainSummary | None:
    """The plain summary of ``workspace``'s assessment (one query beyond the workspace's own), or
    None when its question set has no plain sentences (v1, v2): nothing is said rather than a
    summary that reads as if nothing had been answered."""
    assessment = workspace.assessment
    texts = {
        (key, cls): text
        for key, cls, text in PlainFinding.objects.filter(question__question_set_id=assessment.question_set_id)
        .values_list("question__key", "answer_class", "text")
    }
    if not texts:
        return None
    municipality = assessment.project.municipality
    answers = workspace.values()
    rows = {key: len(a.evidence.all()) + len(a.inventory_rows.all()) for key, a in workspace.answers.items()}
    visible = workspace.result.visible
    data_items = [
        row.data_item
        for key, answer in workspace.answers.items()
        if key in visible
        for row in answer.inventory_rows.all()
    ]
    return plain_language.build_summary(
        municipality=municipality.name if municipality else "",
        municipality_kind=municipality.kind if municipality else "",
        project=assessment.project.title,
        questions=workspace.specs,
        answers=answers,
        rows=rows,
        texts=texts,
        persons=_persons(workspace),
        data_items=data_items,
        standpoint=assessment.standpoint,
        demo=assessment.is_demo,
    )
