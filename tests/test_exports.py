"""Open data and files (assessments/views/exports.py, assessments/exchange.py): the catalogue and
assessments as CSV and XLSX, one assessment as JSON and back."""

import csv
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.demo import create_demo_assessment
from assessments.models import Assessment, Project
from assessments.reports import render

pytestmark = pytest.mark.django_db



def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def chapters(html: str) -> str:
    """The report without what belongs to one copy only (its revision, its status history)."""
    body = html.split('<section class="chapter" id="summary">')[1]
    return re.sub(r"<section class=\"chapter\" id=\"appendix\">.*", "", body, flags=re.S)


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
    assert workbook.sheetnames == ["回答", "資料", "データ項目", "質問・請求", "対応計画", "事業"]
    answers = list(workbook["回答"].iter_rows(values_only=True))
    assert len(answers) == 1 + mine.question_set.questions.count()
    assert {row[0] for row in answers[1:]} == {mine.pk}
    inventory = list(workbook["データ項目"].iter_rows(values_only=True))
    assert len(inventory) == 1 + mine.answers.get(question__key="b-inventory").inventory_rows.count() and {row[0] for row in inventory[1:]} == {mine.pk}
    flagged = inventory[0].index("flagged")
    assert any(row[flagged] == "yes" for row in inventory[1:])
    assert len(list(workbook["事業"].iter_rows(values_only=True))) == 1 + Project.objects.count()
    # The demo's plan, only the user's own assessment's.
    plan = list(workbook["対応計画"].iter_rows(values_only=True))
    assert len(plan) == 1 + mine.planned_actions.count() == 5 and {row[0] for row in plan[1:]} == {mine.pk}
