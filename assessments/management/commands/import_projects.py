from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.formatting import thousand_yen
from assessments.project_import import ProjectImportError, import_projects, parse_projects_csv


class Command(BaseCommand):
    help = "Import projects from a CSV file (columns in the README); any bad row stops the whole import."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="show what would be created and stop")

    def handle(self, *args, file, dry_run=False, **options):
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file} を読めません: {error}") from None
        rows, errors = parse_projects_csv(text)
        for row in rows:
            project = row.project
            self.stdout.write(f"{row.line}行目: {project.municipality.name} {project.title}"
                              f"（{thousand_yen(project.amount_thousand_yen)}）")
        if errors:
            raise CommandError(f"{len(errors)}件の問題があるため、何も読み込んでいません。\n{_details(errors)}")
        if dry_run:
            self.stdout.write(f"{len(rows)}件を作成できます（--dry-run のため作成していません）。")
            return
        try:
            created = import_projects(rows)
        except ProjectImportError as error:
            raise CommandError(f"何も読み込んでいません。\n{_details(error.problems)}") from None
        self.stdout.write(f"{len(created)}件の事業を作成しました。")


def _details(problems) -> str:
    return "\n".join(f"{line}行目: {reason}" if line else reason for line, reason in problems)
