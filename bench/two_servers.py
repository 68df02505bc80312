"""Two app servers on one database and one rendered-document folder, as behind a load balancer.

    .venv/bin/python bench/two_servers.py [--workers 2] [--database-url postgres://…] [--sqlite]

Builds a fresh database (on a throwaway PostgreSQL cluster this script starts on a free loopback
port, or on the server of ``--database-url``, or with ``--sqlite`` an SQLite file), migrates and seeds
it, creates one user who owns the demonstration assessment, and starts two `gunicorn dxpia.wsgi` on
two loopback ports with the same DATABASE_URL and the same DXPIA_CACHE_DIR (where rendered PDFs are
kept: the contract between servers is that they share this folder, or the storage it stands for). The
user signs in on both. Then:

1. a background save of a new note through server A;
2. the report downloaded through server B: it is rendered there (nothing was cached for the new
   revision) and its text holds the new note; the rendered-document folder gains an entry;
3. the same report downloaded through server A: the same bytes, and no entry in the folder was
   written (A found B's PDF and did not render it again);
4. once more through B, for the figures;
5. a second note saved through B, then the task worker (`manage.py render_worker --batch`, the
   settle delay set to 0 s for this run) renders that revision's report ahead; downloaded through A
   and through B, it is the same PDF, holds the second note, and neither server rendered it (their
   logs have no new render line; the folder is unchanged).

It prints each step's duration and exits non-zero when a check fails. ``run()`` is what
tests/test_two_servers.py calls (it asserts the checks, never the durations). Traffic goes to
127.0.0.1 only.
"""

import argparse
import contextlib
import io
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import concurrent_saves as cs  # noqa: E402
from bench._postgres import throwaway_postgres  # noqa: E402

PASSWORD = "two-servers-password-2026"

SET_UP = f"""
import io
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("seed", stdout=io.StringIO())

from django.contrib.auth import get_user_model
from assessments.demo import create_demo_assessment
from assessments.models import Answer, Question

args = json.loads(sys.argv[1])
owner = get_user_model().objects.create_user(args["user"], password=args["password"])
assessment = create_demo_assessment(user=owner)
question = (assessment.question_set.questions.exclude(type=Question.Type.INVENTORY)
            .order_by("section__position", "position").first())
answer = Answer.objects.filter(assessment=assessment, question=question).first()
print({cs.MARKER!r} + json.dumps({{"assessment": assessment.pk, "question": question.key,
                                  "version": answer.note_version if answer else 0}}))
"""


@dataclass
class Result:
    failures: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # seconds
    lines: list[str] = field(default_factory=list)
    kind: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures


def documents_folder(cache_dir: str) -> dict[str, int]:
    """Every file under the shared folder (not the render locks) with its modification time."""
    found = {}
    for path in Path(cache_dir).rglob("*"):
        if path.is_file() and "render-locks" not in path.parts:
            found[str(path.relative_to(cache_dir))] = path.stat().st_mtime_ns
    return found


def squashed_text(pdf: bytes) -> str:
    """The PDF's text without the spaces and line breaks that layout inserts."""
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def render_lines(log_path: str) -> int:
    """The render log lines (dxpia.render) a server has written so far."""
    return Path(log_path).read_text(errors="replace").count("logger=dxpia.render")


def _timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def run(*, database_url: str | None = None, workers: int = 1, out=print) -> Result:
    """The whole flow on a fresh database (SQLite without ``database_url``, else a new database on
    that PostgreSQL server, dropped afterwards)."""
    result = Result()

    def say(text):
        result.lines.append(text)
        out(text)

    def check(ok, failure):
        if not ok:
            result.failures.append(failure)
            say(f"FAILED: {failure}")
        return ok

    with cs.fresh_database(database_url) as (url, workdir, kind):
        result.kind = kind
        # No settle delay: a save's render is due at once (steps 1-4 run no worker; step 5 does).
        env = {**cs.django_environment(url, workdir), "DXPIA_RENDER_AHEAD_SECONDS": "0"}
        cache_dir = env["DXPIA_CACHE_DIR"]
        prepared = cs._django_script(env, SET_UP, {"user": "twoservers", "password": PASSWORD},
                                     "migrate, seed and the demo assessment")
        pk = prepared["assessment"]
        report = f"/assessments/{pk}/report.pdf"
        with cs.gunicorn(env, workers, workdir, "server-a") as (url_a, log_a), \
                cs.gunicorn(env, workers, workdir, "server-b") as (url_b, log_b):
            say(f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}; server A {url_a}, server B {url_b}, "
                f"{workers} worker(s) each, one rendered-document folder")
            a, b = cs.Browser(url_a), cs.Browser(url_b)
            a.sign_in("twoservers", PASSWORD)
            b.sign_in("twoservers", PASSWORD)

            def save(browser, note, base):
                body = json.dumps({"question": prepared["question"], "part": "note", "base": base,
                                   "value": note, "mark": ""}).encode()
                return browser.request(f"/assessments/{pk}/autosave/", body,
                                       {"Content-Type": "application/json", "X-CSRFToken": browser.cookie("csrftoken")})

            note = f"二台構成の検証メモ（架空）{os.urandom(3).hex()}"
            (status, raw, _h), result.timings["save through A"] = _timed(lambda: save(a, note, prepared["version"]))
            check(status == 200, f"the save through A answered {status}: {raw[:300]!r}")
            version = json.loads(raw).get("version") if status == 200 else None

            before = documents_folder(cache_dir)
            (status, first, _h), result.timings["report through B (rendered)"] = _timed(lambda: b.request(report))
            check(status == 200 and first.startswith(b"%PDF"), f"the download through B answered {status}")
            after_b = documents_folder(cache_dir)
            check(set(after_b) - set(before), "the download through B left no entry in the shared folder")
            check(note in squashed_text(first) if first.startswith(b"%PDF") else False,
                  "the report downloaded through B lacks the note saved through A")

            (status, second, _h), result.timings["report through A (cached)"] = _timed(lambda: a.request(report))
            check(status == 200 and second == first, "the download through A is not the same PDF as through B")
            after_a = documents_folder(cache_dir)
            check(after_a == after_b, "the download through A wrote to the shared folder (rendered again): "
                                      f"{sorted(k for k in after_a if after_a[k] != after_b.get(k))}")

            (status, third, _h), result.timings["report through B again (cached)"] = _timed(lambda: b.request(report))
            check(status == 200 and third == first, "the second download through B differs")

            # 5. The worker renders ahead; both servers serve its PDF without rendering.
            second_note = f"作業プロセスが先に作る版（架空）{os.urandom(3).hex()}"
            status, raw, _h = save(b, second_note, version)
            check(status == 200, f"the second save, through B, answered {status}: {raw[:300]!r}")
            _out, result.timings["worker renders the report and the letter"] = _timed(lambda: cs._run(
                env, ["manage.py", "render_worker", "--batch", "--no-startup-delay", "--interval", "0"],
                "render_worker"))
            renders = {log: render_lines(log) for log in (log_a, log_b)}
            rendered = documents_folder(cache_dir)
            (status, from_a, _h), result.timings["report through A (rendered by the worker)"] = _timed(
                lambda: a.request(report))
            (status_b, from_b, _h), result.timings["report through B (rendered by the worker)"] = _timed(
                lambda: b.request(report))
            check(status == status_b == 200 and from_a == from_b and from_a.startswith(b"%PDF"),
                  f"the worker's report differs between the servers (statuses {status}, {status_b})")
            check(second_note in squashed_text(from_a) if from_a.startswith(b"%PDF") else False,
                  "the report rendered by the worker lacks the second note")
            check({log: render_lines(log) for log in (log_a, log_b)} == renders,
                  "a server rendered the report the worker had rendered")
            check(documents_folder(cache_dir) == rendered, "a download wrote to the shared folder after the worker")
    for name, seconds in result.timings.items():
        say(f"{name}: {seconds * 1000:,.0f} ms")
    say(f"PDF {len(first):,} bytes; new entries in the shared folder after B's render: "
        f"{len(set(after_b) - set(before))}")
    say("all checks passed" if result.ok else f"{len(result.failures)} checks failed")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--database-url", help="postgres://… of a server to create a fresh database on "
                                               "(default: a throwaway cluster started here)")
    parser.add_argument("--sqlite", action="store_true", help="an SQLite file instead of PostgreSQL")
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= 16:
        parser.error("--workers 1..16")
    with contextlib.ExitStack() as stack:
        server = args.database_url
        if not server and not args.sqlite:
            server = stack.enter_context(throwaway_postgres())
        result = run(database_url=None if args.sqlite else server, workers=args.workers)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
