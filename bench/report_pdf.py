"""Benchmark the PDF report of the demonstration assessment.

    .venv/bin/python bench/report_pdf.py [--runs 5]

Builds a fresh SQLite database in a temporary folder (migrate, seed, demo_assessment), then prints
medians of warm runs: the report's HTML render, WeasyPrint's PDF render, page count and size,
headless Chromium (Playwright, /usr/bin/chromium) printing the same HTML to PDF, the ratio, and a
repeated download of the unchanged report through the view (served from the cache), tagged and
untagged render times, and the table of contents read back from the PDF.
"""

import argparse
import io
import platform
import sys

from _setup import fresh_database, median_time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    fresh_database()
    from django.test import Client
    from django.urls import reverse
    import weasyprint
    from pypdf import PdfReader

    from assessments.demo import create_demo_assessment
    from assessments.reports import render

    assessment = create_demo_assessment()

    render.html_to_pdf(render.report_html(assessment))  # warm up: fonts, imports
    html_time, html = median_time(lambda: render.report_html(assessment), args.runs)
    pdf_time, pdf = median_time(lambda: render.html_to_pdf(html), args.runs)
    plain_time, plain = median_time(lambda: render.html_to_pdf(html, pdf_variant=None), args.runs)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page()

        def chromium_pdf():
            page.set_content(html)
            return page.pdf(format="A4", print_background=True)

        chromium_pdf()
        chromium_time, chromium_bytes = median_time(chromium_pdf, args.runs)
        browser.close()

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(assessment.owner)
    url = reverse("report_pdf", args=[assessment.pk])
    first = client.get(url)
    assert first.status_code == 200
    cached_time, response = median_time(lambda: client.get(url), args.runs)
    assert response.content == first.content

    print(f"Python {platform.python_version()} ({sys._base_executable}), WeasyPrint {weasyprint.__version__}")
    print(f"demo assessment: {assessment.answers.count()} answers, "
          f"{sum(a.inventory_rows.count() for a in assessment.answers.all())} inventory rows")
    print(f"report HTML render (median of {args.runs}): {html_time * 1000:.0f} ms")
    print(f"WeasyPrint PDF render, tagged {render.PDF_VARIANT} as served (median of {args.runs}): "
          f"{pdf_time * 1000:.0f} ms")
    print(f"WeasyPrint PDF render, untagged (median of {args.runs}): {plain_time * 1000:.0f} ms "
          f"(tagging costs {100 * (pdf_time / plain_time - 1):+.1f} %)")
    print(f"pages: {pages}, size: {len(pdf) / 1024:.0f} KiB tagged, {len(plain) / 1024:.0f} KiB untagged")
    print(f"Chromium print of the same HTML (median of {args.runs}): {chromium_time * 1000:.0f} ms "
          f"({len(chromium_bytes) / 1024:.0f} KiB)")
    print(f"WeasyPrint / Chromium: {pdf_time / chromium_time:.2f}x")
    print(f"cached download of the unchanged report (median of {args.runs}): {cached_time * 1000:.1f} ms")
    from tests.pdf_reading import toc_entries

    print("table of contents (printed number / page the link goes to):")
    for entry in toc_entries(pdf):
        mark = "ok" if entry.printed == entry.target else "WRONG"
        print(f"  {entry.title}: {entry.printed} / {entry.target} {mark}")


if __name__ == "__main__":
    main()
