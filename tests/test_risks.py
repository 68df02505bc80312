"""The risk register (リスク): suggestions, recording, dismissing, the map and where it is shown."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from assessments import risks as services
from assessments import seed
from assessments.answer_saving import AnswerChange, assessment_create
from assessments.models import Assessment, DismissedSuggestion, Question, Risk
from assessments.questionset_io import questionset_from_data, read_questionset_file
from assessments.reports import render
from tests.conftest import save_now
from tests.forms_helper import read_form
from tests.pdf_reading import toc_entries
from tests.test_reports import pdf_text, squash

pytestmark = pytest.mark.django_db

V3_FILE = seed.FIXTURES / "questionsets" / "dx-pia-v3.json"
RULE = "sensitive-without-legal-basis"  # 要配慮個人情報が、同意も法的根拠も示さずに使われる
RULE_TITLE = "要配慮個人情報が、同意も法的根拠も示さずに使われる"


@pytest.fixture
def v3(db):
    return questionset_from_data(read_questionset_file(V3_FILE))


@pytest.fixture
def assessment(bob, misato, v3):
    return assessment_create(user=bob, project=misato, question_set=v3, title="美里町の評価", standpoint="resident")


def answer(assessment, user, **values):
    questions = {q.key: q for q in Question.objects.filter(question_set=assessment.question_set, key__in=values)}
    save_now(assessment, user, {questions[k]: AnswerChange(value=v) for k, v in values.items()})


@pytest.fixture
def suggested(assessment, bob):
    """Personal data handled, consent and legal basis not shown: the rule RULE suggests a risk."""
    answer(assessment, bob, **{"screening-personal-data": "yes", "a-consent-legal-basis": "not-done"})
    return assessment


def url(name, assessment, *args):
    return reverse(name, args=[assessment.pk, *args])


def add_risk(assessment, user, title="こどもの記録が見られる", severity=3, likelihood=2, residual=(None, None)):
    part = services.risk_part(assessment.question_set)
    return services.risk_create(assessment=assessment, user=user, values={
        "title": title, "description": "", "harms": [part.harms["breach"]], "questions": [], "data_items": [],
        "severity": severity, "likelihood": likelihood, "existing_measures": "",
        "residual_severity": residual[0], "residual_likelihood": residual[1], "residual_note": "", "origin_rule": "",
    })


def test_a_suggestion_follows_the_answers(bob_client, assessment, bob):
    page = bob_client.get(url("risk_list", assessment)).content.decode()
    assert f'id="suggestion-{RULE}"' not in page
    answer(assessment, bob, **{"screening-personal-data": "yes", "a-consent-legal-basis": "not-done"})
    page = bob_client.get(url("risk_list", assessment)).content.decode()
    assert f'id="suggestion-{RULE}"' in page and RULE_TITLE in page
    answer(assessment, bob, **{"a-consent-legal-basis": "done"})
    assert f'id="suggestion-{RULE}"' not in bob_client.get(url("risk_list", assessment)).content.decode()


def test_an_accepted_suggestion_becomes_a_risk_on_the_register_and_the_map(bob_client, suggested):
    form_page = bob_client.get(url("risk_new", suggested) + f"?rule={RULE}").content.decode()
    assert 'id="from-suggestion"' in form_page
    data = read_form(form_page, "risk-form")
    assert data["title"] == RULE_TITLE and data["origin_rule"] == RULE
    assert set(data["harms"]) == {"no-consent", "function-creep"} and data["questions"] == "a-consent-legal-basis"
    data.update(severity="3", likelihood="3", existing_measures="町の説明資料では同意の取り方が書かれていない（架空）")
    response = bob_client.post(url("risk_new", suggested), data)
    assert response.status_code == 302
    risk = Risk.objects.get(assessment=suggested)
    assert (risk.title, risk.origin_rule, risk.severity, risk.likelihood) == (RULE_TITLE, RULE, 3, 3)
    assert sorted(h.key for h in risk.harms.all()) == ["function-creep", "no-consent"]
    assert [q.key for q in risk.questions.all()] == ["a-consent-legal-basis"]
    page = bob_client.get(url("risk_list", suggested)).content.decode()
    assert f'id="suggestion-{RULE}"' not in page  # no longer open
    assert "R1" in page.split('id="accepted-suggestions"')[1].split("</ul>")[0]
    cell = re.search(r'id="risk-map-table-before".*?data-severity="3" data-likelihood="3">(.*?)</td>', page, re.S)
    assert "高い" in cell.group(1) and "R1" in cell.group(1)
    summary = bob_client.get(reverse("assessment_summary", args=[suggested.pk])).content.decode()
    assert RULE_TITLE in summary and 'id="risk-map-table-before"' in summary


def test_the_risk_form_shows_the_scale_definitions_where_they_are_chosen(bob_client, suggested):
    page = bob_client.get(url("risk_new", suggested)).content.decode()
    part = services.risk_part(suggested.question_set)
    for step in part.model.severity + part.model.likelihood:
        assert step.description in page
    assert part.harms["surveillance"].explanation in page


def test_a_refused_risk_keeps_the_input_and_says_why_next_to_the_field(bob_client, suggested):
    data = read_form(bob_client.get(url("risk_new", suggested) + f"?rule={RULE}").content.decode(), "risk-form")
    data.update(title="自分で書いた題名", severity="3", residual_severity="2")  # likelihoods missing
    response = bob_client.post(url("risk_new", suggested), data)
    page = response.content.decode()
    assert response.status_code == 400 and not Risk.objects.exists()
    assert 'value="自分で書いた題名"' in page
    assert "起こりやすさを選んでください。" in page.split('id="field-likelihood"')[1][:4000]
    assert "両方とも「まだ見込まない」" in page.split('id="field-residual_likelihood"')[1][:4000]


def test_dismissing_needs_a_reason_given_next_to_the_field(bob_client, suggested):
    dismiss = url("suggestion_dismiss", suggested, RULE)
    response = bob_client.post(dismiss, {"reason": "   "})
    page = response.content.decode()
    assert response.status_code == 400 and not DismissedSuggestion.objects.exists()
    form = page.split(f'action="{dismiss}"')[1].split("</form>")[0]
    assert "見送る理由を書いてください。" in form and 'aria-invalid="true"' in form
    too_long = "理由" * 2600
    page = bob_client.post(dismiss, {"reason": too_long}).content.decode()
    assert too_long in page.split(f'action="{dismiss}"')[1].split("</form>")[0]  # the input comes back
    assert not DismissedSuggestion.objects.exists()


def test_a_dismissed_suggestion_keeps_its_reason_and_can_be_restored(bob_client, suggested):
    response = bob_client.post(url("suggestion_dismiss", suggested, RULE), {"reason": "法令上の根拠は条例にあると町が説明した（架空）"})
    assert response.status_code == 302
    page = bob_client.get(url("risk_list", suggested)).content.decode()
    assert f'id="suggestion-{RULE}"' not in page
    assert "法令上の根拠は条例にあると町が説明した（架空）" in page.split(f'id="dismissed-{RULE}"')[1][:2000]
    shown = re.search(r'name="seen" value="(\d+)"', page.split(f'id="dismissed-{RULE}"')[1])[1]
    bob_client.post(url("suggestion_restore", suggested, RULE), {"seen": shown})
    assert f'id="suggestion-{RULE}"' in bob_client.get(url("risk_list", suggested)).content.decode()
    assert DismissedSuggestion.objects.get().restored_at is not None


def test_a_dismissal_or_a_restoring_from_a_stale_page_replaces_nothing(client, bob_client, suggested, bob, alice):
    """Two people on the risk page: one sets the suggestion aside; the other, on the page opened
    before, sets it aside with another reason. The first reason stays (it was recorded as brought
    back by the second person), and the second is shown to copy; a restore from a page that showed
    another dismissal does nothing."""
    from assessments.models import Membership

    Membership.objects.create(organisation=suggested.organisation, user=alice, role=Membership.Role.EDITOR)
    client.force_login(alice)
    dismiss = url("suggestion_dismiss", suggested, RULE)
    alices_page = client.get(url("risk_list", suggested)).content.decode()
    seen = re.search(r'name="seen" value="(\d+)"', alices_page.split(f'action="{dismiss}"')[1])[1]
    assert seen == "0"
    assert bob_client.post(dismiss, {"reason": "ボブの理由（架空）", "seen": "0"}).status_code == 302
    response = client.post(dismiss, {"reason": "アリスの理由（架空）", "seen": seen})
    page = response.content.decode()
    assert response.status_code == 409
    assert [(d.reason, d.restored_at) for d in DismissedSuggestion.objects.all()] == [("ボブの理由（架空）", None)]
    stale = page.split('id="stale-dismissal"')[1][:3000]
    assert "ボブの理由（架空）" in stale and "アリスの理由（架空）</textarea>" in stale
    # A restore from a page that showed no dismissal, or another one, changes nothing.
    assert client.post(url("suggestion_restore", suggested, RULE), {"seen": "0"}).status_code == 302
    assert DismissedSuggestion.objects.get().restored_at is None


def test_a_suggestion_dismissed_before_comes_back_when_it_rests_on_more(bob_client, suggested, bob):
    bob_client.post(url("suggestion_dismiss", suggested, RULE), {"reason": "説明済み（架空）"})
    from assessments.models import Answer, InventoryRow

    inventory = Question.objects.get(question_set=suggested.question_set, key="b-inventory")
    stored, _ = Answer.objects.get_or_create(assessment=suggested, question=inventory)
    InventoryRow.objects.create(answer=stored, position=0, data_item="健診結果（架空）", sensitive="yes", legal_basis="")
    page = bob_client.get(url("risk_list", suggested)).content.decode()
    assert f'id="suggestion-{RULE}"' in page and "新しい根拠が加わった" in page


def test_an_edit_based_on_an_older_version_is_refused_and_shows_what_is_stored(bob_client, suggested, bob):
    risk = add_risk(suggested, bob)
    edit = url("risk_edit", suggested, risk.pk)
    mine = read_form(bob_client.get(edit).content.decode(), "risk-form")
    part = services.risk_part(suggested.question_set)
    services.risk_update(assessment=suggested, risk_id=risk.pk, user=bob, base_version=risk.version, values={
        "title": "別のタブで直した題名", "description": "", "harms": [part.harms["breach"]], "questions": [],
        "data_items": [], "severity": 4, "likelihood": 2, "existing_measures": "", "residual_severity": None,
        "residual_likelihood": None, "residual_note": "", "origin_rule": ""})
    mine["title"] = "古いページからの題名"
    response = bob_client.post(edit, mine)
    page = response.content.decode()
    assert response.status_code == 409
    risk.refresh_from_db()
    assert risk.title == "別のタブで直した題名" and risk.version == 2
    assert 'value="古いページからの題名"' in page and "別のタブで直した題名" in page.split('id="stale-risk"')[1][:3000]
    # Saving again from the refusal page, having seen what is stored, is a deliberate overwrite.
    again = read_form(page, "risk-form")
    assert bob_client.post(edit, again).status_code == 302
    risk.refresh_from_db()
    assert risk.title == "古いページからの題名"


def test_an_edit_of_a_risk_deleted_in_another_tab_keeps_what_was_typed(bob_client, suggested, bob):
    """It used to be a bare 404 and the typed text was gone."""
    risk = add_risk(suggested, bob)
    edit = url("risk_edit", suggested, risk.pk)
    mine = read_form(bob_client.get(edit).content.decode(), "risk-form")
    services.risk_delete(assessment=suggested, risk_id=risk.pk, base_version=risk.version)
    mine.update(title="古いタブで直した題名", description="何が起きうるかの説明")
    response = bob_client.post(edit, mine)
    page = response.content.decode()
    assert response.status_code == 409 and "削除されていました" in page and not Risk.objects.exists()
    assert "古いタブで直した題名</textarea>" in page and "何が起きうるかの説明</textarea>" in page
    assert bob_client.get(edit).status_code == 404
    assert "リスクを記録する" not in page  # the page of a deleted risk, not the form for a new one
    # A second confirmation of its deletion: done already, said so, no bare 404.
    second = bob_client.post(url("risk_delete", suggested, risk.pk), {"version": str(risk.version)})
    assert second.status_code == 302 and "すでに削除されていました" in bob_client.get(second["Location"]).content.decode()


def test_a_delete_from_an_older_page_is_refused(bob_client, suggested, bob):
    risk = add_risk(suggested, bob)
    assert bob_client.post(url("risk_delete", suggested, risk.pk), {"version": "0"}).status_code == 409
    assert Risk.objects.filter(pk=risk.pk).exists()
    assert bob_client.post(url("risk_delete", suggested, risk.pk), {"version": str(risk.version)}).status_code == 302
    assert not Risk.objects.exists()


def map_tables(page):
    """Each map table's cells as {(severity, likelihood): (level, [R numbers])}."""
    tables = {}
    for key in ("before", "after"):
        table = page.split(f'id="risk-map-table-{key}"')[1].split("</table>")[0]
        cells = {}
        for s, lk, body in re.findall(r'data-severity="(\d)" data-likelihood="(\d)">(.*?)</td>', table, re.S):
            level = re.search(r'class="cell-level">(.*?)</span>', body).group(1)
            numbers = re.findall(r"R(\d+)", body)
            cells[(int(s), int(lk))] = (level, [int(n) for n in numbers])
        tables[key] = cells
    return tables


def test_the_maps_table_and_its_svg_hold_the_registers_data(bob_client, assessment, bob):
    add_risk(assessment, bob, "一つ目", 4, 1, residual=(2, 1))
    add_risk(assessment, bob, "二つ目", 2, 3)
    add_risk(assessment, bob, "三つ目", 4, 1, residual=(1, 1))
    page = bob_client.get(url("risk_list", assessment)).content.decode()
    register = services.risk_register(Assessment.objects.get(pk=assessment.pk))
    tables = map_tables(page)
    for key, the_map in (("before", register.before), ("after", register.after)):
        expected = {(c.severity, c.likelihood): (c.level.label, list(c.numbers)) for row in the_map.rows for c in row}
        assert tables[key] == expected
    assert tables["before"][(4, 1)] == ("中程度", [1, 3]) and tables["after"][(1, 1)] == ("低い", [3])
    assert register.after.unplaced == (2,) and "R2" in page.split('id="risk-map-after"')[1].split('class="small unplaced"')[1][:200]
    svg = page.split('id="risk-map-before"')[1].split("</svg>")[0]
    assert "重大さ4・起こりやすさ1（中程度）: R1、R3" in svg and "重大さ2・起こりやすさ3（中程度）: R2" in svg


def test_the_public_page_shows_the_risks_only_once_published(client, suggested, bob):
    add_risk(suggested, bob, "公開されるリスク")
    public = reverse("public_assessment", args=[suggested.pk])
    assert client.get(public).status_code == 404
    Assessment.objects.filter(pk=suggested.pk).update(status=Assessment.Status.PUBLISHED)
    page = client.get(public).content.decode()
    assert "リスクとリスクマップ" in page and "公開されるリスク" in page and 'id="risk-map-table-before"' in page


def test_the_report_has_the_chapter_risk_map_with_the_risks(suggested, bob):
    add_risk(suggested, bob, "報告書に載るリスク", 4, 3)
    services.suggestion_dismiss(assessment=suggested, user=bob, rule_key=RULE, reason="町の条例に根拠がある（架空）")
    pdf = render.report_pdf(Assessment.objects.get(pk=suggested.pk))
    chapters = [item.title for item in PdfReader(io.BytesIO(pdf)).outline if not isinstance(item, list)]
    assert "リスクマップ" in chapters  # the chapter's own heading, as the PDF's bookmarks list it
    entry = next(e for e in toc_entries(pdf) if e.title == "リスクマップ")
    pages = pdf_text(pdf)
    assert "報告書に載るリスク" in squash("".join(pages[entry.target - 1:entry.target + 1]))
    text = squash("".join(pages))
    assert "町の条例に根拠がある（架空）" in text and "非常に高い" in text


def test_the_risk_page_uses_a_constant_number_of_queries(bob_client, suggested, bob, django_assert_max_num_queries):
    add_risk(suggested, bob)

    def count(name):
        with django_assert_max_num_queries(60) as queries:
            assert bob_client.get(reverse(name, args=[suggested.pk])).status_code == 200
        return len(queries)

    few = {name: count(name) for name in ("risk_list", "assessment_summary")}
    for index in range(30):
        add_risk(suggested, bob, f"リスク{index}", 1 + index % 4, 1 + index // 8 % 4, residual=(1, 1))
    assert {name: count(name) for name in ("risk_list", "assessment_summary")} == few


@pytest.mark.parametrize("name, args, data, statuses", [
    ("risk_new", [], {"title": "x", "harms": ["nope"], "severity": "abc", "likelihood": "9", "version": "z"}, {400}),
    ("risk_new", [], {"title": ["a", "b"], "harms": "breach", "severity": "3", "likelihood": "3",
                      "version": "0", "origin_rule": "no-such-rule", "questions": ["s0-q0"]}, {400}),
    ("risk_edit", ["RID"], {}, {400}),
    ("risk_edit", ["RID"], {"title": "x", "harms": "breach", "severity": "1", "likelihood": "1", "version": "-1"}, {400}),
    # A risk that is not there: an edit form sent for it is answered as for one deleted meanwhile.
    ("risk_edit", [99999999999999999999], {}, {404, 409}),
    ("risk_delete", ["RID"], {"version": "x"}, {409}),
    ("risk_delete", ["RID"], {}, {409}),
    ("suggestion_dismiss", ["no-such-rule"], {"reason": "理由"}, {400}),
    ("suggestion_dismiss", [RULE], {"reason": "\x00\x01"}, {400}),
    ("suggestion_restore", ["no-such-rule"], {}, {302}),
    # "²" is a digit to str.isdigit() but not to int(): a 500 until the check asked for ASCII too.
    ("suggestion_dismiss", [RULE], {"reason": "", "seen": "²"}, {400}),
    ("suggestion_restore", [RULE], {"seen": "²"}, {302}),
])
def test_malformed_posts_are_refused_without_an_error_page(bob_client, suggested, bob, name, args, data, statuses):
    risk = add_risk(suggested, bob)
    before = list(Risk.objects.values_list("title", "version"))
    args = [risk.pk if a == "RID" else a for a in args]
    response = bob_client.post(reverse(name, args=[suggested.pk, *args]), data)
    assert response.status_code in statuses
    assert list(Risk.objects.values_list("title", "version")) == before
    assert not DismissedSuggestion.objects.exists()


def test_a_submitted_assessments_register_is_read_only(bob_client, suggested, bob):
    risk = add_risk(suggested, bob)
    Assessment.objects.filter(pk=suggested.pk).update(status=Assessment.Status.SUBMITTED)
    page = bob_client.get(url("risk_list", suggested)).content.decode()
    assert 'id="risks-locked"' in page and 'id="risk-new"' not in page
    assert bob_client.post(url("risk_delete", suggested, risk.pk), {"version": "1"}).status_code == 403
    assert bob_client.post(url("suggestion_dismiss", suggested, RULE), {"reason": "理由"}).status_code == 403
    assert Risk.objects.filter(pk=risk.pk).exists() and not DismissedSuggestion.objects.exists()


def test_an_assessment_on_a_set_without_risks_says_so(bob_client, bob, misato, published_set):
    old = assessment_create(user=bob, project=misato, question_set=published_set, title="v1", standpoint="resident")
    page = bob_client.get(url("risk_list", old)).content.decode()
    assert "リスクの部" in page and "第3版から使えます" in page
    assert bob_client.get(url("risk_new", old)).status_code == 404
