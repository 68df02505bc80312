"""The interface language: Japanese first, English as a complete translation (issue 19).

A choice is kept in the session (so it holds from page to page, signed in or not) and, for a
signed-in user, in their settings (``Profile.language``), which a new sign-in copies into the
session. Without a choice, Django's LocaleMiddleware follows the browser's Accept-Language.
Only the interface changes: question sets, reports and letters keep their own language (Japanese).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

SESSION_KEY = "dxpia_language"


def codes() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def from_session(session) -> str | None:
    code = session.get(SESSION_KEY)
    return code if code in codes() else None


def choose(request, code: str) -> bool:
    """Make ``code`` the interface language of this session and, signed in, of the user's settings.
    False (and nothing changed) for a code that is not one of settings.LANGUAGES."""
    from assessments.models import Profile

    if code not in codes():
        return False
    request.session[SESSION_KEY] = code
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        Profile.objects.update_or_create(user=user, defaults={"language": code})
    translation.activate(code)
    request.LANGUAGE_CODE = code
    return True


@receiver(user_logged_in, dispatch_uid="dxpia-language-from-settings")
def language_from_settings(sender, request, user, **kwargs):
    """A sign-in brings the language the user chose before, on any device."""
    from assessments.models import Profile

    if request is None or not hasattr(request, "session"):
        return
    code = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    if code in codes():
        request.session[SESSION_KEY] = code


def in_record_language(assessment):
    """Text that dxpia itself writes into an assessment's record (a withdrawn reviewer's reason, a
    status note, a reply's source title, an action's history note, a request's default title) is
    in the assessment's question-set language, as the report that prints it and the municipality
    that reads it are, whoever wrote in which interface language:

        with languages.in_record_language(assessment):
            note = _("承認後に変更されました: %(what)s") % {"what": what}
    """
    return translation.override(assessment.question_set.language or settings.LANGUAGE_CODE)


def in_data_language(view):
    """A view that writes a data file (CSV, XLSX, JSON): its headings and labels are in Japanese, the
    language of the data, whatever the reader's interface, so that the same open data reads the same
    for everyone and imports back in any interface."""
    import functools

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            response = view(*args, **kwargs)
        if getattr(response, "streaming", False):  # rows made while the file is sent: same language
            content = response.streaming_content

            def in_language():
                with translation.override(settings.LANGUAGE_CODE):
                    yield from content

            response.streaming_content = in_language()
        return response

    return wrapper
