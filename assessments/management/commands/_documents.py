"""Shared by render_report and render_letter."""

from django.core.management.base import CommandError

from assessments import selectors
from assessments.models import Assessment


def assessment_or_error(assessment_id: int) -> Assessment:
    # An operator's batch command: no per-user access check, like the Django admin for staff.
    assessment = selectors.assessments_with_relations().filter(pk=assessment_id).first()
    if assessment is None:
        raise CommandError(f"評価 {assessment_id} はありません。")
    return assessment
