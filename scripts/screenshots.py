"""Take the README's screenshots from a running dxpia (bash scripts/dev.sh run) with Debian's Chromium.

    .venv/bin/python scripts/screenshots.py USER PASSWORD [BASE_URL]

It creates a demonstration assessment of 美里町 こどもデータ連携実証事業 as USER through the UI,
answers a few questions and writes docs/screenshots/section.png and summary.png; then makes a
conflict between two tabs (conflict.png), fills 質問書をつくる (letter.png), shows the dashboard
(dashboard.png), the data inventory on a wide screen and on a phone (inventory-wide.png,
inventory-phone.png), the action plan with an action made from a proposal (plan.png), then records
three risks (架空) on the risk page and takes the risk map before and after the planned measures
(risk-map.png).
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def launch(playwright):
    """Debian's Chromium, headless, fetching nothing of its own."""
    return playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    )


def main(user, password, base="http://127.0.0.1:8000"):
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="ja-JP")
        page = context.new_page()
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
        assessment = page.url.rstrip("/").split("/")[-2]

        # The action plan: a proposal of the summary made an action (対応計画に加える), one more added.
        page.locator("#proposal-details summary").click()
        page.locator("#proposal-list li", has_text="意見募集").get_by_role("link", name="対応計画に加える").click()
        page.get_by_label("部署・団体の名前").fill("事業の担当課（架空の例）")
        page.get_by_label("期限").fill("2027-03-31")
        page.get_by_role("button", name="保存する").click()
        page.goto(f"{base}/assessments/{assessment}/plan/new/")
        page.get_by_label("すべきこと").fill("情報公開請求で、委託契約書の写しを入手する")
        page.get_by_label("だれが").select_option("assessor")
        page.get_by_label("期限").fill("2026-06-30")
        page.get_by_role("button", name="保存する").click()
        page.goto(f"{base}/assessments/{assessment}/plan/")
        page.locator("main").screenshot(path=str(OUT / "plan.png"))

        # Two tabs on section G: the second saves a note first, the first's save is then stale.
        section_g = None
        tabs = [page, context.new_page()]
        for tab in tabs:
            tab.goto(f"{base}/assessments/{assessment}/")
            tab.locator("nav").get_by_role("button", name="G. 財政効果・補助事業").click()
            tab.wait_for_selector("#id_note-g-total-cost")
            section_g = tab.url
        tabs[1].locator("#id_note-g-total-cost").fill("議会資料では約1.2億円と説明された（架空の例）。")
        tabs[1].get_by_role("button", name="保存", exact=True).click()
        tabs[1].wait_for_selector(".alert-success")
        tabs[0].locator("#id_note-g-total-cost").fill("予算書の額は未確認。")
        tabs[0].get_by_role("button", name="保存", exact=True).click()
        tabs[0].wait_for_selector(".dx-conflict")
        tabs[0].locator("#q-g-total-cost").scroll_into_view_if_needed()
        tabs[0].evaluate("window.scrollBy(0, -120)")
        tabs[0].screenshot(path=str(OUT / "conflict.png"))
        tabs[1].close()

        page.goto(f"{base}/assessments/{assessment}/letter/settings/")
        page.get_by_label("差出人の氏名").fill("山田花子（架空）")
        page.get_by_label("差出人の団体・役職").fill("美里町の個人情報を考える会（架空）")
        page.screenshot(path=str(OUT / "letter.png"), full_page=True)

        page.goto(f"{base}/dashboard/")
        page.screenshot(path=str(OUT / "dashboard.png"))

        # The data inventory (section B, prefilled from the catalogue) on a wide screen and on a phone.
        section_b = f"{base}/assessments/{assessment}/sections/b/"
        page.goto(section_b)
        page.locator("#inventory").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -60)")
        page.screenshot(path=str(OUT / "inventory-wide.png"))
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP", storage_state=context.storage_state())
        phone_page = phone.new_page()
        phone_page.goto(section_b)
        phone_page.locator("#inventory-rows tr").nth(1).scroll_into_view_if_needed()
        phone_page.screenshot(path=str(OUT / "inventory-phone.png"))
        phone.close()

        record_risks(page, f"{base}/assessments/{assessment}/risks/")
        page.locator("#map-heading").scroll_into_view_if_needed()
        page.locator("#map-heading").locator("xpath=..").screenshot(path=str(OUT / "risk-map.png"))
        browser.close()


# Three invented risks (marked 架空): title, harm, severity, likelihood, and after the planned measures.
RISKS = (
    ("健診データが、必要な理由の説明なく判定に使われる（架空）", "目的外の利用・機能の拡大", "3 重大", "3 高い", "3 重大", "2 限定的"),
    ("委託先のクラウドにデータが抱え込まれる（架空）", "委託先による囲い込み・二次利用", "2 限定的", "3 高い", "2 限定的", "2 限定的"),
    ("アクセスできる範囲が確かめられないまま記録が見られる（架空）", "漏えい・不正アクセス", "4 最大", "2 限定的", None, None),
)


def record_risks(page, risks_url):
    for title, harm, severity, likelihood, residual_severity, residual_likelihood in RISKS:
        page.goto(risks_url)
        page.locator("#risk-new").click()
        page.get_by_label("リスクの題名").fill(title)
        page.locator("#field-harms").get_by_label(harm, exact=True).check()
        page.locator("#field-severity").get_by_label(severity, exact=True).check()
        page.locator("#field-likelihood").get_by_label(likelihood, exact=True).check()
        if residual_severity:
            page.locator("#field-residual_severity").get_by_label(residual_severity, exact=True).check()
            page.locator("#field-residual_likelihood").get_by_label(residual_likelihood, exact=True).check()
        page.get_by_role("button", name="保存する").click()
        page.wait_for_selector(".alert-success")


if __name__ == "__main__":
    main(*sys.argv[1:])
