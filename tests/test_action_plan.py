"""The action plan (対応計画, issue 17): the clocks of actions and reviews (pure), who may change what,
the rules of a status change, stale saves, the record of changes, conditions of approval set by
reviewers and what review approves of the plan. (Where the plan shows: test_action_plan_documents;
reminders and the review date: test_plan_reminders.)"""

import datetime
import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments import action_plan, plan_clock, reviewing
from assessments.access import COMMENT, EDIT, OWN, REVIEW, VIEW, rights_of
from assessments.exchange import assessment_to_data
from assessments.models import Assessment, PlanChange, PlannedAction
from tests.conftest import ready_for_approval
from tests.forms_helper import read_form

D = datetime.date
Status = PlannedAction.Status


# --- The clocks (pure, no database) ------------------------------------------------------------------


@pytest.mark.parametrize(("today", "state", "left"), [
    (D(2027, 3, 1), plan_clock.OPEN, 30),
    (D(2027, 3, 23), plan_clock.OPEN, 8),
    (D(2027, 3, 24), plan_clock.SOON, 7),
    (D(2027, 3, 31), plan_clock.DUE_TODAY, 0),
    (D(2027, 4, 1), plan_clock.OVERDUE, -1),
])
def test_an_open_action_is_soon_a_week_before_due_on_its_day_and_overdue_the_day_after(today, state, left):
    due = D(2027, 3, 31)
    assert plan_clock.due_state(is_open=True, due_on=due, today=today) == state
    assert plan_clock.days_left(due, today) == left


def test_closed_or_undated_actions_are_never_overdue():
    assert plan_clock.due_state(is_open=False, due_on=D(2020, 1, 1), today=D(2027, 1, 1)) == plan_clock.CLOSED
    assert plan_clock.due_state(is_open=True, due_on=None, today=D(2027, 1, 1)) == plan_clock.OPEN


def test_the_plan_lists_overdue_then_soon_then_by_due_day_then_closed():
    today = D(2027, 1, 10)
    rows = {  # name: (is_open, due_on)
        "closed": (False, D(2026, 1, 1)), "undated": (True, None), "later": (True, D(2027, 6, 1)),
        "soon": (True, D(2027, 1, 12)), "overdue": (True, D(2027, 1, 9)), "next": (True, D(2027, 2, 1)),
    }
    ordered = sorted(rows, key=lambda n: plan_clock.plan_order(is_open=rows[n][0], due_on=rows[n][1], today=today))
    assert ordered == ["overdue", "soon", "next", "later", "undated", "closed"]


def test_months_are_added_to_the_last_day_a_month_has():
    assert plan_clock.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert plan_clock.add_months(D(2027, 12, 15), 12) == D(2028, 12, 15)
    assert plan_clock.add_months(D(2024, 2, 29), 60) == D(2029, 2, 28)


def test_the_review_clock_counts_from_approval_and_the_editors_date_wins():
    clock = plan_clock.review_clock(approved_on=D(2026, 4, 1), published_on=D(2026, 5, 1), chosen_review_on=None,
                                    review_months=12, reassess_years=5)
    assert (clock.review_on, clock.reassess_by, clock.review_set_by_hand) == (D(2027, 4, 1), D(2031, 4, 1), False)
    assert clock.state(D(2027, 3, 31)) == ""
    assert clock.state(D(2027, 4, 1)) == plan_clock.REVIEW_DUE
    assert clock.state(D(2031, 4, 1)) == plan_clock.REASSESSMENT_DUE
    chosen = plan_clock.review_clock(approved_on=None, published_on=D(2026, 5, 1), chosen_review_on=D(2026, 11, 1),
                                     review_months=12, reassess_years=5)
    assert (chosen.review_on, chosen.reassess_by, chosen.review_set_by_hand) == (D(2026, 11, 1), D(2031, 5, 1), True)
    never = plan_clock.review_clock(approved_on=None, published_on=None, chosen_review_on=None, review_months=12,
                                    reassess_years=5)
    assert never.review_on is None and never.state(D(2099, 1, 1)) == ""


def test_a_status_needs_its_reason_or_its_source():
    today = D(2027, 1, 10)
    assert set(action_plan.status_problems("declined", declined_reason=" ", done_on=None, evidence_title="",
                                           today=today)) == {"declined_reason"}
    assert set(action_plan.status_problems("done", declined_reason="", done_on=None, evidence_title="",
                                           today=today)) == {"done_on", "evidence_title"}
    assert set(action_plan.status_problems("done", declined_reason="", done_on=D(2027, 1, 11), evidence_title="回答書",
                                           today=today)) == {"done_on"}  # not in the future
    assert action_plan.status_problems("done", declined_reason="", done_on=today, evidence_title="回答書", today=today) == {}
    assert action_plan.status_problems("doing", declined_reason="", done_on=None, evidence_title="", today=today) == {}


def test_who_may_change_the_plan_follows_status_and_rights():
    editor, reviewer = {VIEW, COMMENT, EDIT}, {VIEW, COMMENT, REVIEW}
    assert action_plan.plan_rights("draft", editor) == action_plan.PlanRights(edit=True, require=False, progress=True)
    assert action_plan.plan_rights("in_review", editor) == action_plan.PlanRights(edit=False, require=False, progress=True)
    assert action_plan.plan_rights("published", editor | {OWN}).progress
    assert action_plan.plan_rights("in_review", reviewer) == action_plan.PlanRights(edit=False, require=True, progress=False)
    assert action_plan.plan_rights("approved", reviewer) == action_plan.PlanRights(edit=False, require=False, progress=False)
    assert action_plan.plan_rights("draft", {VIEW, COMMENT}) == action_plan.PlanRights(False, False, False)


# --- Writes -------------------------------------------------------------------------------------------


def make_action(cast, title="委託契約書の写しを入手する", due_on=D(2027, 3, 31), question=None, **values):
    assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    return action_plan.action_create(
        assessment=assessment, user=cast["editor"], rights=rights_of(cast["editor"], assessment), question=question,
        values={"title": title, "detail": "", "responsible": "department", "responsible_name": "", "due_on": due_on,
                **values})


def set_status(cast, action, status, role="editor", **extra):
    action.refresh_from_db()
    assessment = Assessment.objects.get(pk=action.assessment_id)
    return action_plan.action_set_status(
        action=action, user=cast[role], rights=rights_of(cast[role], assessment), status=status, note="",
        base_version=action.version, today=D(2027, 1, 10), **extra)


@pytest.mark.django_db
def test_declining_needs_a_reason_on_the_page_with_the_input_kept(client, cast):
    action = make_action(cast)
    client.force_login(cast["editor"])
    url = reverse("action_status", args=[cast["assessment"].pk, action.pk])
    response = client.post(url, {"status": "declined", "note": "町に断られた", "declined_reason": "", "version": action.version})
    page = response.content.decode()
    assert response.status_code == 400 and "見送る理由を書いてください。" in page and "町に断られた" in page
    assert page.index("見送る理由を書いてください。") > page.index('name="declined_reason"') - 600  # beside the field
    action.refresh_from_db()
    assert action.status == "todo"
    response = client.post(url, {"status": "declined", "note": "", "declined_reason": "町が別の方法で対応すると回答した",
                                 "version": action.version})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "declined" and action.declined_reason == "町が別の方法で対応すると回答した"
    change = PlanChange.objects.filter(action=action, kind="status").get()
    assert (change.user, change.from_status, change.to_status) == (cast["editor"], "todo", "declined")
    assert "町が別の方法で対応すると回答した" in change.note


@pytest.mark.django_db
def test_done_records_its_source_and_the_url_is_shown_as_text(client, cast):
    action = make_action(cast)
    client.force_login(cast["editor"])
    url = reverse("action_status", args=[cast["assessment"].pk, action.pk])
    refused = client.post(url, {"status": "done", "done_on": "2026-11-05", "evidence_title": "", "version": action.version})
    assert refused.status_code == 400 and "完了したことを示す資料" in refused.content.decode()
    client.post(url, {"status": "done", "done_on": "令和8年11月5日", "evidence_title": "町からの回答書",
                      "evidence_url": "javascript:alert(1)", "evidence_page": "3", "evidence_date": "2026-11-04",
                      "version": action.version})
    action.refresh_from_db()
    assert (action.status, action.done_on, action.evidence_title, action.evidence_page) == (
        "done", D(2026, 11, 5), "町からの回答書", "3")
    page = client.get(reverse("action_plan", args=[cast["assessment"].pk])).content.decode()
    assert "町からの回答書" in page and "javascript:alert(1)" in page and 'href="javascript' not in page


@pytest.mark.django_db
def test_a_stale_form_is_refused_and_the_newer_save_kept(client, cast):
    action = make_action(cast)
    client.force_login(cast["editor"])
    base = action.version
    edit = reverse("action_edit", args=[cast["assessment"].pk, action.pk])
    first = client.post(edit, {"title": "新しい題", "responsible": "vendor", "version": base})
    assert first.status_code == 302
    second = client.post(edit, {"title": "古いタブの題", "responsible": "council", "version": base})
    assert second.status_code == 400 and "別のタブまたは別の人" in second.content.decode()
    status = client.post(reverse("action_status", args=[cast["assessment"].pk, action.pk]),
                         {"status": "doing", "version": base})
    assert status.status_code == 400
    action.refresh_from_db()
    assert (action.title, action.responsible, action.status) == ("新しい題", "vendor", "todo")
    with pytest.raises(action_plan.StalePlan):
        action_plan.action_delete(action=action, user=cast["editor"], rights={VIEW, EDIT}, base_version=base)
    assert PlannedAction.objects.filter(pk=action.pk).exists()
    # Both refused forms kept the input and now carry the version they were refused for: sent again
    # as the pages hold them (after reading the latest record), they are stored.
    again = read_form(second.content.decode(), "action-form")
    assert again["title"] == "古いタブの題"
    assert client.post(edit, again).status_code == 302
    status = client.post(reverse("action_status", args=[cast["assessment"].pk, action.pk]),
                         {"status": "doing", "note": "古いタブの記録", "version": base})
    assert status.status_code == 400
    again = read_form(status.content.decode(), "status-form")
    assert again["status"] == "doing" and again["note"] == "古いタブの記録"
    assert client.post(reverse("action_status", args=[cast["assessment"].pk, action.pk]), again).status_code == 302
    action.refresh_from_db()
    assert (action.title, action.responsible, action.status) == ("古いタブの題", "council", "doing")


@pytest.mark.django_db
def test_a_stale_deletion_shows_the_action_as_it_is_now_and_goes_through_when_sent_again(client, cast):
    action = make_action(cast)
    client.force_login(cast["editor"])
    delete = reverse("action_delete", args=[cast["assessment"].pk, action.pk])
    opened = read_form(client.get(delete).content.decode(), "delete-form")  # the confirmation page, opened first
    edit = reverse("action_edit", args=[cast["assessment"].pk, action.pk])
    assert client.post(edit, {"title": "別のタブで変えた題", "responsible": "vendor", "version": action.version}).status_code == 302
    refused = client.post(delete, opened)
    page = refused.content.decode()
    assert refused.status_code == 400 and "それでも削除するときは" in page
    assert "入力はそのまま残しています" not in page  # a confirmation has no input to keep
    assert "別のタブで変えた題" in page  # what would be deleted, as it is now
    assert PlannedAction.objects.filter(pk=action.pk).exists()
    assert client.post(delete, read_form(page, "delete-form")).status_code == 302  # sent again after reading
    assert not PlannedAction.objects.filter(pk=action.pk).exists()


@pytest.mark.django_db
def test_an_edit_of_an_action_deleted_in_another_tab_keeps_what_was_typed(client, cast):
    """It used to be a bare 404 and the typed text was gone."""
    action = make_action(cast)
    client.force_login(cast["editor"])
    edit = reverse("action_edit", args=[cast["assessment"].pk, action.pk])
    form = read_form(client.get(edit).content.decode(), "action-form")
    action_plan.action_delete(action=action, user=cast["editor"], rights={VIEW, EDIT}, base_version=action.version)
    form.update(title="古いタブで直した題", detail="詳しい理由 <b>太字</b>")
    response = client.post(edit, form)
    page = response.content.decode()
    assert response.status_code == 409 and "この対応は、このページを開いた後に削除されていました。保存していません。" in page
    assert "古いタブで直した題</textarea>" in page and "詳しい理由 &lt;b&gt;太字&lt;/b&gt;</textarea>" in page
    assert reverse("action_plan", args=[cast["assessment"].pk]) in page
    assert not PlannedAction.objects.exists()
    assert client.get(edit).status_code == 404  # nothing to open any more
    assert "対応を加える" not in page  # the page of a deleted action, not the form for a new one


@pytest.mark.django_db
def test_a_status_sent_or_a_deletion_confirmed_for_an_action_deleted_meanwhile_is_no_bare_404(client, cast):
    action = make_action(cast)
    client.force_login(cast["editor"])
    status = reverse("action_status", args=[cast["assessment"].pk, action.pk])
    delete = reverse("action_delete", args=[cast["assessment"].pk, action.pk])
    confirm = read_form(client.get(delete).content.decode(), "delete-form")
    action_plan.action_delete(action=action, user=cast["editor"], rights={VIEW, EDIT}, base_version=action.version)
    response = client.post(status, {"status": "doing", "note": "窓口で進み具合を聞いた", "version": action.version})
    page = response.content.decode()
    assert response.status_code == 409 and "削除されていました" in page and "窓口で進み具合を聞いた</textarea>" in page
    second = client.post(delete, confirm)
    assert second.status_code == 302 and second["Location"] == reverse("action_plan", args=[cast["assessment"].pk])
    assert "すでに削除されていました" in client.get(second["Location"]).content.decode()


def test_a_form_whose_record_was_deleted_meanwhile_is_refused_in_words():
    from assessments.action_plan_forms import VersionForm
    from assessments.views.stale_forms import refuse_stale

    form = VersionForm({"version": "3"})
    assert form.is_valid()
    refuse_stale(form, None)  # StalePlan(None): deleted by another tab between the page and the lock
    assert form.non_field_errors() == ["このページを開いた後に、この記録は削除されていました。"]


@pytest.mark.django_db
def test_every_change_is_recorded_with_who_and_a_deleted_action_stays_on_the_record(client, cast):
    action = make_action(cast, title="説明会の開催を求める")
    set_status(cast, action, "doing")
    client.force_login(cast["editor"])
    client.post(reverse("action_delete", args=[cast["assessment"].pk, action.pk]), {"version": action.version + 1})
    assert not PlannedAction.objects.filter(pk=action.pk).exists()
    kinds = list(PlanChange.objects.filter(assessment=cast["assessment"]).order_by("at", "pk")
                 .values_list("kind", "action_title", "user__username"))
    assert kinds == [("created", "説明会の開催を求める", "dave"), ("status", "説明会の開催を求める", "dave"),
                     ("deleted", "説明会の開催を求める", "dave")]
    page = client.get(reverse("action_plan", args=[cast["assessment"].pk])).content.decode()
    assert "削除「説明会の開催を求める」" in page


@pytest.mark.django_db
def test_editors_change_the_plan_only_while_the_answers_are_editable(client, cast):
    action = make_action(cast)
    ready_for_approval(cast)
    client.force_login(cast["editor"])
    assert client.get(reverse("action_new", args=[cast["assessment"].pk])).status_code == 403
    assert client.post(reverse("action_edit", args=[cast["assessment"].pk, action.pk]),
                       {"title": "変える", "responsible": "vendor", "version": action.version}).status_code == 403
    # Progress is still recorded.
    assert client.post(reverse("action_status", args=[cast["assessment"].pk, action.pk]),
                       {"status": "doing", "version": action.version}).status_code == 302
    action.refresh_from_db()
    assert (action.title, action.status) == ("委託契約書の写しを入手する", "doing")


# --- Conditions of approval ---------------------------------------------------------------------------


def approve(cast):
    assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    return reviewing.assessment_transition(assessment=assessment, user=cast["reviewer"],
                                           rights=rights_of(cast["reviewer"], assessment), action="approve")


@pytest.mark.django_db
def test_a_reviewer_requires_an_action_and_approval_waits_until_it_is_done(client, cast):
    ready_for_approval(cast)
    client.force_login(cast["reviewer"])
    form = client.get(reverse("action_new", args=[cast["assessment"].pk])).content.decode()
    assert "承認の条件になります" in form
    response = client.post(reverse("action_new", args=[cast["assessment"].pk]),
                           {"title": "消去証明書の様式を契約に加える", "responsible": "vendor", "version": 0})
    assert response.status_code == 302
    condition = PlannedAction.objects.get(title="消去証明書の様式を契約に加える")
    assert condition.required and condition.required_by == cast["reviewer"]
    # Approval is refused, by the page and by the service, naming the condition.
    page = client.post(reverse("assessment_transition", args=[cast["assessment"].pk]), {"action": "approve"},
                       follow=True).content.decode()
    assert "承認の条件とされた対応が、まだ完了していません（1件: 「消去証明書の様式を契約に加える」）" in page
    assert Assessment.objects.get(pk=cast["assessment"].pk).status == "in_review"
    review_page = client.get(reverse("assessment_review", args=[cast["assessment"].pk])).content.decode()
    assert "消去証明書の様式を契約に加える" in review_page
    # Declined is not done either.
    set_status(cast, condition, "declined", declined_reason="事業者が応じない")
    with pytest.raises(ValidationError, match="承認の条件"):
        approve(cast)
    # The editors may not change or delete a reviewer's condition; they record it done.
    client.force_login(cast["editor"])
    condition.refresh_from_db()
    assert client.get(reverse("action_edit", args=[cast["assessment"].pk, condition.pk])).status_code == 403
    assert client.post(reverse("action_delete", args=[cast["assessment"].pk, condition.pk]),
                       {"version": condition.version}).status_code == 403
    set_status(cast, condition, "done", done_on=D(2027, 1, 9), evidence_title="改定された委託契約書")
    # The plan changed after the reviewer's opinion: they look at the action done and confirm it.
    with pytest.raises(ValidationError, match="意見を述べ直してもらってください"):
        approve(cast)
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=None,
                           verdict="appropriate", text="条件の対応を確かめた")
    assert approve(cast).status == "approved"


@pytest.mark.django_db
def test_only_a_reviewer_in_review_marks_or_clears_a_condition(client, cast):
    action = make_action(cast)
    client.force_login(cast["reviewer"])
    url = reverse("action_require", args=[cast["assessment"].pk, action.pk])
    assert client.post(url, {"required": "yes", "version": action.version}).status_code == 403  # a draft
    ready_for_approval(cast)
    client.force_login(cast["editor"])
    assert client.post(url, {"required": "yes", "version": action.version}).status_code == 403
    client.force_login(cast["reviewer"])
    assert client.post(url, {"required": "yes", "note": "契約の確認が先", "version": action.version}).status_code == 302
    action.refresh_from_db()
    assert action.required
    with pytest.raises(ValidationError):
        approve(cast)
    client.post(url, {"required": "no", "version": action.version})
    assert approve(cast).status == "approved"
    assert list(PlanChange.objects.filter(action=action).exclude(kind="created").values_list("kind", "user__username")) == [
        ("unrequired", "rita"), ("required", "rita")]


@pytest.mark.django_db
def test_progress_keeps_an_approval_and_declining_sends_it_back_to_review(cast):
    carried = make_action(cast, title="説明会を開いてもらう")
    declined = make_action(cast, title="契約を見直してもらう")
    ready_for_approval(cast)
    approved = approve(cast)
    assert approved.approved_fingerprint == reviewing.content_fingerprint(approved)
    set_status(cast, carried, "doing")
    set_status(cast, carried, "done", done_on=D(2027, 1, 9), evidence_title="説明会の記録")
    assert Assessment.objects.get(pk=approved.pk).status == "approved"
    set_status(cast, declined, "declined", declined_reason="町が応じない")
    reopened = Assessment.objects.get(pk=approved.pk)
    assert reopened.status == "in_review"
    assert "対応計画「契約を見直してもらう」（見送り）" in reopened.status_changes.last().note


@pytest.mark.django_db
def test_an_assessment_without_a_plan_keeps_the_fingerprint_it_was_approved_with(cast):
    ready_for_approval(cast)
    approved = approve(cast)
    before = approved.approved_fingerprint
    # The digest as it was made before plans existed: an empty plan adds nothing to it, so what was
    # approved then is not taken for changed (and sent back to review) now.
    data = assessment_to_data(approved)
    old_material = {"answers": data["answers"], "inventory": data["inventory"], "resident_views": None}
    assert before == hashlib.sha256(json.dumps(old_material, sort_keys=True, ensure_ascii=False,
                                                      default=str).encode()).hexdigest()
    assert reviewing.content_fingerprint(approved) == before
    PlannedAction.objects.create(assessment=approved, title="承認の後に足された対応")
    assert reviewing.content_fingerprint(Assessment.objects.get(pk=approved.pk)) != before


def test_reviewers_and_editors_without_rights_are_refused_by_the_services(db, cast):
    assessment = cast["assessment"]
    with pytest.raises(PermissionDenied):
        action_plan.action_create(assessment=assessment, user=cast["viewer"], rights={VIEW, COMMENT},
                                  values={"title": "x"})
    assert not PlannedAction.objects.exists()
