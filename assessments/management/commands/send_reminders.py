"""E-mail the editors of assessments about everything due, each reminder once: requests to a
municipality due within a week or overdue (as send_request_reminders), actions of the plan due within
a week or overdue, and assessments whose review date has come. Run daily (README: cron or a systemd
timer)."""

from django.core.management.base import BaseCommand

from assessments.management.commands.send_request_reminders import reminder_day
from assessments.plan_reminders import send_plan_reminders
from assessments.request_reminders import send_reminders as send_request_reminders


class Command(BaseCommand):
    help = ("期限が近い・過ぎた質問・請求と対応計画の項目、見直しの日が来た評価を、評価の編集者にメールで知らせます"
            "（それぞれ1回）。毎日1回実行してください。")

    def add_arguments(self, parser):
        parser.add_argument("--today", help="この日として数える（YYYY-MM-DD、確認用）。省略時は今日（日本時間）。")
        parser.add_argument("--dry-run", action="store_true", help="送らずに、送る件数だけ表示する。")

    def handle(self, *args, today=None, dry_run=False, **options):
        day = reminder_day(today)
        verb = "would send" if dry_run else "sent"
        total_reminders = total_emails = 0
        for label, send in (("requests", send_request_reminders), ("plan and reviews", send_plan_reminders)):
            outcome = send(day, dry_run=dry_run)
            total_reminders += outcome.reminders
            total_emails += outcome.emails
            self.stdout.write(f"{day.isoformat()}: {label}: {verb} {outcome.reminders} reminders in {outcome.emails} e-mails")
        self.stdout.write(f"{day.isoformat()}: {verb} {total_reminders} reminders in {total_emails} e-mails")
