"""E-mail the editors of assessments whose requests to a municipality are due within a week or are
overdue, each reminder once. Run daily (README: cron or a systemd timer)."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assessments.request_reminders import send_reminders


def reminder_day(today: str | None) -> datetime.date:
    """The day a reminder run counts as today (``--today``, else today in Japan); checks that the
    site's address is known, which every reminder links to. Shared with send_reminders."""
    if not settings.SITE_URL:
        raise CommandError("DXPIA_SITE_URL is not set: the reminders link to pages on this site.")
    if today:
        try:
            return datetime.date.fromisoformat(today)
        except ValueError:
            raise CommandError(f"--today must be a date like 2026-05-20, not {today!r}") from None
    return timezone.localdate()


class Command(BaseCommand):
    help = "期限が1週間以内の質問・請求と、期限を過ぎた質問・請求を、評価の編集者にメールで知らせます（各1回）。"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="この日として数える（YYYY-MM-DD、確認用）。省略時は今日（日本時間）。")
        parser.add_argument("--dry-run", action="store_true", help="送らずに、送る件数だけ表示する。")

    def handle(self, *args, today=None, dry_run=False, **options):
        day = reminder_day(today)
        outcome = send_reminders(day, dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        self.stdout.write(f"{day.isoformat()}: {verb} {outcome.reminders} reminders in {outcome.emails} e-mails")
