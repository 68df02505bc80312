"""Residents' accounts: sign-up, e-mail confirmation, password reset, account settings, deleting
the account. Thin views: accounts.py does the work, ratelimit.py counts (see accounts.py for why
these are Django's own auth views and not django-allauth)."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import accounts, languages, people, ratelimit
from assessments.account_forms import AccountDeleteForm, AccountSettingsForm, SignupForm
from assessments.templatetags.dxpia import lang_ja, message_html

SIGNUP_BACKEND = "django.contrib.auth.backends.ModelBackend"


def safe_next(request, default: str = "") -> str:
    """The ``next`` of the request if it is a path on this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def too_many(request, template: str, context: dict):
    """The page again with the rate-limit message, answered 429."""
    return render(request, template, {**context, "rate_limited": ratelimit.MESSAGE}, status=429)


def signup(request):
    next_url = safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    form = SignupForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method == "POST":
        checks = [(ratelimit.SIGNUP_PER_IP, ratelimit.client_ip(request))]
        email = (request.POST.get("email") or "").strip()[:254]
        if email:
            checks.append((ratelimit.SIGNUP_PER_EMAIL, email))
        if not ratelimit.allow_all(*checks):
            return too_many(request, "registration/signup.html", context)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = accounts.signup(
                    username=data["username"], email=data["email"], password=data["password1"],
                    display_name=data["display_name"],
                )
            except ValidationError as error:
                form.add_error(None, error)
                return render(request, "registration/signup.html", context)
            except IntegrityError:  # the same user name, taken a moment ago
                form.add_error("username", _("このユーザー名は既に使われています。"))
                return render(request, "registration/signup.html", context)
            login(request, user, backend=SIGNUP_BACKEND)
            accounts.send_confirmation(request, user)
            messages.success(request, _("アカウントを作りました。%(email)s に確認のメールを送りました。メールのリンクを開くと評価を始められます。")
                             % {"email": user.email})
            return redirect(next_url or "account_settings")
    return render(request, "registration/signup.html", context)


def email_confirm(request, uidb64, token):
    user = accounts.confirm_email(uidb64, token)
    if user is None:
        return render(request, "registration/email_confirm_failed.html", status=400)
    messages.success(request, _("メールアドレスを確認しました。評価を始められます。"))
    if request.user.is_authenticated:
        return redirect("account_settings" if request.user.pk == user.pk else "home")
    return redirect("login")


@login_required
@require_POST
def email_resend(request):
    next_url = safe_next(request, reverse("account_settings"))
    user = request.user
    if people.is_confirmed(user):
        messages.info(request, _("メールアドレスは確認済みです。"))
        return redirect(next_url)
    checks = [(ratelimit.RESEND_PER_IP, ratelimit.client_ip(request)), (ratelimit.RESEND_PER_EMAIL, user.email)]
    if not ratelimit.allow_all(*checks):
        return render(request, "registration/rate_limited.html", {"next": next_url}, status=429)
    accounts.send_confirmation(request, user)
    messages.success(request, _("%(email)s に確認のメールを送り直しました。") % {"email": user.email})
    return redirect(next_url)


@login_required
def account_settings(request):
    user = request.user
    profile = accounts.Profile.objects.filter(user=user).first()
    initial = {
        "display_name": people.display_name(user) if profile is None or profile.display_name else "",
        "public_anonymous": bool(profile and profile.public_anonymous),
        "email": user.email,
        "language": profile.language if profile else "",
    }
    form = AccountSettingsForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        changed = accounts.profile_save(user=user, **form.cleaned_data)
        if form.cleaned_data["language"]:
            languages.choose(request, form.cleaned_data["language"])
        else:
            request.session.pop(languages.SESSION_KEY, None)
        if changed:
            accounts.send_confirmation(request, user)
            messages.success(request, _("保存しました。新しいメールアドレスに確認のメールを送りました。"))
        else:
            messages.success(request, _("保存しました。"))
        return redirect("account_settings")
    return render(request, "registration/account_settings.html", {
        "form": form, "confirmed": people.is_confirmed(user),
    })


@login_required
def account_delete(request):
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            with transaction.atomic():
                accounts.delete_account(user)
        except accounts.SoleOwner as refused:
            form.add_error(None, _sole_owner_message(refused.groups))
        else:
            logout(request)
            messages.success(request, _("アカウントを削除しました。ご利用ありがとうございました。"))
            return redirect("home")
    sole_owner = accounts.groups_only_they_own(request.user)
    return render(request, "registration/account_delete.html", {
        "form": form, "sole_owner": _sole_owner_message(sole_owner) if sole_owner else ""})


def _sole_owner_message(groups):
    names = mark_safe(conditional_escape(_("、")).join(lang_ja(f"「{group.name}」") for group in groups))
    return message_html(_("次の団体では、あなたが唯一の管理者です: %(groups)s。アカウントを削除する前に、団体のページで"
                          "別の構成員を管理者にしてください。"), groups=names)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view, with the subject and body in Japanese and a rate limit per address and IP."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        checks = [(ratelimit.RESET_PER_IP, ratelimit.client_ip(self.request)),
                  (ratelimit.RESET_PER_EMAIL, form.cleaned_data["email"])]
        if not ratelimit.allow_all(*checks):
            return too_many(self.request, self.template_name, self.get_context_data(form=form))
        return super().form_valid(form)


@require_POST
def switch_language(request):
    """The language switch on every page: the chosen language for this session (and, signed in, the
    user's settings), then back to the page it was used on. An unknown code changes nothing."""
    if not languages.choose(request, request.POST.get("language", "")):
        messages.error(request, _("その言語は選べません。"))
    return redirect(safe_next(request, default=reverse("home")))
