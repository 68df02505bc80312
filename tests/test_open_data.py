"""Open data of what is published (issue 16): every published assessment's answers, sources and
inventory as CSV and XLSX, and one as JSON, without signing in; answers to hidden questions left out
of the open data and flagged in the signed-in exports."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import selectors
from assessments.demo import create_demo_assessment
from assessments.models import Answer, Assessment, Evidence

pytestmark = pytest.mark.django_db

HIDDEN = "a-public-comment-date"  # shown only when a-public-comment is done or partial


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def publish(assessment):
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED, published_at=timezone.now())


def hide_the_date(assessment):
    """The date question's condition no longer holds, but its earlier answer is still stored."""
    Answer.objects.filter(assessment=assessment, question__key="a-public-comment").update(value="not-done")


@pytest.fixture
def published(catalogue, published_set, bob):
    demo = create_demo_assessment(user=bob)
    publish(demo)
    return demo


def test_anyone_downloads_the_published_answers_with_set_key_version_and_sources(client, published, charlie):
    draft = create_demo_assessment(user=charlie)  # not published: never in the open data
    rows = read_csv(client.get(reverse("public_export_csv")))
    assert {r["assessment_id"] for r in rows} == {str(published.pk)}
    # The answers of the questions the public page shows (as the workspace of every page decides).
    shown = selectors.assessment_workspace(published).result.visible
    assert [r["question_key"] for r in rows] == [
        a.question.key for a in published.answers.select_related("question").order_by("question__section__position", "question__position")
        if a.question.key in shown
    ]
    assert len(rows) < published.answers.count()  # the demonstration holds answers its conditions hide
    first = rows[0]
    assert (first["question_set_key"], first["question_set_version"]) == ("dx-pia", str(published.question_set.version))
    assert first["municipality"] == "美里町" and first["published_at"] == timezone.localdate().isoformat()
    by_key = {r["question_key"]: r for r in rows}
    # Each answer's own sources, on its own row (the two are read side by side).
    with_sources = 0
    for answer in published.answers.prefetch_related("evidence").select_related("question"):
        if answer.question.key in shown:
            titles = [e.title for e in answer.evidence.all()]
            lines = by_key[answer.question.key]["sources"].splitlines()
            assert len(lines) == len(titles) and all(line.startswith(t) for line, t in zip(lines, titles))
            with_sources += bool(titles)
    assert with_sources >= 5
    assert "保護者向け案内文" in by_key["a-public-comment"]["sources"] and "p.1枚" in by_key["a-public-comment"]["sources"]


def test_answers_to_hidden_questions_are_left_out_of_open_data_and_flagged_when_signed_in(client, published, bob):
    hide_the_date(published)
    public = read_csv(client.get(reverse("public_export_csv")))
    assert HIDDEN not in {r["question_key"] for r in public}
    assert {r["shown"] for r in public} == {"yes"}
    client.force_login(bob)
    mine = {r["question_key"]: r for r in read_csv(client.get(reverse("export_assessments_csv")))}
    assert mine[HIDDEN]["shown"] == "no" and mine[HIDDEN]["answer"].startswith("2023-07-03")
    assert mine["a-public-comment"]["shown"] == "yes"
    data = json.loads(client.get(reverse("public_export_json", args=[published.pk])).content)
    assert HIDDEN not in data["answers"] and "a-public-comment" in data["answers"]


def test_the_public_workbook_has_shown_sources_and_the_inventory(client, published):
    from openpyxl import load_workbook

    Evidence.objects.create(answer=Answer.objects.get(assessment=published, question__key=HIDDEN), title="隠れた質問の資料")
    hide_the_date(published)
    response = client.get(reverse("public_export_xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["回答", "資料", "データ項目", "質問・請求", "対応計画", "事業"]
    sources = list(workbook["資料"].iter_rows(values_only=True))
    assert sources[0][:4] == ("assessment_id", "question_key", "position", "title")
    titles = {row[3] for row in sources[1:]}
    assert "隠れた質問の資料" not in titles
    assert len(sources) - 1 == Evidence.objects.filter(answer__assessment=published).exclude(answer__question__key=HIDDEN).count()
    inventory = list(workbook["データ項目"].iter_rows(values_only=True))
    assert len(inventory) - 1 == published.answers.get(question__key="b-inventory").inventory_rows.count()


def test_one_published_assessment_as_json_without_the_senders_contact(client, published, charlie):
    response = client.get(reverse("public_export_json", args=[published.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["format"] == "dxpia-assessment"
    assert data["question_set"] == {"key": "dx-pia", "version": published.question_set.version}
    assert data["published"]["organisation"] == "個人の評価"  # a personal one, named without its tag
    assert data["published"]["municipality_code"] == published.project.municipality.code
    assert "letter" not in data
    evidence = data["answers"]["a-public-comment"]["evidence"]
    assert evidence[0]["title"].startswith("保護者向け案内文") and evidence[0]["date"] == "2023-07-03"
    draft = create_demo_assessment(user=charlie)
    assert client.get(reverse("public_export_json", args=[draft.pk])).status_code == 404
    assert client.get("/public/99999999999999999999/export.json").status_code == 404


def test_spreadsheet_formulas_typed_by_an_author_are_neutralised_in_open_data(client, published):
    Answer.objects.filter(assessment=published, question__key="a-public-comment").update(note='=HYPERLINK("http://x","y")')
    rows = read_csv(client.get(reverse("public_export_csv")))
    note = next(r["note"] for r in rows if r["question_key"] == "a-public-comment")
    assert note == "'=HYPERLINK(\"http://x\",\"y\")"


def test_the_open_data_csv_reads_in_a_fixed_number_of_queries(client, published, bob):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            b"".join(client.get(reverse("public_export_csv")).streaming_content)
        return len(queries)

    one = count()
    for _ in range(3):
        publish(create_demo_assessment(user=bob))
    assert count() == one


def test_the_public_pages_link_the_open_data(client, published):
    listing = client.get(reverse("public_list")).content.decode()
    assert reverse("public_export_csv") in listing and reverse("public_export_xlsx") in listing
    page = client.get(reverse("public_assessment", args=[published.pk])).content.decode()
    assert reverse("public_export_json", args=[published.pk]) in page


def test_published_requests_and_their_replies_are_open_data_and_unpublished_ones_are_not(client, published, bob):
    import datetime

    from openpyxl import load_workbook

    from assessments import municipality_requests as service
    from assessments.models import MunicipalityRequest

    def make(title, published):
        request = service.request_create(
            assessment=published_assessment, user=bob,
            values={"kind": "letter", "title": title, "sent_on": datetime.date(2026, 4, 28),
                    "reply_by": datetime.date(2026, 5, 20)},
            questions=[(None, "説明会は開きましたか。")], documents=[], today=datetime.date(2026, 4, 28))
        MunicipalityRequest.objects.filter(pk=request.pk).update(published=published)
        return MunicipalityRequest.objects.get(pk=request.pk)

    published_assessment = published
    shown = make("公開する質問書", True)
    make("公開しない質問書", False)
    service.reply_record(request=shown, user=bob, received_on=datetime.date(2026, 5, 18), text="開いていません。",
                         item_ids=[], documents=[{"title": "回答書", "page": "1", "date": None, "url": ""}],
                         state="answered", updates=[], base_version=shown.version, today=datetime.date(2026, 5, 18))
    data = json.loads(client.get(reverse("public_export_json", args=[published.pk])).content)
    assert [r["title"] for r in data["requests"]] == ["公開する質問書"]
    [request] = data["requests"]
    assert request["state"] == "回答あり" and request["sent_on"] == "2026-04-28" and request["due_on"] == "2026-05-20"
    assert request["replies"][0]["text"] == "開いていません。" and request["replies"][0]["documents"][0]["title"] == "回答書"
    workbook = load_workbook(io.BytesIO(client.get(reverse("public_export_xlsx")).content), read_only=True)
    rows = list(workbook["質問・請求"].iter_rows(values_only=True))
    assert [row[3] for row in rows[1:]] == ["公開する質問書"] and "開いていません。" in rows[1][-1]
    client.force_login(bob)  # the author's own export has both
    workbook = load_workbook(io.BytesIO(client.get(reverse("export_assessments_xlsx")).content), read_only=True)
    assert {row[3] for row in list(workbook["質問・請求"].iter_rows(values_only=True))[1:]} == {"公開する質問書", "公開しない質問書"}


def test_open_data_reads_the_same_for_a_reader_in_english(client, published):
    """Data files are in the language of the data (Japanese) whatever the interface: the same rows,
    labels and headings, streamed or not."""
    from assessments.models import MunicipalityRequest

    MunicipalityRequest.objects.create(assessment=published, title="質問書", published=True,
                                       state=MunicipalityRequest.State.SENT, sent_on=timezone.localdate())
    japanese = client.get(reverse("public_export_csv")).getvalue()
    catalogue = client.get(reverse("export_projects_csv")).getvalue()
    as_json = client.get(reverse("public_export_json", args=[published.pk])).content
    client.post(reverse("switch_language"), {"language": "en"})
    assert client.get(reverse("home")).content.decode().startswith("<!doctype html>\n\n<html lang=\"en\"")
    assert client.get(reverse("public_export_csv")).getvalue() == japanese
    assert client.get(reverse("export_projects_csv")).getvalue() == catalogue
    assert client.get(reverse("public_export_json", args=[published.pk])).content == as_json
    assert "送付済み" in as_json.decode()


def test_the_open_data_never_names_the_authors_login(client, published, bob):
    """bob assessed on his own: his organisation is a personal one, whose name was "bob の評価" and
    so published his login name, which the sign-up page promises to show to nobody."""
    from openpyxl import load_workbook

    assert published.organisation.personal_for == bob
    data = client.get(reverse("public_export_json", args=[published.pk])).content.decode()
    # Nor a stable tag that would link every published assessment of an author who signs as 匿名.
    assert json.loads(data)["published"]["organisation"] == "個人の評価"
    rows = read_csv(client.get(reverse("public_export_csv")))
    workbook = load_workbook(io.BytesIO(client.get(reverse("public_export_xlsx")).content), read_only=True)
    cells = {str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    for text in [data] + [" ".join(row.values()) for row in rows] + sorted(cells):
        assert "bob" not in text and published.organisation.name not in text
    assert {row["organisation"] for row in rows} == {"個人の評価"}
