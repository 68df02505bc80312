"""Writes: every change that touches more than one row goes through here, in one transaction."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assessments.models import QuestionSet
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
    return clone


@transaction.atomic
def questionset_retire(*, question_set: QuestionSet) -> QuestionSet:
    question_set = QuestionSet.objects.select_for_update().get(pk=question_set.pk)
    if question_set.status != QuestionSet.Status.PUBLISHED:
        raise QuestionSetDataError([Problem("status", "公開中の質問セットだけを廃止できます。")])
    question_set.status = QuestionSet.Status.RETIRED
    question_set.save()
    return question_set
