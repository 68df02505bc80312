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


def test_production_refuses_to_start_without_a_secret_key():
    result = start_django(DXPIA_DEBUG="false", DXPIA_ALLOWED_HOSTS="dxpia.example.jp")
    assert result.returncode != 0
    assert "DXPIA_SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_secret_key_and_hosts():
    result = start_django(
        DXPIA_DEBUG="false", DXPIA_SECRET_KEY="x" * 50, DXPIA_ALLOWED_HOSTS="dxpia.example.jp"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_bad_debug_value_stops_start_up():
    result = start_django(DXPIA_DEBUG="sometimes")
    assert result.returncode != 0
    assert "DXPIA_DEBUG" in result.stderr
