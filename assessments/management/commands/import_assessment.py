import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessments.exchange import AssessmentFileError, assessment_from_data
from assessments.models import Organisation

# The largest assessment (answer_saving.CONTENT_BUDGET, 300,000 characters of at most 3 bytes each,
# plus the JSON around them) stays far below this; anything larger is refused before it is read.
MAX_FILE_BYTES = 5_000_000


class Command(BaseCommand):
    help = "Create an assessment (draft) from a file written by the JSON export; prints the new id."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="the owner (an existing username)")
        parser.add_argument("--organisation", help="an existing organisation's name; default: the user's own")

    def handle(self, *args, file, user, organisation=None, **options):
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"ユーザー {user} はいません。")
        group = None
        if organisation:
            group = Organisation.objects.filter(name=organisation).first()
            if group is None:
                raise CommandError(f"団体 {organisation} はありません。")
        try:
            if Path(file).stat().st_size > MAX_FILE_BYTES:
                raise AssessmentFileError(f"ファイルが大きすぎます（{MAX_FILE_BYTES:,} バイトまで）。")
            data = json.loads(Path(file).read_text(encoding="utf-8"))
            assessment = assessment_from_data(data, user=owner, organisation=group)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AssessmentFileError, KeyError) as error:
            raise CommandError(f"{file} を読み込めません（何も書き込んでいません）: {error}") from None
        self.stdout.write(str(assessment.pk))
