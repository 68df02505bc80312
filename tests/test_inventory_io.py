"""The data inventory as a file (assessments/inventory_io.py, assessments/views/inventory.py): CSV and
XLSX out, CSV and XLSX in through a preview that writes nothing, and a confirmation that writes
through answers_save (versions, content budget, history) or refuses with its reason."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import answer_saving, inventory_io
from assessments.models import Answer, AnswerHistory, Assessment, InventoryRow, Question
from tests.conftest import save_now
from tests.forms_helper import read_form

pytestmark = pytest.mark.django_db

HEADER = "データ項目,目的に必要な理由,要配慮個人情報,こどものデータ,利用目的・活用類型,法的根拠,区分,保有部署・元のシステム,保存期間,委託先との共有,メモ"


def import_url(assessment):
    return reverse("inventory_import", args=[assessment.pk])


def inventory_question(assessment):
    return Question.objects.get(question_set=assessment.question_set, type=Question.Type.INVENTORY)


def stored_rows(assessment):
    answer = Answer.objects.filter(assessment=assessment, question__type=Question.Type.INVENTORY).first()
    return answer_saving.row_dicts(answer) if answer else []


def csv_bytes(text: str, encoding="utf-8-sig") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def upload(client, assessment, data: bytes, name="inventory.csv", mode="append", content_type="text/csv"):
    return client.post(import_url(assessment), {"file": SimpleUploadedFile(name, data, content_type=content_type), "mode": mode})


def confirm(client, assessment, preview):
    assert preview.status_code == 200, preview.content.decode()
    form = read_form(preview.content.decode(), "inventory-confirm-form")
    assert form["payload"]
    return client.post(import_url(assessment), {**form, "confirm": "1"})


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(content: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content)).worksheets[0]


def read_csv(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


# --- Import --------------------------------------------------------------------------------------------


def test_a_utf8_csv_previews_without_writing_and_confirming_appends(bob_client, assessment):
    before = stored_rows(assessment)
    assert len(before) == 21  # 美里町's catalogue items
    data = csv_bytes(f"{HEADER}\n出席状況,不登校の兆候を見るため,はい,○,見守り,同意,教育,学校,5年,×,\n保護者の連絡先,,,有,,,,,,無,メモ\n")
    preview = upload(bob_client, assessment, data)
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "今ある21行の後ろに、次の2行を追加します。" in page
    assert "出席状況" in page and "不登校の兆候を見るため" in page and 'id="line-3"' in page
    assert stored_rows(assessment) == before  # the preview wrote nothing

    response = confirm(bob_client, assessment, preview)
    answer = Answer.objects.get(assessment=assessment, question__type=Question.Type.INVENTORY)
    section = inventory_question(assessment).section.key
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment_section", args=[assessment.pk, section]) + "#inventory"
    rows = stored_rows(assessment)
    assert rows[:21] == before and len(rows) == 23
    assert rows[21] == {"data_item": "出席状況", "necessity": "不登校の兆候を見るため", "sensitive": "yes", "children": "yes",
                        "purpose": "見守り", "legal_basis": "同意", "category": "教育", "held_by": "学校", "retention": "5年",
                        "shared_with_vendor": "no", "note": ""}
    assert (rows[22]["sensitive"], rows[22]["children"], rows[22]["shared_with_vendor"]) == ("unknown", "yes", "no")
    # Through answers_save: a new version, the history, the recount of the content budget.
    assert answer.rows_version == 2
    assert AnswerHistory.objects.filter(assessment=assessment, question__type=Question.Type.INVENTORY).count() == 1
    assessment.refresh_from_db()
    assert assessment.content_size == sum(answer_saving.answer_size(a) for a in
                                          Answer.objects.filter(assessment=assessment).prefetch_related("evidence", "inventory_rows"))
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["2行を取り込みました。"]


def test_a_shift_jis_csv_with_field_names_in_any_order_replaces_the_inventory(bob_client, assessment):
    text = "sensitive,data_item,note\n不明,児童の氏名,ＣＰ９３２で保存\nいいえ,学年,①②\n"
    data = text.encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    preview = upload(bob_client, assessment, data, mode="replace")
    assert "今ある21行をすべて削除し、次の2行に置き換えます。" in preview.content.decode()
    assert len(stored_rows(assessment)) == 21
    confirm(bob_client, assessment, preview)
    rows = stored_rows(assessment)
    assert [(r["data_item"], r["sensitive"], r["note"]) for r in rows] == [
        ("児童の氏名", "unknown", "ＣＰ９３２で保存"), ("学年", "no", "①②"),
    ]


def test_a_utf8_csv_without_bom_and_with_a_cell_on_two_lines(bob_client, assessment):
    data = f'{HEADER}\n"住所",\"1行目\n2行目",はい\n'.encode("utf-8")
    confirm(bob_client, assessment, upload(bob_client, assessment, data, mode="replace"))
    assert [(r["data_item"], r["necessity"], r["sensitive"]) for r in stored_rows(assessment)] == [("住所", "1行目\n2行目", "yes")]


def test_an_xlsx_file_imports_with_numbers_and_dates_as_text(bob_client, assessment):
    import datetime

    data = xlsx_bytes([
        ["メモ", "データ項目", "保存期間", "要配慮個人情報", "こどものデータ"],
        [datetime.datetime(2024, 5, 1), "身長", 5, "yes", "×"],
        [None, None, None, None, None],
        ["", "体重", 2.5, "NO", "不明"],
    ])
    preview = upload(bob_client, assessment, data, name="一覧.xlsx", content_type=inventory_io.XLSX_CONTENT_TYPE, mode="replace")
    confirm(bob_client, assessment, preview)
    rows = stored_rows(assessment)
    assert [(r["data_item"], r["retention"], r["note"], r["sensitive"], r["children"]) for r in rows] == [
        ("身長", "5", "2024-05-01", "yes", "no"), ("体重", "2.5", "", "no", "unknown"),
    ]
    # A whole number that another program stored as "5.0" or "1E3" is still 5 and 1000, not 5.0.
    data = _with_sheet_xml(xlsx_bytes([["データ項目", "保存期間"], ["身長", 5], ["体重", 7]]),
                           lambda xml: xml.replace(b"<v>5</v>", b"<v>5.0</v>").replace(b"<v>7</v>", b"<v>1E3</v>"))
    assert [r["retention"] for r in inventory_io.parse_xlsx(data).rows] == ["5", "1000"]


def test_every_bad_line_is_named_with_its_spreadsheet_line_and_nothing_is_written(bob_client, assessment):
    before = stored_rows(assessment)
    data = csv_bytes(
        f"{HEADER}\n"
        "身長,,はい\n"           # line 2: fine
        ",理由だけ,はい\n"       # line 3: no item
        ",,,,,,,,,,\n"          # line 4: blank, skipped but counted
        "体重,,たぶん\n"         # line 5: not a yes/no
        f"{'長' * 201},,,\n"    # line 6: too long
    )
    response = upload(bob_client, assessment, data)
    page = response.content.decode()
    assert response.status_code == 400
    errors = response.context["parsed"].errors
    assert [number for number, _message in errors] == [3, 5, 6]
    assert errors[0] == (3, "データ項目の名前を入力してください。")
    assert "3行目: データ項目の名前を入力してください。" in page and 'href="#line-3"' in page and 'id="line-3"' in page
    assert "たぶん" in errors[1][1] and "要配慮個人情報" in errors[1][1]
    assert errors[2][1].startswith("データ項目: ")
    assert "inventory-confirm-form" not in page and "入力エラー:" in page
    assert stored_rows(assessment) == before
    parsed = inventory_io.parse_csv(data)
    assert parsed.errors and parsed.rows == []  # the good line 2 is not offered on its own either


def test_an_unknown_column_is_refused_by_name(bob_client, assessment):
    response = upload(bob_client, assessment, csv_bytes("データ項目,担当者名,保存期限\n身長,山田,1年\n"))
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert "「担当者名」" in errors[0] and "「保存期限」" in errors[0]
    assert "知らない列" in response.content.decode()
    response = upload(bob_client, assessment, csv_bytes("保存期間,メモ\n1年,\n"))
    assert "「データ項目」の列がありません" in response.context["form"].errors["file"][0]


def test_more_than_500_rows_are_refused_and_so_is_an_append_past_500(bob_client, assessment):
    lines = "\n".join(f"項目{i}" for i in range(501))
    response = upload(bob_client, assessment, csv_bytes(f"データ項目\n{lines}\n"), mode="replace")
    assert response.status_code == 400
    assert "500行までです" in response.context["form"].errors["file"][0]

    lines = "\n".join(f"項目{i}" for i in range(480))  # 21 stored + 480 = 501
    response = upload(bob_client, assessment, csv_bytes(f"データ項目\n{lines}\n"))
    assert response.status_code == 400 and "501行になり、上限の500行を超えます" in response.content.decode()
    assert "inventory-confirm-form" not in response.content.decode()
    response = upload(bob_client, assessment, csv_bytes(f"データ項目\n{lines}\n"), mode="replace")
    assert response.status_code == 200 and len(response.context["rows"]) == 480


def test_a_corrupt_or_wrong_file_is_refused_with_a_message(bob_client, assessment):
    good = xlsx_bytes([["データ項目"], ["身長"]])
    for name, data in (
        ("broken.xlsx", b"this is not a workbook"),
        ("truncated.xlsx", good[: len(good) // 2]),
        ("zip.xlsx", _zip_without_workbook()),
        # Opens, but its sheet (read lazily) is not XML.
        ("bad-sheet.xlsx", _with_sheet_xml(good, lambda xml: xml.replace(b"<sheetData>", b"<sheetData><row <<"))),
    ):
        response = upload(bob_client, assessment, data, name=name)
        assert response.status_code == 400, name
        assert "Excel（.xlsx）のファイルとして読めません" in response.context["form"].errors["file"][0], name
    for name, data, message in (
        ("picture.png", b"\x89PNG\r\n\x1a\n", "CSV（.csv）または Excel（.xlsx）"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "古い Excel 形式"),
        ("binary.csv", b"\xff\xfe\x00\x00\x81", "文字コードを読み取れません"),
        ("huge.csv", b"a" * (inventory_io.MAX_FILE_BYTES + 1), "ファイルが大きすぎます"),
        ("empty-header.csv", b"\r\n\r\n", "ファイルが空です"),
    ):
        response = upload(bob_client, assessment, data, name=name)
        assert response.status_code == 400, name
        assert message in response.context["form"].errors["file"][0], name
    response = bob_client.post(import_url(assessment), {"mode": "append"})  # no file at all
    assert response.status_code == 400 and response.context["form"].errors["file"]
    response = bob_client.post(import_url(assessment), "data_item\n", content_type="text/csv")  # not a form
    assert response.status_code == 400 and "このフィールドは必須です" in response.context["form"].errors["file"][0]
    assert "このフィールドは必須です" in response.content.decode()  # shown, not only a status
    assert len(stored_rows(assessment)) == 21


def _with_sheet_xml(data: bytes, change) -> bytes:
    """The workbook ``data`` with its first sheet's XML changed by ``change`` (bytes -> bytes)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            archive.writestr(info, change(content) if info.filename == "xl/worksheets/sheet1.xml" else content)
    return buffer.getvalue()


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return buffer.getvalue()


def test_a_tampered_or_foreign_payload_is_refused_and_nothing_is_written(bob_client, bob, assessment, misato, published_set):
    preview = upload(bob_client, assessment, csv_bytes("データ項目\n身長\n"))
    payload = read_form(preview.content.decode(), "inventory-confirm-form")["payload"]
    tampered = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    for bad in (tampered, "", "garbage", inventory_io.signing.dumps({"assessment": assessment.pk}, salt="other")):
        response = bob_client.post(import_url(assessment), {"payload": bad, "confirm": "1"})
        assert response.status_code == 400, bad
        assert "確認画面の内容を確かめられませんでした" in response.content.decode()
    # A payload signed for another assessment does not apply to this one.
    other = answer_saving.assessment_create(user=bob, project=misato, question_set=published_set, title="別", standpoint="resident")
    response = bob_client.post(import_url(other), {"payload": payload, "confirm": "1"})
    assert response.status_code == 400
    assert len(stored_rows(assessment)) == 21 and len(stored_rows(other)) == 21


def test_a_payload_older_than_an_hour_is_refused(bob_client, assessment, monkeypatch):
    preview = upload(bob_client, assessment, csv_bytes("データ項目\n身長\n"))
    monkeypatch.setattr(inventory_io, "SIGNED_MAX_AGE", -1)
    response = confirm(bob_client, assessment, preview)
    assert response.status_code == 400 and "1時間以上" in response.content.decode()
    assert len(stored_rows(assessment)) == 21


def test_a_confirmation_after_the_inventory_changed_is_refused(bob_client, bob, assessment):
    preview = upload(bob_client, assessment, csv_bytes("データ項目\n身長\n"), mode="replace")
    # Another tab saves the inventory in the background between the preview and the confirmation.
    changed = stored_rows(assessment)[:3]
    save_now(assessment, bob, {inventory_question(assessment): answer_saving.AnswerChange(rows=changed)})
    response = confirm(bob_client, assessment, preview)
    assert response.status_code == 409
    assert "別のタブまたは別の人がデータ項目一覧を変更しました" in response.content.decode()
    assert stored_rows(assessment) == changed


def test_a_confirmation_racing_a_save_is_refused_by_answers_save(bob_client, bob, assessment, monkeypatch):
    """The version is checked again under answers_save's lock: a save that lands after the confirmation
    read the inventory is not overwritten either."""
    preview = upload(bob_client, assessment, csv_bytes("データ項目\n身長\n"), mode="replace")
    real = inventory_io.combined_rows
    changed = stored_rows(assessment)[:2]

    def another_save_lands_now(stored, new, mode):
        # Called by import_rows after it checked the version it read: too late for that check.
        save_now(assessment, bob, {inventory_question(assessment): answer_saving.AnswerChange(rows=changed)})
        return real(stored, new, mode)

    monkeypatch.setattr(inventory_io, "combined_rows", another_save_lands_now)
    response = confirm(bob_client, assessment, preview)
    assert response.status_code == 409
    # (The "other" save ran on this test's connection, inside import_rows' transaction, so the refusal
    # rolls it back too; what matters is that the import did not overwrite it.)
    assert "身長" not in [r["data_item"] for r in stored_rows(assessment)]


def test_the_content_budget_refuses_at_the_preview_and_at_the_confirmation(bob_client, assessment):
    data = csv_bytes("データ項目,目的に必要な理由\n" + "".join(f"項目{i},{'理' * 500}\n" for i in range(5)))
    preview = upload(bob_client, assessment, data)
    assert preview.status_code == 200
    # The assessment fills up between the preview and the confirmation: answers_save refuses.
    Assessment.objects.filter(pk=assessment.pk).update(content_size=answer_saving.CONTENT_BUDGET - 100)
    response = confirm(bob_client, assessment, preview)
    assert response.status_code == 400 and "上限の 300,000字を超えます" in response.content.decode()
    assert len(stored_rows(assessment)) == 21
    again = upload(bob_client, assessment, data)
    assert again.status_code == 400 and "上限の 300,000字を超えます" in again.content.decode()
    assert "inventory-confirm-form" not in again.content.decode()


def test_only_editors_of_an_editable_assessment_may_import(bob_client, charlie, assessment, cast):
    from django.test import Client

    data = csv_bytes("データ項目\n身長\n")
    client = Client()  # bob_client is pytest-django's `client`: the others need their own
    client.force_login(charlie)
    for url in (import_url(assessment), reverse("inventory_csv", args=[assessment.pk]),
                reverse("inventory_xlsx", args=[assessment.pk])):
        assert client.get(url).status_code == 404
    assert upload(client, assessment, data).status_code == 404
    client.force_login(cast["viewer"])
    group_assessment = cast["assessment"]
    assert client.get(reverse("inventory_csv", args=[group_assessment.pk])).status_code == 200
    assert client.get(import_url(group_assessment)).status_code == 403
    assert upload(client, group_assessment, data).status_code == 403
    client.logout()
    assert client.get(import_url(assessment)).status_code == 302  # to the sign-in
    # Submitted: read-only until returned, a preview made before is refused too.
    preview = upload(bob_client, assessment, data)
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.SUBMITTED)
    assert bob_client.get(import_url(assessment)).status_code == 403
    assert confirm(bob_client, assessment, preview).status_code == 403
    assert len(stored_rows(assessment)) == 21


def test_the_upload_page_is_labelled_japanese(bob_client, assessment):
    response = bob_client.get(import_url(assessment))
    page = response.content.decode()
    assert response.status_code == 200 and '<html lang="ja"' in page
    assert "<h1" in page and "データ項目一覧を取り込む" in page
    assert 'for="id_file"' in page and 'id="id_file"' in page
    assert "今ある行の後ろに追加" in page and "今ある行をすべて置き換える" in page


# --- Export --------------------------------------------------------------------------------------------

TRICKY = [
    {"data_item": "=HYPERLINK(\"http://evil.example/\",\"x\")", "necessity": "1行目\n2行目", "sensitive": "yes",
     "children": "no", "purpose": "+1", "legal_basis": "@SUM(A1)", "category": "-5", "held_by": "'=quoted",
     "retention": "5", "shared_with_vendor": "unknown", "note": "#N/A"},
    {"data_item": "普通の項目", "necessity": "", "sensitive": "unknown", "children": "yes", "purpose": "'plain",
     "legal_basis": "", "category": "", "held_by": "", "retention": "2024-05-01", "shared_with_vendor": "no", "note": ""},
]


def _store(assessment, bob, rows):
    save_now(assessment, bob, {inventory_question(assessment): answer_saving.AnswerChange(rows=rows)})
    assert stored_rows(assessment) == rows


def test_an_exported_csv_and_xlsx_import_back_to_the_same_rows(bob_client, bob, assessment):
    _store(assessment, bob, TRICKY + stored_rows(assessment))
    rows = stored_rows(assessment)
    for name in ("inventory_csv", "inventory_xlsx"):
        response = bob_client.get(reverse(name, args=[assessment.pk]))
        assert response.status_code == 200
        extension = name.split("_")[1]
        preview = upload(bob_client, assessment, response.content, name=f"export.{extension}", mode="replace")
        assert preview.context["rows"] == rows, name
        confirm(bob_client, assessment, preview)
        assert stored_rows(assessment) == rows, name
    assert inventory_io.parse_csv(inventory_io.rows_csv(rows)).rows == rows
    assert inventory_io.parse_xlsx(inventory_io.rows_xlsx(rows)).rows == rows


def test_the_export_is_named_and_typed(bob_client, assessment):
    response = bob_client.get(reverse("inventory_csv", args=[assessment.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"filename*=utf-8''%E3%83%87%E3%83%BC%E3%82%BF%E9%A0%85%E7%9B%AE%E4%B8%80%E8%A6%A7-{assessment.pk}.csv" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment;")
    table = read_csv(response.content)
    assert table[0] == HEADER.split(",")
    assert len(table) == 22 and table[1][2] in ("はい", "いいえ", "不明")
    response = bob_client.get(reverse("inventory_xlsx", args=[assessment.pk]))
    assert response["Content-Type"] == inventory_io.XLSX_CONTENT_TYPE
    assert f"-{assessment.pk}.xlsx" in response["Content-Disposition"]
    sheet = read_xlsx(response.content)
    assert [c.value for c in sheet[1]] == HEADER.split(",") and sheet.max_row == 22


def test_formula_like_text_is_neutralised_in_both_exports(bob_client, bob, assessment):
    _store(assessment, bob, TRICKY)
    table = read_csv(bob_client.get(reverse("inventory_csv", args=[assessment.pk])).content)
    first = table[1]
    assert first[0] == "'=HYPERLINK(\"http://evil.example/\",\"x\")"
    assert (first[4], first[5], first[6], first[7]) == ("'+1", "'@SUM(A1)", "'-5", "''=quoted")
    assert first[2:4] == ["はい", "いいえ"] and first[9] == "不明"
    sheet = read_xlsx(bob_client.get(reverse("inventory_xlsx", args=[assessment.pk])).content)
    cell = sheet["A2"]
    assert cell.value == TRICKY[0]["data_item"] and cell.data_type == "s" and cell.quotePrefix
    assert sheet["K2"].value == "#N/A" and sheet["K2"].data_type == "s"
    assert sheet["F2"].data_type == "s" and sheet["G2"].value == "-5" and sheet["G2"].data_type == "s"


def test_the_export_takes_as_many_queries_for_50_rows_as_for_5(bob_client, bob, assessment):
    counts = {}
    for n in (5, 50):
        _store(assessment, bob, [{**TRICKY[1], "data_item": f"項目{i}"} for i in range(n)])
        for name in ("inventory_csv", "inventory_xlsx"):
            with CaptureQueriesContext(connection) as queries:
                response = bob_client.get(reverse(name, args=[assessment.pk]))
            assert response.status_code == 200
            counts[(name, n)] = len(queries)
    assert counts[("inventory_csv", 5)] == counts[("inventory_csv", 50)]
    assert counts[("inventory_xlsx", 5)] == counts[("inventory_xlsx", 50)]
    assert InventoryRow.objects.filter(answer__assessment=assessment).count() == 50


def test_cells_outside_the_header_are_an_error_of_their_line():
    data = csv_bytes("データ項目,,メモ\n身長,ずれた値,メモ\n体重,,,,余分\n")
    parsed = inventory_io.parse_csv(data)
    assert parsed.errors == [(2, "見出しのない列に値があります（2列目）。"), (3, "見出しのない列に値があります（5列目）。")]
    wide = "データ項目\n身長" + ",x" * 3000 + "\n"  # one message for the line, however many stray cells
    assert [message for _n, message in inventory_io.parse_csv(wide.encode()).errors] == ["見出しのない列に値があります（2、3、4、5、6…列目）。"]


def test_a_cell_longer_than_the_csv_modules_limit_is_refused_for_its_length_not_as_a_broken_file():
    parsed = inventory_io.parse_csv(f"{HEADER}\n{'y' * 131_073},理由\n身長,必要\n".encode())
    assert [number for number, _message in parsed.errors] == [2]
    assert "200" in parsed.errors[0][1] and "読めません" not in parsed.errors[0][1]


ROLES = ("anonymous", "outsider", "viewer", "editor", "owner", "reviewer", "staff")
# Expected status per URL and role for a draft assessment (as tests/test_access.py's MATRIX).
MATRIX = {
    "inventory_csv": {"anonymous": 302, "outsider": 404, "viewer": 200, "editor": 200, "owner": 200, "reviewer": 200, "staff": 200},
    "inventory_xlsx": {"anonymous": 302, "outsider": 404, "viewer": 200, "editor": 200, "owner": 200, "reviewer": 200, "staff": 200},
    "inventory_import": {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 200, "owner": 200, "reviewer": 403, "staff": 403},
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, cast, role):
    group_assessment = cast["assessment"]
    if role != "anonymous":
        client.force_login(cast[role])
    for name, expected in MATRIX.items():
        assert client.get(reverse(name, args=[group_assessment.pk])).status_code == expected[role], name
    response = upload(client, group_assessment, csv_bytes("データ項目\n身長\n"))
    assert response.status_code == MATRIX["inventory_import"][role]
    assert len(stored_rows(group_assessment)) == 21  # a preview writes nothing, whoever sends it
