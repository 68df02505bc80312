"""In real Chromium: the plain summary's furigana switch hides and shows the readings and remembers
the choice; the language switch turns the interface to English and back, the summary staying
Japanese (issue 19)."""

import pytest
from playwright.sync_api import expect

from assessments import seed
from assessments.demo import create_demo_assessment
from assessments.models import Assessment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]


@pytest.fixture
def published_demo(db):
    report = seed.SeedReport()
    seed.seed_municipalities(report)
    seed.seed_projects(report)
    seed.seed_questionsets(report)
    seed.seed_plain_findings(report)
    demo = create_demo_assessment()
    Assessment.objects.filter(pk=demo.pk).update(status=Assessment.Status.PUBLISHED)
    return demo


def test_the_furigana_switch_hides_and_shows_the_readings_and_remembers(page, live_server, published_demo):
    page.goto(f"{live_server.url}/public/{published_demo.pk}/")
    summary = page.locator("#plain-summary-text")
    reading = summary.locator("rt").first
    expect(reading).to_be_visible()
    toggle = page.locator("#furigana-toggle")
    expect(toggle).to_have_text("ふりがなを隠す")
    toggle.click()
    expect(reading).to_be_hidden()
    expect(toggle).to_have_text("ふりがなを表示する")
    page.reload()
    expect(summary.locator("rt").first).to_be_hidden()
    page.locator("#furigana-toggle").click()
    expect(summary.locator("rt").first).to_be_visible()


def test_the_language_switch_turns_the_interface_to_english_and_back(page, live_server, published_demo):
    page.goto(f"{live_server.url}/public/{published_demo.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}/public/{published_demo.pk}/")
    expect(page.get_by_role("heading", name="Summary in plain Japanese")).to_be_visible()
    expect(page.locator("#plain-summary-text")).to_have_attribute("lang", "ja")
    expect(page.locator("#furigana-toggle")).to_have_text("Hide furigana")
    page.get_by_role("link", name="Project catalog").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("link", name="事業カタログ")).to_be_visible()
