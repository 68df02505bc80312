"""Workflow, history, review body in the report and publication."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments import answer_saving, reviewing
from assessments.access import COMMENT, EDIT, OWN, REVIEW, VIEW, rights_of
from assessments.models import Answer, AnswerHistory, Assessment, StatusChange
from assessments.reports import render
from tests.conftest import answer_every_question, ready_for_approval
from tests.forms_helper import read_form

pytestmark = pytest.mark.django_db


def move(cast, role, action, note=""):
    assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    user = cast[role]
    return reviewing.assessment_transition(
        assessment=assessment, user=user, rights=rights_of(user, assessment), action=action, note=note
    )


def test_allowed_actions_follow_status_and_rights():
    def keys(status, rights):
        return [a.key for a in reviewing.allowed_actions(status, rights)]

    assert keys("draft", {VIEW, EDIT}) == ["submit"]
    assert keys("draft", {VIEW, REVIEW}) == []
    assert keys("submitted", {VIEW, REVIEW}) == ["start_review", "return"]
    assert keys("in_review", {VIEW, REVIEW}) == ["return", "approve"]
    assert keys("approved", {VIEW, EDIT, OWN}) == ["publish"]
    assert keys("approved", {VIEW, EDIT}) == []
    assert keys("returned", {VIEW, EDIT}) == ["submit"]
    assert keys("published", {VIEW, OWN}) == ["unpublish"]


def test_the_whole_workflow_is_recorded(cast):
    move(cast, "editor", "submit", "初稿です")
    move(cast, "reviewer", "start_review")
    move(cast, "reviewer", "return", "D節の根拠資料が足りません")
    answer_every_question(cast["assessment"], cast["editor"])
    move(cast, "editor", "submit")
    move(cast, "reviewer", "start_review")
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=None, verdict="appropriate", text="")
    move(cast, "reviewer", "approve")
    published = move(cast, "owner", "publish")
    assert published.status == "published" and published.published_at is not None
    changes = list(StatusChange.objects.values_list("from_status", "to_status", "user__username", "note"))
    assert changes[0] == ("draft", "submitted", "dave", "初稿です")
    assert changes[2] == ("in_review", "returned", "rita", "D節の根拠資料が足りません")
    assert changes[-1] == ("approved", "published", "bob", "")
    assert len(changes) == 7


@pytest.mark.parametrize("role, action", [
    ("viewer", "submit"), ("reviewer", "submit"), ("staff", "submit"),
    ("editor", "approve"), ("owner", "start_review"), ("editor", "publish"),
])
def test_transitions_refused_by_role(cast, role, action):
    if action in ("approve", "start_review"):
        move(cast, "editor", "submit")
    with pytest.raises(PermissionDenied):
        move(cast, role, action)
    assert StatusChange.objects.count() == (1 if action in ("approve", "start_review") else 0)


def test_publish_needs_approval_and_return_needs_a_reason(cast):
    with pytest.raises(ValidationError, match="この評価はいま「作成中」です。「住民に公開する」はできません。"):
        move(cast, "owner", "publish")
    with pytest.raises(PermissionDenied):  # no right to approve, whatever the state
        move(cast, "editor", "approve")
    move(cast, "editor", "submit")
    with pytest.raises(ValidationError):
        move(cast, "reviewer", "return", "   ")
    assert Assessment.objects.get().status == "submitted"


def test_answers_are_read_only_from_submission_until_returned(client, cast):
    client.force_login(cast["editor"])
    url = reverse("assessment_section", args=[cast["assessment"].pk, "a"])
    data = read_form(client.get(url).content.decode())
    move(cast, "editor", "submit")
    data.update({"q-a-public-comment": "done", "goto": "a"})
    assert client.post(url, data).status_code == 403
    page = client.get(url).content.decode()
    assert "提出されています" in page and re.search(r"<fieldset disabled[\s>]", page)
    assert not AnswerHistory.objects.exists()
    move(cast, "reviewer", "return", "直してください")
    data = read_form(client.get(url).content.decode())
    data.update({"q-a-public-comment": "done", "goto": "a"})
    assert client.post(url, data).status_code == 302
    move(cast, "editor", "submit")
    assessment = Assessment.objects.get()
    with pytest.raises(answer_saving.AnswersLocked):
        answer_saving.answers_save(assessment=assessment, user=cast["editor"],
                                   changes={assessment.question_set.questions.get(key="a-public-comment"):
                                            answer_saving.AnswerChange(value="partial", base={"value": 9})})


def test_every_answer_change_is_kept_and_shown(client, cast):
    assessment = cast["assessment"]
    question = assessment.question_set.questions.get(key="a-public-comment")
    for value, note in (("unknown", "町に確認中"), ("partial", "意見募集は2週間")):
        stored = Answer.objects.filter(question=question).first()
        base = {part: answer_saving.part_version(stored, part) for part in ("value", "note")}
        outcome = answer_saving.answers_save(assessment=assessment, user=cast["editor"],
                                             changes={question: answer_saving.AnswerChange(value=value, note=note, base=base)})
        assert outcome.saved == ["a-public-comment"] and not outcome.conflicts
    entries = list(AnswerHistory.objects.filter(question=question).order_by("revision"))
    assert [(e.old, e.new["value"], e.new["note"], e.user.username) for e in entries][0] == (None, "unknown", "町に確認中", "dave")
    assert entries[1].old["value"] == "unknown" and entries[1].new["value"] == "partial"
    client.force_login(cast["viewer"])
    page = client.get(reverse("answer_history", args=[assessment.pk, "a-public-comment"])).content.decode()
    assert page.count("<tr>") == 3 and "意見募集は2週間" in page and "町に確認中" in page


def test_the_report_shows_the_review_body_opinions_and_residents_views(cast):
    assessment = cast["assessment"]
    reviewing.reviewer_add(assessment=assessment, username="charlie", kind="expert")
    section = assessment.question_set.sections.get(key="d")
    reviewing.opinion_save(assessment=assessment, user=cast["reviewer"], section=None, verdict="conditional",
                           text="契約書の開示を条件に妥当")
    reviewing.opinion_save(assessment=assessment, user=cast["reviewer"], section=section, verdict="reconsider",
                           text="消去条項がない")
    reviewing.resident_views_save(assessment=assessment, user=cast["editor"], sought="no", methods=[], summary="", response="",
                                  reason_not_sought="町は実証事業のため不要と説明")
    move(cast, "editor", "submit")
    html = render.report_html(Assessment.objects.get())
    assert "住民委員 1名、専門家 1名" in html
    assert "条件付き妥当" in html and "契約書の開示を条件に妥当" in html and "要再検討" in html and "消去条項がない" in html
    assert "町は実証事業のため不要と説明" in html
    assert "作成中 → 提出済み" in html


def test_a_published_assessment_is_public_until_unpublished(client, cast):
    ready_for_approval(cast)
    move(cast, "reviewer", "approve")
    move(cast, "owner", "publish")
    pk = cast["assessment"].pk
    assert "守る会の評価" in client.get(reverse("public_list")).content.decode()
    page = client.get(reverse("public_assessment", args=[pk]))
    assert page.status_code == 200 and "守る会の評価" in page.content.decode()
    report = client.get(reverse("public_report_pdf", args=[pk]))
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    assert client.get(reverse("public_letter_pdf", args=[pk])).status_code == 200
    # Still private to members for the editing pages.
    assert client.get(reverse("assessment_summary", args=[pk])).status_code == 302
    move(cast, "owner", "unpublish", "誤りの訂正のため")
    assert client.get(reverse("public_assessment", args=[pk])).status_code == 404


def test_reviewer_seats_need_an_existing_user_once(cast):
    with pytest.raises(ValidationError):
        reviewing.reviewer_add(assessment=cast["assessment"], username="nobody", kind="expert")
    with pytest.raises(ValidationError):
        reviewing.reviewer_add(assessment=cast["assessment"], username="rita", kind="expert")


def test_rights_of_each_role(cast):
    assessment = cast["assessment"]
    assert rights_of(cast["viewer"], assessment) == {VIEW, COMMENT}
    assert rights_of(cast["editor"], assessment) == {VIEW, COMMENT, EDIT}
    assert rights_of(cast["owner"], assessment) == {VIEW, COMMENT, EDIT, OWN}
    assert rights_of(cast["reviewer"], assessment) == {VIEW, COMMENT, REVIEW}
    assert rights_of(cast["staff"], assessment) == {VIEW}
    assert rights_of(cast["outsider"], assessment) == set()
