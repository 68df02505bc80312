"""The assessment wizard: what a resident sees and what is stored."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import answer_saving, selectors
from assessments.answer_saving import assessment_create
from assessments.models import Answer, AnswerHistory, Assessment, InventoryRow, Project, Question, QuestionSet
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


def part_base(form: dict, key: str, part: str) -> int:
    """The version of one part that a page shows (its hidden token)."""
    return int(form[f"v-{key}-{part}"].split(":")[0])


def autosave(client, assessment, **payload):
    return client.post(
        reverse("assessment_autosave", args=[assessment.pk]), json.dumps(payload), content_type="application/json"
    )


# --- Starting ----------------------------------------------------------------------------------------


def test_pages_need_sign_in(client, assessment):
    # The start page explains accounts to visitors instead (tests/test_accounts.py).
    for url in (
        reverse("assessment_list"),
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
    assert rows.get(data_item="住民記録データ").note == "資料上のベンダー: TKC"


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


def test_over_long_text_gets_a_field_error_beside_it_keeps_all_input_and_saves_the_rest(bob_client, assessment):
    long_text = "長" * 20_001
    response = post_section(bob_client, assessment, "f", {
        "q-f-review-opinion": long_text,
        "q-f-review-body": "done",
    })
    page = response.content.decode()
    assert response.status_code == 400
    assert long_text in page
    assert read_form(page)["q-f-review-body"] == "done"
    # The error summary comes first, is announced, names the question and links to its field.
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    opinion = Question.objects.get(question_set=assessment.question_set, key="f-review-opinion")
    assert 'role="alert" id="error-summary"' in page
    assert 'href="#id_q-f-review-opinion"' in summary and "20,000文字以内で入力してください" in summary
    assert opinion.text[:20] in summary
    assert "<title>入力エラー:" in page
    # The message is also beside the field itself.
    field = page.split('id="id_q-f-review-opinion"')[1]
    assert "20,000文字以内で入力してください" in field[: len(long_text) + 2000]
    # The banner says truthfully what was saved: the valid answer was, the long text was not.
    saved = page.split('id="save-report"')[1].split('id="error-summary"')[0]
    body = Question.objects.get(question_set=assessment.question_set, key="f-review-body")
    assert "1件の質問の回答を保存しました" in saved and body.text[:20] in saved
    assert stored(assessment, "f-review-body").value == "done"
    assert stored(assessment, "f-review-opinion") is None


def test_a_choice_from_another_question_is_refused_and_the_valid_note_saved(bob_client, assessment):
    response = post_section(bob_client, assessment, "a", {
        "q-a-public-comment": "justified",  # a key of a B question's choices
        "note-a-public-comment": "補足は保存される",
    })
    assert response.status_code == 400
    assert "この質問の選択肢から選んでください" in response.content.decode()
    answer = stored(assessment, "a-public-comment")
    assert answer.value is None and answer.note == "補足は保存される"


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


class _Element(HTMLParser):
    """The attributes and the text of the element with a given id."""

    def __init__(self, id_):
        super().__init__(convert_charrefs=True)
        self.id, self.attrs, self.text, self.depth, self.tag = id_, None, "", 0, None

    def handle_starttag(self, tag, attrs):
        if self.attrs is None and dict(attrs).get("id") == self.id:
            self.attrs, self.tag, self.depth = dict(attrs), tag, 1
        elif self.depth and tag == self.tag:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth and tag == self.tag:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text += data


def element(html: str, id_: str) -> tuple[dict, str]:
    reader = _Element(id_)
    reader.feed(html)
    assert reader.attrs is not None, f"no element with id {id_!r}"
    return reader.attrs, reader.text


def test_a_refused_choice_in_an_inventory_row_is_marked_and_its_message_named(bob_client, assessment):
    """A value the select does not offer (a hand-made request, an old tab) is refused beside the select:
    marked invalid, and the select names its message for screen readers; the row's other input stays."""
    before = list(InventoryRow.objects.filter(answer__assessment=assessment).values_list("children", "note"))
    data = open_section(bob_client, assessment, "b")
    data.update({"inv-0-children": "たぶん", "inv-0-note": "残したいメモ<b>"})
    response = post_section(bob_client, assessment, "b", data=data)
    assert response.status_code == 400
    page = response.content.decode()
    select, _text = element(page, "id_inv-0-children")
    assert select["aria-invalid"] == "true" and "is-invalid" in select["class"].split()
    _attrs, message = element(page, select["aria-describedby"])
    assert "たぶん は候補にありません" in message
    assert element(page, "id_inv-0-note")[1] == "残したいメモ<b>"
    assert list(InventoryRow.objects.filter(answer__assessment=assessment).values_list("children", "note")) == before


def test_a_sensitive_row_without_a_legal_basis_is_flagged_on_the_page(bob_client, assessment):
    """The ⚠ of a stored row is in the page as served (the editor's script only keeps it in step)."""
    data = open_section(bob_client, assessment, "b")
    data.update({"inv-0-sensitive": "yes", "inv-0-necessity": "見守りに必要", "inv-0-legal_basis": "",
                 "inv-1-sensitive": "yes", "inv-1-necessity": "見守りに必要", "inv-1-legal_basis": "児童福祉法第25条の2",
                 "inv-2-sensitive": "no", "inv-2-necessity": "", "inv-2-legal_basis": ""})
    assert post_section(bob_client, assessment, "b", data=data).status_code == 302
    page = bob_client.get(section_url(assessment, "b")).content.decode()
    rows = page.split('<tr class="dx-inventory-row')[1:4]
    flags = [(row.startswith(" dx-flagged"), '<p class="dx-row-flag small mb-0 mt-1" hidden>' not in row) for row in rows]
    assert flags == [(True, True), (False, False), (False, False)]
    assert "要配慮個人情報: 必要な理由か法的根拠が空です" in rows[0]


def test_each_select_of_each_inventory_row_shows_its_own_choices_and_its_rows_value():
    """The rows' selects are written from options escaped once per page; each field keeps its own
    options, and each row its own value (a value the field does not offer selects nothing)."""
    from django import forms
    from django.template import Context, Template

    from assessments.forms import InventoryRowForm

    class WithAnotherSelect(InventoryRowForm):
        basis_kind = forms.ChoiceField(choices=[("law", "法律"), ("ordinance", "条例<b>")], widget=forms.Select)
        DELETE = forms.BooleanField(required=False)

    rows = [WithAnotherSelect(prefix=f"inv-{i}", initial={"data_item": f"項目{i}", "sensitive": sensitive,
                                                           "basis_kind": kind})
            for i, (sensitive, kind) in enumerate([("yes", "ordinance"), ("no", "law"), ("unknown", "treaty")])]
    page = Template("{% load inventory_row %}{% for form in rows %}{% inventory_row form forloop.counter %}{% endfor %}"
                    ).render(Context({"rows": rows}))

    def options(name):
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page).group(1)
        return re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)

    assert options("inv-0-basis_kind") == [("law", "", "法律"), ("ordinance", " selected", "条例&lt;b&gt;")]
    assert options("inv-1-basis_kind") == [("law", " selected", "法律"), ("ordinance", "", "条例&lt;b&gt;")]
    assert [selected for _value, selected, _label in options("inv-2-basis_kind")] == ["", ""]
    for i, value in enumerate(["yes", "no", "unknown"]):
        sensitive = options(f"inv-{i}-sensitive")
        assert [v for v, _s, _l in sensitive] == [v for v, _l in InventoryRowForm.YES_NO]
        assert [v for v, selected, _l in sensitive if selected] == [value]


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
    asked = answer.question.text
    assert answer.snapshot["question"] == asked
    assert answer.snapshot["choices"] == [{"key": "done", "label": "実施・確認済み", "score": 2, "meaning": "answer", "red_flag": ""}]
    # The words change under the answer (a correction made in the database: a published set itself
    # is frozen): the summary and the report still show the question and the choice as answered.
    from assessments.models import Choice
    from assessments.reports import render

    with connection.cursor() as cursor:  # past the freeze, as a correction in the database would be
        cursor.execute(f"UPDATE {Question._meta.db_table} SET text = %s WHERE id = %s", ["新しい版の質問文", answer.question_id])
        cursor.execute(f"UPDATE {Choice._meta.db_table} SET label = %s WHERE question_id = %s AND key = %s",
                       ["新しいラベル", answer.question_id, "done"])
    html = render.report_html(Assessment.objects.get(pk=assessment.pk))
    item = html.split(asked)[1].split('class="question')[0]
    assert "実施・確認済み" in item and "新しいラベル" not in html and "新しい版の質問文" not in html


# --- No silent overwrite --------------------------------------------------------------------------


def test_a_stale_save_of_the_same_answer_is_refused_and_shows_both_values(bob_client, assessment):
    tab_one = open_section(bob_client, assessment, "a")
    tab_two = open_section(bob_client, assessment, "a")
    assert post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "タブ2の内容"}, data=tab_two).status_code == 302
    response = post_section(bob_client, assessment, "a", {
        "note-a-consent-legal-basis": "タブ1の内容", "q-a-public-comment": "partial",
    }, data=tab_one)
    page = response.content.decode()
    assert response.status_code == 409
    box = page.split('id="conflicts-a-consent-legal-basis"')[1].split('id="id_note-a-consent-legal-basis"')[0]
    assert "タブ2の内容" in box and "タブ1の内容" in box and "「補足」は" in box
    assert "自分の入力で上書き" in box and "保存済みの内容を使う" in box
    assert stored(assessment, "a-consent-legal-basis").note == "タブ2の内容"
    # The other answer in the same post went through.
    assert stored(assessment, "a-public-comment").value == "partial"
    # Saving the conflict page again without choosing changes nothing …
    again = read_form(page)
    assert post_section(bob_client, assessment, "a", data=dict(again)).status_code == 409
    assert stored(assessment, "a-consent-legal-basis").note == "タブ2の内容"
    # … 「自分の入力で上書き」 overwrites deliberately.
    mine = dict(again, resolve=mine_button(page, "a-consent-legal-basis", "note"))
    assert post_section(bob_client, assessment, "a", data=mine).status_code == 302
    assert stored(assessment, "a-consent-legal-basis").note == "タブ1の内容"


def mine_button(page: str, key: str, part: str) -> str:
    """The value of a conflict box's 「自分の入力で上書き」 button, as the browser sends it."""
    return re.search(rf'name="resolve" value="({re.escape(key)}:{part}:mine:\d+)"', page)[1]


def test_overwriting_with_mine_overwrites_only_the_save_the_box_showed(bob_client, assessment):
    """Tab 1's conflict box shows tab 2's first save; tab 2 then saves again. 「自分の入力で上書き」 in
    tab 1 must not overwrite that second save, which tab 1 never saw: a new conflict shows it."""
    tab_one = open_section(bob_client, assessment, "a")
    tab_two = open_section(bob_client, assessment, "a")
    post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "B1"}, data=tab_two)
    page = post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "A1"}, data=tab_one).content.decode()
    button = mine_button(page, "a-consent-legal-basis", "note")
    post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "B2"})  # tab 2, reloaded
    response = post_section(bob_client, assessment, "a", data=dict(read_form(page), resolve=button))
    again = response.content.decode()
    assert response.status_code == 409 and stored(assessment, "a-consent-legal-basis").note == "B2"
    assert "B2" in again.split('id="conflicts-a-consent-legal-basis"')[1].split('id="id_note-a-consent-legal-basis"')[0]
    # The new box's button overwrites B2, which it showed.
    response = post_section(bob_client, assessment, "a", data=dict(read_form(again), resolve=mine_button(again, "a-consent-legal-basis", "note")))
    assert response.status_code == 302 and stored(assessment, "a-consent-legal-basis").note == "A1"
    # A button without a version (a page of an older dxpia), or with one that is not a number (no
    # 500 for "²", which str.isdigit() takes for a digit), or with a version above the stored one,
    # overwrites nothing.
    post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "B3"})
    for button in ("a-consent-legal-basis:note:mine", "a-consent-legal-basis:note:mine:²",
                   "a-consent-legal-basis:note:mine:999999999"):
        stale = post_section(bob_client, assessment, "a", data=dict(read_form(again), resolve=button))
        assert stale.status_code == 409 and stored(assessment, "a-consent-legal-basis").note == "B3", button


def test_using_the_stored_content_keeps_it_and_shows_it(bob_client, assessment):
    tab_one = open_section(bob_client, assessment, "a")
    tab_two = open_section(bob_client, assessment, "a")
    post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "先に保存"}, data=tab_two)
    page = post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "後から"}, data=tab_one).content.decode()
    response = post_section(bob_client, assessment, "a", data=dict(read_form(page), resolve="a-consent-legal-basis:note:stored"))
    assert response.status_code == 302
    assert stored(assessment, "a-consent-legal-basis").note == "先に保存"
    assert open_section(bob_client, assessment, "a")["note-a-consent-legal-basis"] == "先に保存"


def test_a_stale_save_of_other_answers_is_merged(bob_client, assessment):
    tab_one = open_section(bob_client, assessment, "a")
    tab_two = open_section(bob_client, assessment, "a")
    post_section(bob_client, assessment, "a", {"q-a-public-comment": "done"}, data=tab_two)
    response = post_section(bob_client, assessment, "a", {"q-a-consent-legal-basis": "unknown"}, data=tab_one)
    assert response.status_code == 302
    assert stored(assessment, "a-public-comment").value == "done"
    assert stored(assessment, "a-consent-legal-basis").value == "unknown"


def test_a_stale_page_does_not_undo_a_newer_save_it_did_not_touch(bob_client, assessment):
    tab_one = open_section(bob_client, assessment, "a")
    tab_two = open_section(bob_client, assessment, "a")
    post_section(bob_client, assessment, "a", {"note-a-public-comment": "新しい補足"}, data=tab_two)
    # Tab one still shows the empty note; posting it (with another change) must not erase the note.
    assert post_section(bob_client, assessment, "a", {"q-a-consent-legal-basis": "unknown"}, data=tab_one).status_code == 302
    assert stored(assessment, "a-public-comment").note == "新しい補足"


def test_a_second_tab_conflicts_per_answer_not_per_assessment(bob_client, assessment):
    """The sequence that once lost a note: tab A saves X; tab B (opened before) saves Y, then X."""
    tab_a = open_section(bob_client, assessment, "c")
    tab_b = open_section(bob_client, assessment, "c")
    response = autosave(bob_client, assessment, question="c-legal-article", part="note", value="Aの補足",
                        base=part_base(tab_a, "c-legal-article", "note"))
    assert response.status_code == 200
    response = autosave(bob_client, assessment, question="c-beyond-purpose", part="note", value="BのY",
                        base=part_base(tab_b, "c-beyond-purpose", "note"))
    assert response.status_code == 200
    # Tab B moves only Y's base forward; X is still the version tab B showed.
    response = autosave(bob_client, assessment, question="c-legal-article", part="note", value="Bの補足",
                        base=part_base(tab_b, "c-legal-article", "note"))
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] and body["stored"] == "Aの補足" and body["stored_text"] == "Aの補足"
    assert stored(assessment, "c-legal-article").note == "Aの補足"
    assert stored(assessment, "c-beyond-purpose").note == "BのY"
    # Overwriting deliberately: the base is the version the conflict answer named.
    response = autosave(bob_client, assessment, question="c-legal-article", part="note", value="Bの補足", base=body["version"])
    assert response.status_code == 200 and stored(assessment, "c-legal-article").note == "Bの補足"
    history = [h.new["note"] for h in AnswerHistory.objects.filter(question__key="c-legal-article").order_by("revision")]
    assert history == ["Aの補足", "Bの補足"]


# --- Autosave ---------------------------------------------------------------------------------------


def test_autosave_saves_text_and_returns_the_time_and_version(bob_client, assessment):
    response = autosave(bob_client, assessment, question="c-legal-article", part="value", value="第69条第2項第2号", base=0)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["version"] == 1 and len(body["saved_at"]) == 5 and body["token"].startswith("1:")
    assert stored(assessment, "c-legal-article").value == "第69条第2項第2号"
    response = autosave(bob_client, assessment, question="c-legal-article", part="note", value="条文は未確認", base=0)
    assert response.json()["version"] == 1  # the note has its own version
    assert stored(assessment, "c-legal-article").note == "条文は未確認"
    response = autosave(bob_client, assessment, question="c-legal-article", part="value", value="第69条", base=1)
    assert response.json()["version"] == 2


def test_autosave_refuses_a_stale_version_of_the_same_part(bob_client, assessment):
    autosave(bob_client, assessment, question="c-legal-article", part="value", value="最初", base=0)
    response = autosave(bob_client, assessment, question="c-legal-article", part="value", value="古いタブ", base=0)
    assert response.status_code == 409
    assert response.json()["stored"] == "最初"
    assert stored(assessment, "c-legal-article").value == "最初"
    # The same content from a stale page is no conflict: nothing would be lost.
    assert autosave(bob_client, assessment, question="c-legal-article", part="value", value="最初", base=0).status_code == 200


def test_autosave_saves_sources_and_inventory_rows(bob_client, assessment):
    source = {"title": "町の広報 2024年5月号", "url": "https://example.org/", "page": "3", "date": "2024-05-01", "note": ""}
    response = autosave(bob_client, assessment, question="a-public-comment", part="evidence", value=[source, {}], base=0)
    assert response.status_code == 200, response.content
    evidence = stored(assessment, "a-public-comment").evidence.get()
    assert (evidence.title, evidence.page, str(evidence.date)) == ("町の広報 2024年5月号", "3", "2024-05-01")
    # A source without a title is refused with the message for that row.
    response = autosave(bob_client, assessment, question="a-public-comment", part="evidence",
                        value=[source, {"url": "https://example.org/2"}], base=1)
    assert response.status_code == 400 and response.json()["rows"][1]["title"] == "資料名を入力してください。"
    data = open_section(bob_client, assessment, "b")
    rows = [{name.split("-", 2)[2]: data[name] for name in data if name.startswith(f"inv-{i}-")} for i in range(21)]
    rows.reverse()  # reordered
    rows.append({"data_item": "転出入回数", "children": "yes", "sensitive": "no", "shared_with_vendor": "unknown"})
    del rows[0]  # removed
    response = autosave(bob_client, assessment, question="b-inventory", part="rows", value=rows,
                        base=part_base(data, "b-inventory", "rows"))
    assert response.status_code == 200, response.content
    stored_rows = list(InventoryRow.objects.filter(answer__assessment=assessment).order_by("position"))
    assert [r.data_item for r in stored_rows] == [r["data_item"] for r in rows]
    assert stored_rows[-1].children == "yes"


def stored_answers(assessment):
    fresh = Assessment.objects.get(pk=assessment.pk)
    answers = sorted(Answer.objects.filter(assessment=assessment).values_list("question__key", "value", "note"))
    rows = list(InventoryRow.objects.filter(answer__assessment=assessment).order_by("position").values_list("data_item", "purpose"))
    return fresh.revision, answers, rows


def test_autosave_rejects_bad_input(bob_client, assessment, published_set):
    questionset_from_data(make_questionset_data(key="other-set", status="published"))
    before = stored_answers(assessment)
    assert len(before[2]) == 21  # the prefilled inventory, which bad input must leave as it is
    cases = [
        ({"question": "s0-q0", "value": "done", "base": 0}, 400),  # a question of another set
        ({"question": "a-public-comment", "value": "bogus", "base": 0}, 400),
        ({"question": "f-review-opinion", "value": "x" * 20_001, "base": 0}, 400),
        ({"question": "b-inventory", "part": "rows", "value": "rows", "base": 0}, 400),
        ({"question": "b-inventory", "part": "evidence", "value": [], "base": 0}, 400),
        ({"question": "a-public-comment", "part": "rows", "value": [], "base": 0}, 400),
        ({"question": "a-public-comment", "value": "done"}, 400),  # no base
        ({"question": "a-public-comment", "value": "done", "base": "1"}, 400),
        ({"question": "a-public-comment", "value": "done", "base": -1}, 400),
        ({"question": "g-total-cost", "value": "1E-99999999", "base": 0}, 400),
        ({"question": "g-total-cost", "value": "", "mark": "bogus", "base": 0}, 400),
        ({"question": "a-public-comment", "value": "", "mark": "unknown", "base": 0}, 400),  # choices have their own
    ]
    for payload, status in cases:
        assert autosave(bob_client, assessment, **payload).status_code == status, payload
    bad_json = bob_client.post(reverse("assessment_autosave", args=[assessment.pk]), "{not json", content_type="application/json")
    assert bad_json.status_code == 400
    not_a_dict = bob_client.post(reverse("assessment_autosave", args=[assessment.pk]), "[1]", content_type="application/json")
    assert not_a_dict.status_code == 400
    # Nothing was stored: the same answers, rows and revision as before the bad input.
    assert stored_answers(assessment) == before


def test_a_failed_background_save_names_the_question(bob_client, assessment):
    response = autosave(bob_client, assessment, question="g-total-cost", value="たくさん", base=0)
    body = response.json()
    question = Question.objects.get(question_set=assessment.question_set, key="g-total-cost")
    assert response.status_code == 400 and "数値で入力してください" in body["error"]
    assert body["question_text"].rstrip("…") in question.text


def test_a_background_save_takes_a_small_constant_number_of_queries(bob_client, assessment):
    """It does not rebuild the workspace to store the overall result: the same number of queries
    for every question, new or stored (SAVEPOINTs of the test's transaction included)."""
    def save(key, base):
        with CaptureQueriesContext(connection) as queries:
            response = autosave(bob_client, assessment, question=key, part="note", value=f"{key} {base}", base=base)
        assert response.status_code == 200
        return len(queries), queries

    save("screening-handlers", 0)  # the first save in a process reads the set's structure once
    keys = ("a-public-comment", "c-legal-article", "f-review-opinion", "g-total-cost")
    new = [save(key, 0)[0] for key in keys]
    updated = [save(key, 1) for key in keys]
    assert len(set(new)) == 1 and len({count for count, _queries in updated}) == 1, (new, updated)
    # (one of them withdraws the saver's reviewer seat, if any: reviewing.withdraw_reviewer_who_edited)
    assert max(new + [updated[0][0]]) <= 20, [q["sql"][:80] for q in updated[0][1].captured_queries]
    # The question and its choices are read by themselves, without joins to the set and the section
    # (the question by pk; Choice's order goes by the question's id).
    reads = [q["sql"] for q in updated[0][1].captured_queries
             if re.search(r'FROM "assessments_(question|choice)" ', q["sql"])]
    assert len(reads) == 2 and [sql for sql in reads if "JOIN" in sql] == [], reads
    # And every one of those saves was stored.
    for key in keys:
        assert stored(assessment, key).note == f"{key} 1"


def test_autosave_needs_post(bob_client, assessment):
    assert bob_client.get(reverse("assessment_autosave", args=[assessment.pk])).status_code == 405


def test_autosave_from_a_page_opened_by_another_person_stores_nothing(bob_client, bob, assessment):
    """Signed in again as someone else in the same browser: what the page holds is not saved in
    this person's name."""
    url = reverse("assessment_autosave", args=[assessment.pk])
    body = {"question": "c-legal-article", "part": "note", "value": "前の人の入力", "base": 0}
    refused = bob_client.post(url, json.dumps({**body, "user": bob.pk + 1000}), content_type="application/json")
    assert refused.status_code == 403 and refused.json()["other_user"] is True
    assert stored(assessment, "c-legal-article") is None
    assert bob_client.post(url, json.dumps({**body, "user": bob.pk}), content_type="application/json").status_code == 200
    assert stored(assessment, "c-legal-article").note == "前の人の入力"


def test_autosave_after_signing_out_says_so_in_json_and_stores_nothing(bob_client, assessment):
    """A page left open after its user signed out gets words it can show, not the sign-in page."""
    bob_client.logout()
    response = autosave(bob_client, assessment, question="c-legal-article", part="note", value="後で書いた", base=0)
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["signed_out"] is True and "ログインが切れたため保存できませんでした" in body["error"]
    assert stored(assessment, "c-legal-article") is None


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
    # The report's chapter 「対応計画」 reads the plan in one query; a new set's harms (risks.risk_part:
    # none, so no risk part) are read once and then kept.
    assert counts[0] <= 22
    assert QuestionSet.objects.count() == 2


def _progress_badges(page: str) -> dict[str, str]:
    """The section list's 「回答済み / 表示中の質問」 badges, by section key (as an editor sees them)."""
    return dict(re.findall(r'name="goto" value="([^"]+)"[^>]*>[^<]*</button>\s*<span class="badge[^"]*"\s*'
                           r'title="[^"]*">(\d+/\d+)</span>', page))


def test_every_section_page_counts_the_progress_of_the_others_the_same(bob_client, assessment):
    """A section page reads the sources and inventory rows of its own questions only; the other
    sections' progress (an inventory question is answered by its rows) is counted all the same."""
    assert InventoryRow.objects.filter(answer__assessment=assessment).exists()  # 「b」's inventory, from the project
    badges = {key: _progress_badges(bob_client.get(section_url(assessment, key)).content.decode())
              for key in ("a", "b", "c")}
    every_row = selectors.assessment_workspace(assessment)  # as the summary and the documents read it
    expected = {item.section.key: f"{item.answered}/{item.visible}" for item in every_row.progress()}
    assert badges["a"] == badges["b"] == badges["c"] == expected
    assert expected["b"].startswith("1/")  # the inventory question, answered by its rows only


def test_a_section_page_reads_the_inventory_rows_only_where_it_shows_them(bob_client, assessment):
    """Section 「a」 counts 「b」's inventory rows without reading them; 「b」 reads them to show them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    table = InventoryRow._meta.db_table

    def row_reads(key):
        with CaptureQueriesContext(connection) as queries:
            page = bob_client.get(section_url(assessment, key))
        assert page.status_code == 200
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'SELECT "{table}"."id"')]

    assert row_reads("a") == []
    assert len(row_reads("b")) == 1


def test_the_screening_page_states_the_recommended_depth_and_why(bob_client, assessment):
    page = bob_client.get(section_url(assessment, "screening")).content.decode()
    # Nothing answered yet is said as not answered yet, not as 不明 to ask the municipality about.
    assert "判定できない" in page and "対象人数がまだ回答されていない" in page and "対象人数が不明" not in page
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


def test_an_inventory_of_500_rows_saves_edits_and_deletes_through_the_page(bob_client, assessment):
    """Django's default limit of 1,000 form fields made a save of more than 93 rows fail with 400
    and lose the input; 500 rows go through, and so do an edit and a delete among them."""
    data = open_section(bob_client, assessment, "b")
    start = int(data["inv-TOTAL_FORMS"])
    for index in range(start, 500):
        data.update({f"inv-{index}-data_item": f"項目{index}", f"inv-{index}-purpose": "確認",
                     f"inv-{index}-sensitive": "no", f"inv-{index}-children": "unknown",
                     f"inv-{index}-shared_with_vendor": "unknown"})
    data["inv-TOTAL_FORMS"] = "500"
    assert post_section(bob_client, assessment, "b", data=data).status_code == 302
    assert InventoryRow.objects.filter(answer__assessment=assessment).count() == 500
    # The page of 500 rows, posted back with one row changed and one deleted.
    data = open_section(bob_client, assessment, "b")
    assert data["inv-TOTAL_FORMS"] == "500" and len(data) > 1_000
    data.update({"inv-499-purpose": "変更後の目的", "inv-250-DELETE": "on"})
    assert post_section(bob_client, assessment, "b", data=data).status_code == 302
    rows = list(InventoryRow.objects.filter(answer__assessment=assessment).order_by("position"))
    assert len(rows) == 499 and rows[-1].purpose == "変更後の目的" and "項目250" not in {r.data_item for r in rows}


def test_an_inventory_of_500_rows_saves_in_the_background(bob_client, assessment):
    rows = [{"data_item": f"項目{i}", "holder": "", "purpose": "確認", "sensitive": "no", "children": "unknown",
             "shared_with_vendor": "unknown", "retention": "", "legal_basis": "", "necessity": ""} for i in range(500)]
    inventory = stored(assessment, "b-inventory")
    response = autosave(bob_client, assessment, question="b-inventory", part="rows", value=rows,
                        base=answer_saving.part_version(inventory, "rows"))
    assert response.status_code == 200, response.content[:300]
    assert InventoryRow.objects.filter(answer__assessment=assessment).count() == 500


def test_the_prefilled_notes_are_japanese_whatever_the_language_of_the_page(bob_client, catalogue, published_set):
    """The notes are the assessment's content and print in its Japanese report: starting it from the
    English interface used to store 「Remark in the source: …」."""
    toda = Project.objects.get(key="case-toda-kyoiku-db")
    bob_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    bob_client.post(reverse("assessment_start", args=[toda.key]),
                    {"question_set": published_set.pk, "title": "戸田市の評価", "standpoint": "resident"})
    notes = list(InventoryRow.objects.filter(answer__assessment__project=toda).exclude(note="").values_list("note", flat=True))
    assert notes and all(note.startswith(("資料上の注記: ", "資料上のベンダー: ")) for note in notes), notes[:3]
    assert not any("Remark" in note or "Vendor" in note for note in notes)


def test_the_prefill_puts_each_catalogue_field_where_it_belongs(bob_client, catalogue, published_set):
    """戸田市's catalogue groups its items (基礎情報, 生徒指導 …): the grouping becomes the row's 区分,
    never its 利用目的; the vendor the source names and its remark go into the row's note."""
    toda = Project.objects.get(key="case-toda-kyoiku-db")
    bob_client.post(reverse("assessment_start", args=[toda.key]),
                    {"question_set": published_set.pk, "title": "戸田市の評価", "standpoint": "resident"})
    rows = InventoryRow.objects.filter(answer__assessment__project=toda)
    assert rows.count() == toda.data_items.count() == 18
    first = rows.get(data_item="氏名・生年月日・性別等")
    assert (first.category, first.purpose, first.held_by) == ("基礎情報", "", "")
    assert first.note == "資料上の注記: 資料上「検討中であり、今後変更が有り得る」とされる項目"
    assert {row.category for row in rows} == set(toda.data_items.values_list("group", flat=True)) >= {"基礎情報", "生徒指導"}
    assert not rows.filter(purpose__in=["基礎情報", "生徒指導"]).exists()


def test_a_page_sent_after_the_assessment_was_submitted_saves_nothing_and_shows_what_was_typed(bob_client, assessment):
    """Opened as a draft, sent after someone submitted it: nothing is saved, and instead of a bare
    refusal with only a link to the top page, the typed note is shown to copy, with the way back."""
    form = open_section(bob_client, assessment, "a")
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.SUBMITTED)
    form["note-a-public-comment"] = "窓口で聞いた内容 <b>太字</b>"
    response = bob_client.post(section_url(assessment, "a"), {**form, "goto": "a"})
    page = response.content.decode()
    assert response.status_code == 403 and stored(assessment, "a-public-comment") is None
    assert "保存できませんでした" in page and "「提出済み」に変わりました" in page
    assert "窓口で聞いた内容 &lt;b&gt;太字&lt;/b&gt;</textarea>" in page
    assert f'href="{section_url(assessment, "a")}"' in page


@pytest.mark.parametrize("token", [None, "garbage"])
def test_a_post_without_a_readable_version_overwrites_nothing(bob_client, assessment, token):
    """A page opened before another save, sent without its version token (or with one that cannot
    be read), was taken as based on the latest version and overwrote it."""
    tab_one = open_section(bob_client, assessment, "a")
    post_section(bob_client, assessment, "a", {"note-a-consent-legal-basis": "ボブの新しい補足"})
    tab_one["note-a-consent-legal-basis"] = "古いタブの補足"
    tab_one["note-a-public-comment"] = tab_one.get("note-a-public-comment", "")  # left as it was: no change
    if token is None:
        del tab_one["v-a-consent-legal-basis-note"]
    else:
        tab_one["v-a-consent-legal-basis-note"] = token
    response = post_section(bob_client, assessment, "a", data=tab_one)
    assert response.status_code == 409
    assert stored(assessment, "a-consent-legal-basis").note == "ボブの新しい補足"
    assert "古いタブの補足" in response.content.decode().split('id="conflicts-a-consent-legal-basis"')[1][:3000]


def test_a_nul_pasted_into_a_source_or_an_inventory_row_is_dropped_like_in_a_note(bob_client, assessment):
    """Notes and answers strip control characters pasted from PDFs; sources and inventory rows
    refused them with 「何か文字を入力してください。」 beside a field that was filled."""
    data = open_section(bob_client, assessment, "b")
    data.update({"inv-0-data_item": "氏名\x00（全角）", "inv-0-note": "表から\x00貼り付け"})
    response = post_section(bob_client, assessment, "b", data=data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = InventoryRow.objects.get(answer__assessment=assessment, position=0)
    assert (row.data_item, row.note) == ("氏名（全角）", "表から貼り付け")
    sources = [{"title": "契約書\x00の写し", "url": "", "page": "3", "date": "", "note": ""}]
    form = open_section(bob_client, assessment, "d")
    response = autosave(bob_client, assessment, question="d-subcontracting", part="evidence", value=sources,
                        base=part_base(form, "d-subcontracting", "evidence"))
    assert response.status_code == 200, response.content
    assert stored(assessment, "d-subcontracting").evidence.get().title == "契約書の写し"


def test_a_section_with_nothing_shown_yet_is_not_marked_done(bob, bob_client, misato):
    """On a new dx-pia v4 assessment, most sections wait for the screening's first answer: the sidebar
    showed each of A–F as a green 「0/0」, which reads as done."""
    from assessments import seed
    from assessments.answer_saving import assessment_create
    from assessments.models import QuestionSet

    seed.seed_questionsets(seed.SeedReport())
    v4 = QuestionSet.objects.get(key="dx-pia", version=4)
    assessment = assessment_create(user=bob, project=misato, question_set=v4, title="新しい評価", standpoint="resident")
    page = bob_client.get(section_url(assessment, "screening")).content.decode()
    sidebar = page.split('class="list-group list-group-numbered small"')[1].split("</ol>")[0]
    assert ">0/0<" not in sidebar and "text-bg-success" not in sidebar
    assert sidebar.count("まだ表示される質問がありません") == 2 * 6  # title and hidden text, sections A–F
