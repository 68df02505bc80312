"""A group in real Chromium: the owner invites by e-mail, the invitee accepts, the owner changes the
role and the invitee's rights follow."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from assessments.models import Invitation, Membership
from tests.conftest import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]


def test_an_owner_invites_the_invitee_accepts_and_the_role_decides_the_rights(browser, browser_context_args,
                                                                               live_server, cast):
    base = live_server.url
    group, assessment = cast["group"], cast["assessment"]
    owner_context = browser.new_context(**browser_context_args)
    invitee_context = browser.new_context(**browser_context_args)
    owner, invitee = owner_context.new_page(), invitee_context.new_page()

    # bob finds his group from the menu and invites charlie as an editor.
    sign_in(owner, base, "bob")
    owner.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="団体").click()
    owner.get_by_role("link", name="美里の子どもを守る会").click()
    expect(owner.get_by_role("heading", level=1)).to_contain_text("美里の子どもを守る会")
    form = owner.locator("#invite-form")
    form.get_by_label("招待する人のメールアドレス").fill("charlie@example.org")
    form.get_by_label("役割").select_option(label="編集者")
    owner.get_by_role("button", name="招待のメールを送る").click()
    expect(owner.locator(".alert-success")).to_contain_text("charlie@example.org に招待のメールを送りました")
    expect(owner.locator("#invitations")).to_contain_text("charlie@example.org")

    [message] = mail.outbox
    assert message.to == ["charlie@example.org"]
    link = re.search(r"https?://\S+/invitations/[A-Za-z0-9_-]+/", message.body).group(0)
    assert link.startswith(base)

    # charlie, signed in, opens the link and accepts.
    sign_in(invitee, base, "charlie")
    invitee.goto(link)
    expect(invitee.locator("#invitation-details")).to_contain_text("編集者")
    invitee.get_by_role("button", name="招待を承諾して参加する").click()
    expect(invitee.locator(".alert-success")).to_contain_text("美里の子どもを守る会」に編集者として参加しました")
    expect(invitee.locator("#members")).to_contain_text("charlie")
    assert Membership.objects.get(organisation=group, user=cast["outsider"]).role == "editor"
    assert Invitation.objects.get().accepted_by == cast["outsider"]

    # As an editor charlie may answer the group's assessment.
    invitee.goto(f"{base}/assessments/{assessment.pk}/sections/b/")
    expect(invitee.locator("#inventory-rows input[name$=data_item]").first).to_be_enabled()
    expect(invitee.get_by_text("閲覧のみ")).to_have_count(0)

    # bob makes charlie a viewer; charlie's next page is read-only.
    owner.reload()
    expect(owner.locator("#invitations")).to_have_count(0)  # accepted: no longer waiting
    row = owner.locator("#members tr", has_text="charlie")
    row.get_by_label("charlie さんの役割").select_option(label="閲覧者")
    row.get_by_role("button", name="役割を変える").click()
    expect(owner.locator(".alert-success")).to_contain_text("charlie さんの役割を「閲覧者」にしました")
    invitee.reload()
    expect(invitee.locator("#inventory-rows input[name$=data_item]").first).to_be_disabled()
    expect(invitee.get_by_text("この評価の回答を変更する権限がありません（閲覧のみ）。")).to_be_visible()

    # The link cannot be used a second time.
    invitee.goto(link)
    expect(invitee.locator("#invitation-problem")).to_contain_text("すでに使われています")
    owner_context.close()
    invitee_context.close()
