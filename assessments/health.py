"""The health check's checks (``/healthz``): is this app server fit to take requests?

Each check returns ``None`` when healthy or a short reason, and catches its own errors: the check
page answers 503 naming what failed, never 500. Reasons name an exception's class, never its
message (which may hold a host name or a path). Together they cost three or four small queries and
one small file written and removed.
"""

import importlib
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

NOT_CONFIGURED = "not configured"
# Provides worker_last_seen(): when the worker that renders reports ahead last did its rounds.
WORKER_MODULE = "assessments.render_ahead"


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
    """Where rendered PDFs are kept takes a small file and gives it back. Today that is the default
    cache (a folder, CACHE_DIR, shared by the worker processes of one machine); when PDFs move
    elsewhere, this is the one function to change."""
    key = f"dxpia:healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, b"ok", timeout=60)
        try:
            if cache.get(key) != b"ok":
                return "fail: not read back"
        finally:
            cache.delete(key)
    except Exception as error:
        return _failure(error)
    return None


def check_worker(now=None) -> str | None:
    """The worker that renders reports ahead was seen lately, if there is one in this installation
    (``assessments.render_ahead``); without it, ``NOT_CONFIGURED`` (not a failure)."""
    try:
        render_ahead = importlib.import_module(WORKER_MODULE)
    except ModuleNotFoundError as error:
        if error.name == WORKER_MODULE:
            return NOT_CONFIGURED
        return _failure(error)
    except Exception as error:
        return _failure(error)
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


CHECKS = {
    "database": check_database,
    "migrations": check_migrations,
    "storage": check_storage,
    "worker": check_worker,
}


def health() -> tuple[bool, dict[str, str]]:
    """(healthy, each check's result: ``ok``, ``not configured`` or ``fail: …``)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            outcome = check()
        except Exception as error:  # a check that forgot to catch its own
            outcome = _failure(error)
        results[name] = outcome or "ok"
    healthy = all(not outcome.startswith("fail") for outcome in results.values())
    return healthy, results
