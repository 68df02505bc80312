"""Forms of residents' accounts: sign-up, account settings, deleting the account."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from assessments import accounts, answer_values

DISPLAY_NAME_HELP = _("評価やコメントに表示される名前です（例: 山田花子、美里町の住民）。ログインに使うユーザー名は表示されません。")


def clean_display_name(value: str) -> str:
    name = answer_values.clean_text(value or "", max_length=60).strip()
    if not name:
        raise forms.ValidationError(_("表示名を入力してください。"))
    return name



class LanguageSelect(forms.Select):
    """The languages' options, each marked with its own language (lang="ja" on 日本語 in the English
    interface), as the menu's switch marks them."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["lang"] = value
        return option

class SignupForm(UserCreationForm):
    display_name = forms.CharField(label=_("表示名"), max_length=60, help_text=DISPLAY_NAME_HELP)
    email = forms.EmailField(
        label=_("メールアドレス"), max_length=254,
        help_text=_("確認のリンクと、パスワードを忘れたときの再設定のリンクを送ります。公開されません。"),
    )

    class Meta(UserCreationForm.Meta):
        fields = ("display_name", "username", "email")
        labels = {"username": _("ユーザー名")}
        help_texts = {"username": _("ログインに使います（半角英数字と @ . + - _、150文字まで）。公開されません。")}

    field_order = ["display_name", "username", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("パスワード")
        self.fields["password2"].label = _("パスワード（確認）")
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["display_name"].widget.attrs.update({"autocomplete": "nickname"})

    def clean_display_name(self):
        return clean_display_name(self.cleaned_data.get("display_name"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if accounts.email_taken(email):
            raise forms.ValidationError(_("このメールアドレスは既に登録されています。パスワードを忘れた場合は再設定できます。"))
        return email

    def save(self, commit=True):  # the service makes the user and its profile together
        raise NotImplementedError("use accounts.signup")


class AccountSettingsForm(forms.Form):
    display_name = forms.CharField(label=_("表示名"), max_length=60, help_text=DISPLAY_NAME_HELP)
    public_anonymous = forms.BooleanField(
        label=_("公開する評価では「住民（匿名）」と表示する"), required=False,
        help_text=_("公開ページ・報告書・自治体への質問書で、表示名の代わりに「住民（匿名）」と表示します。団体の評価では団体名は表示されます。"),
    )
    email = forms.EmailField(
        label=_("メールアドレス"), max_length=254,
        help_text=_("変更すると、新しいアドレスに確認のリンクを送ります。確認するまで新しい評価は始められません。"),
    )
    language = forms.ChoiceField(
        label=_("表示言語"), required=False, widget=LanguageSelect,
        # Each language by its own name (日本語, English), as the switch in the menu names them: a
        # reader looks for the language they read ("English" showed as 「英語(米国)」).
        choices=[("", _("ブラウザーの設定に従う")), *((code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES)],
        help_text=_("画面の言語です。質問セット・報告書・自治体への質問書は、質問セットの言語（日本語）のままです。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_display_name(self):
        return clean_display_name(self.cleaned_data.get("display_name"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if accounts.email_taken(email, exclude_user=self.user):
            raise forms.ValidationError(_("このメールアドレスは既に登録されています。"))
        return email


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("パスワード"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("パスワードが違います。"))
        return password

