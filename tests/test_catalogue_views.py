"""The catalogue pages a resident sees first."""

import re

import pytest
from django.urls import reverse

from assessments.models import Category, Municipality, Project

pytestmark = pytest.mark.django_db


def test_home_shows_the_tables_totals_and_the_gap(client, catalogue):
    page = client.get(reverse("home")).content.decode()
    assert "64件" in page
    assert "706,384千円" in page and "710,539千円" in page and "4,155千円" in page
    assert "介護認定業務DX化事業" in page and "未確認" in page


def test_the_list_shows_25_projects_a_page_with_unknown_amounts_as_unknown(client, catalogue):
    response = client.get(reverse("project_list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{Project.objects.count()}件" in page
    assert len(re.findall(r'href="/projects/[a-z0-9-]+/"', page)) == 25
    assert "1,924千円" in page  # row 1, さいたま市
    assert "不明" in page  # row 6 has no amount, never 0
    last = client.get(reverse("project_list"), {"page": 3}).content.decode()
    assert "3 / 3" in last and "NTT" in last


def test_search_finds_projects_by_words_and_data_items(client, catalogue):
    page = client.get(reverse("project_list"), {"q": "書かない 窓口"}).content.decode()
    assert "春日部市" in page and "八潮市" in page
    assert "LINE公式アカウント" not in page
    page = client.get(reverse("project_list"), {"q": "産後質問データ"}).content.decode()
    assert "美里町" in page and "1件" in page


def test_filters_by_municipality_category_and_amount(client, catalogue):
    kawaguchi = Municipality.objects.get(name="川口市")
    page = client.get(reverse("project_list"), {"municipality": kawaguchi.pk}).content.decode()
    assert "4件" in page and "情報発信ポータルサイト構築事業" in page

    gis = Category.objects.get(key="gis")
    page = client.get(reverse("project_list"), {"category": gis.pk, "amount_min": 50000}).content.decode()
    assert "ベースレジストリ整備" in page and "浸水・冠水被害" in page and "2件" in page


def test_an_inverted_amount_range_gets_a_message_beside_the_field_and_keeps_input(client, catalogue):
    page = client.get(reverse("project_list"), {"amount_min": "5000", "amount_max": "100", "q": "LINE"}).content.decode()
    assert "上限は下限以上にしてください" in page
    assert 'value="5000"' in page and 'value="100"' in page and 'value="LINE"' in page


def test_a_non_number_amount_is_explained(client, catalogue):
    page = client.get(reverse("project_list"), {"amount_min": "たくさん"}).content.decode()
    assert 'value="たくさん"' in page
    assert "invalid-feedback" in page


def test_project_page_shows_details_and_data_items(client, catalogue):
    page = client.get(reverse("project_detail", args=["case-misato-kodomo-data"])).content.decode()
    assert "美里町" in page and "こどもデータ連携実証事業" in page
    assert "妊産婦健診データ" in page and "EDUCOM、スズキ教育ソフト" in page
    assert "2023年度（令和5年度）" in page


def test_project_page_of_row_6_explains_the_missing_amount(client, catalogue):
    page = client.get(reverse("project_detail", args=["r4h2-type1-06"])).content.decode()
    assert "不明" in page and "推定値 4,155千円" in page


def test_unknown_project_is_404(client, catalogue):
    assert client.get(reverse("project_detail", args=["no-such-project"])).status_code == 404


def test_user_text_is_escaped(client, catalogue):
    Project.objects.filter(key="r4h2-type1-01").update(description="<script>alert(1)</script>")
    page = client.get(reverse("project_detail", args=["r4h2-type1-01"])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_catalogue_pages_use_a_constant_number_of_queries(client, catalogue, django_assert_num_queries):
    def count(url, **params):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        return len(queries)

    list_before = count(reverse("project_list"))
    detail_before = count(reverse("project_detail", args=["case-misato-kodomo-data"]))
    misato = Project.objects.get(key="case-misato-kodomo-data")
    for index in range(40):
        project = Project.objects.create(key=f"extra-{index}", title=f"追加事業{index}", municipality=misato.municipality)
        project.categories.set(Category.objects.all()[:3])
        misato.data_items.create(name=f"追加項目{index}", position=100 + index)
    assert count(reverse("project_list")) == list_before
    assert count(reverse("project_detail", args=["case-misato-kodomo-data"])) == detail_before
    assert list_before <= 6 and detail_before <= 6


def test_toda_seep_partners_are_data_as_the_seed_lists_them(client, catalogue):
    from assessments.models import Partner, Project

    toda = Project.objects.get(key="case-toda-kyoiku-db")
    counts = {kind: toda.partners.filter(kind=kind).count() for kind in Partner.Kind.values}
    assert counts == {"company": 59, "organisation": 16, "university": 22, "public_body": 9}
    assert sum(toda.partners.filter(kind="company").values_list("listed", flat=True)) == 63
    assert toda.partners.filter(name="埼玉県警", kind="public_body").exists()
    page = client.get(reverse("project_detail", args=[toda.key])).content.decode()
    assert "民間営利企業: 59件（資料の一覧では63件。4件が2回載っている）" in page
    assert "大学: 22件" in page and "行政機関: 9件" in page and "福島県西会津町" in page
    other = client.get(reverse("project_detail", args=["case-misato-kodomo-data"])).content.decode()
    assert 'id="partners"' not in other


@pytest.fixture
def catalogue_and_v2(catalogue):
    from assessments.questionset_io import questionset_from_data, read_questionset_file
    from assessments.seed import FIXTURES

    return questionset_from_data(read_questionset_file(FIXTURES / "questionsets" / "dx-pia-v2.json"))


def test_the_topics_page_quotes_the_source_and_names_the_questions_that_ask(client, catalogue_and_v2):
    page = client.get(reverse("topic_list")).content.decode()
    assert page.count('class="h5" id="topic-') == 6
    # The source's own words, verbatim, and the questions of the set new assessments use.
    assert "「総点検」は23自治体、24業務、1自治体で最も多かったのが13業務で、1市1町にあったが" in page
    accuracy = catalogue_and_v2.questions.get(key="b-accuracy")
    assert f'v2/#q-b-accuracy">{accuracy.text}</a>' in page
    assert "2025年度末期限で良いの？ できるの？" in page
    assert 'href="/projects/case-tkc-chouson-cloud/"' in page
    home = client.get(reverse("home")).content.decode()
    assert 'href="/topics/#topic-government-cloud"' in home


def test_a_project_page_shows_its_topics_and_only_its_own(client, catalogue_and_v2):
    toda = client.get(reverse("project_detail", args=["case-toda-kyoiku-db"])).content.decode()
    assert "この事業に関わる論点" in toda
    assert "③当該事務を外部に委託等する場合（同第13条）" in toda
    earlier = catalogue_and_v2.questions.get(key="f-earlier-approvals")
    assert earlier.text in toda
    assert "産官学連携の協力先へのデータの提供" in toda and "ガバメントクラウド" not in toda
    line = client.get(reverse("project_detail", args=["r4h2-type1-21"])).content.decode()
    assert "事業者のアプリ・サービスを通じて集まるデータ" in line
    water = client.get(reverse("project_detail", args=["r4h2-type1-55"])).content.decode()
    assert "この事業に関わる論点" not in water


def test_topic_questions_follow_the_question_set_shown(client, catalogue):
    # Without any published question set the topics still show, without questions.
    page = client.get(reverse("project_detail", args=["case-toda-kyoiku-db"])).content.decode()
    assert "戸田市の旧条例による審議会の承認" in page and "でこの論点を問う質問" not in page


def test_every_topic_question_key_is_in_question_set_v2(catalogue_and_v2):
    from assessments.models import Topic

    keys = set(catalogue_and_v2.questions.values_list("key", flat=True))
    assert Topic.objects.count() == 6
    for topic in Topic.objects.all():
        assert topic.question_keys and set(topic.question_keys) <= keys, topic.key


def test_project_pages_with_topics_use_a_constant_number_of_queries(client, catalogue_and_v2):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.models import Topic

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("project_detail", args=["case-toda-kyoiku-db"])).status_code == 200
        return len(queries)

    before = count()
    toda = Project.objects.get(key="case-toda-kyoiku-db")
    for index in range(20):
        topic = Topic.objects.create(key=f"extra-{index}", title=f"論点{index}", summary="要約",
                                     question_keys=["b-accuracy", "c-profiling"])
        topic.projects.set(Project.objects.all()[:5] | Project.objects.filter(pk=toda.pk))
    assert count() == before


def test_topic_text_is_escaped(client, catalogue):
    from assessments.models import Topic

    Topic.objects.filter(key="government-cloud").update(
        summary="<img src=x onerror=alert(1)>", quote="一行目\n<script>alert(2)</script>")
    page = client.get(reverse("topic_list")).content.decode()
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "一行目<br>&lt;script&gt;" in page
