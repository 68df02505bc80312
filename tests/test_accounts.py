"""Residents' accounts: sign-up, e-mail confirmation, password reset, rate limits, display names,
account settings, deleting a draft or an account."""

import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assessments import accounts, people, ratelimit
from assessments.models import (Assessment, Comment, Membership, Organisation, Profile, Reviewer, ReviewOpinion,
                                StatusChange)
from tests.conftest import PASSWORD, ready_for_approval
from tests.forms_helper import read_form
from tests.test_workflow import move

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a quiet meadow by the river 7"
User = get_user_model()


def signup_data(**changes):
    data = {"display_name": "美里の住民", "username": "hanako", "email": "Hanako@Example.jp",
            "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    data.update(changes)
    return data


def link_in(message) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0)


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


# --- Tokens ------------------------------------------------------------------------------------------


def test_a_confirmation_token_works_until_the_address_is_confirmed_or_changed(bob):
    Profile.objects.filter(user=bob).update(email_confirmed_at=None)
    token = accounts.confirmation_tokens.make_token(bob)
    assert accounts.confirmation_tokens.check_token(bob, token)
    bob.email = "bob@elsewhere.example"
    assert not accounts.confirmation_tokens.check_token(bob, token)
    bob.email = "BOB@example.org"  # the same address in other letters: still the same link
    assert accounts.confirmation_tokens.check_token(bob, token)
    Profile.objects.filter(user=bob).update(email_confirmed_at=timezone.now())
    assert not accounts.confirmation_tokens.check_token(bob, token)


def test_a_confirmation_token_is_not_a_password_reset_token(bob):
    from django.contrib.auth.tokens import default_token_generator

    Profile.objects.filter(user=bob).update(email_confirmed_at=None)
    assert not default_token_generator.check_token(bob, accounts.confirmation_tokens.make_token(bob))


def test_a_confirmation_token_expires(bob, settings):
    Profile.objects.filter(user=bob).update(email_confirmed_at=None)
    token = accounts.confirmation_tokens.make_token(bob)
    later = accounts.confirmation_tokens._now() + timezone.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    with mock.patch.object(accounts.EmailConfirmationTokenGenerator, "_now", return_value=later):
        assert not accounts.confirmation_tokens.check_token(bob, token)


# --- Rate limits -------------------------------------------------------------------------------------


def test_a_rate_limit_counts_per_address_and_window():
    limit = ratelimit.Limit("test", 3, 60)
    assert [ratelimit.allow(limit, "a@example.jp", now=1000) for _ in range(4)] == [True, True, True, False]
    assert ratelimit.allow(limit, "A@EXAMPLE.JP ", now=1001) is False  # the same address
    assert ratelimit.allow(limit, "b@example.jp", now=1001) is True
    assert ratelimit.allow(limit, "a@example.jp", now=1000 + 60) is True  # the next window


def test_allow_all_counts_every_check():
    one, two = ratelimit.Limit("one", 1, 60), ratelimit.Limit("two", 5, 60)
    assert ratelimit.allow_all((one, "x"), (two, "y"))
    assert not ratelimit.allow_all((one, "x"), (two, "y"))
    assert ratelimit.cache_key(two, "y", 0).startswith("ratelimit:two:") and "y" not in ratelimit.cache_key(two, "y", 0)[14:]


# --- people.py ---------------------------------------------------------------------------------------


def test_display_names_never_fall_back_to_the_login(bob):
    assert people.display_name(None) == "退会した利用者"
    Profile.objects.filter(user=bob).update(display_name="")
    bob = User.objects.get(pk=bob.pk)
    assert people.display_name(bob) == "名前未設定の利用者"
    bob.first_name, bob.last_name = "太郎", "山田"
    assert people.display_name(bob) == "山田 太郎"
    Profile.objects.filter(user=bob).update(display_name="みさとの太郎")
    assert people.display_name(User.objects.select_related("profile").get(pk=bob.pk)) == "みさとの太郎"
    bare = User.objects.bulk_create([User(username="bare")])[0]  # no profile: counts as confirmed
    assert people.display_name(bare) == "名前未設定の利用者" and people.is_confirmed(bare)


def test_public_author_names_the_group_hides_the_personal_organisation_and_honours_anonymity(cast, assessment, bob):
    Profile.objects.filter(user=cast["editor"]).update(display_name="デイブ")
    Profile.objects.filter(user=bob).update(display_name="ボブ")
    group = Assessment.objects.select_related("owner__profile", "organisation").get(pk=cast["assessment"].pk)
    assert people.public_author(group) == "デイブ（美里の子どもを守る会）"
    personal = Assessment.objects.select_related("owner__profile", "organisation").get(pk=assessment.pk)
    assert people.public_author(personal) == "ボブ"  # not "bob の評価"
    Profile.objects.filter(user=bob).update(public_anonymous=True)
    personal = Assessment.objects.select_related("owner__profile", "organisation").get(pk=assessment.pk)
    assert people.public_author(personal) == "住民（匿名）"
    Assessment.objects.filter(pk=group.pk).update(owner=None)
    assert people.public_author(Assessment.objects.get(pk=group.pk)) == "美里の子どもを守る会"


def test_users_made_otherwise_than_by_sign_up_are_confirmed(alice, bob):
    assert people.is_confirmed(alice) and people.is_confirmed(bob)
    assert Profile.objects.get(user=alice).email_confirmed_at is not None


# --- Sign-up and confirmation ------------------------------------------------------------------------


def test_the_sign_in_page_links_to_sign_up_and_password_reset(client):
    page = client.get(reverse("login") + "?next=/projects/x/assess/").content.decode()
    assert reverse("password_reset") in page
    assert reverse("signup") + "?next=/projects/x/assess/" in page


def test_sign_up_signs_in_sends_a_link_that_confirms_once(client, misato, published_set):
    page = client.get(reverse("signup"))
    assert page.status_code == 200
    for label in ("表示名", "ユーザー名", "メールアドレス", "パスワード", "パスワード（確認）"):
        assert re.search(rf">\s*{re.escape(label)}<span", page.content.decode()), label
    response = client.post(reverse("signup"), signup_data())
    assert response.status_code == 302
    user = User.objects.get(username="hanako")
    assert user.email == "Hanako@example.jp" and user.check_password(NEW_PASSWORD)  # the domain in lower case
    assert user.profile.display_name == "美里の住民" and user.profile.email_confirmed_at is None
    assert client.get(reverse("account_settings")).status_code == 200  # signed in

    start = client.get(reverse("assessment_start", args=[misato.key]))
    assert start.status_code == 403
    assert "メールアドレスの確認が必要です" in start.content.decode() and "確認のメールを送り直す" in start.content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Hanako@example.jp"] and message.subject == "【dxpia】メールアドレスの確認"
    assert "美里の住民 様" in message.body and "hanako" not in message.body.split("http")[0]
    link = path_of(link_in(message))
    confirmed = client.get(link)
    assert confirmed.status_code == 302
    assert Profile.objects.get(user=user).email_confirmed_at is not None
    assert client.get(reverse("assessment_start", args=[misato.key])).status_code == 200
    again = client.get(link)
    assert again.status_code == 400 and "使用済み" in again.content.decode()


def test_an_expired_confirmation_link_is_refused(client, settings):
    client.post(reverse("signup"), signup_data())
    link = path_of(link_in(mail.outbox[0]))
    later = accounts.confirmation_tokens._now() + timezone.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    with mock.patch.object(accounts.EmailConfirmationTokenGenerator, "_now", return_value=later):
        assert client.get(link).status_code == 400
    assert Profile.objects.get(user__username="hanako").email_confirmed_at is None


@pytest.mark.parametrize("link", ["/accounts/confirm/xx/yy/", "/accounts/confirm/%00/%ff/", "/accounts/confirm/MQ/1-1/"])
def test_broken_confirmation_links_are_refused_without_an_error(client, bob, link):
    assert client.get(link).status_code == 400


def test_sign_up_refuses_a_taken_address_in_any_letters_and_keeps_the_input(client, bob):
    response = client.post(reverse("signup"), signup_data(email="BOB@example.org"))
    page = response.content.decode()
    assert response.status_code == 200 and "このメールアドレスは既に登録されています" in page
    assert 'value="美里の住民"' in page and 'value="hanako"' in page
    assert not User.objects.filter(username="hanako").exists() and mail.outbox == []


def test_sign_up_checks_the_password_with_djangos_validators(client):
    page = client.post(reverse("signup"), signup_data(password1="password", password2="password")).content.decode()
    assert "よく使われるパスワード" in page or "短すぎ" in page
    page = client.post(reverse("signup"), signup_data(password2="something else 99")).content.decode()
    assert "一致" in page
    assert not User.objects.filter(username="hanako").exists()


def test_sign_up_needs_a_display_name(client):
    page = client.post(reverse("signup"), signup_data(display_name="   ")).content.decode()
    assert "表示名を入力してください" in page or "このフィールドは必須です" in page
    assert not User.objects.exists()


def test_sign_up_returns_to_a_safe_next_only(client):
    response = client.post(reverse("signup"), signup_data(next="/projects/case-x/assess/"))
    assert response["Location"] == "/projects/case-x/assess/"
    client.logout()
    response = client.post(reverse("signup"), signup_data(username="taro", email="taro@example.jp",
                                                          next="https://evil.example/"))
    assert response["Location"] == reverse("account_settings")


@pytest.mark.usefixtures("one_rate_window")  # the window must not roll over mid-test
def test_sign_up_is_rate_limited_per_address(client):
    for number in range(ratelimit.SIGNUP_PER_EMAIL.limit):
        client.post(reverse("signup"), signup_data(username=f"x{number}", password2="mismatch 123 abc"))
    response = client.post(reverse("signup"), signup_data())
    assert response.status_code == 429
    assert "しばらく受け付けません" in response.content.decode()
    assert not User.objects.filter(username="hanako").exists()


@pytest.mark.usefixtures("one_rate_window")  # the window must not roll over mid-test
def test_sign_up_is_rate_limited_per_client_address(client):
    for number in range(ratelimit.SIGNUP_PER_IP.limit):
        client.post(reverse("signup"), signup_data(username=f"x{number}", email=f"x{number}@example.jp",
                                                   password2="mismatch 123 abc"))
    response = client.post(reverse("signup"), signup_data())
    assert response.status_code == 429
    # Another address is not held back.
    other = client.post(reverse("signup"), signup_data(), REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 302


@pytest.mark.usefixtures("one_rate_window")  # the window must not roll over mid-test
def test_resending_the_link_sends_a_new_one_and_is_rate_limited(client, misato):
    client.post(reverse("signup"), signup_data())
    start = reverse("assessment_start", args=[misato.key])
    response = client.post(reverse("email_resend"), {"next": start})
    assert response.status_code == 302 and response["Location"] == start
    assert len(mail.outbox) == 2 and link_in(mail.outbox[1]).startswith("http")
    for _attempt in range(ratelimit.RESEND_PER_EMAIL.limit - 1):
        client.post(reverse("email_resend"), {"next": start})
    refused = client.post(reverse("email_resend"), {"next": "https://evil.example/"})
    assert refused.status_code == 429 and "しばらく受け付けません" in refused.content.decode()
    assert len(mail.outbox) == 1 + ratelimit.RESEND_PER_EMAIL.limit
    assert "evil.example" not in refused.content.decode()


def test_resending_needs_a_post_and_a_sign_in(client, bob_client):
    assert bob_client.get(reverse("email_resend")).status_code == 405
    bob_client.logout()
    assert "/accounts/login/" in client.post(reverse("email_resend"))["Location"]


def test_a_confirmed_user_gets_no_mail_from_resending(bob_client):
    bob_client.post(reverse("email_resend"))
    assert mail.outbox == []


# --- The start page for people not signed in -------------------------------------------------------


def test_the_start_page_explains_accounts_to_anonymous_visitors(client, misato):
    start = reverse("assessment_start", args=[misato.key])
    assert start in client.get(reverse("project_detail", args=[misato.key])).content.decode()
    response = client.get(start)
    page = response.content.decode()
    assert response.status_code == 200 and "評価するにはアカウントが必要です" in page
    assert "ログインに使うユーザー名とメールアドレスは載りません" in page
    assert f'{reverse("signup")}?next={start}"' in page
    assert f'{reverse("login")}?next={start}"' in page
    # A post by someone not signed in starts nothing.
    assert client.post(start, {"title": "x"}).status_code == 200
    assert not Assessment.objects.exists()


def test_sign_in_from_the_start_page_returns_to_it(client, bob, misato):
    start = reverse("assessment_start", args=[misato.key])
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD, "next": start})
    assert response["Location"] == start


# --- Password reset ----------------------------------------------------------------------------------


def test_password_reset_by_mail_works_once(client, bob):
    assert client.get(reverse("password_reset")).status_code == 200
    response = client.post(reverse("password_reset"), {"email": "BOB@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "【dxpia】パスワードの再設定" and "新しいパスワードを設定してください" in message.body
    link = path_of(link_in(message))
    form = client.get(link, follow=True)
    assert "新しいパスワードの設定" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")
    bob.refresh_from_db()
    assert bob.check_password(NEW_PASSWORD)
    again = client.get(link, follow=True)
    assert "再設定のリンクが使えません" in again.content.decode()


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, bob):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("password_reset_done") and mail.outbox == []


@pytest.mark.usefixtures("one_rate_window")  # the window must not roll over mid-test
def test_password_reset_is_rate_limited_per_address(client, bob):
    for _attempt in range(ratelimit.RESET_PER_EMAIL.limit):
        client.post(reverse("password_reset"), {"email": "bob@example.org"})
    response = client.post(reverse("password_reset"), {"email": "Bob@Example.org"})
    assert response.status_code == 429 and "しばらく受け付けません" in response.content.decode()
    assert len(mail.outbox) == ratelimit.RESET_PER_EMAIL.limit


# --- Account settings --------------------------------------------------------------------------------


def test_account_settings_change_the_display_name_and_the_anonymous_choice(bob_client, bob):
    page = bob_client.get(reverse("account_settings")).content.decode()
    assert "アカウント設定" in page and "メールアドレスは確認済みです" in page
    response = bob_client.post(reverse("account_settings"), {
        "display_name": "ボブ", "public_anonymous": "on", "email": "bob@example.org"})
    assert response.status_code == 302
    profile = Profile.objects.get(user=bob)
    assert (profile.display_name, profile.public_anonymous, profile.email_confirmed_at is not None) == ("ボブ", True, True)
    assert mail.outbox == []
    assert "ボブ" in bob_client.get(reverse("home")).content.decode()


def test_changing_the_address_needs_confirming_again(bob_client, bob, charlie, misato):
    page = bob_client.post(reverse("account_settings"), {"display_name": "ボブ", "email": "CHARLIE@example.org"})
    assert "既に登録されています" in page.content.decode()
    bob_client.post(reverse("account_settings"), {"display_name": "ボブ", "email": "bob@new.example"})
    bob.refresh_from_db()
    assert bob.email == "bob@new.example" and not people.is_confirmed(bob)
    assert mail.outbox[0].to == ["bob@new.example"]
    assert bob_client.get(reverse("assessment_start", args=[misato.key])).status_code == 403
    bob_client.get(path_of(link_in(mail.outbox[0])))
    assert bob_client.get(reverse("assessment_start", args=[misato.key])).status_code == 200


# --- Deleting a draft --------------------------------------------------------------------------------


def test_the_author_deletes_their_draft_after_a_confirmation_page(bob_client, assessment):
    url = reverse("assessment_delete", args=[assessment.pk])
    assert reverse("assessment_delete", args=[assessment.pk]) in bob_client.get(
        reverse("assessment_summary", args=[assessment.pk])).content.decode()
    page = bob_client.get(url)
    assert page.status_code == 200 and "この評価を削除しますか" in page.content.decode()
    assert Assessment.objects.filter(pk=assessment.pk).exists()
    response = bob_client.post(url, read_form(page.content.decode(), form_id="delete-form"))
    assert response["Location"] == reverse("assessment_list")
    assert not Assessment.objects.filter(pk=assessment.pk).exists()


def test_a_draft_saved_after_the_confirmation_page_was_opened_is_not_deleted(client, cast):
    """The owner opens the confirmation page; the editor then saves an answer. Deleting from that
    page would throw away work the owner never saw: the page comes back saying so, and only a
    second press, on the page that now shows the draft as it is, deletes it."""
    from assessments.answer_saving import AnswerChange
    from tests.conftest import save_now

    assessment = cast["assessment"]
    url = reverse("assessment_delete", args=[assessment.pk])
    client.force_login(cast["owner"])
    form = read_form(client.get(url).content.decode(), form_id="delete-form")
    question = assessment.question_set.questions.filter(type="single").first()
    save_now(assessment, cast["editor"], {question: AnswerChange(note="編集者が保存した補足")})
    response = client.post(url, form)
    page = response.content.decode()
    assert response.status_code == 409 and "削除していません" in page
    assert Assessment.objects.filter(pk=assessment.pk).exists()
    assert client.post(url, {}).status_code == 409  # a post that does not say what it saw deletes nothing
    assert client.post(url, {"stamp": "²"}).status_code == 409  # nor one that says something else
    # A request recorded meanwhile moves no revision of the assessment, but would be deleted with it.
    from assessments.municipality_requests import request_create

    again = read_form(page, form_id="delete-form")
    request_create(assessment=assessment, user=cast["editor"], values={"kind": "letter", "title": "質問書（架空）"},
                   questions=[(None, "いつ説明しましたか。")], documents=[], today=timezone.localdate())
    assert client.post(url, again).status_code == 409
    assert client.post(url, read_form(client.get(url).content.decode(), form_id="delete-form")).status_code == 302
    assert not Assessment.objects.filter(pk=assessment.pk).exists()


@pytest.mark.parametrize("role, status", [("outsider", 404), ("viewer", 403), ("reviewer", 403), ("staff", 403)])
def test_others_cannot_delete_a_draft(client, cast, role, status):
    client.force_login(cast[role])
    assert client.post(reverse("assessment_delete", args=[cast["assessment"].pk])).status_code == status
    assert Assessment.objects.filter(pk=cast["assessment"].pk).exists()


def test_an_owner_of_the_organisation_deletes_a_members_draft(client, cast):
    client.force_login(cast["owner"])
    url = reverse("assessment_delete", args=[cast["assessment"].pk])
    assert client.post(url, read_form(client.get(url).content.decode(), form_id="delete-form")).status_code == 302
    assert not Assessment.objects.filter(pk=cast["assessment"].pk).exists()


def test_a_submitted_assessment_cannot_be_deleted(client, cast):
    move(cast, "editor", "submit")
    client.force_login(cast["editor"])
    assert client.post(reverse("assessment_delete", args=[cast["assessment"].pk])).status_code == 403
    assert "この評価を削除する" not in client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).content.decode()
    assert Assessment.objects.filter(pk=cast["assessment"].pk).exists()


# --- Deleting an account -----------------------------------------------------------------------------


def test_deleting_an_account_needs_the_password(bob_client, bob):
    page = bob_client.post(reverse("account_delete"), {"password": "wrong"}).content.decode()
    assert "パスワードが違います" in page
    assert User.objects.filter(pk=bob.pk).exists()


def test_deleting_an_account_keeps_what_others_rely_on(client, cast, assessment):
    """Bob owns the group and has a personal draft; dave wrote the group's assessment; rita reviews it."""
    bob, dave, rita = cast["owner"], cast["editor"], cast["reviewer"]
    Comment.objects.create(assessment=cast["assessment"], question=cast["assessment"].question_set.questions.first(),
                           author=rita, text="根拠は？")
    ready_for_approval(cast)
    move(cast, "reviewer", "approve")
    move(cast, "owner", "publish")
    personal_org = assessment.organisation
    # dave and rita leave; bob's personal draft goes with bob.
    for user in (dave, rita):
        client.force_login(user)
        assert client.post(reverse("account_delete"), {"password": PASSWORD})["Location"] == reverse("home")
        assert not User.objects.filter(pk=user.pk).exists()
    group_assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    assert group_assessment.owner is None and group_assessment.status == "published"
    seat = Reviewer.objects.get(pk=cast["seat"].pk)
    assert seat.user is None and seat.withdrawn_at is not None
    assert ReviewOpinion.objects.filter(reviewer=seat).exists()
    assert Comment.objects.get(text="根拠は？").author is None
    assert StatusChange.objects.filter(assessment=group_assessment, user=None).exists()

    client.force_login(bob)
    for name in ("assessment_summary", "assessment_review", "report_preview"):
        page = client.get(reverse(name, args=[group_assessment.pk]))
        assert page.status_code == 200, name
    review = client.get(reverse("assessment_review", args=[group_assessment.pk])).content.decode()
    assert "退会した利用者" in review
    public = client.get(reverse("public_assessment", args=[group_assessment.pk])).content.decode()
    assert "美里の子どもを守る会" in public and "dave" not in public

    # bob is the group's only owner while vera is still in it: he hands it over first.
    Membership.objects.filter(organisation=cast["group"], user=cast["viewer"]).update(role="owner")
    client.post(reverse("account_delete"), {"password": PASSWORD})
    assert not User.objects.filter(pk=bob.pk).exists()
    assert not Assessment.objects.filter(pk=assessment.pk).exists()  # bob's personal draft
    assert not Organisation.objects.filter(pk=personal_org.pk).exists()
    assert Organisation.objects.filter(pk=cast["group"].pk).exists()
    assert client.get(reverse("public_assessment", args=[group_assessment.pk])).status_code == 200


def test_the_last_owner_of_a_group_with_other_members_cannot_delete_the_account_until_handing_it_over(client, cast):
    bob, group = cast["owner"], cast["group"]
    client.force_login(bob)
    page = client.get(reverse("account_delete")).content.decode()
    assert "あなたが唯一の管理者です: 「美里の子どもを守る会」" in page  # said before the password is typed
    refused = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert refused.status_code == 200 and "あなたが唯一の管理者です: 「美里の子どもを守る会」" in refused.content.decode()
    assert User.objects.filter(pk=bob.pk).exists()
    assert Membership.objects.filter(organisation=group, user=bob, role="owner").exists()
    # Another owner: the group keeps someone who can invite, manage the review body and publish.
    Membership.objects.filter(organisation=group, user=cast["editor"]).update(role="owner")
    assert "唯一の管理者" not in client.get(reverse("account_delete")).content.decode()
    assert client.post(reverse("account_delete"), {"password": PASSWORD})["Location"] == reverse("home")
    assert not User.objects.filter(pk=bob.pk).exists()
    assert list(Membership.objects.filter(organisation=group, role="owner").values_list("user__username", flat=True)) == [
        cast["editor"].username]


def test_the_only_member_of_a_group_may_delete_the_account_and_its_open_invitations_go_too(client, bob, charlie):
    from assessments import groups
    from assessments.models import Invitation

    group = groups.organisation_create(user=bob, name="ひとりの会")
    sent = groups.invitation_create(organisation=group, inviter=bob, email="invited@example.jp", role="editor",
                                    link_for=lambda token: f"/invitations/{token}/")
    client.force_login(bob)
    assert "唯一の管理者" not in client.get(reverse("account_delete")).content.decode()
    assert client.post(reverse("account_delete"), {"password": PASSWORD})["Location"] == reverse("home")
    assert not Membership.objects.filter(organisation=group).exists()
    # Nobody is left to manage whoever would accept it: a group of one editor and no 管理者.
    assert Invitation.objects.get(pk=sent.invitation.pk).state() == Invitation.State.WITHDRAWN


def test_a_published_personal_assessment_stays_under_a_name_without_the_login(client, bob, assessment):
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED, published_at=timezone.now())
    client.force_login(bob)
    client.post(reverse("account_delete"), {"password": PASSWORD})
    kept = Assessment.objects.select_related("organisation").get(pk=assessment.pk)
    assert kept.owner is None and "bob" not in kept.organisation.name
    assert kept.organisation.personal_for is None
    page = client.get(reverse("public_assessment", args=[assessment.pk])).content.decode()
    assert "退会した利用者の評価" in page and "bob" not in page


def test_an_account_deleted_from_the_english_interface_leaves_a_japanese_name(client, bob, assessment):
    """The name is data, on the Japanese report's cover and in the open data: it was stored as
    "Assessments of a former user (N)" when the account was deleted from the English interface."""
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED, published_at=timezone.now())
    client.force_login(bob)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(reverse("account_delete"), {"password": PASSWORD})
    name = Assessment.objects.select_related("organisation").get(pk=assessment.pk).organisation.name
    assert name.startswith("退会した利用者の評価（"), name


# --- Display names on pages --------------------------------------------------------------------------


def test_pages_show_display_names_never_logins(client, cast):
    Profile.objects.filter(user=cast["reviewer"]).update(display_name="りたさん")
    Profile.objects.filter(user=cast["editor"]).update(display_name="でいぶ")
    Comment.objects.create(assessment=cast["assessment"], question=cast["assessment"].question_set.questions.first(),
                           author=cast["reviewer"], text="根拠は？")
    client.force_login(cast["owner"])
    review = client.get(reverse("assessment_review", args=[cast["assessment"].pk])).content.decode()
    assert "りたさん" in review
    ready_for_approval(cast)
    move(cast, "reviewer", "approve")
    move(cast, "owner", "publish")
    client.logout()
    for url in (reverse("public_list"), reverse("public_assessment", args=[cast["assessment"].pk])):
        page = client.get(url).content.decode()
        assert "でいぶ（美里の子どもを守る会）" in page
        assert ">dave<" not in page and "dave" not in page.split("<main")[1]
    Profile.objects.filter(user=cast["editor"]).update(public_anonymous=True)
    page = client.get(reverse("public_assessment", args=[cast["assessment"].pk])).content.decode()
    assert "住民（匿名）（美里の子どもを守る会）" in page and "でいぶ" not in page


def test_the_assessment_list_and_the_public_list_use_constant_queries(client, cast, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.answer_saving import assessment_create

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(cast["owner"])
    before = (count(reverse("assessment_list")), count(reverse("public_list")))
    for number in range(4):
        user = User.objects.create_user(f"member{number}", f"m{number}@example.jp", PASSWORD)
        from assessments.models import Membership

        Membership.objects.create(organisation=cast["group"], user=user, role="editor")
        made = assessment_create(user=user, project=cast["assessment"].project, question_set=cast["assessment"].question_set,
                                 title=f"評価{number}", standpoint="resident", organisation=cast["group"])
        Assessment.objects.filter(pk=made.pk).update(status="published", published_at=timezone.now())
    after = (count(reverse("assessment_list")), count(reverse("public_list")))
    assert after == before


def test_a_user_made_in_the_admin_is_confirmed_and_named_there(admin_client):
    response = admin_client.post(reverse("admin:auth_user_add"), {
        "username": "clerk", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk = User.objects.get(username="clerk")
    assert people.is_confirmed(clerk)
    page = admin_client.get(reverse("admin:auth_user_change", args=[clerk.pk]))
    assert page.status_code == 200 and "表示名" in page.content.decode()
    listing = admin_client.get(reverse("admin:auth_user_changelist"))
    assert listing.status_code == 200 and "名前未設定の利用者" in listing.content.decode()


def test_the_migration_gives_existing_users_confirmed_profiles_named_by_their_full_names(db):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("assessments.migrations.0020_accounts")
    old = User.objects.create_user("old", "old@example.jp", PASSWORD, first_name="花子", last_name="山田")
    plain = User.objects.create_user("plain", "plain@example.jp", PASSWORD)
    Profile.objects.filter(user__in=[old, plain]).delete()
    migration.profiles_for_existing_users(apps, None)
    profiles = {p.user.username: p for p in Profile.objects.select_related("user")}
    assert profiles["old"].display_name == "山田 花子" and profiles["old"].email_confirmed_at is not None
    assert profiles["plain"].display_name == "" and profiles["plain"].email_confirmed_at is not None


@pytest.mark.parametrize("value", ["\x00", "a" * 5000, "<script>alert(1)</script>", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")])
def test_hostile_input_to_the_account_forms_gives_a_message_not_an_error(client, bob, value):
    page = client.post(reverse("signup"), signup_data(display_name=value, username=value, email=value, password1=value,
                                                      password2=value))
    assert page.status_code == 200 and "<script>alert(1)</script>" not in page.content.decode()
    assert not User.objects.exclude(pk=bob.pk).exists()
    client.force_login(bob)
    page = client.post(reverse("account_settings"), {"display_name": value, "email": value})
    assert page.status_code == 200 and "<script>alert(1)</script>" not in page.content.decode()
    assert client.post(reverse("account_delete"), {"password": value}).status_code == 200
    assert client.post(reverse("password_reset"), {"email": value}).status_code == 200
    assert User.objects.filter(pk=bob.pk).exists()


def test_an_unconfirmed_user_cannot_start_by_posting_either(client, misato, published_set):
    client.post(reverse("signup"), signup_data())
    response = client.post(reverse("assessment_start", args=[misato.key]),
                           {"question_set": published_set.pk, "title": "x", "standpoint": "resident"})
    assert response.status_code == 403 and not Assessment.objects.exists()


def test_pages_naming_people_use_constant_queries_however_many_people(client, cast):
    """Comments, the review page's history and reviewers: each person's profile comes with them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.models import Membership

    assessment = cast["assessment"]
    question = assessment.question_set.questions.get(key="a-public-comment")

    def count():
        client.force_login(cast["owner"])
        numbers = []
        for url in (reverse("assessment_section", args=[assessment.pk, "a"]), reverse("assessment_review", args=[assessment.pk])):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            numbers.append(len(queries))
        return numbers

    def add_people(start):
        for number in range(start, start + 3):
            user = User.objects.create_user(f"p{number}", f"p{number}@example.jp", PASSWORD)
            Membership.objects.create(organisation=cast["group"], user=user, role="viewer")
            first = Comment.objects.create(assessment=assessment, question=question, author=user, text=f"質問{number}")
            Comment.objects.create(assessment=assessment, question=question, author=user, text="返信", parent=first)
            outsider = User.objects.create_user(f"r{number}", f"r{number}@example.jp", PASSWORD)
            Reviewer.objects.create(assessment=assessment, user=outsider, kind="expert")

    add_people(0)
    count()  # warms the per-process caches (a published set's structure is read once per process)
    before = count()
    add_people(10)
    assert count() == before


def test_the_report_names_the_author_by_the_public_name(client, cast):
    Profile.objects.filter(user=cast["editor"]).update(display_name="でいぶ")
    client.force_login(cast["owner"])
    page = client.get(reverse("report_preview", args=[cast["assessment"].pk])).content.decode()
    assert '<meta name="author" content="でいぶ（美里の子どもを守る会）">' in page
    assert "でいぶ（美里の子どもを守る会）</dd>" in page
    Profile.objects.filter(user=cast["editor"]).update(public_anonymous=True)
    page = client.get(reverse("report_preview", args=[cast["assessment"].pk])).content.decode()
    assert '<meta name="author" content="住民（匿名）（美里の子どもを守る会）">' in page and "でいぶ（" not in page


def test_a_link_opened_while_someone_else_is_signed_in_confirms_its_own_user(client, bob):
    client.post(reverse("signup"), signup_data())
    link = path_of(link_in(mail.outbox[0]))
    client.force_login(bob)
    assert client.get(link)["Location"] == reverse("home")
    assert people.is_confirmed(User.objects.get(username="hanako"))


def test_a_sign_up_that_meets_another_with_the_same_address_is_refused(client, bob):
    """Both forms passed their check; the service checks again inside its transaction."""
    with mock.patch.object(accounts, "email_taken", side_effect=[False, True]):
        response = client.post(reverse("signup"), signup_data(email="bob@example.org"))
    assert response.status_code == 200 and "既に登録されています" in response.content.decode()
    assert not User.objects.filter(username="hanako").exists()
