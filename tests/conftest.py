"""Shared cast and data for the tests.

The cast follows healthchecks: Alice is the administrator (staff), Bob a signed-in resident, Charlie
an outsider. Catalogue and question-set data come from the shipped fixtures, loaded per test through
the same code as `manage.py seed`, so the tests check the real content.
"""

import os

import pytest
from django.contrib.auth import get_user_model

from assessments import seed
from assessments.models import QuestionSet
from assessments.questionset_io import questionset_from_data, read_questionset_file

PASSWORD = "correct horse battery staple 42"
QUESTIONSET_FILE = seed.FIXTURES / "questionsets" / "dx-pia-v1.json"


@pytest.fixture(autouse=True, scope="session")
def _one_hash_per_password():
    """Users are made with real PBKDF2 hashes (sign-ins, in this process and in gunicorn, check them
    as in production), but each test password is hashed once per run, not once per user: a hash
    costs 0.6 s here and a cast has six users."""
    from unittest import mock

    from django.contrib.auth import base_user, hashers
    from django.contrib.auth import models as auth_models

    real = hashers.make_password
    known = {}

    def make_password(password, salt=None, hasher="default"):
        if salt is not None or hasher != "default" or password is None:
            return real(password, salt, hasher)
        if password not in known:
            known[password] = real(password)
        return known[password]

    with mock.patch.object(base_user, "make_password", make_password), mock.patch.object(auth_models, "make_password", make_password):
        yield


@pytest.fixture(autouse=True, scope="session")
def _one_render_per_html():
    """The app's renders (``render.html_to_pdf``) are real, but the same HTML is rendered once per
    run: a PDF is a function of its HTML alone (tests/test_engine.py: the same HTML gives the same
    bytes, in any thread), and some 60 tests print the same demo report, at 1-2 s a render. A test
    that counts or slows renders wraps this and sees every call. Not shared: a render whose fetcher
    refused a URL (rendered again each time, so that a test spying on the fetcher sees it asked),
    and the renderer's own tests (tests/test_engine.py calls ``engine.html_to_pdf``)."""
    import hashlib
    import logging
    from unittest import mock

    from assessments.reports import engine, render

    real = render.html_to_pdf
    known = {}

    class Refusals(logging.Handler):
        def __init__(self):
            super().__init__(logging.WARNING)
            self.seen = False

        def emit(self, record):
            self.seen = True

    def html_to_pdf(html, **options):
        key = (hashlib.sha256(html.encode()).digest(), tuple(sorted(options.items())))
        if key in known:
            return known[key]
        refusals = Refusals()
        engine.logger.addHandler(refusals)
        try:
            pdf = real(html, **options)
        finally:
            engine.logger.removeHandler(refusals)
        if not refusals.seen:
            known[key] = pdf
        return pdf

    with mock.patch.object(render, "html_to_pdf", html_to_pdf):
        yield


def named(user):
    """The cast's display names are their user names, so that pages name them as the tests expect
    (made by a test, their e-mail addresses count as confirmed). Tests that check that a login is
    never shown give other display names (tests/test_accounts.py)."""
    from assessments.models import Profile

    user.profile = Profile.objects.update_or_create(user=user, defaults={"display_name": user.get_username()})[0]
    return user


@pytest.fixture
def alice(db):
    return named(get_user_model().objects.create_superuser("alice", "alice@example.org", PASSWORD))


@pytest.fixture
def bob(db):
    return named(get_user_model().objects.create_user("bob", "bob@example.org", PASSWORD))


@pytest.fixture
def charlie(db):
    return named(get_user_model().objects.create_user("charlie", "charlie@example.org", PASSWORD))


@pytest.fixture
def admin_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def catalogue(db):
    report = seed.SeedReport()
    seed.seed_municipalities(report)
    seed.seed_projects(report)
    return report


@pytest.fixture
def questionset_data():
    return read_questionset_file(QUESTIONSET_FILE)


@pytest.fixture
def published_set(db, questionset_data) -> QuestionSet:
    return questionset_from_data(questionset_data)


def make_questionset_data(*, key="test-set", version=1, status="draft", questions_per_section=3, sections=2):
    """A small, valid question set in the file format, for tests that need their own."""
    status_choices = [
        {"key": "done", "label": "実施・確認済み", "score": 2, "meaning": "answer", "red_flag": ""},
        {"key": "partial", "label": "一部", "score": 1, "meaning": "answer", "red_flag": ""},
        {"key": "not-done", "label": "未実施", "score": 0, "meaning": "answer", "red_flag": "未実施"},
        {"key": "unknown", "label": "不明", "score": 0, "meaning": "unknown", "red_flag": ""},
        {"key": "not-disclosed", "label": "未開示", "score": 0, "meaning": "not_disclosed", "red_flag": ""},
        {"key": "na", "label": "該当なし", "score": None, "meaning": "not_applicable", "red_flag": ""},
    ]
    data_sections = []
    for s in range(sections):
        questions = []
        for q in range(questions_per_section):
            questions.append(
                {
                    "key": f"s{s}-q{q}",
                    "text": f"質問 {s}-{q}",
                    "guidance": "ガイダンス（根拠: テスト）",
                    "basis": "テスト",
                    "type": "single",
                    "required": True,
                    "unit": "",
                    "risk_weight": 1,
                    "risk_category": "transparency",
                    "screening_role": "",
                    "municipality_question": f"質問 {s}-{q} について教えてください。",
                    "proposal": f"質問 {s}-{q} の対策を求めます。",
                    "documents_to_request": ["委託契約書"],
                    "condition": None,
                    "choices": [dict(c) for c in status_choices],
                }
            )
        data_sections.append(
            {"key": f"s{s}", "title": f"節 {s}", "introduction": "", "questions": questions}
        )
    return {
        "format": "dxpia-questionset",
        "format_version": 1,
        "key": key,
        "version": version,
        "title": "テスト用質問セット",
        "description": "",
        "status": status,
        "screening": {
            "persons_not_required_below": 1000,
            "persons_small_band_from": 10000,
            "persons_priority_from": 100000,
            "persons_full_from": 300000,
            "handlers_threshold": 500,
            "criteria_for_full": 2,
        },
        "levels": [
            {"key": "good", "label": "良好", "min_percent": 80, "description": ""},
            {"key": "bad", "label": "懸念", "min_percent": 0, "description": ""},
        ],
        "sections": data_sections,
    }


@pytest.fixture
def misato(catalogue):
    from assessments.models import Project

    return Project.objects.get(key="case-misato-kodomo-data")


@pytest.fixture
def assessment(bob, misato, published_set):
    """Bob's assessment of 美里町 こどもデータ連携実証事業 against the shipped question set."""
    from assessments.answer_saving import assessment_create

    return assessment_create(
        user=bob, project=misato, question_set=published_set, title="美里町の評価", standpoint="resident"
    )


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser; no background traffic on a closed network."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets an empty in-memory cache and document storage (database ids repeat between
    tests), empty per-process caches of frozen question sets (keyed on ids and dates that a later
    test's set may repeat), and a task queue that keeps what is queued and runs nothing (no test runs
    a worker unless it says so: tests/test_render_ahead.py)."""
    from assessments import risks, selectors

    for frozen in (selectors._SECTIONS, selectors._SPECS, selectors._LEVELS, risks._PARTS):
        frozen.clear()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.STORAGES = {**settings.STORAGES, "documents": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _site_language_outside_requests():
    """Each test starts in the site's language (Japanese) outside any request, as the worker and the
    commands do. A request leaves its language active in the thread after it: a test whose last
    request was in English turned the next test's texts made outside a request (a request's
    deadline note) into English."""
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def cast(db, alice, bob, charlie, misato, published_set):
    """The review cast around one assessment of 美里町 owned by the group 「美里の子どもを守る会」:
    bob owns the group, dave edits, vera views, rita reviews (a resident member), alice is staff,
    charlie is an outsider."""
    from django.contrib.auth import get_user_model

    from assessments.answer_saving import assessment_create
    from assessments.models import Membership, Organisation, Reviewer

    users = get_user_model().objects
    dave = named(users.create_user("dave", "dave@example.org", PASSWORD))
    vera = named(users.create_user("vera", "vera@example.org", PASSWORD))
    rita = named(users.create_user("rita", "rita@example.org", PASSWORD))
    group = Organisation.objects.create(name="美里の子どもを守る会")
    for user, role in ((bob, "owner"), (dave, "editor"), (vera, "viewer")):
        Membership.objects.create(organisation=group, user=user, role=role)
    assessment = assessment_create(
        user=dave, project=misato, question_set=published_set, title="守る会の評価", standpoint="resident",
        organisation=group,
    )
    seat = Reviewer.objects.create(assessment=assessment, user=rita, kind="resident")
    return {
        "assessment": assessment, "group": group, "seat": seat,
        "owner": bob, "editor": dave, "viewer": vera, "reviewer": rita, "staff": alice, "outsider": charlie,
    }


@pytest.fixture(scope="module")
def sync_orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread; the ORM calls in these tests are
    still plain synchronous calls made between browser steps. Used by the browser test modules
    (module scope, so that it is in place before pytest-django's database fixtures)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def playwright(django_db_setup):
    """pytest-playwright's fixture, started after the test database exists: Playwright's sync API
    runs an event loop in this thread, and Django refuses database set-up inside one."""
    from playwright.sync_api import expect, sync_playwright

    # The longest an expect() waits for what the page should come to show (5 s by default): the two
    # halves of the suite share the machine's two cores, and a background save waits 1.5 s for more
    # typing before it is sent. A passing expect returns as soon as the page shows it.
    expect.set_options(timeout=15_000)
    with sync_playwright() as instance:
        yield instance


def sign_in(page, base, username):
    """Sign ``username`` in through the sign-in page, in Playwright's ``page``, and wait until it has left it."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def fetched(monkeypatch) -> list[str]:
    """Every URL the renderer's fetcher is asked for during the test (it still answers as it would)."""
    from assessments.reports import fetcher

    asked = []
    original = fetcher.StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(fetcher.StaticOnlyFetcher, "fetch", spy)
    return asked


def save_now(assessment, user, changes: dict):
    """Save ``changes`` (question -> AnswerChange) as a page opened just now would: each part based
    on its stored version. Fails the test on any conflict."""
    from assessments import answer_saving
    from assessments.models import Answer

    stored = {a.question_id: a for a in Answer.objects.filter(assessment=assessment, question__in=list(changes))}
    for question, change in changes.items():
        change.base = {part: answer_saving.part_version(stored.get(question.pk), part) for part in answer_saving.PARTS}
    outcome = answer_saving.answers_save(assessment=assessment, user=user, changes=changes)
    assert not outcome.conflicts, outcome.conflicts
    assessment.refresh_from_db()
    return outcome


def answer_every_question(assessment, user):
    """Answer every question of ``assessment`` as 不明 (the choice meaning 不明, or the mark), as
    someone who does not know yet would: enough for a review to find nothing unanswered."""
    from assessments import answer_saving
    from assessments.answer_values import clean_answer
    from assessments.models import Question

    changes = {}
    for question in Question.objects.filter(question_set=assessment.question_set).prefetch_related("choices"):
        choices = list(question.choices.all())
        if choices:
            unknown = next((c for c in choices if c.meaning == "unknown"), choices[0])
            value = [unknown.key] if question.type == "multiple" else unknown.key
        else:
            value = clean_answer(question, None, mark="unknown")
        changes[question] = answer_saving.AnswerChange(value=value)
    return save_now(assessment, user, changes)


def ready_for_approval(cast):
    """The cast's assessment answered in full and submitted, in review, with rita's overall opinion."""
    from assessments import reviewing
    from assessments.access import rights_of
    from assessments.models import Assessment

    answer_every_question(cast["assessment"], cast["editor"])
    for role, action in (("editor", "submit"), ("reviewer", "start_review")):
        assessment = Assessment.objects.get(pk=cast["assessment"].pk)
        reviewing.assessment_transition(assessment=assessment, user=cast[role],
                                        rights=rights_of(cast[role], assessment), action=action)
    reviewing.opinion_save(assessment=cast["assessment"], user=cast["reviewer"], section=None,
                           verdict="appropriate", text="")
    return Assessment.objects.get(pk=cast["assessment"].pk)


@pytest.fixture
def one_rate_window(monkeypatch):
    """The rate limits' clock (ratelimit.cache_key, groups.send_window) pinned to the middle of the
    present hour: a test that fills a window over several requests never sees the window roll over
    at the hour (test_sending_is_limited_per_organisation did, once, at 19:00). The counting is the
    real code's; only the moment it counts in is fixed."""
    import time

    from assessments import groups, ratelimit

    middle = time.time() // 3600 * 3600 + 1800
    key, window = ratelimit.cache_key, groups.send_window
    monkeypatch.setattr(ratelimit, "cache_key", lambda limit, who, now: key(limit, who, middle))
    monkeypatch.setattr(groups, "send_window", lambda now: window(middle))
