"""Every page type in Debian's Chromium, signed out, signed in and as staff in the admin (issue 15,
JIS X 8341-3:2016 / WCAG 2.x AA):

- axe-core (shipped inside axe-playwright-python, nothing fetched): no WCAG 2.0/2.1 A or AA violation
  of any impact, at 1280, 768, 390 and 320 px;
- reflow (1.4.10): the page never scrolls sideways, at any of those widths;
- text at 200 % (1.4.4): at 1280 px with the text twice as large, still no sideways scrolling;
- a visible focus ring (2.4.7, 1.4.11): every control reached by Tab on the page shows a ring of at
  least 2 px whose colours contrast at least 3:1 with what is around them.

The pages: home, the catalogue and a filter, two project pages, topics, dashboard, comparison, public
list and page, question sets, sign-in; an assessment's summary, review (also with 公開をやめる),
letter settings, answer history, start, list, every section (the data inventory in section B), the
report and letter previews, the inventory import page; the admin's index and question-set pages.
"""

import datetime
import json

import pytest
from axe_playwright_python.sync_playwright import Axe

from assessments import seed
from assessments.demo import create_demo_assessment
from assessments.municipality_requests import reply_record, request_create
from assessments.models import Assessment, Membership
from tests.conftest import sign_in
from tests.test_page_structure import group_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_orm_beside_playwright"),
]

# resultTypes: only the violations are wanted; axe then skips gathering the details of every pass.
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, "resultTypes": ["violations"]}
WIDTHS = [1280, 768, 390, 320]
TAB_STOPS = 40  # per page, for the focus ring

# WCAG's contrast ratio, in the page: the ring's colours against the colour behind the control.
FOCUS_RING_PROBLEM = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  el.getAnimations().forEach((animation) => animation.finish());  // Bootstrap fades the ring in over .15 s
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  let parent = el.parentElement, behind = [255, 255, 255];
  while (parent) {
    const c = rgb(getComputedStyle(parent).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { behind = c.slice(0, 3); break; }
    parent = parent.parentElement;
  }
  const style = getComputedStyle(el);
  const width = parseFloat(style.outlineWidth);
  const name = `${el.tagName.toLowerCase()}#${el.id || ""}.${String(el.className).split(" ")[0]} "${(el.textContent || el.value || "").trim().slice(0, 30)}"`;
  if (style.outlineStyle === "none" || width < 2) return `${name}: no ring (${style.outlineStyle} ${style.outlineWidth})`;
  const ring = rgb(style.outlineColor).slice(0, 3);
  if (ratio(ring, behind) >= 3) return null;
  // A two-colour ring: a band (box-shadow) between the control and the outline.
  const band = rgb(style.boxShadow).slice(0, 3);
  if (band.length === 3 && ratio(band, behind) >= 3 && ratio(band, ring) >= 3) return null;
  return `${name}: ring ${ring} on ${behind}, ${ratio(ring, behind).toFixed(2)}:1`;
}"""


def violations(page, axe) -> list[str]:
    """axe-core's WCAG A/AA violations on the page as it is now. The script (about 500 kB) is put
    into the page once; checking the page again, e.g. at another width, only runs it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe.axe_script)
    result = page.evaluate(f"axe.run(document, {json.dumps(WCAG)})")
    return [f"{v['id']} ({v['impact']}): {n['target']} {n.get('failureSummary', '')[:160]}"
            for v in result["violations"] for n in v["nodes"]]


def sideways(page) -> int:
    """How far the page scrolls sideways, in CSS px (0 when it reflows)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def focus_ring_problems(page) -> list[str]:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    problems = []
    for _ in range(TAB_STOPS):
        page.keyboard.press("Tab")
        # Marked as it is reached: Tab has come round when it reaches a marked element again.
        if page.evaluate("(() => { const el = document.activeElement; if (!el || el === document.body || el.dataset.dxTabbed) return true;"
                         " el.dataset.dxTabbed = '1'; return false; })()"):
            break
        problem = page.evaluate(FOCUS_RING_PROBLEM)
        if problem:
            problems.append(problem)
    return problems


def page_lists(bob, alice):
    demo = create_demo_assessment()
    Membership.objects.create(organisation=demo.organisation, user=bob, role="owner")
    published = create_demo_assessment()
    Assessment.objects.filter(pk=published.pk).update(status=Assessment.Status.PUBLISHED)
    Membership.objects.get_or_create(organisation=published.organisation, user=bob, defaults={"role": "owner"})
    seed.seed_plain_findings(seed.SeedReport())  # the public page opens with the plain summary
    qs = demo.question_set
    # A request with a reply, a refusal and an overdue one: the request pages, the public page's list.
    records = {}
    for assessment in (demo, published):
        records[assessment.pk] = [
            request_create(assessment=assessment, user=bob, values={
                "kind": kind, "title": title, "sent_on": datetime.date(2026, 4, 28), "published": True,
                "reply_by": datetime.date(2026, 5, 20) if kind == "letter" else None},
                questions=[(None, "住民への説明はいつ行いましたか。（架空）")], documents=["委託契約書（架空）"],
                today=datetime.date(2026, 4, 28))
            for kind, title in (("letter", "質問書（架空）"), ("disclosure", "情報公開請求（架空）"))
        ]
        disclosure = records[assessment.pk][1]
        reply_record(request=disclosure, user=bob, received_on=datetime.date(2026, 5, 12), text="不開示とする。（架空）",
                     item_ids=[], documents=[{"title": "決定通知書（架空）", "page": "1", "date": None, "url": ""}],
                     state="refused", updates=[], base_version=disclosure.version, today=datetime.date(2026, 5, 12))
    public = ["/", "/projects/", "/projects/?q=LINE", "/projects/case-toda-kyoiku-db/", "/projects/case-misato-kodomo-data/",
              "/topics/", "/dashboard/", "/public/", f"/public/{published.pk}/", "/question-sets/",
              f"/question-sets/{qs.key}/v{qs.version}/", "/accounts/login/",
              "/accounts/signup/", "/accounts/password/reset/", "/projects/case-toda-kyoiku-db/assess/"]
    private = [f"/assessments/{demo.pk}/summary/", f"/assessments/{demo.pk}/review/",
               f"/assessments/{demo.pk}/letter/settings/", f"/assessments/{demo.pk}/questions/a-public-comment/history/",
               f"/assessments/{published.pk}/review/",  # with 公開をやめる
               f"/assessments/{demo.pk}/report/", f"/assessments/{demo.pk}/letter/",
               f"/assessments/{demo.pk}/inventory/import/",
               "/projects/case-misato-kodomo-data/assess/", "/assessments/", "/compare/",
               "/accounts/settings/", "/accounts/delete/", "/accounts/password/change/",
               "/requests/", f"/assessments/{demo.pk}/requests/", f"/assessments/{demo.pk}/requests/new/"]
    private += [f"/assessments/{demo.pk}/requests/{r.pk}/" for r in records[demo.pk]]
    # The action plan: its page, a new action from a proposal, each demo action and one's forms.
    actions = list(demo.planned_actions.order_by("pk"))
    private += [f"/assessments/{demo.pk}/plan/", f"/assessments/{demo.pk}/plan/new/?from=d-deletion-at-end",
                f"/assessments/{demo.pk}/plan/{actions[0].pk}/edit/",
                f"/assessments/{demo.pk}/plan/{actions[0].pk}/delete/"]
    private += [f"/assessments/{demo.pk}/plan/{a.pk}/" for a in actions]
    private += [f"/assessments/{demo.pk}/sections/{s.key}/" for s in qs.sections.all()]
    admin = ["/admin/", "/admin/assessments/questionset/", f"/admin/assessments/questionset/{qs.pk}/change/",
             f"/admin/assessments/questionset/{qs.pk}/preview/"]
    groups = group_pages(bob)
    return {"": public + groups[""], "bob": private + groups["bob"], alice.username: admin}


def check_at_every_width(page, axe, found, scrolled, key):
    """axe-core and reflow at each width of WIDTHS, on the page loaded once (nothing in dxpia's
    scripts reads the window's width: the layout follows the viewport through CSS alone)."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found[(key, width)], scrolled[(key, width)] = violations(page, axe), sideways(page)


@pytest.mark.same_on_every_database
def test_every_page_type_passes_axe_and_reflows(live_server, page, catalogue, published_set, bob, alice):
    base, axe = live_server.url, Axe()
    found, scrolled, large_text = {}, {}, {}
    lists = page_lists(bob, alice)
    for user, urls in lists.items():
        if user:
            page.context.clear_cookies()
            sign_in(page, base, user)
        for url in urls:
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            response = page.goto(base + url)
            assert response.status == 200, url
            check_at_every_width(page, axe, found, scrolled, url)
            page.set_viewport_size({"width": 1280, "height": 900})
            page.evaluate("document.documentElement.style.fontSize = '200%'")
            large_text[url] = sideways(page)
    # The import preview (reached by a POST): a good file and a file with a bad line.
    page.context.clear_cookies()
    sign_in(page, base, "bob")
    demo_pk = next(url for url, _width in found if url.endswith("/inventory/import/")).split("/")[2]
    for name, text in (("good", "データ項目,要配慮個人情報\n家庭訪問記録（架空の例）,はい\n"),
                       ("bad", "データ項目,要配慮個人情報\n家庭訪問記録（架空の例）,たぶん\n")):
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(f"{base}/assessments/{demo_pk}/inventory/import/")
        page.get_by_label("ファイル（CSV または Excel の .xlsx）").set_input_files(
            {"name": f"{name}.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")})
        page.get_by_role("button", name="読み込んで確かめる").click()
        page.wait_for_selector("#import-lines")
        check_at_every_width(page, axe, found, scrolled, f"import preview ({name} file)")
    assert len(found) == len(WIDTHS) * (sum(len(urls) for urls in lists.values()) + 2)
    assert {key: v for key, v in found.items() if v} == {}
    assert {key: px for key, px in scrolled.items() if px > 0} == {}
    assert {url: px for url, px in large_text.items() if px > 0} == {}


@pytest.mark.same_on_every_database
def test_every_control_shows_a_focus_ring_of_3_to_1(live_server, page, catalogue, published_set, bob, alice):
    base = live_server.url
    found = {}
    for user, urls in page_lists(bob, alice).items():
        if user:
            page.context.clear_cookies()
            sign_in(page, base, user)
        for url in urls:
            page.goto(base + url)
            found[url] = focus_ring_problems(page)
    assert {url: p for url, p in found.items() if p} == {}


def test_the_focus_ring_check_finds_a_missing_ring(live_server, page, catalogue):
    """The check itself: with the app's ring taken away, Bootstrap's pale glow is reported."""
    page.goto(live_server.url + "/projects/")
    page.add_style_tag(content=":focus-visible, .form-control:focus, .btn:focus-visible, .form-select:focus "
                               "{ outline: 0 none !important; box-shadow: 0 0 0 .25rem rgba(13,110,253,.25) !important; }")
    assert focus_ring_problems(page)


def test_the_reflow_check_finds_sideways_scrolling(live_server, page, catalogue):
    """The check itself: one element wider than a phone makes the page scroll sideways."""
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto(live_server.url + "/projects/")
    assert sideways(page) == 0
    page.add_style_tag(content="main { min-width: 400px; }")
    assert sideways(page) > 0
