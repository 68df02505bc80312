"""Requests to the municipality in real Chromium: the editor records the sending of the letter from
its page, then the municipality's reply, which updates the 未開示 answer it answers."""

import pytest
from playwright.sync_api import expect

from assessments import seed
from assessments.answer_saving import AnswerChange
from assessments.models import Answer, MunicipalityRequest, Question
from tests.conftest import save_now, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]


def test_record_the_letter_as_sent_then_a_reply_that_updates_an_answer(page, live_server, cast):
    seed.seed_disclosure_limits(seed.SeedReport())
    assessment = cast["assessment"]
    question = Question.objects.get(question_set=assessment.question_set, key="a-consent-legal-basis")
    save_now(assessment, cast["editor"], {question: AnswerChange(value="not-disclosed")})
    choice = next(c for c in question.choices.all() if c.meaning == "answer")

    sign_in(page, live_server.url, "dave")
    page.goto(f"{live_server.url}/assessments/{assessment.pk}/letter/settings/")
    page.get_by_role("link", name="送付を記録する").click()
    expect(page.get_by_role("heading", name="送付を記録する")).to_be_visible()
    expect(page.locator("#request-questions input[type=checkbox]")).to_have_count(1)
    page.get_by_label("受付番号・文書番号").fill("美総第12号")
    page.get_by_role("button", name="記録する").click()

    expect(page.locator("#request-state")).to_have_text("送付済み")
    expect(page.locator("#timeline")).to_contain_text("送付済み")
    request = MunicipalityRequest.objects.get()
    assert request.reference == "美総第12号" and request.items.filter(kind="question", answer__question=question).exists()

    reply = page.locator("form", has=page.get_by_role("button", name="回答を記録する"))
    reply.get_by_label("回答の内容（要旨）").fill("個人情報保護法第69条第2項第3号によります。")
    reply.get_by_label("請求の状態").select_option("answered")
    reply.get_by_label("受け取った文書1: 資料名").fill("運用規程")
    answer = Answer.objects.get(assessment=assessment, question=question)
    reply.locator(f"#a{answer.pk}-update").check()
    reply.locator(f"#a{answer.pk}-value").select_option(choice.key)
    reply.get_by_role("button", name="回答を記録する").click()

    expect(page.locator("#request-state")).to_have_text("回答あり")
    expect(page.locator(".reply")).to_contain_text("個人情報保護法第69条第2項第3号によります。")
    expect(page.locator(".reply")).to_contain_text("運用規程")
    answer.refresh_from_db()
    assert answer.value == choice.key
    assert answer.evidence.filter(title__startswith="美里町からの回答（").exists()

    page.goto(f"{live_server.url}/assessments/{assessment.pk}/requests/")
    expect(page.locator("#requests")).to_contain_text("回答あり")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_request_pages_pass_axe_and_reflow(page, live_server, cast, width):
    import datetime

    from assessments import municipality_requests as services
    from tests.test_accessibility import Axe, sideways, violations

    seed.seed_disclosure_limits(seed.SeedReport())
    assessment = cast["assessment"]
    questions = Question.objects.filter(question_set=assessment.question_set, key__in=["a-consent-legal-basis", "d-subcontracting"])
    save_now(assessment, cast["editor"], {q: AnswerChange(value="not-disclosed") for q in questions})
    prefill = services.letter_prefill(assessment)
    day = datetime.date.today() - datetime.timedelta(days=40)
    values = {"kind": "disclosure", "title": "委託契約書の公開請求", "addressed_to": "head", "sent_on": day, "method": "post",
              "reference": "", "received_on": None, "reply_by": None, "published": False, "note": ""}
    overdue = services.request_create(assessment=assessment, user=cast["editor"], values=values,
                                      questions=prefill.questions, documents=prefill.documents, today=day)
    refused = services.request_create(assessment=assessment, user=cast["editor"], values={**values, "title": "不開示の例"},
                                      questions=prefill.questions, documents=prefill.documents, today=day)
    services.request_transition(request=refused, user=cast["editor"], kind="refused", on=day, note="",
                                base_version=refused.version, today=datetime.date.today())
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "dave")
    axe, found, scrolled = Axe(), {}, {}
    base = f"{live_server.url}/assessments/{assessment.pk}"
    for path in ("/requests/", "/requests/new/", f"/requests/{overdue.pk}/", f"/requests/{refused.pk}/", "/summary/"):
        assert page.goto(base + path).status == 200, path
        found[path], scrolled[path] = violations(page, axe), sideways(page)
    assert {p: v for p, v in found.items() if v} == {}
    assert {p: px for p, px in scrolled.items() if px > 0} == {}
    page.goto(base + "/requests/")
    expect(page.locator("#requests tr.overdue")).to_contain_text("期限超過")
