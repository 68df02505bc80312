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


# --- The model's own rules, the header, sizes (issue 12, item 7) -----------------------------------

def command_problems(tmp_path, text) -> str:
    with pytest.raises(CommandError) as error:
        call_command("import_projects", write(tmp_path, text), "--dry-run")
    return str(error.value)


@pytest.mark.parametrize("row, reason", [
    ("白岡 市,112461,事業,,,,,,,\n", "キー:"),  # not a slug: the model's validator, not a traceback
    ("r5-x,112038," + "長" * 201 + ",,,,,,,\n", "事業名: "),
    ("r5-x,112038,事業," + "交" * 201 + ",,,,,,\n", "制度・交付金: "),
    ("r5-x,112038,事業,,10000,,,,,\n", "年度（西暦）: "),
    ("r5-x,112038,事業,,1900,,,,,\n", "年度（西暦）: "),
    ("r5-x,112038,事業,,,3000000000,,,,\n", "採択額（千円）: "),  # beyond PostgreSQL's integer
    ("r5-x,112038,事業,,,,,40000,,\n", "行番号: "),  # beyond a small integer
    ("r5-x,112038,事業,,,１２,,,,\n", "採択額「１２」"),  # full-width digits are not silently read
    ("r5-x,112038,事業,,,,,,,説明,余分\n", "列が見出しより多く"),
])
def test_the_preview_refuses_what_the_model_refuses_with_the_line(catalogue, tmp_path, row, reason):
    before = Project.objects.count()
    message = command_problems(tmp_path, GOOD + row)
    assert f"4行目: " in message and reason in message, message
    assert "Traceback" not in message and Project.objects.count() == before


def test_every_bad_line_is_reported_not_only_the_first(catalogue, tmp_path):
    message = command_problems(tmp_path, GOOD + "r5-x,112038,事業,,10000,,,,,\nr5-y,112038,,,,,,,,\n")
    assert "2件の問題" in message and "4行目: 年度" in message and "5行目: 事業名がありません" in message


@pytest.mark.parametrize("header, reason", [
    (HEADER.replace("program", "title"), "見出しの列が重複しています: title"),
    (HEADER.replace("amount_thousand_yen", "ammount"), "知らない列があります: ammount"),
    (HEADER.replace("key,", ""), "必要な列がありません: key"),
])
def test_a_bad_header_is_reported_on_line_1(catalogue, tmp_path, header, reason):
    message = command_problems(tmp_path, header + "r5-x,112038,事業,,,,,,,\n")
    assert "1行目: " in message and reason in message, message


def test_a_file_exported_as_projects_csv_has_a_header_the_import_reads(catalogue, client, tmp_path):
    exported = b"".join(client.get(reverse("export_projects_csv")).streaming_content).decode("utf-8-sig")
    header = exported.splitlines()[0]
    row = "r5-x,112038,川口市,事業,,2023,,,,,\n"
    call_command("import_projects", write(tmp_path, header + "\n" + row))
    assert Project.objects.get(key="r5-x").municipality.name == "川口市"


def test_control_characters_in_a_cell_are_dropped_not_stored(catalogue, tmp_path):
    call_command("import_projects", write(tmp_path, HEADER + "r5-x,112038,事業\x00名\x1b,,,,,,,説明\x7f\n"))
    project = Project.objects.get(key="r5-x")
    assert (project.title, project.description) == ("事業名", "説明")


def test_a_cell_too_large_for_csv_is_refused_for_its_length_not_as_a_broken_file(catalogue, tmp_path):
    message = command_problems(tmp_path, GOOD + "r5-x,112038,事業,,,,,,,\"" + "説" * 140_000 + "\"\n")
    assert "4行目: description: 20,000文字以内で入力してください（現在140,000文字）。" in message
    assert "CSVとして読めません" not in message


def test_a_stored_fiscal_year_outside_the_calendar_does_not_break_the_project_page(catalogue, client):
    # Stored before the model's range existed (or by SQL): the page shows the year without its era.
    Project.objects.filter(key="r4h2-type1-01").update(fiscal_year=10000)
    response = client.get(reverse("project_detail", args=["r4h2-type1-01"]))
    assert response.status_code == 200 and "10000年度" in response.content.decode()


def test_the_database_refusing_a_row_after_the_preview_writes_nothing(catalogue):
    from assessments.project_import import ProjectImportError, import_projects, parse_projects_csv

    rows, errors = parse_projects_csv(GOOD)
    assert errors == [] and len(rows) == 2
    Project.objects.create(key="r5-b", title="先に作られた事業")  # somebody else, between preview and import
    with pytest.raises(ProjectImportError) as error:
        import_projects(rows)
    assert "もう一度プレビュー" in str(error.value)
    assert not Project.objects.filter(key="r5-a").exists()


def submit(client, url, page: str):
    """Send the preview page's confirmation form as a browser would: with the form's own encoding."""
    import html
    import re
    from urllib.parse import urlencode

    form = re.search(r'<form method="post"([^>]*)>(?:(?!</form>).)*name="confirm"(?:(?!</form>).)*</form>', page, re.S)
    assert form, "the preview offers no confirmation"
    fields = {html.unescape(name): html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))}
    if 'enctype="multipart/form-data"' in form.group(1):
        return client.post(url, fields)  # the test client's default encoding is multipart
    return client.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")


def test_a_large_file_that_previews_can_be_confirmed(admin_client, catalogue, tmp_path):
    url = reverse("admin:assessments_project_import")
    description = "説明" * 150  # 900 bytes of UTF-8 a row: about 1 MB of form data when percent-encoded ×3
    rows = "".join(f"r5-big-{i},112038,大きな一覧の事業{i},,2023,,,,,{description}\n" for i in range(1000))
    text = HEADER + rows
    assert 900_000 < len(text.encode()) < 1_000_000
    with open(write(tmp_path, text), "rb") as handle:
        page = admin_client.post(url, {"file": handle}).content.decode()
    assert 'id="import-errors"' not in page and "この内容で取り込む" in page
    response = submit(admin_client, url, page)
    assert response.status_code == 302, response.content[:500]
    assert Project.objects.filter(key__startswith="r5-big-").count() == 1000


def test_an_upload_over_the_limit_is_refused_next_to_the_field(admin_client, catalogue, tmp_path):
    text = HEADER + "r5-x,112038,事業,,,,,,,\"" + "説" * 350_000 + "\"\n"  # over 1 MB
    with open(write(tmp_path, text), "rb") as handle:
        response = admin_client.post(reverse("admin:assessments_project_import"), {"file": handle})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="file-errors"' in page and "ファイルが大きすぎます" in page
    assert "1,000,000 バイトまで" in page and not Project.objects.filter(key="r5-x").exists()


@pytest.mark.parametrize("content, reason", [
    ("見出し,だけ\n".encode("shift_jis"), "UTF-8 のCSVではありません"),
    (b"", "ファイルは空です"),
])
def test_an_unreadable_upload_is_a_message_next_to_the_field(admin_client, catalogue, tmp_path, content, reason):
    path = tmp_path / "projects.csv"
    path.write_bytes(content)
    with open(path, "rb") as handle:
        response = admin_client.post(reverse("admin:assessments_project_import"), {"file": handle})
    assert response.status_code == 200 and reason in response.content.decode()


def test_the_admin_preview_shows_model_errors_and_offers_no_import(admin_client, catalogue, tmp_path):
    with open(write(tmp_path, GOOD + "白岡 市,112461,事業,,10000,3000000000,,,,\n"), "rb") as handle:
        page = admin_client.post(reverse("admin:assessments_project_import"), {"file": handle}).content.decode()
    assert "4行目: キー:" in page and "年度（西暦）: " in page and "採択額（千円）: " in page
    assert "この内容で取り込む" not in page and not Project.objects.filter(key="r5-a").exists()
