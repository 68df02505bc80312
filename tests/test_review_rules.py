"""Separation of duties (issue 14): nobody reviews what they wrote, an approval needs the whole review
body, one reviewer from outside, a reason over 要再検討, and a complete assessment; an approval records
the state it approved, and a later change sends the assessment back to review."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import reviewing
from assessments.access import REVIEW, rights_of
from assessments.models import Assessment, Membership, Profile, ResidentViews, ResidentViewsChange, Reviewer, StatusChange
from assessments.reports import render
from tests.conftest import PASSWORD, answer_every_question, ready_for_approval, save_now
from tests.forms_helper import admin_add_reviewer
from tests.test_reports import pdf_text, squash
from tests.test_workflow import move

pytestmark = pytest.mark.django_db


def seat_refusal(cast, username) -> str:
    with pytest.raises(ValidationError) as refused:
        reviewing.reviewer_add(assessment=cast["assessment"], username=username, kind="expert")
    assert not Reviewer.objects.filter(assessment=cast["assessment"], user__username=username).exists()
    return " ".join(refused.value.messages)


def test_the_author_and_the_editors_cannot_be_reviewers(cast):
    assert "作成者" in seat_refusal(cast, "dave")  # wrote it
    assert "編集者・管理者" in seat_refusal(cast, "bob")  # owns the group
    # Someone who once changed an answer, even after leaving the group.
    eve = get_user_model().objects.create_user("eve", "eve@example.org", PASSWORD)
    membership = Membership.objects.create(organisation=cast["group"], user=eve, role="editor")
    question = cast["assessment"].question_set.questions.get(key="a-public-comment")
    from assessments.answer_saving import AnswerChange

    save_now(cast["assessment"], eve, {question: AnswerChange(value="unknown")})
    membership.delete()
    assert "回答を変更した" in seat_refusal(cast, "eve")
    # A viewer of the group and an outsider may review.
    assert reviewing.reviewer_add(assessment=cast["assessment"], username="vera", kind="resident")
    assert reviewing.reviewer_add(assessment=cast["assessment"], username="charlie", kind="expert")


def test_the_review_page_says_why_it_refuses_a_seat(cast):
    owner = Client()
    owner.force_login(cast["owner"])
    response = owner.post(reverse("reviewer_add", args=[cast["assessment"].pk]), {"username": "dave", "kind": "expert"},
                          follow=True)
    assert "評価の作成者は、その評価の審査委員になれません。" in response.content.decode()
    assert not Reviewer.objects.filter(user=cast["editor"]).exists()


def test_the_admin_refuses_the_same_seats(cast):
    staff = Client()
    staff.force_login(cast["staff"])
    response = admin_add_reviewer(staff, cast["assessment"], cast["editor"])
    assert response.status_code == 200 and "評価の作成者は、その評価の審査委員になれません。" in response.content.decode()
    assert not Reviewer.objects.filter(user=cast["editor"]).exists()


def test_a_reviewer_who_becomes_an_editor_loses_the_review_and_one_who_edits_is_withdrawn(cast):
    assessment = cast["assessment"]
    reviewing.opinion_save(assessment=assessment, user=cast["reviewer"], section=None, verdict="appropriate", text="")
    membership = Membership.objects.create(organisation=cast["group"], user=cast["reviewer"], role="editor")
    assert REVIEW not in rights_of(cast["reviewer"], assessment)
    with pytest.raises(PermissionDenied):
        reviewing.opinion_save(assessment=assessment, user=cast["reviewer"], section=None, verdict="reconsider", text="")
    from assessments.answer_saving import AnswerChange

    save_now(assessment, cast["reviewer"], {assessment.question_set.questions.get(key="a-public-comment"):
                                            AnswerChange(value="unknown")})
    seat = Reviewer.objects.get(pk=cast["seat"].pk)
    assert seat.withdrawn_at is not None and seat.withdrawn_reason == "回答を変更したため"
    assert seat.opinions.count() == 1  # kept on the record
    membership.delete()
    assert REVIEW not in rights_of(cast["reviewer"], assessment)  # the seat stays withdrawn
    assert "審査委員がいません" in " ".join(reviewing.approval_check(Assessment.objects.get(pk=assessment.pk)).problems)


def test_an_empty_assessment_cannot_be_approved(cast):
    move(cast, "editor", "submit")
    move(cast, "reviewer", "start_review")
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=None, verdict="appropriate", text="")
    with pytest.raises(ValidationError, match="未回答の必須質問があります"):
        move(cast, "reviewer", "approve")
    assert Assessment.objects.get(pk=cast["assessment"].pk).status == "in_review"


def test_approval_needs_every_reviewers_opinion_and_one_from_outside(cast):
    ready_for_approval(cast)
    reviewing.reviewer_add(assessment=cast["assessment"], username="vera", kind="resident")  # a member
    with pytest.raises(ValidationError, match="全体への意見をまだ述べていない審査委員がいます（1名）"):
        move(cast, "reviewer", "approve")
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["viewer"], section=None, verdict="appropriate", text="")
    # The rule is data: two from outside wanted, only rita is.
    cast["group"].min_outside_reviewers = 2
    cast["group"].save()
    with pytest.raises(ValidationError, match="団体の外からの審査委員が2名以上必要です（いまは1名）"):
        move(cast, "reviewer", "approve")
    cast["group"].min_outside_reviewers = 1
    cast["group"].save()
    assert move(cast, "reviewer", "approve").status == "approved"


def test_approving_over_reconsider_needs_a_reason_shown_in_the_report(cast):
    ready_for_approval(cast)
    section = cast["assessment"].question_set.sections.get(key="d")
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=section, verdict="reconsider",
                           text="消去条項がない")
    with pytest.raises(ValidationError, match="「要再検討」の意見があります（D. ベンダー"):
        move(cast, "reviewer", "approve")
    move(cast, "reviewer", "approve", "消去条項は次の契約更新で入れると町が文書で回答したため")
    text = squash("".join(pdf_text(render.report_pdf(Assessment.objects.get(pk=cast["assessment"].pk)))))
    assert squash("審査委員の意見と異なる判断で承認した理由: 消去条項は次の契約更新で入れると町が文書で回答したため") in text


def test_an_approval_records_its_state_and_a_later_change_reopens_the_review(cast, client):
    ready_for_approval(cast)
    approved = move(cast, "reviewer", "approve")
    assert approved.approved_revision == approved.revision and len(approved.approved_fingerprint) == 64
    assert approved.approved_fingerprint == reviewing.content_fingerprint(approved)
    move(cast, "owner", "publish")
    public = client.get(reverse("public_assessment", args=[approved.pk])).content.decode()
    assert f"承認された内容: 第{approved.approved_revision}版" in public and approved.approved_fingerprint[:12] in public
    # The residents' views of a published assessment change: back to review, no longer public.
    reviewing.resident_views_save(assessment=approved, user=cast["editor"], sought="yes", methods=["説明会"],
                                  summary="説明会で反対意見が多かった", response="", reason_not_sought="")
    reopened = Assessment.objects.get(pk=approved.pk)
    assert reopened.status == "in_review" and reopened.published_at is None
    last = StatusChange.objects.filter(assessment=approved).last()
    assert (last.from_status, last.to_status) == ("published", "in_review")
    assert last.note.startswith("承認後に変更されました: 住民・当事者の意見（") and "寄せられた意見の要旨" in last.note
    assert client.get(reverse("public_assessment", args=[approved.pk])).status_code == 404
    change = ResidentViewsChange.objects.get(assessment=approved)
    assert change.user == cast["editor"] and change.new["summary"] == "説明会で反対意見が多かった"


def test_residents_views_before_submission_are_recorded_and_saving_the_same_again_is_not_a_change(cast):
    for _ in range(2):
        reviewing.resident_views_save(assessment=cast["assessment"], user=cast["editor"], sought="no", methods=[],
                                      summary="", response="", reason_not_sought="実証事業のため")
    assert ResidentViewsChange.objects.filter(assessment=cast["assessment"]).count() == 1
    assert Assessment.objects.get(pk=cast["assessment"].pk).status == "draft"
    reviewing.resident_views_save(assessment=cast["assessment"], user=cast["owner"], sought="yes", methods=["説明会"],
                                  summary="賛否が分かれた", response="", reason_not_sought="")
    editor = Client()
    editor.force_login(cast["editor"])
    history = editor.get(reverse("assessment_review", args=[cast["assessment"].pk])).content.decode()
    history = history.split('id="resident-views-history"')[1].split("</details>")[0]
    assert "dave: 最初の記録" in history
    assert "bob: 住民・当事者の意見を聴いたか、方法、寄せられた意見の要旨、聴かなかった理由" in history


def test_the_residents_views_travel_with_the_assessment_file(cast, charlie):
    """The report prints them and the review body approves them; an export and import used to drop
    them (the copy's report said 「記録されていません」)."""
    from assessments.exchange import AssessmentFileError, assessment_from_data, assessment_to_data

    reviewing.resident_views_save(assessment=cast["assessment"], user=cast["editor"], sought="yes",
                                  methods=["説明会", "アンケート"], summary="データの削除時期を問う声が多かった（架空）",
                                  response="町は検討中と回答（架空）", reason_not_sought="")
    data = assessment_to_data(cast["assessment"])
    assert data["resident_views"]["summary"] == "データの削除時期を問う声が多かった（架空）"
    copy = assessment_from_data(data, user=charlie)
    views = ResidentViews.objects.get(assessment=copy)
    assert (views.sought, views.methods, views.response) == ("yes", ["説明会", "アンケート"], "町は検討中と回答（架空）")
    assert "データの削除時期を問う声が多かった（架空）" in squash("".join(pdf_text(render.report_pdf(copy))))
    # Checked as on the review page: a bad one refuses the whole file.
    before = Assessment.objects.count()
    for bad, message in (({**data["resident_views"], "sought": "no", "reason_not_sought": ""}, "聴かなかった理由"),
                         ({**data["resident_views"], "methods": ["街頭演説"]}, "方法"),
                         ({**data["resident_views"], "login": "bob"}, "login"),
                         ("聴いた", "resident_views")):
        with pytest.raises(AssessmentFileError, match=message):
            assessment_from_data({**data, "resident_views": bad}, user=charlie)
    assert Assessment.objects.count() == before


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_publishing_asks_for_confirmation_and_shows_what_becomes_public(cast):
    ready_for_approval(cast)
    move(cast, "reviewer", "approve")
    owner = signed_in(cast["owner"])
    url = reverse("assessment_transition", args=[cast["assessment"].pk])
    page = owner.post(url, {"action": "publish", "note": ""})
    assert page.status_code == 200 and Assessment.objects.get(pk=cast["assessment"].pk).status == "approved"
    html = page.content.decode()
    assert "住民に公開しますか？" in html and "評価報告書（PDF）" in html and "自治体への質問書（PDF）" in html
    # rita has not agreed to be named: her role, never her name.
    assert "住民委員（氏名は非公表）、団体の外から" in html and "rita" not in html
    assert owner.post(url, {"action": "publish", "note": "", "confirmed": "yes"}).status_code == 302
    assert Assessment.objects.get(pk=cast["assessment"].pk).status == "published"
    # Unpublishing too, with its reason.
    assert "公開をやめますか？" in owner.post(url, {"action": "unpublish", "note": "誤りの訂正"}).content.decode()
    assert Assessment.objects.get(pk=cast["assessment"].pk).status == "published"


def test_a_reviewer_is_named_only_with_consent_and_a_body_without_outsiders_is_said_plainly(cast, client):
    ready_for_approval(cast)
    move(cast, "reviewer", "approve")
    move(cast, "owner", "publish")
    pk = cast["assessment"].pk
    page = client.get(reverse("public_assessment", args=[pk])).content.decode()
    assert "住民委員（氏名は非公表）" in page and "rita" not in page
    rita = Client()
    rita.force_login(cast["reviewer"])
    assert rita.post(reverse("reviewer_consent", args=[pk]), {"named": "yes"}).status_code == 302
    # Named by the display name they chose (people.display_name), never by the login.
    Profile.objects.filter(user=cast["reviewer"]).update(display_name="住民 花子")
    page = client.get(reverse("public_assessment", args=[pk])).content.decode()
    assert "住民委員 住民 花子" in page
    assert "団体の外からの委員がいません" not in page
    # Published as approved: the reviewer joining the group afterwards changes nothing on the page.
    Membership.objects.create(organisation=cast["group"], user=cast["reviewer"], role="viewer")
    page = client.get(reverse("public_assessment", args=[pk])).content.decode()
    assert "住民委員 住民 花子、団体の外から" in page and "団体の外からの委員がいません" not in page


def test_a_body_of_the_groups_own_members_is_said_plainly_before_approval(cast):
    ready_for_approval(cast)
    assert "この審査体には、評価を行った団体の外からの委員がいません。" not in render.report_html(cast["assessment"])
    Membership.objects.create(organisation=cast["group"], user=cast["reviewer"], role="viewer")
    assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    assert "この審査体には、評価を行った団体の外からの委員がいません。" in render.report_html(assessment)


def field_block(page: str, field_id: str) -> str:
    """The HTML crispy-forms renders for one field (label, input, its errors)."""
    start = page.index(f'id="div_id_{field_id}"')
    following = page.find('id="div_id_', start + 1)
    return page[start:following if following != -1 else None]


def test_a_refused_opinion_keeps_the_reviewers_words_beside_the_missing_verdict(cast):
    reviewer = Client()
    reviewer.force_login(cast["reviewer"])
    reason = "説明会が一度だけで、こども本人の意見を聴いていないため<b>条件付き</b>とする理由"
    response = reviewer.post(reverse("opinion_save", args=[cast["assessment"].pk]),
                             {"prefix": "op-overall", "op-overall-section": "", "op-overall-text": reason})
    page = response.content.decode()
    assert response.status_code == 400
    assert "このフィールドは必須です。" in field_block(page, "op-overall-verdict")
    assert "説明会が一度だけで、こども本人の意見を聴いていないため&lt;b&gt;条件付き&lt;/b&gt;とする理由" in field_block(page, "op-overall-text")
    assert not cast["assessment"].opinions.exists()


def test_a_refused_seat_keeps_the_name_typed_beside_the_reason(cast):
    owner = Client()
    owner.force_login(cast["owner"])
    response = owner.post(reverse("reviewer_add", args=[cast["assessment"].pk]), {"username": "nobody-here", "kind": "expert"})
    page = response.content.decode()
    assert response.status_code == 400
    block = field_block(page, "username")
    assert 'value="nobody-here"' in block and "そのユーザー名の人はいません。" in block
    assert list(cast["assessment"].reviewers.values_list("user__username", flat=True)) == ["rita"]


def test_refused_residents_views_keep_what_was_written(cast):
    editor = Client()
    editor.force_login(cast["editor"])
    response = editor.post(reverse("resident_views_save", args=[cast["assessment"].pk]),
                           {"sought": "no", "summary": "保護者会で出た意見の要旨", "response": "", "reason_not_sought": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert "意見を聴かなかった場合は、その理由を書いてください。" in field_block(page, "reason_not_sought")
    assert "保護者会で出た意見の要旨" in field_block(page, "summary")
    assert "<details open><summary>記録・修正する" in page  # the refused form is shown, not folded away
    assert not ResidentViews.objects.filter(assessment=cast["assessment"]).exists()


def test_a_refused_comment_comes_back_in_its_field_once(cast):
    member = Client()
    member.force_login(cast["viewer"])
    pk = cast["assessment"].pk
    text = "長すぎる<コメント>" + "あ" * 5000
    response = member.post(reverse("comment_add", args=[pk]), {"question": "a-public-comment", "text": text}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and not cast["assessment"].comments.exists()
    field = page[page.index('id="comment-text-a-public-comment"'):]
    field = field[:field.index("</textarea>")]
    assert "長すぎる&lt;コメント&gt;" + "あ" * 5000 in field and 'aria-invalid="true"' in field
    error = page[page.index('id="comment-error-a-public-comment"'):]
    assert "5,000文字以内で入力してください（現在5,010文字）。" in error[:200]
    again = member.get(response.redirect_chain[-1][0]).content.decode()
    assert "長すぎる" not in again  # shown once


def test_a_refused_section_opinion_is_shown_open_with_its_words(cast):
    from assessments.models import Section

    section = Section.objects.filter(question_set=cast["assessment"].question_set).order_by("position").last()
    reviewer = Client()
    reviewer.force_login(cast["reviewer"])
    prefix = f"op-{section.key}"
    response = reviewer.post(reverse("opinion_save", args=[cast["assessment"].pk]),
                             {"prefix": prefix, f"{prefix}-section": str(section.pk), f"{prefix}-text": "節への意見の理由"})
    page = response.content.decode()
    assert response.status_code == 400
    block = page[page.rindex("<details", 0, page.index(f'id="div_id_{prefix}-verdict"')):]
    assert block.startswith('<details class="mb-2" open>')
    assert "このフィールドは必須です。" in field_block(page, f"{prefix}-verdict")
    assert "節への意見の理由" in field_block(page, f"{prefix}-text")


def test_a_refused_transition_keeps_its_note_beside_the_reason(cast):
    editor = Client()
    editor.force_login(cast["editor"])
    note = "提出のメモ" + "い" * 5000
    response = editor.post(reverse("assessment_transition", args=[cast["assessment"].pk]), {"action": "submit", "note": note})
    page = response.content.decode()
    assert response.status_code == 400
    block = field_block(page, "note")
    assert note in block and "5,000文字以内で入力してください" in block
    cast["assessment"].refresh_from_db()
    assert cast["assessment"].status == Assessment.Status.DRAFT


# --- Opinions are on the content the reviewer saw; the approved body stays as approved ---------------


def views_save(cast, summary):
    return reviewing.resident_views_save(assessment=Assessment.objects.get(pk=cast["assessment"].pk),
                                         user=cast["editor"], sought="yes", methods=["説明会"], summary=summary,
                                         response="", reason_not_sought="")


def test_an_opinion_given_before_the_content_changed_counts_no_more_until_given_again(cast):
    ready_for_approval(cast)  # rita's overall opinion: 妥当
    views_save(cast, "説明会で反対の意見が多く出た（架空）")
    with pytest.raises(ValidationError, match="1名の審査委員が全体への意見を述べた後に、評価の内容"):
        move(cast, "reviewer", "approve")
    rita = Client()
    rita.force_login(cast["reviewer"])
    page = rita.get(reverse("assessment_review", args=[cast["assessment"].pk])).content.decode()
    assert "評価の内容が変わる前の意見（述べ直すまで承認には数えません）" in page
    assert "（評価の内容が変わる前の意見）" in render.report_html(Assessment.objects.get(pk=cast["assessment"].pk))
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=None,
                           verdict="appropriate", text="住民の意見を読んだうえで妥当")
    assert "評価の内容が変わる前の意見" not in rita.get(reverse("assessment_review", args=[cast["assessment"].pk])).content.decode()
    assert "（評価の内容が変わる前の意見）" not in render.report_html(Assessment.objects.get(pk=cast["assessment"].pk))
    assert move(cast, "reviewer", "approve").status == "approved"


def test_after_approval_the_review_body_and_opinions_stay_as_approved(cast, client):
    ready_for_approval(cast)
    move(cast, "reviewer", "approve", "全委員一致で妥当と判断した。")
    owner = Client()
    owner.force_login(cast["owner"])
    pk = cast["assessment"].pk
    before = (list(Reviewer.objects.filter(assessment_id=pk).values_list("pk", "kind")),
              list(cast["assessment"].opinions.values_list("verdict", "text")))
    with pytest.raises(ValidationError, match="承認されたときのまま残します"):
        reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=None,
                               verdict="reconsider", text="やはり要再検討")
    response = owner.post(reverse("reviewer_add", args=[pk]), {"username": cast["outsider"].username, "kind": "expert"},
                          follow=True)
    assert "承認されたときのまま残します" in response.content.decode()
    assert (list(Reviewer.objects.filter(assessment_id=pk).values_list("pk", "kind")),
            list(cast["assessment"].opinions.values_list("verdict", "text"))) == before
    rita = Client()
    rita.force_login(cast["reviewer"])
    page = rita.get(reverse("assessment_review", args=[pk])).content.decode()
    assert 'id="review-closed"' in page and "意見を保存" not in page
    # All said 妥当: the approver's note is a note, not a reason for overriding anyone.
    move(cast, "owner", "publish")
    public = client.get(reverse("public_assessment", args=[pk])).content.decode()
    assert "承認の際の記録: 全委員一致で妥当と判断した。" in public and "異なる判断で承認した理由" not in public
    # Sent back to review by a change of content: no approval is claimed any more.
    views_save(cast, "公開後に寄せられた意見（架空）")
    assessment = Assessment.objects.get(pk=pk)
    assert assessment.status == "in_review"
    report = render.report_html(assessment)
    assert "承認された内容" not in report and "承認の際の記録" not in report


def test_a_stale_tab_is_told_the_state_changed_not_that_it_lacks_the_right(cast):
    ready_for_approval(cast)
    rita = Client()
    rita.force_login(cast["reviewer"])
    url = reverse("assessment_transition", args=[cast["assessment"].pk])
    assert rita.post(url, {"action": "approve"}).status_code == 302
    again = rita.post(url, {"action": "approve"})
    assert again.status_code == 400 and "この評価はいま「承認済み」です。「承認する」はできません。" in again.content.decode()


def test_a_withdrawn_seat_is_not_counted_and_its_opinion_is_marked(cast):
    ready_for_approval(cast)
    Reviewer.objects.filter(assessment=cast["assessment"], user=cast["reviewer"]).update(
        withdrawn_at=timezone.now(), withdrawn_reason="テストのため")
    owner = Client()
    owner.force_login(cast["owner"])
    page = owner.get(reverse("assessment_review", args=[cast["assessment"].pk])).content.decode()
    assert "審査委員から外れた人の意見（承認には数えません）" in page
    assert "住民委員 1名" not in page


def test_the_first_record_of_residents_views_names_only_the_fields_filled_in():
    change = ResidentViewsChange(old=None, new={"sought": "yes", "methods": ["説明会"], "summary": "要旨", "response": "",
                                                "reason_not_sought": ""})
    assert change.changed_labels == ["住民・当事者の意見を聴いたか", "方法", "寄せられた意見の要旨"]


def test_a_reviewer_made_an_editor_of_the_group_loses_the_seat_and_a_risks_author_may_not_review(cast):
    from assessments import groups
    from assessments.models import Membership

    vera = cast["viewer"]
    seat = Reviewer.objects.create(assessment=cast["assessment"], user=vera, kind="resident")
    membership = Membership.objects.get(organisation=cast["group"], user=vera)
    groups.membership_set_role(organisation=cast["group"], membership_id=membership.pk, version=membership.version,
                               role="editor")
    seat.refresh_from_db()
    assert seat.withdrawn_at is not None
    assert seat.withdrawn_reason == "審査の独立性を失ったため: この評価を編集できる団体の構成員（編集者・管理者）は、審査委員になれません。"
    assert not any(s.user_id == vera.pk for s in Reviewer.objects.filter(assessment=cast["assessment"], withdrawn_at=None))
    # Made a viewer again, a risk she wrote keeps her out of the review body.
    membership.refresh_from_db()
    groups.membership_set_role(organisation=cast["group"], membership_id=membership.pk, version=membership.version,
                               role="viewer")
    from assessments.models import Risk
    Risk.objects.create(assessment=cast["assessment"], title="名簿の流出（架空）", severity=2, likelihood=2, created_by=vera)
    assert reviewing.reviewer_conflict(cast["assessment"], vera) == "この評価のリスクを書いたことのある人は、審査委員になれません。"


def test_a_reviewer_who_joined_the_group_after_approval_is_withdrawn_when_review_reopens(cast):
    """Not a deadlock: their outdated opinion could neither be given again (they may edit now) nor
    removed (it is on the record); their seat is withdrawn when the assessment is back in review."""
    ready_for_approval(cast)
    move(cast, "reviewer", "approve")
    Membership.objects.create(organisation=cast["group"], user=cast["reviewer"], role="editor")
    seat = Reviewer.objects.get(assessment=cast["assessment"], user=cast["reviewer"])
    assert seat.withdrawn_at is None  # approved: the body stays as approved
    views_save(cast, "承認後に寄せられた意見（架空）")
    seat.refresh_from_db()
    assert Assessment.objects.get(pk=cast["assessment"].pk).status == "in_review"
    assert seat.withdrawn_reason.startswith("審査の独立性を失ったため")
    problems = reviewing.approval_check(Assessment.objects.get(pk=cast["assessment"].pk)).problems
    assert any("審査委員がいません" in p for p in problems) and not any("述べ直して" in p for p in problems)


def test_an_approval_over_a_reconsider_opinion_keeps_its_label_when_that_reviewer_leaves(cast, client):
    ready_for_approval(cast)
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=None,
                           verdict="reconsider", text="説明会が足りない")
    move(cast, "reviewer", "approve", "町が説明会を追加すると回答したため")
    move(cast, "owner", "publish")
    Reviewer.objects.filter(assessment=cast["assessment"]).update(withdrawn_at=timezone.now(),
                                                                 withdrawn_reason="退会したため")
    page = client.get(reverse("public_assessment", args=[cast["assessment"].pk])).content.decode()
    assert "審査委員の意見と異なる判断で承認した理由: 町が説明会を追加すると回答したため" in page


def test_the_admin_keeps_an_approved_review_body_and_opinions_as_approved(cast):
    from django.contrib.auth import get_user_model

    ready_for_approval(cast)
    move(cast, "reviewer", "approve")
    staff = signed_in(cast["staff"])
    seats = list(Reviewer.objects.filter(assessment=cast["assessment"]).values_list("pk", "user_id", "kind"))
    newcomer = get_user_model().objects.create_user("newcomer", "n@example.org", PASSWORD)
    admin_add_reviewer(staff, cast["assessment"], newcomer)
    assert list(Reviewer.objects.filter(assessment=cast["assessment"]).values_list("pk", "user_id", "kind")) == seats
    opinion = cast["assessment"].opinions.get()
    url = reverse("admin:assessments_reviewopinion_change", args=[opinion.pk])
    assert staff.post(url, {"verdict": "reconsider", "text": "管理画面で変えた"}).status_code == 403
    opinion.refresh_from_db()
    assert opinion.verdict == "appropriate"


def test_a_stale_residents_views_form_is_refused_and_the_newer_save_kept(cast):
    from tests.forms_helper import read_form

    url, review = reverse("resident_views_save", args=[cast["assessment"].pk]), reverse("assessment_review", args=[cast["assessment"].pk])
    editor, owner = Client(), Client()
    editor.force_login(cast["editor"])
    owner.force_login(cast["owner"])
    old_tab = read_form(editor.get(review).content.decode(), "resident-views-form")  # opened before any record
    first = read_form(owner.get(review).content.decode(), "resident-views-form")
    assert owner.post(url, {**first, "sought": "yes", "summary": "保護者会の要旨（管理者）"}).status_code == 302
    newer = read_form(owner.get(review).content.decode(), "resident-views-form")
    assert owner.post(url, {**newer, "summary": "保護者会の要旨（管理者が直した）"}).status_code == 302
    refused = editor.post(url, {**old_tab, "sought": "yes", "summary": "古いタブの要旨"})
    page = refused.content.decode()
    assert refused.status_code == 400 and "別のタブまたは別の人がこの記録を変えていました" in page
    assert "保護者会の要旨（管理者が直した）" in page  # the stored record, to read
    assert ResidentViews.objects.get(assessment=cast["assessment"]).summary == "保護者会の要旨（管理者が直した）"
    again = read_form(page, "resident-views-form")
    assert again["summary"] == "古いタブの要旨"  # the input kept, now based on the stored record
    assert editor.post(url, again).status_code == 302  # sent again after reading: a deliberate save
    assert ResidentViews.objects.get(assessment=cast["assessment"]).summary == "古いタブの要旨"


def test_an_opinion_from_an_older_tab_does_not_replace_a_newer_one(cast):
    from assessments.models import ReviewOpinion
    from tests.forms_helper import read_form

    url, review = reverse("opinion_save", args=[cast["assessment"].pk]), reverse("assessment_review", args=[cast["assessment"].pk])
    reviewer = Client()
    reviewer.force_login(cast["reviewer"])
    tab_one = read_form(reviewer.get(review).content.decode(), "opinion-form-op-overall")
    tab_two = read_form(reviewer.get(review).content.decode(), "opinion-form-op-overall")
    assert reviewer.post(url, {**tab_one, "op-overall-verdict": "reconsider", "op-overall-text": "要再検討の理由"}).status_code == 302
    newer = read_form(reviewer.get(review).content.decode(), "opinion-form-op-overall")
    assert reviewer.post(url, {**newer, "op-overall-text": "要再検討の理由（書き足した）"}).status_code == 302
    refused = reviewer.post(url, {**tab_two, "op-overall-verdict": "appropriate", "op-overall-text": "妥当"})
    assert refused.status_code == 400 and "別のタブまたは別の人がこの記録を変えていました" in refused.content.decode()
    stored = ReviewOpinion.objects.get(assessment=cast["assessment"], section=None)
    assert (stored.verdict, stored.text) == ("reconsider", "要再検討の理由（書き足した）")
    again = read_form(refused.content.decode(), "opinion-form-op-overall")
    assert again["op-overall-verdict"] == "appropriate" and again["op-overall-text"] == "妥当"
    assert reviewer.post(url, again).status_code == 302
    stored.refresh_from_db()
    assert (stored.verdict, stored.text) == ("appropriate", "妥当")


def test_the_review_page_offers_to_remove_only_a_reviewer_without_opinions(cast):
    owner = Client()
    owner.force_login(cast["owner"])
    review = reverse("assessment_review", args=[cast["assessment"].pk])
    remove = reverse("reviewer_remove", args=[cast["assessment"].pk, cast["seat"].pk])
    assert remove in owner.get(review).content.decode()
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=None, verdict="appropriate", text="")
    page = owner.get(review).content.decode()
    assert remove not in page and "意見を述べたため外せません。意見は記録に残ります" in page
    assert owner.post(remove).status_code in (302, 400)  # and the service still refuses it
    assert Reviewer.objects.filter(pk=cast["seat"].pk).exists()
