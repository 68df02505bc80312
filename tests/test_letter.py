"""The letter to the municipality (issue 13): the sender and reply-by date chosen when it is made,
never the author's login name; the body in charge as addressee (教育長 for education projects); a
council member's form as a draft 一般質問; stale settings never overwrite newer ones."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.answer_saving import AnswerChange, assessment_create
from assessments.models import LetterDetails, Project, Question, QuestionSet
from assessments.reports import letter, render
from tests.conftest import save_now
from tests.test_reports import pdf_text, squash

pytestmark = pytest.mark.django_db


@pytest.fixture
def gaps(assessment, bob):
    """Bob's v1 assessment of 美里町 with two questions answered 不明 and 未開示."""
    questions = {q.key: q for q in Question.objects.filter(question_set=assessment.question_set, key__in=["d-subcontracting", "a-consent-legal-basis"])}
    save_now(assessment, bob, {questions["d-subcontracting"]: AnswerChange(value="unknown"),
                               questions["a-consent-legal-basis"]: AnswerChange(value="not-disclosed")})
    return assessment


def settings_post(client, assessment, **values):
    data = {"form": "letter", "addressed_to": "head", "sender_name": "", "sender_organisation": "",
            "sender_contact": "", "reply_by": "", "version": "0", **values}
    return client.post(reverse("letter_settings", args=[assessment.pk]), data)


def test_the_letter_prints_the_chosen_sender_and_reply_by_date_not_the_login_name(gaps, bob, bob_client):
    bob.username = "bob-login-7731"
    bob.save()
    text = render.letter_text(gaps)
    assert "bob-login-7731" not in text and "bob-login-7731" not in render.letter_html(gaps)
    assert "差出人（団体・氏名）: ＿" in text  # a space to sign by hand
    reply_by = timezone.localdate() + datetime.timedelta(days=30)
    response = settings_post(bob_client, gaps, sender_name="山田花子", sender_organisation="美里町の個人情報を考える会（架空）",
                             sender_contact="misato@example.org", reply_by=reply_by.isoformat())
    assert response.status_code == 302
    text = render.letter_text(gaps)
    assert "山田花子" in text and "美里町の個人情報を考える会（架空）" in text and "連絡先: misato@example.org" in text
    assert f"{reply_by:%Y-%m-%d}）までに、文書にてご回答" in text
    assert "bob-login-7731" not in text
    pdf = squash("".join(pdf_text(render.letter_pdf(gaps))))
    assert "山田花子" in pdf and squash(f"{reply_by:%Y-%m-%d}）までに") in pdf


def test_a_reply_by_date_in_the_past_is_refused_next_to_the_field_with_the_input_kept(gaps, bob_client):
    response = settings_post(bob_client, gaps, sender_name="山田花子", reply_by="2020-01-01")
    assert response.status_code == 400
    page = response.content.decode()
    assert "回答の期限は、明日以降の日付にしてください。" in page and 'value="山田花子"' in page
    assert not LetterDetails.objects.filter(assessment=gaps).exists()
    assert settings_post(bob_client, gaps, reply_by="令和9年13月1日").status_code == 400


def test_a_saved_reply_by_date_that_has_passed_is_not_printed_and_the_settings_page_says_so(gaps, bob_client):
    """Saved while it was ahead, the reply-by day passes: the letter (dated today) would ask for an
    answer by a day before its own date."""
    passed = timezone.localdate() - datetime.timedelta(days=7)
    LetterDetails.objects.create(assessment=gaps, sender_name="山田花子", reply_by=passed)
    text = render.letter_text(gaps)
    assert f"{passed:%Y-%m-%d}" not in text and "ご多忙のところ誠に恐縮ですが、文書にてご回答" in text
    page = bob_client.get(reverse("letter_settings", args=[gaps.pk])).content.decode()
    assert 'id="reply-by-passed"' in page and "質問書には書いていません" in page
    LetterDetails.objects.filter(assessment=gaps).update(reply_by=timezone.localdate() + datetime.timedelta(days=7))
    assert 'id="reply-by-passed"' not in bob_client.get(reverse("letter_settings", args=[gaps.pk])).content.decode()


def test_a_stale_settings_form_does_not_overwrite_a_newer_save(gaps, bob_client):
    assert settings_post(bob_client, gaps, sender_name="先に保存した人").status_code == 302
    response = settings_post(bob_client, gaps, sender_name="古い画面の人")  # still based on version 0
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="stale-letter"' in page and "先に保存した人" in page and 'value="古い画面の人"' in page
    assert LetterDetails.objects.get(assessment=gaps).sender_name == "先に保存した人"
    # Saving again from the page shown (now based on the stored version) goes through.
    assert settings_post(bob_client, gaps, sender_name="古い画面の人", version="1").status_code == 302
    assert LetterDetails.objects.get(assessment=gaps).sender_name == "古い画面の人"


def test_only_editors_change_the_settings(gaps, client, charlie):
    client.force_login(charlie)
    assert settings_post(client, gaps, sender_name="他人").status_code == 404
    assert not LetterDetails.objects.filter(assessment=gaps).exists()


def test_the_cached_pdf_follows_the_settings(gaps, bob_client):
    first = render.letter_pdf(gaps)
    settings_post(bob_client, gaps, sender_name="山田花子")
    assert "山田花子" in "".join(pdf_text(render.letter_pdf(gaps))) and render.letter_pdf(gaps) != first


def test_an_education_project_goes_to_the_superintendent(bob, published_set, catalogue):
    project = Project.objects.get(key="case-toda-kyoiku-db")
    assert project.responsible_body == Project.ResponsibleBody.EDUCATION
    assessment = assessment_create(user=bob, project=project, question_set=published_set, title="戸田市", standpoint="resident")
    question = Question.objects.get(question_set=published_set, key="d-subcontract-approval")
    subcontracting = Question.objects.get(question_set=published_set, key="d-subcontracting")
    save_now(assessment, bob, {subcontracting: AnswerChange(value="yes"), question: AnswerChange(value="unknown")})
    text = render.letter_text(assessment)
    assert "戸田市教育委員会 教育長 様" in text and "貴教育委員会が実施する" in text
    assert "戸田市長 様" not in text


def test_a_question_about_the_whole_municipality_put_to_the_board_names_it_once(bob, catalogue):
    """screening-serious-incident asks about every organ of the municipality (v2 on): to the 教育長 it
    read 「貴教育委員会（教育委員会などの機関を含む）で…」, the board twice and the rest of the town not at all."""
    from assessments import seed

    seed.seed_questionsets(seed.SeedReport())
    v4 = QuestionSet.objects.get(key="dx-pia", version=4)
    project = Project.objects.get(key="case-toda-kyoiku-db")
    assessment = assessment_create(user=bob, project=project, question_set=v4, title="戸田市", standpoint="resident")
    incident = Question.objects.get(question_set=v4, key="screening-serious-incident")
    personal = Question.objects.get(question_set=v4, key="screening-personal-data")
    save_now(assessment, bob, {personal: AnswerChange(value="yes"), incident: AnswerChange(value="unknown")})
    text = render.letter_text(assessment)
    assert "過去1年以内に、貴教育委員会、または同じ地方公共団体のほかの機関で個人情報の重大な漏えい" in text
    assert "貴教育委員会（教育委員会" not in text
    assert letter.put_to(incident.municipality_question, "貴市").startswith("過去1年以内に、貴市（教育委員会などの機関を含む）で")
    # What is the municipality's stays the municipality's: its ordinance, its share of the cost.
    ordinance = Question.objects.get(question_set=v4, key__in=[q.key for q in v4.questions.all()],
                                     municipality_question__startswith="個人情報保護法施行条例で")
    put = letter.put_to(ordinance.municipality_question, "貴教育委員会", "貴市")
    assert put.startswith("個人情報保護法施行条例で、貴市が独自に定めている") and "貴教育委員会が独自" not in put
    assert "貴市の自己負担" in letter.put_to("交付金の額と貴団体の自己負担の額", "貴教育委員会", "貴市")
    assert "貴教育委員会が事前に承認" in letter.put_to("再委託について、貴団体が事前に承認した記録", "貴教育委員会", "貴市")


def test_the_council_form_is_a_draft_general_question_with_points_per_item(gaps, bob_client):
    settings_post(bob_client, gaps, form="council", sender_name="議員 太郎（架空）")
    text = render.letter_text(gaps)
    assert "一般質問 通告書（案）" in text and "質問の相手: 町長" in text
    assert "件名: 「こどもデータ連携実証事業」における個人情報の保護について" in text
    assert "質問者:  議員 太郎（架空）" in text
    assert text.count("伺う。") >= 2 and "教えてください" not in text and "様" not in text.split("質問要旨")[0]
    pdf = squash("".join(pdf_text(render.letter_pdf(gaps))))
    assert squash("一般質問 通告書（案）") in pdf and squash("質問要旨") in pdf
    # The points are numbered on across the sections, in the PDF as in the text (2 in 2 sections).
    body = pdf.split(squash("質問要旨"))[1]
    assert "（1）" in body and "（2）" in body and body.index("（1）") < body.index("（2）")
    assert "（1）" in text.split("質問要旨")[1] and "（2）" in text.split("質問要旨")[1]


def test_a_council_members_assessment_starts_in_the_council_form(bob, misato, published_set, client):
    assessment = assessment_create(user=bob, project=misato, question_set=published_set, title="議員", standpoint="council")
    assert "一般質問 通告書（案）" in render.letter_text(assessment)


def test_council_points_turn_requests_into_questions():
    assert letter.council_point("再委託はあるかどうか、お示しいただけますでしょうか。ある場合は、名称もあわせてお示しいただけますと幸いです。") == \
        "再委託はあるかどうかを伺う。ある場合は、名称もあわせて伺う。"
    assert letter.council_point("契約書の写しをご提供いただけますでしょうか。") == "契約書の写しを示されたい。"
    assert letter.council_point("窓口を教えてください。") == "窓口を伺う。"
    # The member asks about their own town: 本町, not the letter's 貴町.
    assert letter.council_point("貴町（教育委員会などの機関を含む）が事前に承認した再委託か、お示しいただけますでしょうか。") == \
        "本町（教育委員会などの機関を含む）が事前に承認した再委託かを伺う。"
    assert letter.council_point("貴教育委員会の規程をご提供いただけますでしょうか。") == "教育委員会の規程を示されたい。"


def test_the_letter_settings_travel_with_the_assessment_file(gaps, bob, bob_client, charlie):
    from assessments.exchange import AssessmentFileError, assessment_from_data, assessment_to_data

    reply_by = timezone.localdate() + datetime.timedelta(days=20)
    assert settings_post(bob_client, gaps, form="council", addressed_to="education", sender_name="山田花子",
                         sender_contact="misato@example.org", reply_by=reply_by.isoformat()).status_code == 302
    data = assessment_to_data(gaps)
    assert data["letter"] == {"form": "council", "addressed_to": "education", "sender_name": "山田花子",
                              "sender_organisation": "", "sender_contact": "misato@example.org",
                              "reply_by": reply_by.isoformat()}
    copy = assessment_from_data(data, user=charlie)
    details = LetterDetails.objects.get(assessment=copy)
    assert (details.form, details.addressed_to, details.sender_name, details.reply_by) == (
        "council", "education", "山田花子", reply_by)
    assert render.letter_text(copy) == render.letter_text(gaps)

    # Checked as on 質問書をつくる: a bad setting refuses the whole file, with the field named.
    before = copy.__class__.objects.count()
    for bad, message in (({**data["letter"], "reply_by": "2020-01-01"}, "回答の期限"),
                         ({**data["letter"], "form": "tweet"}, "様式"),
                         ({**data["letter"], "login": "bob"}, "login"),
                         ("山田花子", "letter")):
        with pytest.raises(AssessmentFileError, match=message):
            assessment_from_data({**data, "letter": bad}, user=charlie)
    assert copy.__class__.objects.count() == before
    # A file without settings (older exports, the demo) imports with the defaults.
    del data["letter"]
    assert not LetterDetails.objects.filter(assessment=assessment_from_data(data, user=charlie)).exists()
