"""Throughput and latency under load, each page as a ratio to a minimal Django view in the same run.

    .venv/bin/python bench/load.py [--workers 2 4] [--clients 8] [--seconds 10] [--max-requests 5000]
                                   [--database-url postgres://user@host:port/any] [--sqlite] [--debug]
                                   [--generator python|wrk]

For each gunicorn worker count: a fresh PostgreSQL database (on a throwaway cluster this script
starts on a free loopback port, as `scripts/dev.sh test` does, or on the server of ``--database-url``;
``--sqlite`` uses an SQLite file instead), migrated and seeded, one user who owns the demonstration
assessment (`demo_assessment`), and `gunicorn dxpia.wsgi` with that many sync workers on 127.0.0.1.
``--clients`` threads, each signed in through the login form with its own session, then send
requests as fast as the server answers, one kind of request at a time, each phase bounded by
``--seconds`` and ``--max-requests``:

- ``ping``: `/-/ping`, the minimal view (no database, no session, no template; sent without cookies),
- ``section``: the wizard's first section page of the demo (GET),
- ``summary``: its summary page,
- ``report (cached)``: its PDF report, after one download outside the measurement filled the cache,
- ``report (cached), N clients saving elsewhere`` (not with ``--generator wrk``): the same download by half of the clients while
  the other half save notes to another demonstration assessment (the saves are not in the row's
  requests and latencies, but their CPU is in its server CPU column), as on a site where people are
  writing: a save renews only its own assessment's document stamp, so the report stays served from
  what the process remembers (reports/document_stamp.py),
- ``background save``: the wizard's autosave POST (JSON, as static/js/wizard.js sends it) of a new
  note on the client's own question, based on the version it last got (so each is accepted: 200; a
  409 would be counted and its stored version adopted). Last, because a save changes the report.

It prints requests per second, p50/p95/p99 latency, each throughput as a ratio to ``ping``'s, the
CPU per request of the server (gunicorn's master and workers, from /proc, workers replaced during
the phase included) and of this load generator (time.process_time; the database's CPU is in
neither), the statuses, and whether the issue's targets are met (section ≥ 50 % and background save ≥ 40 % of the
minimal view's throughput, cached report p95 ≤ 50 ms, no 5xx). Exits 1 when any request got a 5xx or
no answer. Traffic goes to 127.0.0.1 only. The load generator is this Python process (threads over
urllib, one connection per request, as gunicorn's sync workers close each connection) on the same
machine as the server: it takes CPU from the server, and more from the cheap ``ping`` than from the
pages, so the ratios are if anything higher than a separate load generator would show. The server
runs as in production (`scripts/dev.sh serve`): DXPIA_DEBUG=false, static files collected and
served by WhiteNoise, gunicorn with the repository's dxpia/gunicorn_conf.py (its request log on
stderr included), each worker's database connection kept for a minute as
`dev.sh serve` keeps it (DXPIA_DB_CONN_MAX_AGE=60; ``--conn-max-age 0``: one per request, the settings'
default); only DXPIA_SSL_REDIRECT=false, as nothing terminates TLS on loopback,
and the clients send the session's Secure cookies over plain HTTP as a browser does for 127.0.0.1.
``--debug`` runs it with DXPIA_DEBUG=true instead (as the figures before 2026-12-05 were taken).

``--generator wrk`` sends the same phases with wrk (Debian's package; bench/load.lua: a thread and a
connection per signed-in client, the same sessions, the saves' versions followed the same way), a C
program that costs the machine a small part of what these Python threads cost, so that more of the
two cores is left to the server. Its phases are bounded by whole ``--seconds`` only (wrk's rate
would be wrong if its threads stopped early). Its latencies are timed by bench/load.lua, from when
wrk asks it for the request (its connection made and writable) to the whole answer, so without the
connection's set-up; wrk's own percentiles are not used, as wrk adds made-up samples to them
(stats_correct). The load generator's CPU is wrk's (the children's rusage); it includes handing
each answer, bodies and all, to Lua, which the statuses and the saves' versions need.
"""

import argparse
import contextlib
import http.cookiejar
import json
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import concurrent_saves as cs  # noqa: E402
from bench._postgres import throwaway_postgres  # noqa: E402

PASSWORD = "load-test-password-2026"
WRK_SCRIPT = Path(__file__).resolve().with_name("load.lua")
TARGETS = {"section": 0.50, "background save": 0.40}
CACHED_P95_MS = 50.0

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
questions = list(
    assessment.question_set.questions.exclude(type=Question.Type.INVENTORY)
    .order_by("section__position", "position").values_list("key", flat=True)[: args["questions"]]
)
versions = dict(Answer.objects.filter(assessment=assessment, question__key__in=questions)
                .values_list("question__key", "note_version"))
section = assessment.question_set.sections.order_by("position").values_list("key", flat=True).first()
elsewhere = create_demo_assessment(user=owner)  # saved to while the report of the first is downloaded
elsewhere_versions = dict(Answer.objects.filter(assessment=elsewhere, question__key__in=questions)
                          .values_list("question__key", "note_version"))
print({cs.MARKER!r} + json.dumps({{"assessment": assessment.pk, "section": section, "status": assessment.status,
                                  "questions": [[q, versions.get(q, 0)] for q in questions],
                                  "elsewhere": elsewhere.pk,
                                  "elsewhere_questions": [[q, elsewhere_versions.get(q, 0)] for q in questions]}}))
"""


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    statuses: Counter = field(default_factory=Counter)  # 0: no HTTP answer
    seconds: float = 0.0
    bytes: int = 0
    server_cpu: float = 0.0  # seconds of CPU of gunicorn (master and workers) during the phase
    client_cpu: float = 0.0  # seconds of CPU of the load generator during the phase
    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    def cpu_ms(self, seconds: float) -> float:
        """CPU per answered request, in ms."""
        return seconds / self.answered * 1000 if self.answered else float("nan")

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500 or status == 0)


def _set_up(env: dict, clients: int) -> dict:
    return cs._django_script(env, SET_UP, {"user": "loadtester", "password": PASSWORD, "questions": clients},
                             "migrate, seed and the demo assessment")


def _ticks(pid: int, *, children: bool = False) -> int:
    """CPU clock ticks of a process (user and system; with ``children``, also of its children that
    have exited and been waited for), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0
    # After the name: state ppid … utime (14th field of the line), stime, cutime, cstime.
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return utime + stime + (cutime + cstime if children else 0)


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def server_cpu_seconds() -> float:
    """CPU spent so far by the gunicorn this process started: its master, the workers alive now, and
    the workers that have exited (gunicorn replaces one after --max-requests; the master waits for
    it, so its CPU is in the master's children's times)."""
    pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    masters = {pid for pid in pids if _parent(pid) == os.getpid()}
    workers = [pid for pid in pids if _parent(pid) in masters]
    ticks = sum(_ticks(pid, children=True) for pid in masters) + sum(_ticks(pid) for pid in workers)
    return ticks / os.sysconf("SC_CLK_TCK")


def _run_phase(name: str, browsers: list, send, seconds: float, max_requests: int) -> Phase:
    """Every browser sends ``send(i, browser)`` (which returns (status, body length), or None for a
    request of the background that is not measured) in a loop until the time or the shared request
    budget is spent."""
    phase = Phase(name)
    lock = threading.Lock()
    budget = {"left": max_requests}
    barrier = threading.Barrier(len(browsers) + 1)
    deadline_box = {}

    def work(i, browser):
        barrier.wait()
        local_latencies, local_statuses, size = [], Counter(), 0
        while time.monotonic() < deadline_box["at"]:
            with lock:
                if budget["left"] <= 0:
                    break
                budget["left"] -= 1
            started = time.perf_counter()
            try:
                answer = send(i, browser)
            except OSError:
                answer = (0, 0)
            elapsed = time.perf_counter() - started
            if answer is None:  # a request of the background, not measured
                continue
            status, length = answer
            local_statuses[status] += 1
            if status:
                local_latencies.append(elapsed)
                size += length
        with lock:
            phase.latencies.extend(local_latencies)
            phase.statuses.update(local_statuses)
            phase.bytes += size

    threads = [threading.Thread(target=work, args=(i, b), daemon=True) for i, b in enumerate(browsers)]
    for thread in threads:
        thread.start()
    server_before, client_before = server_cpu_seconds(), time.process_time()
    began = time.monotonic()
    deadline_box["at"] = began + seconds
    barrier.wait()
    for thread in threads:
        thread.join(timeout=seconds + 2 * cs.REQUEST_TIMEOUT)
    phase.seconds = time.monotonic() - began
    phase.server_cpu = server_cpu_seconds() - server_before
    phase.client_cpu = time.process_time() - client_before
    return phase


def _wrk_phase(name: str, base_url: str, clients: list[str], mode: str, path: str, seconds: float) -> Phase:
    """One phase sent by wrk with bench/load.lua, a thread and a connection per line of ``clients``."""
    command = ["wrk", "-t", str(len(clients)), "-c", str(len(clients)), "-d", f"{int(seconds)}s",
               "--timeout", f"{cs.REQUEST_TIMEOUT}s", "-s", str(WRK_SCRIPT), base_url, "--", mode, path]
    server_before = server_cpu_seconds()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, env={**os.environ, "LOAD_CLIENTS": "\n".join(clients)}, capture_output=True,
                            text=True, timeout=seconds + 2 * cs.REQUEST_TIMEOUT)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = server_cpu_seconds() - server_before
    reports = [line for line in result.stdout.splitlines() if line.startswith('{"requests"')]
    if result.returncode != 0 or not reports:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    report = json.loads(reports[-1])
    statuses, latencies = Counter(), []
    for thread in report["threads"]:
        statuses.update({int(status): n for status, n in thread["statuses"].items()})
        latencies += [us / 1e6 for us in thread["latencies_us"]]
    if len(latencies) != report["requests"]:
        raise RuntimeError(f"wrk answered {report['requests']} requests, bench/load.lua timed {len(latencies)}")
    # A request wrk gave up on (its --timeout) is answered late, and so counted among the answers
    # and statuses; one that never got an answer is not reported by wrk at all.
    unanswered = sum(report["errors"][kind] for kind in ("connect", "read", "write"))
    if unanswered:
        statuses[0] += unanswered
    return Phase(name, latencies=latencies, statuses=statuses, seconds=report["duration_us"] / 1e6,
                 bytes=report["bytes"], server_cpu=server_cpu,
                 client_cpu=(children_after.ru_utime + children_after.ru_stime)
                 - (children_before.ru_utime + children_before.ru_stime))


def measure(base_url: str, prepared: dict, clients: int, seconds: float, max_requests: int,
            generator: str = "python") -> list[Phase]:
    pk = prepared["assessment"]
    browsers = []
    for _ in range(clients):
        browser = cs.Browser(base_url)
        # Secure cookies over plain HTTP on loopback, as Chromium keeps them for 127.0.0.1.
        browser.jar.set_policy(http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http")))
        browser.sign_in("loadtester", PASSWORD)
        browsers.append(browser)
    anonymous = [cs.Browser(base_url) for _ in range(clients)]
    questions = prepared["questions"]
    bases = {i: questions[i % len(questions)][1] for i in range(clients)}
    counter = Counter()

    def get(path):
        def send(_i, browser):
            status, body, _headers = browser.request(path)
            return status, len(body)
        return send

    def saver(on, bases, questions):
        def save(i, browser):
            question = questions[i % len(questions)][0]
            counter[i] += 1
            body = json.dumps({"question": question, "part": "note", "base": bases[i],
                               "value": f"負荷試験の補足 {i}-{counter[i]}", "mark": ""}).encode()
            status, raw, _headers = browser.request(
                f"/assessments/{on}/autosave/", body,
                {"Content-Type": "application/json", "X-CSRFToken": browser.cookie("csrftoken")})
            with contextlib.suppress(ValueError, AttributeError):
                version = json.loads(raw).get("version")
                if status in (200, 409) and isinstance(version, int):
                    bases[i] = version
            return status, len(raw)
        return save

    save = saver(pk, bases, questions)
    elsewhere_bases = {i: prepared["elsewhere_questions"][i % len(questions)][1] for i in range(clients)}
    save_elsewhere = saver(prepared["elsewhere"], elsewhere_bases, prepared["elsewhere_questions"])

    def report_beside_saves(i, browser):
        """Even clients download the report; odd ones save to another assessment, not measured
        (counted only when the save fails: a 5xx or no answer)."""
        if i % 2 == 0:
            return get(report)(i, browser)
        status, length = save_elsewhere(i, browser)
        return None if status in (200, 409) else (status, length)

    report = f"/assessments/{pk}/report.pdf"
    status, body, _ = browsers[0].request(report)  # fills the cache: the render is not measured
    if status != 200 or not body.startswith(b"%PDF"):
        raise RuntimeError(f"the report download answered {status}")
    section = f"/assessments/{pk}/sections/{prepared['section']}/"
    for path in ("/-/ping", section, f"/assessments/{pk}/summary/", report):  # one warm-up each
        browsers[0].request(path)
    if generator == "wrk":
        signed_in = [
            f"sessionid={b.cookie('sessionid')}; csrftoken={b.cookie('csrftoken')}\t{b.cookie('csrftoken')}\t"
            f"{questions[i % len(questions)][0]}\t{bases[i]}" for i, b in enumerate(browsers)
        ]
        anonymous_lines = [f"\t\t{questions[0][0]}\t0"] * clients
        return [
            _wrk_phase("ping", base_url, anonymous_lines, "get", "/-/ping", seconds),
            _wrk_phase("section", base_url, signed_in, "get", section, seconds),
            _wrk_phase("summary", base_url, signed_in, "get", f"/assessments/{pk}/summary/", seconds),
            _wrk_phase("report (cached)", base_url, signed_in, "get", report, seconds),
            _wrk_phase("background save", base_url, signed_in, "save", f"/assessments/{pk}/autosave/", seconds),
        ]
    return [
        _run_phase("ping", anonymous, get("/-/ping"), seconds, max_requests),
        _run_phase("section", browsers, get(section), seconds, max_requests),
        _run_phase("summary", browsers, get(f"/assessments/{pk}/summary/"), seconds, max_requests),
        _run_phase("report (cached)", browsers, get(report), seconds, max_requests),
        _run_phase(f"report (cached), {clients // 2} clients saving elsewhere", browsers, report_beside_saves,
                   seconds, max_requests),
        _run_phase("background save", browsers, save, seconds, max_requests),
    ]


def table(workers: int, phases: list[Phase]) -> list[str]:
    ping = phases[0].rate
    lines = [f"gunicorn, {workers} sync workers",
             "| request | requests | req/s | ratio to ping | p50 ms | p95 ms | p99 ms "
             "| server CPU ms/request | load generator CPU ms/request | statuses |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for p in phases:
        statuses = ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(p.statuses.items()))
        lines.append(f"| {p.name} | {p.answered} | {p.rate:,.1f} | {p.rate / ping:.0%} | {p.percentile(50):.1f} "
                     f"| {p.percentile(95):.1f} | {p.percentile(99):.1f} | {p.cpu_ms(p.server_cpu):.1f} "
                     f"| {p.cpu_ms(p.client_cpu):.1f} | {statuses} |")
    return lines


def verdicts(phases: list[Phase]) -> list[str]:
    by_name = {p.name: p for p in phases}
    ping = by_name["ping"].rate
    out = []
    for name, target in TARGETS.items():
        ratio = by_name[name].rate / ping
        out.append(f"{name}: {ratio:.0%} of the minimal view's throughput (target ≥ {target:.0%}): "
                   f"{'met' if ratio >= target else 'NOT met'}")
    p95 = by_name["report (cached)"].percentile(95)
    out.append(f"cached report p95 {p95:.1f} ms (target ≤ {CACHED_P95_MS:.0f} ms): "
               f"{'met' if p95 <= CACHED_P95_MS else 'NOT met'}")
    errors = sum(p.server_errors for p in phases)
    out.append(f"5xx or no answer: {errors} (target 0): {'met' if errors == 0 else 'NOT met'}")
    return out


def production_environment(env: dict, workdir: str) -> dict:
    """The environment of a production server on loopback (see the module's docstring)."""
    return {**env, "DXPIA_DEBUG": "false", "DXPIA_SECRET_KEY": secrets.token_urlsafe(50),
            "DXPIA_ALLOWED_HOSTS": "127.0.0.1", "DXPIA_SSL_REDIRECT": "false", "DXPIA_EMAIL_URL": "console://",
            "DXPIA_DEFAULT_FROM_EMAIL": "dxpia@example.jp", "DXPIA_STATIC_ROOT": os.path.join(workdir, "static")}


def run(*, workers: list[int], clients: int, seconds: float, max_requests: int, server_url: str | None,
        sqlite: bool = False, debug: bool = False, conn_max_age: int = 60, generator: str = "python",
        out=print) -> dict:
    results = {}
    for count in workers:
        with cs.fresh_database(None if sqlite else server_url) as (url, workdir, kind):
            env = cs.django_environment(url, workdir)  # DXPIA_DEBUG=true
            if not debug:
                env = production_environment(env, workdir)
            env["DXPIA_DB_CONN_MAX_AGE"] = str(conn_max_age)
            started = time.monotonic()
            prepared = _set_up(env, clients)
            if not debug:
                cs._run(env, ["manage.py", "collectstatic", "--noinput", "-v0"], "collectstatic")
            out(f"\n{kind}, DEBUG {'on' if debug else 'off'}, DXPIA_DB_CONN_MAX_AGE={conn_max_age}: migrated, seeded, demo assessment "
                f"{prepared['assessment']} ({prepared['status']}) in {time.monotonic() - started:.1f} s")
            with cs.gunicorn(env, count, workdir, config=not debug, ready_path="/-/ping") as (base_url, _log):
                phases = measure(base_url, prepared, clients, seconds, max_requests, generator)
            for line in table(count, phases) + verdicts(phases):
                out(line)
            results[count] = phases
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--max-requests", type=int, default=5000, help="requests per phase at most")
    parser.add_argument("--database-url", help="postgres://… of a server to create fresh databases on "
                                               "(default: a throwaway cluster started here)")
    parser.add_argument("--sqlite", action="store_true", help="an SQLite file instead of PostgreSQL")
    parser.add_argument("--debug", action="store_true", help="DXPIA_DEBUG=true and gunicorn without the "
                                                              "repository's configuration")
    parser.add_argument("--conn-max-age", type=int, default=60,
                        help="DXPIA_DB_CONN_MAX_AGE for the server: 60 (the default, as `dev.sh serve`) keeps "
                             "each worker's database connection for 60 s; 0 opens one per request")
    parser.add_argument("--generator", choices=["python", "wrk"], default="python",
                        help="the load generator: this process's client threads (python), or wrk with "
                             "bench/load.lua (Debian's package wrk; phases bounded by --seconds only)")
    args = parser.parse_args(argv)
    if args.generator == "wrk" and not shutil.which("wrk"):
        parser.error("--generator wrk needs wrk (as root: apt-get install wrk)")
    if args.generator == "wrk" and args.seconds != int(args.seconds):
        parser.error("--generator wrk takes whole --seconds (wrk's -d)")
    if not (1 <= args.clients <= 64 and 0 < args.seconds <= 120 and 1 <= args.max_requests <= 100_000
            and all(1 <= w <= 32 for w in args.workers)):
        parser.error("--clients 1..64, --seconds ≤ 120, --max-requests ≤ 100000, --workers 1..32")
    bound = "" if args.generator == "wrk" else f" or {args.max_requests} requests at most"
    print(f"{args.clients} clients ({args.generator}), phases of {args.seconds:g} s{bound}")
    with contextlib.ExitStack() as stack:
        server = args.database_url
        if not server and not args.sqlite:
            server = stack.enter_context(throwaway_postgres())
        results = run(workers=args.workers, clients=args.clients, seconds=args.seconds,
                      max_requests=args.max_requests, server_url=server, sqlite=args.sqlite, debug=args.debug,
                      conn_max_age=args.conn_max_age, generator=args.generator)
    errors = sum(p.server_errors for phases in results.values() for p in phases)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
