"""Importing a project list from CSV: preview, every bad row with its line, nothing written if any is bad."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.models import Project

pytestmark = pytest.mark.django_db

HEADER = "key,municipality_code,title,program,fiscal_year,amount_thousand_yen,amount_note,source_row,categories,description\n"
GOOD = HEADER + (
    "r5-a,112038,川口市オンライン申請拡充,デジタル田園都市国家構想交付金,2023,\"12,500\",,1,online-shinsei|line,説明\n"
    "r5-b,113816,美里町書かない窓口,,2023,,額は未公表,2,kakanai-madoguchi,\n"
)


def write(tmp_path, text):
    path = tmp_path / "projects.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_good_file_is_previewed_then_imported(catalogue, tmp_path, capsys):
    before = Project.objects.count()
    call_command("import_projects", write(tmp_path, GOOD), "--dry-run")
    out = capsys.readouterr().out
    assert "2行目: 川口市 川口市オンライン申請拡充（12,500千円）" in out and "3行目: 美里町 美里町書かない窓口（不明）" in out
    assert Project.objects.count() == before
    call_command("import_projects", write(tmp_path, GOOD))
    created = Project.objects.get(key="r5-a")
    assert created.amount_thousand_yen == 12500 and created.fiscal_year == 2023
    assert sorted(created.categories.values_list("key", flat=True)) == ["line", "online-shinsei"]
    assert Project.objects.get(key="r5-b").amount_thousand_yen is None


@pytest.mark.parametrize("row, reason", [
    ("r5-x,112039,事業,,,,,,,\n", "検査数字"),
    ("r5-x,113999,事業,,,,,,,\n", "113999"),
    ("r5-x,112038,事業,,,たくさん,,,,\n", "採択額「たくさん」"),
    ("r5-x,112038,事業,,,-5,,,,\n", "採択額「-5」"),
    ("r5-x,112038,,,,,,,,\n", "事業名がありません"),
    ("r4h2-type1-01,112038,事業,,,,,,,\n", "既にあります"),
    ("r5-a,112038,事業,,,,,,,\n", "2 行目と重複"),
    ("r5-x,112038,事業,,,,,,nosuch,\n", "分類 nosuch"),
])
def test_each_bad_row_is_reported_with_its_line_and_nothing_is_written(catalogue, tmp_path, row, reason):
    before = Project.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("import_projects", write(tmp_path, GOOD + row))
    assert "4行目" in str(error.value) and reason in str(error.value)
    assert Project.objects.count() == before


def test_the_admin_previews_and_imports_only_on_confirmation(admin_client, catalogue, tmp_path):
    url = reverse("admin:assessments_project_import")
    with open(write(tmp_path, GOOD), "rb") as handle:
        page = admin_client.post(url, {"file": handle}).content.decode()
    assert 'id="import-preview"' in page and "川口市オンライン申請拡充" in page and "この内容で取り込む" in page
    assert not Project.objects.filter(key="r5-a").exists()
    response = admin_client.post(url, {"csv_text": GOOD, "confirm": "1"})
    assert response.status_code == 302 and Project.objects.filter(key__in=["r5-a", "r5-b"]).count() == 2


def test_the_admin_shows_errors_and_offers_no_import(admin_client, catalogue, tmp_path):
    with open(write(tmp_path, GOOD + "r5-x,112038,,,,,,,,\n"), "rb") as handle:
        page = admin_client.post(reverse("admin:assessments_project_import"), {"file": handle}).content.decode()
    assert "4行目: 事業名がありません" in page and "この内容で取り込む" not in page
    assert not Project.objects.filter(key="r5-a").exists()
