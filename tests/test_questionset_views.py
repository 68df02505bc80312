import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.questionset_io import questionset_from_data
from tests.conftest import make_questionset_data

pytestmark = pytest.mark.django_db


def test_the_published_set_is_listed_and_shown_in_full(client, published_set):
    page = client.get(reverse("questionset_list")).content.decode()
    assert "DX事業 住民視点プライバシー影響評価" in page and f"{published_set.questions.count()}問" in page
    page = client.get(reverse("questionset_detail", args=["dx-pia", 1])).content.decode()
    for question in published_set.questions.all():
        assert question.text in page
    assert "未開示" in page and "請求する文書" in page


def test_a_draft_set_is_not_public(client):
    questionset_from_data(make_questionset_data(key="draft-set"))
    assert client.get(reverse("questionset_detail", args=["draft-set", 1])).status_code == 404
    assert "テスト用質問セット" not in client.get(reverse("questionset_list")).content.decode()


def queries_for(client, key):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("questionset_detail", args=[key, 1])).status_code == 200
    return len(queries)


def test_the_set_page_uses_the_same_number_of_queries_for_10_and_100_questions(client):
    questionset_from_data(make_questionset_data(key="small", status="published", sections=2, questions_per_section=5))
    questionset_from_data(make_questionset_data(key="large", status="published", sections=10, questions_per_section=10))
    assert queries_for(client, "small") == queries_for(client, "large")
