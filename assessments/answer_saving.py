"""Writes of the wizard: starting an assessment and saving answers, atomically and without ever
silently overwriting a newer save: every part of every answer carries its own version."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import languages, render_ahead, scoring
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
from assessments.reports import document_stamp

UNCHANGED = object()

EVIDENCE_FIELDS = ("title", "url", "page", "date", "note")
# In the order the inventory editor shows them: the item and why it is needed first.
ROW_FIELDS = (
    "data_item",
    "necessity",
    "sensitive",
    "children",
    "purpose",
    "legal_basis",
    "category",
    "held_by",
    "retention",
    "shared_with_vendor",
    "note",
)


PARTS = ("value", "note", "evidence", "rows")

# The most one assessment may hold, counted by content_size (README, "Limits"). It bounds the work of
# every page, export and report of the assessment: filled to it in any shape, the report stays at a
# few hundred pages (bench/report_pdf.py --maximal prints the figures).
CONTENT_BUDGET = 300_000
# What each source or inventory row counts besides its characters: a table row fills its space in
# the report however short its text, so that many short rows cannot outgrow the budget either.
ITEM_WEIGHT = 100


def _characters(content) -> int:
    if content is None or isinstance(content, bool):
        return 0
    if isinstance(content, str):
        return len(content)
    if isinstance(content, dict):
        return sum(_characters(item) for item in content.values())
    if isinstance(content, (list, tuple)):
        return sum(_characters(item) for item in content)
    return len(str(content))


def content_size(part: str, content) -> int:
    """What one part's content counts against CONTENT_BUDGET: its characters, and ITEM_WEIGHT more
    for each source or row."""
    if part in ("evidence", "rows"):
        return sum(ITEM_WEIGHT + _characters(item) for item in content or [])
    return _characters(content)


def answer_size(answer: Answer) -> int:
    """What a stored answer counts against CONTENT_BUDGET (sources and rows prefetched)."""
    return sum(content_size(part, stored_part(answer, part)) for part in PARTS)


def too_large_message(size: int) -> str:
    return _(
        "保存しませんでした。保存するとこの評価の記録量が %(size)s字になり、上限の %(max)s字を超えます"
        "（根拠資料1件・データ項目1行はそれぞれ%(item)s字を加えて数えます）。"
        "長い引用は資料名とページを示すだけにするなど、短くしてから保存してください。"
    ) % {"size": f"{size:,}", "max": f"{CONTENT_BUDGET:,}", "item": ITEM_WEIGHT}


@dataclass
class AnswerChange:
    """What one save changes about one question; UNCHANGED parts are left as stored.

    ``base`` gives, for each part sent, the version of that part the input was based on (the version
    the page showed); a part missing from it is based on version 0 (nothing stored yet).
    """

    value: object = UNCHANGED
    note: object = UNCHANGED
    evidence: object = UNCHANGED  # list of dicts with EVIDENCE_FIELDS
    rows: object = UNCHANGED  # list of dicts with ROW_FIELDS
    base: dict = field(default_factory=dict)

    def parts(self) -> dict:
        return {part: getattr(self, part) for part in PARTS if getattr(self, part) is not UNCHANGED}


@dataclass
class Conflict:
    """A part that somebody saved after the version the refused input was based on."""

    question: Question
    part: str
    stored: Answer
    version: int  # the stored version of the part
    mine: object  # the refused content

    @property
    def stored_content(self):
        return stored_part(self.stored, self.part)


class AnswersLocked(PermissionDenied):
    """Answers are read-only between submission and return."""


def _history_state(answer: Answer) -> dict:
    """What the history keeps of an answer: value, note, sources and inventory rows."""
    return {
        "value": answer.value,
        "note": answer.note,
        "evidence": _history_evidence(stored_part(answer, "evidence")),
        "rows": stored_part(answer, "rows"),
    }


@dataclass
class SaveOutcome:
    revision: int
    saved_at: object
    saved: list[str] = field(default_factory=list)  # keys of the questions with a stored change
    # Question key -> part -> the stored version after the save, for every part that was sent and
    # not refused (changed or not): the client's next base for that part.
    versions: dict = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    # Set when the whole save was refused because it would take the assessment past CONTENT_BUDGET
    # (nothing of it stored, no version moved): the message to show.
    too_large: str = ""


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


def stored_part(answer: Answer | None, part: str):
    """The stored content of one part of an answer (the empty content when nothing is stored)."""
    if answer is None or answer.pk is None:
        return {"value": None, "note": "", "evidence": [], "rows": []}[part]
    if part == "value":
        return answer.value
    if part == "note":
        return answer.note
    return evidence_dicts(answer) if part == "evidence" else row_dicts(answer)


def part_version(answer: Answer | None, part: str) -> int:
    return getattr(answer, f"{part}_version") if answer is not None else 0


def _same(part: str, new, old) -> bool:
    if part == "value" and new in (None, "", []) and old in (None, "", []):
        return True
    return new == old


def answers_save(*, assessment: Assessment, user, changes: dict[Question, AnswerChange]) -> SaveOutcome:
    """Save ``changes`` in one transaction, part by part.

    Each part (value, note, sources, inventory rows) of each answer is checked on its own: a part
    whose base version is older than the stored one, and whose content differs from what is stored,
    is refused and returned as a Conflict; every other part is stored. Nothing is ever overwritten by
    input that was based on an older version of the same part.

    What it writes renews the document stamp of this assessment only (document_stamp.answers_of):
    the stored reports of other assessments stay served as they are.
    """
    # The scope inside the transaction: what runs on its commit (the stamp's renewal, the render
    # ahead) is outside it.
    with transaction.atomic(), document_stamp.answers_of(assessment.pk):
        return _answers_save(assessment, user, changes)


def _answers_save(assessment: Assessment, user, changes: dict[Question, AnswerChange]) -> SaveOutcome:
    # Take the assessment's row lock first (an UPDATE locks on PostgreSQL and takes SQLite's write
    # lock), so that the answers read below cannot change before this transaction commits.
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now())
    current, status, size = Assessment.objects.values_list("revision", "status", "content_size").get(pk=assessment.pk)
    if status not in Assessment.EDITABLE_STATUSES:
        raise AnswersLocked()
    # Sources and rows are prefetched: they are compared, and the history keeps them (3 queries).
    stored = {
        answer.question_id: answer
        for answer in Answer.objects.filter(assessment=assessment, question__in=list(changes)).prefetch_related(
            "evidence", "inventory_rows"
        )
    }

    outcome = SaveOutcome(revision=current, saved_at=timezone.now())
    accepted: dict[Question, dict] = {}
    for question, change in changes.items():
        answer = stored.get(question.pk)
        versions = outcome.versions.setdefault(question.key, {})
        for part, content in change.parts().items():
            version = part_version(answer, part)
            if _same(part, content, stored_part(answer, part)):
                versions[part] = version
            elif change.base.get(part, 0) != version:
                # Older than the stored version: someone saved since. Newer (or made up): not a
                # version this part ever showed; refused too, never taken as a licence to overwrite.
                outcome.conflicts.append(
                    Conflict(question=question, part=part, stored=answer, version=version, mine=content)
                )
            else:
                accepted.setdefault(question, {})[part] = content
                versions[part] = version + 1
    if not accepted:
        return outcome
    growth = sum(
        content_size(part, content) - content_size(part, stored_part(stored.get(question.pk), part))
        for question, parts in accepted.items()
        for part, content in parts.items()
    )
    if growth > 0 and size + growth > CONTENT_BUDGET:
        # Refused as a whole, like a form with an error: the user shortens something and saves again.
        # (A save that shrinks the assessment always goes through, even above the budget.)
        for question, parts in accepted.items():
            for part in parts:
                del outcome.versions[question.key][part]
        outcome.too_large = too_large_message(size + growth)
        return outcome

    revision = current + 1
    history = []
    for question, parts in accepted.items():
        answer = stored.get(question.pk) or Answer(assessment=assessment, question=question)
        before = _history_state(answer) if answer.pk else None
        if "value" in parts:
            answer.value = parts["value"]
            answer.snapshot = snapshot_of(question, parts["value"])
        elif not answer.snapshot:
            answer.snapshot = snapshot_of(question, answer.value)
        if "note" in parts:
            answer.note = parts["note"]
        for part in parts:
            setattr(answer, f"{part}_version", part_version(answer, part) + 1)
        answer.revision = revision
        answer.updated_by = user
        answer.carried = False  # a change to a 「前回の回答」 confirms it (reassessment.py)
        answer.save()
        if "evidence" in parts:
            answer.evidence.all().delete()
            Evidence.objects.bulk_create(
                Evidence(answer=answer, position=i, **item) for i, item in enumerate(parts["evidence"])
            )
        if "rows" in parts:
            answer.inventory_rows.all().delete()
            InventoryRow.objects.bulk_create(
                InventoryRow(answer=answer, position=i, **item) for i, item in enumerate(parts["rows"])
            )
        after = {
            "value": answer.value,
            "note": answer.note,
            "evidence": _history_evidence(parts["evidence"]) if "evidence" in parts else (before or {}).get("evidence", []),
            "rows": parts["rows"] if "rows" in parts else (before or {}).get("rows", []),
        }
        history.append(
            AnswerHistory(
                assessment=assessment, question=question, user=user, revision=revision, old=before, new=after,
            )
        )
        outcome.saved.append(question.key)
    AnswerHistory.objects.bulk_create(history)
    if history and user is not None:
        from assessments.languages import in_record_language
        from assessments.reviewing import withdraw_reviewer_who_edited

        with in_record_language(assessment):
            withdraw_reviewer_who_edited(assessment, user, _("回答"))
    Assessment.objects.filter(pk=assessment.pk).update(revision=F("revision") + 1, content_size=F("content_size") + growth)
    render_ahead.report_changed(assessment.pk)
    assessment.revision = outcome.revision = revision
    assessment.content_size = size + growth
    store_overall_result(assessment)
    return outcome


def _history_evidence(evidence: list[dict]) -> list[dict]:
    return [{**item, "date": item["date"].isoformat() if item.get("date") else None} for item in evidence]


def _confirmed_summary(score: scoring.SectionScore) -> dict:
    """確認率 and its counts, kept only for a set with a 確認率 rule (so v1 summaries stay as they were)."""
    if score.min_confirmed_percent is None:
        return {}
    return {"confirmed_percent": score.confirmed_percent, "unknown_scored": score.unknown,
            "not_disclosed_scored": score.not_disclosed, "unanswered_scorable": score.unanswered}


def store_overall_result(assessment: Assessment) -> None:
    """Keep the overall score and level on the assessment for lists, the dashboard and exports.

    Two queries: the set's structure comes from ``selectors.scoring_structure`` (kept in memory for
    frozen sets), the answers' values and row counts from one query.
    """
    from assessments.selectors import answer_values_and_rows, scoring_structure

    specs, level_specs = scoring_structure(assessment.question_set)
    values, rows = answer_values_and_rows(assessment)
    result = scoring.score(specs, values, level_specs, rows=rows,
                           min_confirmed_percent=assessment.question_set.min_confirmed_percent)
    overall = result.overall
    summary = {
        "sections": {
            key: {"percent": score.percent, "level": score.level.label if score.level else "",
                  **_confirmed_summary(score)}
            for key, score in result.sections.items()
        },
        **_confirmed_summary(overall),
        "unknown": len(result.unknown),
        "not_disclosed": len(result.not_disclosed),
        "red_flags": len(result.red_flags),
    }
    Assessment.objects.filter(pk=assessment.pk).update(
        overall_percent=overall.percent, overall_level=overall.level.label if overall.level else "",
        result_summary=summary,
    )


def prefill_row(item) -> dict:
    """An inventory row from a catalogue data item, each field where it belongs: the catalogue's
    grouping (基礎情報, 生徒指導 …) is the row's 区分, never its purpose; the vendor the source names
    is not the holding department, so it goes into the note beside the source's own remark."""
    note = []
    if item.vendor:
        note.append(_("資料上のベンダー: %(vendor)s") % {"vendor": item.vendor})
    if item.note:
        note.append(_("資料上の注記: %(note)s") % {"note": item.note})
    return {
        "data_item": item.name[:200],
        "category": item.group[:100],
        "purpose": "、".join(item.use_types)[:300],
        "note": "\n".join(note),
    }


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
            assessment=assessment, question=inventory, snapshot=snapshot_of(inventory, None), updated_by=user,
            rows_version=1,
        )
        # The notes print in the report: in the set's language, not in that of the page that started
        # the assessment (from the English interface they read 「Remark in the source: …」).
        with languages.in_record_language(assessment):
            rows = [InventoryRow(answer=answer, position=i, **prefill_row(item)) for i, item in enumerate(items)]
        InventoryRow.objects.bulk_create(rows)
        assessment.content_size = answer_size(answer)
        Assessment.objects.filter(pk=assessment.pk).update(content_size=assessment.content_size)
    return assessment
