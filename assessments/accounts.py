"""Residents' accounts: sign-up, e-mail confirmation, the profile, deleting an account.

Why Django's own auth views and not django-allauth: sign-in is Django's LoginView guarded by
django-axes (its backend and middleware count failures per user name and address); allauth would
replace that sign-in flow with its own views, forms, templates and rate-limit machinery, and the
axes wiring, the Japanese templates and the access tests would have to be redone against it. What
residents need here (sign-up, a confirmation link, password reset) is a few small views around
Django's PasswordResetView family and token generator, which keep the sign-in page as it is.

Who needs to confirm: only those who sign up themselves (``signup``). A profile is made, confirmed,
for every other new user (``profile_for_new_user``: the admin, createsuperuser, scripts, tests), and
migration 0020 made confirmed profiles for the users that existed before.

Confirmation links are signed tokens (``EmailConfirmationTokenGenerator``) keyed on the user, the
address and the confirmation state: once the address is confirmed, or changed, the link is dead;
they expire after settings.PASSWORD_RESET_TIMEOUT.
"""

import hashlib
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.models import Assessment, Invitation, Membership, Organisation, Profile, Reviewer


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "dxpia.accounts.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        profile = Profile.objects.filter(user=user).first()
        confirmed = profile.email_confirmed_at if profile else None
        stamp = "" if confirmed is None else confirmed.replace(microsecond=0, tzinfo=None).isoformat()
        return f"{user.pk}{timestamp}{(user.email or '').strip().lower()}{stamp}{user.is_active}"


confirmation_tokens = EmailConfirmationTokenGenerator()


@receiver(post_save, sender=get_user_model(), dispatch_uid="dxpia-profile-for-new-user")
def profile_for_new_user(sender, instance, created, raw=False, **kwargs):
    """Every user made otherwise than by sign-up counts as confirmed (see the module's docstring)."""
    if created and not raw:
        Profile.objects.get_or_create(user=instance, defaults={"email_confirmed_at": timezone.now()})


def email_taken(email: str, *, exclude_user=None) -> bool:
    users = get_user_model().objects.filter(email__iexact=email.strip())
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
    return users.exists()


@transaction.atomic
def signup(*, username: str, email: str, password: str, display_name: str):
    """A new, unconfirmed account. The caller has validated the form; the address is checked again
    here, inside the transaction (on SQLite it holds the write lock from its start, so two sign-ups
    with one address cannot both pass; on PostgreSQL the window is this transaction's length)."""
    if email_taken(email):
        raise ValidationError({"email": _("このメールアドレスは既に登録されています。パスワードを忘れた場合は再設定できます。")})
    user = get_user_model().objects.create_user(username=username, email=email.strip(), password=password)
    user.profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"display_name": display_name.strip(), "email_confirmed_at": None}
    )
    return user


def confirmation_link(request, user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = confirmation_tokens.make_token(user)
    return request.build_absolute_uri(reverse("email_confirm", args=[uid, token]))


def send_confirmation(request, user) -> None:
    """The mail with the link that confirms ``user``'s address."""
    from assessments import people

    context = {
        "link": confirmation_link(request, user),
        "name": people.display_name(user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    send_mail(
        subject=_("【dxpia】メールアドレスの確認"),
        message=render_to_string("registration/email_confirm_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def user_for_link(uidb64: str):
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return get_user_model().objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, get_user_model().DoesNotExist):
        return None


@transaction.atomic
def confirm_email(uidb64: str, token: str):
    """The user whose address the link confirms, or None if the link is wrong, used or expired."""
    user = user_for_link(uidb64)
    if user is None or not confirmation_tokens.check_token(user, token):
        return None
    Profile.objects.update_or_create(user=user, defaults={"email_confirmed_at": timezone.now()})
    return user


@transaction.atomic
def profile_save(*, user, display_name: str, public_anonymous: bool, email: str, language: str = "") -> bool:
    """Save the account settings; True if the address changed (and now needs confirming)."""
    email = email.strip()
    changed = email.lower() != (user.email or "").strip().lower()
    profile, _created = Profile.objects.get_or_create(user=user)
    profile.display_name = display_name.strip()
    profile.public_anonymous = public_anonymous
    profile.language = language
    if changed:
        profile.email_confirmed_at = None
    profile.save()
    user.profile = profile
    if email != user.email:
        user.email = email
        user.save(update_fields=["email"])
    return changed


DELETED_ORGANISATION = gettext_lazy("退会した利用者の評価（%(number)s）")


def groups_only_they_own(user) -> list[Organisation]:
    """The groups whose last owner (管理者) ``user`` is while others are members: deleting the
    account would leave them with nobody who can invite, manage the review body or publish (the
    same rule as leaving a group, groups.membership_leave)."""
    from assessments.groups import owners_after

    owned = list(Organisation.objects.filter(
        personal_for=None, memberships__user=user, memberships__role=Membership.Role.OWNER).order_by("name"))
    roles: dict[int, dict[int, str]] = {}  # organisation -> user -> role
    for organisation_id, user_id, role in Membership.objects.filter(organisation__in=owned).values_list(
            "organisation_id", "user_id", "role"):
        roles.setdefault(organisation_id, {})[user_id] = role
    return [organisation for organisation in owned
            if len(roles[organisation.pk]) > 1 and owners_after(roles[organisation.pk], user_id=user.pk, new_role=None) == 0]


class SoleOwner(Exception):
    """The account is the last owner of these groups, which have other members."""

    def __init__(self, groups: list[Organisation]):
        super().__init__(", ".join(group.name for group in groups))
        self.groups = groups


@transaction.atomic
def delete_account(user) -> None:
    """Delete ``user`` (inside a transaction). Drafts in their personal organisation go; what they
    submitted or published stays, attributed to its organisation (a personal organisation is renamed
    so that its name, made from the login name, goes too). Their reviewer seats are withdrawn and keep
    their opinions; comments, status changes and answer history stay and show 「退会した利用者」.
    Refused (SoleOwner) while they are the last owner of a group with other members; the open
    invitations of a group they are the only member of are withdrawn, as nobody would be left to
    manage whoever accepted one."""
    # Every group they belong to, locked until the deletion is done: no role change, no member
    # leaving and no invitation accepted meanwhile (each of those takes the same lock first).
    list(Organisation.objects.select_for_update(of=("self",)).filter(personal_for=None, memberships__user=user)
         .order_by("pk"))
    left = groups_only_they_own(user)
    if left:
        raise SoleOwner(left)
    others = Membership.objects.filter(organisation=OuterRef("pk")).exclude(user=user)
    alone_in = Organisation.objects.filter(personal_for=None, memberships__user=user).exclude(Exists(others))
    Invitation.objects.filter(organisation__in=alone_in, accepted_at=None, withdrawn_at=None).update(
        withdrawn_at=timezone.now())
    personal = Organisation.objects.filter(personal_for=user).first()
    if personal is not None:
        Assessment.objects.filter(organisation=personal, status=Assessment.Status.DRAFT).delete()
        if personal.assessments.exists():
            # A name is data, printed on the Japanese report's cover and in the open data: in the
            # site's language, not in that of the page the account was deleted from.
            with translation.override(settings.LANGUAGE_CODE):
                name = str(DELETED_ORGANISATION) % {"number": personal.pk}
                if Organisation.objects.filter(name=name).exclude(pk=personal.pk).exists():  # names are unique
                    name = str(DELETED_ORGANISATION) % {"number": f"{personal.pk}-{uuid.uuid4().hex[:8]}"}
            personal.name = name
            personal.personal_for = None
            personal.save(update_fields=["name", "personal_for"])
        else:
            personal.delete()
    Reviewer.objects.filter(user=user, withdrawn_at=None).update(
        withdrawn_at=timezone.now(), withdrawn_reason=_("退会しました")
    )
    user.delete()


def may_delete_draft(user, assessment) -> bool:
    """A draft may be deleted by its author or by an owner of its organisation."""
    from assessments.access import OWN

    if assessment.status != Assessment.Status.DRAFT:
        return False
    return assessment.owner_id == user.pk or OWN in assessment.rights


class StaleDelete(Exception):
    """The draft was changed after the confirmation page was opened (``current``: as it is now)."""

    def __init__(self, current):
        super().__init__("stale delete")
        self.current = current


def draft_stamp(assessment) -> str:
    """What a deletion's confirmation page keeps of the draft it shows: its revision (answers, the
    review body, opinions, residents' views, risks and the plan move it) and what moves no revision
    but would be deleted with it: the requests to the municipality with their events and replies,
    the letter's settings and the comments. A fixed number of queries."""
    from django.db.models import Count, Max, Sum

    from assessments.models import Comment, LetterDetails, MunicipalityRequest

    requests = MunicipalityRequest.objects.filter(assessment_id=assessment.pk).aggregate(
        n=Count("pk", distinct=True), versions=Sum("version"),
        events=Count("events", distinct=True), replies=Count("replies", distinct=True))
    comments = Comment.objects.filter(assessment_id=assessment.pk).aggregate(n=Count("pk"), last=Max("pk"))
    letter = LetterDetails.objects.filter(assessment_id=assessment.pk).values_list("version", flat=True).first()
    parts = [assessment.revision, requests["n"], requests["versions"], requests["events"], requests["replies"],
             comments["n"], comments["last"], letter]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


@transaction.atomic
def delete_draft(assessment, *, seen: str | None) -> None:
    """Delete a draft, as it was when the confirmation page showed it (``seen``: its draft_stamp): a
    draft someone saved to since, or a page that does not say what it showed, is not deleted
    (StaleDelete)."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != Assessment.Status.DRAFT:
        raise ValueError("not a draft")
    if seen != draft_stamp(locked):
        raise StaleDelete(locked)
    locked.delete()
