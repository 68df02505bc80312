"""What a person shows of themselves: the display name, the choice to appear as 「住民（匿名）」 on
published assessments, and whether their e-mail address is confirmed.

A profile is made for every user when the user is made (accounts.py's post_save receiver), marked
confirmed: users made by staff in the admin, by createsuperuser, by scripts and by tests need no
confirmation. Only self-sign-up (accounts.signup) makes an unconfirmed one. A user without a profile
(made by bulk_create or raw fixtures) counts as confirmed and is named 「名前未設定の利用者」.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("利用者"), on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(
        _("表示名"), max_length=60, blank=True,
        help_text=_("公開される名前です。ログインに使うユーザー名は表示されません。"),
    )
    public_anonymous = models.BooleanField(
        _("公開する評価では「住民（匿名）」と表示する"), default=False,
    )
    email_confirmed_at = models.DateTimeField(_("メールアドレスの確認日時"), null=True, blank=True)
    # The interface language chosen with the language switch ("" = none chosen: the browser's).
    language = models.CharField(
        _("表示言語"), max_length=8, blank=True, default="", choices=settings.LANGUAGES,
    )

    class Meta:
        verbose_name = _("利用者の表示設定")
        verbose_name_plural = _("利用者の表示設定")

    def __str__(self) -> str:
        return self.display_name or str(self.user_id)
