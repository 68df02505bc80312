"""Shared by the benchmarks: a fresh SQLite database in a temporary folder, migrated and seeded."""

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def fresh_database(database_url: str | None = None) -> str:
    """Point Django at a new database (an SQLite file in a temporary folder, or the empty database
    of ``database_url``) and a cache in that folder, migrate and seed it. Returns the folder."""
    workdir = tempfile.mkdtemp(prefix="dxpia-bench-")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DXPIA_CACHE_DIR"] = f"{workdir}/cache"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxpia.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed", stdout=io.StringIO())
    return workdir


def median_time(function, runs):
    """The median wall time of ``runs`` calls, and the last result."""
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
