"""The one place that decides who may see or change an assessment.

Every view that touches an assessment gets it through ``get_assessment_for_user``; lists use
``assessments_visible_to``. Today an assessment is its owner's alone; outsiders get 404 so that the
existence of somebody else's assessment is not revealed.
"""

from django.http import Http404

from assessments.models import Assessment


def assessments_visible_to(user):
    if not user.is_authenticated:
        return Assessment.objects.none()
    return Assessment.objects.filter(owner=user)


def get_assessment_for_user(user, pk, *, write: bool = False) -> Assessment:
    """The assessment ``pk`` if ``user`` may see it (and change it, with ``write``), else 404."""
    try:
        return (
            assessments_visible_to(user)
            .select_related("project__municipality", "question_set", "owner")
            .get(pk=pk)
        )
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
