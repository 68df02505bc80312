"""axe-core (shipped inside axe-playwright-python, nothing fetched) over the app's page types in
Debian's Chromium, at 1280 px and 320 px, signed out and signed in: no WCAG 2.0/2.1 A or AA violation
of any impact (issue 15). The pages and states covered are listed here; the inventory editor's own
rework and the admin pages are not yet in this list."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from assessments.demo import create_demo_assessment
from assessments.models import Assessment, Membership
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def violations(page, axe) -> list[str]:
    result = axe.run(page, options=WCAG).response
    return [f"{v['id']} ({v['impact']}): {n['target']} {n.get('failureSummary', '')[:160]}"
            for v in result["violations"] for n in v["nodes"]]


@pytest.mark.parametrize("width", [1280, 320])
def test_every_page_type_has_no_wcag_a_or_aa_violation(live_server, page, catalogue, published_set, bob, width):
    demo = create_demo_assessment()
    Membership.objects.create(organisation=demo.organisation, user=bob, role="owner")
    published = create_demo_assessment()
    Assessment.objects.filter(pk=published.pk).update(status=Assessment.Status.PUBLISHED)
    Membership.objects.get_or_create(organisation=published.organisation, user=bob, defaults={"role": "owner"})
    page.set_viewport_size({"width": width, "height": 900})
    base, axe = live_server.url, Axe()
    public = ["/", "/projects/", "/projects/?q=LINE", "/projects/case-toda-kyoiku-db/", "/projects/case-misato-kodomo-data/",
              "/topics/", "/dashboard/", "/public/", f"/public/{published.pk}/", "/question-sets/",
              f"/question-sets/{demo.question_set.key}/v{demo.question_set.version}/", "/accounts/login/"]
    private = [f"/assessments/{demo.pk}/summary/", f"/assessments/{demo.pk}/review/",
               f"/assessments/{demo.pk}/letter/settings/", f"/assessments/{demo.pk}/history/a-public-comment/",
               f"/assessments/{published.pk}/review/",  # with 公開をやめる
               "/projects/case-misato-kodomo-data/assess/", "/assessments/", "/compare/"]
    private += [f"/assessments/{demo.pk}/sections/{s.key}/" for s in demo.question_set.sections.all()]
    found = {}
    for url in public:
        page.goto(base + url)
        found[url] = violations(page, axe)
    sign_in(page, base, "bob")
    for url in private:
        page.goto(base + url)
        found[url] = violations(page, axe)
    assert {url: v for url, v in found.items() if v} == {}
