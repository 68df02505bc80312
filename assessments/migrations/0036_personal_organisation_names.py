"""Personal organisations were named "<login name> の評価", and that name was shown to reviewers and
published in the open data (export.json, assessments.csv/.xlsx), though the login name is shown to
nobody. Each is renamed as reviewing.personal_organisation_name names new ones."""

import uuid

from django.db import migrations


def rename(apps, schema_editor):
    Organisation = apps.get_model("assessments", "Organisation")
    taken = set(Organisation.objects.values_list("name", flat=True))
    for organisation in Organisation.objects.filter(personal_for__isnull=False).order_by("pk"):
        name = organisation.name
        while name == organisation.name or name in taken:
            name = f"個人の評価（{uuid.uuid4().hex[:8]}）"  # as reviewing.personal_organisation_name
        taken.add(name)
        Organisation.objects.filter(pk=organisation.pk).update(name=name)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0035_question_set_verbose_names")]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
