"""Time from the last save to a downloadable report, with the task worker running.

    .venv/bin/python bench/report_ahead.py [--saves 20] [--settle 2] [--interval 0.5]

Builds a fresh SQLite database in a temporary folder (WAL, as served), the demo assessment, and starts `manage.py render_worker` as a separate
process. Then, --saves times: saves one answer through the real save path (answers_save), and
polls the documents storage until the report of the new revision is there. Prints the median and
p95 of that time, the settle delay it includes (DXPIA_RENDER_AHEAD_SECONDS = --settle), and the
time of a download through the view once it is there (which must not render: checked).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _setup import fresh_database

ROOT = Path(__file__).resolve().parent.parent


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--settle", type=int, default=2, help="DXPIA_RENDER_AHEAD_SECONDS for this run")
    parser.add_argument("--interval", type=float, default=0.5, help="the worker's polling interval (s)")
    args = parser.parse_args()

    os.environ["DXPIA_RENDER_AHEAD_SECONDS"] = str(args.settle)
    workdir = fresh_database()
    print(f"database and storage in {workdir}")

    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from assessments import answer_saving
    from assessments.demo import create_demo_assessment
    from assessments.models import Answer
    from assessments.reports import render

    assessment = create_demo_assessment()
    question = assessment.question_set.questions.get(key="c-legal-article")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "render_worker", "--interval", str(args.interval), "--no-startup-delay",
         "-v", "0"], cwd=ROOT, env=os.environ.copy())
    rendered_here = []
    real_render = render.html_to_pdf
    render.html_to_pdf = lambda html: rendered_here.append(1) or real_render(html)
    try:
        waits, downloads = [], []
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(assessment.owner)
        for number in range(args.saves):
            stored = Answer.objects.filter(assessment=assessment, question=question).first()
            change = answer_saving.AnswerChange(value=f"第69条第2項第3号（計測 {number}）")
            change.base = {part: answer_saving.part_version(stored, part) for part in answer_saving.PARTS}
            answer_saving.answers_save(assessment=assessment, user=assessment.owner, changes={question: change})
            saved = time.perf_counter()  # committed (autocommit): the render is queued now
            assessment.refresh_from_db()
            html = render.report_html(assessment)
            name = render.storage_name("report", assessment, render._cache_key("report", assessment, html))
            deadline = saved + args.settle + 120
            while render._stored(name) is None:
                if time.perf_counter() > deadline or worker.poll() is not None:
                    raise SystemExit(f"save {number}: no report after {time.perf_counter() - saved:.0f} s")
                time.sleep(0.05)
            waits.append(time.perf_counter() - saved)
            started = time.perf_counter()
            response = client.get(reverse("report_pdf", args=[assessment.pk]))
            downloads.append(time.perf_counter() - started)
            assert response.status_code == 200 and response.content == render._stored(name)
        assert not rendered_here, f"{len(rendered_here)} renders in the downloading process"
    finally:
        worker.terminate()
        worker.wait(30)
        render.html_to_pdf = real_render

    print(f"load average over the run (1/5/15 min): {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"saves: {args.saves}; settle delay (DXPIA_RENDER_AHEAD_SECONDS): {args.settle} s; "
          f"worker polling interval: {args.interval} s; storage: {settings.STORAGES['documents']['BACKEND']}")
    print(f"last save -> report downloadable: median {statistics.median(waits):.2f} s, "
          f"p95 {percentile(waits, 0.95):.2f} s, max {max(waits):.2f} s")
    print(f"  beyond the settle delay: median {statistics.median(waits) - args.settle:.2f} s, "
          f"p95 {percentile(waits, 0.95) - args.settle:.2f} s")
    print(f"download once rendered ahead (through the view, no render): median {statistics.median(downloads) * 1000:.1f} ms, "
          f"p95 {percentile(downloads, 0.95) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
