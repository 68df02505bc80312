"""How people are named on pages, reports and letters: by the display name they chose, never by the
name they sign in with.

``display_name(user)`` is for pages members and reviewers see (comments, history, the review page);
``public_author(assessment)`` is for what the public sees of an assessment: the author's display
name, or 「住民（匿名）」 if they chose so, with the organisation's name when it is a group. A user
who deleted their account is 「退会した利用者」.

Both read ``user.profile``: querysets that list people select_related the profile
(``PROFILE`` below) so that a page's query count does not grow with the list.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ANONYMOUS = gettext_lazy("住民（匿名）")
DELETED = gettext_lazy("退会した利用者")
UNNAMED = gettext_lazy("名前未設定の利用者")


def _profile(user):
    try:
        return user.profile
    except (ObjectDoesNotExist, AttributeError):
        return None


def display_name(user) -> str:
    """The name ``user`` chose to be shown by; 「退会した利用者」 for a deleted account (None)."""
    if user is None:
        return str(DELETED)
    profile = _profile(user)
    if profile is not None and profile.display_name.strip():
        return profile.display_name.strip()
    full = f"{user.last_name} {user.first_name}".strip()
    return full or str(UNNAMED)


def is_anonymous_in_public(user) -> bool:
    profile = _profile(user) if user is not None else None
    return bool(profile and profile.public_anonymous)


def public_name(user) -> str:
    """The author's name as published: 「住民（匿名）」 if they chose it, else their display name."""
    if user is not None and is_anonymous_in_public(user):
        return str(ANONYMOUS)
    return display_name(user)


def organisation_name(organisation) -> str:
    """An organisation as pages, reports and the open data name it: a group by its name; a person's
    own organisation as 「個人の評価」, without the random tag that keeps its stored name unique (a
    stable tag would link every published assessment of an author who signs as 匿名)."""
    from assessments.reviewing import PERSONAL_ORGANISATION

    if organisation is None:
        return ""
    return PERSONAL_ORGANISATION if organisation.personal_for_id is not None else organisation.name


def public_author(assessment) -> str:
    """Who wrote ``assessment``, as the public sees it: the author's public name, with the
    organisation when it is a group (a person's own organisation is not named: its name was made
    from the login name). An assessment whose author left is attributed to its organisation."""
    organisation = assessment.organisation
    personal = organisation.personal_for_id is not None
    if assessment.owner_id is None:
        return organisation_name(organisation)
    name = public_name(assessment.owner)
    if personal:
        return name
    return _("%(name)s（%(organisation)s）") % {"name": name, "organisation": organisation.name}


def is_confirmed(user) -> bool:
    """Whether ``user`` may do what needs a confirmed e-mail address (start an assessment). Only
    self-sign-ups start unconfirmed; users without a profile count as confirmed."""
    profile = _profile(user)
    return profile is None or profile.email_confirmed_at is not None


# select_related paths for a user's profile, to keep page queries constant.
PROFILE = "profile"
