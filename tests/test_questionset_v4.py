"""dx-pia v4: v3's questions, choices, scores and risk part, with texts that name only the choices
their question offers (v3 still named the generic choices v2 retired, and told an assessor that an
internal check only was 「未実施」 where the choice for it is the middle one), each document of the
letter's requests under one name, quotation marks only around quotations, and a changelog that
corrects v2's entry about 「心の天気」「虫歯の数」."""

import copy
import json
import re

import pytest

from assessments import seed
from assessments.forms import AssessmentStartForm
from assessments.models import QuestionSet
from assessments.questionset_io import read_questionset_file, validate_questionset_data

V3_FILE = seed.FIXTURES / "questionsets" / "dx-pia-v3.json"
V4_FILE = seed.FIXTURES / "questionsets" / "dx-pia-v4.json"
RETIRED = {"実施・確認済み", "未実施", "一部"}  # the generic choices of v1, retired in v2
TEXT_FIELDS = ("text", "help", "guidance", "basis", "proposal")


@pytest.fixture(scope="module")
def v3_data():
    return read_questionset_file(V3_FILE)


@pytest.fixture(scope="module")
def v4_data():
    return read_questionset_file(V4_FILE)


def misnamed_choices(data) -> list[tuple[str, str, str]]:
    """(question, field, name) for each 「name」 in a question's texts that is a choice of the set
    (or a retired generic one) but not one its own question offers. A choice is named by its
    whole label or by the part before its parenthesis (「不明」 for 「不明（まだ確認できていない）」)."""
    def names(choices):
        labels = {c["label"] for c in choices or []}
        return labels | {label.split("（")[0] for label in labels}

    questions = [q for s in data["sections"] for q in s["questions"]]
    anywhere = RETIRED.union(*(names(q.get("choices")) for q in questions))
    wrong = []
    for question in questions:
        own = names(question.get("choices"))
        for field in TEXT_FIELDS:
            for quoted in re.findall(r"「([^」]+)」", question.get(field) or ""):
                if quoted in anywhere and quoted not in own:
                    wrong.append((question["key"], field, quoted))
    return wrong


# Questions whose own words v4 corrects, and why: c-my-number-basis named the uses of the My Number
# that 番号法第9条 allowed before 2023, without 準法定事務 (the choices and scores stay v3's).
REWORDED = {"c-my-number-basis"}


def without_texts(data):
    """The set as scoring, screening, conditions and risks see it: no guidance, basis, documents to
    request, description, changelog or version (nor the question and the question to the
    municipality of REWORDED)."""
    data = copy.deepcopy(data)
    for key in ("version", "description", "changelog"):
        data.pop(key)
    for section in data["sections"]:
        for question in section["questions"]:
            question.pop("guidance")
            question.pop("basis")
            question.pop("documents_to_request")
            if question["key"] in REWORDED:
                question.pop("text")
                question.pop("municipality_question")
    return data


# Names of which one holds the other and that are still different documents.
DIFFERENT_DOCUMENTS = {("仕様書", "データ連携の仕様書"), ("議会の会議録", "審議会の会議録"), ("運用手順書", "障害時運用手順書"),
                       ("事業計画書", "意見募集に付した事業計画書（案）")}


def documents_named_twice(data) -> set[tuple[str, str]]:
    """Pairs of document names of the letter's requests where one holds the other (「同意書の様式」
    and 「申請書・同意書の様式」): the same document under two names, unless known to differ."""
    names = {doc for s in data["sections"] for q in s["questions"] for doc in q.get("documents_to_request") or []}
    return {(a, b) for a in names for b in names if a != b and a in b} - DIFFERENT_DOCUMENTS


def test_the_file_is_sound_and_published(v4_data):
    assert validate_questionset_data(v4_data) == []
    assert (v4_data["key"], v4_data["version"], v4_data["status"]) == ("dx-pia", 4, "published")


def test_only_guidance_bases_documents_and_the_record_of_changes_differ_from_v3(v3_data, v4_data):
    # The same questions, choices, scores, red flags, conditions, screening, levels and risk part:
    # an answer means and scores the same on v3 and v4, and a re-assessment compares like with like.
    assert without_texts(v4_data) == without_texts(v3_data)
    assert v4_data["changelog"][:len(v3_data["changelog"])] == v3_data["changelog"]
    added = v4_data["changelog"][len(v3_data["changelog"]):]
    assert added and all(entry["version"] == 4 and entry["what"] and entry["why"] for entry in added)
    assert v4_data["description"].startswith(v3_data["description"]) and "第4版では" in v4_data["description"]


def test_every_choice_a_text_names_is_one_its_question_offers(v3_data, v4_data):
    assert misnamed_choices(v4_data) == []
    # What v4 corrects: v3 named choices that were not on the screen.
    wrong = misnamed_choices(v3_data)
    assert ("f-review-body", "guidance", "未実施") in wrong and ("b-alternatives", "guidance", "未実施") in wrong
    assert len(wrong) == 14


def test_the_letter_requests_each_document_under_one_name(v3_data, v4_data):
    assert documents_named_twice(v4_data) == set()
    assert ("同意書の様式", "申請書・同意書の様式") in documents_named_twice(v3_data)  # what v4 corrects
    names = {doc for s in v4_data["sections"] for q in s["questions"] for doc in q.get("documents_to_request") or []}
    assert "標準化移行計画" not in names and "標準化・ガバメントクラウド移行計画" in names


def test_an_internal_check_only_is_the_middle_answer_as_its_choice_says(v4_data):
    question = next(q for s in v4_data["sections"] for q in s["questions"] if q["key"] == "f-review-body")
    partial = next(c for c in question["choices"] if c["key"] == "partial")
    assert partial["label"].startswith("内部の点検のみ") and partial["score"] == 1 and not partial["red_flag"]
    assert f"担当課の内部での確認だけの場合は「{partial['label']}」" in question["guidance"]


def test_paraphrases_are_not_in_quotation_marks(v4_data):
    texts = {q["key"]: q["guidance"] for s in v4_data["sections"] for q in s["questions"]}
    assert "「データ分析" not in texts["c-human-decision"] and "データ分析は補助" in texts["c-human-decision"]
    assert "「国が全国" not in texts["c-no-central-provision"] and "中央データベースではない" in texts["c-no-central-provision"]


def test_the_uses_of_the_my_number_include_those_added_in_2023(v3_data, v4_data):
    def words(data):
        return next(q for s in data["sections"] for q in s["questions"] if q["key"] == "c-my-number-basis")
    question = words(v4_data)
    for text in (question["text"], question["guidance"], question["municipality_question"]):
        assert "準法定事務" in text
    assert "準法定事務" not in words(v3_data)["text"]  # what v4 corrects
    assert "市町村が条例で定めた事務" not in json.dumps(v4_data, ensure_ascii=False)


def test_the_guidance_on_past_incidents_says_only_what_the_seed_says(v3_data, v4_data):
    def guidance(data):
        return next(q["guidance"] for s in data["sections"] for q in s["questions"] if q["key"] == "e-past-incidents")
    assert "23自治体・24業務、1自治体で最も多かったのが13業務で1市1町" in guidance(v4_data)
    for words in ("2023年", "埼玉県内", "誤りが見つかりました"):
        assert words not in guidance(v4_data) and words in guidance(v3_data)  # what v4 corrects


def test_effort_duties_and_the_second_way_of_the_qa_are_said_as_such(v4_data):
    texts = {q["key"]: q["guidance"] for s in v4_data["sections"] for q in s["questions"]}
    assert "5年を経過する前の再実施は、努めるもの（努力義務）" in texts["f-reassessment"]
    assert "が求められています" not in texts["f-reassessment"]
    assert "第61条第3項の範囲で利用目的を変更" in texts["c-beyond-purpose"]


def test_a_benchmark_of_the_my_number_assessment_is_cited_as_a_benchmark_elsewhere(v4_data):
    basis = next(q["basis"] for s in v4_data["sections"] for q in s["questions"] if q["key"] == "a-public-comment")
    assert "全項目評価での求めで、ほかの事業では目安" in basis


def test_the_changelog_corrects_what_v2_said_of_its_sources(v4_data):
    correction = [e for e in v4_data["changelog"] if e["version"] == 4 and "心の天気" in e["what"]]
    assert len(correction) == 1 and "誤り" in correction[0]["what"] and "こども家庭庁" in correction[0]["what"]


@pytest.mark.django_db
def test_the_seed_publishes_v4_beside_v3_as_the_default_with_the_same_plain_sentences(catalogue, bob, misato):
    report = seed.SeedReport()
    seed.seed_questionsets(report)
    seed.seed_plain_findings(report)
    v3, v4 = (QuestionSet.objects.get(key="dx-pia", version=v) for v in (3, 4))
    assert v3.status == v4.status == QuestionSet.Status.PUBLISHED  # v3's assessments keep their set
    assert AssessmentStartForm(project=misato, user=bob).fields["question_set"].initial == v4.pk

    def sentences(question_set):
        return sorted(question_set.questions.values_list("key", "plain_findings__answer_class", "plain_findings__text"))

    assert sentences(v4) == sentences(v3) and len(sentences(v4)) > 300
