"""Writes: every change that touches more than one row goes through here, in one transaction."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assessments import render_ahead
from assessments.models import LetterDetails, PlainFinding, QuestionSet
from assessments.questionset_io import (
    Problem,
    QuestionSetDataError,
    questionset_from_data,
    questionset_to_data,
    validate_questionset_data,
)


def questionset_problems(question_set: QuestionSet) -> list[Problem]:
    """Everything that stops ``question_set`` from being published (empty when it is sound)."""
    return validate_questionset_data(questionset_to_data(question_set))


@transaction.atomic
def questionset_publish(*, question_set: QuestionSet) -> QuestionSet:
    question_set = QuestionSet.objects.select_for_update().get(pk=question_set.pk)
    if question_set.status != QuestionSet.Status.DRAFT:
        raise QuestionSetDataError([Problem("status", "下書きの質問セットだけを公開できます。")])
    problems = questionset_problems(question_set)
    if problems:
        raise QuestionSetDataError(problems)
    question_set.status = QuestionSet.Status.PUBLISHED
    question_set.published_at = timezone.now()
    question_set.save()
    return question_set


@transaction.atomic
def questionset_clone(*, question_set: QuestionSet) -> QuestionSet:
    """A deep, independent draft copy with the next free version number of the same key."""
    data = questionset_to_data(question_set)
    latest = QuestionSet.objects.filter(key=question_set.key).aggregate(v=Max("version"))["v"]
    data["version"] = latest + 1
    data["status"] = QuestionSet.Status.DRAFT
    # A half-finished draft with problems is refused here with the same list publishing would give.
    clone = questionset_from_data(data)
    clone.cloned_from = question_set
    clone.save()
    # The やさしい日本語 sentences are kept beside the questions, not in the file format: copied
    # by question key, or an assessment on the new version would have no plain summary.
    new_questions = dict(clone.questions.values_list("key", "pk"))
    PlainFinding.objects.bulk_create(
        PlainFinding(question_id=new_questions[key], answer_class=answer_class, text=text)
        for key, answer_class, text in PlainFinding.objects.filter(question__question_set=question_set)
        .values_list("question__key", "answer_class", "text")
        if key in new_questions
    )
    return clone


@transaction.atomic
def questionset_retire(*, question_set: QuestionSet) -> QuestionSet:
    question_set = QuestionSet.objects.select_for_update().get(pk=question_set.pk)
    if question_set.status != QuestionSet.Status.PUBLISHED:
        raise QuestionSetDataError([Problem("status", "公開中の質問セットだけを廃止できます。")])
    question_set.status = QuestionSet.Status.RETIRED
    question_set.save()
    return question_set


# --- The letter's details -------------------------------------------------------------------------

LETTER_FIELDS = ("form", "addressed_to", "sender_name", "sender_organisation", "sender_contact", "reply_by")


def letter_honorific(assessment) -> str:
    """How the assessment's letter names its addressee (貴町, 貴教育委員会 …), for the pages that
    list the same questions."""
    from assessments.reports.letter import honorific

    return honorific(assessment.project.municipality, letter_details_of(assessment).addressed_to)


def letter_details_of(assessment) -> LetterDetails:
    """The stored details, or unsaved defaults (a letter to the body the project names as 所管; a
    council member's assessment starts as a council question)."""
    details = LetterDetails.objects.filter(assessment=assessment).first()
    if details is None:
        details = LetterDetails(
            assessment=assessment,
            addressed_to=assessment.project.responsible_body,
            form=LetterDetails.Form.COUNCIL if assessment.standpoint == "council" else LetterDetails.Form.LETTER,
        )
    return details


class StaleLetterDetails(Exception):
    """Someone saved the details after the form was opened; ``current`` is what they saved."""

    def __init__(self, current: LetterDetails):
        super().__init__("stale letter details")
        self.current = current


@transaction.atomic
def letter_details_save(*, assessment, values: dict, base_version: int) -> LetterDetails:
    """Store the letter's details if they are still at ``base_version`` (0: none stored yet);
    otherwise raise StaleLetterDetails and change nothing."""
    details, _created = LetterDetails.objects.select_for_update().get_or_create(
        assessment=assessment, defaults={"addressed_to": assessment.project.responsible_body},
    )
    if details.version != base_version:
        raise StaleLetterDetails(details)
    for name in LETTER_FIELDS:
        setattr(details, name, values[name])
    details.version += 1
    details.full_clean()
    details.save()
    # Printed by both documents, with no new revision: render_ahead renders what changed.
    render_ahead.report_changed(assessment.pk)
    return details
