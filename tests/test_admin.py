"""Editing question sets in Django admin."""

import pytest
from django.urls import reverse

from assessments import seed
from assessments.models import QuestionSet
from assessments.questionset_io import questionset_from_data, read_questionset_file
from tests.forms_helper import read_form
from tests.conftest import make_questionset_data

pytestmark = pytest.mark.django_db


def change_url(obj):
    return reverse(f"admin:assessments_{obj._meta.model_name}_change", args=[obj.pk])


def inline_management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def question_post_data(question, **changes):
    data = {
        "section": question.section_id,
        "position": question.position,
        "key": question.key,
        "text": question.text,
        "type": question.type,
        "required": "on" if question.required else "",
        "unit": question.unit,
        "guidance": question.guidance,
        "basis": question.basis,
        "risk_weight": question.risk_weight,
        "risk_category": question.risk_category,
        "screening_role": question.screening_role,
        "municipality_question": question.municipality_question,
        "proposal": question.proposal,
        "documents_to_request": question.documents_to_request,
        "condition_question": question.condition_question_id or "",
        **inline_management("choices", question.choices.count(), question.choices.count()),
    }
    for index, choice in enumerate(question.choices.all()):
        data.update(
            {
                f"choices-{index}-id": choice.pk,
                f"choices-{index}-question": question.pk,
                f"choices-{index}-position": choice.position,
                f"choices-{index}-key": choice.key,
                f"choices-{index}-label": choice.label,
                f"choices-{index}-score": "" if choice.score is None else choice.score,
                f"choices-{index}-meaning": choice.meaning,
                f"choices-{index}-red_flag": choice.red_flag,
            }
        )
    data.update(changes)
    return data


def test_admin_pages_of_a_published_set_open_read_only(admin_client, published_set):
    question = published_set.questions.filter(type="single").first()
    for url in (
        reverse("admin:assessments_questionset_changelist"),
        change_url(published_set),
        change_url(published_set.sections.first()),
        change_url(question),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    response = admin_client.get(change_url(question))
    assert "公開済み" in response.content.decode()
    assert 'name="_save"' not in response.content.decode()


def test_posting_a_change_to_a_published_question_is_refused(admin_client, published_set):
    question = published_set.questions.filter(type="single").first()
    response = admin_client.post(change_url(question), question_post_data(question, text="書き換え"))
    assert response.status_code == 403
    question.refresh_from_db()
    assert question.text != "書き換え"


def test_a_draft_question_is_edited_with_its_choices(admin_client):
    draft = questionset_from_data(make_questionset_data())
    question = draft.questions.get(key="s0-q0")
    data = question_post_data(question, text="住民説明会は開かれましたか？", **{"choices-0-label": "開催済み"})
    response = admin_client.post(change_url(question), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.text == "住民説明会は開かれましたか？"
    assert question.choices.get(key="done").label == "開催済み"


def test_duplicate_choice_keys_get_a_message_not_an_error_page(admin_client):
    draft = questionset_from_data(make_questionset_data())
    question = draft.questions.get(key="s0-q0")
    response = admin_client.post(change_url(question), question_post_data(question, **{"choices-1-key": "done"}))
    assert response.status_code == 200
    assert "同じキー" in response.content.decode() or "既に存在" in response.content.decode()
    assert question.choices.filter(key="partial").exists()


def test_a_question_key_used_elsewhere_in_the_set_is_refused(admin_client):
    draft = questionset_from_data(make_questionset_data())
    question = draft.questions.get(key="s1-q0")
    response = admin_client.post(change_url(question), question_post_data(question, key="s0-q0"))
    assert response.status_code == 200
    assert "このキーは質問セット内で既に使われています" in response.content.decode()
    question.refresh_from_db()
    assert question.key == "s1-q0"


def test_a_condition_choice_must_belong_to_the_condition_question(admin_client):
    draft = questionset_from_data(make_questionset_data())
    first, second, third = draft.questions.filter(section__key="s0").order_by("position")
    foreign_choice = second.choices.get(key="done")
    data = question_post_data(third, condition_question=first.pk, condition_choices=[foreign_choice.pk])
    response = admin_client.post(change_url(third), data)
    assert response.status_code == 200
    assert "表示条件の質問の選択肢だけ" in response.content.decode()
    third.refresh_from_db()
    assert third.condition_question is None


def run_action(admin_client, action, question_set):
    return admin_client.post(
        reverse("admin:assessments_questionset_changelist"),
        {"action": action, "_selected_action": [question_set.pk]},
        follow=True,
    )


def test_the_publish_action_lists_every_problem(admin_client):
    draft = questionset_from_data(make_questionset_data())
    draft.questions.get(key="s0-q0").choices.exclude(key="done").delete()
    draft.questions.get(key="s1-q1").choices.exclude(key="na").delete()
    response = run_action(admin_client, "publish", draft)
    page = response.content.decode()
    assert "公開できません" in page and "問題 2 件" in page
    assert "(s0-q0)" in page and "(s1-q1)" in page
    draft.refresh_from_db()
    assert draft.status == QuestionSet.Status.DRAFT


def test_the_publish_action_publishes_a_sound_draft(admin_client):
    draft = questionset_from_data(make_questionset_data())
    response = run_action(admin_client, "publish", draft)
    assert "公開しました" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == QuestionSet.Status.PUBLISHED


def test_the_clone_and_retire_actions(admin_client, published_set):
    response = run_action(admin_client, "clone", published_set)
    assert "v2" in response.content.decode()
    clone = QuestionSet.objects.get(key="dx-pia", version=2)
    assert clone.status == QuestionSet.Status.DRAFT
    assert clone.questions.count() == published_set.questions.count()
    run_action(admin_client, "retire", published_set)
    published_set.refresh_from_db()
    assert published_set.status == QuestionSet.Status.RETIRED


def test_the_preview_shows_the_set_as_a_respondent_sees_it(admin_client, published_set):
    response = admin_client.get(reverse("admin:assessments_questionset_preview", args=[published_set.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for section in published_set.sections.all():
        assert section.title in page
    question = published_set.questions.filter(type="single").first()
    assert question.text in page and question.choices.first().label in page
    assert "表示条件" in page


def test_the_preview_of_a_draft_lists_its_problems(admin_client):
    draft = questionset_from_data(make_questionset_data())
    draft.questions.get(key="s0-q0").choices.exclude(key="done").delete()
    page = admin_client.get(reverse("admin:assessments_questionset_preview", args=[draft.pk])).content.decode()
    assert "公開の前に直す必要がある問題" in page and "(s0-q0)" in page


def test_admin_is_for_staff_only(client, bob, published_set):
    client.force_login(bob)
    response = client.get(reverse("admin:assessments_questionset_preview", args=[published_set.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_sections_can_only_be_added_to_drafts(admin_client, published_set):
    draft = questionset_from_data(make_questionset_data())
    page = admin_client.get(reverse("admin:assessments_section_add")).content.decode()
    assert str(published_set) not in page
    assert str(draft) in page
    before = published_set.sections.count()
    response = admin_client.post(
        reverse("admin:assessments_section_add"),
        {"question_set": published_set.pk, "key": "extra", "title": "追加の節", "position": 9,
         **inline_management("questions", 0, 0)},
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert published_set.sections.count() == before


def test_a_section_stays_in_the_set_it_was_made_in(admin_client, published_set):
    from django.core.exceptions import ValidationError

    from assessments.models import Section

    first = questionset_from_data(make_questionset_data(key="set-a"))
    second = questionset_from_data(make_questionset_data(key="set-b"))
    section = first.sections.first()
    questions = set(section.questions.values_list("pk", flat=True))
    change = reverse("admin:assessments_section_change", args=[section.pk])
    page = admin_client.get(change).content.decode()
    assert 'name="question_set"' not in page and str(first) in page  # shown, not offered
    assert "質問セット" in page and "Question set" not in page  # the field's label is Japanese
    form = read_form(page, "section_form")
    admin_client.post(change, {**form, "question_set": second.pk, "title": "題名を直した"})
    section.refresh_from_db()
    assert (section.question_set_id, section.title) == (first.pk, "題名を直した")
    assert set(first.questions.filter(section=section).values_list("pk", flat=True)) == questions
    section.question_set = second  # nor by a script: its questions would stay behind in the first set
    with pytest.raises(ValidationError, match="別の質問セットへ移せません"):
        section.save()
    assert Section.objects.get(pk=section.pk).question_set_id == first.pk


def test_staff_administer_organisations_and_assessments(admin_client, cast):
    from assessments.models import AnswerHistory, Organisation

    for name in ("organisation_changelist", "organisation_add", "assessment_changelist", "reviewopinion_changelist",
                 "comment_changelist", "answerhistory_changelist"):
        assert admin_client.get(reverse(f"admin:assessments_{name}")).status_code == 200, name
    group = Organisation.objects.get(name="美里の子どもを守る会")
    page = admin_client.get(reverse("admin:assessments_organisation_change", args=[group.pk])).content.decode()
    assert "dave" in page and "vera" in page
    page = admin_client.get(reverse("admin:assessments_assessment_change", args=[cast["assessment"].pk])).content.decode()
    assert "守る会の評価" in page and "rita" in page
    assert admin_client.get(reverse("admin:assessments_answerhistory_add")).status_code == 403
    assert not AnswerHistory.objects.exists()


# --- The risk part of a question set (harms, scales, levels, matrix, suggestion rules) -------------------

V3_FILE = seed.FIXTURES / "questionsets" / "dx-pia-v3.json"


def v3_draft():
    data = read_questionset_file(V3_FILE)
    data.update(key="risk-draft", version=1, status="draft")
    return questionset_from_data(data)


def questionset_form(admin_client, question_set):
    response = admin_client.get(change_url(question_set))
    assert response.status_code == 200
    return read_form(response.content.decode(), "questionset_form")


def test_a_draft_sets_harms_and_rules_are_edited_in_admin(admin_client):
    draft = v3_draft()
    data = questionset_form(admin_client, draft)
    harm_index = next(k.split("-")[1] for k, v in data.items() if k.startswith("harms-") and k.endswith("-key")
                      and v == "surveillance")
    data[f"harms-{harm_index}-label"] = "監視・追跡（見張られ続けること）"
    response = admin_client.post(change_url(draft), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert draft.harms.get(key="surveillance").label == "監視・追跡（見張られ続けること）"


def test_a_rule_naming_a_question_the_set_lacks_is_refused_next_to_its_conditions(admin_client):
    draft = v3_draft()
    data = questionset_form(admin_client, draft)
    rule_index = next(k.split("-")[1] for k, v in data.items()
                      if k.startswith("suggestion_rules-") and k.endswith("-key") and v == "sensitive-without-necessity")
    data[f"suggestion_rules-{rule_index}-conditions"] = '[{"question": "no-such-question", "choices": ["x"]}]'
    response = admin_client.post(change_url(draft), data)
    assert response.status_code == 200
    assert "質問 &#x27;no-such-question&#x27; はこの質問セットにありません" in response.content.decode()
    assert draft.suggestion_rules.get(key="sensitive-without-necessity").conditions[0] == {
        "inventory": {"sensitive": "yes", "necessity": "empty"}}


def test_publishing_a_set_whose_matrix_weighs_severity_more_is_refused(admin_client):
    draft = v3_draft()
    cell = draft.risk_matrix_cells.get(severity=4, likelihood=1)
    cell.level = draft.risk_levels.get(key="very-high")
    cell.save()
    page = run_action(admin_client, "publish", draft).content.decode()
    assert "公開できません" in page and "対称ではありません" in page
    draft.refresh_from_db()
    assert draft.status == QuestionSet.Status.DRAFT


def test_the_risk_part_of_a_published_set_is_read_only(admin_client):
    data = read_questionset_file(V3_FILE)
    published = questionset_from_data(data)
    page = admin_client.get(change_url(published)).content.decode()
    assert "監視・追跡" in page and "軽微" in page
    assert 'name="_save"' not in page
    assert 'name="harms-0-label"' not in page


def test_the_condition_choices_are_listed_in_the_questions_order(admin_client):
    """The display condition's choices of the whole set, grouped by question in the set's order
    (section, then position), whatever order the questions were made in."""
    import re

    from assessments.models import Choice, Question

    draft = questionset_from_data(make_questionset_data())
    first, _second, third = draft.questions.filter(section__key="s0").order_by("position")
    Question.objects.filter(pk=first.pk).update(position=9)  # s0-q0 now last in s0, though made first
    Question.objects.filter(pk=third.pk).update(position=0)
    page = admin_client.get(change_url(third)).content.decode()
    field = re.search(r'<select name="condition_choices".*?</select>', page, re.S).group(0)
    chosen = [int(pk) for pk in re.findall(r'<option value="(\d+)"', field)]
    by_pk = {c.pk: (c.question.key, c.position) for c in Choice.objects.filter(pk__in=chosen).select_related("question")}
    questions = [by_pk[pk][0] for pk in chosen]
    assert list(dict.fromkeys(questions)) == ["s0-q2", "s0-q1", "s0-q0", "s1-q0", "s1-q1", "s1-q2"]
    positions = [by_pk[pk][1] for pk in chosen if by_pk[pk][0] == "s0-q2"]
    assert positions == sorted(positions) and len(positions) == 6
