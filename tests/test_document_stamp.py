"""The document stamp (assessments/reports/document_stamp.py): a repeated download is served without
building the report again, and any committed write — through a model, ``QuerySet.update()``, raw
SQL or the admin — makes the next download show it; a download itself changes nothing."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, AssessmentStamp, DocumentStamp, Municipality, Project, Question, StaffAccess
from assessments.reports import document_stamp, render
from tests.test_reports import pdf_text, squash
from tests.test_wizard import autosave as post_autosave


@pytest.mark.parametrize("sql, change", [
    ('SELECT "assessments_project"."title" FROM "assessments_project"', False),
    ("SAVEPOINT \"s1\"", False),
    ('RELEASE SAVEPOINT "s1"', False),
    ('UPDATE "assessments_project" SET "title" = %s WHERE "id" = %s', True),
    ('INSERT INTO "assessments_answer" ("value") VALUES (%s)', True),
    ('DELETE FROM "assessments_reviewopinion" WHERE "id" IN (%s)', True),
    ("update assessments_municipality set name = 'x'", True),
    ('TRUNCATE "assessments_project"', True),
    ('ALTER TABLE "assessments_project" ADD COLUMN "x" integer', True),
    ('WITH moved AS (DELETE FROM "assessments_answer" RETURNING *) SELECT 1', True),
    ('UPDATE "django_session" SET "expire_date" = %s', False),
    ('INSERT INTO "assessments_staffaccess" ("username") VALUES (%s)', False),
    ('INSERT INTO "assessments_renderlock" ("key") VALUES (%s)', False),
    ('DELETE FROM "django_tasks_database_dbtaskresult" WHERE "id" = %s', False),
    ('UPDATE "assessments_documentstamp" SET "token" = %s', False),
    ('UPDATE "django_session" SET "expire_date" = %s; UPDATE assessments_project SET title = %s', True),
    ("SELECT 1; DELETE FROM assessments_answer", True),
    ("EXPLAIN ANALYZE UPDATE assessments_project SET title = 'x'", True),
    ("SELECT 1;", False),
])
def test_which_statements_change_what_documents_print(sql, change):
    assert document_stamp.is_change(sql) is change


def test_sql_that_is_not_a_string_is_taken_as_a_change():
    from psycopg import sql

    assert document_stamp.is_change(sql.SQL("UPDATE {} SET title = %s").format(sql.Identifier("assessments_project")))


def report_text(client, assessment) -> str:
    response = client.get(reverse("report_pdf", args=[assessment.pk]))
    assert response.status_code == 200
    return squash("".join(pdf_text(response.content)))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_a_repeated_download_is_served_by_the_stamp_until_anything_changes(cast, monkeypatch):
    """Real commits (transaction=True), as on a server: the stamp is renewed after each commit."""
    assessment = cast["assessment"]
    owner = Client()
    owner.force_login(cast["owner"])
    first = owner.get(reverse("report_pdf", args=[assessment.pk])).content
    token = document_stamp.current()

    built = []
    report_html = render.report_html
    monkeypatch.setattr(render, "report_html", lambda a, *args: built.append(a.pk) or report_html(a, *args))
    assert owner.get(reverse("report_pdf", args=[assessment.pk])).content == first
    assert built == []  # served by the stamp: the report's HTML was not built again
    assert document_stamp.current() == token  # a download changes nothing

    # Past the models' save(): no signal is sent, the statement itself renews the stamp.
    Project.objects.filter(pk=assessment.project_id).update(title="こどもデータ連携実証事業（改題）")
    assert document_stamp.current() != token
    assert squash("こどもデータ連携実証事業（改題）") in report_text(owner, assessment)
    assert built == [assessment.pk]

    # An assessment loaded before a change (as a view loads it before asking for the report) is not
    # what the report is built from once the stamp says something changed: it is read again.
    loaded_before = type(assessment).objects.select_related("project").get(pk=assessment.pk)
    Project.objects.filter(pk=assessment.project_id).update(title="こどもデータ連携実証事業（再改題）")
    assert squash("こどもデータ連携実証事業（再改題）") in squash("".join(pdf_text(render.report_pdf(loaded_before))))

    with connection.cursor() as cursor:  # raw SQL through Django
        cursor.execute("UPDATE assessments_municipality SET name = %s WHERE id = %s",
                       ["美里町（表記変更）", assessment.project.municipality_id])
    assert squash("美里町（表記変更）") in report_text(owner, assessment)

    with transaction.atomic():  # in a transaction: once it commits
        municipality = Municipality.objects.get(pk=assessment.project.municipality_id)
        municipality.name = "美里町（再変更）"
        municipality.save()
        assert document_stamp.unsettled()
    assert not document_stamp.unsettled()
    assert squash("美里町（再変更）") in report_text(owner, assessment)

    with pytest.raises(RuntimeError), transaction.atomic():  # rolled back: nothing changed
        Municipality.objects.filter(pk=municipality.pk).update(name="美里町（取り消し）")
        raise RuntimeError
    token = document_stamp.current()
    built.clear()
    assert squash("美里町（再変更）") in report_text(owner, assessment)
    assert built == [] and document_stamp.current() == token


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
@pytest.mark.parametrize("name, expected", [("report_pdf", 6), ("letter_pdf", 6),
                                            ("public_report_pdf", 2), ("public_letter_pdf", 2)])
def test_a_download_served_as_stored_reads_only_what_its_file_name_needs(cast, name, expected):
    """Served by the stamp, a download reads the assessment with its project and municipality (the
    file name) and the tokens, and for a member the session, the user and the member's membership and
    reviewer seat: six queries, two for a resident reading a published assessment without signing
    in. None of them is for the question set, the owner's profile, the group or the review schedule
    that the pages show beside the assessment (reading those cost the ORM about 2 ms of the
    download's 5 on PostgreSQL). The file still names the municipality and the project."""
    from django.test.utils import CaptureQueriesContext

    reader = Client()
    if name.startswith("public_"):
        Assessment.objects.filter(pk=cast["assessment"].pk).update(status=Assessment.Status.PUBLISHED)
    else:
        reader.force_login(cast["owner"])
    url = reverse(name, args=[cast["assessment"].pk])
    first = reader.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = reader.get(url)
    assert again.status_code == 200 and again.content == first.content and first.content.startswith(b"%PDF")
    assert "%E7%BE%8E%E9%87%8C%E7%94%BA" in again["Content-Disposition"]  # 美里町, as filename*=UTF-8''…
    sql = [query["sql"] for query in queries.captured_queries]
    assert len(sql) == expected, sql
    read = " ".join(sql)
    assert "assessments_municipality" in read
    for table in ("assessments_questionset", "assessments_profile", "assessments_organisation", "assessments_reviewschedule"):
        assert f'FROM "{table}"' not in read and f'JOIN "{table}"' not in read, table


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_a_staff_look_is_recorded_without_spoiling_the_stamp(cast):
    staff = Client()
    staff.force_login(cast["staff"])
    assessment = cast["assessment"]
    staff.get(reverse("report_pdf", args=[assessment.pk]))
    token = document_stamp.current()
    assert staff.get(reverse("report_pdf", args=[assessment.pk])).status_code == 200
    assert StaffAccess.objects.filter(path=reverse("report_pdf", args=[assessment.pk])).count() == 2
    assert document_stamp.current() == token


@pytest.mark.django_db
def test_documents_changed_renews_the_stamp_and_an_uncommitted_write_is_read(cast, monkeypatch):
    token = document_stamp.current()
    call_command("documents_changed", stdout=open("/dev/null", "w"))
    assert DocumentStamp.objects.get().token != token
    # This test runs in one transaction that is never committed: its own writes are not settled,
    # so the stamp is not used and every download builds the HTML (it must show what was written).
    Project.objects.filter(pk=cast["assessment"].project_id).update(title="未確定の題名")
    assert document_stamp.unsettled()
    built = []
    report_html = render.report_html
    monkeypatch.setattr(render, "report_html", lambda a, *args: built.append(a.pk) or report_html(a, *args))
    owner = Client()
    owner.force_login(cast["owner"])
    for _ in range(2):
        assert squash("未確定の題名") in report_text(owner, cast["assessment"])
    assert len(built) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_a_save_of_answers_not_yet_committed_is_read_by_its_own_connection(cast, built_reports):
    """Within the transaction of a save of answers, the stamp is not used: every download in it
    builds the HTML and shows what was written."""
    from assessments.answer_saving import AnswerChange, answers_save

    assessment = cast["assessment"]
    owner = Client()
    owner.force_login(cast["owner"])
    for _ in range(2):
        owner.get(reverse("report_pdf", args=[assessment.pk]))
    assert built_reports == [assessment.pk]  # the second was served by the stamp
    question = assessment.question_set.questions.exclude(type=Question.Type.INVENTORY).order_by(
        "section__position", "position").first()
    with transaction.atomic():
        answers_save(assessment=assessment, user=cast["owner"],
                     changes={question: AnswerChange(note="未確定の補足（架空）", base={"note": 0})})
        assert document_stamp.unsettled()
        built_reports.clear()
        for _ in range(2):
            assert squash("未確定の補足（架空）") in report_text(owner, assessment)
        assert built_reports == [assessment.pk, assessment.pk]


@pytest.mark.django_db
def test_a_stamp_that_cannot_be_renewed_makes_the_process_forget_what_it_served(monkeypatch, caplog):
    render._served.put(("report", 1, "t", "2026-12-06", ""), "report/1/x.pdf")

    def broken():
        from django.db import OperationalError
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(document_stamp, "renew", broken)
    document_stamp._renew_after_commit()
    assert render._served.get(("report", 1, "t", "2026-12-06", "")) is None
    assert "could not renew the document stamp" in caplog.text


def test_what_was_served_is_trusted_only_for_a_while(monkeypatch):
    served = render._Served(8)
    served.put(("report", 1, "t", "2026-12-06", ""), "report/1/x.pdf")
    assert served.get(("report", 1, "t", "2026-12-06", "")) == "report/1/x.pdf"
    monkeypatch.setattr(render, "SERVED_SECONDS", -1)  # past the bound: checked against the data again
    assert served.get(("report", 1, "t", "2026-12-06", "")) is None


def test_a_statement_that_fails_still_counts_as_a_change(monkeypatch):
    """An executemany in autocommit can fail after writing its first rows: the stamp is renewed anyway."""
    renewed = []
    monkeypatch.setattr(document_stamp, "_renew_after_commit", lambda: renewed.append(True))

    class Autocommit:
        in_atomic_block = False

    def failing(sql, params, many, context):
        raise RuntimeError("failed on the third row")

    with pytest.raises(RuntimeError):
        document_stamp._watch(failing, 'INSERT INTO "assessments_answer" ("note") VALUES (%s)', [], True,
                              {"connection": Autocommit()})
    assert renewed == [True]


def autosave(client, assessment, question, part, value):
    """The wizard's background save of one part, based on the version stored now."""
    answer = Answer.objects.filter(assessment=assessment, question=question).first()
    response = post_autosave(client, assessment, question=question.key, part=part, value=value, mark="",
                             base=getattr(answer, f"{part}_version") if answer else 0)
    assert response.status_code == 200, response.content
    assert response.json()["changed"] is True


@pytest.fixture
def built_reports(monkeypatch):
    """The pks of the assessments whose report HTML was built (not served by the stamp)."""
    built = []
    report_html = render.report_html
    monkeypatch.setattr(render, "report_html", lambda a, *args: built.append(a.pk) or report_html(a, *args))
    return built


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_a_save_of_answers_renews_the_stamp_of_its_own_assessment_only(cast, built_reports):
    from assessments.answer_saving import assessment_create

    saved_to = cast["assessment"]
    other = assessment_create(user=cast["editor"], project=saved_to.project, question_set=saved_to.question_set,
                              title="同じ事業の別の評価", standpoint="resident", organisation=cast["group"])
    owner = Client()
    owner.force_login(cast["owner"])
    for assessment in (saved_to, other):
        owner.get(reverse("report_pdf", args=[assessment.pk]))
    site_token = document_stamp.current()
    assessment_token = document_stamp.tokens(saved_to.pk)[1]
    built_reports.clear()

    question = saved_to.question_set.questions.exclude(type=Question.Type.INVENTORY).order_by(
        "section__position", "position").first()
    autosave(owner, saved_to, question, "note", "保存のたびに再作成されるべき補足（架空）")
    assert document_stamp.current() == site_token  # the site's token is kept …
    assert AssessmentStamp.objects.get(assessment_id=saved_to.pk).token not in ("", assessment_token)  # … its own renewed

    assert owner.get(reverse("report_pdf", args=[other.pk])).status_code == 200
    assert built_reports == []  # the other assessment's stored report is still served as it is
    assert squash("保存のたびに再作成されるべき補足（架空）") in report_text(owner, saved_to)
    assert built_reports == [saved_to.pk]

    # In a save's transaction, after its answers were written, a write to any other table renews the
    # site's token: every report is built again. Inside the scope …
    with transaction.atomic(), document_stamp.answers_of(saved_to.pk):
        Answer.objects.filter(assessment=saved_to, question=question).update(note="範囲内の補足（架空）")
        Project.objects.filter(pk=saved_to.project_id).update(title="こどもデータ連携実証事業（範囲内の別の表）")
    assert document_stamp.current() != site_token
    assert squash("こどもデータ連携実証事業（範囲内の別の表）") in report_text(owner, other)
    assert built_reports == [saved_to.pk, other.pk]

    # … and after it, as a caller that saves answers and then changes something else does.
    from assessments.answer_saving import AnswerChange, answers_save

    site_token = document_stamp.current()
    with transaction.atomic():
        answers_save(assessment=saved_to, user=cast["owner"], changes={question: AnswerChange(
            note="保存の後で事業名も変える（架空）", base={"note": Answer.objects.get(assessment=saved_to, question=question).note_version})})
        Project.objects.filter(pk=saved_to.project_id).update(title="こどもデータ連携実証事業（保存の後の変更）")
    assert document_stamp.current() != site_token
    assert squash("こどもデータ連携実証事業（保存の後の変更）") in report_text(owner, other)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_orm_beside_playwright")  # transactional: run after the browser tests
def test_a_save_to_the_previous_assessment_renews_the_report_of_its_reassessment(cast, built_reports):
    """The chapter 「前回からの変化」 of a re-assessment compares with the previous assessment's answers."""
    from assessments.reassessment import reassessment_start

    previous = cast["assessment"]
    question = (previous.question_set.questions.filter(type=Question.Type.SINGLE)
                .order_by("section__position", "position").first())
    owner = Client()
    owner.force_login(cast["owner"])
    first_choice, second_choice = question.choices.order_by("position")[:2]
    autosave(owner, previous, question, "value", first_choice.key)
    reassessment = reassessment_start(user=cast["owner"], previous=previous, title="再評価",
                                      standpoint="resident", organisation=cast["group"])
    before = owner.get(reverse("report_pdf", args=[reassessment.pk])).content
    assert owner.get(reverse("report_pdf", args=[reassessment.pk])).content == before
    built_reports.clear()

    autosave(owner, previous, question, "value", second_choice.key)
    after = owner.get(reverse("report_pdf", args=[reassessment.pk])).content
    assert built_reports == [reassessment.pk]  # built again, not served by the stamp
    assert after != before


def test_which_writes_renew_only_an_assessments_stamp(monkeypatch):
    """Inside answers_of: a write to the answer tables renews that assessment's stamp; any other
    change, and any change outside the scope, renews the site's."""
    renewed = []
    monkeypatch.setattr(document_stamp, "_renew_after_commit", lambda: renewed.append("site"))
    monkeypatch.setattr(document_stamp._AnswersRenewal, "__call__", lambda self: renewed.append(self.assessment_pk))

    class Autocommit:
        in_atomic_block = False

    def run(sql, scope=None):
        connection = Autocommit()
        connection.dxpia_answers_of = scope
        document_stamp._watch(lambda *args: None, sql, [], False, {"connection": connection})

    run('UPDATE "assessments_answer" SET "note" = %s WHERE "id" = %s', scope=7)
    run('INSERT INTO "assessments_answerhistory" ("old") VALUES (%s)', scope=7)
    run('DELETE FROM "assessments_inventoryrow" WHERE "answer_id" = %s', scope=7)
    run('INSERT INTO "assessments_evidence" ("title") VALUES (%s)', scope=7)
    run('UPDATE "assessments_assessment" SET "revision" = %s WHERE "id" = %s', scope=7)
    run('UPDATE "assessments_reviewer" SET "withdrawn_at" = %s WHERE "assessment_id" = %s', scope=7)
    assert renewed == [7] * 6
    renewed.clear()
    run('UPDATE "assessments_project" SET "title" = %s', scope=7)
    run('UPDATE "assessments_answer" SET "note" = %s WHERE "id" = %s')
    run('TRUNCATE "assessments_answer"', scope=7)
    run('UPDATE "assessments_answer" SET "note" = %s; UPDATE "assessments_project" SET "title" = %s', scope=7)
    assert renewed == ["site"] * 4
    renewed.clear()
    run('SELECT * FROM "assessments_answer"', scope=7)
    run('UPDATE "django_session" SET "expire_date" = %s', scope=7)
    assert renewed == []


def test_an_assessment_stamp_that_cannot_be_renewed_renews_the_sites(monkeypatch, caplog):
    renewed = []

    def broken(pk):
        from django.db import OperationalError
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(document_stamp, "renew_assessment", broken)
    monkeypatch.setattr(document_stamp, "_renew_after_commit", lambda: renewed.append("site"))
    document_stamp._AnswersRenewal(7)()
    assert renewed == ["site"]
    assert "could not renew the document stamp of assessment 7" in caplog.text


@pytest.mark.django_db
def test_without_a_site_token_yet_one_is_made_and_the_assessments_token_still_read():
    DocumentStamp.objects.all().delete()
    assessment_token = document_stamp.renew_assessment(7)
    site_token, token_of_7, token_of_8 = document_stamp.tokens(7, 8)
    assert site_token == DocumentStamp.objects.get().token != ""
    assert (token_of_7, token_of_8) == (assessment_token, "")
