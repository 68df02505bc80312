"""The content is the product: the catalogue and question set as the source gives them."""

import json

import pytest
from django.core.management import call_command
from django.db.models import Sum

from assessments import seed
from assessments.models import (
    Category,
    Choice,
    DataItem,
    Municipality,
    Project,
    Question,
    QuestionSet,
    Section,
    Source,
)

pytestmark = pytest.mark.django_db


def grant_rows():
    return Project.objects.filter(source__key="r4h2-type1")


def test_it_loads_all_63_municipalities(catalogue):
    assert Municipality.objects.count() == 63
    assert Municipality.objects.get(code="111007").get_kind_display() == "政令指定都市"
    assert Municipality.objects.get(code="113697").name == "東秩父村"


def test_it_loads_the_64_rows_of_the_type1_table_each_once(catalogue):
    assert grant_rows().count() == 64
    assert sorted(grant_rows().values_list("source_row", flat=True)) == list(range(1, 65))


def test_the_63_known_amounts_sum_to_706384_thousand_yen(catalogue):
    assert grant_rows().exclude(amount_thousand_yen=None).count() == 63
    assert grant_rows().aggregate(total=Sum("amount_thousand_yen"))["total"] == 706_384
    source = Source.objects.get(key="r4h2-type1")
    assert source.stated_total_thousand_yen == 710_539


def test_row_6_is_tokorozawa_with_its_amount_unknown_and_the_derived_figure_noted(catalogue):
    row6 = grant_rows().get(source_row=6)
    assert row6.municipality.name == "所沢市"
    assert row6.title == "介護認定業務DX化事業"
    assert row6.amount_thousand_yen is None
    assert row6.derived_amount_thousand_yen == 4155 == 710_539 - 706_384
    assert "710,539" in row6.amount_note and "未確認" in row6.amount_note
    # No other project carries an invented amount.
    assert Project.objects.exclude(derived_amount_thousand_yen=None).count() == 1


@pytest.mark.parametrize(
    "row, municipality",
    [(3, "川口市"), (4, "川口市"), (5, "川口市"), (8, "加須市"), (9, "加須市"), (40, "白岡市"), (41, "伊奈町")],
)
def test_blank_municipality_cells_continue_the_row_above(catalogue, row, municipality):
    assert grant_rows().get(source_row=row).municipality.name == municipality


def test_nagatoro_is_spelled_right_and_the_misprint_appears_nowhere(catalogue):
    nagatoro = Municipality.objects.get(name="長瀞町")
    assert sorted(nagatoro.projects.values_list("source_row", flat=True)) == [52, 53]
    texts = json.dumps(list(Project.objects.values()), ensure_ascii=False, default=str)
    assert "長瀬町" not in texts
    assert "長瀬町" not in (seed.FIXTURES / "projects.json").read_text(encoding="utf-8")


def test_the_stray_space_in_row_32_is_removed(catalogue):
    assert grant_rows().get(source_row=32).title == "マイナンバーカード等の図書館利活用事業"


def test_case_studies_carry_the_data_items_of_the_source(catalogue):
    misato = Project.objects.get(key="case-misato-kodomo-data")
    kawajima = Project.objects.get(key="case-kawajima-kodomo-data")
    assert misato.municipality.name == "美里町" and kawajima.municipality.name == "川島町"
    assert misato.data_items.count() == 21
    assert kawajima.data_items.count() == 18
    # 同左 resolves to 美里町's use types; 川島町's own vendor stays its own.
    nyuyoji = kawajima.data_items.get(name="乳幼児健診データ")
    assert nyuyoji.use_types == ["虐待", "産後うつ", "発達障がい"]
    assert nyuyoji.vendor == "両備システムズ"
    assert misato.data_items.get(name="乳幼児健診データ").vendor == "TKC"
    toda = Project.objects.get(key="case-toda-kyoiku-db")
    assert set(toda.data_items.values_list("group", flat=True)) == {
        "基礎情報", "生徒指導", "学力等", "その他", "就学前段階", "健康",
    }
    assert toda.data_items.get(name="いじめ等に関する記録").group == "生徒指導"


def test_every_case_study_named_in_the_brief_is_in_the_catalogue(catalogue):
    keys = set(Project.objects.filter(kind="case_study").values_list("key", flat=True))
    assert {
        "case-kumagaya-smartcity",
        "case-fukaya-kakanai",
        "case-soka-smart-madoguchi",
        "case-toda-kyoiku-db",
        "case-saitama-sssp",
        "case-misato-kodomo-data",
        "case-kawajima-kodomo-data",
        "case-home-ciao",
        "case-kodomon-hoiku",
        "case-ntt-wristband",
    } <= keys


def test_every_project_has_at_least_one_category(catalogue):
    assert not Project.objects.filter(categories=None).exists()
    kakanai = Category.objects.get(name="書かない窓口")
    towns = set(kakanai.projects.values_list("municipality__name", flat=True))
    assert {"春日部市", "八潮市", "富士見市", "ふじみ野市", "三芳町", "神川町"} <= towns


def test_the_question_set_is_published_and_complete(db):
    seed.seed_all()
    question_set = QuestionSet.objects.get(key="dx-pia", version=1)
    assert question_set.status == QuestionSet.Status.PUBLISHED
    assert question_set.title == "DX事業 住民視点プライバシー影響評価"
    assert question_set.questions.count() >= 60
    assert list(question_set.sections.values_list("key", flat=True)) == [
        "screening", "a", "b", "c", "d", "e", "f", "g", "h",
    ]
    # Every question names its basis and says what to ask the municipality when the answer is unknown.
    for question in question_set.questions.all():
        assert "根拠" in question.guidance and question.basis, question.key
        assert question.municipality_question, question.key
    assessed = question_set.questions.exclude(section__key="screening")
    assert set(question_set.questions.values_list("type", flat=True)) == set(Question.Type.values)
    # "We do not know" and "they did not disclose" are answers, not blanks.
    for question in assessed.filter(type=Question.Type.SINGLE).prefetch_related("choices"):
        meanings = {choice.meaning for choice in question.choices.all()}
        assert {Choice.Meaning.UNKNOWN, Choice.Meaning.NOT_DISCLOSED} <= meanings, question.key
    roles = set(question_set.questions.exclude(screening_role="").values_list("screening_role", flat=True))
    assert roles == {"persons_covered", "handlers", "serious_incident", "criteria"}
    assert list(question_set.levels.values_list("min_percent", flat=True))[-1] == 0


SEEDED_MODELS = (Municipality, Project, DataItem, Category, Source, QuestionSet, Section, Question, Choice)


def stored_rows():
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in SEEDED_MODELS}


def test_seed_twice_leaves_the_same_rows(db, capsys):
    call_command("seed")
    first = stored_rows()
    capsys.readouterr()
    call_command("seed")
    assert "変更なし" in capsys.readouterr().out
    assert stored_rows() == first
    assert all(first[model.__name__] for model in SEEDED_MODELS)


def test_seeding_again_from_a_changed_file_updates_changed_rows_and_adds_new_ones(catalogue, tmp_path):
    """New rows are made in bulk, rows already there compared one by one: both in one seed."""
    data = json.loads((seed.FIXTURES / "projects.json").read_text(encoding="utf-8"))
    case = next(item for item in data["projects"] if item.get("data_items") and item.get("partners"))
    case["title"] += "（改題）"
    case["categories"] = case["categories"][:1]
    case["data_items"] = case["data_items"][:1]
    case["partners"] = [{"kind": "company", "name": "架空の委託先（架空）"}]
    added = {**case, "key": "new-case-kaku", "title": "架空の新しい事業", "source_row": None}
    data["projects"].append(added)
    path = tmp_path / "projects.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = seed.SeedReport()
    seed.seed_projects(report, path)
    assert report.created == {"projects": 1, "data item lists": 1, "partner lists": 1}
    assert report.updated == {"projects": 1, "data item lists": 1, "partner lists": 1}
    for key, title in ((case["key"], case["title"]), ("new-case-kaku", "架空の新しい事業")):
        project = Project.objects.get(key=key)
        assert project.title == title
        assert list(project.categories.values_list("key", flat=True)) == case["categories"]
        assert list(project.data_items.values_list("name", flat=True)) == [case["data_items"][0]["name"]]
        assert list(project.partners.values_list("kind", "name")) == [("company", "架空の委託先（架空）")]
    assert Project.objects.count() == len(data["projects"])


def test_a_fixture_with_a_key_twice_is_refused(db, tmp_path):
    path = tmp_path / "municipalities.tsv"
    path.write_text("code\tname\tkind\n112011\tさいたま市\t政令指定都市\n112011\t川越市\t市\n", encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        seed.seed_municipalities(seed.SeedReport(), path)
    assert not Municipality.objects.exists()
