"""Across Saitama: dashboard, comparison, open-data exports and the JSON round trip."""

import csv
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import selectors
from assessments.demo import create_demo_assessment
from assessments.models import Assessment, Category, Municipality, Project
from assessments.reports import render

pytestmark = pytest.mark.django_db


def publish(assessment, owner):
    """Set up a published assessment (the review itself is tested in test_workflow and test_review_rules)."""
    from django.utils import timezone

    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED, published_at=timezone.now())
    return Assessment.objects.get(pk=assessment.pk)


def test_the_dashboard_shows_the_seed_totals_and_every_municipality(client, catalogue, published_set):
    page = client.get(reverse("dashboard")).content.decode()
    totals = page.split('id="seed-totals"')[1].split("</p>")[0]
    assert "64行" in totals and "706,384千円" in totals and "710,539千円" in totals and "4,155千円" in totals
    table = page.split('id="municipality-table"')[1].split("</table>")[0]
    assert table.count('<th scope="row"') == 63
    tokorozawa = table.split("所沢市")[1].split("</tr>")[0]
    assert "—" in tokorozawa and "0千円" not in tokorozawa  # its only amount is unknown: never 0


def test_dashboard_numbers_agree_with_the_catalogue(catalogue, published_set, bob):
    data = selectors.dashboard(bob)
    assert sum(row.known_amount for row in data["by_municipality"]) == 706_384
    assert sum(row.unknown_amounts for row in data["by_municipality"]) == Project.objects.exclude(
        municipality=None).filter(amount_thousand_yen=None).count()
    assert len(data["by_municipality"]) == 63
    pairs = Project.objects.exclude(municipality=None).values_list("pk", "categories").exclude(categories=None).count()
    assert sum(sum(counts) for _m, counts in data["matrix"]) == pairs
    kakanai = next(row for row in data["by_category"] if row.key.key == "kakanai-madoguchi")
    assert kakanai.projects == Category.objects.get(key="kakanai-madoguchi").projects.count()


def test_levels_count_published_and_own_assessments_only(client, catalogue, published_set, bob, charlie):
    demo = create_demo_assessment(user=bob)
    private = create_demo_assessment(user=charlie)
    level = Assessment.objects.get(pk=demo.pk).overall_level
    assert level
    def kodomo(user):
        return next(r for r in selectors.dashboard(user)["by_category"] if r.key.key == "kodomo")

    assert kodomo(bob).levels == {level: 1}  # his own
    assert kodomo(charlie).levels == {level: 1}  # only his own, not bob's unpublished one
    publish(demo, bob)
    assert kodomo(charlie).levels == {level: 2}
    assert private.pk != demo.pk


def test_the_dashboard_uses_a_constant_number_of_queries(client, catalogue, published_set, bob):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(queries)

    before = count()
    saitama = Municipality.objects.get(name="さいたま市")
    for index in range(30):
        project = Project.objects.create(key=f"extra-{index}", title=f"追加{index}", municipality=saitama,
                                         amount_thousand_yen=index)
        project.categories.set(Category.objects.all()[:2])
    create_demo_assessment(user=bob)
    assert count() == before <= 15


def test_compare_puts_like_projects_side_by_side(client, catalogue, published_set, bob):
    demo = publish(create_demo_assessment(user=bob), bob)
    kodomo = Category.objects.get(key="kodomo")
    page = client.get(reverse("compare"), {"category": kodomo.pk}).content.decode()
    table = page.split('id="comparison"')[1]
    assert "美里町 こどもデータ連携実証事業" in table and "川島町 こどもデータ連携実証事業" in table
    misato_row = table.split("美里町 こどもデータ連携実証事業")[1].split("</tr>")[0]
    assert demo.overall_level in misato_row
    assert f"{demo.result_summary['unknown']} / {demo.result_summary['not_disclosed']}" in misato_row
    kawajima_row = table.split("川島町 こどもデータ連携実証事業")[1].split("</tr>")[0]
    assert "評価はまだありません" in kawajima_row


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_catalogue_exports_as_csv_with_unknown_amounts_empty(client, catalogue):
    rows = read_csv(client.get(reverse("export_projects_csv")))
    assert rows[0][:4] == ["key", "municipality_code", "municipality", "title"]
    assert len(rows) == 1 + Project.objects.count()
    row6 = next(r for r in rows if r[0] == "r4h2-type1-06")
    assert row6[2] == "所沢市" and row6[6] == ""
    assert sum(int(r[6]) for r in rows[1:] if r[6]) == 706_384


def test_the_assessment_csv_holds_only_what_the_user_may_see(client, catalogue, published_set, bob, charlie):
    demo = create_demo_assessment(user=bob)
    client.force_login(charlie)
    assert len(read_csv(client.get(reverse("export_assessments_csv")))) == 1  # the header only
    client.force_login(bob)
    rows = read_csv(client.get(reverse("export_assessments_csv")))
    assert len(rows) == 1 + demo.question_set.questions.count()
    assert {r[1] for r in rows[1:]} == {"美里町こどもデータ連携実証事業 住民による評価（デモ・架空の記録を含む）"}


def chapters(html: str) -> str:
    """The report without what belongs to one copy only (its revision, its status history)."""
    body = html.split('<section class="chapter" id="summary">')[1]
    return re.sub(r"<section class=\"chapter\" id=\"appendix\">.*", "", body, flags=re.S)


def test_an_assessment_exported_as_json_imports_into_the_same_report(client, catalogue, published_set, bob, tmp_path, capsys):
    original = create_demo_assessment(user=bob)
    client.force_login(bob)
    response = client.get(reverse("export_assessment_json", args=[original.pk]))
    assert response["Content-Type"].startswith("application/json")
    path = tmp_path / "assessment.json"
    path.write_bytes(response.content)
    call_command("import_assessment", str(path), "--user", "bob")
    copy = Assessment.objects.get(pk=int(capsys.readouterr().out.strip()))
    assert copy.pk != original.pk
    assert chapters(render.report_html(copy)) == chapters(render.report_html(original))
    assert json.loads(path.read_text(encoding="utf-8"))["answers"].keys() == {
        q.key for q in original.question_set.questions.all()
    }


def test_a_bad_assessment_file_is_refused_and_nothing_is_written(catalogue, published_set, bob, tmp_path):
    data = {"format": "dxpia-assessment", "format_version": 1, "project": "case-misato-kodomo-data",
            "question_set": {"key": "dx-pia", "version": 1}, "title": "壊れた", "standpoint": "resident",
            "answers": {"a-public-comment": {"value": "bogus", "note": "", "evidence": []}}, "inventory": []}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="a-public-comment"):
        call_command("import_assessment", str(path), "--user", "bob")
    assert not Assessment.objects.exists()
    data["project"] = "no-such-project"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="no-such-project"):
        call_command("import_assessment", str(path), "--user", "bob")
    assert not Assessment.objects.exists()
    data["project"] = "case-misato-kodomo-data"
    data["answers"] = {"a-public-comment": {"value": None, "note": " " * 5_000_001, "evidence": []}}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="大きすぎます"):
        call_command("import_assessment", str(path), "--user", "bob")
    assert not Assessment.objects.exists()


def test_the_workbook_has_answers_inventory_and_projects_for_visible_assessments(client, catalogue, published_set, bob, charlie):
    from openpyxl import load_workbook

    mine = create_demo_assessment(user=bob)
    create_demo_assessment(user=charlie)
    client.force_login(bob)
    response = client.get(reverse("export_assessments_xlsx"))
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["回答", "データ項目", "事業"]
    answers = list(workbook["回答"].iter_rows(values_only=True))
    assert len(answers) == 1 + mine.question_set.questions.count()
    assert {row[0] for row in answers[1:]} == {mine.pk}
    inventory = list(workbook["データ項目"].iter_rows(values_only=True))
    assert len(inventory) == 1 + mine.answers.get(question__key="b-inventory").inventory_rows.count() and {row[0] for row in inventory[1:]} == {mine.pk}
    assert any(row[-1] == "yes" for row in inventory[1:])
    assert len(list(workbook["事業"].iter_rows(values_only=True))) == 1 + Project.objects.count()


def test_the_amount_chart_says_what_the_table_says(client, catalogue, published_set):
    page = client.get(reverse("dashboard")).content.decode()
    description = page.split('<desc id="chart-desc">')[1].split("</desc>")[0]
    table = page.split('id="municipality-table"')[1].split("</table>")[0]
    for row in re.findall(r'<tr><th scope="row"[^>]*><a [^>]*>([^<]+)</a></th><td[^>]*>(\d+)</td><td class="amount">([^<]+)</td>', table):
        name, projects, amount = row
        if int(projects):
            expected = "不明" if amount.strip() == "—" else amount.strip()
            assert f"{name} {expected}" in description, name
    assert "所沢市 不明" in description and "さいたま市 1,924千円" in description
