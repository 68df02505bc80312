from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from assessments.views import accounts, health

admin.site.site_header = _("dxpia 管理")
admin.site.site_title = _("dxpia 管理")
admin.site.index_title = _("質問セットと事業カタログの管理")

# A database too busy to answer in time is a 503 "try again", not a 500 (see dxpia.error_views).
handler500 = "dxpia.error_views.server_error"


def ping(request):
    """The smallest answer the stack can give (no database, no session, no template): the yardstick
    bench/load.py measures the real pages against. Harmless in production."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("-/ping", ping, name="ping"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/confirm/<str:uidb64>/<str:token>/", accounts.email_confirm, name="email_confirm"),
    path("accounts/confirm-again/", accounts.email_resend, name="email_resend"),
    path("accounts/settings/", accounts.account_settings, name="account_settings"),
    path("language/", accounts.switch_language, name="switch_language"),
    path("accounts/delete/", accounts.account_delete, name="account_delete"),
    path("accounts/password/reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["assessments"]), name="javascript-catalog"),
    path("", include("assessments.urls")),
]
