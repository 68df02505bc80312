"""Accounts in real Chromium: a resident signs up from a project page, confirms the address from
the mail and starts an assessment; a resident who forgot the password sets a new one by mail.
The live server runs in this process, so the mails are in django.core.mail.outbox."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from assessments.models import Assessment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]

NEW_PASSWORD = "a quiet meadow by the river 7"


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_a_resident_signs_up_confirms_the_address_and_starts_an_assessment(live_server, page, misato, published_set):
    base = live_server.url
    page.goto(f"{base}/projects/{misato.key}/")
    page.get_by_role("link", name="この事業を評価する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("評価するにはアカウントが必要です")
    page.locator("main").get_by_role("link", name="アカウントを作る").click()

    page.get_by_label("表示名").fill("美里の住民")
    page.get_by_label("ユーザー名").fill("hanako")
    page.get_by_label("メールアドレス").fill("hanako@example.jp")
    # Crispy adds a required mark (*) to each label: the two password fields are told apart by id.
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="アカウントを作る").click()

    # Back on the project's start page, signed in, but the address is not confirmed yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("メールアドレスの確認が必要です")
    expect(page.get_by_role("navigation", name="メインメニュー")).to_contain_text("美里の住民")
    expect(page.get_by_role("navigation", name="メインメニュー")).not_to_contain_text("hanako")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["hanako@example.jp"]

    page.goto(link_in(mail.outbox[0]))
    expect(page.locator("main")).to_contain_text("メールアドレスを確認しました")

    page.goto(f"{base}/projects/{misato.key}/assess/")
    page.get_by_label("住民・団体").check()
    page.locator("main").get_by_role("button", name="始める").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("スクリーニング（評価の深さ）")
    assert Assessment.objects.get().owner.username == "hanako"


def test_a_resident_sets_a_new_password_by_mail_and_signs_in(live_server, page, bob):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="パスワードを忘れた場合").click()
    page.get_by_label("メールアドレス").fill("bob@example.org")
    page.locator("main").get_by_role("button", name="再設定のメールを送る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("再設定のメールを送りました")
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "【dxpia】パスワードの再設定"

    page.goto(link_in(mail.outbox[0]))
    expect(page.get_by_role("heading", level=1)).to_have_text("新しいパスワードの設定")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="パスワードを設定する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワードを設定しました")

    page.locator("main").get_by_role("link", name="ログイン").click()
    page.get_by_label("ユーザー名").fill("bob")
    page.get_by_label("パスワード").fill(NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    expect(page.get_by_role("link", name="自分の評価")).to_be_visible()
