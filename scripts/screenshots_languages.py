"""Take the README's screenshots of the plain-Japanese summary and the English interface from a
running dxpia (bash scripts/dev.sh run) with Debian's Chromium.

    .venv/bin/python scripts/screenshots_languages.py PUBLISHED_ASSESSMENT_ID [BASE_URL]

Writes docs/screenshots/plain-summary.png (the public page's やさしい日本語のまとめ with furigana),
english-public.png (the same page with the interface in English: the summary, the question set's
and the users' texts stay Japanese) and english.png (the catalogue searched, in English).
"""

import sys

from playwright.sync_api import sync_playwright

from screenshots import OUT, launch  # scripts/screenshots.py, beside this one


def main(pk, base="http://127.0.0.1:8000"):
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1100, "height": 1300}, locale="ja-JP")
        page = context.new_page()
        page.goto(f"{base}/public/{pk}/")
        page.locator("#plain-summary").screenshot(path=str(OUT / "plain-summary.png"))
        page.get_by_role("button", name="English").click()
        page.wait_for_selector('html[lang="en"]')
        page.set_viewport_size({"width": 1100, "height": 650})
        page.screenshot(path=str(OUT / "english-public.png"))
        page.set_viewport_size({"width": 1100, "height": 900})
        page.goto(f"{base}/projects/?q=%E3%81%93%E3%81%A9%E3%82%82")  # こども
        page.screenshot(path=str(OUT / "english.png"))
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
