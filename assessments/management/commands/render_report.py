from pathlib import Path

from django.core.management.base import BaseCommand

from assessments.management.commands._documents import assessment_or_error
from assessments.reports import render


class Command(BaseCommand):
    help = "Write an assessment's PDF report (for batch use; no access check: run by an operator)."

    def add_arguments(self, parser):
        parser.add_argument("assessment_id", type=int)
        parser.add_argument("-o", "--output", required=True, help="the PDF file to write")

    def handle(self, *args, assessment_id, output, **options):
        assessment = assessment_or_error(assessment_id)
        Path(output).write_bytes(render.report_pdf(assessment))
        self.stdout.write(f"{output} に評価報告書を書き出しました。")
