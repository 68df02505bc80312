"""Several people saving in the background at once, through gunicorn with several worker processes.

A smaller run of bench/concurrent_saves.py (which see for what is checked), on the database the suite
runs on: without DATABASE_URL a fresh SQLite file in a temporary folder, with a postgres:// DATABASE_URL
(the second run of `bash scripts/dev.sh test`) a fresh database on that server, dropped afterwards.
Neither uses pytest-django's test database: everything runs in subprocesses and in gunicorn.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bench import concurrent_saves

ROOT = Path(__file__).resolve().parent.parent


def test_concurrent_background_saves_lose_nothing_and_refuse_only_real_conflicts():
    result = concurrent_saves.run(
        clients=4, saves=10, workers=3, database_url=os.environ.get("DATABASE_URL") or None, time_limit=120
    )
    report = "\n".join(result.lines)
    assert result.failures == [], report
    counts = result.counts
    assert counts["saves"] == 40, report
    assert counts["other"] == 0 and counts["database_locked"] == counts["log_database_locked"] == 0, report
    assert counts["accepted"] + counts["conflicts"] == 40, report
    assert counts["history_matched"] == counts["history_rows"] == counts["accepted_changes"] > 0, report
    assert counts["conflicts"] > 0 and counts["overwrites_accepted"] > 0, report
    assert counts["questions_matching"] == counts["questions"] == 6, report


# Two read-then-write transactions on one SQLite file, the second starting while the first has read
# and not yet written. With BEGIN IMMEDIATE the second waits for the first and both increments count;
# with SQLite's default (deferred) transactions one of them fails at once with "database is locked"
# (WAL: its snapshot is stale; rollback journal: both would wait for each other).
READ_THEN_WRITE = textwrap.dedent(
    """
    import threading, time
    import django
    django.setup()
    from django.db import connection, connections, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n integer NOT NULL)")
        cursor.execute("INSERT INTO counter (n) VALUES (0)")
    has_read = threading.Event()
    errors = []

    def increment(pause):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                n = cursor.fetchone()[0]
                has_read.set()
                time.sleep(pause)
                cursor.execute("UPDATE counter SET n = %s", [n + 1])
        except Exception as error:
            errors.append(str(error))
        finally:
            has_read.set()
            connections.close_all()

    first = threading.Thread(target=increment, args=(0.5,))
    first.start()
    has_read.wait(10)
    second = threading.Thread(target=increment, args=(0,))
    second.start()
    first.join(60)
    second.join(60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        print(cursor.fetchone()[0], errors)
    """
)


def test_sqlite_read_then_write_transactions_wait_for_each_other(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DXPIA_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", READ_THEN_WRITE],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "dxpia.settings",
             "DATABASE_URL": f"sqlite:///{tmp_path / 'counter.sqlite3'}", "DXPIA_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 []"
