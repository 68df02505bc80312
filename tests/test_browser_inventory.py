"""The data inventory editor as people use it, in Debian's Chromium on a phone (390 px) and a wide
screen (1280 px): add, duplicate, reorder, remove with undo, paste cells copied from a spreadsheet,
import a file through the preview, reload, and read what was stored (issue 15)."""

import pytest
from playwright.sync_api import expect

from assessments.models import InventoryRow
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]

WIDTHS = [390, 1280]


@pytest.fixture
def editor(browser, browser_context_args, live_server, cast, request):
    """dave (an editor of the cast's assessment) on section B at the test's width."""
    width = request.node.callspec.params["width"]
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": width, "height": 900}})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    sign_in(page, live_server.url, "dave")
    page.goto(f"{live_server.url}/assessments/{cast['assessment'].pk}/sections/b/#inventory")
    yield page
    context.close()


def rows(page):
    return page.locator("#inventory-rows tr.dx-inventory-row")


def saved(page):
    expect(page.locator("#save-status")).to_contain_text("保存済み")


def stored(cast):
    return list(
        InventoryRow.objects.filter(answer__assessment=cast["assessment"]).order_by("position")
        .values_list("data_item", "necessity", "sensitive", "children", "legal_basis", "note")
    )


def names(cast):
    return [row[0] for row in stored(cast)]


@pytest.mark.parametrize("width", WIDTHS)
def test_add_duplicate_move_and_remove_with_undo_then_reload(editor, cast, width):
    page = editor
    before = names(cast)
    count = len(before)
    assert count > 2  # the 美里町 catalogue items are prefilled
    # The page itself never scrolls sideways; the wide table scrolls inside its own region.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Add: the item's name and its necessity are the first two fields of the new row.
    page.get_by_role("button", name="行を追加").click()
    new = rows(page).last
    expect(new.locator("input[name$=data_item]")).to_be_focused()
    page.keyboard.type("保健室来室理由（架空の例）")
    page.keyboard.press("Tab")
    page.keyboard.type("養護教諭の見守りに使う")
    new.get_by_label("要配慮個人情報（保健室来室理由（架空の例））").select_option("yes")
    # 要配慮 without a legal basis: the row says so in words, not only by colour.
    expect(new.locator(".dx-row-flag")).to_be_visible()
    expect(new.locator(".dx-row-flag")).to_contain_text("法的根拠が空です")
    new.get_by_label("法的根拠（保健室来室理由（架空の例））").fill("学校保健安全法第9条")
    expect(new.locator(".dx-row-flag")).to_be_hidden()
    saved(page)
    assert stored(cast)[-1] == ("保健室来室理由（架空の例）", "養護教諭の見守りに使う", "yes", "unknown", "学校保健安全法第9条", "")

    # Duplicate: the copy comes right after the original, with every field, and is stored.
    page.get_by_role("button", name="複製: 保健室来室理由（架空の例）").click()
    expect(rows(page)).to_have_count(count + 2)
    copy = rows(page).last
    expect(copy.locator("input[name$=data_item]")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("保健室来室時刻（架空の例）")
    saved(page)
    assert names(cast)[-2:] == ["保健室来室理由（架空の例）", "保健室来室時刻（架空の例）"]
    assert stored(cast)[-1][1:] == ("養護教諭の見守りに使う", "yes", "unknown", "学校保健安全法第9条", "")

    # Move the copy up one place; the buttons are named by the row they act on.
    page.get_by_role("button", name="上へ: 保健室来室時刻（架空の例）").click()
    saved(page)
    assert names(cast)[-2:] == ["保健室来室時刻（架空の例）", "保健室来室理由（架空の例）"]
    expect(rows(page).nth(count).locator(".dx-row-number")).to_have_text(str(count + 1))

    # Remove the first prefilled row, then undo: nothing is lost.
    first = before[0]
    page.get_by_role("button", name=f"削除: {first}").click()
    expect(rows(page).first.locator(".dx-pending-delete")).to_be_visible()
    saved(page)
    assert first not in names(cast)
    page.get_by_role("button", name=f"元に戻す: {first}").click()
    expect(rows(page).first.locator(".dx-pending-delete")).to_be_hidden()
    saved(page)
    assert names(cast)[0] == first

    # Remove it for good and reload: the page shows what was stored.
    page.get_by_role("button", name=f"削除: {first}").click()
    saved(page)
    page.reload()
    expected = [*before[1:], "保健室来室時刻（架空の例）", "保健室来室理由（架空の例）"]
    assert names(cast) == expected
    expect(rows(page)).to_have_count(len(expected))
    expect(rows(page).first.locator("input[name$=data_item]")).to_have_value(expected[0])
    expect(rows(page).last.locator("input[name$=legal_basis]")).to_have_value("学校保健安全法第9条")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_cells_pasted_from_a_spreadsheet_fill_rows_and_columns(editor, cast, width):
    page = editor
    count = rows(page).count()
    # What Excel puts on the clipboard for a block with a header line: tabs, CR LF, a quoted cell
    # holding a line break.
    clipboard = (
        "データ項目\t目的に必要な理由\t要配慮個人情報\tこどものデータ\t法的根拠\r\n"
        "学校健診結果（架空の例）\t\"成長の記録\r\nとして使う\"\t○\t○\t学校保健安全法第13条\r\n"
        "通学路の危険箇所（架空の例）\t見守りのため\t×\t不明\t\r\n"
    )
    page.get_by_role("button", name="行を追加").click()
    target = rows(page).last.locator("input[name$=data_item]")
    target.focus()
    page.evaluate("text => navigator.clipboard.writeText(text)", clipboard)
    page.keyboard.press("Control+V")
    expect(rows(page)).to_have_count(count + 2)
    expect(page.locator("#inventory-status")).to_contain_text("2行を貼り付けました")
    saved(page)
    assert stored(cast)[-2:] == [
        ("学校健診結果（架空の例）", "成長の記録\nとして使う", "yes", "yes", "学校保健安全法第13条", ""),
        ("通学路の危険箇所（架空の例）", "見守りのため", "no", "unknown", "", ""),
    ]

    # Without a header line, cells fill rightwards from the field pasted into.
    rows(page).last.locator("input[name$=data_item]").focus()
    page.evaluate("text => navigator.clipboard.writeText(text)", "通学路の危険箇所（架空の例）\t登下校の見守りのため\tいいえ\tはい")
    page.keyboard.press("Control+V")
    saved(page)
    assert stored(cast)[-1] == ("通学路の危険箇所（架空の例）", "登下校の見守りのため", "no", "yes", "", "")
    page.reload()
    expect(rows(page)).to_have_count(count + 2)
    expect(rows(page).last.locator("select[name$=children]")).to_have_value("yes")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_csv_file_imports_through_the_preview(editor, cast, width, tmp_path):
    page = editor
    before = names(cast)
    csv_file = tmp_path / "items.csv"
    csv_file.write_text(
        "データ項目,目的に必要な理由,要配慮個人情報,メモ\n"
        "家庭訪問記録（架空の例）,支援の継続のため,はい,町に確認中\n"
        "図書の貸出履歴（架空の例）,,いいえ,\n",
        encoding="utf-8-sig",
    )
    page.get_by_role("link", name="CSV・Excel から取り込む").click()
    page.get_by_label("ファイル（CSV または Excel の .xlsx）").set_input_files(str(csv_file))
    page.get_by_role("button", name="読み込んで確かめる").click()
    expect(page.locator("#import-summary")).to_contain_text(f"今ある{len(before)}行の後ろに、次の2行を追加します")
    expect(page.locator("#import-lines")).to_contain_text("家庭訪問記録（架空の例）")
    assert names(cast) == before  # the preview wrote nothing
    page.get_by_role("button", name="取り込む").click()
    expect(page.get_by_text("2行を取り込みました。")).to_be_visible()
    assert names(cast) == [*before, "家庭訪問記録（架空の例）", "図書の貸出履歴（架空の例）"]
    assert stored(cast)[-2] == ("家庭訪問記録（架空の例）", "支援の継続のため", "yes", "unknown", "", "町に確認中")
    expect(rows(page)).to_have_count(len(before) + 2)
    page.reload()
    expect(rows(page).last.locator("input[name$=data_item]")).to_have_value("図書の貸出履歴（架空の例）")


@pytest.mark.parametrize("width", [1280])
def test_a_paste_passes_over_rows_marked_deleted_and_says_what_it_left_out(editor, cast, width):
    page = editor
    before = names(cast)
    third_sensitive = stored(cast)[2][2]
    # The second row is marked 削除; a paste of two lines into the first row fills the first and third.
    page.get_by_role("button", name=f"削除: {before[1]}").click()
    saved(page)
    rows(page).first.locator("input[name$=data_item]").focus()
    page.evaluate("text => navigator.clipboard.writeText(text)",
                  "一行目（架空の例）\tA\tはい\tいいえ\tP\tL\tC\tH\tR\tいいえ\tN\t余分\r\n三行目（架空の例）\tB\tたぶん\r\n")
    page.keyboard.press("Control+V")
    status = page.locator("#inventory-status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("2行を貼り付けました")
    expect(status).to_contain_text("2行目の「たぶん」")
    expect(status).to_contain_text("入る列がないため貼り付けなかったセル: 1個")
    saved(page)
    expected = ["一行目（架空の例）", "三行目（架空の例）", *before[3:]]
    assert names(cast) == expected  # the marked row stays deleted; nothing was pasted into it
    assert stored(cast)[0] == ("一行目（架空の例）", "A", "yes", "no", "L", "N")
    assert stored(cast)[1][1:3] == ("B", third_sensitive)  # 「たぶん」 is not a yes/no: the stored value stays


@pytest.mark.parametrize("width", [1280])
def test_one_excel_cell_with_line_breaks_pastes_without_its_quotes(editor, cast, width):
    page = editor
    first = rows(page).first
    necessity = first.locator("textarea[name$=necessity]")
    necessity.fill("")
    necessity.focus()
    page.evaluate("text => navigator.clipboard.writeText(text)", '"見守りの""記録""\r\nとして使う"\r\n')
    page.keyboard.press("Control+V")
    expect(necessity).to_have_value('見守りの"記録"\nとして使う')
    saved(page)
    assert stored(cast)[0][1] == '見守りの"記録"\nとして使う'


def test_those_who_may_only_read_can_download_the_inventory(browser, browser_context_args, live_server, cast):
    """vera views the assessment: the section's fields are disabled, the export links still work."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    sign_in(page, live_server.url, "vera")
    page.goto(f"{live_server.url}/assessments/{cast['assessment'].pk}/sections/b/")
    expect(rows(page).first.locator("input[name$=data_item]")).to_be_disabled()
    expect(page.get_by_role("link", name="CSV・Excel から取り込む")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV で書き出す").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("データ項目,目的に必要な理由") and names(cast)[0] in text
    context.close()
