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

A save of answers (answer_saving.answers_save) is the most frequent write by far (the wizard saves in
the background as one types), and what it writes is printed only by the documents of that one
assessment and of its re-assessments (the chapter 「前回からの変化」 compares with the previous
assessment). So, within ``answers_of(pk)``, a write to the answer tables (``answer_tables()``: the
assessment's own row, its answers, their sources, inventory rows and history, its reviewer seats)
renews only that assessment's stamp (``AssessmentStamp``), and a download's key holds the site's
token, its assessment's and its previous assessment's (``tokens``): a save to one assessment does not
send the downloads of every other back to building their HTML. Any other write, inside such a scope
or not, renews the site's token as above.

What it cannot see: a write made past Django (psql, pg_restore). After one, run ``manage.py
documents_changed`` (``manage.py restore`` does it itself); at worst, until then and for at most
render.SERVED_SECONDS, a download serves the PDF of the data before that write. A connection whose own transaction has written and not yet
committed never uses the stamp: it must read its own changes (``unsettled``).
"""

from __future__ import annotations

import contextlib
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

    from assessments.models import AssessmentStamp, DocumentStamp, RenderLock, StaffAccess, WorkerHeartbeat

    return frozenset(model._meta.db_table for model in
                     (Session, DBTaskResult, DocumentStamp, AssessmentStamp, RenderLock, StaffAccess, WorkerHeartbeat))


def answer_tables() -> frozenset[str]:
    """Tables whose rows each belong to one assessment and are printed only by the documents of that
    assessment and of its re-assessments: what a save of answers writes."""
    from assessments.models import Answer, AnswerHistory, Assessment, Evidence, InventoryRow, Reviewer

    return frozenset(model._meta.db_table for model in (Assessment, Answer, AnswerHistory, Evidence, InventoryRow, Reviewer))


_quiet: frozenset[str] | None = None
_answers: frozenset[str] | None = None


def written_table(sql) -> str | None:
    """The table ``sql`` writes to when it is one INSERT, UPDATE or DELETE, else None (pure)."""
    if not isinstance(sql, str) or _MORE.search(sql):
        return None
    match = _WRITE_TABLE.match(sql)
    return match.group(1).split(".")[-1] if match else None


def is_change(sql: str) -> bool:
    """Whether the statement ``sql`` may change what a document prints (pure: tested without a database)."""
    global _quiet
    if not isinstance(sql, str) or _MORE.search(sql):
        return True  # psycopg's sql.Composed, several statements: taken as a change
    if _READ.match(sql):
        return False
    table = written_table(sql)
    if table is None:
        return True  # TRUNCATE, CREATE, ALTER, DROP, WITH …: whatever it is, it may change something
    if _quiet is None:
        _quiet = quiet_tables()
    return table not in _quiet


def is_answer_write(sql) -> bool:
    """Whether ``sql`` writes to one of ``answer_tables()`` only (pure)."""
    global _answers
    if _answers is None:
        _answers = answer_tables()
    return written_table(sql) in _answers


def _watch(execute, sql, params, many, context):
    try:
        return execute(sql, params, many, context)
    finally:  # a statement that failed may still have changed something (executemany in autocommit)
        if is_change(sql):
            connection = context["connection"]
            answers_of_pk = getattr(connection, "dxpia_answers_of", None)
            if answers_of_pk is not None and is_answer_write(sql):
                _answers_changed_on(connection, answers_of_pk)
            else:
                _changed_on(connection)


@contextlib.contextmanager
def answers_of(assessment_pk: int):
    """Within: the writes to ``answer_tables()`` are those of assessment ``assessment_pk``'s answers,
    and renew only its stamp. The caller writes rows of that assessment only."""
    connection = connections[DEFAULT_DB_ALIAS]
    outer = getattr(connection, "dxpia_answers_of", None)
    connection.dxpia_answers_of = assessment_pk
    try:
        yield
    finally:
        connection.dxpia_answers_of = outer


def watch(connection, **kwargs) -> None:
    """Watch ``connection``'s statements (connected to ``connection_created`` in apps.py)."""
    if connection.alias == DEFAULT_DB_ALIAS and _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def _changed_on(connection) -> None:
    _renew_once(connection, _renew_after_commit)


def _answers_changed_on(connection, assessment_pk: int) -> None:
    _renew_once(connection, _AnswersRenewal(assessment_pk))


def _renew_once(connection, renewal) -> None:
    """Run ``renewal`` now (autocommit: the statement is already committed), or once when the
    transaction commits, unless the same renewal is queued already (an assessment's renewal does
    not stand for the site's, nor one assessment's for another's)."""
    if not connection.in_atomic_block:
        renewal()
    elif not any(func == renewal for _sids, func, _robust in connection.run_on_commit):
        connection.on_commit(renewal)


class _AnswersRenewal:
    """After the commit of a save of answers: renew that assessment's stamp."""

    def __init__(self, assessment_pk: int):
        self.assessment_pk = assessment_pk

    def __eq__(self, other):
        return isinstance(other, _AnswersRenewal) and other.assessment_pk == self.assessment_pk

    def __hash__(self):
        return hash(self.assessment_pk)

    def __call__(self) -> None:
        try:
            renew_assessment(self.assessment_pk)
        except DatabaseError:  # the site's stamp then, which changes every key (or forget what was served)
            logger.exception("could not renew the document stamp of assessment %s", self.assessment_pk)
            _renew_after_commit()


def unsettled(connection=None) -> bool:
    """Whether ``connection``'s transaction has written something not yet committed."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    return any(func is _renew_after_commit or isinstance(func, _AnswersRenewal)
               for _sids, func, _robust in connection.run_on_commit)


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

    return _new_token(DocumentStamp, 1)


def renew_assessment(assessment_pk: int) -> str:
    """Give assessment ``assessment_pk``'s stamp a new token (after a save of its answers)."""
    from assessments.models import AssessmentStamp

    return _new_token(AssessmentStamp, assessment_pk)


def _new_token(model, pk) -> str:
    """A new token in ``model``'s row ``pk``: one UPDATE, or the row made on first use."""
    token = uuid.uuid4().hex
    if not model.objects.filter(pk=pk).update(token=token):
        try:
            with transaction.atomic():
                model.objects.create(pk=pk, token=token)
        except IntegrityError:  # made by another process just now
            model.objects.filter(pk=pk).update(token=token)
    return token


def current() -> str:
    """The stamp's token now (made on first use)."""
    from assessments.models import DocumentStamp

    token = DocumentStamp.objects.filter(pk=1).values_list("token", flat=True).first()
    return token if token is not None else renew()


def tokens(*assessment_pks: int) -> tuple[str, ...]:
    """The site's token and those of the assessments ``assessment_pks`` ("" for one whose answers
    were never saved in a scope), in one query (the site's made on first use)."""
    from django.db.models import Subquery

    from assessments.models import AssessmentStamp, DocumentStamp

    names = [f"assessment_{i}" for i in range(len(assessment_pks))]
    row = (DocumentStamp.objects.filter(pk=1)
           .annotate(**{name: Subquery(AssessmentStamp.objects.filter(assessment_id=pk).values("token")[:1])
                        for name, pk in zip(names, assessment_pks)})
           .values_list("token", *names).first())
    if row is None:  # no site token yet: made now
        renew()
        return tokens(*assessment_pks)
    return tuple(token or "" for token in row)
