"""Writes of the wizard: starting an assessment and saving answers, atomically and without ever
silently overwriting a newer save."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessments.models import (
    Answer,
    AnswerHistory,
    Assessment,
    Evidence,
    InventoryRow,
    Organisation,
    Project,
    Question,
    QuestionSet,
)

UNCHANGED = object()

EVIDENCE_FIELDS = ("title", "url", "page", "date", "note")
ROW_FIELDS = (
    "data_item",
    "held_by",
    "purpose",
    "legal_basis",
    "sensitive",
    "children",
    "necessity",
    "retention",
    "shared_with_vendor",
)


@dataclass
class AnswerChange:
    """What one save changes about one question; UNCHANGED parts are left as stored."""

    value: object = UNCHANGED
    note: object = UNCHANGED
    evidence: object = UNCHANGED  # list of dicts with EVIDENCE_FIELDS
    rows: object = UNCHANGED  # list of dicts with ROW_FIELDS


@dataclass
class Conflict:
    question: Question
    stored: Answer


class StaleRevision(Exception):
    """Someone saved these answers after the revision the save was based on."""

    def __init__(self, conflicts: list[Conflict], revision: int):
        self.conflicts = conflicts
        self.revision = revision
        super().__init__(", ".join(c.question.key for c in conflicts))


class AnswersLocked(PermissionDenied):
    """Answers are read-only between submission and return."""


def _history_state(answer: Answer, change: "AnswerChange | None" = None) -> dict:
    """What the history keeps of an answer: value, note, sources and inventory rows."""
    evidence = change.evidence if change is not None and change.evidence is not UNCHANGED else evidence_dicts(answer)
    rows = change.rows if change is not None and change.rows is not UNCHANGED else row_dicts(answer)
    return {
        "value": answer.value,
        "note": answer.note,
        "evidence": [{**item, "date": item["date"].isoformat() if item.get("date") else None} for item in evidence],
        "rows": rows,
    }


@dataclass
class SaveOutcome:
    revision: int
    saved_at: object
    saved: list[str] = field(default_factory=list)


def snapshot_of(question: Question, value) -> dict:
    """The question and chosen choices as the respondent saw them."""
    keys = value if isinstance(value, list) else ([value] if isinstance(value, str) else [])
    chosen = [c for c in question.choices.all() if question.is_choice and c.key in keys]
    return {
        "question": question.text,
        "type": question.type,
        "unit": question.unit,
        "choices": [
            {"key": c.key, "label": c.label, "score": c.score, "meaning": c.meaning, "red_flag": c.red_flag}
            for c in chosen
        ],
    }


def evidence_dicts(answer: Answer) -> list[dict]:
    return [{name: getattr(e, name) for name in EVIDENCE_FIELDS} for e in answer.evidence.all()]


def row_dicts(answer: Answer) -> list[dict]:
    return [{name: getattr(r, name) for name in ROW_FIELDS} for r in answer.inventory_rows.all()]


def _differs(answer: Answer, change: AnswerChange) -> bool:
    return any(
        (
            change.value is not UNCHANGED and change.value != answer.value,
            change.note is not UNCHANGED and change.note != answer.note,
            change.evidence is not UNCHANGED and change.evidence != evidence_dicts(answer),
            change.rows is not UNCHANGED and change.rows != row_dicts(answer),
        )
    )


@transaction.atomic
def answers_save(
    *, assessment: Assessment, user, base_revision: int, changes: dict[Question, AnswerChange]
) -> SaveOutcome:
    """Save ``changes`` in one transaction.

    A save based on an older revision goes through when nobody else touched the same answers since;
    otherwise StaleRevision lists the conflicting answers and nothing is written.
    """
    # Take the assessment's row lock first (an UPDATE locks on PostgreSQL and takes SQLite's write
    # lock), so that the answers read below cannot change before this transaction commits.
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now())
    current, status = Assessment.objects.values_list("revision", "status").get(pk=assessment.pk)
    if status not in Assessment.EDITABLE_STATUSES:
        raise AnswersLocked()
    stored = {
        answer.question_id: answer
        for answer in Answer.objects.filter(assessment=assessment, question__in=list(changes)).prefetch_related(
            "evidence", "inventory_rows"
        )
    }
    if base_revision != current:
        conflicts = [
            Conflict(question=question, stored=stored[question.pk])
            for question, change in changes.items()
            if question.pk in stored
            and stored[question.pk].revision > base_revision
            and _differs(stored[question.pk], change)
        ]
        if conflicts:
            raise StaleRevision(conflicts, current)

    changed = {q: c for q, c in changes.items() if q.pk not in stored or _differs(stored[q.pk], c)}
    revision = current + 1 if changed else current
    history = []
    for question, change in changed.items():
        answer = stored.get(question.pk) or Answer(assessment=assessment, question=question)
        before = _history_state(answer) if answer.pk else None
        if change.value is not UNCHANGED:
            answer.value = change.value
            answer.snapshot = snapshot_of(question, change.value)
        elif not answer.snapshot:
            answer.snapshot = snapshot_of(question, answer.value)
        if change.note is not UNCHANGED:
            answer.note = change.note
        answer.revision = revision
        answer.updated_by = user
        answer.save()
        if change.evidence is not UNCHANGED:
            answer.evidence.all().delete()
            Evidence.objects.bulk_create(
                Evidence(answer=answer, position=i, **item) for i, item in enumerate(change.evidence)
            )
        if change.rows is not UNCHANGED:
            answer.inventory_rows.all().delete()
            InventoryRow.objects.bulk_create(
                InventoryRow(answer=answer, position=i, **item) for i, item in enumerate(change.rows)
            )
        history.append(
            AnswerHistory(
                assessment=assessment, question=question, user=user, revision=revision,
                old=before, new=_history_state(answer, change),
            )
        )
    AnswerHistory.objects.bulk_create(history)
    if changed:
        Assessment.objects.filter(pk=assessment.pk).update(revision=F("revision") + 1)
        assessment.revision = revision
        store_overall_result(assessment)
    assessment.revision = revision
    return SaveOutcome(revision=revision, saved_at=timezone.now(), saved=[q.key for q in changed])


def store_overall_result(assessment: Assessment) -> None:
    """Keep the overall score and level on the assessment for lists, the dashboard and exports."""
    from assessments.selectors import assessment_workspace

    result = assessment_workspace(assessment).result
    overall = result.overall
    summary = {
        "sections": {
            key: {"percent": score.percent, "level": score.level.label if score.level else ""}
            for key, score in result.sections.items()
        },
        "unknown": len(result.unknown),
        "not_disclosed": len(result.not_disclosed),
        "red_flags": len(result.red_flags),
    }
    Assessment.objects.filter(pk=assessment.pk).update(
        overall_percent=overall.percent, overall_level=overall.level.label if overall.level else "",
        result_summary=summary,
    )


@transaction.atomic
def assessment_create(
    *, user, project: Project, question_set: QuestionSet, title: str, standpoint: str,
    organisation: Organisation | None = None,
) -> Assessment:
    """A new assessment; its data inventory starts with the data items the catalogue knows.
    Without an organisation it belongs to the user's personal one."""
    if organisation is None:
        from assessments.reviewing import personal_organisation

        organisation = personal_organisation(user)
    assessment = Assessment(
        owner=user, organisation=organisation, project=project, question_set=question_set, title=title,
        standpoint=standpoint,
    )
    assessment.full_clean()
    assessment.save()
    inventory = question_set.questions.filter(type=Question.Type.INVENTORY).first()
    items = list(project.data_items.all())
    if inventory is not None and items:
        answer = Answer.objects.create(
            assessment=assessment, question=inventory, snapshot=snapshot_of(inventory, None), updated_by=user
        )
        InventoryRow.objects.bulk_create(
            InventoryRow(
                answer=answer,
                position=i,
                data_item=item.name[:200],
                held_by=item.vendor[:200],
                purpose="、".join(item.use_types)[:300] or item.group[:300],
            )
            for i, item in enumerate(items)
        )
    return assessment
