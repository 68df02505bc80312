"""Groups (団体) that manage themselves: creating one, inviting by e-mail, accepting, roles, leaving.

Every write is one transaction that first locks the organisation's row, so that two owners acting at
once are taken one after the other: an organisation is never left without an owner (管理者), an
invitation is accepted once, and a form shown before a change of the membership it names is refused
(``Membership.version``) instead of overwriting it. Refusals are ``ValidationError`` with a message
for the person; the views show it.

The pure rules (token hashes, the owner rule, the sending limit's window) take no database and are
tested without one.
"""

import hashlib
import secrets
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import people
from assessments.models import INVITATION_VALID_FOR, Invitation, Membership, Organisation

OWNER = Membership.Role.OWNER

# Invitation e-mails (new and resent) one organisation may send per window: enough for a group that
# invites its members, too few for the site to be used to send mail to strangers in bulk.
SENDS_PER_WINDOW = 10
SEND_WINDOW_SECONDS = 60 * 60


# --- Pure rules -------------------------------------------------------------------------------------


def new_token() -> str:
    """A random token for an invitation link (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex. A token is random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def plausible_token(token) -> bool:
    """Whether ``token`` could be one of ours (new_token's alphabet and length); others are not looked up."""
    return isinstance(token, str) and 20 <= len(token) <= 100 and all(c.isascii() and (c.isalnum() or c in "-_") for c in token)


def normalise_email(email: str) -> str:
    """Addresses compared without regard to case or surrounding spaces."""
    return email.strip().lower()


def owners_after(roles: dict[int, str], *, user_id: int, new_role: str | None) -> int:
    """How many owners ``roles`` (user id -> role) has once ``user_id`` has ``new_role`` (None: leaves)."""
    after = dict(roles)
    if new_role is None:
        after.pop(user_id, None)
    else:
        after[user_id] = new_role
    return sum(1 for role in after.values() if role == OWNER)


def send_window(now_seconds: float) -> tuple[int, int]:
    """The sending limit's window for a moment (its number, and the seconds until the next one)."""
    number = int(now_seconds // SEND_WINDOW_SECONDS)
    return number, int((number + 1) * SEND_WINDOW_SECONDS - now_seconds) + 1


# --- Organisations ----------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(*, user, name: str, description: str = "") -> Organisation:
    """A new group with ``user`` as its owner."""
    if Organisation.objects.filter(name=name).exists():
        raise ValidationError({"name": _("この名称の団体はすでにあります。別の名称にしてください。")})
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(name=name, description=description)
    except IntegrityError:  # made meanwhile under the same name
        raise ValidationError({"name": _("この名称の団体はすでにあります。別の名称にしてください。")}) from None
    Membership.objects.create(organisation=organisation, user=user, role=OWNER)
    return organisation


def _locked(organisation: Organisation) -> Organisation:
    """The organisation's row, locked until the end of the transaction (every write here takes it first)."""
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _owner_rule(organisation: Organisation, *, user_id: int, new_role: str | None) -> None:
    roles = dict(Membership.objects.filter(organisation=organisation).values_list("user_id", "role"))
    if roles.get(user_id) == OWNER and owners_after(roles, user_id=user_id, new_role=new_role) == 0:
        raise ValidationError(_("団体には管理者が少なくとも1人必要です。先に別の構成員を管理者にしてください。"))


def _current(organisation: Organisation, membership_id: int, version: int) -> Membership:
    membership = Membership.objects.filter(pk=membership_id, organisation=organisation).select_related("user__profile").first()
    if membership is None:
        raise ValidationError(_("この構成員はすでに団体から外れています。ページを読み込み直してください。"))
    if membership.version != version:
        raise ValidationError(_("この構成員の役割は、ページを表示した後に変更されています。読み込み直して、今の役割を確かめてから操作してください。"))
    return membership


@transaction.atomic
def membership_set_role(*, organisation: Organisation, membership_id: int, version: int, role: str) -> Membership:
    """An owner gives a member another role, if the membership is as the form showed it."""
    organisation = _locked(organisation)
    if role not in Membership.Role.values:
        raise ValidationError(_("役割を選んでください。"))
    membership = _current(organisation, membership_id, version)
    if membership.role == role:
        return membership
    _owner_rule(organisation, user_id=membership.user_id, new_role=role)
    Membership.objects.filter(pk=membership.pk).update(role=role, version=F("version") + 1)
    membership.refresh_from_db()
    _withdraw_seats_of_new_editor(organisation, membership.user)
    return membership


def _withdraw_seats_of_new_editor(organisation: Organisation, user) -> None:
    """Who may now edit the group's assessments reviews none of those still under review (an
    approved one keeps the body it was approved by; reviewing.withdraw_conflicted_seats)."""
    from assessments.models import Assessment
    from assessments.reviewing import withdraw_conflicted_seats

    for assessment in Assessment.objects.filter(organisation=organisation, reviewers__user=user,
                                                reviewers__withdrawn_at=None).distinct():
        withdraw_conflicted_seats(assessment)


@transaction.atomic
def membership_remove(*, organisation: Organisation, membership_id: int, version: int) -> Membership:
    """An owner removes a member (or themselves), if the membership is as the page showed it."""
    organisation = _locked(organisation)
    membership = _current(organisation, membership_id, version)
    _owner_rule(organisation, user_id=membership.user_id, new_role=None)
    membership.delete()
    return membership


@transaction.atomic
def membership_leave(*, organisation: Organisation, user) -> None:
    """A member leaves the group; its last owner may not."""
    organisation = _locked(organisation)
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    if membership is None:
        raise ValidationError(_("あなたはこの団体の構成員ではありません。"))
    _owner_rule(organisation, user_id=user.pk, new_role=None)
    membership.delete()


# --- Invitations ------------------------------------------------------------------------------------


@dataclass
class Sent:
    invitation: Invitation
    token: str  # the link's token: only in the e-mail, never stored
    mailed: bool  # False when the mail server refused it (the invitation is kept; resend it)


def _count_send(organisation: Organisation) -> None:
    """Count one invitation e-mail of ``organisation``; refuse it past the window's limit."""
    number, wait = send_window(timezone.now().timestamp())
    key = f"dxpia:invitation-sends:{organisation.pk}:{number}"
    cache.add(key, 0, timeout=SEND_WINDOW_SECONDS + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # gone between add and incr (evicted): start again
        cache.set(key, 1, timeout=SEND_WINDOW_SECONDS + 60)
        count = 1
    if count > SENDS_PER_WINDOW:
        minutes = max(1, (wait + 59) // 60)
        raise ValidationError(
            _("この団体から送った招待メールが多すぎます（1時間に%(limit)s通まで）。約%(minutes)s分後に、もう一度お試しください。")
            % {"limit": SENDS_PER_WINDOW, "minutes": minutes}
        )


def invitation_mail(invitation: Invitation, *, link: str, inviter) -> tuple[str, str]:
    """The invitation e-mail's subject and body (Japanese)."""
    context = {
        "organisation": " ".join(invitation.organisation.name.split()),
        "role": invitation.get_role_display(),
        "inviter": people.display_name(inviter),
        "link": link,
        "expires_at": timezone.localtime(invitation.expires_at),
    }
    subject = _("【dxpia】団体「%(organisation)s」への招待") % context
    body = render_to_string("organisations/invitation_mail.txt", context)
    return " ".join(subject.split()), body


def _mail(invitation: Invitation, token: str, *, link_for, inviter) -> bool:
    subject, body = invitation_mail(invitation, link=link_for(token), inviter=inviter)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email], fail_silently=False)
    except (smtplib.SMTPException, OSError, BadHeaderError):  # the mail server refused or is away: resend later
        return False
    return True


def invitation_create(*, organisation: Organisation, inviter, email: str, role: str, link_for) -> Sent:
    """An owner invites ``email`` with ``role``; the e-mail carries ``link_for(token)``."""
    email = normalise_email(email)
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("役割を選んでください。")})
    with transaction.atomic():
        organisation = _locked(organisation)
        if organisation.personal_for_id is not None:
            raise ValidationError(_("個人の評価用の団体には、人を招待できません。一緒に評価する人がいる場合は、新しい団体を作ってください。"))
        if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
            raise ValidationError({"email": _("このメールアドレスの人は、すでにこの団体の構成員です。")})
        if Invitation.objects.filter(organisation=organisation, email=email, accepted_at=None, withdrawn_at=None).exists():
            raise ValidationError({"email": _("このメールアドレスには、すでに招待を送っています。届いていない場合は、下の一覧から再送してください。")})
        _count_send(organisation)
        token = new_token()
        invitation = Invitation.objects.create(
            organisation=organisation, email=email, role=role, token_hash=token_hash(token), invited_by=inviter,
        )
    return Sent(invitation, token, _mail(invitation, token, link_for=link_for, inviter=inviter))


def invitation_resend(*, organisation: Organisation, invitation_id: int, inviter, link_for) -> Sent:
    """A new link for an open invitation (the old one stops working), valid 7 days from now."""
    with transaction.atomic():
        organisation = _locked(organisation)
        invitation = Invitation.objects.filter(pk=invitation_id, organisation=organisation).first()
        if invitation is None or invitation.accepted_at or invitation.withdrawn_at:
            raise ValidationError(_("この招待は、すでに承諾されたか取り消されています。"))
        _count_send(organisation)
        token = new_token()
        invitation.token_hash = token_hash(token)
        invitation.sent_at = timezone.now()
        invitation.send_count = F("send_count") + 1
        invitation.invited_by = inviter
        invitation.save(update_fields=["token_hash", "sent_at", "send_count", "invited_by"])
        invitation.refresh_from_db()
    return Sent(invitation, token, _mail(invitation, token, link_for=link_for, inviter=inviter))


@transaction.atomic
def invitation_withdraw(*, organisation: Organisation, invitation_id: int) -> Invitation:
    organisation = _locked(organisation)
    changed = Invitation.objects.filter(
        pk=invitation_id, organisation=organisation, accepted_at=None, withdrawn_at=None
    ).update(withdrawn_at=timezone.now())
    if not changed:
        raise ValidationError(_("この招待は、すでに承諾されたか取り消されています。"))
    return Invitation.objects.get(pk=invitation_id)


def invitation_for_token(token) -> Invitation | None:
    """The invitation a link's token belongs to (None for a link that is not, or no longer, one)."""
    if not plausible_token(token):
        return None
    return (
        Invitation.objects.filter(token_hash=token_hash(token))
        .select_related("organisation", "invited_by__profile")
        .first()
    )


STATE_MESSAGES = {  # lazy: made when shown, in the reader's language
    Invitation.State.EXPIRED: gettext_lazy("この招待の有効期限（送信から7日）が切れています。招待した人に、再送を頼んでください。"),
    Invitation.State.WITHDRAWN: gettext_lazy("この招待は取り消されました。"),
    Invitation.State.ACCEPTED: gettext_lazy("この招待はすでに使われています。招待のリンクは一度だけ使えます。"),
}


@dataclass
class Accepted:
    membership: Membership
    joined: bool  # False: the user was a member already and keeps the role they had


def invitation_accept(*, invitation: Invitation, user) -> Accepted:
    """``user`` accepts: a membership with the invited role, once. A member already keeps their
    membership as it is (the invitation stays open for whoever it was meant for)."""
    with transaction.atomic():
        organisation = _locked(invitation.organisation)
        existing = Membership.objects.filter(organisation=organisation, user=user).first()
        if existing is not None:
            return Accepted(existing, joined=False)
        now = timezone.now()
        # One conditional update: of two accepts of one link, only the first finds it open.
        used = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, withdrawn_at=None, sent_at__gt=now - INVITATION_VALID_FOR
        ).update(accepted_at=now, accepted_by=user)
        if not used:
            invitation.refresh_from_db()
            raise ValidationError(STATE_MESSAGES.get(invitation.state(now), STATE_MESSAGES[Invitation.State.ACCEPTED]))
        membership = Membership.objects.create(organisation=organisation, user=user, role=invitation.role)
        _withdraw_seats_of_new_editor(organisation, user)
    return Accepted(membership, joined=True)
