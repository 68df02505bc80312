"""Reports rendered ahead: after a change to what an assessment's documents print has settled, a
task worker renders the report and the letter into the shared storage, so that a download is
served from there instead of waiting 1.5 s or more for WeasyPrint.

- Every write that changes what the documents print calls ``report_changed`` inside its
  transaction (the services that make a new revision, and the letter's details). Once the
  transaction commits, it queues ``render_settled`` to run RENDER_AHEAD_SECONDS later with the
  revision the assessment has then.
- The debounce: each change queues its own delayed task, and a task whose revision is no longer
  the assessment's does nothing, so a burst of saves renders once, after its last save has
  settled. (Changes that make no new revision, the letter's details, queue a task for the same
  revision; it renders only if the HTML changed, otherwise it finds the PDFs in storage.)
- Tasks are rows in the database (django-tasks' API, django-tasks-db's backend): the same on
  SQLite and PostgreSQL, no broker. ``manage.py render_worker`` runs them and says it is alive
  every HEARTBEAT_SECONDS (``worker_last_seen``). Without a worker, one task per assessment waits
  in the table (each new one replaces the one waiting) and a download renders in the request.
- Rendering goes through reports.render.cached_pdf, the same code a download runs: the same key,
  the same storage, the same lock, so a download and the worker never render one revision twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_tasks import task

from assessments import selectors
from assessments.models import Assessment, WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30


def report_changed(assessment_pk: int) -> None:
    """What ``assessment_pk``'s documents print has changed (call inside the write's transaction):
    once it commits, queue a render of both for when nothing more has changed for
    RENDER_AHEAD_SECONDS, and of those of its re-assessments, whose chapter 「前回からの変化」
    compares with it. A queue that cannot be reached loses only the render ahead, never the save
    (``robust``: the error is logged)."""
    if settings.RENDER_AHEAD:
        transaction.on_commit(lambda: _enqueue_with_reassessments(assessment_pk), robust=True)


def _enqueue_with_reassessments(assessment_pk: int) -> None:
    enqueue(assessment_pk)
    for reassessment_pk in Assessment.objects.filter(previous_id=assessment_pk).order_by("pk").values_list("pk", flat=True):
        enqueue(reassessment_pk)


def enqueue(assessment_pk: int):
    """Queue ``render_settled`` for the assessment's current revision, RENDER_AHEAD_SECONDS from now."""
    revision = Assessment.objects.filter(pk=assessment_pk).values_list("revision", flat=True).first()
    if revision is None:
        return None
    run_after = timezone.now() + timedelta(seconds=settings.RENDER_AHEAD_SECONDS)
    _drop_waiting(assessment_pk)
    return render_settled.using(run_after=run_after).enqueue(assessment_pk, revision)


def _drop_waiting(assessment_pk: int) -> None:
    """Remove this assessment's renders still waiting in the database queue: the one queued now
    supersedes them (they would do nothing), so a deployment whose worker is down, or `dev.sh run`
    without one, keeps one waiting task per assessment instead of one per save."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if isinstance(render_settled.get_backend(), DatabaseBackend):
        DBTaskResult.objects.filter(status="READY", task_path=render_settled.module_path,
                                    args_kwargs__args__0=assessment_pk).delete()


@task()
def render_settled(assessment_pk: int, revision: int) -> str:
    """Render the report and the letter of ``revision`` into storage, unless the assessment has
    moved on since (then the task of its newer revision will). Returns what it did."""
    from assessments.reports import render

    assessment = selectors.assessments_with_relations().filter(pk=assessment_pk).first()
    if assessment is None:
        return "gone"
    if assessment.revision != revision:
        return "superseded"
    rendered = []
    for kind, make_html in (("report", render.report_html), ("letter", render.letter_html)):
        _pdf, fresh = render.cached_pdf(kind, assessment, make_html)
        if fresh:
            rendered.append(kind)
    logger.info("assessment %s revision %s rendered ahead: %s", assessment_pk, revision, ",".join(rendered) or "stored")
    return "rendered:" + ",".join(rendered) if rendered else "stored"


def beat(worker_id: str) -> None:
    """Record that the worker ``worker_id`` is alive now."""
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id[:64], defaults={"seen_at": timezone.now()})


def worker_last_seen() -> datetime | None:
    """When a task worker was last seen: its latest heartbeat, or the end of the latest task the
    database backend ran (so a plain ``db_worker`` counts too); None if never."""
    from django_tasks_db.models import DBTaskResult

    seen = [
        WorkerHeartbeat.objects.aggregate(latest=Max("seen_at"))["latest"],
        DBTaskResult.objects.aggregate(latest=Max("finished_at"))["latest"],
    ]
    seen = [moment for moment in seen if moment is not None]
    return max(seen) if seen else None
