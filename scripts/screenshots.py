"""Take the README's screenshots from a running dxpia (bash scripts/dev.sh run) with Debian's Chromium.

    .venv/bin/python scripts/screenshots.py USER PASSWORD [BASE_URL]

It creates a demonstration assessment of 美里町 こどもデータ連携実証事業 as USER through the UI,
answers a few questions and writes docs/screenshots/section.png and summary.png.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def main(user, password, base="http://127.0.0.1:8000"):
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="ja-JP")
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("ユーザー名").fill(user)
        page.get_by_label("パスワード").fill(password)
        page.locator("main").get_by_role("button", name="ログイン").click()
        page.goto(f"{base}/projects/case-misato-kodomo-data/assess/")
        page.get_by_label("住民・団体").check()
        page.locator("main").get_by_role("button", name="始める").click()
        page.locator("#q-screening-personal-data").get_by_label("取り扱う", exact=True).check()
        page.get_by_role("button", name="保存", exact=True).click()
        page.locator("#id_q-screening-persons-covered").fill("3200")
        page.locator("#id_q-screening-handlers").fill("40")
        page.locator("#q-screening-serious-incident").get_by_label("不明").check()
        for label in ("要配慮個人情報など機微なデータ", "こどもなど弱い立場の人のデータ", "複数のデータの突合・連携"):
            page.locator("#q-screening-criteria").get_by_label(label).check()
        page.get_by_role("button", name="保存", exact=True).click()
        page.locator("nav").get_by_role("button", name="A. 住民説明・合意形成・当事者同意").click()
        for key, label in (("a-plan-published", "公表されているが、一部しか書かれていないか読みにくい"),
                           ("a-public-comment", "意見募集は行われていない"),
                           ("a-consent-legal-basis", "未開示（自治体が明らかにしていない）")):
            page.locator(f"#q-{key}").get_by_label(label, exact=True).check()
        page.locator("#id_note-a-public-comment").fill("町のホームページに意見募集の記録が見当たらない（架空の例）。")
        page.get_by_role("button", name="保存", exact=True).click()
        page.wait_for_selector(".alert-success")
        page.screenshot(path=str(OUT / "section.png"))
        page.get_by_role("button", name="まとめを見る").click()
        page.wait_for_url("**/summary/")
        page.screenshot(path=str(OUT / "summary.png"))
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
