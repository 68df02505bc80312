"""A personal organisation belongs to its user by a key, not by its name.

Until now a personal organisation was found by its name "<username> の評価" (see 0005 and
``reviewing.personal_organisation``), so a later user with a reused user name took over an earlier
user's organisation. Existing personal organisations are linked to their user only where that is
unambiguous: the name is exactly the one the old code made for that user's *current* user name and
that user is its only owner member. Every other organisation stays unlinked (an ordinary
organisation); its user, if any, gets a new personal organisation when one is next needed.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SUFFIX = " の評価"


def link_personal_organisations(apps, schema_editor):
    Organisation = apps.get_model("assessments", "Organisation")
    Membership = apps.get_model("assessments", "Membership")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    username_field = getattr(User, "USERNAME_FIELD", "username")
    for organisation in Organisation.objects.filter(personal_for=None, name__endswith=SUFFIX).order_by("pk"):
        owners = list(
            Membership.objects.filter(organisation=organisation, role="owner").values_list("user_id", flat=True)
        )
        if len(owners) != 1:
            continue
        user = User.objects.filter(pk=owners[0]).first()
        # Exact comparison in Python: a database may compare names case-insensitively.
        if user is None or f"{getattr(user, username_field)}{SUFFIX}" != organisation.name:
            continue
        if Organisation.objects.filter(personal_for=user).exists():
            continue
        organisation.personal_for = user
        organisation.save(update_fields=["personal_for"])


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("assessments", "0008_answer_part_versions_plausible_ranges"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="personal_for",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="personal_organisation",
                to=settings.AUTH_USER_MODEL,
                verbose_name="個人の団体の本人",
            ),
        ),
        migrations.RunPython(link_personal_organisations, migrations.RunPython.noop),
    ]
