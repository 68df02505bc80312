"""The assessment wizard: what a resident sees and what is stored."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.answer_saving import assessment_create
from assessments.models import Answer, Assessment, InventoryRow, Question, QuestionSet
from assessments.questionset_io import questionset_from_data
from tests.conftest import make_questionset_data
from tests.forms_helper import read_form

pytestmark = pytest.mark.django_db


def section_url(assessment, key):
    return reverse("assessment_section", args=[assessment.pk, key])


def open_section(client, assessment, key):
    response = client.get(section_url(assessment, key))
    assert response.status_code == 200
    return read_form(response.content.decode())


def post_section(client, assessment, key, changes=None, *, data=None, goto=None):
    data = data if data is not None else open_section(client, assessment, key)
    data.update(changes or {})
    data["goto"] = goto or key
    return client.post(section_url(assessment, key), data)


def stored(assessment, key):
    return Answer.objects.filter(assessment=assessment, question__key=key).first()


def autosave(client, assessment, **payload):
    return client.post(
        reverse("assessment_autosave", args=[assessment.pk]), json.dumps(payload), content_type="application/json"
    )


# --- Starting ----------------------------------------------------------------------------------------


def test_pages_need_sign_in(client, assessment):
    for url in (
        reverse("assessment_list"),
        reverse("assessment_start", args=["case-misato-kodomo-data"]),
        section_url(assessment, "a"),
        reverse("assessment_summary", args=[assessment.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_start_preselects_the_latest_published_set_and_prefills_the_inventory(bob_client, misato, published_set):
    page = bob_client.get(reverse("assessment_start", args=[misato.key])).content.decode()
    assert f'value="{published_set.pk}" selected' in page
    response = bob_client.post(
        reverse("assessment_start", args=[misato.key]),
        {"question_set": published_set.pk, "title": "美里町こどもデータ連携の評価", "standpoint": "council"},
    )
    assessment = Assessment.objects.get()
    assert response.status_code == 302 and response["Location"] == section_url(assessment, "screening")
    assert (assessment.title, assessment.standpoint, assessment.project) == ("美里町こどもデータ連携の評価", "council", misato)
    rows = InventoryRow.objects.filter(answer__assessment=assessment)
    assert rows.count() == 21
    assert rows.get(data_item="妊産婦健診データ").purpose == "虐待、産後うつ"


def test_start_refuses_a_draft_question_set(bob_client, misato, published_set):
    draft = questionset_from_data(make_questionset_data(key="draft-only"))
    response = bob_client.post(
        reverse("assessment_start", args=[misato.key]),
        {"question_set": draft.pk, "title": "x", "standpoint": "resident"},
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_list_shows_only_my_assessments(bob_client, assessment, charlie, misato, published_set):
    assessment_create(user=charlie, project=misato, question_set=published_set, title="チャーリーの評価", standpoint="other")
    page = bob_client.get(reverse("assessment_list")).content.decode()
    assert "美里町の評価" in page and "チャーリーの評価" not in page
    project_page = bob_client.get(reverse("project_detail", args=[misato.key])).content.decode()
    assert "美里町の評価" in project_page and "チャーリーの評価" not in project_page


# --- Saving sections ------------------------------------------------------------------------------


def test_answers_notes_and_evidence_are_saved_and_shown_again(bob_client, assessment):
    response = post_section(bob_client, assessment, "a", {
        "q-a-public-comment": "partial",
        "note-a-public-comment": "意見募集は2週間だけだった。",
        "ev-a-public-comment-0-title": "町の広報 2024年5月号",
        "ev-a-public-comment-0-url": "https://www.town.misato.saitama.jp/",
        "ev-a-public-comment-0-page": "3",
        "ev-a-public-comment-0-date": "2024-05-01",
    }, goto="b")
    assert response.status_code == 302 and response["Location"] == section_url(assessment, "b")
    answer = stored(assessment, "a-public-comment")
    assert answer.value == "partial" and answer.note == "意見募集は2週間だけだった。"
    assert answer.snapshot["choices"][0]["label"] == "一部"
    evidence = answer.evidence.get()
    assert (evidence.title, evidence.page, str(evidence.date)) == ("町の広報 2024年5月号", "3", "2024-05-01")
    again = open_section(bob_client, assessment, "a")
    assert again["q-a-public-comment"] == "partial"
    assert again["note-a-public-comment"] == "意見募集は2週間だけだった。"
    assert again["ev-a-public-comment-0-title"] == "町の広報 2024年5月号"
    assessment.refresh_from_db()
    assert assessment.revision == 1


def test_any_section_opens_without_validating_the_current_one(bob_client, assessment):
    # Nothing answered in A; moving to F is allowed and saves what was typed.
    response = post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "町に問い合わせ中"}, goto="f")
    assert response.status_code == 302 and response["Location"] == section_url(assessment, "f")
    assert stored(assessment, "a-consent-legal-basis").note == "町に問い合わせ中"


def test_over_long_text_gets_a_field_error_keeps_all_input_and_saves_nothing(bob_client, assessment):
    long_text = "長" * 20_001
    response = post_section(bob_client, assessment, "f", {
        "q-f-review-opinion": long_text,
        "q-f-review-body": "done",
    })
    page = response.content.decode()
    assert response.status_code == 400
    assert "20,000文字以内で入力してください" in page
    assert long_text in page and 'value="done"' in page
    assert not Answer.objects.filter(assessment=assessment, question__section__key="f").exists()


def test_a_choice_from_another_question_is_rejected_and_nothing_saved(bob_client, assessment):
    response = post_section(bob_client, assessment, "a", {
        "q-a-public-comment": "justified",  # a key of a B question's choices
        "note-a-public-comment": "これも保存されてはいけない",
    })
    assert response.status_code == 400
    assert "この質問の選択肢から選んでください" in response.content.decode()
    assert not Answer.objects.filter(assessment=assessment, question__section__key="a").exists()


def test_control_characters_are_stripped_and_html_is_stored_as_text(bob_client, assessment):
    post_section(bob_client, assessment, "c", {"q-c-legal-article": "第69条\x00第2項\x07", "q-c-beyond-purpose": "with-basis",
                                               "note-c-beyond-purpose": "<script>alert('x')</script>"})
    assert stored(assessment, "c-legal-article").value == "第69条第2項"
    assert stored(assessment, "c-beyond-purpose").note == "<script>alert('x')</script>"
    page = bob_client.get(section_url(assessment, "c")).content.decode()
    assert "<script>alert('x')</script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    summary = bob_client.get(reverse("assessment_summary", args=[assessment.pk])).content.decode()
    assert "<script>alert" not in summary


def test_numbers_and_dates_are_checked(bob_client, assessment):
    response = post_section(bob_client, assessment, "g", {"q-g-total-cost": "たくさん"})
    assert response.status_code == 400 and "数値で入力してください" in response.content.decode()
    response = post_section(bob_client, assessment, "g", {"q-g-total-cost": "１２，５００"})
    assert response.status_code == 302
    assert stored(assessment, "g-total-cost").value == "12500"


def test_another_users_assessment_is_404_everywhere(client, charlie, assessment):
    client.force_login(charlie)
    assert client.get(section_url(assessment, "a")).status_code == 404
    assert client.post(section_url(assessment, "a"), {"revision": 0, "q-a-public-comment": "done"}).status_code == 404
    assert client.get(reverse("assessment_summary", args=[assessment.pk])).status_code == 404
    assert client.get(reverse("assessment_detail", args=[assessment.pk])).status_code == 404
    assert autosave(client, assessment, question="a-public-comment", value="done", revision=0).status_code == 404
    assert not Answer.objects.filter(assessment=assessment, question__section__key="a").exists()


def test_an_unknown_section_is_404(bob_client, assessment):
    assert bob_client.get(section_url(assessment, "zz")).status_code == 404


# --- Inventory ------------------------------------------------------------------------------------


def test_inventory_rows_can_be_added_changed_and_removed(bob_client, assessment):
    data = open_section(bob_client, assessment, "b")
    assert data["inv-TOTAL_FORMS"] == "21"
    data.update({
        "inv-0-sensitive": "yes", "inv-0-necessity": "",  # sensitive with no stated necessity
        "inv-1-DELETE": "on",
        "inv-TOTAL_FORMS": "22",
        "inv-21-data_item": "転出入回数", "inv-21-sensitive": "no", "inv-21-children": "yes",
        "inv-21-shared_with_vendor": "unknown", "inv-21-purpose": "虐待の予兆把握",
    })
    response = post_section(bob_client, assessment, "b", data=data)
    assert response.status_code == 302
    rows = list(InventoryRow.objects.filter(answer__assessment=assessment).order_by("position"))
    assert len(rows) == 21
    assert rows[0].sensitive == "yes" and rows[0].flagged
    assert rows[-1].data_item == "転出入回数" and rows[-1].children == "yes"
    assert "児童生徒氏名、学校名、欠席日数、遅刻日数等データ" not in [r.data_item for r in rows]
    summary = bob_client.get(reverse("assessment_summary", args=[assessment.pk])).content.decode()
    assert f"要配慮個人情報「{rows[0].data_item}」について、目的に必要な理由が書かれていません" in summary


def test_an_inventory_row_without_a_name_is_explained(bob_client, assessment):
    data = open_section(bob_client, assessment, "b")
    data.update({"inv-TOTAL_FORMS": "22", "inv-21-purpose": "目的だけ", "inv-21-sensitive": "unknown",
                 "inv-21-children": "unknown", "inv-21-shared_with_vendor": "unknown"})
    response = post_section(bob_client, assessment, "b", data=data)
    assert response.status_code == 400 and "データ項目の名前を入力してください" in response.content.decode()
    assert "目的だけ" in response.content.decode()


def test_the_add_row_button_works_without_javascript(bob_client, assessment):
    data = open_section(bob_client, assessment, "b")
    data["add_row"] = "1"
    response = bob_client.post(section_url(assessment, "b"), data)
    assert response.status_code == 302 and "add_row=1" in response["Location"]
    data = read_form(bob_client.get(response["Location"]).content.decode())
    assert data["inv-TOTAL_FORMS"] == "22"


# --- Conditions and summary -------------------------------------------------------------------------


def test_conditional_questions_follow_the_answer_and_hidden_answers_do_not_count(bob_client, assessment):
    page = bob_client.get(section_url(assessment, "f")).content.decode()
    assert 'id="q-f-resident-members"' in page
    assert page.split('id="q-f-resident-members"')[1].split(">")[0].count("hidden") == 1

    post_section(bob_client, assessment, "f", {"q-f-review-body": "done", "q-f-resident-members": "unknown"})
    page = bob_client.get(section_url(assessment, "f")).content.decode()
    assert "hidden" not in page.split('id="q-f-resident-members"')[1].split(">")[0]
    summary = bob_client.get(reverse("assessment_summary", args=[assessment.pk])).content.decode()
    resident_question = Question.objects.get(question_set=assessment.question_set, key="f-resident-members")
    assert resident_question.text in summary.split('id="unknown-list"')[1].split("</ul>")[0]

    # The review body turns out not to exist: the follow-up's stored answer stays but stops counting.
    post_section(bob_client, assessment, "f", {"q-f-review-body": "not-done"})
    assert stored(assessment, "f-resident-members").value == "unknown"
    summary = bob_client.get(reverse("assessment_summary", args=[assessment.pk])).content.decode()
    assert resident_question.text not in summary.split('id="unknown-list"')[1].split("</ul>")[0]


def test_summary_lists_incomplete_unknown_flags_and_questions_for_the_municipality(bob_client, assessment):
    post_section(bob_client, assessment, "d", {"q-d-deletion-at-end": "not-done", "q-d-purpose-copy-ban": "not-disclosed"})
    response = bob_client.get(reverse("assessment_summary", args=[assessment.pk]))
    page = response.content.decode()
    questions = {q.key: q for q in Question.objects.filter(question_set=assessment.question_set)}
    assert response.status_code == 200
    assert questions["d-purpose-copy-ban"].municipality_question in page
    red_flag = questions["d-deletion-at-end"].choices.get(key="not-done").red_flag
    assert red_flag in page
    assert f'{section_url(assessment, "a")}#q-a-public-comment' in page  # an unanswered required question, linked
    assert "未開示（1）" in page


def test_snapshots_keep_what_the_respondent_saw(bob_client, assessment):
    post_section(bob_client, assessment, "a", {"q-a-public-comment": "done"})
    answer = stored(assessment, "a-public-comment")
    snapshot = dict(answer.snapshot)
    clone_data = answer.question.text
    # A later version of the set may word things differently; the answer keeps its own words.
    from assessments.services import questionset_clone

    clone = questionset_clone(question_set=assessment.question_set)
    question = clone.questions.get(key="a-public-comment")
    question.text = "新しい版の質問文"
    question.save()
    answer.refresh_from_db()
    assert answer.snapshot == snapshot and snapshot["question"] == clone_data
    assert snapshot["choices"] == [{"key": "done", "label": "実施・確認済み", "score": 2, "meaning": "answer", "red_flag": ""}]


# --- No silent overwrite --------------------------------------------------------------------------


def test_a_stale_save_of_the_same_answer_is_refused_and_shows_both_values(bob_client, assessment):
    tab_one = open_section(bob_client, assessment, "a")
    tab_two = open_section(bob_client, assessment, "a")
    assert post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "タブ2の内容"}, data=tab_two).status_code == 302
    response = post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "タブ1の内容"}, data=tab_one)
    page = response.content.decode()
    assert response.status_code == 409
    assert "タブ1の内容" in page and "タブ2の内容" in page and "保存できませんでした" in page
    assert stored(assessment, "a-consent-legal-basis").note == "タブ2の内容"
    # Saving again from the conflict page overwrites deliberately.
    again = read_form(page)
    assert post_section(bob_client, assessment, "a", data=again).status_code == 302
    assert stored(assessment, "a-consent-legal-basis").note == "タブ1の内容"


def test_a_stale_save_of_other_answers_is_merged(bob_client, assessment):
    tab_one = open_section(bob_client, assessment, "a")
    tab_two = open_section(bob_client, assessment, "a")
    post_section(bob_client, assessment, "a", {"q-a-public-comment": "done"}, data=tab_two)
    response = post_section(bob_client, assessment, "a", {"q-a-consent-legal-basis": "unknown"}, data=tab_one)
    assert response.status_code == 302
    assert stored(assessment, "a-public-comment").value == "done"
    assert stored(assessment, "a-consent-legal-basis").value == "unknown"


# --- Autosave ---------------------------------------------------------------------------------------


def test_autosave_saves_text_and_returns_the_time_and_revision(bob_client, assessment):
    response = autosave(bob_client, assessment, question="c-legal-article", value="第69条第2項第2号", revision=0)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["revision"] == 1 and len(body["saved_at"]) == 5
    assert stored(assessment, "c-legal-article").value == "第69条第2項第2号"
    response = autosave(bob_client, assessment, question="c-legal-article", field="note", value="条文は未確認", revision=1)
    assert response.json()["revision"] == 2
    assert stored(assessment, "c-legal-article").note == "条文は未確認"


def test_autosave_refuses_a_stale_revision_of_the_same_answer(bob_client, assessment):
    autosave(bob_client, assessment, question="c-legal-article", value="最初", revision=0)
    response = autosave(bob_client, assessment, question="c-legal-article", value="古いタブ", revision=0)
    assert response.status_code == 409
    assert response.json()["stored"]["value"] == "最初"
    assert stored(assessment, "c-legal-article").value == "最初"


def test_autosave_rejects_bad_input(bob_client, assessment, published_set):
    other = questionset_from_data(make_questionset_data(key="other-set", status="published"))
    cases = [
        ({"question": "s0-q0", "value": "done", "revision": 0}, 400),  # a question of another set
        ({"question": "a-public-comment", "value": "bogus", "revision": 0}, 400),
        ({"question": "f-review-opinion", "value": "x" * 20_001, "revision": 0}, 400),
        ({"question": "b-inventory", "value": "rows", "revision": 0}, 400),
        ({"question": "a-public-comment", "value": "done"}, 400),  # no revision
    ]
    for payload, status in cases:
        assert autosave(bob_client, assessment, **payload).status_code == status, payload
    bad_json = bob_client.post(reverse("assessment_autosave", args=[assessment.pk]), "{not json", content_type="application/json")
    assert bad_json.status_code == 400
    assert not Answer.objects.filter(assessment=assessment).exclude(question__type="inventory").exists()
    assert other.questions.count() == 6


def test_autosave_needs_post(bob_client, assessment):
    assert bob_client.get(reverse("assessment_autosave", args=[assessment.pk])).status_code == 405


# --- Queries ------------------------------------------------------------------------------------------


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url_name", ["section", "summary", "report_preview"])
def test_pages_use_the_same_number_of_queries_for_10_and_100_questions(bob_client, bob, misato, url_name):
    counts = []
    for sections, per_section in ((2, 5), (4, 25)):
        question_set = questionset_from_data(
            make_questionset_data(key=f"size-{sections}", status="published", sections=sections, questions_per_section=per_section)
        )
        assessment = assessment_create(user=bob, project=misato, question_set=question_set, title="t", standpoint="other")
        data = open_section(bob_client, assessment, "s0")
        data.update({f"q-s0-q{i}": "done" for i in range(per_section)})
        post_section(bob_client, assessment, "s0", data=data)
        url = {
            "section": section_url(assessment, "s0"),
            "summary": reverse("assessment_summary", args=[assessment.pk]),
            "report_preview": reverse("report_preview", args=[assessment.pk]),
        }[url_name]
        counts.append(query_count(bob_client, url))
    assert counts[0] == counts[1]
    assert counts[0] <= 20
    assert QuestionSet.objects.count() == 2


def test_the_screening_page_states_the_recommended_depth_and_why(bob_client, assessment):
    page = bob_client.get(section_url(assessment, "screening")).content.decode()
    assert "判定できない" in page and "対象人数が不明" in page
    post_section(bob_client, assessment, "screening", {
        "q-screening-persons-covered": "2,400",
        "q-screening-handlers": "30",
        "q-screening-serious-incident": "no",
        "q-screening-criteria": ["sensitive", "vulnerable"],
    })
    page = bob_client.get(section_url(assessment, "screening")).content.decode()
    result = page.split('id="screening-result"')[1].split("</div>")[0]
    assert "詳細な評価（全項目評価に相当）" in result
    assert "対象人数2,400人" in result and "該当する基準が2つ" in result


def test_sensitive_rows_without_legal_basis_are_red_flags(bob_client, assessment):
    data = open_section(bob_client, assessment, "b")
    data.update({"inv-2-sensitive": "yes", "inv-2-necessity": "虐待の早期発見に健診結果が必要", "inv-2-legal_basis": ""})
    post_section(bob_client, assessment, "b", data=data)
    item = InventoryRow.objects.get(answer__assessment=assessment, position=2).data_item
    summary = bob_client.get(reverse("assessment_summary", args=[assessment.pk])).content.decode()
    assert f"要配慮個人情報「{item}」について、法的根拠（同意または法令）が書かれていません" in summary
    assert f"要配慮個人情報「{item}」について、目的に必要な理由が書かれていません" not in summary
