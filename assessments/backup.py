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
from django.db import connection, connections

MANIFEST = "manifest.json"
POSTGRES_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
DOCUMENTS = "documents.tar.gz"


class BackupError(Exception):
    pass


def row_counts() -> dict[str, int]:
    """Rows per model (app_label.Model), every installed model with a table of its own."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        counts[model._meta.label] = model._base_manager.using("default").count()
    return dict(sorted(counts.items()))


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


def _postgres_environment() -> dict:
    """libpq's variables for the default database: no password on a command line."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"),
                          ("PGDATABASE", "NAME")):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_postgres_environment(), capture_output=True, text=True)
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
    if vendor == "postgresql":
        _run([_postgres_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-f", str(folder / POSTGRES_DUMP)])
    elif vendor == "sqlite":
        connections.close_all()
        with sqlite3.connect(_sqlite_path()) as source, sqlite3.connect(folder / SQLITE_COPY) as target:
            source.backup(target)
        target.close()
        source.close()
    else:
        raise BackupError(f"no backup for {vendor}")
    source = documents_folder()
    if documents and source is not None and source.is_dir():
        with tarfile.open(folder / DOCUMENTS, "w:gz") as archive:
            archive.add(source, arcname="documents")
    manifest = {
        "format": "dxpia-backup",
        "format_version": 1,
        "made_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "database": vendor,
        "migrations": applied_migrations(),
        "rows": row_counts(),
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
        connections.close_all()
        with sqlite3.connect(folder / SQLITE_COPY) as source, sqlite3.connect(_sqlite_path()) as target:
            source.backup(target)  # replaces every page of the target, in one step
        target.close()
        source.close()
    connections.close_all()
    target = documents_folder()
    if documents and manifest.get("documents") and target is not None:
        _restore_documents(folder / DOCUMENTS, target)
    restored = row_counts()
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
