"""The task worker: django-tasks-db's ``db_worker`` (same options) that also records a heartbeat
every render_ahead.HEARTBEAT_SECONDS, so that /healthz can tell an idle worker from a dead one."""

import threading

from django.db import close_old_connections, connection
from django_tasks_db.management.commands import db_worker

from assessments import render_ahead


def _beat_until(stop: threading.Event, worker_id: str) -> None:
    while not stop.wait(render_ahead.HEARTBEAT_SECONDS):
        try:
            render_ahead.beat(worker_id)
        except Exception:  # a database blip: the next beat tries again
            render_ahead.logger.exception("worker heartbeat failed")
        finally:
            connection.close()


class Command(db_worker.Command):
    help = "Run the task worker (renders reports ahead) and record its heartbeat."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Reloading runs the worker in a child process; the heartbeat must come from the process
        # that runs the tasks, so no reloader (db_worker turns it on when DEBUG).
        parser.set_defaults(reload=False)

    def handle(self, *args, **options):
        close_old_connections()
        render_ahead.beat(options["worker_id"])  # at start, before the first task
        stop = threading.Event()
        heartbeat = threading.Thread(target=_beat_until, args=(stop, options["worker_id"]), daemon=True)
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            heartbeat.join(5)
