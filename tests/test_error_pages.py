"""The pages a refused or failed request shows are the site's, in the reader's language: a 403 says
why in the site's layout (not Django's bare English 「403 Forbidden」), a 404 says the page is not
there or not to be seen, and 400 and 500 have pages of their own."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from assessments.models import Assessment

pytestmark = pytest.mark.django_db


def lang_of(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page)[1]


def test_a_refused_change_says_why_in_the_sites_page(cast):
    Assessment.objects.filter(pk=cast["assessment"].pk).update(status=Assessment.Status.SUBMITTED)
    editor = Client()
    editor.force_login(cast["editor"])
    response = editor.get(reverse("inventory_import", args=[cast["assessment"].pk]))
    page = response.content.decode()
    assert response.status_code == 403 and lang_of(page) == "ja"
    assert "この操作はできません" in page and "提出後の回答は、差し戻されるまで変更できません。" in page
    assert 'id="main"' in page and "Forbidden" not in page


def test_an_assessment_one_may_not_see_is_a_page_not_found_in_the_readers_language(cast):
    outsider = Client()
    outsider.force_login(cast["outsider"])
    url = reverse("assessment_summary", args=[cast["assessment"].pk])
    page = outsider.get(url).content.decode()
    assert lang_of(page) == "ja" and "ページが見つかりません" in page and "Not Found" not in page
    outsider.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = outsider.get(url)
    assert english.status_code == 404 and lang_of(english.content.decode()) == "en"
    assert "Page not found" in english.content.decode()


def test_a_refusal_in_english_and_one_without_a_reason(cast):
    Assessment.objects.filter(pk=cast["assessment"].pk).update(status=Assessment.Status.SUBMITTED)
    editor = Client()
    editor.force_login(cast["editor"])
    editor.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = editor.get(reverse("inventory_import", args=[cast["assessment"].pk])).content.decode()
    assert lang_of(page) == "en" and "You cannot do this" in page and "提出後" not in page
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with translation.override("ja"):
        bare = defaults.permission_denied(request, PermissionDenied())
    assert bare.status_code == 403 and "この操作をする権限がありません。" in bare.content.decode()


def test_an_anonymous_reader_gets_the_sites_page_not_found(client):
    page = client.get("/public/999999999/").content.decode()
    assert lang_of(page) == "ja" and "ページが見つかりません" in page


def test_a_bad_request_and_a_server_error_have_pages_of_their_own(cast):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    bad = defaults.bad_request(request, Exception("malformed"))
    assert bad.status_code == 400 and "送信内容を受け付けられませんでした" in bad.content.decode()
    for language, heading in (("ja", "サーバーで問題が起きました"), ("en", "Something went wrong on the server")):
        with translation.override(language):
            failed = defaults.server_error(request)
        page = failed.content.decode()
        assert failed.status_code == 500 and lang_of(page) == language and heading in page
        assert "<link" not in page and "/static/" not in page  # nothing that a broken deployment could fail


def test_a_form_sent_without_its_check_is_refused_on_the_sites_page(cast):
    """A form whose CSRF check fails (opened long ago, or signed in again in another tab) gets the
    site's page in the reader's language, not Django's English 「CSRF verification failed」."""
    member = Client(enforce_csrf_checks=True)
    member.force_login(cast["viewer"])
    response = member.post(reverse("comment_add", args=[cast["assessment"].pk]), {"question": "a-public-comment", "text": "コメント"})
    page = response.content.decode()
    assert response.status_code == 403 and lang_of(page) == "ja"
    assert "送信を受け付けられませんでした" in page and "CSRF" not in page
    assert not cast["assessment"].comments.exists()
