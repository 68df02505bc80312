"""The demonstration (issue 13, "an honest demo"): nothing invented is said of the real town
without 「（架空の例）」 where it stands, no rumour, legal statuses right, and every page of its report
and letter says it is a demonstration."""

import json
import re

import pytest

from assessments import seed
from assessments.demo import DEMO_FILE, create_demo_assessment
from assessments.reports import render
from tests.test_reports import pdf_text, squash

pytestmark = pytest.mark.django_db

DATA = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
MARK = "（架空の例）"
# Words of the demo's own (invented) dealings with the town: interviews, requests, decisions.
INVENTED = re.compile(r"担当課|面談|窓口での聞き取り|非開示|部分開示|黒塗り|請求|口頭|案内文|予算書|会議録を検索|例規集")


def texts():
    for key, answer in DATA["answers"].items():
        for value in (answer.get("note"), answer.get("value")):
            if isinstance(value, str):
                yield key, value
        for source in answer.get("evidence", []):
            yield key, source["title"] + " " + source.get("note", "")
    for row in DATA["inventory"]:
        yield "b-inventory", " ".join(str(v) for v in row.values())


def test_the_demo_uses_the_current_question_set():
    from assessments.seed import FIXTURES

    latest = max(json.loads(path.read_text(encoding="utf-8"))["version"]
                 for path in (FIXTURES / "questionsets").glob("dx-pia-v*.json"))
    assert DATA["question_set"] == {"key": "dx-pia", "version": latest} and latest >= 4


def test_every_invented_dealing_with_the_town_is_marked_where_it_stands():
    for key, text in texts():
        for sentence in re.findall(r"[^。\n]*。|[^。\n]+$", text):
            if INVENTED.search(sentence):
                assert MARK in sentence, (key, sentence)


def test_sources_that_are_not_public_are_marked():
    for key, answer in DATA["answers"].items():
        for source in answer.get("evidence", []):
            public = source.get("url", "").startswith("https://") or source["title"].startswith("埼玉の自治体DXに関する市民団体")
            assert public or MARK in source["title"], (key, source["title"])


def test_no_rumour_and_no_item_from_neither_the_seed_nor_a_source():
    everything = json.dumps(DATA, ensure_ascii=False)
    for word in ("心の天気", "虫歯", "聞いたとの情報", "未確認の情報"):
        assert word not in everything, word
    assert DATA["answers"]["e-past-incidents"]["value"] == "unknown"


def test_benefits_and_family_status_are_not_called_special_care_information():
    rows = {row["data_item"]: row for row in DATA["inventory"]}
    for item in ("生活保護データ", "児童扶養手当資格データ", "QU分析データ", "滞納情報データ"):
        assert rows[item]["sensitive"] == "no", item
    for item in ("健診情報データ", "障害者手帳データ", "乳幼児健診データ"):
        assert rows[item]["sensitive"] == "yes", item
    assert "生活保護、児童相談などの要配慮個人情報" not in DATA["answers"]["b-sensitive-data"]["note"]


def test_every_page_of_the_demo_report_and_letter_says_it_is_a_demo(catalogue):
    demo = create_demo_assessment()
    assert demo.is_demo
    for pdf in (render.report_pdf(demo), render.letter_pdf(demo)):
        pages = pdf_text(pdf)
        assert len(pages) > 1 and all("デモ（架空の記録を含む）" in page for page in pages)
    assert render.letter_text(demo).startswith("デモ（架空の記録を含む）")
    # The rumour of My Number linking errors raises no red flag any more.
    from assessments import selectors
    assert not [f for f in selectors.assessment_workspace(demo).result.red_flags if f.question == "e-past-incidents"]


def test_the_demos_plain_summary_says_first_that_some_answers_are_invented(catalogue):
    from assessments import plain_summary, selectors
    from assessments.plain_language import DEMO_SENTENCE

    demo = create_demo_assessment()
    seed.seed_plain_findings(seed.SeedReport())  # as dev.sh seeds them
    summary = plain_summary.summary_for(selectors.assessment_workspace(demo))
    assert summary.sentences[0] == DEMO_SENTENCE and "（架空の例）" in DEMO_SENTENCE
    assert squash(pdf_text(render.report_pdf(demo))[0]).count(DEMO_SENTENCE) == 1  # the cover's summary
    plain_pdf = squash("".join(pdf_text(render.plain_summary_pdf(demo))))  # with furigana between the words
    assert plain_pdf.index("使い方を見せるための") < plain_pdf.index("架空") < plain_pdf.index("美里町の「")


def test_an_ordinary_assessment_is_not_marked(assessment):
    assert not assessment.is_demo
    assert "デモ（架空の記録を含む）" not in render.letter_text(assessment)
    assert "デモ（架空の記録を含む）" not in "".join(pdf_text(render.letter_pdf(assessment)))


def test_documented_facts_cite_their_public_source_not_an_invented_one():
    """The town's part in こども家庭庁's 2023 実証事業 and its period are in the vendor's press release;
    they are not attributed to an invented document, nor marked as invented themselves."""
    release = "https://ryobi.co.jp/news/2023/20230616"
    for key, text in texts():
        for sentence in re.findall(r"[^。\n]*。|[^。\n]+$", text):
            if "こどもデータ連携実証事業の一つ" in sentence or "2024年3月" in sentence:
                assert "両備システムズ" in sentence and MARK not in sentence, (key, sentence)
                assert release in [source["url"] for source in DATA["answers"][key]["evidence"]], key
    # The seed gives the 総点検 no year: none is put in its mouth.
    assert "2023年のマイナンバー" not in json.dumps(DATA, ensure_ascii=False)
