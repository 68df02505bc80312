"""CPU time of one request of each kind, in one process, without HTTP or a load generator.

    .venv/bin/python bench/request_cpu.py [--runs 40] [--postgresql | --database-url postgres://user@host:port/any]

A fresh SQLite database (in a temporary folder), migrated and seeded, one user who owns the
demonstration assessment; Django's test client sends each request ``--runs`` times after one
warm-up, with the production settings `bench/load.py` uses (DXPIA_DEBUG=false). ``--postgresql``:
a new database on a throwaway PostgreSQL cluster on a free loopback port (as bench/load.py starts
one), or on the server of ``--database-url``, with each connection kept as `dev.sh serve` keeps it
(DXPIA_DB_CONN_MAX_AGE=60, health checks on): the CPU a gunicorn worker spends there, psycopg's
share of each query included (the server's own CPU is not in it). Prints, per kind,
the median CPU time of this process per request (``time.process_time``: what a gunicorn worker
would spend, whatever else the machine runs) and the number of SQL queries, and each as a
throughput ratio to ``ping`` (the minimal view of bench/load.py).

What it shows: how far a page is from a signed-in request that does little (the session, the user
and the access helper, then the site's 404 page), and so which of bench/load.py's ratio targets a
given page could reach at all. Use it before and after a change to a page's code; bench/load.py measures the
same pages under load through gunicorn. The cached report is measured four times: as a repeated
download; right after a save of answers to another assessment (not timed), as on a site where
someone is always saving (that save renews only the other assessment's document stamp); and right
after a change elsewhere that renews the site's stamp (another project's title, not timed), which
sends the download back to building the report's HTML; and as a resident downloads a published
assessment's report without signing in.
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import fresh_database  # noqa: E402

PASSWORD = "request-cpu-password-2026"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--postgresql", action="store_true",
                        help="a new database on a throwaway PostgreSQL cluster instead of SQLite")
    parser.add_argument("--database-url", help="postgres://… of a server to create the new database on (PostgreSQL)")
    args = parser.parse_args()
    static_root = tempfile.mkdtemp(prefix="dxpia-bench-static-")
    workdir = None
    try:
        with contextlib.ExitStack() as stack:
            database_url = None
            if args.postgresql or args.database_url:
                from bench import concurrent_saves
                from bench._postgres import throwaway_postgres

                server = args.database_url or stack.enter_context(throwaway_postgres())
                database_url, _folder, _kind = stack.enter_context(concurrent_saves.fresh_database(server))
                os.environ["DXPIA_DB_CONN_MAX_AGE"] = "60"
            workdir = fresh_database_with_settings(static_root, database_url)
            print("postgresql, connections kept 60 s" if database_url else "sqlite")
            measure(args.runs)
            from django.db import connections

            connections.close_all()  # before the database is dropped
    finally:
        for folder in (static_root, workdir):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)


def fresh_database_with_settings(static_root, database_url=None):
    os.environ.update({
        "DXPIA_DEBUG": "false", "DXPIA_SECRET_KEY": secrets.token_urlsafe(50), "DXPIA_ALLOWED_HOSTS": "testserver",
        "DXPIA_SSL_REDIRECT": "false", "DXPIA_EMAIL_URL": "console://", "DXPIA_DEFAULT_FROM_EMAIL": "dxpia@example.jp",
        "DXPIA_STATIC_ROOT": static_root,
    })
    return fresh_database(database_url)


def measure(runs):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assessments.demo import create_demo_assessment
    from assessments.forms import MAX_INVENTORY_ROWS
    from assessments.models import Answer, Assessment, Project, Question

    call_command("collectstatic", interactive=False, verbosity=0)  # WhiteNoise's manifest, as in production
    owner = get_user_model().objects.create_user("cpu", password=PASSWORD)
    assessment = create_demo_assessment(user=owner)
    pk = assessment.pk
    first_section = assessment.question_set.sections.order_by("position").values_list("key", flat=True).first()
    question = (assessment.question_set.questions.exclude(type=Question.Type.INVENTORY)
                .order_by("section__position", "position").first())
    full = inventory_of(create_demo_assessment(user=owner), MAX_INVENTORY_ROWS)
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(owner)
    answer = Answer.objects.filter(assessment=assessment, question=question).first()
    base = [answer.note_version if answer else 0]

    def save(on=pk, bases=base):
        response = signed_in.post(
            f"/assessments/{on}/autosave/", content_type="application/json",
            data=json.dumps({"question": question.key, "part": "note", "base": bases[0],
                             "value": f"CPU計測の補足 {time.perf_counter_ns()}", "mark": ""}))
        assert response.status_code == 200, response.content
        bases[0] = response.json()["version"]
        return response

    elsewhere = create_demo_assessment(user=owner).pk  # another assessment, saved to between downloads
    other_answer = Answer.objects.filter(assessment_id=elsewhere, question=question).first()
    other_base = [other_answer.note_version if other_answer else 0]
    other_project = Project.objects.exclude(pk=assessment.project_id).values_list("pk", flat=True).first()
    published = create_demo_assessment(user=owner).pk  # read by residents without signing in
    Assessment.objects.filter(pk=published).update(status=Assessment.Status.PUBLISHED)

    kinds = [
        ("ping", lambda: anonymous.get("/-/ping")),
        # Since the site's own 404 page (61b2bda) this includes rendering it (its menu reads the
        # reader's profile: one more query); the floor of a request that passes the access helper
        # is what it measured before, 1.9 ms and 3 queries on SQLite.
        ("signed-in 404 (access helper, the site's 404 page)", lambda: signed_in.get("/assessments/999999999/summary/")),
        (f"section {first_section} (first)", lambda: signed_in.get(f"/assessments/{pk}/sections/{first_section}/")),
        ("section b (the inventory, 36 rows)", lambda: signed_in.get(f"/assessments/{pk}/sections/b/")),
        (f"section b ({MAX_INVENTORY_ROWS} rows, the limit)", lambda: signed_in.get(f"/assessments/{full}/sections/b/")),
        ("summary", lambda: signed_in.get(f"/assessments/{pk}/summary/")),
        ("report (cached)", lambda: signed_in.get(f"/assessments/{pk}/report.pdf")),
        ("public report (cached), not signed in", lambda: anonymous.get(f"/public/{published}/report.pdf")),
        # A save of answers renews only its own assessment's document stamp; any other change renews
        # the site's, and the next download builds the report's HTML to find its stored PDF. The
        # change itself is not timed.
        ("report (cached), after a save elsewhere", lambda: signed_in.get(f"/assessments/{pk}/report.pdf"),
         lambda: save(elsewhere, other_base)),
        ("report (cached), after another project changed", lambda: signed_in.get(f"/assessments/{pk}/report.pdf"),
         lambda: Project.objects.filter(pk=other_project).update(title=f"別の事業 {time.perf_counter_ns()}")),
        ("background save", save),
    ]
    print(f"{'request':<48} {'CPU ms':>8} {'queries':>8} {'ratio to ping':>14}  status")
    ping_ms = None
    for name, send, *before in kinds:
        before = before[0] if before else (lambda: None)  # untimed, before each request
        first = send()  # warm-up (and, for the report, the render that fills the cache)
        times = []
        for _ in range(runs):
            before()
            started = time.process_time()
            response = send()
            times.append(time.process_time() - started)
        before()
        with CaptureQueriesContext(connection) as queries:
            send()
        ms = statistics.median(times) * 1000
        ping_ms = ping_ms or ms
        print(f"{name:<48} {ms:8.2f} {len(queries):8d} {ping_ms / ms:13.1%}  {first.status_code}/{response.status_code}")


def inventory_of(assessment, rows):
    """The assessment's pk, its inventory filled to ``rows`` rows (its own rows over and over)."""
    from assessments.models import InventoryRow

    stored = list(InventoryRow.objects.filter(answer__assessment=assessment).order_by("position"))
    more = []
    for position in range(len(stored), rows):
        row = stored[position % len(stored)]
        more.append(InventoryRow(**{**{f.attname: getattr(row, f.attname) for f in InventoryRow._meta.concrete_fields},
                                    "id": None, "position": position, "data_item": f"{row.data_item}（{position + 1}）"}))
    InventoryRow.objects.bulk_create(more)
    return assessment.pk


if __name__ == "__main__":
    main()
