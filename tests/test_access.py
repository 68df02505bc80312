"""Who may see and do what: every URL that touches an assessment × every kind of person."""

import json

import pytest
from django.urls import reverse

from assessments.models import (Answer, Assessment, Comment, DismissedSuggestion, PlannedAction, Reviewer, ReviewOpinion,
                                ReviewSchedule)
from tests.forms_helper import read_form
from tests.test_workflow import move

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "viewer", "editor", "owner", "reviewer", "staff")


def client_for(client, cast, role):
    if role != "anonymous":
        client.force_login(cast[role])
    return client


def the_request(cast):
    """A question letter recorded as sent on the cast's assessment (made once per test)."""
    from django.utils import timezone

    from assessments import municipality_requests

    if "request" not in cast:
        cast["request"] = municipality_requests.request_create(
            assessment=cast["assessment"], user=cast["editor"],
            values={"kind": "letter", "title": "質問書", "sent_on": timezone.localdate()},
            questions=[], documents=[], today=timezone.localdate())
    return cast["request"]


REQUEST_PAGES = ("request_detail", "request_edit", "request_transition", "request_reply")


def the_action(cast):
    """An action of the plan of the cast's assessment (made once per test)."""
    from assessments import action_plan
    from assessments.access import rights_of

    if "action" not in cast:
        cast["action"] = action_plan.action_create(
            assessment=cast["assessment"], user=cast["editor"], rights=rights_of(cast["editor"], cast["assessment"]),
            values={"title": "委託契約書の写しを入手する"})
    return cast["action"]


ACTION_PAGES = ("action_detail", "action_edit", "action_status", "action_require", "action_delete")
def with_previous(cast):
    """The cast's assessment as a re-assessment of an earlier one of the same group (made once)."""
    from assessments.answer_saving import assessment_create

    if "previous" not in cast:
        assessment = cast["assessment"]
        cast["previous"] = assessment_create(user=cast["editor"], project=assessment.project,
                                             question_set=assessment.question_set, title="前回の評価",
                                             standpoint="resident", organisation=cast["group"])
        Assessment.objects.filter(pk=assessment.pk).update(
            previous=cast["previous"], carry_over={"from": cast["previous"].pk, "from_title": "前回の評価",
                                                   "carried": 0, "not_carried": [], "new_questions": 0})
    return cast["previous"]


def request(client, cast, name, method):
    assessment = cast["assessment"]
    if name == "assessment_section":
        url = reverse("assessment_section", args=[assessment.pk, "a"])
        page = client.get(url)
        data = read_form(page.content.decode()) if page.status_code == 200 else {}
        data.update({"q-a-public-comment": "done", "goto": "a"})
        return client.post(url, data)
    if name in ("reassessment_compare", "reassessment_result"):
        with_previous(cast)
    args = {
        "answer_history": [assessment.pk, "a-public-comment"],
        "reviewer_remove": [assessment.pk, cast["seat"].pk],
        **{page: [assessment.pk, the_request(cast).pk] for page in REQUEST_PAGES if name == page},
        **{page: [assessment.pk, the_action(cast).pk] for page in ACTION_PAGES if name == page},
    }.get(name, [assessment.pk])
    url = reverse(name, args=args)
    if method == "get":
        return client.get(url)
    data = {
        "assessment_section": None,
        "assessment_autosave": None,
        "reviewer_add": {"username": "charlie", "kind": "expert"},
        "reviewer_remove": {},
        "opinion_save": {"prefix": "op", "op-section": "", "op-verdict": "conditional", "op-text": "条件付き"},
        "resident_views_save": {"sought": "no", "reason_not_sought": "説明会は開かれていない"},
        "comment_add": {"question": "a-public-comment", "text": "確認が必要です"},
        "reviewer_consent": {"named": "yes"},
        "request_transition": {"kind": "waiting", "on": the_request(cast).sent_on.isoformat(), "note": "",
                               "version": the_request(cast).version} if name == "request_transition" else None,
        "action_status": {"status": "doing", "version": PlannedAction.objects.get(pk=the_action(cast).pk).version}
        if name == "action_status" else None,
        "action_require": {"required": "yes", "version": 0},
        "review_date": {"review_on": "2027-04-01", "reason": "見直しを終えた",
                        "version": ReviewSchedule.objects.filter(assessment=assessment).values_list("version", flat=True).first() or 0},
    }[name]
    if name == "assessment_autosave":
        return client.post(url, json.dumps({"question": "a-public-comment", "value": "done", "base": 0}),
                           content_type="application/json")
    return client.post(url, data)


# Expected status per URL and role for a draft assessment. 302 for anonymous is the sign-in redirect.
GET_PAGES = ["assessment_detail", "report_pdf", "report_preview", "letter_pdf", "letter_text", "letter_preview",
             "assessment_review", "answer_history", "assessment_summary", "export_assessment_json"]
MATRIX = {
    **{(name, "get"): {"anonymous": 302, "outsider": 404, "viewer": 200, "editor": 200, "owner": 200,
                       "reviewer": 200, "staff": 200} for name in GET_PAGES},
    ("assessment_detail", "get"): {"anonymous": 302, "outsider": 404, "viewer": 302, "editor": 302, "owner": 302,
                                   "reviewer": 302, "staff": 302},
    ("assessment_section", "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 302, "owner": 302,
                                     "reviewer": 403, "staff": 403},
    # A background save answers in JSON ({"signed_out": true}), not with the sign-in page (test_wizard).
    ("assessment_autosave", "post"): {"anonymous": 403, "outsider": 404, "viewer": 403, "editor": 200, "owner": 200,
                                      "reviewer": 403, "staff": 403},
    ("reviewer_add", "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 403, "owner": 302,
                               "reviewer": 403, "staff": 403},
    ("reviewer_remove", "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 403, "owner": 302,
                                  "reviewer": 403, "staff": 403},
    ("opinion_save", "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 403, "owner": 403,
                               "reviewer": 302, "staff": 403},
    ("resident_views_save", "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 302, "owner": 302,
                                      "reviewer": 403, "staff": 403},
    ("comment_add", "post"): {"anonymous": 302, "outsider": 404, "viewer": 302, "editor": 302, "owner": 302,
                              "reviewer": 302, "staff": 403},
    # A draft is deleted by its author (dave, the editor) or an owner of the organisation; the page
    # asks first (the post is tested in test_accounts, as it would remove the cast's assessment).
    ("assessment_delete", "get"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 200, "owner": 200,
                                   "reviewer": 403, "staff": 403},
    # Requests to the municipality: everyone who may see the assessment sees them; editors record.
    **{(name, "get"): {"anonymous": 302, "outsider": 404, "viewer": 200, "editor": 200, "owner": 200,
                       "reviewer": 200, "staff": 200} for name in ("request_list", "request_detail")},
    ("request_new", "get"): {"anonymous": 302, "outsider": 404, "viewer": 302, "editor": 200, "owner": 200,
                             "reviewer": 302, "staff": 302},  # those who may not record go back to the list
    ("request_transition", "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 302, "owner": 302,
                                     "reviewer": 403, "staff": 403},
    # The action plan: everyone who may see the assessment sees it and exports it; its editors change
    # it while it is a draft and record progress and the review date; a reviewer adds or marks
    # conditions of approval only while it is in review (test_action_plan), so not in this draft.
    **{(name, "get"): {"anonymous": 302, "outsider": 404, "viewer": 200, "editor": 200, "owner": 200,
                       "reviewer": 200, "staff": 200}
       for name in ("action_plan", "action_plan_csv", "action_plan_xlsx", "action_detail")},
    **{(name, "get"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 200, "owner": 200,
                       "reviewer": 403, "staff": 403} for name in ("action_new", "action_edit", "action_delete")},
    **{(name, "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 302, "owner": 302,
                        "reviewer": 403, "staff": 403} for name in ("action_status", "review_date")},
    ("action_require", "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 403, "owner": 403,
                                 "reviewer": 403, "staff": 403},
    # Re-assessment (再評価): its editors start one from an unpublished assessment; those who may only
    # read it may not take its content elsewhere (anyone may, from a published one: test_reassessment).
    ("reassessment_start", "get"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 200, "owner": 200,
                                    "reviewer": 403, "staff": 403},
    **{(name, "get"): {"anonymous": 302, "outsider": 404, "viewer": 200, "editor": 200, "owner": 200,
                       "reviewer": 200, "staff": 200} for name in ("reassessment_compare", "reassessment_result")},
    # Only a reviewer chooses whether their own name is published.
    ("reviewer_consent", "post"): {"anonymous": 302, "outsider": 404, "viewer": 404, "editor": 404, "owner": 404,
                                   "reviewer": 302, "staff": 404},
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, cast, role):
    """Every URL for one kind of person (reads first, then writes), all mismatches reported at once."""
    client_for(client, cast, role)
    ordered = sorted(MATRIX.items(), key=lambda item: item[0][1] != "get")
    mismatches = []
    for (name, method), row in ordered:
        response = request(client, cast, name, method)
        if response.status_code != row[role]:
            mismatches.append((name, method, response.status_code, row[role]))
        elif role == "anonymous" and response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
    assert mismatches == []


def stored_state(assessment):
    """Everything a refused write could touch, as comparable data."""
    from assessments.models import Comment, MunicipalityRequest, ResidentViews, StatusChange

    fresh = Assessment.objects.get(pk=assessment.pk)
    return {
        "assessment": (fresh.revision, fresh.status, fresh.title),
        "answers": sorted(Answer.objects.filter(assessment=assessment).values_list("question__key", "value", "note")),
        "reviewers": sorted(Reviewer.objects.filter(assessment=assessment).values_list("user__username", "kind", "named")),
        "opinions": sorted(ReviewOpinion.objects.filter(assessment=assessment).values_list("reviewer_id", "verdict", "text")),
        "resident_views": list(ResidentViews.objects.filter(assessment=assessment).values_list("sought", "summary")),
        "comments": Comment.objects.filter(assessment=assessment).count(),
        "status_changes": StatusChange.objects.filter(assessment=assessment).count(),
        "requests": sorted(MunicipalityRequest.objects.filter(assessment=assessment).values_list("state", "version")),
        "plan": sorted(PlannedAction.objects.filter(assessment=assessment).values_list("title", "status", "required", "version")),
        "review_date": list(ReviewSchedule.objects.filter(assessment=assessment).values_list("review_on", "version")),
    }


@pytest.mark.parametrize("role", ["outsider", "viewer", "reviewer", "staff"])
def test_refused_writes_change_nothing(client, cast, role):
    client_for(client, cast, role)
    the_request(cast)
    the_action(cast)
    before = stored_state(cast["assessment"])
    refused = ["assessment_section", "assessment_autosave", "reviewer_add", "reviewer_remove", "resident_views_save",
               "request_transition", "action_status", "action_require", "review_date"]
    if role != "reviewer":
        refused.append("opinion_save")
    for name in refused:
        assert request(client, cast, name, "post").status_code in (403, 404), name
    assert stored_state(cast["assessment"]) == before


def test_a_seat_given_to_the_author_outside_the_rules_gives_no_review(client, cast):
    """A seat made before the rules (or straight in the database) for someone who wrote the
    assessment does not let them review it."""
    Reviewer.objects.create(assessment=cast["assessment"], user=cast["editor"], kind="expert")
    move(cast, "editor", "submit")
    client_for(client, cast, "editor")
    before = stored_state(cast["assessment"])
    assert request(client, cast, "opinion_save", "post").status_code == 403
    response = client.post(reverse("assessment_transition", args=[cast["assessment"].pk]), {"action": "start_review"})
    assert response.status_code == 403 and stored_state(cast["assessment"]) == before


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_of_an_unpublished_assessment_are_404(client, cast, role):
    client_for(client, cast, role)
    for name in ("public_assessment", "public_report_pdf", "public_letter_pdf"):
        assert client.get(reverse(name, args=[cast["assessment"].pk])).status_code == 404


def test_no_list_shows_another_organisations_assessment(client, cast):
    client.force_login(cast["outsider"])
    for url in (reverse("assessment_list"), reverse("project_detail", args=["case-misato-kodomo-data"]),
                reverse("public_list"), reverse("project_list") + "?q=守る会"):
        assert "守る会の評価" not in client.get(url).content.decode(), url
    client.force_login(cast["viewer"])
    assert "守る会の評価" in client.get(reverse("assessment_list")).content.decode()
    client.force_login(cast["reviewer"])
    assert "守る会の評価" in client.get(reverse("assessment_list")).content.decode()


def test_a_withdrawn_reviewer_finds_the_assessment_in_no_list_and_no_export(client, cast):
    from django.utils import timezone

    from assessments.models import Reviewer

    client.force_login(cast["reviewer"])
    urls = (reverse("assessment_list"), reverse("my_requests"), reverse("export_assessments_csv"),
            reverse("project_detail", args=["case-misato-kodomo-data"]))

    def shown(url):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        return "守る会の評価" in body.decode("utf-8-sig")

    assert all(shown(url) for url in urls if url != reverse("my_requests"))  # with the seat
    assert "守る会の評価".encode() in _xlsx_strings(client.get(reverse("export_assessments_xlsx")))
    Reviewer.objects.filter(assessment=cast["assessment"], user=cast["reviewer"]).update(withdrawn_at=timezone.now())
    assert [url for url in urls if shown(url)] == []
    xlsx = client.get(reverse("export_assessments_xlsx"))
    assert xlsx.status_code == 200 and "守る会の評価".encode() not in _xlsx_strings(xlsx)
    assert client.get(reverse("assessment_summary", args=[cast["assessment"].pk])).status_code == 404


def _xlsx_strings(response) -> bytes:
    import io
    import zipfile

    body = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist() if name.endswith(".xml"))


def test_comments_are_threaded_and_shown_beside_the_question(client, cast):
    client.force_login(cast["reviewer"])
    request(client, cast, "comment_add", "post")
    first = Comment.objects.get()
    client.force_login(cast["editor"])
    client.post(reverse("comment_add", args=[cast["assessment"].pk]),
                {"question": "a-public-comment", "text": "広報誌を確認します", "parent": first.pk})
    reply = Comment.objects.exclude(pk=first.pk).get()
    assert reply.parent == first and reply.author == cast["editor"]
    page = client.get(reverse("assessment_section", args=[cast["assessment"].pk, "a"])).content.decode()
    block = page.split('id="comments-a-public-comment"')[1]
    assert "確認が必要です" in block and "広報誌を確認します" in block and "rita" in block


def test_a_comment_on_another_sets_question_is_404(client, cast):
    client.force_login(cast["reviewer"])
    response = client.post(reverse("comment_add", args=[cast["assessment"].pk]), {"question": "s0-q0", "text": "x"})
    assert response.status_code == 404 and not Comment.objects.exists()


# --- Staff: any assessment, one at a time, on the record (issue 12, item 11) ---------------------------


def test_a_staff_look_at_another_organisations_draft_is_recorded_and_said(client, cast):
    from assessments.models import StaffAccess

    client.force_login(cast["staff"])
    assessment = cast["assessment"]
    response = client.get(reverse("assessment_summary", args=[assessment.pk]))
    assert response.status_code == 200
    assert 'id="staff-access-notice"' in response.content.decode()
    client.get(reverse("report_pdf", args=[assessment.pk]))
    records = list(StaffAccess.objects.order_by("pk").values("username", "assessment", "assessment_title", "organisation_name", "method", "path"))
    assert records == [
        {"username": "alice", "assessment": assessment.pk, "assessment_title": "守る会の評価",
         "organisation_name": "美里の子どもを守る会", "method": "GET", "path": reverse("assessment_summary", args=[assessment.pk])},
        {"username": "alice", "assessment": assessment.pk, "assessment_title": "守る会の評価",
         "organisation_name": "美里の子どもを守る会", "method": "GET", "path": reverse("report_pdf", args=[assessment.pk])},
    ]


def test_members_reviewers_and_published_assessments_are_not_recorded(client, cast):
    from assessments.models import Membership, StaffAccess

    assessment = cast["assessment"]
    for role in ("owner", "editor", "viewer", "reviewer"):
        client.force_login(cast[role])
        page = client.get(reverse("assessment_summary", args=[assessment.pk])).content.decode()
        assert 'id="staff-access-notice"' not in page
    staff = cast["staff"]
    Membership.objects.create(organisation=cast["group"], user=staff, role="viewer")  # staff, and a member
    client.force_login(staff)
    assert client.get(reverse("assessment_summary", args=[assessment.pk])).status_code == 200
    Membership.objects.filter(user=staff).delete()
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED)
    assert client.get(reverse("assessment_summary", args=[assessment.pk])).status_code == 200
    assert not StaffAccess.objects.exists()


def test_staff_lists_and_exports_hold_only_their_own_assessments(client, cast):
    client.force_login(cast["staff"])
    for url in (reverse("assessment_list"), reverse("project_detail", args=["case-misato-kodomo-data"]),
                reverse("export_assessments_csv")):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200 and "守る会の評価" not in body.decode("utf-8-sig"), url


def test_the_admin_shows_the_records_and_nobody_can_change_or_delete_them(admin_client, cast):
    from assessments.models import StaffAccess

    admin_client.get(reverse("assessment_summary", args=[cast["assessment"].pk]))
    record = StaffAccess.objects.get()
    listing = admin_client.get(reverse("admin:assessments_staffaccess_changelist")).content.decode()
    assert "守る会の評価" in listing and "alice" in listing
    assert admin_client.post(reverse("admin:assessments_staffaccess_delete", args=[record.pk]), {"post": "yes"}).status_code == 403
    assert admin_client.post(reverse("admin:assessments_staffaccess_change", args=[record.pk]), {"username": "x"}).status_code == 403
    assert StaffAccess.objects.get().username == "alice"


ACCOUNT_PAGES = ["account_settings", "account_delete", "password_change"]


@pytest.mark.parametrize("role", ROLES)
def test_account_pages_are_ones_own(client, cast, role):
    """The account pages show the signed-in person's own account, and nobody's when signed out."""
    client_for(client, cast, role)
    for name in ACCOUNT_PAGES:
        response = client.get(reverse(name))
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        else:
            assert response.status_code == 200, name
    if role != "anonymous":
        page = client.get(reverse("account_settings")).content.decode()
        assert f'value="{cast[role].email}"' in page
        others = [cast[other].email for other in ROLES if other not in ("anonymous", role) and cast[other] != cast[role]]
        assert not any(email in page for email in others)
    for name in ("signup", "password_reset", "login"):
        assert client.get(reverse(name)).status_code in (200, 302), name
    assert client.post(reverse("email_resend")).status_code == 302


# --- Risks (リスク): the register's pages on an assessment of the set with a risk part (dx-pia v3) -------

RISK_MATRIX = {
    **{(name, "get"): {"anonymous": 302, "outsider": 404, "viewer": 200, "editor": 200, "owner": 200,
                       "reviewer": 200, "staff": 200} for name in ("risk_list",)},
    **{(name, "get"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 200, "owner": 200,
                       "reviewer": 403, "staff": 403} for name in ("risk_new", "risk_edit", "risk_delete")},
    **{(name, "post"): {"anonymous": 302, "outsider": 404, "viewer": 403, "editor": 302, "owner": 302,
                        "reviewer": 403, "staff": 403}
       for name in ("risk_new", "risk_edit", "suggestion_dismiss", "suggestion_restore", "risk_delete")},
}


@pytest.fixture
def risk_cast(cast):
    """The cast's assessment moved to dx-pia v3 before any answer, with one risk and one suggestion."""
    from assessments import risks
    from assessments import seed
    from assessments.answer_saving import AnswerChange
    from assessments.models import Question
    from assessments.questionset_io import questionset_from_data, read_questionset_file
    from tests.conftest import save_now

    v3 = questionset_from_data(read_questionset_file(seed.FIXTURES / "questionsets" / "dx-pia-v3.json"))
    Assessment.objects.filter(pk=cast["assessment"].pk).update(question_set=v3)
    assessment = cast["assessment"] = Assessment.objects.get(pk=cast["assessment"].pk)
    questions = {q.key: q for q in Question.objects.filter(question_set=v3)}
    save_now(assessment, cast["editor"], {questions["screening-personal-data"]: AnswerChange(value="yes"),
                                          questions["a-consent-legal-basis"]: AnswerChange(value="not-done")})
    part = risks.risk_part(v3)
    cast["risk"] = risks.risk_create(assessment=assessment, user=cast["editor"], values={
        "title": "守る会のリスク", "description": "", "harms": [part.harms["breach"]], "questions": [],
        "data_items": [], "severity": 2, "likelihood": 2, "existing_measures": "", "residual_severity": None,
        "residual_likelihood": None, "residual_note": "", "origin_rule": ""})
    return cast


def risk_request(client, cast, name, method):
    from assessments.models import Risk

    assessment, risk = cast["assessment"], cast["risk"]
    risk.version = Risk.objects.filter(pk=risk.pk).values_list("version", flat=True).first() or risk.version
    rule = "sensitive-without-legal-basis"
    args = {"risk_edit": [risk.pk], "risk_delete": [risk.pk], "suggestion_dismiss": [rule],
            "suggestion_restore": [rule]}.get(name, [])
    url = reverse(name, args=[assessment.pk, *args])
    if method == "get":
        return client.get(url)
    fields = {"title": "書き換え", "harms": ["breach"], "severity": "3", "likelihood": "3"}
    data = {
        "risk_new": {**fields, "version": "0"},
        "risk_edit": {**fields, "version": str(risk.version)},
        "risk_delete": {"version": str(risk.version)},
        "suggestion_dismiss": {"reason": "町が根拠を説明した（架空）"},
        "suggestion_restore": {"seen": str(DismissedSuggestion.objects.filter(
            assessment=assessment, rule_key=rule, restored_at=None).values_list("pk", flat=True).first() or 0)},
    }[name]
    return client.post(url, data)


@pytest.mark.parametrize("role", ROLES)
def test_risk_permission_matrix(client, risk_cast, role):
    client_for(client, risk_cast, role)
    order = ["risk_new", "risk_edit", "suggestion_dismiss", "suggestion_restore", "risk_delete"]
    ordered = sorted(RISK_MATRIX.items(), key=lambda item: (item[0][1] != "get", order.index(item[0][0])
                                                            if item[0][0] in order else -1))
    mismatches = []
    for (name, method), row in ordered:
        response = risk_request(client, risk_cast, name, method)
        if response.status_code != row[role]:
            mismatches.append((name, method, response.status_code, row[role]))
        elif role == "anonymous" and response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
    assert mismatches == []


@pytest.mark.parametrize("role", ["outsider", "viewer", "reviewer", "staff"])
def test_refused_risk_writes_change_nothing(client, risk_cast, role):
    from assessments.models import DismissedSuggestion, Risk

    client_for(client, risk_cast, role)

    def state():
        return (list(Risk.objects.values_list("title", "version")), DismissedSuggestion.objects.count(),
                Assessment.objects.get(pk=risk_cast["assessment"].pk).revision)

    before = state()
    for name in ("risk_new", "risk_edit", "suggestion_dismiss", "suggestion_restore", "risk_delete"):
        assert risk_request(client, risk_cast, name, "post").status_code in (403, 404), name
    assert state() == before
