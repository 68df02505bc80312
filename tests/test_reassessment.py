"""Re-assessment (再評価, issue 17): starting one, what carries over, 「前回の回答」 until confirmed, the
submission rule, the comparison page and the report's chapter 「前回からの変化」."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import answer_saving, reviewing
from assessments.access import rights_of
from assessments.answer_saving import AnswerChange, assessment_create
from assessments.models import Answer, AnswerHistory, Assessment, Evidence, InventoryRow, Question
from assessments.questionset_io import questionset_from_data
from assessments.reports import render
from tests.conftest import make_questionset_data, save_now
from tests.forms_helper import read_form
from tests.test_page_structure import problems
from tests.test_reports import pdf_text, squash

pytestmark = pytest.mark.django_db

HIDDEN_NOTE = "非公開のメモ: 担当課長の携帯番号は090-0000-0000（架空）"


def question(question_set, key):
    return Question.objects.prefetch_related("choices").get(question_set=question_set, key=key)


def answer(assessment, user, **values):
    """Save answers (question key -> value, or (value, note)) as a page opened just now would."""
    changes = {}
    for key, value in values.items():
        value, note = value if isinstance(value, tuple) else (value, answer_saving.UNCHANGED)
        changes[question(assessment.question_set, key)] = AnswerChange(value=value, note=note)
    return save_now(assessment, user, changes)


def two_sets(questions_per_section=3, key="t"):
    """Question sets t v1 and t v2 (published after it, so the latest): v2 asks s0-q1 in other words
    and words the answer 「実施・確認済み」 of s1-q0 anew; everything else is the same."""
    first = questionset_from_data(make_questionset_data(key=key, version=1, status="published",
                                                        questions_per_section=questions_per_section))
    data = make_questionset_data(key=key, version=2, status="published", questions_per_section=questions_per_section)
    data["sections"][0]["questions"][1]["text"] = "質問 0-1（問い方を変えた）"
    data["sections"][1]["questions"][0]["choices"][0]["label"] = "実施され、文書で確認できる"
    return first, questionset_from_data(data)


@pytest.fixture
def earlier(cast, misato):
    """The group's assessment against t v1, answered, with a note and a source at s0-q0."""
    first, second = two_sets()
    assessment = assessment_create(user=cast["editor"], project=misato, question_set=first, title="2025年の評価",
                                   standpoint="resident", organisation=cast["group"])
    answer(assessment, cast["editor"], **{"s0-q0": ("done", "町の説明会資料で確認した"), "s0-q1": "partial",
                                          "s0-q2": "unknown", "s1-q0": "done", "s1-q1": "not-done"})
    stored = Answer.objects.get(assessment=assessment, question__key="s0-q0")
    save_now(assessment, cast["editor"], {stored.question: AnswerChange(evidence=[
        {"title": "美里町 説明会資料（架空）", "url": "https://example.org/setsumei.pdf", "page": "3", "date": None,
         "note": ""}])})
    return {"assessment": assessment, "first": first, "second": second}


def start(client, previous, **changes):
    """Open 再評価を始める, post its form as a browser would; the new assessment."""
    url = reverse("reassessment_start", args=[previous.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {**read_form(page.content.decode(), "reassessment-form"), **changes})
    assert response.status_code == 302, response.content.decode()[:3000]
    new = Assessment.objects.get(previous=previous, owner=response.wsgi_request.user)
    assert response["Location"] == reverse("reassessment_result", args=[new.pk])
    return new


def carried(assessment) -> dict[str, bool]:
    return dict(Answer.objects.filter(assessment=assessment).values_list("question__key", "carried"))


def section_page(client, assessment, key="s0") -> str:
    return client.get(reverse("assessment_section", args=[assessment.pk, key])).content.decode()


def marked(page: str) -> set[str]:
    """The questions a section page marks 「前回の回答」."""
    import re

    return set(re.findall(r'data-carried="([^"]+)" id="carried-', page))


# --- Starting and carrying over ----------------------------------------------------------------------


def test_an_editor_starts_a_reassessment_that_carries_what_keeps_its_meaning(client, cast, earlier):
    client.force_login(cast["editor"])
    previous = earlier["assessment"]
    page = client.get(reverse("reassessment_start", args=[previous.pk])).content.decode()
    assert "引き継ぐ回答 3問・引き継がない回答 2問・新しく加わった質問 0問" in page
    new = start(client, previous)
    assert (new.question_set, new.project, new.organisation, new.status) == (
        earlier["second"], previous.project, cast["group"], "draft")
    assert carried(new) == {"s0-q0": True, "s0-q2": True, "s1-q1": True}
    first = Answer.objects.get(assessment=new, question__key="s0-q0")
    assert first.value == "done" and first.note == "町の説明会資料で確認した"
    assert list(first.evidence.values_list("title", "page")) == [("美里町 説明会資料（架空）", "3")]
    assert first.question.question_set == earlier["second"]
    history = AnswerHistory.objects.get(assessment=new, question=first.question)
    assert history.old is None and history.new["carried_from"] == previous.pk and history.user == cast["editor"]
    # The earlier assessment is untouched.
    assert Answer.objects.filter(assessment=previous).count() == 5
    result = client.get(reverse("reassessment_result", args=[new.pk])).content.decode()
    assert "引き継いだ回答: 3問" in result
    table = result.split('id="not-carried"')[1]
    assert "質問 0-1" in table and "質問文が変わりました。" in table
    assert "質問 1-0" in table and "選択肢の文言が変わりました（「実施・確認済み」→「実施され、文書で確認できる」）。" in table


def test_a_changed_question_is_not_carried(client, cast, earlier):
    client.force_login(cast["editor"])
    new = start(client, earlier["assessment"])
    assert not Answer.objects.filter(assessment=new, question__key__in=["s0-q1", "s1-q0"]).exists()
    page = section_page(client, new, "s1")
    assert marked(page) == {"s1-q1"}


def test_notes_sources_and_the_inventory_carry_instead_of_the_catalogue(client, cast, published_set):
    """Against the shipped set (with its inventory question): the earlier rows, not the catalogue's."""
    previous = cast["assessment"]
    inventory = Answer.objects.get(assessment=previous, question__type="inventory")
    rows = answer_saving.row_dicts(inventory)[:2]
    rows[0]["necessity"] = "虐待の早期発見に必要（架空の例）"
    save_now(previous, cast["editor"], {inventory.question: AnswerChange(rows=rows)})
    client.force_login(cast["editor"])
    Assessment.objects.filter(pk=previous.pk).update(status="approved")
    new = start(client, previous)
    new_rows = list(InventoryRow.objects.filter(answer__assessment=new).order_by("position").values_list(
        "data_item", "necessity"))
    assert new_rows == [(row["data_item"], row["necessity"]) for row in rows]
    assert Answer.objects.get(assessment=new, question__type="inventory").carried
    new.refresh_from_db()
    assert new.content_size == sum(answer_saving.answer_size(a) for a in Answer.objects.filter(assessment=new))


def test_hidden_answers_of_another_groups_published_assessment_do_not_carry(client, cast, published_set):
    """An answer kept for a question its condition now hides (a-consent-method, shown only when consent
    or a legal basis is given) is not on the public page: it never reaches another group's copy."""
    previous = cast["assessment"]
    answer(previous, cast["editor"], **{"a-consent-legal-basis": "done"})
    answer(previous, cast["editor"], **{"a-consent-method": (["written"], HIDDEN_NOTE)})
    answer(previous, cast["editor"], **{"a-consent-legal-basis": ("not-done", "同意書は確認できなかった")})
    Assessment.objects.filter(pk=previous.pk).update(status="published")
    client.force_login(cast["outsider"])
    page = client.get(reverse("reassessment_start", args=[previous.pk])).content.decode()
    assert 'id="public-only-note"' in page and HIDDEN_NOTE not in page
    new = start(client, previous)
    assert new.organisation.personal_for == cast["outsider"]
    stored = carried(new)
    assert stored["a-consent-legal-basis"] is True and "a-consent-method" not in stored
    assert Answer.objects.get(assessment=new, question__key="a-consent-legal-basis").note == "同意書は確認できなかった"
    everything = json.dumps([list(Answer.objects.filter(assessment=new).values_list("note", "value")),
                             list(AnswerHistory.objects.filter(assessment=new).values_list("new", flat=True))],
                            ensure_ascii=False)
    assert HIDDEN_NOTE not in everything and "written" not in everything
    for url in (reverse("reassessment_result", args=[new.pk]), reverse("reassessment_compare", args=[new.pk]),
                reverse("report_preview", args=[new.pk])):
        assert HIDDEN_NOTE not in client.get(url).content.decode(), url


def test_the_hidden_answer_stays_behind_for_the_groups_own_editor_too(client, cast, published_set):
    previous = cast["assessment"]
    answer(previous, cast["editor"], **{"a-consent-legal-basis": "done"})
    answer(previous, cast["editor"], **{"a-consent-method": (["written"], HIDDEN_NOTE)})
    answer(previous, cast["editor"], **{"a-consent-legal-basis": "not-done"})
    client.force_login(cast["editor"])
    Assessment.objects.filter(pk=previous.pk).update(status="approved")
    assert "a-consent-method" not in carried(start(client, previous))


@pytest.mark.parametrize("role, status", [("viewer", 403), ("reviewer", 403), ("staff", 403), ("outsider", 404)])
def test_who_may_not_read_it_in_full_may_not_start_from_an_unpublished_one(client, cast, role, status):
    client.force_login(cast[role])
    url = reverse("reassessment_start", args=[cast["assessment"].pk])
    before = Assessment.objects.count()
    assert client.get(url).status_code == status
    assert client.post(url, {"title": "写し", "standpoint": "resident"}).status_code == status
    assert Assessment.objects.count() == before


@pytest.mark.parametrize("role", ["viewer", "reviewer", "staff", "outsider", "owner"])
def test_anyone_signed_in_may_start_from_a_published_one(client, cast, role):
    Assessment.objects.filter(pk=cast["assessment"].pk).update(status="published")
    client.force_login(cast[role])
    assert start(client, cast["assessment"]).previous_id == cast["assessment"].pk


def test_a_bad_title_is_refused_beside_the_field_with_the_input_back(client, cast, earlier):
    client.force_login(cast["editor"])
    url = reverse("reassessment_start", args=[earlier["assessment"].pk])
    form = read_form(client.get(url).content.decode(), "reassessment-form")
    for title in ("   ", "長" * 201):
        response = client.post(url, {**form, "title": title})
        page = response.content.decode()
        assert response.status_code == 400 and 'id="error_1_id_title"' in page and "入力エラー:" in page
    assert "長" * 201 in page  # the input back
    assert not Assessment.objects.filter(previous=earlier["assessment"]).exists()


# --- 「前回の回答」 until confirmed ----------------------------------------------------------------------


def post_section(client, assessment, key, **extra):
    url = reverse("assessment_section", args=[assessment.pk, key])
    data = read_form(client.get(url).content.decode())
    return client.post(url, {**data, **extra})


def test_carried_answers_are_marked_until_confirmed(client, cast, earlier):
    client.force_login(cast["editor"])
    new = start(client, earlier["assessment"])
    assert marked(section_page(client, new)) == {"s0-q0", "s0-q2"}
    summary = client.get(reverse("assessment_summary", args=[new.pk])).content.decode()
    assert "まだ確認していない「前回の回答」: 3問" in summary
    assert render.report_html(new).count("【前回の回答（未確認）】") == 3

    response = post_section(client, new, "s0", confirm_carried="s0-q0")
    assert response.status_code == 302 and response["Location"].endswith("#q-s0-q0")
    assert carried(new) == {"s0-q0": False, "s0-q2": True, "s1-q1": True}
    assert marked(section_page(client, new)) == {"s0-q2"}
    confirmation = AnswerHistory.objects.filter(assessment=new, question__key="s0-q0").order_by("-pk").first()
    assert confirmation.new["confirmed"] is True and confirmation.user == cast["editor"]
    assert confirmation.new["value"] == confirmation.old["value"] == "done"

    post_section(client, new, "s0", confirm_carried="*")  # the whole section, not the other one
    assert carried(new) == {"s0-q0": False, "s0-q2": False, "s1-q1": True}
    assert render.report_html(Assessment.objects.get(pk=new.pk)).count("【前回の回答（未確認）】") == 1
    post_section(client, new, "s1", confirm_carried="*")
    summary = client.get(reverse("assessment_summary", args=[new.pk])).content.decode()
    assert "前回の回答は、すべて確認済みです。" in summary


def test_a_viewer_sees_the_mark_but_cannot_confirm(client, cast, earlier):
    client.force_login(cast["editor"])
    new = start(client, earlier["assessment"])
    client.force_login(cast["viewer"])
    page = section_page(client, new)
    assert marked(page) == {"s0-q0", "s0-q2"} and 'name="confirm_carried"' not in page
    assert client.post(reverse("assessment_section", args=[new.pk, "s0"]),
                       {"confirm_carried": "*"}).status_code == 403
    assert carried(new)["s0-q0"] is True


def test_saving_a_changed_answer_confirms_it_and_an_unchanged_one_does_not(client, cast, earlier):
    client.force_login(cast["editor"])
    new = start(client, earlier["assessment"])
    url = reverse("assessment_autosave", args=[new.pk])

    def autosave(key, value):
        return client.post(url, json.dumps({"question": key, "part": "value", "base": 1, "value": value}),
                           content_type="application/json").json()

    assert autosave("s1-q1", "not-done")["changed"] is False  # the same answer sent again
    assert autosave("s0-q2", "partial")["changed"] is True
    assert carried(new) == {"s0-q0": True, "s0-q2": False, "s1-q1": True}


def test_submission_waits_until_every_shown_carried_answer_is_confirmed(client, cast, earlier):
    client.force_login(cast["editor"])
    new = start(client, earlier["assessment"])
    response = client.post(reverse("assessment_transition", args=[new.pk]), {"action": "submit"}, follow=True)
    assert "前回の評価から引き継いだ回答のうち、まだ確認していないものが3問あります。" in response.content.decode()
    assert Assessment.objects.get(pk=new.pk).status == "draft"
    post_section(client, new, "s0", confirm_carried="*")
    post_section(client, new, "s1", confirm_carried="*")
    client.post(reverse("assessment_transition", args=[new.pk]), {"action": "submit"})
    assert Assessment.objects.get(pk=new.pk).status == "submitted"


def test_a_carried_answer_its_question_hides_does_not_stop_submission(client, cast, published_set):
    previous = cast["assessment"]
    answer(previous, cast["editor"], **{"a-consent-legal-basis": "done", "a-consent-method": ["written"]})
    Assessment.objects.filter(pk=previous.pk).update(status="approved")
    client.force_login(cast["editor"])
    new = start(client, previous)
    others = Answer.objects.filter(assessment=new).exclude(question__key="a-consent-method")
    others.update(carried=False)
    answer(new, cast["editor"], **{"a-consent-legal-basis": "not-done"})  # hides a-consent-method
    assert carried(new)["a-consent-method"] is True
    new = Assessment.objects.get(pk=new.pk)
    reviewing.assessment_transition(assessment=new, user=cast["editor"], rights=rights_of(cast["editor"], new),
                                    action="submit")
    assert Assessment.objects.get(pk=new.pk).status == "submitted"


# --- The comparison --------------------------------------------------------------------------------


@pytest.fixture
def changed(client, cast, earlier):
    """The re-assessment with s0-q0 answered 未実施 instead of 実施・確認済み."""
    client.force_login(cast["editor"])
    new = start(client, earlier["assessment"])
    answer(new, cast["editor"], **{"s0-q0": "not-done"})
    return new


def test_the_comparison_page_shows_a_changed_answer_and_score(client, cast, changed):
    page = client.get(reverse("reassessment_compare", args=[changed.pk])).content.decode()
    row = page.split('id="change-s0-q0"')[1].split("</li>")[0]
    before, after = row.split("今回")
    assert "実施・確認済み" in before and "得点 2 / 2" in before
    assert "未実施" in after and "得点 0 / 2" in after and 'data-changed="yes"' in page.split('id="change-s0-q0"')[1][:40]
    assert 'id="change-s0-q2" data-changed="no"' in page  # carried, the same
    assert "質問文が変わりました。" in page.split('id="change-s0-q1"')[1].split("</li>")[0]
    section = next(row for row in page.split('id="score-changes"')[1].split("<tr") if "節 0" in row)
    assert "50.0% 懸念" in section and "0.0% 懸念" in section and "<strong>あり</strong>" in section  # 3/6 → 0/4
    only = client.get(reverse("reassessment_compare", args=[changed.pk]) + "?only=changes").content.decode()
    assert 'id="change-s0-q0"' in only and 'id="change-s0-q2"' not in only and 'id="change-s1-q0"' in only


def test_the_comparison_compares_with_the_public_view_when_that_is_all_the_user_may_read(client, cast, published_set):
    previous = cast["assessment"]
    answer(previous, cast["editor"], **{"a-public-comment": "done"})
    Assessment.objects.filter(pk=previous.pk).update(status="published")
    client.force_login(cast["outsider"])
    new = start(client, previous)
    page = client.get(reverse("reassessment_compare", args=[new.pk])).content.decode()
    assert 'id="public-view-note"' in page and reverse("public_assessment", args=[previous.pk]) in page
    Assessment.objects.filter(pk=previous.pk).update(status="approved")  # the group unpublished it
    page = client.get(reverse("reassessment_compare", args=[new.pk])).content.decode()
    assert 'id="previous-unavailable"' in page and 'id="change-' not in page
    assert "前回の評価は公開されていないため" in render.report_html(new)


def test_the_comparison_page_needs_a_previous_assessment(client, cast):
    client.force_login(cast["editor"])
    assert client.get(reverse("reassessment_compare", args=[cast["assessment"].pk])).status_code == 404
    assert client.get(reverse("reassessment_result", args=[cast["assessment"].pk])).status_code == 404


def test_the_comparison_page_uses_a_constant_number_of_queries(client, cast, misato):
    def queries(per_section):
        first, _second = two_sets(per_section, key=f"t{per_section}")
        previous = assessment_create(user=cast["editor"], project=misato, question_set=first, title=f"{per_section}",
                                     standpoint="resident", organisation=cast["group"])
        answer(previous, cast["editor"], **{f"s{s}-q{q}": "partial" for s in range(2) for q in range(per_section)})
        Assessment.objects.filter(pk=previous.pk).update(status="approved")
        new = start(client, previous)
        with CaptureQueriesContext(connection) as context:
            page = client.get(reverse("reassessment_compare", args=[new.pk]))
        assert page.content.decode().count('id="change-') == 2 * per_section
        return len(context.captured_queries)

    client.force_login(cast["editor"])
    small = queries(3)
    large = queries(40)
    assert small == large and small <= 46  # two workspaces and, since risks are compared, two registers


# --- The report ------------------------------------------------------------------------------------


def test_the_report_has_the_chapter_with_the_change_and_none_without_a_previous(client, cast, changed):
    text = squash("".join(pdf_text(render.report_pdf(Assessment.objects.get(pk=changed.pk)))))
    assert "前回からの変化" in text
    chapter = text.split("前回からの変化")[-1]
    assert squash("実施・確認済み得点2/2") in chapter and squash("未実施得点0/2") in chapter
    assert "2025年の評価" in chapter
    assert "前回からの変化" not in render.report_html(cast["assessment"])


def test_the_reports_cache_key_follows_the_previous_assessment(cast, changed, earlier):
    def key():
        new = Assessment.objects.get(pk=changed.pk)
        return render._cache_key("report", new, render.report_html(new))

    first = key()
    assert key() == first
    previous = earlier["assessment"]
    answer(previous, cast["editor"], **{"s1-q1": "partial"})  # a draft: its authors may still change it
    assert key() != first


# --- The pages as assistive technology reads them ------------------------------------------------------


def test_the_pages_have_unique_ids_and_headings_in_order(client, cast, changed, earlier):
    urls = [reverse("reassessment_start", args=[earlier["assessment"].pk]),
            reverse("reassessment_result", args=[changed.pk]), reverse("reassessment_compare", args=[changed.pk]),
            reverse("reassessment_compare", args=[changed.pk]) + "?only=changes",
            reverse("assessment_summary", args=[changed.pk]), reverse("assessment_section", args=[changed.pk, "s1"]),
            reverse("report_preview", args=[changed.pk])]
    found = {url: problems(client.get(url).content.decode()) for url in urls}
    assert found == {url: [] for url in urls}


def test_malformed_requests_are_refused_without_an_error_page(client, cast, earlier):
    client.force_login(cast["editor"])
    previous = earlier["assessment"]
    url = reverse("reassessment_start", args=[previous.pk])
    for data in ({"organisation": "abc", "title": "x", "standpoint": "resident"}, {"title": ["a", "b"]},
                 {"organisation": str(cast["group"].pk + 999), "title": "\x00", "standpoint": "resident"}):
        assert client.post(url, data).status_code == 400
    assert not Assessment.objects.filter(previous=previous).exists()
    new = start(client, previous)
    for wanted in ("s1-q1", "../", "", "x" * 5000):  # a question of another section, nonsense
        response = post_section(client, new, "s0", confirm_carried=wanted)
        assert response.status_code == 302
    assert carried(new) == {"s0-q0": True, "s0-q2": True, "s1-q1": True}
    assert client.get(reverse("reassessment_compare", args=[new.pk]) + "?only=%00%ff").status_code == 200
    assert client.get("/assessments/99999999999999999999/reassess/").status_code == 404
