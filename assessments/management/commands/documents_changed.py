from django.core.management.base import BaseCommand

from assessments.reports import document_stamp


class Command(BaseCommand):
    help = ("Renew the document stamp after changing the database past Django (psql, pg_restore): every app "
            "server then builds each document's HTML again before serving a stored PDF "
            "(assessments/reports/document_stamp.py).")

    def handle(self, *args, **options):
        document_stamp.renew()
        self.stdout.write("Document stamp renewed: the next download of each document is checked against the data.")
