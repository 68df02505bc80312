from django.core.management.base import BaseCommand, CommandError

from assessments import backup


class Command(BaseCommand):
    help = ("Restore a backup made by `manage.py backup` into the configured database (replacing what it holds) and "
            "the rendered-document folder, then compare the rows restored with the backup's manifest.")

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                            help="do not ask for confirmation")
        parser.add_argument("--no-documents", action="store_true", help="leave the rendered-document folder as it is")

    def handle(self, *args, folder, interactive=True, no_documents=False, **options):
        try:
            manifest = backup.read_manifest(folder)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        if interactive:
            answer = input(f"Replace everything in {backup.target_description()} with the backup of "
                           f"{manifest['made_at']}? Type 'yes' to continue: ")
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        try:
            differences = backup.restore(folder, documents=not no_documents)
        except (backup.BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        if differences:
            raise CommandError("Restored, but the rows differ from the backup's:\n" + "\n".join(differences))
        self.stdout.write(f"{folder}: restored {sum(manifest['rows'].values())} rows in {len(manifest['rows'])} tables, "
                          "the same as backed up")
