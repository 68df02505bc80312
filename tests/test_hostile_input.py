"""Hostile and unlucky input (issue 12): every malformed request is a 4xx with a message or inert
stored text, never a 500, and nothing else changes."""

import json

import pytest
from django.urls import reverse

from assessments.exchange import AssessmentFileError, assessment_from_data, assessment_to_data
from assessments.models import Answer, Assessment, Comment

pytestmark = pytest.mark.django_db


def autosave(client, assessment, payload, content_type="application/json"):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(reverse("assessment_autosave", args=[assessment.pk]), body, content_type=content_type)


SURROGATE = '"x\\ud800y\\uffffz\\udfff"'  # JSON escapes: lone surrogates and a non-character


@pytest.mark.parametrize("part, value", [
    ("value", SURROGATE),
    ("note", SURROGATE),
    ("evidence", f'[{{"title": {SURROGATE}, "note": {SURROGATE}}}]'),
])
def test_lone_surrogates_and_non_characters_are_cleaned_and_every_page_still_works(bob_client, assessment, part, value):
    key = "a-public-comment" if part == "evidence" else "c-legal-article" if part == "value" else "a-plan-published"
    body = f'{{"question": "{key}", "part": "{part}", "base": 0, "value": {value}}}'
    response = autosave(bob_client, assessment, body)
    assert response.status_code == 200, response.content
    answer = Answer.objects.get(assessment=assessment, question__key=key)
    stored = json.dumps({"value": answer.value, "note": answer.note,
                         "evidence": [e.title + e.note for e in answer.evidence.all()]}, ensure_ascii=False)
    assert "xyz" in stored and "\ud800" not in stored and "\uffff" not in stored
    for name in ("assessment_summary", "report_preview", "export_assessment_json", "letter_text"):
        assert bob_client.get(reverse(name, args=[assessment.pk])).status_code == 200, name
    assert bob_client.get(reverse("assessment_section", args=[assessment.pk, key.split("-")[0]])).status_code == 200
    csv = bob_client.get(reverse("export_assessments_csv"))
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert csv.status_code == 200 and ("xyz" in text or part == "evidence")  # the CSV has no sources


@pytest.mark.parametrize("body, status", [
    ('{"question": "a-public-comment", "value": "done", "base": 1e999}', 400),  # OverflowError once
    # A version no page ever showed: refused as a conflict (it used to be taken as newer and saved).
    ('{"question": "a-public-comment", "value": "done", "base": 99999999999999999999999}', 409),
    ('{"question": "a-public-comment", "value": "done", "base": null}', 400),
    ('{"question": ["a"], "value": "done", "base": 0}', 400),
    ('{"question": "a-public-comment", "part": 7, "value": "done", "base": 0}', 400),
    ('{"question": "a-public-comment", "value": {"x": 1}, "base": 0}', 400),
    ('{"question": "screening-persons-covered", "value": "1E-99999999", "base": 0}', 400),
    ('{"question": "screening-persons-covered", "value": "9999999999999999", "base": 0}', 400),
    ('"just a string"', 400),
    ("\xff\xfe", 400),
    # Deeper than the JSON parser goes: a RecursionError, which was a 500.
    pytest.param("[" * 100_000 + "]" * 100_000, 400, id="nested-100000-deep"),
    pytest.param('{"question": "a-public-comment", "value": ' + "[" * 100_000 + "]" * 100_000 + ', "base": 0}', 400,
                 id="value-nested-100000-deep"),
])
def test_malformed_background_saves_are_4xx_with_a_message(bob_client, assessment, body, status):
    response = autosave(bob_client, assessment, body)
    assert response.status_code == status, response.content
    assert response.json()["ok"] is (status == 200)
    if status != 200:
        assert response.json()["error"]
        assert not Answer.objects.filter(assessment=assessment).exclude(question__type="inventory").exists()


def test_a_background_save_must_be_json(bob_client, assessment):
    response = autosave(bob_client, assessment, "question=a-public-comment&value=done&base=0",
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and "JSON" in response.json()["error"]
    assert not Answer.objects.filter(assessment=assessment).exclude(question__type="inventory").exists()


@pytest.mark.parametrize("parent", ["²", "٣", "1" * 30, "-1", "abc"])
def test_a_comment_reply_to_a_strange_parent_is_404_not_500(bob_client, assessment, parent):
    response = bob_client.post(reverse("comment_add", args=[assessment.pk]),
                               {"question": "a-public-comment", "text": "返信", "parent": parent})
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_private_pages_and_exports_are_not_cached(bob_client, assessment):
    for url in (
        reverse("assessment_section", args=[assessment.pk, "a"]),
        reverse("assessment_summary", args=[assessment.pk]),
        reverse("export_assessment_json", args=[assessment.pk]),
        reverse("export_assessments_csv"),
        reverse("export_assessments_xlsx"),
    ):
        response = bob_client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url
        assert response["X-Content-Type-Options"] == "nosniff"


def demo_file(assessment):
    data = assessment_to_data(assessment)
    data["answers"] = {"a-public-comment": {"value": "done", "note": "", "evidence": []}}
    return data


@pytest.mark.parametrize("spoil", [
    lambda d: d["answers"]["a-public-comment"].update(note="長" * 20_001),
    lambda d: d["answers"]["a-public-comment"].update(value="bogus-choice"),
    lambda d: d["answers"]["a-public-comment"].update(evidence=[{"url": "https://example.org/"}]),  # no title
    lambda d: d["answers"]["a-public-comment"].update(evidence="not a list"),
    lambda d: d.update(inventory=[{"data_item": f"項目{i}"} for i in range(501)]),
    lambda d: d.update(inventory=[{"purpose": "名前のない行"}]),
    lambda d: d.update(title="題" * 201),
    lambda d: d.update(title="\x00"),
    lambda d: d.update(standpoint="mayor"),
    lambda d: d.update(format_version=999),
    lambda d: d.update(answers=["not", "a", "dict"]),
    lambda d: d["answers"].update({"a-plan-published": "not a dict"}),
    lambda d: d["answers"].update({"screening-persons-covered": {"value": "1E-99999999"}}),
])
def test_a_bad_assessment_file_is_refused_whole_with_a_message(assessment, bob, spoil):
    data = demo_file(assessment)
    spoil(data)
    before = (Assessment.objects.count(), Answer.objects.count())
    with pytest.raises(AssessmentFileError) as error:
        assessment_from_data(data, user=bob)
    assert str(error.value)
    assert (Assessment.objects.count(), Answer.objects.count()) == before


def test_an_assessment_file_on_a_draft_question_set_is_refused(assessment, bob):
    from assessments import services

    draft = services.questionset_clone(question_set=assessment.question_set)  # its scores may still change
    data = demo_file(assessment)
    data["question_set"]["version"] = draft.version
    before = Assessment.objects.count()
    with pytest.raises(AssessmentFileError, match="下書き"):
        assessment_from_data(data, user=bob)
    assert Assessment.objects.count() == before
    data["question_set"]["version"] = assessment.question_set.version
    assert assessment_from_data(data, user=bob).question_set == assessment.question_set  # a published one is read


def test_text_in_an_assessment_file_is_cleaned_like_typed_text(assessment, bob):
    data = demo_file(assessment)
    data["answers"]["a-public-comment"]["note"] = "a\x00b\ud800c"
    data["answers"]["a-public-comment"]["evidence"] = [{"title": "資料\x07", "date": "2024-05-01"}]
    made = assessment_from_data(data, user=bob)
    answer = Answer.objects.get(assessment=made, question__key="a-public-comment")
    assert answer.note == "abc" and answer.evidence.get().title == "資料"


def test_a_huge_total_forms_builds_no_more_forms_than_the_limit_and_says_so(bob_client, assessment):
    url = reverse("assessment_section", args=[assessment.pk, "a"])
    from tests.forms_helper import read_form

    data = read_form(bob_client.get(url).content.decode())
    data.update({"ev-a-public-comment-TOTAL_FORMS": "100000", "q-a-plan-published": "done", "goto": "a"})
    response = bob_client.post(url, data)
    assert response.status_code == 400
    assert "50" in response.content.decode().split('id="error-summary"')[1].split("</div>")[0]
    # The valid answer of the same post is saved; the sources are not.
    answer = Answer.objects.get(assessment=assessment, question__key="a-plan-published")
    assert answer.value == "done"
    assert not Answer.objects.filter(assessment=assessment, question__key="a-public-comment").exists()


def test_the_question_set_preview_is_403_for_staff_without_the_permission(client, published_set):
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.create_user("clerk", "clerk@example.org", "x", is_staff=True)
    client.force_login(clerk)
    response = client.get(reverse("admin:assessments_questionset_preview", args=[published_set.pk]))
    assert response.status_code == 403


def test_the_plain_text_letter_is_never_read_as_html(bob_client, assessment):
    """letter.txt turns autoescaping off (it is plain text): it must go out as text/plain, nosniff."""
    script = "<script>alert(1)</script>"
    autosave(bob_client, assessment, {"question": "a-public-comment", "value": "unknown", "base": 0})
    autosave(bob_client, assessment, {"question": "a-public-comment", "part": "note", "value": script, "base": 0})
    response = bob_client.get(reverse("letter_text", args=[assessment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    preview = bob_client.get(reverse("letter_preview", args=[assessment.pk])).content.decode()
    assert script not in preview
