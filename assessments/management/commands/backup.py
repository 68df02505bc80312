from django.core.management.base import BaseCommand, CommandError

from assessments import backup


class Command(BaseCommand):
    help = ("Back up the database (PostgreSQL: pg_dump -Fc; SQLite: the online backup API) and the rendered-document "
            "folder into FOLDER (created; must be empty). See assessments/backup.py and the README.")

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--no-documents", action="store_true",
                            help="leave out the rendered-document folder (PDFs are rendered again when asked for)")

    def handle(self, *args, folder, no_documents=False, **options):
        try:
            manifest = backup.backup(folder, documents=not no_documents)
        except (backup.BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{folder}: {manifest['database']}, {sum(manifest['rows'].values())} rows in "
                          f"{len(manifest['rows'])} tables, documents {'included' if manifest['documents'] else 'left out'}")
