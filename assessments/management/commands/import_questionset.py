from django.core.management.base import BaseCommand, CommandError

from assessments.questionset_io import QuestionSetDataError, questionset_from_data, read_questionset_file


class Command(BaseCommand):
    help = "Create a question set from a JSON file; a file with any problem is refused and nothing is written."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            question_set = questionset_from_data(read_questionset_file(file))
        except QuestionSetDataError as exc:
            raise CommandError(f"{file} を読み込めません（何も書き込んでいません）:\n{exc}") from None
        self.stdout.write(f"{question_set}（{question_set.get_status_display()}）を読み込みました。")
