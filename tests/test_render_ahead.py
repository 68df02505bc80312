"""Reports rendered ahead (issue 18): a settled save has its report and letter rendered by the task
worker into the shared storage, and a download is then served from there without rendering."""

import re
import threading
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

from assessments import answer_saving, render_ahead, services
from assessments.demo import create_demo_assessment
from assessments.models import Assessment, RenderLock, WorkerHeartbeat
from assessments.reports import render
from tests.conftest import save_now
from tests.test_reports import pdf_text, squash

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
STORED_NAME = re.compile(r"(report|letter)/\d+/[0-9a-f]{40}\.pdf")


@pytest.fixture
def demo(catalogue, published_set):
    return create_demo_assessment()


@pytest.fixture
def renders(monkeypatch):
    """Every PDF rendered (the real renderer, counted)."""
    made = []
    real = render.html_to_pdf

    def counted(html):
        made.append(html)
        return real(html)

    monkeypatch.setattr(render, "html_to_pdf", counted)
    return made


def change_answer(demo, text):
    question = demo.question_set.questions.get(key="c-legal-article")
    save_now(demo, demo.owner, {question: answer_saving.AnswerChange(value=text)})


def stored_names():
    storage = storages["documents"]
    names = []
    for kind in ("report", "letter"):
        try:
            folders, _files = storage.listdir(kind)
        except FileNotFoundError:
            continue
        for folder in folders:
            names += [f"{kind}/{folder}/{name}" for name in storage.listdir(f"{kind}/{folder}")[1]]
    return sorted(names)


def run_worker():
    call_command("render_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def test_a_save_queues_a_render_for_when_it_has_settled(demo, settings, django_capture_on_commit_callbacks):
    settings.RENDER_AHEAD_SECONDS = 30
    default_task_backend.results.clear()
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        change_answer(demo, "第69条第2項第3号（変更後）")
    [queued] = default_task_backend.results
    assert queued.task.func is render_ahead.render_settled.func
    assert queued.args == [demo.pk, demo.revision]
    assert before + timedelta(seconds=30) <= queued.task.run_after <= timezone.now() + timedelta(seconds=30)


def test_a_save_queues_a_render_of_the_reassessments_too(demo, django_capture_on_commit_callbacks):
    """A re-assessment's report compares with its previous assessment (「前回からの変化」): a change
    to the previous one queues its render as well, so its next download is served from storage."""
    from assessments.reassessment import reassessment_start

    reassessment = reassessment_start(user=demo.owner, previous=demo, title="再評価（架空）", standpoint="resident")
    default_task_backend.results.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_answer(demo, "第69条第2項第3号（再評価の後の変更）")
    demo.refresh_from_db()
    assert sorted(r.args for r in default_task_backend.results) == sorted(
        [[demo.pk, demo.revision], [reassessment.pk, reassessment.revision]])


def test_nothing_is_queued_when_rendering_ahead_is_off(demo, settings, django_capture_on_commit_callbacks):
    settings.RENDER_AHEAD = False
    default_task_backend.results.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_answer(demo, "第69条第2項第3号（変更後）")
    assert default_task_backend.results == []


def test_the_letters_details_queue_a_render_too(demo, django_capture_on_commit_callbacks):
    default_task_backend.results.clear()
    details = services.letter_details_of(demo)
    values = {name: getattr(details, name) for name in services.LETTER_FIELDS}
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_details_save(assessment=demo, values={**values, "sender_name": "架空 太郎"}, base_version=0)
    assert [r.args for r in default_task_backend.results] == [[demo.pk, demo.revision]]


def test_a_second_save_before_the_render_makes_the_first_a_no_op(demo, renders, django_capture_on_commit_callbacks, client):
    default_task_backend.results.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_answer(demo, "第69条第2項第3号（一度目）")
    with django_capture_on_commit_callbacks(execute=True):
        change_answer(demo, "第69条第2項第3号（二度目）")
    first, second = default_task_backend.results
    assert render_ahead.render_settled.call(*first.args) == "superseded"
    assert renders == []
    assert render_ahead.render_settled.call(*second.args) == "rendered:report,letter"
    assert len(renders) == 2  # the report and the letter of the final revision, once each
    client.force_login(demo.owner)
    report = client.get(reverse("report_pdf", args=[demo.pk]))
    assert len(renders) == 2, "the download rendered again"
    assert "第69条第2項第3号（二度目）" in squash("".join(pdf_text(report.content)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_the_worker_renders_ahead_and_downloads_are_served_from_storage(
        catalogue, published_set, settings, renders, client):
    """The real queue: tasks in the database, run by `manage.py render_worker --batch`."""
    settings.TASKS = DATABASE_TASKS
    settings.RENDER_AHEAD_SECONDS = 0
    demo = create_demo_assessment()
    assert render_ahead.worker_last_seen() is None
    change_answer(demo, "第69条第2項第3号（先に作成）")
    assert DBTaskResult.objects.filter(status="READY").count() >= 1
    # Saves while no worker runs: one task waits per assessment, the latest revision's.
    other = create_demo_assessment()
    change_answer(demo, "第69条第2項第3号（途中）")
    change_answer(demo, "第69条第2項第3号（先に作成）")
    waiting = list(DBTaskResult.objects.filter(status="READY").values_list("args_kwargs", flat=True))
    assert sorted(w["args"][0] for w in waiting) == sorted([demo.pk, other.pk])
    demo.refresh_from_db()
    assert [w["args"][1] for w in waiting if w["args"][0] == demo.pk] == [demo.revision]
    run_worker()
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert len(renders) == 4  # each assessment's report and letter, once
    assert timezone.now() - render_ahead.worker_last_seen() < timedelta(minutes=1)
    assert WorkerHeartbeat.objects.exists()

    client.force_login(demo.owner)
    report = client.get(reverse("report_pdf", args=[demo.pk]))
    letter = client.get(reverse("letter_pdf", args=[demo.pk]))
    assert report.status_code == letter.status_code == 200
    assert len(renders) == 4, "a download rendered what the worker had stored"
    assert "第69条第2項第3号（先に作成）" in squash("".join(pdf_text(report.content)))

    # The same bytes as a render in the request: an empty storage, the same revision downloaded.
    settings.STORAGES = {**settings.STORAGES, "documents": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    assert client.get(reverse("report_pdf", args=[demo.pk])).content == report.content
    assert client.get(reverse("letter_pdf", args=[demo.pk])).content == letter.content
    assert len(renders) == 6


def test_a_stale_revisions_document_is_not_served_for_a_newer_revision(demo, renders, client):
    assert render_ahead.render_settled.call(demo.pk, demo.revision) == "rendered:report,letter"
    old = stored_names()
    change_answer(demo, "第69条第2項第3号（後から変更）")
    client.force_login(demo.owner)
    report = client.get(reverse("report_pdf", args=[demo.pk]))
    assert "第69条第2項第3号（後から変更）" in squash("".join(pdf_text(report.content)))
    assert len(renders) == 3  # rendered in the request: the stored one was of the older revision
    # The older report is gone from storage; the letter, which does not print the answer, stays.
    new = stored_names()
    assert [n for n in new if n.startswith("report/")] != [n for n in old if n.startswith("report/")]
    assert len([n for n in new if n.startswith("report/")]) == 1


def test_storage_names_contain_no_user_typed_text(demo, renders):
    project = demo.project
    project.title = "../../etc/passwd 架空の事業 <script>"
    project.save()
    demo.refresh_from_db()
    render.report_pdf(demo)
    render.letter_pdf(demo)
    names = stored_names()
    assert len(names) == 2
    for name in names:
        assert STORED_NAME.fullmatch(name), name


def test_a_stored_file_that_is_not_whole_is_not_served(demo, renders):
    """A file another server is still writing (no %%EOF yet) is rendered again, not served."""
    pdf = render.report_pdf(demo)
    [name] = stored_names()
    storage = storages["documents"]
    storage.delete(name)
    from django.core.files.base import ContentFile

    storage.save(name, ContentFile(pdf[: len(pdf) // 2]))
    assert render.report_pdf(demo) == pdf
    assert len(renders) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_simultaneous_first_downloads_of_a_revision_render_it_once(catalogue, published_set, monkeypatch):
    """Three downloads of a revision nobody has rendered yet, each in its own thread and database
    connection (as on three app servers): the first renders, the two others wait at its lock (a row
    in the database) and are then served what it stored. Without the lock all three would be inside
    the renderer at once, which this test detects instead of timing anything."""
    demo = create_demo_assessment()
    state = threading.Condition()
    entered, waiting, results = [], set(), []
    release = threading.Event()

    def slow_render(html):
        with state:
            entered.append(html)
            state.notify_all()
        release.wait(30)
        return f"%PDF {len(entered)}\n%%EOF\n".encode()

    real_wait = render._lock_wait

    def observed_wait():
        with state:
            waiting.add(threading.get_ident())
            state.notify_all()
        real_wait()

    monkeypatch.setattr(render, "html_to_pdf", slow_render)
    monkeypatch.setattr(render, "_lock_wait", observed_wait)

    def download():
        try:
            results.append(render._cached_pdf("report", demo, lambda assessment: "<html>"))
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(3)]
    threads[0].start()
    with state:
        assert state.wait_for(lambda: len(entered) == 1, timeout=30)
    assert RenderLock.objects.count() == 1
    for thread in threads[1:]:
        thread.start()
    with state:  # both others are held at the lock, or (without it) inside the renderer too
        assert state.wait_for(lambda: len(waiting) + len(entered) >= 3, timeout=30)
    release.set()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a download still waits at the lock"
    assert len(entered) == 1, f"{len(entered)} renders of one revision"
    assert results == [b"%PDF 1\n%%EOF\n"] * 3
    assert RenderLock.objects.count() == 0


def test_a_lock_left_by_a_dead_server_is_taken_over_when_it_expires(demo, renders):
    html = render.report_html(demo)
    key = render._cache_key("report", demo, html)
    RenderLock.objects.create(key=key, holder="dead", expires_at=timezone.now() - timedelta(seconds=1))
    render.report_pdf(demo)
    assert len(renders) == 1 and not RenderLock.objects.exists()


def test_a_busy_lock_table_while_taking_over_an_expired_lock_means_try_again(demo, renders, monkeypatch):
    """Two waiters at once: one's delete of the expired row can find the lock table busy (SQLite's
    "database table is locked"); that waiter looks again, as after a failed insert, and the
    download still comes (it crashed the thread before)."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    html = render.report_html(demo)
    key = render._cache_key("report", demo, html)
    RenderLock.objects.create(key=key, holder="dead", expires_at=timezone.now() - timedelta(seconds=1))
    real_delete, busy = QuerySet.delete, []

    def delete_busy_once(queryset):
        if queryset.model is RenderLock and not busy:
            busy.append(True)
            raise OperationalError("database table is locked")
        return real_delete(queryset)

    monkeypatch.setattr(QuerySet, "delete", delete_busy_once)
    monkeypatch.setattr(render, "LOCK_POLL_SECONDS", 0)
    assert render.report_pdf(demo).startswith(b"%PDF")
    assert busy and len(renders) == 1 and not RenderLock.objects.exists()


def _lock_table_busy(monkeypatch, times):
    """The database answers "database table is locked" to the next ``times`` DELETEs of a lock row
    (None: to every one), at the cursor, so inside the DELETE's own atomic block as a real refusal
    is; returns the list of refusals made."""
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    real_execute, refused = CursorWrapper.execute, []

    def execute(self, sql, params=None):
        if (sql.startswith("DELETE") and RenderLock._meta.db_table in sql
                and (times is None or len(refused) < times)):
            refused.append(sql)
            raise OperationalError("database table is locked")
        return real_execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", execute)
    return refused


def test_a_release_that_finds_the_lock_table_busy_tries_again(demo, renders, monkeypatch, caplog):
    """A release at the same instant as another request's insert finds the table busy (on the
    shared-cache SQLite test database at once, without waiting): it tries again, so the next
    download of the revision does not wait for the row to expire (it waited 60 s before)."""
    refused = _lock_table_busy(monkeypatch, times=2)
    monkeypatch.setattr(render, "LOCK_POLL_SECONDS", 0)
    assert render.report_pdf(demo).startswith(b"%PDF")
    assert len(refused) == 2 and len(renders) == 1
    assert not RenderLock.objects.exists()
    assert "could not release the render lock" not in caplog.text


def test_a_release_refused_by_the_database_inside_a_transaction_tries_again_and_leaves_it_usable(demo, monkeypatch):
    """The refusal comes from the database cursor, inside the DELETE's own atomic block, within a
    caller's transaction: the next attempt must not find that transaction broken (it raised
    TransactionManagementError and failed the download before each attempt had a savepoint)."""
    from django.db import transaction

    key = "dxpia:report:test-release"
    RenderLock.objects.create(key=key, holder="me", expires_at=timezone.now() + timedelta(seconds=90))
    refused = _lock_table_busy(monkeypatch, times=1)
    monkeypatch.setattr(render, "LOCK_POLL_SECONDS", 0)
    with transaction.atomic():
        render._release(key, "me")
        assert refused and not RenderLock.objects.filter(key=key).exists()
    assert Assessment.objects.filter(pk=demo.pk).exists()  # the connection still answers


def test_an_expired_lock_whose_delete_is_refused_inside_a_transaction_is_taken_over_on_the_next_look(demo, renders, monkeypatch):
    """The same for the delete of an expired lock while waiting: refused once by the cursor, within a
    caller's transaction, the waiter looks again and takes the lock over."""
    from django.db import transaction

    html = render.report_html(demo)
    key = render._cache_key("report", demo, html)
    RenderLock.objects.create(key=key, holder="dead", expires_at=timezone.now() - timedelta(seconds=1))
    refused = _lock_table_busy(monkeypatch, times=1)
    monkeypatch.setattr(render, "LOCK_POLL_SECONDS", 0)
    with transaction.atomic():
        assert render.report_pdf(demo).startswith(b"%PDF")
    assert refused and len(renders) == 1 and not RenderLock.objects.exists()


def test_a_lock_that_cannot_be_released_for_a_busy_table_still_gives_the_download(demo, renders, monkeypatch, caplog):
    """The PDF is made; a release that finds the lock table busy for longer than it tries leaves the
    row to expire (the next one takes over then) and says so in the log, rather than failing the
    download."""
    refused = _lock_table_busy(monkeypatch, times=None)
    monkeypatch.setattr(render, "LOCK_POLL_SECONDS", 0)
    monkeypatch.setattr(render, "RELEASE_TRY_SECONDS", 0.05)
    assert render.report_pdf(demo).startswith(b"%PDF")
    assert len(refused) >= 2, "tried again before giving up"
    assert len(renders) == 1 and RenderLock.objects.count() == 1
    assert "could not release the render lock" in caplog.text


def test_a_download_waits_for_a_live_holder_only_so_long_then_renders_itself(demo, renders, monkeypatch, caplog):
    html = render.report_html(demo)
    key = render._cache_key("report", demo, html)
    # Alive but stuck: its row has not expired.
    RenderLock.objects.create(key=key, holder="stuck", expires_at=timezone.now() + timedelta(seconds=80))
    monkeypatch.setattr(render, "LOCK_WAIT_SECONDS", 0.3)
    monkeypatch.setattr(render, "LOCK_POLL_SECONDS", 0.05)
    assert render.report_pdf(demo).startswith(b"%PDF")
    assert len(renders) == 1
    assert list(RenderLock.objects.values_list("holder", flat=True)) == ["stuck"]  # not another's to remove
    assert "rendering without it" in caplog.text


def test_the_render_lock_expires_before_a_request_times_out():
    from dxpia import gunicorn_conf

    assert render.LOCK_WAIT_SECONDS < render.RENDER_LOCK_SECONDS < gunicorn_conf.timeout


def test_a_storage_that_cannot_be_written_still_gives_the_download(demo, client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only storage")

    monkeypatch.setattr(storages["documents"], "save", refuse)
    client.force_login(demo.owner)
    response = client.get(reverse("letter_pdf", args=[demo.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "could not store letter" in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_deleting_an_assessment_removes_its_stored_documents_and_no_one_elses(catalogue, published_set):
    demo, other = create_demo_assessment(), create_demo_assessment()
    for assessment in (demo, other):
        render.report_pdf(assessment)
        render.letter_pdf(assessment)
    assert {name.split("/")[1] for name in stored_names()} == {str(demo.pk), str(other.pk)}
    demo.delete()
    assert stored_names() and {name.split("/")[1] for name in stored_names()} == {str(other.pk)}


def test_the_default_documents_folder_is_the_app_users_alone(tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    from dxpia import settings as project_settings  # as configured, not as the tests replace it

    options = {**project_settings.STORAGES["documents"]["OPTIONS"], "location": str(tmp_path / "documents")}
    storage = FileSystemStorage(**options)
    storage.save("report/1/abc.pdf", ContentFile(b"%PDF %%EOF"))
    assert oct((tmp_path / "documents" / "report" / "1" / "abc.pdf").stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "documents" / "report" / "1").stat().st_mode & 0o777) == "0o700"
