"""The interface language (issue 19): Japanese first, English on request; the choice kept in the
session and the user's settings; `lang` matching the page; the report and letter stay Japanese."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from assessments.models import Profile
from assessments.reports import render

pytestmark = pytest.mark.django_db


def lang_of(response) -> str:
    page = response.content.decode()
    start = page.index("<html lang=\"") + len("<html lang=\"")
    return page[start:page.index("\"", start)]


@pytest.mark.parametrize("accept, expected", [
    ("en-US,en;q=0.9", "en"), ("en", "en"), ("fr-FR,en;q=0.5", "en"), ("ja,en;q=0.8", "ja"), ("", "ja"), ("ko", "ja"),
])
def test_the_page_follows_the_browser_and_says_which_language_it_is_in(client, accept, expected):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=accept)
    assert lang_of(page) == expected and page["Content-Language"] == expected
    refused = client.post(reverse("login"), {"username": "", "password": ""}, HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    if expected == "en":
        assert "This field is required." in refused and "このフィールドは必須です。" not in refused
        assert "Log in" in page.content.decode()
    else:
        assert "このフィールドは必須です。" in refused and "This field is required" not in refused


def test_the_switch_keeps_the_choice_for_the_session_over_the_browser(client):
    response = client.post(reverse("switch_language"), {"language": "en", "next": reverse("project_list")},
                           HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 302 and response["Location"] == reverse("project_list")
    page = client.get(reverse("project_list"), HTTP_ACCEPT_LANGUAGE="ja")
    assert lang_of(page) == "en" and "Project catalog" in page.content.decode()
    # The switch offers the other language in its own name and language.
    assert '<button class="btn btn-link nav-link" type="submit" name="language" value="ja" lang="ja">日本語</button>' in page.content.decode()
    client.post(reverse("switch_language"), {"language": "ja"})
    assert lang_of(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")) == "ja"


def test_an_unknown_language_or_a_foreign_next_changes_nothing(client):
    response = client.post(reverse("switch_language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    page = client.get(reverse("home"))
    assert lang_of(page) == "ja" and "その言語は選べません。" in page.content.decode()
    assert client.get(reverse("switch_language")).status_code == 405


def test_a_signed_in_choice_is_kept_in_the_settings_and_comes_back_at_the_next_sign_in(client, bob):
    client.force_login(bob)
    client.post(reverse("switch_language"), {"language": "en"})
    assert Profile.objects.get(user=bob).language == "en"
    client.logout()
    assert lang_of(client.get(reverse("home"))) == "ja"  # a new session: the browser's (none: Japanese)
    bob.set_password("a long enough password 1")
    bob.save()
    client.post(reverse("login"), {"username": bob.username, "password": "a long enough password 1"})
    assert lang_of(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja")) == "en"


def test_the_account_settings_choose_the_language_too(client, bob):
    client.force_login(bob)
    data = {"display_name": "ボブ", "email": bob.email, "language": "en"}
    response = client.post(reverse("account_settings"), data)
    assert response.status_code == 302 and Profile.objects.get(user=bob).language == "en"
    assert lang_of(client.get(reverse("account_settings"))) == "en"
    client.post(reverse("account_settings"), {**data, "language": ""})
    assert Profile.objects.get(user=bob).language == ""
    assert lang_of(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja")) == "ja"
    refused = client.post(reverse("account_settings"), {**data, "language": "xx"})
    assert refused.status_code == 200 and Profile.objects.get(user=bob).language == ""


def test_the_report_and_the_letter_stay_japanese_when_the_interface_is_english(client, bob, assessment):
    from django.utils import translation

    with translation.override("en"):
        report = render.report_html(assessment)
        letter = render.letter_html(assessment)
        assert translation.get_language() == "en"  # and the request's language is back afterwards
    assert "プライバシー影響評価報告書" in report and "Privacy impact assessment report" not in report
    assert '<html lang="ja">' in letter
    client.force_login(bob)
    client.post(reverse("switch_language"), {"language": "en"})
    preview = client.get(reverse("report_preview", args=[assessment.pk])).content.decode()
    assert "プライバシー影響評価報告書" in preview


def test_users_made_before_the_language_field_have_none_chosen(db):
    user = get_user_model().objects.create_user("carol", "carol@example.jp", "x")
    assert Profile.objects.get(user=user).language == ""


def test_a_question_set_in_english_makes_its_report_and_letter_english(bob, misato):
    from assessments.answer_saving import assessment_create
    from assessments.questionset_io import QuestionSetDataError, questionset_from_data, questionset_to_data
    from tests.conftest import make_questionset_data

    data = {**make_questionset_data(key="english-set", status="published"), "language": "en", "title": "A test set"}
    english = questionset_from_data(data)
    assert english.language == "en" and questionset_to_data(english)["language"] == "en"
    assessment = assessment_create(user=bob, project=misato, question_set=english, title="Misato", standpoint="resident")
    report = render.report_html(assessment)  # the interface is Japanese here
    assert '<html lang="en">' in report and "Privacy impact assessment report" in report
    assert "プライバシー影響評価報告書" not in report
    assert '<html lang="en">' in render.letter_html(assessment)
    with pytest.raises(QuestionSetDataError, match="language"):
        questionset_from_data({**data, "key": "other-set", "language": "xx"})


def test_a_japanese_set_exports_without_a_language_as_it_always_did(published_set):
    from assessments.questionset_io import questionset_to_data

    assert published_set.language == "ja" and "language" not in questionset_to_data(published_set)


def test_what_dxpia_writes_into_the_record_is_in_the_set_language_whoever_is_in_english(bob, assessment):
    """A reviewer who edits in the English interface loses the seat; the reason stored (and printed by
    the Japanese report) is Japanese, as is a reply's source title."""
    from django.utils import translation

    from assessments import answer_saving, municipality_requests
    from assessments.models import MunicipalityRequest, Question, Reviewer
    from tests.conftest import save_now

    seat = Reviewer.objects.create(assessment=assessment, user=bob, kind=Reviewer.Kind.values[0])
    question = Question.objects.filter(question_set=assessment.question_set, type="single").first()
    with translation.override("en"):
        save_now(assessment, bob, {question: answer_saving.AnswerChange(value=question.choices.first().key)})
        request = MunicipalityRequest(assessment=assessment, title="x")
        import datetime
        title = municipality_requests.reply_source_title(request, datetime.date(2026, 5, 1))
    seat.refresh_from_db()
    assert seat.withdrawn_reason == "回答を変更したため"
    assert title == "美里町からの回答（2026-05-01）"


def test_data_quoted_in_an_english_message_is_marked_whole_and_escaped():
    from django.utils import translation

    from assessments.templatetags.dxpia import with_data

    with translation.override("en"):
        assert with_data("a & b", "amp") == "a &amp; b"
        assert with_data('Row 3: "y" is not yes', ["y"]) == 'Row 3: &quot;<span lang="ja">y</span>&quot; is not yes'
        assert with_data("Unknown: <b>x</b>", {"c": "<b>x</b>"}) == 'Unknown: <span lang="ja">&lt;b&gt;x&lt;/b&gt;</span>'
        assert with_data("Row 2 and row 12", [2]) == 'Row <span lang="ja">2</span> and row 12'
    with translation.override("ja"):
        assert with_data("「<i>」", ["<i>"]) == "「&lt;i&gt;」"
