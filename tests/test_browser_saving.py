"""Nothing typed is lost or silently overwritten: background saves, conflicts and unsaved input, in
real Chromium (Debian's /usr/bin/chromium through Playwright)."""

import re

import pytest
from playwright.sync_api import expect

from assessments.models import Answer, InventoryRow, Question
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]


@pytest.fixture
def tab(browser, browser_context_args, live_server):
    """Open pages in new, signed-in browser contexts (tabs of different people or devices)."""
    contexts = []

    def open_tab(username, path):
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("ユーザー名").fill(username)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="ログイン").click()
        expect(page.get_by_text(username, exact=True)).to_be_visible()
        page.goto(f"{live_server.url}{path}")
        return page

    yield open_tab
    for context in contexts:
        context.close()


def section_path(assessment, key):
    return f"/assessments/{assessment.pk}/sections/{key}/"


def saved(page):
    expect(page.locator("#save-status")).to_contain_text("保存済み")


def stored(assessment, key):
    return Answer.objects.filter(assessment=assessment, question__key=key).first()


def test_a_second_tab_gets_a_visible_conflict_and_both_texts_are_kept(tab, cast):
    assessment = cast["assessment"]
    tab_a = tab("dave", section_path(assessment, "c"))
    tab_b = tab("bob", section_path(assessment, "c"))  # opened before A saves

    tab_a.locator("#id_note-c-function-creep").fill("Aの補足: 条文は第69条第2項第3号")
    saved(tab_a)
    tab_b.locator("#id_note-c-beyond-purpose").fill("Bの補足（別の質問）")
    saved(tab_b)
    tab_b.locator("#id_note-c-function-creep").fill("Bの補足: 条文は未確認")

    box = tab_b.locator("#conflicts-c-function-creep .dx-conflict")
    expect(box).to_be_visible()
    expect(box.locator("textarea").first).to_have_value("Aの補足: 条文は第69条第2項第3号")
    expect(box.locator("textarea").last).to_have_value("Bの補足: 条文は未確認")
    expect(tab_b.locator("#save-status")).to_contain_text("どちらを残すか")
    # Nothing was overwritten; the save of the other question went through.
    assert stored(assessment, "c-function-creep").note == "Aの補足: 条文は第69条第2項第3号"
    assert stored(assessment, "c-beyond-purpose").note == "Bの補足（別の質問）"

    # B overwrites deliberately; A (still on its old page) then changes the same note and is told.
    box.get_by_role("button", name="自分の入力で上書き").click()
    saved(tab_b)
    assert stored(assessment, "c-function-creep").note == "Bの補足: 条文は未確認"
    tab_a.locator("#id_note-c-function-creep").fill("Aの補足: もう一度")
    box_a = tab_a.locator("#conflicts-c-function-creep .dx-conflict")
    expect(box_a).to_be_visible()
    box_a.get_by_role("button", name="保存済みの内容を使う").click()
    expect(tab_a.locator("#id_note-c-function-creep")).to_have_value("Bの補足: 条文は未確認")
    expect(box_a).to_have_count(0)
    assert stored(assessment, "c-function-creep").note == "Bの補足: 条文は未確認"
    notes = [h.new["note"] for h in assessment.answer_history.filter(question__key="c-function-creep").order_by("revision")]
    assert notes == ["Aの補足: 条文は第69条第2項第3号", "Bの補足: 条文は未確認"]


def test_conflicts_on_a_source_and_an_inventory_row_keep_both(tab, cast):
    assessment = cast["assessment"]
    tab_a = tab("dave", section_path(assessment, "b"))
    tab_b = tab("bob", section_path(assessment, "b"))

    # A source on the same question, typed in both tabs.
    for page, title in ((tab_a, "町の説明資料（A）"), (tab_b, "議会の答弁（B）")):
        block = page.locator("#q-b-purpose-stated")
        block.locator("summary").first.click()
        block.get_by_label("資料名").first.fill(title)
        if page is tab_a:
            saved(page)
    box = tab_b.locator("#conflicts-b-purpose-stated .dx-conflict")
    expect(box).to_be_visible()
    expect(box).to_contain_text("根拠資料")
    expect(box.locator("textarea").first).to_have_value("町の説明資料（A）")
    expect(box.locator("textarea").last).to_have_value("議会の答弁（B）")
    assert [e.title for e in stored(assessment, "b-purpose-stated").evidence.all()] == ["町の説明資料（A）"]
    # B takes A's source: the page now shows it, and a later change builds on it.
    box.get_by_role("button", name="保存済みの内容を使う").click()
    block = tab_b.locator("#q-b-purpose-stated")
    expect(block.get_by_label("資料名").first).to_have_value("町の説明資料（A）")
    block.get_by_label("ページ").first.fill("4")
    saved(tab_b)
    evidence = stored(assessment, "b-purpose-stated").evidence.get()
    assert (evidence.title, evidence.page) == ("町の説明資料（A）", "4")

    # An inventory row changed in both tabs.
    tab_a.locator("input[name=inv-0-retention]").fill("5年（A）")
    saved(tab_a)
    tab_b.locator("input[name=inv-1-retention]").fill("3年（B）")
    rows_box = tab_b.locator("#conflicts-b-inventory .dx-conflict")
    expect(rows_box).to_be_visible()
    expect(rows_box.locator("textarea").first).to_have_value(re.compile("5年（A）"))
    expect(rows_box.locator("textarea").last).to_have_value(re.compile("3年（B）"))
    retention = list(InventoryRow.objects.filter(answer__assessment=assessment).order_by("position").values_list("retention", flat=True))
    assert retention[0] == "5年（A）" and retention[1] == ""
    rows_box.get_by_role("button", name="自分の入力で上書き").click()
    saved(tab_b)
    retention = list(InventoryRow.objects.filter(answer__assessment=assessment).order_by("position").values_list("retention", flat=True))
    assert retention[0] == "" and retention[1] == "3年（B）"


def test_sources_and_inventory_rows_save_in_the_background_and_survive_a_reload(tab, cast):
    assessment = cast["assessment"]
    page = tab("dave", section_path(assessment, "b"))
    block = page.locator("#q-b-purpose-stated")
    block.locator("summary").first.click()
    block.get_by_label("資料名").first.fill("こどもデータ連携実証事業 実施計画書")
    block.get_by_label("ページ").first.fill("12")
    page.get_by_role("button", name="行を追加").click()
    row = page.locator("#inventory-rows tr").last
    row.locator("input[name$=data_item]").fill("保健室来室理由")
    row.locator("select[name$=sensitive]").select_option("yes")
    saved(page)
    page.reload()
    block = page.locator("#q-b-purpose-stated")
    expect(block.get_by_label("資料名").first).to_have_value("こどもデータ連携実証事業 実施計画書")
    expect(block.get_by_label("ページ").first).to_have_value("12")
    expect(page.locator("#inventory-rows tr")).to_have_count(22)
    expect(page.locator("#inventory-rows tr").last.locator("input[name$=data_item]")).to_have_value("保健室来室理由")
    assert InventoryRow.objects.get(answer__assessment=assessment, data_item="保健室来室理由").sensitive == "yes"


def test_a_row_moved_up_is_stored_in_its_new_place(tab, cast):
    assessment = cast["assessment"]
    page = tab("dave", section_path(assessment, "b"))
    rows = page.locator("#inventory-rows tr")
    second = rows.nth(1).locator("input[name$=data_item]").input_value()
    rows.nth(1).locator("[data-row-action=up]").click()
    saved(page)
    first = InventoryRow.objects.filter(answer__assessment=assessment).order_by("position").first()
    assert first.data_item == second
    page.reload()
    expect(page.locator("#inventory-rows tr").first.locator("input[name$=data_item]")).to_have_value(second)


def test_leaving_with_unsaved_input_asks_first(tab, cast):
    page = tab("dave", section_path(cast["assessment"], "a"))
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.locator("#id_note-a-public-comment").fill("まだ保存されていない補足")
    page.locator("nav.navbar").get_by_role("link", name="事業カタログ").click()
    expect(page.locator("#id_note-a-public-comment")).to_be_visible()
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/sections/a/")
    saved(page)
    page.remove_listener("dialog", on_dialog)
    base = page.url.split("/assessments/")[0]
    page.locator("nav.navbar").get_by_role("link", name="事業カタログ").click()
    expect(page).to_have_url(f"{base}/projects/")
    assert dialogs == ["beforeunload"]  # asked only while something was unsaved


def test_a_number_answered_unknown_reaches_the_summary_and_the_letter(tab, cast, published_set):
    assessment = cast["assessment"]
    page = tab("dave", section_path(assessment, "g"))
    block = page.locator("#q-g-total-cost")
    block.get_by_label("不明").check()
    saved(page)
    assert stored(assessment, "g-total-cost").value == {"mark": "unknown"}
    question = Question.objects.get(question_set=published_set, key="g-total-cost")
    page.goto(page.url.replace("/sections/g/", "/summary/"))
    expect(page.locator("#unknown-list")).to_contain_text(question.text)
    expect(page.locator("main")).not_to_contain_text("未回答の必須質問: " + question.text)
    page.goto(page.url.replace("/summary/", "/letter/"))
    expect(page.locator("ol > li").first).to_have_text(question.municipality_question)
    text = page.request.get(page.url.replace("/letter/", "/letter.txt")).text()
    assert f"1. {question.municipality_question}" in text


def test_a_failed_background_save_is_marked_at_the_field_and_understood_input_saves(tab, cast):
    assessment = cast["assessment"]
    page = tab("dave", section_path(assessment, "g"))
    field = page.locator("#id_q-g-total-cost")
    field.fill("たくさん")
    field.blur()
    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator("#err-g-total-cost-value")
    expect(error).to_contain_text("数値で入力してください")
    assert "err-g-total-cost-value" in field.get_attribute("aria-describedby")
    expect(page.locator("#save-status")).to_contain_text("を保存できませんでした")
    expect(page.locator("#save-status")).to_be_in_viewport()
    expect(field).to_have_value("たくさん")  # the input is kept
    field.fill("1.2万")
    field.blur()
    saved(page)
    expect(field).not_to_have_attribute("aria-invalid", "true")
    assert stored(assessment, "g-total-cost").value == "12000"
    field.fill("12,000,000千円")
    field.blur()
    saved(page)
    expect(page.locator("#warn-g-total-cost")).to_contain_text("値を確認してください")
    assert stored(assessment, "g-total-cost").value == "12000000"
    # Input refused after it: its error alone is shown, not the warning about the value it replaced.
    field.fill("<script>x</script>")
    field.blur()
    expect(error).to_contain_text("数値で入力してください")
    expect(page.locator("#warn-g-total-cost")).to_be_hidden()
    assert stored(assessment, "g-total-cost").value == "12000000"


def test_the_status_line_stays_in_view_on_a_phone(browser, browser_context_args, live_server, cast):
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": 390, "height": 800}})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("ユーザー名").fill("dave")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="ログイン").click()
    page.goto(f"{live_server.url}{section_path(cast['assessment'], 'f')}")
    note = page.locator("#id_note-f-review-body")
    note.fill("スマートフォンからの補足")
    expect(page.locator("#save-status")).to_be_in_viewport()
    saved(page)
    expect(page.locator("#save-status")).to_be_in_viewport()
    context.close()


def test_a_save_that_failed_offline_is_retried_when_the_network_comes_back(tab, cast):
    assessment = cast["assessment"]
    page = tab("dave", section_path(assessment, "a"))
    page.context.set_offline(True)
    note = page.locator("#id_note-a-public-comment")
    note.fill("電波の届かない所で書いた補足")
    note.blur()
    expect(page.locator("#err-a-public-comment-note")).to_contain_text("通信できませんでした")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#save-status")).to_contain_text("を保存できませんでした")
    assert stored(assessment, "a-public-comment") is None
    page.context.set_offline(False)
    saved(page)
    expect(note).not_to_have_attribute("aria-invalid", "true")
    assert stored(assessment, "a-public-comment").note == "電波の届かない所で書いた補足"


def test_input_typed_after_signing_out_elsewhere_is_kept_and_saved_after_signing_in_again(tab, cast):
    """The session ends while a section page is open (signed out in another tab): the save is
    refused in words, the input stays, and after signing in again in another tab it is saved from
    this page (Django renewed the CSRF token at sign-in; the page reads the new one)."""
    assessment = cast["assessment"]
    page = tab("dave", section_path(assessment, "a"))
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("button", name="ログアウト").click()
    expect(other.get_by_role("link", name="ログイン")).to_be_visible()

    note = page.locator("#id_note-a-public-comment")
    note.fill("ログアウトの後に書いた補足")
    note.blur()
    expect(page.locator("#err-a-public-comment-note")).to_contain_text("ログインが切れたため保存できませんでした")
    expect(page.locator("#save-status")).to_contain_text("を保存できませんでした")
    assert stored(assessment, "a-public-comment") is None

    other.goto(page.url.split("/assessments/")[0] + "/accounts/login/")
    other.get_by_label("ユーザー名").fill("dave")
    other.get_by_label("パスワード").fill(PASSWORD)
    other.locator("main").get_by_role("button", name="ログイン").click()
    expect(other.get_by_text("dave", exact=True)).to_be_visible()
    other.close()
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # the user comes back to this tab
    saved(page)
    expect(note).not_to_have_attribute("aria-invalid", "true")
    assert stored(assessment, "a-public-comment").note == "ログアウトの後に書いた補足"


def test_a_choice_made_before_the_script_ran_is_saved(tab, cast):
    """On a slow page the script may come after the first click: that click is saved all the same
    (it fired no event the script could hear)."""
    assessment = cast["assessment"]
    page = tab("dave", f"/assessments/{assessment.pk}/summary/")
    held = []
    page.route(re.compile(r"/wizard[^/]*\.js"), lambda route: held.append(route))  # the script is held back until continued
    with page.expect_request(re.compile(r"/wizard[^/]*\.js")):
        page.goto(page.url.replace("/summary/", "/sections/a/"), wait_until="commit")
    page.locator('input[name="q-a-public-comment"][value="done"]').check()
    page.evaluate("0")  # a round trip: the route, sent before its answer, has been handed to held
    assert len(held) == 1 and stored(assessment, "a-public-comment") is None
    held[0].continue_()
    saved(page)
    assert stored(assessment, "a-public-comment").value == "done"


def test_opening_a_page_saves_nothing(tab, cast):
    """The catch-up above takes only what differs from what the page was sent with: opening every
    section of a prefilled assessment sends no save."""
    assessment = cast["assessment"]
    page = tab("dave", f"/assessments/{assessment.pk}/summary/")
    saves = []
    page.on("request", lambda request: saves.append(request.url) if "/autosave/" in request.url else None)
    for section in assessment.question_set.sections.all():
        page.goto(page.url.split("/assessments/")[0] + f"/assessments/{assessment.pk}/sections/{section.key}/")
        expect(page.locator("#save-status")).to_have_text("")
    assert saves == []
