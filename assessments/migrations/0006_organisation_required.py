import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_personal_organisations")]
    operations = [
        migrations.AlterField(
            model_name="assessment",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assessments",
                to="assessments.organisation",
                verbose_name="団体",
            ),
        ),
    ]
