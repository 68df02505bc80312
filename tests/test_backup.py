"""Backup and restore (assessments/backup.py, `manage.py backup` and `manage.py restore`) on the
database the suite runs on: without DATABASE_URL a fresh SQLite file in a temporary folder, with a
postgres:// DATABASE_URL (the second run of `bash scripts/dev.sh test`) a fresh database on that
server, dropped afterwards. As an operator would: everything through manage.py in subprocesses,
never pytest-django's test database.
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

from bench import concurrent_saves as cs

ROOT = Path(__file__).resolve().parent.parent

SET_UP = f"""
import io
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("seed", stdout=io.StringIO())
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from assessments.demo import create_demo_assessment
from assessments.models import Membership, Organisation

User = get_user_model()
hashed = make_password("backup-test-password")
users = [User.objects.create(username=f"user{{i}}", email=f"user{{i}}@example.org", password=hashed)
         for i in range(4)]
group = Organisation.objects.create(name="バックアップ検証の会（架空）")
Membership.objects.create(organisation=group, user=users[0], role=Membership.Role.OWNER)
Membership.objects.create(organisation=group, user=users[1], role=Membership.Role.EDITOR)
assessment = create_demo_assessment(user=users[0])
from django.core.files.base import ContentFile
from django.core.files.storage import storages
storages["documents"].save("report/backup-test.pdf", ContentFile(b"%PDF-rendered-before-the-backup"))
print({cs.MARKER!r} + json.dumps(assessment.pk))
"""

# What the backup must bring back: the rows of every model, each assessment's content fingerprint
# (what a review approves), the answers with their versions, the users and their password hashes
# (they can still sign in), the migrations applied, and the rendered-document folder's entry.
STATE = f"""
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from assessments.backup import applied_migrations, row_counts
from assessments.models import Answer, Assessment
from assessments.reviewing import content_fingerprint

print({cs.MARKER!r} + json.dumps({{
    "rows": row_counts(),
    "fingerprints": {{a.pk: content_fingerprint(a) for a in Assessment.objects.order_by("pk")}},
    "answers": [list(map(str, a)) for a in Answer.objects.order_by("pk").values_list(
        "pk", "assessment_id", "question__key", "value", "note", "value_version", "note_version")],
    "users": list(get_user_model().objects.order_by("pk").values_list("username", "password", "email")),
    "migrations": applied_migrations(),
    "document": (storages["documents"].open("report/backup-test.pdf").read()
                 if storages["documents"].exists("report/backup-test.pdf") else b"").decode(),
}}, default=str))
"""

CHANGE = f"""
from django.contrib.auth import get_user_model
from assessments.models import Answer
answer = Answer.objects.filter(assessment_id=json.loads(sys.argv[1])).exclude(note="").first()
Answer.objects.filter(pk=answer.pk).update(note="バックアップの後の変更（架空）", note_version=answer.note_version + 1)
get_user_model().objects.filter(username="user3").delete()
print({cs.MARKER!r} + "null")
"""

STAMP = f"""
from assessments.reports import document_stamp
print({cs.MARKER!r} + json.dumps(document_stamp.current()))
"""

TABLES = f"""
from django.db import connection
print({cs.MARKER!r} + json.dumps(connection.introspection.table_names()))
"""


def manage(env, *args):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


def wipe(url: str, kind: str, server_url: str | None) -> None:
    if kind == "sqlite":
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with cs._postgres_admin(server_url) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def test_a_backup_restores_everything_over_later_changes_and_into_a_wiped_database():
    server_url = os.environ.get("DATABASE_URL") or None
    with cs.fresh_database(server_url) as (url, workdir, kind):
        env = cs.django_environment(url, workdir)
        pk = cs._django_script(env, SET_UP, None, "set-up")
        before = cs._django_script(env, STATE, None, "state before")
        assert before["rows"]["assessments.Answer"] > 50 and before["rows"]["auth.User"] == 4
        assert before["document"] == "%PDF-rendered-before-the-backup"

        folder = os.path.join(workdir, "backup")
        at_backup = cs._django_script(env, STAMP, None, "document stamp when backing up")
        made = manage(env, "backup", folder)
        assert made.returncode == 0, made.stderr
        assert sorted(os.listdir(folder)) == sorted(
            ["manifest.json", "documents.tar.gz", "database.dump" if kind == "postgresql" else "database.sqlite3"])
        assert manage(env, "backup", folder).returncode != 0  # never into a folder that holds a backup

        # Changes after the backup (an answer edited, a user gone) are undone by a restore over them.
        cs._django_script(env, CHANGE, pk, "changes after the backup")
        changed = cs._django_script(env, STATE, None, "state after the changes")
        assert changed["answers"] != before["answers"] and changed["users"] != before["users"]
        stamp = cs._django_script(env, STAMP, None, "document stamp before restoring")
        restored = manage(env, "restore", "--no-input", folder)
        assert restored.returncode == 0, restored.stderr
        assert "the same as backed up" in restored.stdout
        # The restore wrote past Django: it renews the document stamp, so no server serves a PDF it
        # remembers from before (nor one remembered under the token the backup holds).
        assert cs._django_script(env, STAMP, None, "document stamp after restoring") not in (stamp, at_backup, None)
        assert cs._django_script(env, STATE, None, "state after restoring over the changes") == before

        # A wiped database (and rendered-document folder) comes back whole.
        wipe(url, kind, server_url)
        shutil.rmtree(Path(env["DXPIA_CACHE_DIR"]) / "documents")
        assert cs._django_script(env, TABLES, None, "tables after the wipe") == []
        restored = manage(env, "restore", "--no-input", folder)
        assert restored.returncode == 0, restored.stderr
        after = cs._django_script(env, STATE, None, "state after restoring into the wiped database")
        assert after == before
        assert manage(env, "migrate", "--check").returncode == 0  # nothing left to apply: the schema is whole


def test_the_documents_folder_is_the_documents_storages_folder_and_none_for_a_storage_elsewhere(settings, tmp_path):
    from assessments.backup import documents_folder

    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "pdfs")}}}
    assert documents_folder() == tmp_path / "pdfs"
    # Not a folder on this machine (S3 and the like; here the in-memory storage): nothing to archive.
    settings.STORAGES = {**settings.STORAGES, "documents": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    assert documents_folder() is None


def test_a_restore_whose_database_copy_is_missing_or_not_a_database_leaves_the_live_one_alone():
    with cs.fresh_database(None) as (url, workdir, kind):  # SQLite: the copy is a file of its own
        env = cs.django_environment(url, workdir)
        cs._django_script(env, SET_UP, None, "set-up")
        before = cs._django_script(env, STATE, None, "state before")
        folder = Path(workdir, "backup")
        assert manage(env, "backup", str(folder)).returncode == 0
        copy = folder / "database.sqlite3"
        assert oct(copy.stat().st_mode & 0o777) == "0o600"  # residents' data: the owner's only
        for damage in ("missing", "not a database"):
            copy.unlink(missing_ok=True)
            if damage == "not a database":
                copy.write_bytes(b"half a file copied by an interrupted rsync")
            restored = manage(env, "restore", "--no-input", str(folder))
            message = restored.stderr + restored.stdout
            assert restored.returncode != 0, (damage, message)
            assert ("nothing was restored" if damage == "missing" else "cannot be read") in message, message
            assert "Traceback" not in restored.stderr
            assert cs._django_script(env, STATE, None, f"state after a refused restore ({damage})") == before


def test_a_document_that_vanishes_while_the_folder_is_archived_is_skipped(tmp_path, monkeypatch):
    import tarfile

    from assessments import backup

    (tmp_path / "report" / "1").mkdir(parents=True)
    (tmp_path / "report" / "1" / "new.pdf").write_bytes(b"%PDF-new %%EOF")
    real_rglob = Path.rglob

    def rglob_seeing_a_replaced_file(self, pattern):
        yield from real_rglob(self, pattern)
        yield self / "report" / "1" / "old.pdf"  # listed, then removed by the worker's store

    monkeypatch.setattr(Path, "rglob", rglob_seeing_a_replaced_file)
    with tarfile.open(tmp_path / "documents.tar.gz", "w:gz") as archive:
        backup._add_folder(archive, tmp_path / "report", "documents")
    with tarfile.open(tmp_path / "documents.tar.gz") as archive:
        assert sorted(archive.getnames()) == ["documents", "documents/1", "documents/1/new.pdf"]


def test_pg_dump_and_pg_restore_connect_as_the_app_does_tls_options_included(monkeypatch):
    """A server that demands TLS (DATABASE_URL …?sslmode=verify-full&sslrootcert=…) is reached by the
    backup with the same options; the password travels in the environment, never on a command line."""
    from dxpia.settings import envdatabase

    from assessments import backup

    monkeypatch.setenv("DXPIA_TEST_DB", "postgres://dxpia:s3cret@db.example.org:6432/dxpia"
                       "?sslmode=verify-full&sslrootcert=/etc/ssl/rds.pem&connect_timeout=5")
    env = backup.postgres_environment(envdatabase("DXPIA_TEST_DB", ""), {"PATH": "/usr/bin", "PGSSLMODE": "disable"})
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGPASSWORD"], env["PGDATABASE"]) == (
        "db.example.org", "6432", "dxpia", "s3cret", "dxpia")
    assert (env["PGSSLMODE"], env["PGSSLROOTCERT"], env["PGCONNECT_TIMEOUT"]) == (
        "verify-full", "/etc/ssl/rds.pem", "5")
    assert env["PATH"] == "/usr/bin"


def test_the_restore_prompt_names_the_database_it_replaces_and_a_no_cancels(monkeypatch, tmp_path):
    from django.core.management import CommandError, call_command

    from assessments import backup

    (tmp_path / "manifest.json").write_text(json.dumps({"made_at": "2026-12-05T10:00:00+09:00", "rows": {}}))
    monkeypatch.setattr(backup, "read_manifest", lambda folder: {"made_at": "2026-12-05T10:00:00+09:00", "rows": {}})
    restored = []
    monkeypatch.setattr(backup, "restore", lambda *a, **k: restored.append(a) or [])
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "no")
    try:
        call_command("restore", str(tmp_path))
    except CommandError as error:
        assert "cancelled" in str(error)
    else:
        raise AssertionError("a restore answered 'no' went ahead")
    assert restored == []
    assert backup.target_description() in asked[0]
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    assert name in asked[0]
    assert ("SQLite" if connection.vendor == "sqlite" else "PostgreSQL") in asked[0]
    assert "PASSWORD" not in asked[0] and (connection.settings_dict.get("PASSWORD") or "\0") not in asked[0]
