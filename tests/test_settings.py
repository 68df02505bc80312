"""Settings read the environment strictly: a bad value stops start-up with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from dxpia import settings

ROOT = Path(__file__).resolve().parent.parent


def start_django(**env):
    """Import the settings in a fresh interpreter, as `manage.py` would, and return the result."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DXPIA_", "DATABASE_URL"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "dxpia.settings"},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("Off", False), ("no", False)])
def test_envbool_reads_common_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("DXPIA_TEST_FLAG", value)
    assert settings.envbool("DXPIA_TEST_FLAG", not expected) is expected


def test_envbool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("DXPIA_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DXPIA_TEST_FLAG"):
        settings.envbool("DXPIA_TEST_FLAG", True)


def test_envint_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("DXPIA_TEST_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="DXPIA_TEST_NUMBER"):
        settings.envint("DXPIA_TEST_NUMBER", 1)


def test_envlist_refuses_empty_items(monkeypatch):
    monkeypatch.setenv("DXPIA_TEST_LIST", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured):
        settings.envlist("DXPIA_TEST_LIST", [])
    monkeypatch.setenv("DXPIA_TEST_LIST", "a.example, b.example")
    assert settings.envlist("DXPIA_TEST_LIST", []) == ["a.example", "b.example"]


def test_database_url_must_be_sqlite_or_postgres(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://u@h/db")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        settings.envdatabase("DATABASE_URL", "sqlite:///x")


def test_database_url_selects_postgres(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://dx:secret@db.internal:5433/dxpia")
    config = settings.envdatabase("DATABASE_URL", "sqlite:///x")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "dxpia")


def test_persistent_connections_are_checked_before_reuse(monkeypatch):
    monkeypatch.delenv("DXPIA_DB_CONN_MAX_AGE", raising=False)
    config = settings.envdatabase("DATABASE_URL", "postgres://dx@db.internal/dxpia")
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (0, False)  # one connection per request
    monkeypatch.setenv("DXPIA_DB_CONN_MAX_AGE", "60")  # as `dev.sh serve` runs gunicorn
    config = settings.envdatabase("DATABASE_URL", "postgres://dx@db.internal/dxpia")
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)


def test_production_refuses_to_start_without_a_secret_key():
    result = start_django(DXPIA_DEBUG="false", DXPIA_ALLOWED_HOSTS="dxpia.example.jp")
    assert result.returncode != 0
    assert "DXPIA_SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_secret_key_and_hosts():
    result = start_django(
        DXPIA_DEBUG="false", DXPIA_SECRET_KEY="x" * 50, DXPIA_ALLOWED_HOSTS="dxpia.example.jp",
        DXPIA_EMAIL_URL="smtp://dxpia:secret@mail.example.jp:587?tls=true", DXPIA_DEFAULT_FROM_EMAIL="dxpia@example.jp",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_bad_debug_value_stops_start_up():
    result = start_django(DXPIA_DEBUG="sometimes")
    assert result.returncode != 0
    assert "DXPIA_DEBUG" in result.stderr


def test_sqlite_takes_the_write_lock_at_begin_and_waits_for_locks(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/dxpia-unused.sqlite3")
    options = settings.envdatabase("DATABASE_URL", "sqlite:///x")["OPTIONS"]
    assert options["timeout"] == 20
    assert options["transaction_mode"] == "IMMEDIATE"
    assert [command.strip() for command in options["init_command"].split(";") if command.strip()] == [
        "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=20000",
    ]


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_sqlite_timeout_below_a_second_or_not_a_number_stops_start_up(value):
    result = start_django(DXPIA_SQLITE_TIMEOUT=value)
    assert result.returncode != 0 and "DXPIA_SQLITE_TIMEOUT" in result.stderr


def test_postgres_gets_no_sqlite_options(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://dx@db.internal/dxpia")
    assert "transaction_mode" not in settings.envdatabase("DATABASE_URL", "sqlite:///x").get("OPTIONS", {})


def test_an_sqlite_file_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    """What a connection made from the settings really runs with (journal mode is kept in the file)."""
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    print(*(c.execute(f'PRAGMA {name}').fetchone()[0] for name in ('journal_mode', 'synchronous', 'busy_timeout')))\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DXPIA_", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "dxpia.settings",
             "DATABASE_URL": f"sqlite:///{tmp_path / 'wal.sqlite3'}", "DXPIA_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "1", "20000"]  # synchronous 1 is NORMAL


def test_dxpia_var_dir_holds_the_database_the_static_files_and_the_cache(tmp_path):
    """What dxpia writes by default follows DXPIA_VAR_DIR (an installed wheel has no var/ of its own);
    the folder is made, since SQLite makes the file but not its folder."""
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.DATABASES['default']['NAME'], settings.STATIC_ROOT, settings.CACHE_DIR)\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DXPIA_", "DATABASE_URL"))}
    var = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "dxpia.settings", "DXPIA_VAR_DIR": str(var)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(var / "dxpia.sqlite3"), str(var / "static"), str(var / "cache")]
    assert var.is_dir()


def test_the_in_memory_test_database_accepts_the_sqlite_options(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the suite runs on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "memory"  # WAL does not apply to an in-memory database
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
    assert connection.transaction_mode == "IMMEDIATE"


def test_production_refuses_a_wildcard_host():
    result = start_django(DXPIA_DEBUG="false", DXPIA_SECRET_KEY="x" * 50, DXPIA_ALLOWED_HOSTS="*")
    assert result.returncode != 0
    assert "DXPIA_ALLOWED_HOSTS must name the hosts" in result.stderr


# --- E-mail ------------------------------------------------------------------------------------------


def test_email_url_smtp_with_starttls():
    config = settings.parse_email_url("smtp://dxpia%40example.jp:p%40ss%3Aword@mail.example.jp:587?tls=true")
    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.jp",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "dxpia@example.jp",
        "EMAIL_HOST_PASSWORD": "p@ss:word",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 30,
    }


def test_email_url_smtps_is_implicit_tls_on_465():
    config = settings.parse_email_url("smtps://u:p@mail.example.jp?timeout=10")
    assert (config["EMAIL_PORT"], config["EMAIL_USE_SSL"], config["EMAIL_USE_TLS"], config["EMAIL_TIMEOUT"]) == (465, True, False, 10)


def test_email_url_console_and_locmem():
    assert settings.parse_email_url("console://") == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    assert settings.parse_email_url("locmem://") == {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}


@pytest.mark.parametrize("url", [
    "http://mail.example.jp",  # unknown scheme
    "mail.example.jp:587",
    "smtp://",  # no host
    "smtp://mail.example.jp:notaport",
    "smtp://mail.example.jp:587?tls=maybe",
    "smtp://mail.example.jp:587?tsl=true",  # misspelt option
    "smtps://mail.example.jp?tls=true",  # both kinds of TLS
    "smtp://mail.example.jp?timeout=0",
    "smtp://mail.example.jp?timeout=soon",
    "smtp://mail.example.jp?tls=true&tls=false",
    "smtp://mail.example.jp/inbox",
    "console://mail.example.jp",
    "locmem://?x=1",
])
def test_email_url_refuses_what_it_cannot_understand(url):
    with pytest.raises(ImproperlyConfigured, match="DXPIA_EMAIL_URL"):
        settings.parse_email_url(url)


def test_email_settings_default_to_the_console_only_while_debugging():
    assert settings.email_settings(None, debug=True)["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert settings.email_settings("  ", debug=True)["EMAIL_BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(ImproperlyConfigured, match="DXPIA_EMAIL_URL must be set"):
        settings.email_settings(None, debug=False)
    assert settings.email_settings("locmem://", debug=False)["EMAIL_BACKEND"].endswith("locmem.EmailBackend")


def test_production_refuses_to_start_without_an_email_url():
    result = start_django(DXPIA_DEBUG="false", DXPIA_SECRET_KEY="x" * 50, DXPIA_ALLOWED_HOSTS="dxpia.example.jp",
                          DXPIA_DEFAULT_FROM_EMAIL="dxpia@example.jp")
    assert result.returncode != 0
    assert "DXPIA_EMAIL_URL must be set" in result.stderr


def test_a_bad_email_url_stops_start_up():
    result = start_django(DXPIA_EMAIL_URL="smtp://mail.example.jp?tls=perhaps")
    assert result.returncode != 0
    assert "tls must be true or false" in result.stderr


def test_rendered_documents_default_to_a_folder_in_the_cache_and_tasks_to_the_database(monkeypatch):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DXPIA_", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, "-c", "from dxpia import settings as s; print(s.STORAGES['documents']); "
                               "print(s.TASKS['default']['BACKEND']); print(s.RENDER_AHEAD, s.RENDER_AHEAD_SECONDS)"],
        cwd=ROOT, env={**environment, "DXPIA_CACHE_DIR": "/tmp/dxpia-cache-x"}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    storage, backend, ahead = result.stdout.splitlines()
    assert "FileSystemStorage" in storage and "/tmp/dxpia-cache-x/documents" in storage
    assert backend == "django_tasks_db.DatabaseBackend"
    assert ahead == "True 30"


def test_the_documents_storage_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv("DXPIA_DOCUMENTS_STORAGE", "storages.backends.s3.S3Storage")
    monkeypatch.setenv("DXPIA_DOCUMENTS_OPTIONS", '{"bucket_name": "dxpia-documents"}')
    assert settings.envstorage("DXPIA_DOCUMENTS_STORAGE", "DXPIA_DOCUMENTS_OPTIONS", {}) == {
        "BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "dxpia-documents"}}


@pytest.mark.parametrize("backend, options", [("", '{"a": 1}'), ("S3Storage", ""), ("a.B", "[1]"), ("a.B", "{nope")])
def test_a_documents_storage_that_cannot_be_understood_stops_start_up(monkeypatch, backend, options):
    monkeypatch.setenv("DXPIA_DOCUMENTS_STORAGE", backend)
    monkeypatch.setenv("DXPIA_DOCUMENTS_OPTIONS", options)
    with pytest.raises(ImproperlyConfigured, match="DXPIA_DOCUMENTS_"):
        settings.envstorage("DXPIA_DOCUMENTS_STORAGE", "DXPIA_DOCUMENTS_OPTIONS", {})


def test_a_negative_settle_delay_stops_start_up():
    result = start_django(DXPIA_RENDER_AHEAD_SECONDS="-1")
    assert result.returncode != 0 and "DXPIA_RENDER_AHEAD_SECONDS" in result.stderr


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits 1 on a missing one
