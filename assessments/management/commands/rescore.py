from django.core.management.base import BaseCommand

from assessments.answer_saving import store_overall_result
from assessments.models import Assessment


class Command(BaseCommand):
    help = ("Recompute every assessment's stored overall result (lists, dashboard, comparison, exports) "
            "after a change to the scoring rules. Answers, revisions and reports are not touched.")

    def handle(self, *args, **options):
        changed = 0
        for assessment in Assessment.objects.select_related("question_set").iterator():
            before = (assessment.overall_percent, assessment.overall_level, assessment.result_summary)
            store_overall_result(assessment)
            after = Assessment.objects.filter(pk=assessment.pk).values_list(
                "overall_percent", "overall_level", "result_summary").get()
            changed += before != after
        self.stdout.write(f"再計算: {changed}件の評価の総合結果が変わりました")
