"""dx-pia v3: the risk part (harms, scales, levels, matrix, suggestion rules) as question-set data."""

import copy
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from assessments import seed, services
from assessments.models import Harm, QuestionSet, QuestionSetFrozen, RiskMatrixCell, SuggestionRule
from assessments.questionset_io import (
    QuestionSetDataError,
    questionset_from_data,
    questionset_to_data,
    read_questionset_file,
    validate_questionset_data,
)

pytestmark = pytest.mark.django_db

V3_FILE = seed.FIXTURES / "questionsets" / "dx-pia-v3.json"
HARMS = ["監視・追跡", "目的外の利用・機能の拡大", "プロファイリングと決めつけ", "差別・不利益な扱い", "誤った紐付け・誤り",
         "漏えい・不正アクセス", "委託先による囲い込み・二次利用", "同意なき収集・自己決定の喪失", "消去されない", "透明性の欠如"]


@pytest.fixture
def v3_data():
    return read_questionset_file(V3_FILE)


def test_the_catalogue_names_the_ten_harms_each_explained_with_its_source(v3_data):
    harms = v3_data["risks"]["harms"]
    assert [h["label"] for h in harms] == HARMS
    assert all(h["explanation"] and "NIST Privacy Risk Assessment Methodology" in h["source"] for h in harms)
    assert [len(v3_data["risks"][scale]) for scale in ("severity", "likelihood")] == [4, 4]


def test_import_then_export_gives_the_same_risk_part(v3_data):
    imported = questionset_from_data(v3_data)
    assert questionset_to_data(imported)["risks"] == v3_data["risks"]
    assert questionset_to_data(imported) == v3_data


def test_export_then_import_through_the_commands_keeps_the_risk_part(tmp_path, v3_data):
    call_command("import_questionset", str(V3_FILE))
    exported = tmp_path / "v3.json"
    call_command("export_questionset", "dx-pia", "3", "-o", str(exported))
    again = json.loads(exported.read_text(encoding="utf-8"))
    assert again["risks"] == v3_data["risks"]
    again["version"] = 4  # as another instance would import it, beside the version already here
    reimported = questionset_from_data(again)
    assert questionset_to_data(reimported) == {**v3_data, "version": 4}


def test_a_clone_carries_an_independent_risk_part(v3_data):
    published = questionset_from_data(v3_data)
    clone = services.questionset_clone(question_set=published)
    assert questionset_to_data(clone)["risks"] == v3_data["risks"]
    harm = clone.harms.get(key="surveillance")
    harm.label = "第4版で直した害"
    harm.save()
    rule = clone.suggestion_rules.get(key="weak-consent")
    rule.harms.add(clone.harms.get(key="opacity"))
    assert questionset_to_data(published)["risks"] == v3_data["risks"]
    assert rule.harms.get(key="opacity").question_set == clone


def test_the_risk_part_of_a_published_set_is_frozen(v3_data):
    published = questionset_from_data(v3_data)
    harm = published.harms.first()
    harm.label = "書き換え"
    rule = published.suggestion_rules.first()
    lowest = published.risk_levels.first()
    for attempt in (
        harm.save,
        lambda: RiskMatrixCell.objects.filter(question_set=published).update(level=lowest),
        rule.harms.clear,
        lambda: Harm.objects.create(question_set=published, key="new", label="新しい害", explanation="説明"),
    ):
        with pytest.raises(QuestionSetFrozen), transaction.atomic():
            attempt()
    assert questionset_to_data(published)["risks"] == v3_data["risks"]


def problems_of(data):
    return [str(p) for p in validate_questionset_data(data)]


def test_a_file_with_a_biased_matrix_or_a_rule_on_a_missing_harm_is_refused(v3_data):
    data = copy.deepcopy(v3_data)
    data["risks"]["matrix"][3][0] = "very-high"
    data["risks"]["rules"][0]["harms"] = ["no-such-harm"]
    data["risks"]["rules"][1]["conditions"] = [{"question": "no-such-question", "choices": ["x"]}]
    problems = problems_of(data)
    assert any("risks.matrix" in p and "対称ではありません" in p for p in problems)
    assert any("risks.rules[0]" in p and "この質問セットの害のキー" in p for p in problems), problems
    assert any("risks.rules[1]" in p and "no-such-question" in p for p in problems), problems
    data["version"] = 9
    with pytest.raises(QuestionSetDataError):
        questionset_from_data(data)
    assert not QuestionSet.objects.filter(version=9).exists()


def test_sets_without_a_risk_part_export_as_before():
    v2 = read_questionset_file(seed.FIXTURES / "questionsets" / "dx-pia-v2.json")
    assert "risks" not in v2 and "risks" not in questionset_to_data(questionset_from_data(v2))


def test_the_question_set_page_shows_the_harms_scales_and_rules(client, v3_data):
    published = questionset_from_data(v3_data)
    page = client.get(reverse("questionset_detail", args=[published.key, published.version])).content.decode()
    for harm in HARMS:
        assert harm in page
    assert v3_data["risks"]["severity"][3]["description"] in page
    assert v3_data["risks"]["rules"][0]["title"] in page
    assert SuggestionRule.objects.filter(question_set=published).count() == len(v3_data["risks"]["rules"])
