"""Groups (団体): my organisations, one organisation's page, invitations by e-mail, roles, leaving.

Thin views: every organisation page goes through ``access.get_organisation_for_request``; the writes
are in ``assessments.groups``, whose refusals are shown as messages (or next to the form's field).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from assessments import groups, people
from assessments.access import MEMBER, OWN, VIEW, get_organisation_for_request
from assessments.forms import InvitationForm, MembershipChangeForm, OrganisationForm
from assessments.models import Invitation, Membership
from assessments.templatetags.dxpia import lang_ja, message_html

ROLE_ORDER = {Membership.Role.OWNER: 0, Membership.Role.EDITOR: 1, Membership.Role.VIEWER: 2}


def _link_for(request):
    """The invitation link of a token, absolute (it goes out by e-mail)."""
    return lambda token: request.build_absolute_uri(reverse("invitation", args=[token]))


def _say(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _back(organisation):
    return redirect("organisation_detail", pk=organisation.pk)


@login_required
def organisation_list(request):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .annotate(
            members=Count("organisation__memberships", distinct=True),
            assessment_count=Count("organisation__assessments", distinct=True),
        )
        .order_by("organisation__name")
    )
    return render(request, "organisations/list.html", {"memberships": memberships})


@login_required
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = groups.organisation_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, message_html(_("団体「%(name)s」を作りました。あなたがこの団体の管理者です。"),
                                                  name=lang_ja(organisation.name)))
            return _back(organisation)
    return render(request, "organisations/create.html", {"form": form})


def _detail(request, organisation, *, invite_form=None, status=200):
    rights = organisation.rights
    members = sorted(
        Membership.objects.filter(organisation=organisation).select_related("user__profile"),
        key=lambda m: (ROLE_ORDER.get(m.role, 9), people.display_name(m.user)),
    )
    assessments = organisation.assessments.select_related("project__municipality").order_by("-updated_at", "-pk")
    can_manage = OWN in rights
    invitations = []
    if can_manage:
        invitations = list(
            Invitation.objects.filter(organisation=organisation, accepted_at=None, withdrawn_at=None).order_by("-sent_at", "-pk")
        )
    can_invite = can_manage and organisation.personal_for_id is None
    if can_invite and invite_form is None:
        invite_form = InvitationForm()
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": organisation,
            "rights": rights,
            "my_membership": organisation.my_membership,
            "staff_only": MEMBER not in rights,
            "members": members,
            "assessments": assessments,
            "can_manage": can_manage,
            "can_invite": can_invite,
            "invite_form": invite_form if can_invite else None,
            "invitations": invitations,
            "roles": Membership.Role.choices,
        },
        status=status,
    )


@login_required
def organisation_detail(request, pk):
    organisation = get_organisation_for_request(request, pk, need=VIEW)
    return _detail(request, organisation)


@login_required
@require_POST
def invitation_create(request, pk):
    organisation = get_organisation_for_request(request, pk, need=OWN)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            sent = groups.invitation_create(
                organisation=organisation, inviter=request.user, link_for=_link_for(request), **form.cleaned_data
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                form.add_error(None, error)
        else:
            _report_sent(request, sent, _("%(email)s に招待のメールを送りました（%(role)s、7日間有効）。"))
            return _back(organisation)
    return _detail(request, organisation, invite_form=form, status=400)


def _report_sent(request, sent, success: str) -> None:
    details = {"email": sent.invitation.email, "role": sent.invitation.get_role_display()}
    if sent.mailed:
        messages.success(request, success % details)
    else:
        messages.warning(request, _("%(email)s への招待を記録しましたが、メールを送れませんでした。しばらくしてから「再送」を押してください。") % details)


@login_required
@require_POST
def invitation_resend(request, pk, invitation_id):
    organisation = get_organisation_for_request(request, pk, need=OWN)
    try:
        sent = groups.invitation_resend(organisation=organisation, invitation_id=invitation_id,
                                        inviter=request.user, link_for=_link_for(request))
    except ValidationError as error:
        _say(request, error)
    else:
        _report_sent(request, sent, _("%(email)s に招待のメールを再送しました。前のメールのリンクは使えなくなり、新しいリンクが7日間有効です。"))
    return _back(organisation)


@login_required
@require_POST
def invitation_withdraw(request, pk, invitation_id):
    organisation = get_organisation_for_request(request, pk, need=OWN)
    try:
        invitation = groups.invitation_withdraw(organisation=organisation, invitation_id=invitation_id)
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, _("%(email)s への招待を取り消しました。メールのリンクはもう使えません。") % {"email": invitation.email})
    return _back(organisation)


@login_required
@require_POST
def membership_role(request, pk):
    organisation = get_organisation_for_request(request, pk, need=OWN)
    form = MembershipChangeForm(request.POST)
    data = form.cleaned_data if form.is_valid() else None
    if data is None or not data["role"]:
        messages.error(request, _("役割を選んでください。"))
        return _back(organisation)
    try:
        membership = groups.membership_set_role(organisation=organisation, membership_id=data["membership"],
                                                version=data["version"], role=data["role"])
    except ValidationError as error:
        _say(request, error)
    else:
        messages.success(request, message_html(_("%(name)s さんの役割を「%(role)s」にしました。"),
                                               name=lang_ja(people.display_name(membership.user)),
                                               role=membership.get_role_display()))
    return _back(organisation)


def _membership_shown(organisation, membership_id) -> Membership:
    membership = Membership.objects.filter(pk=membership_id, organisation=organisation).select_related("user__profile").first()
    if membership is None:
        raise Http404
    return membership


@login_required
def membership_remove(request, pk, membership_id):
    """GET: the confirmation page; POST: the removal, if the membership is as that page showed it."""
    organisation = get_organisation_for_request(request, pk, need=OWN)
    if request.method != "POST":
        membership = _membership_shown(organisation, membership_id)
        return render(request, "organisations/remove_confirm.html", {"organisation": organisation, "membership": membership})
    request_data = request.POST.copy()
    request_data["membership"] = str(membership_id)
    form = MembershipChangeForm(request_data)
    if not form.is_valid():
        messages.error(request, _("ページを読み込み直してから、もう一度操作してください。"))
        return _back(organisation)
    try:
        membership = groups.membership_remove(organisation=organisation, membership_id=membership_id,
                                              version=form.cleaned_data["version"])
    except ValidationError as error:
        _say(request, error)
        return _back(organisation)
    if membership.user_id == request.user.pk:
        messages.success(request, message_html(_("団体「%(name)s」から抜けました。"), name=lang_ja(organisation.name)))
        return redirect("organisation_list")
    messages.success(request, message_html(_("%(name)s さんを団体から外しました。"),
                                           name=lang_ja(people.display_name(membership.user))))
    return _back(organisation)


@login_required
def organisation_leave(request, pk):
    """GET: the confirmation page; POST: the request's user leaves the group."""
    organisation = get_organisation_for_request(request, pk, need=MEMBER)
    if request.method != "POST":
        return render(request, "organisations/leave_confirm.html", {"organisation": organisation})
    try:
        groups.membership_leave(organisation=organisation, user=request.user)
    except ValidationError as error:
        _say(request, error)
        return _back(organisation)
    messages.success(request, message_html(_("団体「%(name)s」から抜けました。"), name=lang_ja(organisation.name)))
    return redirect("organisation_list")


# --- The invitation link ----------------------------------------------------------------------------


@never_cache
def invitation(request, token):
    """The page an invitation e-mail links to: what it is; sign in or sign up; accept (POST)."""
    invitation = groups.invitation_for_token(token)
    if invitation is None:
        return render(request, "organisations/invitation.html", {"problem": _(
            "この招待のリンクは使えません。リンクが途中で切れていないか確かめてください。招待が再送された場合は、新しいメールのリンクを使ってください。"
        )}, status=404)
    state = invitation.state()
    problem = groups.STATE_MESSAGES.get(state, "")
    here = reverse("invitation", args=[token])
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "inviter": people.display_name(invitation.invited_by),
        "problem": problem,
        "login_url": f"{reverse('login')}?{urlencode({'next': here})}",
        "signup_url": f"{reverse('signup')}?{urlencode({'next': here})}",
        "membership": None,
        "other_address": False,
    }
    if request.user.is_authenticated:
        context["membership"] = Membership.objects.filter(organisation=invitation.organisation, user=request.user).first()
        context["other_address"] = groups.normalise_email(request.user.email or "") != invitation.email
    if problem:
        return render(request, "organisations/invitation.html", context, status=410)
    if request.method != "POST":
        return render(request, "organisations/invitation.html", context)
    if not request.user.is_authenticated:
        return redirect(context["login_url"])
    try:
        accepted = groups.invitation_accept(invitation=invitation, user=request.user)
    except ValidationError as error:
        context["problem"] = " ".join(error.messages)
        return render(request, "organisations/invitation.html", context, status=410)
    organisation = invitation.organisation
    if accepted.joined:
        messages.success(request, message_html(_("団体「%(name)s」に%(role)sとして参加しました。"),
                                               name=lang_ja(organisation.name), role=accepted.membership.get_role_display()))
    else:
        messages.info(request, message_html(_("あなたはすでに団体「%(name)s」の構成員です（%(role)s）。役割は変えていません。"),
                                            name=lang_ja(organisation.name), role=accepted.membership.get_role_display()))
    return redirect("organisation_detail", pk=organisation.pk)
