from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessments.demo import create_demo_assessment


class Command(BaseCommand):
    help = "Create the demonstration assessment of 美里町 こどもデータ連携実証事業 and print its id."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="owner (an existing username); default: a user 'demo' without password")

    def handle(self, *args, user=None, **options):
        owner = None
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"ユーザー {user} はいません。")
        assessment = create_demo_assessment(user=owner)
        self.stdout.write(str(assessment.pk))
