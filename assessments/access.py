"""The one place that decides who may see or do what with an assessment.

Every view that touches an assessment calls ``get_assessment_for_request`` with what it needs; lists
and exports use ``assessments_visible_to``. A person with no relation to an assessment gets 404, so
that its existence is not revealed; a member or reviewer without the right gets 403.

Staff (the site's administrators) may look at any assessment, to answer a member's request for help
or a complaint about published content, but only one at a time and on the record: their lists and
exports hold only their own organisations' and reviews' assessments, and every page of an
unpublished assessment that a staff member opens only as staff is recorded (StaffAccess: who, which
assessment, which page, when), which the admin shows and nobody can change or delete there.

Rights: ``view``, ``edit`` (answers, residents' views, submitting), ``review`` (opinions, review
transitions; only for an active reviewer seat of someone who is neither the author nor an editor or
owner of the organisation), ``own`` (review body, publication), ``comment``.

Organisations (団体) have their own pages, decided by ``get_organisation_for_request``: its members
see it (``view``) and may leave it (``member``); its owners (管理者) manage members and invitations
(``own``); staff may look at any (``view`` only). Anyone else gets 404.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from assessments import selectors
from assessments.models import Assessment, Membership, Organisation, Reviewer, StaffAccess

VIEW, EDIT, REVIEW, OWN, COMMENT = "view", "edit", "review", "own", "comment"
MEMBER = "member"  # on an organisation: being one of its members (and so able to leave it)

ROLE_RIGHTS = {
    Membership.Role.VIEWER: {VIEW, COMMENT},
    Membership.Role.EDITOR: {VIEW, COMMENT, EDIT},
    Membership.Role.OWNER: {VIEW, COMMENT, EDIT, OWN},
}
REVIEWER_RIGHTS = {VIEW, COMMENT, REVIEW}
STAFF_RIGHTS = {VIEW}  # staff administer everything in the Django admin; in the app they may look


def rights_of(user, assessment: Assessment, *, role: str | None = None, is_reviewer: bool | None = None) -> set[str]:
    """The rights ``user`` has on ``assessment``. ``role``/``is_reviewer`` may be passed when known."""
    if not user.is_authenticated:
        return set()
    if role is None:
        role = (
            Membership.objects.filter(organisation_id=assessment.organisation_id, user=user)
            .values_list("role", flat=True)
            .first()
        )
    if is_reviewer is None:
        is_reviewer = Reviewer.objects.filter(assessment=assessment, user=user, withdrawn_at=None).exists()
    rights = set(ROLE_RIGHTS.get(role, set()))
    # Nobody reviews what they wrote: the author and the members who may edit get no review rights,
    # even if a seat was given them before (reviewing.reviewer_conflict says why).
    if is_reviewer and user.pk != assessment.owner_id and role not in (Membership.Role.EDITOR, Membership.Role.OWNER):
        rights |= REVIEWER_RIGHTS
    if user.is_staff:
        rights |= STAFF_RIGHTS
    return rights


def assessments_visible_to(user):
    """Every assessment ``user`` lists and exports: their organisations', those they review (an active
    seat: a withdrawn reviewer sees no more than anyone else). (Staff too: others' they open one at a
    time, on the record, through ``get_assessment_for_request``.)"""
    if not user.is_authenticated:
        return Assessment.objects.none()
    return Assessment.objects.filter(
        Q(organisation__memberships__user=user) | Q(reviewers__user=user, reviewers__withdrawn_at=None)
    ).distinct()


def get_assessment_for_request(request, pk, *, need: str = VIEW, relations: tuple[str, ...] = selectors.PAGE_RELATIONS) -> Assessment:
    """The assessment ``pk`` with ``assessment.rights`` set, if the request's user has the right
    ``need``; a staff member's look at an unpublished one that they reach only as staff is recorded.
    ``relations``: what is read with it (``selectors.assessments_with_relations``).

    404 for anyone with no relation to it, 403 for a member or reviewer without that right.
    """
    user = request.user
    try:
        assessment = selectors.assessments_with_relations(relations).get(pk=pk)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    rights = rights_of(user, assessment)
    if VIEW not in rights:
        raise Http404
    if need not in rights:
        raise PermissionDenied
    if user.is_staff and not rights - STAFF_RIGHTS and assessment.status != Assessment.Status.PUBLISHED:
        StaffAccess.objects.create(
            user=user, username=user.get_username(), assessment=assessment, assessment_title=assessment.title,
            organisation_name=assessment.organisation.name, method=request.method[:10],
            path=request.get_full_path()[:500],
        )
        assessment.staff_access_recorded = True  # the page says so (base.html)
    assessment.rights = rights
    return assessment


def get_published_assessment(pk, *, relations: tuple[str, ...] = selectors.PAGE_RELATIONS) -> Assessment:
    """A published assessment for anyone, signed in or not; anything else is 404. ``relations``:
    what is read with it (``selectors.assessments_with_relations``)."""
    try:
        return selectors.assessments_with_relations(relations).get(pk=pk, status=Assessment.Status.PUBLISHED)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_assessment_to_reassess(request, pk) -> Assessment:
    """The assessment ``pk`` as the start of a re-assessment (再評価, reassessment.py), with
    ``assessment.rights`` set: its editors may start one whatever its state; anyone signed in may
    start one from a published assessment (only what its public page shows carries over).

    404 for anyone with no relation to an unpublished one, 403 for a viewer, reviewer or staff member
    who may read it but not take its unpublished content into another assessment.
    """
    try:
        assessment = Assessment.objects.select_related(
            "project__municipality", "question_set", "owner__profile", "organisation"
        ).get(pk=pk)
    except (Assessment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    rights = rights_of(request.user, assessment)
    if EDIT not in rights and assessment.status != Assessment.Status.PUBLISHED:
        if VIEW in rights:
            raise PermissionDenied
        raise Http404
    assessment.rights = rights
    return assessment


def get_previous_for_request(request, assessment: Assessment) -> Assessment | None:
    """The assessment that ``assessment`` re-assesses, as the request's user may read it: through
    ``get_assessment_for_request`` (members and reviewers; staff on the record), else its public view
    when it is published (``previous.public_view`` is then True), else None (none, or not readable)."""
    if assessment.previous_id is None:
        return None
    try:
        previous = get_assessment_for_request(request, assessment.previous_id)
        previous.public_view = False
        return previous
    except (Http404, PermissionDenied):
        pass
    try:
        previous = get_published_assessment(assessment.previous_id)
    except Http404:
        return None
    previous.public_view = True
    return previous


ORGANISATION_ROLE_RIGHTS = {
    Membership.Role.VIEWER: {VIEW, MEMBER},
    Membership.Role.EDITOR: {VIEW, MEMBER},
    Membership.Role.OWNER: {VIEW, MEMBER, OWN},
}


def organisation_rights(user, role: str | None) -> set[str]:
    """The rights ``user``, whose membership has ``role`` (None: not a member), has on an organisation."""
    if not user.is_authenticated:
        return set()
    rights = set(ORGANISATION_ROLE_RIGHTS.get(role, set()))
    if user.is_staff:
        rights |= STAFF_RIGHTS
    return rights


def get_organisation_for_request(request, pk, *, need: str = VIEW) -> Organisation:
    """The organisation ``pk`` with ``organisation.rights`` and ``organisation.my_membership`` (None
    for a non-member) set, if the request's user has the right ``need``.

    404 for anyone who is neither a member nor staff, 403 for a member (or staff) without that right.
    """
    user = request.user
    try:
        organisation = Organisation.objects.get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    membership = None
    if user.is_authenticated:
        membership = Membership.objects.filter(organisation=organisation, user=user).first()
    rights = organisation_rights(user, membership.role if membership else None)
    if VIEW not in rights:
        raise Http404
    if need not in rights:
        raise PermissionDenied
    organisation.rights = rights
    organisation.my_membership = membership
    return organisation
