"""Backing up and restoring dxpia: the database and the rendered-document folder.

A backup is a folder with

- ``database.dump`` (PostgreSQL: ``pg_dump -Fc``, the custom format ``pg_restore`` reads) or
  ``database.sqlite3`` (SQLite: a copy made with SQLite's online backup API),
- ``documents.tar.gz``: the rendered-document folder (the ``documents`` storage's folder when it is
  a folder on this machine, FileSystemStorage), unless left out; rendered PDFs can always be
  rendered again, so it only saves that time. A documents storage elsewhere (e.g. S3) is not
  copied: the object store keeps its own copies, and a restore renders what it lacks,
- ``manifest.json``: when, from which kind of database, the migrations applied and the number of rows
  of every model, which ``restore`` compares with what it restored.

SQLite is copied with the online backup API rather than ``dumpdata``/``loaddata``: the copy is one
consistent snapshot even while app servers write (``dumpdata`` reads table after table), it keeps
everything as it was (the migrations applied, ids, sequences), restoring takes seconds and fires no
model signals,
and the result is an ordinary SQLite file that ``sqlite3`` opens. It restores only into SQLite; to move
between SQLite and PostgreSQL use ``dumpdata``/``loaddata`` (README, "Backup and restore").

PostgreSQL is restored with ``pg_restore --clean --if-exists --no-owner --single-transaction``: into
an empty database, or over an existing one (its tables are dropped first), all or nothing. The
``pg_dump``/``pg_restore`` used are those of the server's major version when
/usr/lib/postgresql/<major>/bin has them (pg_dump refuses a newer server), else those on PATH.
"""

import contextlib
import datetime
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection, connections, transaction

MANIFEST = "manifest.json"
POSTGRES_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
DOCUMENTS = "documents.tar.gz"


class BackupError(Exception):
    pass


def _models():
    """Every installed model with a table of its own."""
    return [m for m in apps.get_models(include_auto_created=True) if not m._meta.proxy and m._meta.managed]


def row_counts() -> dict[str, int]:
    """Rows per model (app_label.Model) in the configured database."""
    return dict(sorted((m._meta.label, m._base_manager.using("default").count()) for m in _models()))


def _sqlite_contents(path: Path) -> tuple[dict[str, int], list[str]]:
    """Rows per model and the migrations applied, as an SQLite file holds them (opened read-only)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as database:
            tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "django_migrations" not in tables:
                raise BackupError(f"{path} is not a dxpia database (it has no django_migrations table)")
            rows = {m._meta.label: database.execute(f'SELECT COUNT(*) FROM "{m._meta.db_table}"').fetchone()[0]
                    for m in _models() if m._meta.db_table in tables}
            migrations = sorted(f"{app}.{name}" for app, name in database.execute("SELECT app, name FROM django_migrations"))
    except sqlite3.Error as error:
        raise BackupError(f"{path} cannot be read as an SQLite database: {error}") from None
    return dict(sorted(rows.items())), migrations


def _add_folder(archive: tarfile.TarFile, source: Path, arcname: str) -> None:
    """Add the folder's files, skipping any that disappear while it is read (the worker replaces a
    report's older PDF when it stores a newer one)."""
    archive.add(source, arcname=arcname, recursive=False)
    for path in sorted(source.rglob("*")):
        try:
            archive.add(path, arcname=f"{arcname}/{path.relative_to(source)}", recursive=False)
        except FileNotFoundError:
            continue


def documents_folder() -> Path | None:
    """The folder the ``documents`` storage keeps rendered PDFs in, or None when it keeps them
    elsewhere (a storage that is not a folder on this machine)."""
    storage = storages["documents"]
    return Path(storage.location) if isinstance(storage, FileSystemStorage) else None


def applied_migrations() -> list[str]:
    from django.db.migrations.recorder import MigrationRecorder

    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def _postgres_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version if installed, else on PATH."""
    connection.ensure_connection()
    major = connection.pg_version // 10000
    candidate = f"/usr/lib/postgresql/{major}/bin/{name}"
    if os.access(candidate, os.X_OK):
        return candidate
    newer = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    newer = [p for p in newer if p.split("/")[-3].isdigit() and int(p.split("/")[-3]) >= major]
    if newer:
        return newer[0]
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found (install the PostgreSQL {major} client)")
    return found


# The connection options of DATABASE_URL's query (``?sslmode=verify-full&sslrootcert=…``, which
# dj-database-url puts in OPTIONS) that pg_dump and pg_restore must use too: the app reaches a
# server that demands TLS, so must its backup. libpq reads each from its environment variable.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL", "sslpassword": None, "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS", "application_name": "PGAPPNAME",
    "gssencmode": "PGGSSENCMODE", "channel_binding": "PGCHANNELBINDING", "options": "PGOPTIONS",
}


def postgres_environment(db: dict, environ: dict) -> dict:
    """``environ`` with libpq's variables for the database settings ``db``, its TLS options
    included: no password on a command line."""
    env = dict(environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"),
                          ("PGDATABASE", "NAME")):
        if db.get(key):
            env[variable] = str(db[key])
    for option, value in (db.get("OPTIONS") or {}).items():
        variable = _LIBPQ_OPTIONS.get(option)
        if variable and value not in (None, ""):
            env[variable] = str(value)
    return env


def target_description() -> str:
    """The configured database as a restore names it before replacing it: engine, server and name
    (never the password)."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"SQLite {db['NAME']}"
    server = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    return f"PostgreSQL {db['NAME']} on {server} as {db.get('USER') or '(current user)'}"


def _run(command: list[str]) -> None:
    environment = postgres_environment(settings.DATABASES["default"], os.environ)
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def _sqlite_path() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def backup(folder: str | Path, *, documents: bool = True) -> dict:
    """Write a backup into ``folder`` (created; must be empty). Returns the manifest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty")
    vendor = connection.vendor
    # The manifest counts what the copy holds, not the live database a moment later (app servers
    # may keep writing while a backup is made).
    if vendor == "postgresql":
        pg_dump = _postgres_tool("pg_dump")
        with transaction.atomic():  # one snapshot for pg_dump and the counts
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            _run([pg_dump, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  "-f", str(folder / POSTGRES_DUMP)])
            rows, migrations = row_counts(), applied_migrations()
    elif vendor == "sqlite":
        connections.close_all()
        with sqlite3.connect(_sqlite_path()) as source, sqlite3.connect(folder / SQLITE_COPY) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal or -shm beside it
        target.close()
        source.close()
        rows, migrations = _sqlite_contents(folder / SQLITE_COPY)
    else:
        raise BackupError(f"no backup for {vendor}")
    for written in folder.iterdir():  # residents' data: readable by the owner only
        written.chmod(0o600)
    source = documents_folder()
    if documents and source is not None and source.is_dir():
        with tarfile.open(folder / DOCUMENTS, "w:gz") as archive:
            _add_folder(archive, source, "documents")
        (folder / DOCUMENTS).chmod(0o600)
    manifest = {
        "format": "dxpia-backup",
        "format_version": 1,
        "made_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "database": vendor,
        "migrations": migrations,
        "rows": rows,
        "documents": (folder / DOCUMENTS).exists(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def read_manifest(folder: str | Path) -> dict:
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{folder} holds no readable {MANIFEST}: {error}") from None
    if manifest.get("format") != "dxpia-backup" or manifest.get("format_version") != 1:
        raise BackupError(f"{folder}/{MANIFEST} is not a dxpia backup (format version 1)")
    return manifest


def restore(folder: str | Path, *, documents: bool = True) -> list[str]:
    """Restore the backup in ``folder`` into the configured database (and the documents folder).
    Returns the differences between the rows restored and the manifest's (empty: all as backed up)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(f"the backup is of {manifest['database']}, the configured database is {vendor} "
                          "(move between them with dumpdata/loaddata)")
    if vendor == "postgresql":
        _run([_postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "-d", str(settings.DATABASES["default"]["NAME"]), str(folder / POSTGRES_DUMP)])
    else:
        copy = folder / SQLITE_COPY
        if not copy.is_file():
            raise BackupError(f"{copy} is missing: nothing was restored")
        _sqlite_contents(copy)  # a dxpia database, readable, before the live one is replaced
        connections.close_all()
        with contextlib.closing(sqlite3.connect(f"file:{copy}?mode=ro&immutable=1", uri=True)) as source, \
                contextlib.closing(sqlite3.connect(_sqlite_path())) as target:
            source.backup(target)  # replaces every page of the target, in one step
    connections.close_all()
    target = documents_folder()
    if documents and manifest.get("documents") and target is not None:
        _restore_documents(folder / DOCUMENTS, target)
    restored = row_counts()
    # pg_restore and the file copy write past Django: running servers would not see the change.
    from assessments.reports import document_stamp

    document_stamp.renew()
    return [f"{label}: {manifest['rows'].get(label)} backed up, {restored.get(label)} restored"
            for label in sorted(set(restored) | set(manifest["rows"]))
            if restored.get(label) != manifest["rows"].get(label)]


def _restore_documents(archive_path: Path, target: Path) -> None:
    """Replace the documents folder's contents with the archive's (unpacked beside it first)."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as unpacked:
        with tarfile.open(archive_path, "r:gz") as archive:
            members = archive.getmembers()
            for member in members:  # only plain files and folders inside "documents/" (no links, no ..)
                parts = Path(member.name).parts
                if (not (member.isfile() or member.isdir()) or not parts or parts[0] != "documents"
                        or ".." in parts or Path(member.name).is_absolute()):
                    raise BackupError(f"{archive_path} holds an unexpected entry: {member.name!r}")
            archive.extractall(unpacked, members=members)
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        source = Path(unpacked) / "documents"
        if source.is_dir():
            for child in source.iterdir():
                shutil.move(str(child), target / child.name)
