"""The document stamp: one token in the database that changes after every committed write that could
change what a document prints, so that a download can know, with one query, that the report it
served a moment ago is still exact.

Why: a stored PDF is named by the digest of its HTML (reports/render.py), which is exact whatever
changed, wherever — but building that HTML costs a download some 70 ms and 19 queries. With the
stamp, each process remembers which stored PDF it served for (document, assessment, stamp, date);
while the stamp has not changed, the next download of that document is one query and a file read.

How "every write" is seen: not by model signals, which ``QuerySet.update()``, ``bulk_create`` and raw
SQL bypass, but by a wrapper around every SQL statement Django sends (``execute_wrappers``, installed
on each new connection). Any statement that is not a read — INSERT, UPDATE, DELETE, TRUNCATE, DDL —
marks the change, unless it writes only to a table that no document prints (``quiet_tables()``:
sessions, render locks, the task queue, the worker's heartbeat, staff access records, the stamp).
In a transaction the new token is written once the transaction commits (nothing that rolls back
changes it; readers never wait behind a writer on the stamp's row); outside one, at once.

What it cannot see: a write made past Django (psql, pg_restore). After one, run ``manage.py
documents_changed`` (``manage.py restore`` does it itself); at worst, until then and for at most
render.SERVED_SECONDS, a download serves the PDF of the data before that write. A connection whose own transaction has written and not yet
committed never uses the stamp: it must read its own changes (``unsettled``).
"""

from __future__ import annotations

import logging
import re
import uuid

from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction

logger = logging.getLogger(__name__)

_READ = re.compile(r"\s*(SELECT|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SET|SHOW|PRAGMA)\b", re.I)
# A second statement after a semicolon (outside the first's text, as far as a pattern can tell): whatever
# the first was, the whole is taken as a change.
_MORE = re.compile(r";\s*\S")
_WRITE_TABLE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.I)


def quiet_tables() -> frozenset[str]:
    """Tables written by requests that change nothing a document prints."""
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    from assessments.models import DocumentStamp, RenderLock, StaffAccess, WorkerHeartbeat

    return frozenset(model._meta.db_table for model in
                     (Session, DBTaskResult, DocumentStamp, RenderLock, StaffAccess, WorkerHeartbeat))


_quiet: frozenset[str] | None = None


def is_change(sql: str) -> bool:
    """Whether the statement ``sql`` may change what a document prints (pure: tested without a database)."""
    global _quiet
    if not isinstance(sql, str) or _MORE.search(sql):
        return True  # psycopg's sql.Composed, several statements: taken as a change
    if _READ.match(sql):
        return False
    match = _WRITE_TABLE.match(sql)
    if match is None:
        return True  # TRUNCATE, CREATE, ALTER, DROP, WITH …: whatever it is, it may change something
    if _quiet is None:
        _quiet = quiet_tables()
    return match.group(1).split(".")[-1] not in _quiet


def _watch(execute, sql, params, many, context):
    try:
        return execute(sql, params, many, context)
    finally:  # a statement that failed may still have changed something (executemany in autocommit)
        if is_change(sql):
            _changed_on(context["connection"])


def watch(connection, **kwargs) -> None:
    """Watch ``connection``'s statements (connected to ``connection_created`` in apps.py)."""
    if connection.alias == DEFAULT_DB_ALIAS and _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def _changed_on(connection) -> None:
    if not connection.in_atomic_block:
        _renew_after_commit()  # autocommit: the statement is already committed
    elif not unsettled(connection):
        connection.on_commit(_renew_after_commit)


def unsettled(connection=None) -> bool:
    """Whether ``connection``'s transaction has written something not yet committed."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    return any(func is _renew_after_commit for _sids, func, _robust in connection.run_on_commit)


def _renew_after_commit() -> None:
    """Renew the stamp after a committed change. Never raises: the change is committed whatever
    happens here (outside any transaction, so a failure spoils nothing else)."""
    try:
        renew()
    except DatabaseError:
        from assessments.models import DocumentStamp

        connection = connections[DEFAULT_DB_ALIAS]
        try:
            missing = DocumentStamp._meta.db_table not in connection.introspection.table_names()
        except DatabaseError:
            missing = False
        if missing:  # migrating a new database: no stamp yet, so nothing was served by one
            return
        # The write is committed but the stamp kept its token: this process forgets what it served
        # (other processes may serve the older PDF until the next change or `documents_changed`).
        logger.exception("could not renew the document stamp")
        from assessments.reports import render

        render.forget_served()


def renew() -> str:
    """Give the stamp a new token (after a change) and return it."""
    from assessments.models import DocumentStamp

    token = uuid.uuid4().hex
    if not DocumentStamp.objects.filter(pk=1).update(token=token):
        try:
            with transaction.atomic():
                DocumentStamp.objects.create(pk=1, token=token)
        except IntegrityError:  # made by another process just now
            DocumentStamp.objects.filter(pk=1).update(token=token)
    return token


def current() -> str:
    """The stamp's token now (made on first use)."""
    from assessments.models import DocumentStamp

    token = DocumentStamp.objects.filter(pk=1).values_list("token", flat=True).first()
    return token if token is not None else renew()
