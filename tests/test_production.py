"""Production: the health check (/healthz), the request and render logs, and the real stack —
gunicorn with dxpia/gunicorn_conf.py, DEBUG off, static files collected and served by WhiteNoise."""

import json
import logging
import os
import secrets
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from assessments import health, render_ahead
from assessments.reports import render
from bench import concurrent_saves as bench
from dxpia import gunicorn_conf
from dxpia.log import KeyValueFormatter, key_value_line

ROOT = Path(__file__).resolve().parent.parent


def _worker_seen(monkeypatch, last_seen):
    """The report worker last seen at ``last_seen`` (None: never)."""
    monkeypatch.setattr(render_ahead, "worker_last_seen", lambda: last_seen)


@pytest.fixture
def no_worker(settings):
    """An installation that does not render ahead (DXPIA_RENDER_AHEAD=false): no worker to check."""
    settings.RENDER_AHEAD = False


# --- /healthz ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_is_200_on_a_migrated_database_without_signing_in(client, no_worker, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "storage": "ok", "worker": "not configured", "fonts": "ok"},
    }


@pytest.mark.django_db
def test_healthz_is_503_naming_storage_when_the_documents_storage_cannot_be_written(client, no_worker, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocker / "documents")}}}
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["storage"].startswith("fail: ")
    assert body["checks"]["database"] == body["checks"]["migrations"] == "ok"
    assert str(tmp_path) not in response.content.decode()  # no paths in the output


@pytest.mark.django_db
def test_healthz_writes_and_removes_a_file_in_the_documents_storage(client, no_worker, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    assert client.get("/healthz").status_code == 200
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


@pytest.mark.django_db
def test_healthz_is_degraded_but_200_when_the_worker_is_stale_and_ok_when_seen_lately(client, monkeypatch, settings):
    """The worker is shared by every app server: its failure is reported, but no server leaves the
    load balancer for it (each can still render in the request)."""
    settings.RENDER_AHEAD = True
    settings.WORKER_STALE_MINUTES = 10
    _worker_seen(monkeypatch, timezone.now() - timedelta(minutes=11))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"] == "fail: last seen 11 min ago"

    _worker_seen(monkeypatch, timezone.now() - timedelta(minutes=2))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {
        "database": "ok", "migrations": "ok", "storage": "ok", "worker": "ok", "fonts": "ok"}}

    _worker_seen(monkeypatch, None)
    assert client.get("/healthz").json()["checks"]["worker"] == "fail: never seen"


@pytest.mark.django_db
def test_healthz_is_503_when_the_server_fails_even_if_only_the_worker_is_well(client, monkeypatch, settings):
    settings.RENDER_AHEAD = True
    _worker_seen(monkeypatch, timezone.now())
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("m", False)])
    response = client.get("/healthz")
    assert (response.status_code, response.json()["status"]) == (503, "fail")


@pytest.mark.django_db
def test_healthz_is_503_not_500_when_a_check_raises(client, no_worker, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail postgres://user:password@db")

    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "fail: RuntimeError"
    assert "password" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_counts_unapplied_migrations(client, no_worker, monkeypatch):
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("m", False)] * 2)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "fail: 2 unapplied"


# --- Fonts ------------------------------------------------------------------------------------------


@pytest.fixture
def a_font_missing(monkeypatch):
    """The documents name a font fontconfig does not have (as on a server without Debian's IPAex fonts)."""
    from assessments.reports import engine

    engine.missing_fonts.cache_clear()
    monkeypatch.setattr(engine, "DOCUMENT_FONTS", (*engine.DOCUMENT_FONTS, "No Such Font dxpia"))
    yield
    monkeypatch.undo()
    engine.missing_fonts.cache_clear()


def test_the_document_fonts_are_installed():
    from assessments.reports import engine

    engine.missing_fonts.cache_clear()
    assert engine.missing_fonts() == ()


@pytest.mark.django_db
def test_without_the_fonts_no_document_is_made_and_check_health_and_downloads_say_so(a_font_missing, bob, assessment, client):
    from django.core import checks
    from django.urls import reverse

    from assessments.reports import engine

    assert engine.missing_fonts() == ("No Such Font dxpia",)
    with pytest.raises(engine.MissingFonts):
        engine.html_to_pdf("<p>日本語</p>")
    assert "dxpia.W001" in [message.id for message in checks.run_checks()]  # said by every command
    client.force_login(bob)
    page = client.get(reverse("report_pdf", args=[assessment.pk]))
    assert page.status_code == 503 and "日本語のフォントがありません" in page.content.decode()
    health_page = client.get("/healthz")
    assert health_page.status_code == 503 and health_page.json()["checks"]["fonts"] == "fail: missing No Such Font dxpia"
    engine.missing_fonts.cache_clear()
    engine.DOCUMENT_FONTS = engine.DOCUMENT_FONTS[:-1]  # installed: the same download is a PDF
    assert client.get(reverse("report_pdf", args=[assessment.pk])).content.startswith(b"%PDF")


# --- Logs -------------------------------------------------------------------------------------------


def _records(caplog, name):
    return [record for record in caplog.records if record.name == name]


@pytest.mark.django_db
def test_each_request_logs_one_line_with_status_duration_and_user(client, bob, caplog):
    caplog.set_level(logging.INFO, logger="dxpia")
    client.get("/projects/?q=山田太郎")
    client.force_login(bob)
    client.get("/no-such-page/")
    first, second = _records(caplog, "dxpia.request")
    assert first.fields["method"] == "GET" and first.fields["path"] == "/projects/"
    assert first.fields["status"] == 200 and first.fields["user"] == "-"
    assert 0 < first.fields["duration_ms"] < 60_000
    assert second.fields["status"] == 404 and second.fields["user"] == bob.pk
    line = KeyValueFormatter().format(first)
    assert "logger=dxpia.request event=request method=GET path=/projects/ status=200 duration_ms=" in line
    assert line.endswith(" user=-") and "山田" not in line  # the query string is never logged


def test_a_log_value_cannot_break_the_line_or_forge_a_field():
    line = key_value_line({"path": "/a b\nstatus=200", "user": None, "status": 404, "duration_ms": 12.345})
    assert line == 'path="/a b\\nstatus=200" user=- status=404 duration_ms=12.3'
    assert "\n" not in line


@pytest.mark.django_db
def test_each_pdf_render_logs_its_kind_and_duration_and_a_cached_download_logs_none(assessment, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="dxpia")
    monkeypatch.setattr(render, "html_to_pdf", lambda html: b"%PDF-1.7 rendered\n%%EOF")
    assert render.report_pdf(assessment) == b"%PDF-1.7 rendered\n%%EOF"
    render.report_pdf(assessment)  # from the cache: no render, no line
    render.letter_pdf(assessment)
    report, letter = _records(caplog, "dxpia.render")
    assert report.fields["kind"] == "report" and letter.fields["kind"] == "letter"
    assert report.fields["assessment"] == assessment.pk and report.fields["bytes"] == len(b"%PDF-1.7 rendered\n%%EOF")
    assert report.fields["duration_ms"] >= 0
    assert KeyValueFormatter().format(report).startswith("time=")


# --- gunicorn's configuration -----------------------------------------------------------------------


def test_workers_follow_the_cpus():
    assert [gunicorn_conf.default_workers(cpus) for cpus in (1, 2, 8)] == [3, 5, 17]


def test_gunicorn_settings_from_the_environment_are_read_strictly(monkeypatch):
    monkeypatch.setenv("DXPIA_WORKERS", "3")
    assert gunicorn_conf._env_int("DXPIA_WORKERS", 9, 1) == 3
    for bad in ("four", "0"):
        monkeypatch.setenv("DXPIA_WORKERS", bad)
        with pytest.raises(SystemExit, match="DXPIA_WORKERS"):
            gunicorn_conf._env_int("DXPIA_WORKERS", 9, 1)


WARM_UP_SCRIPT = textwrap.dedent("""
    import gc, json, sys
    import dxpia.wsgi  # what gunicorn's master loads first (preload_app)
    from django.db import connections
    from django.template import engines
    from django.urls import get_resolver
    from django.utils.translation import trans_real
    from dxpia import gunicorn_conf
    from dxpia.warm_up import project_template_names

    before = {"urlconf": "dxpia.urls" in sys.modules, "frozen": gc.get_freeze_count()}
    gunicorn_conf.when_ready(None)
    cache = engines["django"].engine.template_loaders[0].get_template_cache
    print(json.dumps({
        "before": before,
        "urlconf": "dxpia.urls" in sys.modules,
        "templates": project_template_names(),
        "compiled": sorted(name for name, template in cache.items() if hasattr(template, "render")),
        "catalogues": sorted(trans_real._translations),
        "reverse tables": sorted(get_resolver()._reverse_dict),
        "active language": getattr(trans_real._active, "value", None) is not None,
        "frozen": gc.get_freeze_count(),
        "connected": connections["default"].connection is not None,
    }))
""")


def test_the_master_warms_the_app_up_and_freezes_it_for_its_workers_without_a_database_connection(tmp_path):
    """gunicorn's master loads the app (preload_app) and runs when_ready before its first fork, so
    a worker, also one replaced after max_requests, starts with the views imported, both
    languages' catalogues read and every template of the project compiled. Nothing may connect to
    the database there: here it is a port where nothing listens, so a query would raise."""
    env = bench.django_environment("postgres://nobody@127.0.0.1:9/none", str(tmp_path))
    result = subprocess.run([sys.executable, "-c", WARM_UP_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.splitlines()[-1])
    assert state["before"] == {"urlconf": False, "frozen": 0}
    assert state["urlconf"] is True
    assert {"base.html", "assessments/section.html", "reports/report.html", "risks/_report.css"} <= set(state["templates"])
    assert set(state["templates"]) <= set(state["compiled"])
    assert {"ja", "en"} <= set(state["catalogues"])
    assert {"ja", "en"} <= set(state["reverse tables"])
    assert state["active language"] is False  # none left active for the forks
    assert state["frozen"] > 50_000
    assert state["connected"] is False


def test_a_template_that_does_not_compile_or_a_stray_file_does_not_stop_the_warm_up(settings, tmp_path, caplog):
    """The warm-up is only a head start: a broken template fails the page that uses it, as before,
    not the server's start; files that are not templates are not read."""
    from django.template import engines

    from dxpia import warm_up

    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "good.html").write_text("{% load i18n %}{% translate 'はい' %}")
    (tmp_path / "pages" / "broken.html").write_text("{% if %}")
    (tmp_path / "pages" / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01\xff\xfe")
    (tmp_path / "pages" / "good.html.rej").write_text("{% endif %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    assert warm_up.project_template_names() == ["pages/broken.html", "pages/good.html", "pages/latin1.txt"]
    caplog.set_level(logging.WARNING, logger="dxpia.warm_up")
    warm_up.compile_project_templates()
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "template pages/broken.html does not compile", "template pages/latin1.txt does not compile"]
    cache = engines["django"].engine.template_loaders[0].get_template_cache
    assert hasattr(cache["pages/good.html"], "render")


def test_gunicorn_loads_the_app_once_in_the_master():
    assert gunicorn_conf.preload_app is True


def test_the_masters_hooks_leave_a_master_without_the_app_alone(tmp_path):
    """With preload_app turned off (a configuration of one's own on top of this one), the master has
    not loaded Django: its hooks must not start it, nor fail gunicorn's start-up."""
    env = bench.django_environment("postgres://nobody@127.0.0.1:9/none", str(tmp_path))
    script = ("import sys\nfrom dxpia import gunicorn_conf\ngunicorn_conf.when_ready(None)\n"
              "gunicorn_conf.pre_fork(None, None)\nprint('django' in sys.modules and "
              "sys.modules['django.conf'].settings.configured)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "False"), result.stderr


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_no_database_connection_of_the_master_is_carried_into_a_worker():
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database (the test database)")
    connection.ensure_connection()
    gunicorn_conf.pre_fork(None, None)
    assert connection.connection is None


def test_log_levels_are_read_strictly(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from dxpia import settings as dxpia_settings

    monkeypatch.setenv("DXPIA_APP_LOG_LEVEL", "debug")
    assert dxpia_settings.envloglevel("DXPIA_APP_LOG_LEVEL", "INFO") == "DEBUG"
    monkeypatch.setenv("DXPIA_APP_LOG_LEVEL", "loud")
    with pytest.raises(ImproperlyConfigured, match="DXPIA_APP_LOG_LEVEL"):
        dxpia_settings.envloglevel("DXPIA_APP_LOG_LEVEL", "INFO")


# --- The real stack ---------------------------------------------------------------------------------


def _get(url, headers=None):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), bench._NoRedirect())
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_gunicorn_with_the_repositorys_config_serves_health_pages_and_static_files_with_debug_off():
    with bench.fresh_database(os.environ.get("DATABASE_URL") or None) as (database_url, workdir, kind):
        env = {
            **bench.django_environment(database_url, workdir),
            "DXPIA_DEBUG": "false",
            "DXPIA_SECRET_KEY": secrets.token_urlsafe(50),
            "DXPIA_ALLOWED_HOSTS": "127.0.0.1",
            "DXPIA_EMAIL_URL": "console://",
            "DXPIA_DEFAULT_FROM_EMAIL": "dxpia@example.jp",
            "DXPIA_STATIC_ROOT": os.path.join(workdir, "static"),
            # Workers replaced every three requests: the later requests are served by forks of
            # the warmed-up master (preload_app), database and all.
            "DXPIA_MAX_REQUESTS": "3",
        }
        bench._run(env, ["manage.py", "migrate", "--noinput", "-v0"], "migrate")
        bench._run(env, ["manage.py", "collectstatic", "--noinput", "-v0"], "collectstatic")
        manifest = json.loads(Path(workdir, "static", "staticfiles.json").read_text())["paths"]
        with bench.gunicorn(env, 2, workdir, config=True, ready_path="/healthz", ready_statuses=(200, 503)) as (
            base_url,
            log_path,
        ):
            # The health check answers over plain HTTP (a load balancer's probe); the rest of the
            # site redirects to HTTPS unless the proxy in front says the request came over it.
            status, headers, body = _get(f"{base_url}/healthz")
            checks = json.loads(body)["checks"]
            assert checks["database"] == checks["migrations"] == checks["storage"] == "ok", checks
            # No report worker has run yet: the check names it; the server still takes requests.
            assert (status, json.loads(body)["status"], checks["worker"]) == (200, "degraded", "fail: never seen"), checks
            # Once the worker has done its rounds (here one batch: it runs what is queued and stops).
            bench._run(env, ["manage.py", "render_worker", "--batch"], "render_worker")
            status, headers, body = _get(f"{base_url}/healthz")
            assert (status, json.loads(body)) == (200, {"status": "ok", "checks": {
                "database": "ok", "migrations": "ok", "storage": "ok", "worker": "ok", "fonts": "ok"}})
            assert _get(f"{base_url}/")[0] == 301
            https = {"X-Forwarded-Proto": "https"}
            status, headers, body = _get(f"{base_url}/", https)
            assert status == 200 and "<html lang=\"ja\"" in body.decode()
            stylesheet = manifest["bootstrap/css/bootstrap.min.css"]
            assert f"/static/{stylesheet}" in body.decode()  # DEBUG off: hashed names from the manifest
            status, headers, body = _get(f"{base_url}/static/{stylesheet}", {**https, "Accept-Encoding": "gzip"})
            assert status == 200 and headers["Content-Encoding"] == "gzip"
            assert "immutable" in headers["Cache-Control"]  # WhiteNoise: hashed files cached for good
            assert headers["Content-Security-Policy"].startswith("default-src 'self'")
            assert _get(f"{base_url}/static/bootstrap/css/bootstrap.rtl.css", https)[0] == 404  # not collected
            # Enough requests that each of the two workers is replaced at least once, whichever
            # takes which request.
            assert {_get(f"{base_url}/-/ping", https)[0] for _ in range(6)} == {200}
        log = Path(log_path).read_text()
        assert "logger=dxpia.request event=request method=GET path=/healthz status=" in log
        assert "path=/ status=200 duration_ms=" in log
        assert f"Listening at: {base_url}" in log
        assert log.count("Autorestarting worker after current request.") >= 2
