import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.models import QuestionSet
from assessments.questionset_io import dump_questionset


class Command(BaseCommand):
    help = "Write a question set as JSON (the format of docs/questionset-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("key")
        parser.add_argument("version", type=int)
        parser.add_argument("-o", "--output", help="file to write; standard output when omitted")

    def handle(self, *args, key, version, output, **options):
        question_set = QuestionSet.objects.filter(key=key, version=version).first()
        if question_set is None:
            raise CommandError(f"質問セット {key} v{version} はありません。")
        text = dump_questionset(question_set)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"{question_set} を {output} に書き出しました。")
        else:
            sys.stdout.write(text)
