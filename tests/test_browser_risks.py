"""Risks in real Chromium: accept a suggestion as a risk, plan an action against it, see both on the
summary (the map, the plan) and in the PDF."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from assessments import seed
from assessments.answer_saving import AnswerChange
from assessments.models import Assessment, PlannedAction, Question, Risk
from assessments.questionset_io import questionset_from_data, read_questionset_file
from tests.conftest import save_now, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]

TITLE = "要配慮個人情報が、同意も法的根拠も示さずに使われる"
ACTION = "同意の取り方と法的根拠を、説明資料で示すよう町に求める"


@pytest.fixture
def on_v3(cast):
    """The cast's assessment on dx-pia v3, answered so that one rule suggests a risk."""
    v3 = questionset_from_data(read_questionset_file(seed.FIXTURES / "questionsets" / "dx-pia-v3.json"))
    Assessment.objects.filter(pk=cast["assessment"].pk).update(question_set=v3)
    assessment = Assessment.objects.get(pk=cast["assessment"].pk)
    questions = {q.key: q for q in Question.objects.filter(question_set=v3)}
    save_now(assessment, cast["editor"], {questions["screening-personal-data"]: AnswerChange(value="yes"),
                                          questions["a-consent-legal-basis"]: AnswerChange(value="not-done")})
    return assessment


def test_a_suggestion_becomes_a_risk_on_the_summary_and_in_the_report(page, live_server, on_v3):
    sign_in(page, live_server.url, "dave")
    page.goto(f"{live_server.url}/assessments/{on_v3.pk}/risks/")
    suggestion = page.locator("#suggestion-sensitive-without-legal-basis")
    expect(suggestion).to_contain_text("同意なき収集・自己決定の喪失")
    suggestion.get_by_role("link", name=re.compile("リスクとして記録する")).click()
    expect(page.get_by_label("リスクの題名")).to_have_value(TITLE)
    page.locator("#field-severity").get_by_label("4 最大").check()
    page.locator("#field-likelihood").get_by_label("3 高い").check()
    page.locator("#field-residual_severity").get_by_label("4 最大").check()
    page.locator("#field-residual_likelihood").get_by_label("1 ほとんどない").check()
    page.get_by_label("いまある対策").fill("町の説明資料に同意の取り方が書かれていない（架空）。")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".alert-success")).to_contain_text(TITLE)
    expect(page.locator("#suggestion-sensitive-without-legal-basis")).to_have_count(0)
    assert Risk.objects.get().origin_rule == "sensitive-without-legal-basis"

    # An action against the new risk, planned from the risk's own link.
    page.get_by_role("link", name=re.compile("このリスクへの対応を計画する")).click()
    expect(page.get_by_label("対応するリスク")).to_have_value(str(Risk.objects.get().pk))
    page.get_by_label("すべきこと").fill(ACTION)
    page.get_by_label("期限").fill("2027-03-31")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".alert-success")).to_contain_text(ACTION)
    assert PlannedAction.objects.get().risk == Risk.objects.get()

    page.goto(f"{live_server.url}/assessments/{on_v3.pk}/summary/")
    expect(page.locator("#summary-plan")).to_contain_text(ACTION)
    expect(page.locator("#summary-plan")).to_contain_text(f"対応するリスク: R1 {TITLE}")
    expect(page.locator("#risks")).to_contain_text(TITLE)
    expect(page.locator('#risk-map-table-before td[data-severity="4"][data-likelihood="3"]')).to_have_text(
        re.compile(r"非常に高い\s*R1"))
    expect(page.locator('#risk-map-table-after td[data-severity="4"][data-likelihood="1"]')).to_contain_text("R1")
    expect(page.locator("#risk-map-before svg")).to_have_attribute("role", "img")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="評価報告書（PDF）").click()
    with open(download_info.value.path(), "rb") as handle:
        text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages))
    assert "リスクマップ" in text and TITLE in text and "町の説明資料に同意の取り方が書かれていない（架空）。" in text
    plan = text.split("対応計画")[-1]  # the chapter (after the table of contents and the map's chapter)
    assert ACTION in plan and f"対応するリスク:R1{TITLE}" in plan


@pytest.mark.parametrize("width", [1280, 390])
def test_the_risk_pages_pass_axe_and_reflow(page, live_server, cast, on_v3, width):
    from assessments import risks
    from tests.test_accessibility import Axe, sideways, violations

    part = risks.risk_part(on_v3.question_set)
    risk = risks.risk_create(assessment=on_v3, user=cast["editor"], values={
        "title": "こどもの記録が見られる（架空）", "description": "", "harms": [part.harms["breach"]], "questions": [],
        "data_items": [], "severity": 3, "likelihood": 2, "existing_measures": "", "residual_severity": 2,
        "residual_likelihood": 1, "residual_note": "", "origin_rule": ""})
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "dave")
    axe, found, scrolled = Axe(), {}, {}
    base = f"{live_server.url}/assessments/{on_v3.pk}"
    for path in ("/risks/", "/risks/new/", f"/risks/{risk.pk}/", f"/risks/{risk.pk}/delete/", "/summary/",
                 f"/plan/new/?risk={risk.pk}"):
        assert page.goto(base + path).status == 200, path
        found[path], scrolled[path] = violations(page, axe), sideways(page)
    assert {p: v for p, v in found.items() if v} == {}
    assert {p: px for p, px in scrolled.items() if px > 0} == {}
