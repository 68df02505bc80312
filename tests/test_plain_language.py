"""The やさしい日本語 tier (issue 19): each answer's class, the hand-written findings of the current
question set, the summary (its limit, its readability), furigana and phrase breaks, and where the
summary appears: the public page, its one-page PDF and text, and the report's first page."""

import html
import io
import json
import re

import pytest
from django.urls import reverse
from fugashi import Tagger
from jreadability import compute_readability
from pypdf import PdfReader

from assessments import plain_language, plain_summary, scoring, seed, selectors
from assessments.demo import create_demo_assessment
from assessments.models import Assessment, PlainFinding, QuestionSet
from assessments.plain_language import (
    KNOWN,
    NOT,
    NOT_DISCLOSED,
    PARTLY,
    PROTECTED,
    UNKNOWN,
    answer_class,
    build_summary,
    classes_for,
    plain_html,
    ruby_html,
)
from assessments.reports import render
from tests.conftest import save_now

# jreadability 1.1.5 (Lee & Hasebe's formula): 4.5 and above is 「初級後半」, shown as 「易しい」 by
# jreadability.net; 5.5 and above 「初級前半」(とても易しい). The summaries must be 易しい or better.
READABILITY_THRESHOLD = 4.5
PLAIN_FILE = seed.FIXTURES / "plain" / "dx-pia.json"

CHOICES = (
    scoring.ChoiceSpec("yes", "実施", 2),
    scoring.ChoiceSpec("some", "一部", 1),
    scoring.ChoiceSpec("no", "未実施", 0),
    scoring.ChoiceSpec("unknown", "不明", 0, scoring.UNKNOWN),
    scoring.ChoiceSpec("nd", "未開示", 0, scoring.NOT_DISCLOSED),
    scoring.ChoiceSpec("na", "該当なし", None, scoring.NOT_APPLICABLE),
)
SINGLE = scoring.QuestionSpec("q", "a", "説明したか", "single", weight=2, choices=CHOICES)
NUMBER = scoring.QuestionSpec("n", "a", "何人か", "number")


# --- Pure: classes, summary, readings ------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("yes", PROTECTED), ("some", PARTLY), ("no", NOT), ("unknown", UNKNOWN), ("nd", NOT_DISCLOSED),
    ("na", None), (None, None), ("gone", None),
])
def test_a_choice_answer_falls_in_the_class_its_score_says(value, expected):
    assert answer_class(SINGLE, value) == expected


def test_a_question_without_a_score_is_known_unknown_or_not_disclosed():
    assert answer_class(NUMBER, "1200") == KNOWN
    assert answer_class(NUMBER, {"mark": "unknown"}) == UNKNOWN
    assert answer_class(NUMBER, {"mark": "not_disclosed"}) == NOT_DISCLOSED
    assert answer_class(NUMBER, {"mark": "not_applicable"}) is None
    assert answer_class(NUMBER, "") is None
    assert classes_for(NUMBER) == (KNOWN, UNKNOWN, NOT_DISCLOSED)
    assert classes_for(SINGLE) == (PROTECTED, PARTLY, NOT, UNKNOWN, NOT_DISCLOSED)


def test_a_multiple_choice_with_what_was_found_and_unknown_counts_what_was_found():
    multiple = scoring.QuestionSpec("m", "a", "どれか", "multiple", choices=CHOICES)
    assert answer_class(multiple, ["some", "unknown"]) == PARTLY
    assert answer_class(multiple, ["unknown", "nd"]) == NOT_DISCLOSED


def test_a_chosen_serious_concern_is_said_as_such_beside_a_better_choice():
    """a-consent-method answered opt-out for some data and a law for the rest: the best choice scores
    full, but the report lists the opt-out as a 重大な懸念; the cover's plain summary said
    「一人一人から、きちんと、同意をもらっています」 beside it."""
    consent = scoring.QuestionSpec("c", "a", "同意の方法", "multiple", weight=2, choices=(
        scoring.ChoiceSpec("written", "書面", 2),
        scoring.ChoiceSpec("opt-out", "オプトアウト", 0, red_flag="オプトアウトの同意"),
        scoring.ChoiceSpec("statute", "法令", 2),
    ))
    assert answer_class(consent, ["written", "statute"]) == PROTECTED
    assert answer_class(consent, ["opt-out", "statute"]) == NOT
    assert answer_class(consent, ["opt-out"]) == NOT


TEXTS = {
    ("q", PROTECTED): "{市}は、説明しました。",
    ("q", NOT): "{市}は、説明していません。",
    ("q", UNKNOWN): "{市}が説明したかは、分かりません。",
    ("n", KNOWN): "人数は、分かっています。",
}


def summary(answers, **kwargs):
    arguments = dict(municipality="美里町", municipality_kind="town", project="実証事業", questions=[SINGLE, NUMBER],
                     answers=answers, rows={}, texts=TEXTS, persons=None)
    return build_summary(**{**arguments, **kwargs})


def test_an_unknown_number_of_people_is_said_once():
    persons = scoring.QuestionSpec("n", "a", "何人？", "number", screening_role="persons_covered")
    texts = {**TEXTS, ("n", UNKNOWN): "何人分の、データを使うかは、まだ、はっきりしません。"}
    made = summary({"n": {"mark": "unknown"}, "q": "unknown"}, questions=[SINGLE, persons], texts=texts)
    assert "何人の情報を使うかは、まだ分かりません。" in made.text
    assert "はっきりしません" not in made.text  # not a second time in other words
    assert "町が説明したかは、分かりません。" in made.text  # the other unknown stays
    assert [f.question for f in made.unknown] == ["q", "n"]  # and the list of unknowns still names both


def test_a_project_without_a_named_municipality_is_called_jichitai_not_shi():
    made = summary({"q": "no"}, municipality="", municipality_kind="")
    assert made.lacking[0].text == "自治体は、説明していません。" and "市" not in made.text
    assert made.text.startswith("これは、「実証事業」を、")


def test_a_demonstrations_summary_says_first_that_some_answers_are_invented():
    from assessments.plain_language import DEMO_SENTENCE

    assert summary({"q": "no"}, demo=True).sentences[0] == DEMO_SENTENCE
    assert DEMO_SENTENCE not in summary({"q": "no"}).text


def test_the_summary_names_the_town_as_a_town_and_sorts_the_findings():
    made = summary({"q": "no", "n": "1200"}, persons=1200)
    assert made.lacking[0].text == "町は、説明していません。"  # not 市: 美里町 is a town
    assert "この事業は、1,200人の情報を使います。" in made.text
    assert "美里町の「実証事業」" in made.text
    assert "町は、説明していません。" in made.text and "足りないことが、1こ、あります。" in made.text
    assert [f.question for f in made.protected] == [] and made.unknown == []
    assert made.actions[0] == "分からないことは、町に、聞くことができます。"
    assert summary({"q": "no"}, municipality_kind="city").lacking[0].text == "市は、説明していません。"


@pytest.mark.parametrize("standpoint, kind, who", [
    ("resident", "town", "美里町の「実証事業」を、住民が調べた結果です。"),
    ("council", "town", "美里町の「実証事業」を、議員が調べた結果です。"),
    ("staff", "town", "美里町の「実証事業」を、町の職員が調べた結果です。"),
    ("staff", "city", "美里町の「実証事業」を、市の職員が調べた結果です。"),
    ("other", "town", "美里町の「実証事業」を、調べた結果です。"),
])
def test_the_summary_says_who_looked_into_the_project_as_the_assessment_does(standpoint, kind, who):
    made = summary({"q": "no"}, standpoint=standpoint, municipality_kind=kind)
    assert made.text.startswith(f"これは、{who}")


def test_a_finding_without_a_written_sentence_is_left_out_not_made_up():
    made = summary({"q": "some"})  # no text for PARTLY
    assert made.lacking == [] and "説明" not in made.text
    assert "何人の情報を使うかは、まだ分かりません。" in made.text


def test_the_summary_prose_stays_within_the_limit_in_whole_sentences():
    long = {("q", NOT): "あ" * 300 + "。", ("n", UNKNOWN): "い" * 290 + "。"}
    made = summary({"q": "no", "n": {"mark": "unknown"}}, texts=long)
    assert len(made.text) <= plain_language.SUMMARY_LIMIT
    assert all(s.endswith("。") for s in made.sentences)
    assert long[("q", NOT)] in made.sentences and long[("n", UNKNOWN)] not in made.sentences


@pytest.mark.parametrize("name", ["宮﨑市", "髙橋さんの住所", "德島", "𠮷野家", "カフェ☕の会員データ", "a&b <i>"])
def test_a_name_the_reading_library_does_not_know_stays_as_it_was_written(name):
    shown = re.sub(r"<rt>[^<]*</rt>|<[^>]+>", "", plain_html(name))
    assert html.unescape(shown) == name


def test_readings_go_on_words_with_kanji_above_grade_one_and_user_text_is_escaped():
    assert ruby_html("住民") == "<ruby>住民<rt>じゅうみん</rt></ruby>"
    assert ruby_html("守られています") == "<ruby>守<rt>まも</rt></ruby>られています"
    assert "<ruby>" not in ruby_html("大人と子ども")  # grade-1 kanji only: no reading
    assert ruby_html("何人") == "<ruby>何人<rt>なんにん</rt></ruby>"
    # A data item of the inventory: 要介護 is ようかいご, not the given name 要介 (ようすけ) and 護.
    assert re.sub(r"</?ruby>|<rt>|</rt>", "|", ruby_html("要介護認定調査票")).count("ようかい|") == 1
    assert "ようすけ" not in ruby_html("要介護認定調査票")
    made = plain_html("<script>alert(1)</script>の情報です。")
    assert "<script>" not in made and "&lt;script&gt;" in made
    assert "<wbr>" in plain_html("市は、住民に、説明しました。")
    assert "<ruby>" not in plain_html("市は、住民に、説明しました。", furigana=False)
    assert 'class="rt">じゅうみん</span>住民' in ruby_html("住民", blocks=True)


# --- The question set's findings -------------------------------------------------------------------

@pytest.fixture
def plain_set(db):
    report = seed.SeedReport()
    seed.seed_municipalities(report)
    seed.seed_projects(report)
    seed.seed_questionsets(report)
    seed.seed_plain_findings(report)
    assert not report.notes, report.notes
    return QuestionSet.objects.get(key="dx-pia", version=3)


def v3_specs(question_set):
    return selectors.question_specs(selectors.questionset_structure(question_set))


def test_every_question_of_the_current_set_has_a_sentence_for_each_of_its_classes(plain_set):
    specs = v3_specs(plain_set)
    assert len(specs) == 85
    stored = set(PlainFinding.objects.filter(question__question_set=plain_set).values_list("question__key", "answer_class"))
    wanted = {(spec.key, cls) for spec in specs for cls in classes_for(spec)}
    assert stored == wanted


def test_the_shipped_sentences_follow_the_plain_japanese_rules():
    findings = json.loads(PLAIN_FILE.read_text(encoding="utf-8"))["findings"]
    for key, texts in findings.items():
        for cls, text in texts.items():
            sentences = re.findall(r"[^。？]+[。？]", text)
            assert "".join(sentences) == text, (key, cls, "every sentence ends with 。")
            assert all(len(s.replace("{市}", "市")) <= 35 for s in sentences), (key, cls, text)
            assert not re.search(r"[A-Za-z]{2,}", text), (key, cls, text)
            assert not re.search(r"ないわけではない|なくはない|ないことはない", text), (key, cls, text)
            assert "市" not in text.replace("{市}", "").replace("市や町", ""), (key, cls, "the municipality is {市}")


def test_seeding_a_file_with_a_class_the_question_cannot_have_fails_and_names_it(plain_set, tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps(
        {"key": "dx-pia", "version": 3, "findings": {"s-persons": {"protected": "守られています。"}}}), encoding="utf-8")
    with pytest.raises(seed.PlainFindingsError, match="s-persons"):
        seed.seed_plain_findings(seed.SeedReport(), tmp_path)


def test_a_changed_sentence_updates_the_stored_one_though_the_set_is_published(plain_set, tmp_path):
    finding = PlainFinding.objects.filter(question__question_set=plain_set).first()
    (tmp_path / "v3.json").write_text(json.dumps({"key": "dx-pia", "version": 3, "findings": {
        finding.question.key: {finding.answer_class: "新しい文です。"}}}), encoding="utf-8")
    report = seed.SeedReport()
    seed.seed_plain_findings(report, tmp_path)
    finding.refresh_from_db()
    assert finding.text == "新しい文です。" and report.updated == {"plain findings": 1}


# --- Readability of every summary of the fixtures ----------------------------------------------------

def answered_all(assessment, user, pick):
    """Every choice question of ``assessment`` answered with the choice ``pick`` returns."""
    from assessments import answer_saving
    from assessments.models import Question

    changes = {}
    for question in Question.objects.filter(question_set=assessment.question_set).prefetch_related("choices"):
        choices = list(question.choices.all())
        choice = pick(choices) if choices else None
        if choice is not None:
            changes[question] = answer_saving.AnswerChange(value=[choice.key] if question.type == "multiple" else choice.key)
    save_now(assessment, user, changes)


def best(choices):
    scored = [c for c in choices if c.score is not None and c.meaning == "answer"]
    return max(scored, key=lambda c: c.score) if scored else None


def worst(choices):
    scored = [c for c in choices if c.score is not None and c.meaning == "answer"]
    return min(scored, key=lambda c: c.score) if scored else None


def meaning(name):
    return lambda choices: next((c for c in choices if c.meaning == name), None)


@pytest.fixture
def summaries_by_assessment(plain_set, alice):
    """The demo and the same project answered all best, all worst, all 不明, all 未開示 and not at
    all: every kind of summary the fixtures make."""
    demo = create_demo_assessment()
    made = {"demo": demo}
    for name, pick in (("best", best), ("worst", worst), ("unknown", meaning("unknown")),
                       ("not disclosed", meaning("not_disclosed")), ("empty", None)):
        assessment = Assessment.objects.create(project=demo.project, question_set=plain_set, owner=alice,
                                               organisation=demo.organisation, title=name)
        if pick is not None:
            answered_all(assessment, alice, pick)
        made[name] = assessment
    return made


@pytest.fixture
def summaries(summaries_by_assessment):
    return {name: plain_summary.summary_for(selectors.assessment_workspace(a)) for name, a in summaries_by_assessment.items()}


def test_every_summary_of_the_fixtures_reads_as_easy_or_easier(summaries):
    tagger = Tagger()
    scores = {name: compute_readability(s.text, tagger) for name, s in summaries.items()}
    assert all(score >= READABILITY_THRESHOLD for score in scores.values()), scores
    assert all(len(s.text) <= plain_language.SUMMARY_LIMIT for s in summaries.values())
    assert summaries["best"].protected and not summaries["best"].lacking
    assert summaries["worst"].lacking and not summaries["worst"].protected
    # (未開示 on the screening's gate hides the privacy questions, as it does everywhere.)
    assert summaries["not disclosed"].unknown
    assert {f.answer_class for f in summaries["not disclosed"].unknown} == {NOT_DISCLOSED}
    assert {f.answer_class for f in summaries["unknown"].unknown} == {UNKNOWN}
    assert "まだ、答えが、ありません。" in summaries["empty"].text


# --- Where the summary appears ------------------------------------------------------------------------

@pytest.fixture
def published_demo(plain_set):
    demo = create_demo_assessment()
    Assessment.objects.filter(pk=demo.pk).update(status=Assessment.Status.PUBLISHED)
    demo.refresh_from_db()
    return demo


def test_the_public_page_opens_with_the_summary_with_furigana_and_a_switch(client, published_demo):
    page = client.get(reverse("public_assessment", args=[published_demo.pk])).content.decode()
    summary_at = page.index('id="plain-summary"')
    assert summary_at < page.index("総合評価")
    block = page[summary_at:page.index("</section>", summary_at)]
    assert 'lang="ja"' in block and "<ruby>" in block and "<rt>じゅうみん</rt>" in block
    assert "<wbr>" in block and 'id="furigana-toggle"' in block
    assert "ほかに、" in block and "住民が、できること" in re.sub(r"<rt>[^<]*</rt>|<[^>]+>", "", block)
    assert "js/plain.js" in page


def test_a_council_members_assessment_says_a_council_member_looked(client, published_demo):
    Assessment.objects.filter(pk=published_demo.pk).update(standpoint=Assessment.Standpoint.COUNCIL)
    body = client.get(reverse("public_plain_text", args=[published_demo.pk])).content.decode()
    assert "を、議員が調べた結果です。" in body and "住民が調べた" not in body


def test_the_summary_as_text_and_as_one_pdf_page(client, published_demo):
    text = client.get(reverse("public_plain_text", args=[published_demo.pk]))
    body = text.content.decode()
    assert text.status_code == 200 and text["Content-Type"] == "text/plain; charset=utf-8"
    assert body.startswith("やさしい日本語のまとめ: ") and "これは、美里町の「" in body
    assert "・分からないことは、町に、聞くことができます。" in body
    assert f"/public/{published_demo.pk}/" in body and "<" not in body
    response = client.get(reverse("public_plain_pdf", args=[published_demo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 1
    words = pages[0].extract_text()
    # Each reading is printed over its word: the text has the reading before the word.
    assert "じゅうみん住民" in words.replace(" ", "").replace("\n", "")
    assert "ほかに、" in words and f"/public/{published_demo.pk}/" in words


def test_every_summary_of_the_fixtures_fits_on_one_page(summaries_by_assessment):
    from assessments.reports.engine import html_to_pdf

    for name, assessment in summaries_by_assessment.items():
        pdf = html_to_pdf(render.plain_summary_html(assessment, "http://127.0.0.1/public/1/"))
        assert len(PdfReader(io.BytesIO(pdf)).pages) == 1, name


def test_the_report_carries_the_summary_on_its_first_page(published_demo):
    pdf = render.report_pdf(published_demo)
    first = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace("\n", "")
    summary = plain_summary.summary_for(selectors.assessment_workspace(published_demo))
    assert "やさしい日本語のまとめ" in first
    assert summary.sentences[0].replace("、", "")[:20] in first.replace("、", "")


def test_a_draft_has_no_public_summary(client, plain_set, alice):
    demo = create_demo_assessment()
    assert client.get(reverse("public_plain_text", args=[demo.pk])).status_code == 404
    assert client.get(reverse("public_plain_pdf", args=[demo.pk])).status_code == 404


def test_the_public_page_with_its_summary_takes_as_many_queries_for_many_questions_as_for_few(client, bob, misato):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.answer_saving import assessment_create
    from assessments.questionset_io import questionset_from_data
    from tests.conftest import make_questionset_data

    counts = []
    for key, per_section in (("few", 2), ("many", 12)):
        question_set = questionset_from_data(make_questionset_data(key=key, status="published", questions_per_section=per_section))
        for question in question_set.questions.all():
            PlainFinding.objects.create(question=question, answer_class=NOT, text="{市}は、していません。")
        assessment = assessment_create(user=bob, project=misato, question_set=question_set, title=key, standpoint="resident")
        answered_all(assessment, bob, worst)
        Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED)
        client.get(reverse("public_assessment", args=[assessment.pk]))  # per-process caches warmed
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("public_assessment", args=[assessment.pk]))
        shown = re.sub(r"<rt>.*?</rt>|<[^>]+>", "", page.content.decode())
        assert page.status_code == 200 and "町は、していません。" in shown
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_set_without_plain_sentences_shows_no_summary_rather_than_an_empty_one(client, assessment, bob):
    from tests.conftest import answer_every_question

    answer_every_question(assessment, bob)  # dx-pia v1: no plain sentences shipped
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED)
    assessment.refresh_from_db()
    page = client.get(reverse("public_assessment", args=[assessment.pk])).content.decode()
    assert page.count("plain-summary") == 0 and "js/plain.js" not in page
    assert client.get(reverse("public_plain_text", args=[assessment.pk])).status_code == 404
    assert client.get(reverse("public_plain_pdf", args=[assessment.pk])).status_code == 404
    assert "やさしい日本語のまとめ" not in render.report_html(assessment)


def test_the_summary_pdf_names_the_site_address_whatever_host_was_asked(client, published_demo, settings):
    settings.SITE_URL = "https://dxpia.example.jp"
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    client.get(reverse("public_plain_pdf", args=[published_demo.pk]))
    _pdf, rendered = render.cached_pdf("plain", published_demo,
                                       lambda a: render.plain_summary_html(a, f"https://dxpia.example.jp/public/{a.pk}/"))
    assert rendered is False  # the copy made for testserver serves every host
    text = client.get(reverse("public_plain_text", args=[published_demo.pk]), HTTP_HOST="other.example").content.decode()
    assert f"https://dxpia.example.jp/public/{published_demo.pk}/" in text


def test_every_reading_of_the_shipped_sentences_is_the_one_checked_by_hand():
    """readings.tsv holds each phrase of the fixed texts with the readings a person checked; a new or
    changed sentence, or a reading library that reads otherwise, fails here until checked again."""
    pinned = {}
    for line in (seed.FIXTURES / "plain" / "readings.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            phrase, reading = line.split("\t")
            pinned[phrase] = reading
    findings = json.loads(PLAIN_FILE.read_text(encoding="utf-8"))["findings"]
    unchecked, different = set(), {}
    for text in plain_language.fixed_texts(findings):
        for phrase in plain_language.phrases(text):
            reading = plain_language.reading_of(phrase)
            if reading == phrase:
                continue
            if phrase not in pinned:
                unchecked.add(reading)
            elif pinned[phrase] != reading:
                different[phrase] = (pinned[phrase], reading)
    assert not unchecked, f"readings not checked by hand yet: {sorted(unchecked)[:20]}"
    assert not different, different
    assert pinned["その後、"] == "その後(あと)、" and "守(まも)り方(かた)の、" in pinned.values()


def test_a_hidden_number_of_people_is_not_said(plain_set, alice):
    """A project first given 3,200 people, then said to handle no personal information: the number
    is kept but hidden, as everywhere; the summary said 「この事業は、3,200人の情報を使います」."""
    from assessments import answer_saving
    from assessments.models import Question

    demo = create_demo_assessment()
    assessment = Assessment.objects.create(project=demo.project, question_set=plain_set, owner=alice,
                                           organisation=demo.organisation, title="人数")
    gate = Question.objects.get(question_set=plain_set, key="screening-personal-data")
    persons = Question.objects.get(question_set=plain_set, screening_role="persons_covered")
    save_now(assessment, alice, {gate: answer_saving.AnswerChange(value="yes"), persons: answer_saving.AnswerChange(value="3200")})
    assert "3,200人" in plain_summary.summary_for(selectors.assessment_workspace(assessment)).text
    save_now(assessment, alice, {gate: answer_saving.AnswerChange(value="no")})
    assert "3,200人" not in plain_summary.summary_for(selectors.assessment_workspace(assessment)).text
