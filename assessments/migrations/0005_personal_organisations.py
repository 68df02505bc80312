"""Assessments made before organisations existed belong to a personal organisation of their owner."""

from django.db import migrations


def forwards(apps, schema_editor):
    Assessment = apps.get_model("assessments", "Assessment")
    Organisation = apps.get_model("assessments", "Organisation")
    Membership = apps.get_model("assessments", "Membership")
    for assessment in Assessment.objects.filter(organisation=None).select_related("owner"):
        organisation, _created = Organisation.objects.get_or_create(name=f"{assessment.owner.username} の評価")
        Membership.objects.get_or_create(organisation=organisation, user=assessment.owner, defaults={"role": "owner"})
        assessment.organisation = organisation
        assessment.save(update_fields=["organisation"])


class Migration(migrations.Migration):
    dependencies = [("assessments", "0004_reviews_and_organisations")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
