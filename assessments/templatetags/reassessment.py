"""Template helpers of the re-assessment (再評価): the 「前回の回答」 marks and the comparison's words."""

from django import template

from assessments import reassessment, selectors
from assessments.access import EDIT
from assessments.models import Assessment

register = template.Library()


def _carried(workspace, question) -> bool:
    answer = workspace.answers.get(question.key)
    return answer is not None and answer.carried


@register.filter
def carried_answer(workspace, question) -> bool:
    """Whether ``question``'s answer is a 「前回の回答」 not yet confirmed."""
    return _carried(workspace, question)


@register.filter
def carried_questions(workspace) -> list:
    """The shown questions whose answers are 「前回の回答」 not yet confirmed, in order."""
    return [q for q in workspace.questions if q.key in workspace.result.visible and _carried(workspace, q)]


@register.filter
def carried_in_section(workspace, section) -> list:
    return [q for q in section.questions.all() if q.key in workspace.result.visible and _carried(workspace, q)]


@register.filter
def offer_reassessment(assessment: Assessment) -> bool:
    """Whether the summary offers 「再評価を始める」: to those who may start one
    (access.get_assessment_to_reassess), once the assessment is approved or published, or at any
    time when a newer question set has been published since it was started."""
    if EDIT not in getattr(assessment, "rights", ()) and assessment.status != Assessment.Status.PUBLISHED:
        return False
    if assessment.status in (Assessment.Status.APPROVED, Assessment.Status.PUBLISHED):
        return True
    latest = selectors.default_questionset()
    return latest is not None and latest.pk != assessment.question_set_id


@register.filter
def change_reason(change) -> str:
    """Why a question's answer was not carried over (changes.MeaningChange), in words."""
    return reassessment.change_text(change) if change else ""
