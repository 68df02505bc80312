from django.db import migrations, models


def count_stored_content(apps, schema_editor):
    """Every assessment's content_size from its stored answers, by answer_saving's own rule."""
    from assessments.answer_saving import EVIDENCE_FIELDS, ROW_FIELDS, content_size

    Assessment = apps.get_model("assessments", "Assessment")
    Answer = apps.get_model("assessments", "Answer")
    for assessment_id in Assessment.objects.values_list("pk", flat=True).iterator():
        size = 0
        for answer in Answer.objects.filter(assessment_id=assessment_id).prefetch_related("evidence", "inventory_rows"):
            size += content_size("value", answer.value) + content_size("note", answer.note)
            size += content_size("evidence", [{f: getattr(e, f) for f in EVIDENCE_FIELDS} for e in answer.evidence.all()])
            size += content_size("rows", [{f: getattr(r, f) for f in ROW_FIELDS} for r in answer.inventory_rows.all()])
        Assessment.objects.filter(pk=assessment_id).update(content_size=size)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0010_project_ranges")]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="content_size",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="記録量（字）"),
        ),
        migrations.RunPython(count_stored_content, migrations.RunPython.noop),
    ]
