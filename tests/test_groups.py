"""Groups (団体) that manage themselves: pages, invitations by e-mail, roles, leaving (issue 16)."""

import datetime
import re
from urllib.parse import quote_from_bytes

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import groups
from assessments.answer_saving import assessment_create
from assessments.models import Invitation, Membership, Organisation, Profile
from tests.conftest import PASSWORD, named

# --- Pure rules (no database) -----------------------------------------------------------------------


def test_token_hash_is_sha256_and_tokens_are_random_and_plausible():
    token = groups.new_token()
    assert groups.plausible_token(token)
    assert groups.new_token() != token
    assert re.fullmatch(r"[0-9a-f]{64}", groups.token_hash(token))
    assert groups.token_hash(token) != token
    for bad in ("", "x", "a" * 101, "abc/../def" * 3, "トークン" * 10, None, "\ud800" * 30):
        assert not groups.plausible_token(bad)


def test_owners_after():
    roles = {1: "owner", 2: "editor", 3: "owner"}
    assert groups.owners_after(roles, user_id=1, new_role="viewer") == 1
    assert groups.owners_after(roles, user_id=1, new_role=None) == 1
    assert groups.owners_after({1: "owner", 2: "editor"}, user_id=1, new_role=None) == 0
    assert groups.owners_after({1: "owner", 2: "editor"}, user_id=2, new_role="owner") == 2


def test_send_window():
    assert groups.send_window(0) == (0, 3601)
    number, wait = groups.send_window(3600 * 5 + 600)
    assert number == 5 and wait == 3001


# --- Helpers ----------------------------------------------------------------------------------------

def page_of(cast):
    return reverse("organisation_detail", args=[cast["group"].pk])


def as_(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def invite(client, cast, email="erin@example.org", role="editor"):
    as_(client, cast["owner"])
    return client.post(reverse("invitation_create", args=[cast["group"].pk]), {"email": email, "role": role})


def link_in(message) -> str:
    found = re.search(r"http://testserver(/invitations/[A-Za-z0-9_-]+/)", message.body)
    assert found, message.body
    return found.group(1)


def new_user(username, email=None):
    return named(get_user_model().objects.create_user(username, email or f"{username}@example.org", PASSWORD))


def membership(cast, role):
    return Membership.objects.get(organisation=cast["group"], user=cast[role])


# --- The organisation page: who sees what -----------------------------------------------------------

ROLES = ("anonymous", "outsider", "viewer", "editor", "owner", "staff")
PAGE = {"anonymous": 302, "outsider": 404, "viewer": 200, "editor": 200, "owner": 200, "staff": 200}
MANAGE = {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 403, "owner": 302, "staff": 403}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_organisation_page_access_matrix(client, cast, role):
    as_(client, None if role == "anonymous" else cast[role])
    response = client.get(page_of(cast))
    assert response.status_code == PAGE[role]
    if response.status_code == 200:
        page = response.content.decode()
        assert "美里の子どもを守る会" in page and "守る会の評価" in page
        for name in ("bob", "dave", "vera"):
            assert name in page
        assert ("invite-form" in page) == (role == "owner")
        assert ("役割を変える" in page) == (role == "owner")
        assert ("staff-view-notice" in page) == (role == "staff")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["invite", "role", "remove", "resend", "withdraw"])
def test_only_owners_manage(client, cast, role, action):
    pending = Invitation.objects.create(organisation=cast["group"], email="x@example.org", role="viewer",
                                        token_hash="0" * 64, invited_by=cast["owner"])
    as_(client, None if role == "anonymous" else cast[role])
    group = cast["group"].pk
    viewer = membership(cast, "viewer")
    url, data = {
        "invite": (reverse("invitation_create", args=[group]), {"email": "erin@example.org", "role": "editor"}),
        "role": (reverse("membership_role", args=[group]), {"membership": viewer.pk, "version": 0, "role": "owner"}),
        "remove": (reverse("membership_remove", args=[group, viewer.pk]), {"version": 0}),
        "resend": (reverse("invitation_resend", args=[group, pending.pk]), {}),
        "withdraw": (reverse("invitation_withdraw", args=[group, pending.pk]), {}),
    }[action]
    response = client.post(url, data)
    assert response.status_code == MANAGE[role]
    viewer_now = Membership.objects.filter(pk=viewer.pk).first()
    pending.refresh_from_db()
    if role == "owner":
        assert {
            "invite": lambda: Invitation.objects.filter(email="erin@example.org").exists(),
            "role": lambda: viewer_now.role == "owner",
            "remove": lambda: viewer_now is None,
            "resend": lambda: pending.send_count == 2,
            "withdraw": lambda: pending.withdrawn_at is not None,
        }[action]()
    else:
        assert viewer_now is not None and viewer_now.role == "viewer"
        assert pending.send_count == 1 and pending.withdrawn_at is None
        assert not Invitation.objects.filter(email="erin@example.org").exists()
        assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_the_remove_confirmation_page_is_for_owners(client, cast):
    viewer = membership(cast, "viewer")
    url = reverse("membership_remove", args=[cast["group"].pk, viewer.pk])
    for role, status in (("outsider", 404), ("editor", 403), ("staff", 403), ("owner", 200)):
        assert as_(client, cast[role]).get(url).status_code == status
    page = client.get(url).content.decode()
    assert "vera さんを団体から外しますか" in page
    assert Membership.objects.filter(pk=viewer.pk).exists()  # the GET removes nothing


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/organisations/999999/", "/organisations/99999999999999999999999/",
                                 "/organisations/1/members/99999/remove/"])
def test_unknown_organisations_are_404(client, cast, url):
    as_(client, cast["owner"])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_my_organisations_lists_mine_only(client, cast, charlie):
    other = Organisation.objects.create(name="別の会")
    Membership.objects.create(organisation=other, user=charlie, role="owner")
    page = as_(client, cast["viewer"]).get(reverse("organisation_list")).content.decode()
    assert "美里の子どもを守る会" in page and "別の会" not in page
    assert "閲覧者" in page
    assert reverse("organisation_list") in as_(client, cast["viewer"]).get(reverse("assessment_list")).content.decode()


@pytest.mark.django_db
def test_the_assessment_list_links_the_organisation_for_members_only(client, cast):
    link = f'href="{page_of(cast)}"'
    assert link in as_(client, cast["viewer"]).get(reverse("assessment_list")).content.decode()
    page = as_(client, cast["reviewer"]).get(reverse("assessment_list")).content.decode()
    assert "守る会の評価" in page and link not in page


@pytest.mark.django_db
def test_creating_a_group_makes_the_creator_its_owner(client, charlie):
    client.force_login(charlie)
    response = client.post(reverse("organisation_create"), {"name": "  川口の  情報公開を考える会 ", "description": "説明"})
    organisation = Organisation.objects.get(name="川口の 情報公開を考える会")
    assert response.status_code == 302 and response["Location"] == reverse("organisation_detail", args=[organisation.pk])
    assert Membership.objects.get(organisation=organisation).role == "owner"
    assert organisation.personal_for is None
    # The same name again: refused next to the field, the input kept.
    again = client.post(reverse("organisation_create"), {"name": "川口の 情報公開を考える会", "description": "二つ目"})
    assert again.status_code == 200
    page = again.content.decode()
    assert "この名称の団体はすでにあります" in page and "二つ目" in page
    assert Organisation.objects.filter(name="川口の 情報公開を考える会").count() == 1
    blank = client.post(reverse("organisation_create"), {"name": " \x00 "})
    assert "団体の名称を入力してください" in blank.content.decode()


@pytest.mark.django_db
def test_the_organisation_page_makes_a_constant_number_of_queries(client, cast, misato, published_set,
                                                                  django_assert_max_num_queries):
    as_(client, cast["owner"])
    client.get(page_of(cast))  # warm the session and the caches

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(page_of(cast))
        assert response.status_code == 200
        return len(queries)

    few = count()
    for number in range(15):
        user = new_user(f"member{number}")
        Membership.objects.create(organisation=cast["group"], user=user, role=("viewer", "editor", "owner")[number % 3])
        Invitation.objects.create(organisation=cast["group"], email=f"p{number}@example.org", role="viewer",
                                  token_hash=f"{number:064d}", invited_by=cast["owner"])
        assessment_create(user=cast["owner"], project=misato, question_set=published_set, title=f"評価{number}",
                          standpoint="resident", organisation=cast["group"])
    with django_assert_max_num_queries(few):
        response = client.get(page_of(cast))
    page = response.content.decode()
    assert "member14" in page and "評価14" in page and "p14@example.org" in page
    as_(client, cast["owner"])
    client.get(reverse("organisation_list"))
    with django_assert_max_num_queries(4):
        assert client.get(reverse("organisation_list")).status_code == 200


# --- Invitations ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invitation_is_mailed_in_japanese_and_only_its_hash_is_stored(client, cast):
    Profile.objects.filter(user=cast["owner"]).update(display_name="埼玉 太郎")
    response = invite(client, cast, email=" Erin@Example.org ", role="editor")
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "erin@example.org" and invitation.role == "editor"
    assert invitation.invited_by == cast["owner"]
    [message] = mail.outbox
    assert message.to == ["erin@example.org"]
    assert message.subject == "【dxpia】団体「美里の子どもを守る会」への招待"
    assert "埼玉 太郎さんから" in message.body and "編集者として招待されました" in message.body
    assert "bob" not in message.body  # never the sign-in name
    path = link_in(message)
    token = path.split("/")[2]
    assert invitation.token_hash == groups.token_hash(token) and token not in invitation.token_hash
    page = client.get(page_of(cast)).content.decode()
    assert "erin@example.org" in page and "承諾を待っている招待" in page


@pytest.mark.django_db
def test_the_anonymous_visitor_sees_what_the_invitation_is_and_where_to_sign_in(client, cast):
    Profile.objects.filter(user=cast["owner"]).update(display_name="守る会の代表")
    invite(client, cast, role="viewer")
    path = link_in(mail.outbox[0])
    client.logout()
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "美里の子どもを守る会" in page and "閲覧者" in page
    assert "守る会の代表" in page and ">bob<" not in page  # the display name, never the sign-in name
    assert f'/accounts/login/?next={path.replace("/", "%2F")}' in page
    assert f'/accounts/signup/?next={path.replace("/", "%2F")}' in page
    # A POST without signing in changes nothing and goes to the sign-in page.
    post = client.post(path)
    assert post.status_code == 302 and post["Location"].startswith("/accounts/login/?next=")
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.django_db
def test_signing_in_from_the_invitation_returns_to_it(client, cast):
    invite(client, cast)
    path = link_in(mail.outbox[0])
    client.logout()
    erin = new_user("erin")
    response = client.post(f"/accounts/login/?next={path}", {"username": "erin", "password": PASSWORD, "next": path})
    assert response.status_code == 302 and response["Location"] == path
    assert erin.pk


@pytest.mark.django_db
def test_accepting_makes_a_member_with_the_invited_role_once(client, cast):
    invite(client, cast, role="editor")
    path = link_in(mail.outbox[0])
    erin = new_user("erin")
    as_(client, erin)
    page = client.get(path).content.decode()
    assert "招待を承諾して参加する" in page and "invitation-other-address" not in page
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == page_of(cast)
    assert Membership.objects.get(organisation=cast["group"], user=erin).role == "editor"
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == erin and invitation.accepted_at is not None
    # Editing the group's assessment is now allowed.
    assert client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).status_code == 200
    # The link is used: anyone opening it again is told so, and nothing changes.
    other = new_user("frank")
    as_(client, other)
    again = client.get(path)
    assert again.status_code == 410 and "すでに使われています" in again.content.decode()
    assert client.post(path).status_code == 410
    assert not Membership.objects.filter(organisation=cast["group"], user=other).exists()


@pytest.mark.django_db
def test_two_accepts_of_one_link_make_one_membership(cast):
    """The race: both requests loaded the invitation while it was open; only the first accept uses it."""
    invitation = Invitation.objects.create(organisation=cast["group"], email="erin@example.org", role="viewer",
                                           token_hash=groups.token_hash("t" * 43), invited_by=cast["owner"])
    erin, frank = new_user("erin"), new_user("frank")
    seen_by_second = Invitation.objects.get(pk=invitation.pk)  # loaded before the first accept
    assert groups.invitation_accept(invitation=invitation, user=erin).joined
    with pytest.raises(ValidationError, match="すでに使われています"):
        groups.invitation_accept(invitation=seen_by_second, user=frank)
    with pytest.raises(ValidationError):
        groups.invitation_accept(invitation=seen_by_second, user=new_user("gina"))
    assert Membership.objects.filter(organisation=cast["group"]).exclude(
        user__in=[cast["owner"], cast["editor"], cast["viewer"]]).count() == 1


@pytest.mark.django_db
def test_a_member_already_keeps_their_membership_and_is_told(client, cast):
    invite(client, cast, email="someone@example.org", role="owner")
    path = link_in(mail.outbox[0])
    as_(client, cast["viewer"])
    assert "すでにこの団体の構成員です" in client.get(path).content.decode()
    response = client.post(path, follow=True)
    assert "すでに団体「美里の子どもを守る会」の構成員です（閲覧者）" in response.content.decode()
    assert membership(cast, "viewer").role == "viewer"
    assert Invitation.objects.get().accepted_at is None  # still open for the person it was meant for


@pytest.mark.django_db
def test_a_user_with_another_address_is_warned_before_accepting(client, cast):
    invite(client, cast, email="erin@example.org")
    path = link_in(mail.outbox[0])
    as_(client, new_user("frank", "frank@example.org"))
    page = client.get(path).content.decode()
    assert "invitation-other-address" in page and "erin@example.org あてに送られました" in page
    as_(client, new_user("erin2", "ERIN@example.org"))
    assert "invitation-other-address" not in client.get(path).content.decode()


@pytest.mark.django_db
def test_an_invitation_expires_after_seven_days(client, cast):
    invite(client, cast)
    path = link_in(mail.outbox[0])
    erin = new_user("erin")
    as_(client, erin)
    Invitation.objects.update(sent_at=timezone.now() - datetime.timedelta(days=7, seconds=1))
    response = client.get(path)
    assert response.status_code == 410 and "有効期限（送信から7日）が切れています" in response.content.decode()
    assert client.post(path).status_code == 410
    assert not Membership.objects.filter(user=erin).exists()
    as_(client, cast["owner"])
    assert "期限切れ" in client.get(page_of(cast)).content.decode()
    # Six days and 23 hours is still in time.
    Invitation.objects.update(sent_at=timezone.now() - datetime.timedelta(days=6, hours=23))
    as_(client, erin)
    assert client.post(path).status_code == 302
    assert Membership.objects.filter(user=erin, role="editor").exists()


@pytest.mark.django_db
def test_the_expiry_rule_at_a_fixed_moment():
    sent = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc)
    invitation = Invitation(sent_at=sent)
    assert invitation.state(sent + datetime.timedelta(days=7) - datetime.timedelta(seconds=1)) == "pending"
    assert invitation.state(sent + datetime.timedelta(days=7)) == "expired"
    invitation.withdrawn_at = sent
    assert invitation.state(sent) == "withdrawn"


@pytest.mark.django_db
def test_a_withdrawn_invitation_cannot_be_used(client, cast):
    invite(client, cast)
    path = link_in(mail.outbox[0])
    invitation = Invitation.objects.get()
    response = client.post(reverse("invitation_withdraw", args=[cast["group"].pk, invitation.pk]), follow=True)
    assert "erin@example.org への招待を取り消しました" in response.content.decode()
    assert "承諾を待っている招待" not in response.content.decode()
    again = client.post(reverse("invitation_withdraw", args=[cast["group"].pk, invitation.pk]), follow=True)
    assert "すでに承諾されたか取り消されています" in again.content.decode()
    erin = new_user("erin")
    as_(client, erin)
    refused = client.post(path)
    assert refused.status_code == 410 and "この招待は取り消されました" in refused.content.decode()
    assert not Membership.objects.filter(user=erin).exists()
    # The address may be invited again afterwards.
    assert invite(client, cast).status_code == 302
    assert Invitation.objects.count() == 2


@pytest.mark.django_db
def test_resending_makes_a_new_link_and_the_old_one_stops_working(client, cast):
    invite(client, cast)
    old_path = link_in(mail.outbox[0])
    invitation = Invitation.objects.get()
    Invitation.objects.update(sent_at=timezone.now() - datetime.timedelta(days=8))  # expired: resend renews
    response = client.post(reverse("invitation_resend", args=[cast["group"].pk, invitation.pk]), follow=True)
    assert "再送しました" in response.content.decode()
    new_path = link_in(mail.outbox[1])
    assert new_path != old_path
    erin = new_user("erin")
    as_(client, erin)
    gone = client.get(old_path)
    assert gone.status_code == 404 and "この招待のリンクは使えません" in gone.content.decode()
    assert client.post(new_path).status_code == 302
    assert Membership.objects.filter(user=erin, organisation=cast["group"]).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("one_rate_window")  # the window must not roll over mid-test
def test_sending_is_limited_per_organisation(client, cast):
    for number in range(groups.SENDS_PER_WINDOW):
        assert invite(client, cast, email=f"p{number}@example.org").status_code == 302
    refused = invite(client, cast, email="one-more@example.org")
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "招待メールが多すぎます（1時間に10通まで）" in page and "one-more@example.org" in page  # input kept
    invitation = Invitation.objects.first()
    resend = client.post(reverse("invitation_resend", args=[cast["group"].pk, invitation.pk]), follow=True)
    assert "招待メールが多すぎます" in resend.content.decode()
    assert len(mail.outbox) == groups.SENDS_PER_WINDOW
    assert not Invitation.objects.filter(email="one-more@example.org").exists()
    # Another organisation has its own count.
    other = Organisation.objects.create(name="別の会")
    Membership.objects.create(organisation=other, user=cast["owner"], role="owner")
    assert client.post(reverse("invitation_create", args=[other.pk]), {"email": "x@example.org", "role": "viewer"}).status_code == 302


@pytest.mark.django_db
def test_bad_invitation_input_is_refused_next_to_the_field(client, cast):
    response = invite(client, cast, email="not an address", role="editor")
    assert response.status_code == 400
    page = response.content.decode()
    assert "メールアドレスの形で入力してください" in page and 'value="not an address"' in page
    assert invite(client, cast, email="dave@example.org").status_code == 400  # dave is a member
    invite(client, cast, email="erin@example.org")
    twice = invite(client, cast, email="ERIN@example.org")
    assert twice.status_code == 400 and "すでに招待を送っています" in twice.content.decode()
    assert invite(client, cast, email="z@example.org", role="king").status_code == 400
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_mail_server_failure_keeps_the_invitation_and_says_so(client, cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = invite(client, cast)
    assert response.status_code == 302
    assert "メールを送れませんでした" in client.get(response["Location"]).content.decode()
    assert Invitation.objects.filter(email="erin@example.org").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["x", "a" * 43, "a" * 300, "%00" * 30, "..%2F..%2Fetc"])
def test_unknown_or_malformed_links_are_a_clear_404(client, cast, token):
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 404
    assert client.post(f"/invitations/{token}/").status_code == 404


@pytest.mark.django_db
def test_personal_organisations_cannot_invite(client, bob, misato, published_set):
    mine = assessment_create(user=bob, project=misato, question_set=published_set, title="自分", standpoint="resident")
    personal = mine.organisation
    client.force_login(bob)
    page = client.get(reverse("organisation_detail", args=[personal.pk])).content.decode()
    assert "personal-no-invite" in page and "新しい団体を作って" in page and "invite-form" not in page
    response = client.post(reverse("invitation_create", args=[personal.pk]), {"email": "erin@example.org", "role": "viewer"})
    assert response.status_code == 400
    assert not Invitation.objects.exists() and not mail.outbox


# --- Roles, removal, leaving ------------------------------------------------------------------------


def change_role(client, cast, member_role, new_role, version=None):
    target = membership(cast, member_role)
    return client.post(reverse("membership_role", args=[cast["group"].pk]), {
        "membership": target.pk, "version": target.version if version is None else version, "role": new_role,
    }, follow=True)


@pytest.mark.django_db
def test_an_owner_changes_roles_and_rights_follow(client, cast):
    as_(client, cast["owner"])
    response = change_role(client, cast, "viewer", "editor")
    assert "vera さんの役割を「編集者」にしました" in response.content.decode()
    assert membership(cast, "viewer").role == "editor" and membership(cast, "viewer").version == 1
    from assessments.access import EDIT, rights_of
    assert EDIT in rights_of(cast["viewer"], cast["assessment"])
    change_role(client, cast, "editor", "viewer")
    assert EDIT not in rights_of(cast["editor"], cast["assessment"])


@pytest.mark.django_db
def test_a_stale_form_is_refused_not_overwritten(client, cast):
    as_(client, cast["owner"])
    shown = membership(cast, "viewer").version
    change_role(client, cast, "viewer", "editor", version=shown)  # another owner, meanwhile
    response = change_role(client, cast, "viewer", "owner", version=shown)
    assert "ページを表示した後に変更されています" in response.content.decode()
    assert membership(cast, "viewer").role == "editor"
    target = membership(cast, "viewer")
    removed = client.post(reverse("membership_remove", args=[cast["group"].pk, target.pk]), {"version": shown}, follow=True)
    assert "ページを表示した後に変更されています" in removed.content.decode()
    assert Membership.objects.filter(pk=target.pk).exists()
    gone = client.post(reverse("membership_remove", args=[cast["group"].pk, target.pk]), {"version": target.version}, follow=True)
    assert "vera さんを団体から外しました" in gone.content.decode()
    again = change_role(client, cast, "editor", "viewer")
    assert again.status_code == 200
    late = client.post(reverse("membership_role", args=[cast["group"].pk]),
                       {"membership": target.pk, "version": target.version, "role": "viewer"}, follow=True)
    assert "すでに団体から外れています" in late.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"membership": "x", "version": "0", "role": "viewer"},
                                  {"membership": "1", "version": "-1", "role": "viewer"},
                                  {"membership": "9" * 40, "version": "0", "role": "viewer"},
                                  {"membership": "1", "version": "0", "role": "king"}])
def test_malformed_role_changes_get_a_message(client, cast, data):
    as_(client, cast["owner"])
    response = client.post(reverse("membership_role", args=[cast["group"].pk]), data, follow=True)
    assert response.status_code == 200
    assert "役割を選んでください" in response.content.decode()


@pytest.mark.django_db
def test_the_last_owner_can_be_neither_demoted_nor_removed_nor_leave(client, cast):
    as_(client, cast["owner"])
    response = change_role(client, cast, "owner", "editor")
    assert "管理者が少なくとも1人必要です" in response.content.decode()
    owner = membership(cast, "owner")
    removed = client.post(reverse("membership_remove", args=[cast["group"].pk, owner.pk]), {"version": owner.version}, follow=True)
    assert "管理者が少なくとも1人必要です" in removed.content.decode()
    left = client.post(reverse("organisation_leave", args=[cast["group"].pk]), follow=True)
    assert "管理者が少なくとも1人必要です" in left.content.decode()
    assert membership(cast, "owner").role == "owner"
    # With a second owner, the first may step down and then leave.
    change_role(client, cast, "editor", "owner")
    change_role(client, cast, "owner", "viewer")
    assert membership(cast, "owner").role == "viewer"
    left = client.post(reverse("organisation_leave", args=[cast["group"].pk]), follow=True)
    assert "から抜けました" in left.content.decode()
    assert not Membership.objects.filter(organisation=cast["group"], user=cast["owner"]).exists()
    assert client.get(page_of(cast)).status_code == 404


@pytest.mark.django_db
def test_a_member_leaves_after_confirming(client, cast):
    as_(client, cast["viewer"])
    confirm = client.get(reverse("organisation_leave", args=[cast["group"].pk]))
    assert confirm.status_code == 200 and "から抜けますか" in confirm.content.decode()
    assert Membership.objects.filter(organisation=cast["group"], user=cast["viewer"]).exists()
    response = client.post(reverse("organisation_leave", args=[cast["group"].pk]))
    assert response.status_code == 302 and response["Location"] == reverse("organisation_list")
    assert not Membership.objects.filter(organisation=cast["group"], user=cast["viewer"]).exists()
    assert client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).status_code == 404
    # Staff and outsiders are no members: nothing to leave.
    assert as_(client, cast["staff"]).post(reverse("organisation_leave", args=[cast["group"].pk])).status_code == 403
    assert as_(client, cast["outsider"]).post(reverse("organisation_leave", args=[cast["group"].pk])).status_code == 404


@pytest.mark.django_db
def test_organisation_pages_need_csrf(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["owner"])
    viewer = membership(cast, "viewer")
    response = client.post(reverse("membership_role", args=[cast["group"].pk]),
                           {"membership": viewer.pk, "version": 0, "role": "owner"})
    assert response.status_code == 403
    assert membership(cast, "viewer").role == "viewer"


# --- Hostile input ----------------------------------------------------------------------------------

def form_body(data: dict) -> bytes:
    """A form body as a browser would send it, lone surrogates as the bytes they would be."""
    return "&".join(f"{key}={quote_from_bytes(value.encode('utf-8', 'surrogatepass'))}" for key, value in data.items()).encode()


HOSTILE = {
    "script": "<script>alert(1)</script>",
    "attribute-break": '"><img src=x onerror=alert(1)>',
    "controls": "a\x00b\x1bc\x7f",
    "surrogates": "x\ud800y\uffffz",
    "newlines": "会\r\nSubject: injected\nBcc: evil@example.org",
    "formula": '=HYPERLINK("http://evil.example/","x")',
    "too-long": "長" * 201,
}


@pytest.mark.django_db
@pytest.mark.parametrize("pid", HOSTILE)
def test_hostile_group_names_are_refused_or_stored_inert_and_shown_escaped(client, cast, pid):
    from tests.test_hostile_matrix import bad_characters, markup_problems

    payload = HOSTILE[pid]
    client.force_login(cast["outsider"])
    response = client.post(reverse("organisation_create"), form_body({"name": payload, "description": payload}),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302)
    created = Organisation.objects.filter(memberships__user=cast["outsider"]).first()
    if pid == "too-long":
        assert created is None and "200 文字以下でなければなりません" in response.content.decode()
        assert "長" * 201 in response.content.decode()  # the input kept
        return
    assert created is not None, response.content.decode()
    assert not bad_characters(created.name) and not bad_characters(created.description)
    assert "\n" not in created.name
    page = client.get(reverse("organisation_detail", args=[created.pk])).content.decode()
    problems, _links = markup_problems(page)
    assert not problems, problems
    # Its invitation e-mail has one subject line and the name as typed, unescaped, in the body.
    sent = client.post(reverse("invitation_create", args=[created.pk]), {"email": "erin@example.org", "role": "viewer"})
    assert sent.status_code == 302
    [message] = mail.outbox
    assert "\n" not in message.subject and message.message()["Bcc"] is None
    assert message.to == ["erin@example.org"] and not message.bcc
    assert created.name in message.body and "&lt;" not in message.body
    link = link_in(message)
    client.logout()
    invitation_page = client.get(link).content.decode()
    assert not markup_problems(invitation_page)[0]


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["a@b", "<script>@x.org", "x@example.org\nBcc: y@example.org", "\x00@example.org",
                                   "a" * 250 + "@example.org", ["x@example.org", "y@example.org"]])
def test_hostile_addresses_are_refused_with_a_message(client, cast, email):
    as_(client, cast["owner"])
    response = client.post(reverse("invitation_create", args=[cast["group"].pk]), {"email": email, "role": "viewer"})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert "invite-form" in response.content.decode()
        assert not Invitation.objects.exists() and not mail.outbox
    else:  # Django took the last of two values: one ordinary invitation
        assert [m.to for m in mail.outbox] == [[Invitation.objects.get().email]]


@pytest.mark.django_db
def test_a_role_changed_in_the_admin_makes_the_apps_form_stale(client, cast):
    from tests.forms_helper import read_form

    viewer = membership(cast, "viewer")
    as_(client, cast["staff"])
    url = reverse("admin:assessments_organisation_change", args=[cast["group"].pk])
    data = read_form(client.get(url).content.decode(), "organisation_form")
    key = next(k for k, v in data.items() if k.endswith("-id") and v == str(viewer.pk)).removesuffix("-id")
    data[f"{key}-role"] = "editor"
    assert client.post(url, data).status_code == 302
    assert membership(cast, "viewer").role == "editor" and membership(cast, "viewer").version == 1
    as_(client, cast["owner"])
    response = change_role(client, cast, "viewer", "owner", version=0)
    assert "ページを表示した後に変更されています" in response.content.decode()
