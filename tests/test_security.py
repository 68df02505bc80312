"""Security settings (dxpia/settings.py, the middleware): sign-in lockout, the content security
policy on pages and static files, the production deploy check."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse


pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_repeated_failed_sign_ins_lock_the_account(client, bob):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "bob", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "bob", "password": "correct horse battery staple 42"})
    assert response.status_code == 429 and "一時停止" in response.content.decode()


def test_pages_send_a_content_security_policy(client):
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_static_files_send_the_policy_and_nosniff(settings):
    """WhiteNoise answers static files before the rest of the middleware runs; they carry the same
    policy and nosniff as pages (issue 12, item 10)."""
    from django.test import Client

    settings.WHITENOISE_USE_FINDERS = True  # serve dxpia/static/ without collectstatic, as in production
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/js/wizard.js")  # a new client: WhiteNoise reads the settings above
    assert response.status_code == 200 and b"".join(response.streaming_content)
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_settings_pass_the_deploy_check():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DXPIA_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))}
    env.update({"DXPIA_DEBUG": "false", "DXPIA_SECRET_KEY": secrets.token_urlsafe(50),
                "DXPIA_ALLOWED_HOSTS": "dxpia.example.jp", "DJANGO_SETTINGS_MODULE": "dxpia.settings",
                "DXPIA_EMAIL_URL": "smtps://dxpia:secret@mail.example.jp", "DXPIA_DEFAULT_FROM_EMAIL": "dxpia@example.jp"})
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
