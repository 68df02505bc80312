"""A database too busy to answer in time (SQLite's write lock held by others past
DXPIA_SQLITE_TIMEOUT, a PostgreSQL deadlock) is a 503 that says to try again, with Retry-After, and
the background save's JSON that makes wizard.js keep the input and send it again; never a 500, and
nothing stays broken once the lock is gone. Any other database error is still the 500 page."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.test import RequestFactory
from django.utils import translation

from dxpia import error_views

ROOT = Path(__file__).resolve().parent.parent


def handled(request, error):
    """What Django's handler gives for ``error``: it calls the handler inside its except block."""
    try:
        raise error
    except Exception:
        return error_views.server_error(request)


def wrapped(cause):
    """A driver's error as Django raises it: an OperationalError whose cause is the driver's."""
    try:
        try:
            raise cause
        except Exception as error:
            raise OperationalError(str(error)) from error
    except OperationalError as error:
        return error


def test_only_locks_and_deadlocks_count_as_busy():
    assert error_views.database_busy(OperationalError("database is locked"))
    assert error_views.database_busy(OperationalError("database table is locked: assessments_answer"))
    assert error_views.database_busy(wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
    assert error_views.database_busy(wrapped(psycopg.errors.SerializationFailure("could not serialize")))
    assert error_views.database_busy(wrapped(psycopg.errors.LockNotAvailable("could not obtain lock")))
    assert not error_views.database_busy(OperationalError("no such table: assessments_answer"))
    assert not error_views.database_busy(wrapped(psycopg.errors.UndefinedTable("relation does not exist")))
    assert not error_views.database_busy(ValueError("database is locked"))
    assert not error_views.database_busy(None)


@pytest.mark.parametrize(
    "language, heading",
    [("ja", "ただいま混み合っています"), ("en", "The site is busy right now")],
)
def test_a_busy_database_is_a_503_page_in_the_readers_language(language, heading):
    request = RequestFactory().post("/assessments/1/", {"x": "1"})
    request.user = AnonymousUser()
    with translation.override(language):
        response = handled(request, OperationalError("database is locked"))
    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert f'<html lang="{language}">' in page and heading in page
    assert "<link" not in page and "/static/" not in page


def test_a_busy_background_save_answers_json_that_the_page_retries():
    request = RequestFactory().post("/assessments/1/autosave/", '{"question": "x"}', content_type="application/json")
    request.user = AnonymousUser()
    with translation.override("ja"):
        response = handled(request, wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
    assert response.status_code == 503 and response["Retry-After"] == "10"
    answer = json.loads(response.content)
    assert answer["ok"] is False and answer["retry"] is True
    assert "入力は画面に残っています" in answer["error"]


def test_any_other_database_error_is_still_the_server_error_page():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with translation.override("ja"):
        response = handled(request, OperationalError("no such table: assessments_answer"))
    assert response.status_code == 500 and "サーバーで問題が起きました" in response.content.decode()
    assert not response.has_header("Retry-After")


# A real lock on a SQLite file of its own: another connection holds the write lock while someone
# signs in (the sign-in writes last_login and the session). With a 1 s timeout the sign-in gets the
# 503 page, pages that only read still work, and once the lock is released the same sign-in succeeds.
HELD_LOCK = textwrap.dedent(
    """
    import sqlite3, sys
    import django
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)  # Django's handler500 is used only with DEBUG off
    call_command("migrate", verbosity=0)
    User.objects.create_user("hanako", password="kakunin-no-pasuwado-1")
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="ja")
    form = {"username": "hanako", "password": "kakunin-no-pasuwado-1"}
    holder = sqlite3.connect(settings.DATABASES["default"]["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    locked = client.post("/accounts/login/", form)
    print("locked", locked.status_code, locked.get("Retry-After"), "ただいま混み合っています" in locked.content.decode())
    print("read", client.get("/projects/").status_code)
    holder.execute("ROLLBACK")
    again = client.post("/accounts/login/", form)
    print("again", again.status_code, client.get("/accounts/settings/").status_code)
    """
)


@pytest.mark.same_on_every_database
def test_a_sign_in_while_sqlite_is_locked_is_told_to_try_again_and_then_works(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DXPIA_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", HELD_LOCK],
        cwd=ROOT,
        env={
            **environment,
            "DJANGO_SETTINGS_MODULE": "dxpia.settings",
            "DXPIA_SQLITE_TIMEOUT": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'locked.sqlite3'}",
            "DXPIA_CACHE_DIR": str(tmp_path / "cache"),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["locked 503 10 True", "read 200", "again 302 200"], result.stderr
