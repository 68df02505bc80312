import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the local administrator if there is none. The password comes from DXPIA_ADMIN_PASSWORD, "
        "or is generated and printed once. Running it again changes nothing."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("DXPIA_ADMIN_USER") or "admin"
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"管理者 {username} は作成済みです（パスワードの変更: python manage.py changepassword {username}）。")
            return
        password = os.environ.get("DXPIA_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        if os.environ.get("DXPIA_ADMIN_PASSWORD"):
            self.stdout.write(f"管理者 {username} を作成しました（パスワードは DXPIA_ADMIN_PASSWORD）。")
        else:
            self.stdout.write(self.style.SUCCESS(f"管理者を作成しました。ユーザー名: {username}  パスワード: {password}"))
            self.stdout.write("このパスワードは一度だけ表示されます。控えてください。")
