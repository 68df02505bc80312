"""Invitations to join an organisation (団体への招待), sent by e-mail by one of its owners."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .reviews import Membership, Organisation

INVITATION_VALID_FOR = datetime.timedelta(days=7)


class Invitation(models.Model):
    """One e-mailed invitation. The link's token is never stored, only its SHA-256 (``token_hash``):
    the database alone cannot be used to accept. A resend makes a new token (the old link stops
    working) and counts the 7 days again from ``sent_at``."""

    class State(models.TextChoices):
        PENDING = "pending", _("未承諾")
        EXPIRED = "expired", _("期限切れ")
        ACCEPTED = "accepted", _("承諾済み")
        WITHDRAWN = "withdrawn", _("取り消し済み")

    organisation = models.ForeignKey(Organisation, verbose_name=_("団体"), on_delete=models.CASCADE,
                                     related_name="invitations")
    email = models.EmailField(_("招待先のメールアドレス"))
    role = models.CharField(_("役割"), max_length=10, choices=Membership.Role.choices, default=Membership.Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("招待した人"), on_delete=models.SET_NULL,
                                   null=True, related_name="+", editable=False)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("送信日時"), default=timezone.now, editable=False)
    send_count = models.PositiveSmallIntegerField(_("送信回数"), default=1, editable=False)
    accepted_at = models.DateTimeField(_("承諾日時"), null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("承諾した人"), on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+", editable=False)
    withdrawn_at = models.DateTimeField(_("取り消し日時"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["organisation", "-sent_at", "-pk"]
        constraints = [
            # One open invitation per address and organisation (an expired one is resent, not doubled).
            models.UniqueConstraint(
                fields=["organisation", "email"], condition=models.Q(accepted_at=None, withdrawn_at=None),
                name="one_open_invitation_per_address",
            ),
        ]
        verbose_name = _("団体への招待")
        verbose_name_plural = _("団体への招待")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.email} ({self.get_role_display()})"

    @property
    def expires_at(self) -> datetime.datetime:
        return self.sent_at + INVITATION_VALID_FOR

    def state(self, now: datetime.datetime | None = None) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.withdrawn_at is not None:
            return self.State.WITHDRAWN
        if (now or timezone.now()) >= self.expires_at:
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self) -> str:
        return self.State(self.state()).label
