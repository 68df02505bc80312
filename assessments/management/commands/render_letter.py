from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.management.commands._documents import assessment_or_error
from assessments.reports import render


class Command(BaseCommand):
    help = "Write an assessment's question letter as PDF or, for a .txt file, as plain text."

    def add_arguments(self, parser):
        parser.add_argument("assessment_id", type=int)
        parser.add_argument("-o", "--output", required=True, help="FILE.pdf or FILE.txt")

    def handle(self, *args, assessment_id, output, **options):
        assessment = assessment_or_error(assessment_id)
        if output.lower().endswith(".txt"):
            Path(output).write_text(render.letter_text(assessment), encoding="utf-8")
        elif output.lower().endswith(".pdf"):
            Path(output).write_bytes(render.letter_pdf(assessment))
        else:
            raise CommandError("出力ファイルは .pdf か .txt にしてください。")
        self.stdout.write(f"{output} に質問書を書き出しました。")
