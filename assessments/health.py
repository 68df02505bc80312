"""The health check's checks (``/healthz``): is this app server fit to take requests?

Each check returns ``None`` when healthy or a short reason, and catches its own errors: the check
page answers 503 naming what failed, never 500. Reasons name an exception's class, never its
message (which may hold a host name or a path). Together they cost three or four small queries and
one small file written to the documents storage and removed.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from assessments import render_ahead

NOT_CONFIGURED = "not configured"


def _failure(error: Exception) -> str:
    return f"fail: {type(error).__name__}"


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return _failure(error)
    return None


def check_migrations() -> str | None:
    """Every migration this code knows of is applied (none waiting: the code and schema agree)."""
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return _failure(error)
    return f"fail: {len(plan)} unapplied" if plan else None


def check_storage() -> str | None:
    """The ``documents`` storage, where every app server and the worker keep rendered PDFs, takes
    a small file and gives it back (then it is removed)."""
    storage = storages["documents"]
    name = f"healthz/{uuid.uuid4().hex}.txt"
    try:
        saved = storage.save(name, ContentFile(b"ok"))
        try:
            with storage.open(saved, "rb") as handle:
                if handle.read() != b"ok":
                    return "fail: not read back"
        finally:
            storage.delete(saved)
    except Exception as error:
        try:  # a save that failed half-way (a full disk) may have left the file
            storage.delete(name)
        except Exception:
            pass
        return _failure(error)
    return None


def check_worker(now=None) -> str | None:
    """The worker that renders reports ahead (``manage.py render_worker``) was seen lately; with
    rendering ahead turned off (DXPIA_RENDER_AHEAD=false), ``NOT_CONFIGURED`` (not a failure)."""
    if not settings.RENDER_AHEAD:
        return NOT_CONFIGURED
    try:
        last_seen = render_ahead.worker_last_seen()
    except Exception as error:
        return _failure(error)
    if last_seen is None:
        return "fail: never seen"
    age = (now or timezone.now()) - last_seen
    if age > timedelta(minutes=settings.WORKER_STALE_MINUTES):
        return f"fail: last seen {int(age.total_seconds() // 60)} min ago"
    return None


def check_fonts() -> str | None:
    """The fonts the documents print with are installed (reports.engine.DOCUMENT_FONTS)."""
    from assessments.reports.engine import missing_fonts

    try:
        missing = missing_fonts()
    except Exception as error:
        return _failure(error)
    return f"fail: missing {', '.join(missing)}" if missing else None


CHECKS = {
    "database": check_database,
    "migrations": check_migrations,
    "storage": check_storage,
    "worker": check_worker,
    "fonts": check_fonts,
}


# What this server needs to take requests; the worker is shared by every server (one heartbeat in
# the database), so its failure is reported but takes no server out of the load balancer: each
# still renders a report in the request that asks for it.
SERVER_CHECKS = ("database", "migrations", "storage", "fonts")


def health() -> tuple[str, dict[str, str]]:
    """(``ok``, ``degraded`` — only the worker fails — or ``fail``; each check's result: ``ok``,
    ``not configured`` or ``fail: …``)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            outcome = check()
        except Exception as error:  # a check that forgot to catch its own
            outcome = _failure(error)
        results[name] = outcome or "ok"
    failing = {name for name, outcome in results.items() if outcome.startswith("fail")}
    status = "fail" if failing & set(SERVER_CHECKS) else "degraded" if failing else "ok"
    return status, results
