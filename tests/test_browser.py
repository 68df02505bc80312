"""Walks through the app in real Chromium (Debian's /usr/bin/chromium through Playwright)."""

import pytest
from playwright.sync_api import expect

from assessments.models import Answer, InventoryRow, Question
from tests.conftest import PASSWORD, answer_every_question

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]


def test_a_resident_walks_through_an_assessment(live_server, page, bob, misato, published_set):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("ユーザー名").fill("bob")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="ログイン").click()

    # Pick 美里町 こどもデータ連携実証事業 from the catalogue.
    page.goto(f"{base}/projects/")
    page.get_by_label("自治体").select_option(label="美里町")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name="こどもデータ連携実証事業").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("こどもデータ連携実証事業")
    page.get_by_role("link", name="この事業を評価する").click()
    page.get_by_label("住民・団体").check()
    page.locator("main").get_by_role("button", name="始める").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("スクリーニング（評価の深さ）")

    # A conditional question appears without a reload when its condition is met.
    page.locator("nav").get_by_role("button", name="F. 住民も含めた公正な審査体制").click()
    follow_up = page.locator("#q-f-resident-members")
    expect(follow_up).to_be_hidden()
    page.locator("#q-f-review-body").get_by_label("実施・確認済み").check()
    expect(follow_up).to_be_visible()
    follow_up.get_by_label("不明").check()

    # A long answer is saved in the background and is still there after a reload.
    long_answer = "審査会の会議録は公開されていない。" * 200
    opinion = page.locator("#id_q-f-review-opinion")
    opinion.fill(long_answer)
    opinion.blur()
    expect(page.locator("#save-status")).to_contain_text("保存済み")
    page.reload()
    expect(page.locator("#id_q-f-review-opinion")).to_have_value(long_answer)
    expect(page.locator("#q-f-resident-members")).to_be_visible()

    # Add a row to the data inventory.
    page.locator("nav").get_by_role("button", name="B. 目的と収集データの妥当性・因果関係").click()
    rows = page.locator("#inventory-rows tr")
    expect(rows).to_have_count(21)
    page.get_by_role("button", name="行を追加").click()
    expect(rows).to_have_count(22)
    rows.last.locator("input[name$=data_item]").fill("保健室来室理由")
    rows.last.locator("select[name$=children]").select_option("yes")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("保存")

    # The summary lists the unknown answer and the question to put to the municipality.
    page.get_by_role("button", name="まとめを見る").click()
    resident_members = Question.objects.get(question_set=published_set, key="f-resident-members")
    expect(page.locator("#unknown-list")).to_contain_text(resident_members.text)
    expect(page.get_by_text(resident_members.municipality_question)).to_be_visible()

    assert Answer.objects.get(question__key="f-review-opinion").value == long_answer
    assert InventoryRow.objects.filter(data_item="保健室来室理由", children="yes").count() == 1


def sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="ログイン").click()
    expect(page.get_by_text(username, exact=True)).to_be_visible()


def test_an_assessment_is_submitted_reviewed_approved_published_and_downloaded(live_server, page, cast):
    base = live_server.url
    review_url = f"{base}/assessments/{cast['assessment'].pk}/review/"

    # The owner of the group tries to make the author a reviewer: refused, and the page says why.
    sign_in(page, base, "bob")
    page.goto(review_url)
    page.get_by_label("ユーザー名").fill("dave")
    page.get_by_role("button", name="加える").click()
    expect(page.locator(".alert-danger")).to_contain_text("評価の作成者は、その評価の審査委員になれません。")
    expect(page.locator("#reviewers")).not_to_contain_text("dave")

    # The editor answers every question and submits.
    answer_every_question(cast["assessment"], cast["editor"])
    sign_in(page, base, "dave")
    page.goto(review_url)
    page.get_by_role("button", name="審査に提出する").click()
    expect(page.locator(".alert-success")).to_contain_text("状態を変更しました")
    expect(page.locator("main .lead")).to_contain_text("提出済み")

    # The reviewer comments on a question, starts the review, gives an opinion and approves.
    sign_in(page, base, "rita")
    page.goto(f"{base}/assessments/{cast['assessment'].pk}/sections/a/")
    block = page.locator("#q-a-public-comment")
    block.get_by_label("コメント（審査委員・団体の構成員）").fill("意見募集の期間を確認してください。")
    block.get_by_role("button", name="コメントする").click()
    expect(page.locator("#comments-a-public-comment")).to_contain_text("意見募集の期間を確認してください。")
    page.goto(review_url)
    page.get_by_role("button", name="審査を始める").click()
    page.locator("form").filter(has=page.get_by_role("button", name="意見を保存")).first.get_by_label("条件付き妥当").check()
    page.get_by_role("button", name="意見を保存").first.click()
    expect(page.locator("#opinions")).to_contain_text("条件付き妥当")
    expect(page.locator("#approval-check")).to_contain_text("承認の条件はそろっています。")
    page.get_by_role("button", name="承認する").click()
    expect(page.locator("main .lead")).to_contain_text("承認済み")

    # The owner publishes, after a page that shows what becomes public.
    sign_in(page, base, "bob")
    page.goto(review_url)
    page.get_by_role("button", name="住民に公開する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("住民に公開しますか？")
    expect(page.locator("#what-becomes-public")).to_contain_text("評価報告書（PDF）")
    expect(page.locator("main")).to_contain_text("住民委員（氏名は非公表）、団体の外から")
    page.get_by_role("button", name="公開する", exact=True).click()
    expect(page.locator("main .lead")).to_contain_text("公開中")

    # An anonymous visitor finds it and downloads the report.
    page.context.clear_cookies()
    page.goto(f"{base}/public/")
    page.get_by_role("link", name="守る会の評価").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="評価報告書（PDF）").click()
    download = download_info.value
    assert download.suggested_filename.startswith("評価報告書_美里町_")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    public_url = page.url
    expect(page.locator("#review-body")).to_contain_text("承認された内容: 第")

    # A later change to what was approved (the residents' views) sends it back to review.
    sign_in(page, base, "dave")
    page.goto(review_url)
    page.get_by_text("記録・修正する").click()
    page.get_by_label("聴いた", exact=True).check()
    page.get_by_label("寄せられた意見の要旨").fill("説明会で反対意見が多かった")
    page.locator("#residents-heading ~ details").get_by_role("button", name="保存").click()
    expect(page.locator("main .lead")).to_contain_text("審査中")
    expect(page.locator("#status-history")).to_contain_text("承認後に変更されました: 住民・当事者の意見")
    page.context.clear_cookies()
    assert page.goto(public_url).status == 404
