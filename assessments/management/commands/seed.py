from django.core.management.base import BaseCommand, CommandError

from assessments.questionset_io import QuestionSetDataError
from assessments.seed import DisclosureLimitsError, seed_all


class Command(BaseCommand):
    help = "Load municipalities, the project catalogue and the question sets from dxpia/fixtures/ (idempotent)."

    def handle(self, *args, **options):
        try:
            report = seed_all()
        except QuestionSetDataError as exc:
            raise CommandError(f"質問セットを読み込めません:\n{exc}") from None
        except DisclosureLimitsError as exc:
            raise CommandError(f"dxpia/fixtures/disclosure_limits.tsv を読み込めません: {exc}") from None
        for label, counts in (("作成", report.created), ("更新", report.updated)):
            for name, number in sorted(counts.items()):
                self.stdout.write(f"{label}: {name} {number}")
        if not report.created and not report.updated:
            self.stdout.write("変更なし（すべて読み込み済み）")
        for note in report.notes:
            self.stderr.write(self.style.WARNING(note))
