"""Many people saving notes in the background at once, through gunicorn with several worker processes.

    .venv/bin/python bench/concurrent_saves.py [--clients 8] [--saves 50] [--workers 4]
                                               [--database-url postgres://user@host:port/any]

Builds a fresh database (an SQLite file in a temporary folder; with ``--database-url`` a new database
on that PostgreSQL server, dropped afterwards), migrates and seeds it, and creates one assessment that
``--clients`` users may edit (editors of one organisation). It starts ``gunicorn dxpia.wsgi`` with
``--workers`` processes on a free loopback port, signs every user in through the login form, and lets
each client send ``--saves`` background saves (``assessment_autosave``) of notes as fast as the server
answers: most on two questions that every client writes, the others each on the client's own
question. Every client bases each save on the version it last got for that question, so bases go
stale when somebody else saved in between; on a 409 it sometimes adopts the stored version and sends
its note again (a deliberate overwrite) and otherwise keeps its stale base. Every tenth save resends
the client's last note on its own question unchanged.

Then it reads the database back and checks: no status other than 200 and 409 (no 5xx, no "database is
locked"); every accepted save that changed the note has its AnswerHistory row (question, revision and
new note) and there are no others; an accepted change was based on the version just before the one it
made (nothing based on an older version was ever accepted) and got a version and a revision nobody
else got; every 409 was a real conflict (the stored version it names is newer than the save's base,
and its stored note is the note the accepted save of that version sent); an unchanged resend kept its
version; and each question's stored note and version are those of its accepted save with the highest
version. It prints the counts and exits non-zero when a check fails. No timings are asserted.

The test suite runs a smaller version (tests/test_concurrent_saves.py) through ``run()``. Everything
that touches the database runs in subprocesses (``manage.py`` and ``python -c`` with
``django.setup()``), so the caller's own Django set-up, if any, does not matter. Traffic goes to
127.0.0.1 only; every loop is bounded in count and time.
"""

import argparse
import contextlib
import html
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "concurrent-saves-password-2026"
SHARED_QUESTIONS = 2
SHARED_SHARE = 0.6  # the part of the new notes that go to the shared questions
ADOPT_SHARE = 0.5  # how often a client adopts the stored version after a 409 and overwrites
REPEAT_EVERY = 10  # every tenth save resends the last note on the client's own question
REQUEST_TIMEOUT = 60  # seconds, per HTTP request
START_TIMEOUT = 60  # seconds for gunicorn to answer
SUBPROCESS_TIMEOUT = 600  # seconds for migrate, seed and each database script
MARKER = "@@dxpia-json@@"


@dataclass
class Save:
    """One background save as the client saw it."""

    client: int
    number: int
    question: str
    kind: str  # "new", "overwrite" (adopted the stored version after a 409) or "repeat"
    base: int
    note: str
    status: int = 0  # 0: no HTTP answer at all (see error)
    version: int | None = None
    revision: int | None = None
    stored: object = None
    error: str = ""  # the whole answer when it was not a 200 or 409 in JSON

    def summary(self) -> str:
        """The error in one line: for Django's debug page, its title and the exception's message."""
        title = re.search(r"<title>(.*?)</title>", self.error, re.S)
        message = re.search(r'<pre class="exception_value">(.*?)</pre>', self.error, re.S)
        if title is None:
            return " ".join(self.error.split())[:200]
        text = " ".join(title.group(1).split()) + (f": {' '.join(message.group(1).split())}" if message else "")
        return html.unescape(text)[:200]


@dataclass
class Result:
    counts: dict
    failures: list[str]
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


# --- The database ---------------------------------------------------------------------------------


def _base_environment() -> dict:
    """The caller's environment without dxpia's own settings: the benchmark sets those itself."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DXPIA_") and k != "DATABASE_URL"}


def django_environment(database_url: str, workdir: str) -> dict:
    return {
        **_base_environment(),
        "DATABASE_URL": database_url,
        "DXPIA_DEBUG": "true",
        "DXPIA_CACHE_DIR": os.path.join(workdir, "cache"),
        "DJANGO_SETTINGS_MODULE": "dxpia.settings",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def _postgres_parts(url: str) -> dict:
    parts = urllib.parse.urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": urllib.parse.unquote(parts.username) if parts.username else None,
        "password": urllib.parse.unquote(parts.password) if parts.password else None,
        "dbname": urllib.parse.unquote(parts.path.lstrip("/")) or "postgres",
    }


def _postgres_admin(url: str):
    """An autocommit connection to the server of ``url`` (its ``postgres`` database, else the URL's)."""
    import psycopg

    parts = _postgres_parts(url)
    named = parts.pop("dbname")
    last_error = None
    for dbname in dict.fromkeys(("postgres", named)):
        try:
            return psycopg.connect(**{k: v for k, v in parts.items() if v is not None}, dbname=dbname, autocommit=True,
                                   connect_timeout=10)
        except psycopg.OperationalError as exc:
            last_error = exc
    raise last_error


@contextlib.contextmanager
def fresh_database(server_url: str | None = None):
    """A new, empty database and a temporary folder; both are removed afterwards. Yields
    (database URL, folder, kind). Without ``server_url`` the database is an SQLite file in the folder;
    with a postgres:// URL it is a new database on that server."""
    workdir = tempfile.mkdtemp(prefix="dxpia-concurrent-")
    name = None
    try:
        if not server_url or server_url.startswith("sqlite:"):
            yield f"sqlite:///{workdir}/concurrent.sqlite3", workdir, "sqlite"
            return
        if not server_url.startswith(("postgres://", "postgresql://")):
            raise ValueError(f"--database-url must be a postgres:// URL, not {server_url!r}")
        name = f"dxpia_concurrent_{secrets.token_hex(4)}"
        with _postgres_admin(server_url) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        parts = urllib.parse.urlsplit(server_url)
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), workdir, "postgresql"
    finally:
        if name is not None:
            with _postgres_admin(server_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _remove_tree(workdir)


def _remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _run(env: dict, args: list[str], what: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result.stdout


def _django_script(env: dict, code: str, argument, what: str):
    """Run ``code`` in a fresh interpreter with Django set up; it prints its answer as JSON after MARKER."""
    script = "import json, sys\nimport django\ndjango.setup()\n" + code
    stdout = _run(env, ["-c", script, json.dumps(argument)], what)
    return json.loads(stdout.rsplit(MARKER, 1)[1])


SET_UP = f"""
import io
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("seed", stdout=io.StringIO())

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from assessments.answer_saving import assessment_create
from assessments.models import Membership, Organisation, Project, Question, QuestionSet

args = json.loads(sys.argv[1])
User = get_user_model()
hashed = make_password(args["password"])  # one hash for all: hashing is slow on purpose
users = []
for name in args["users"]:
    user = User(username=name, password=hashed)
    user.save()
    users.append(user)
group = Organisation.objects.create(name="同時保存の検証")
for user in users:
    Membership.objects.create(organisation=group, user=user, role=Membership.Role.EDITOR)
question_set = QuestionSet.objects.get(key="dx-pia", version=1)
assessment = assessment_create(
    user=users[0], project=Project.objects.get(key="case-misato-kodomo-data"), question_set=question_set,
    title="同時保存の検証", standpoint="resident", organisation=group,
)
keys = list(
    question_set.questions.exclude(type=Question.Type.INVENTORY).values_list("key", flat=True)[: args["questions"]]
)
print({MARKER!r} + json.dumps({{"assessment": assessment.pk, "questions": keys}}))
"""

READ_BACK = f"""
from django.db import connection
from assessments.models import Answer, AnswerHistory

pk = json.loads(sys.argv[1])
answers = {{
    a["question__key"]: {{"note": a["note"], "version": a["note_version"]}}
    for a in Answer.objects.filter(assessment_id=pk).values("question__key", "note", "note_version")
}}
history = [
    {{"question": h["question__key"], "revision": h["revision"], "note": (h["new"] or {{}}).get("note")}}
    for h in AnswerHistory.objects.filter(assessment_id=pk).values("question__key", "revision", "new")
]
print({MARKER!r} + json.dumps({{"answers": answers, "history": history, "vendor": connection.vendor,
                              "server": connection.cursor().connection.info.server_version
                              if connection.vendor == "postgresql" else None}}))
"""


def prepare(env: dict, clients: int) -> dict:
    """Migrate, seed, and create the users, their organisation and the shared assessment (in one
    interpreter: each start of Django costs about half a second)."""
    users = [f"saver{i + 1}" for i in range(clients)]
    made = _django_script(
        env, SET_UP, {"users": users, "password": PASSWORD, "questions": SHARED_QUESTIONS + clients},
        "migrate, seed and set-up"
    )
    if len(made["questions"]) < SHARED_QUESTIONS + clients:
        raise RuntimeError(f"the question set has too few questions for {clients} clients")
    return {"users": users, **made}


def read_back(env: dict, assessment: int) -> dict:
    return _django_script(env, READ_BACK, assessment, "reading the database back")


def sqlite_journal_mode(database_url: str) -> str:
    path = database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path, timeout=20)) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


# --- gunicorn -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict, workers: int, workdir: str, name: str = "gunicorn", *, config: bool = False,
             ready_path: str = "/accounts/login/", ready_statuses: tuple = (200,)):
    """gunicorn serving dxpia on a free loopback port until the block ends (also on error).
    Yields (base URL, log path); the log is ``name``.log in ``workdir``. With ``config``, started as
    in production: with the repository's dxpia/gunicorn_conf.py, told its port and workers through the
    environment. It counts as started when ``ready_path`` answers with one of ``ready_statuses``."""
    port = free_port()
    log_path = os.path.join(workdir, f"{name}.log")
    if config:
        command = ["-c", "python:dxpia.gunicorn_conf", "dxpia.wsgi"]
        env = {**env, "DXPIA_PORT": str(port), "DXPIA_WORKERS": str(workers)}
    else:
        command = ["dxpia.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--graceful-timeout", "10",
                   "--timeout", "60"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *command],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the workers go with it if it must be killed
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_answering(process, base_url + ready_path, log_path, ready_statuses)
        yield base_url, log_path
    finally:
        _stop(process)


def _wait_until_answering(process, url: str, log_path: str, statuses: tuple = (200,)) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            with opener.open(url, timeout=5) as response:
                if response.status in statuses:
                    return
        except urllib.error.HTTPError as error:
            if error.code in statuses:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT} s:\n{_tail(log_path)}")


def _stop(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def _tail(path: str, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    return ""


# --- The clients ----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is the answer itself (the sign-in's 302), not followed


class Browser:
    """One signed-in person: a cookie jar and the CSRF header, over urllib (no proxy, no redirects)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read(), error.headers

    def sign_in(self, username: str, password: str) -> None:
        status, body, _url = self.request("/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or match is None:
            raise RuntimeError(f"{username}: the login page answered {status} without a CSRF token")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
        ).encode()
        status, _body, headers = self.request(
            "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        location = headers.get("Location", "")
        if status != 302 or "/accounts/login/" in location or not self.cookie("sessionid"):
            raise RuntimeError(f"{username} could not sign in (status {status}, to {location!r})")

    def autosave(self, assessment: int, save: Save) -> None:
        body = json.dumps(
            {"question": save.question, "part": "note", "base": save.base, "value": save.note, "mark": ""}
        ).encode()
        try:
            status, raw, _headers = self.request(
                f"/assessments/{assessment}/autosave/",
                body,
                {"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken")},
            )
        except (OSError, urllib.error.URLError) as error:  # no HTTP answer at all
            save.error = f"{type(error).__name__}: {error}"
            return
        save.status = status
        try:
            answer = json.loads(raw)
        except ValueError:
            save.error = raw.decode("utf-8", "replace")
            return
        save.version, save.revision, save.stored = answer.get("version"), answer.get("revision"), answer.get("stored")
        if status not in (200, 409):
            save.error = json.dumps(answer, ensure_ascii=False)


def client_loop(number: int, browser: Browser, assessment: int, own: str, shared: list[str], saves: int,
                rng: random.Random, deadline: float, log: list[Save]) -> None:
    """``saves`` background saves by one client; each is appended to ``log`` once answered."""
    bases: dict[str, int] = {}  # question -> the version this client last got
    last_own = None  # this client's last accepted note on its own question
    retry = None  # (question, note) to send again on the adopted version, after a 409
    for n in range(saves):
        if time.monotonic() > deadline:
            break
        if retry is not None:
            (question, note), kind, retry = retry, "overwrite", None
        elif last_own is not None and n % REPEAT_EVERY == REPEAT_EVERY - 1:
            question, note, kind = own, last_own, "repeat"
        else:
            question = rng.choice(shared) if rng.random() < SHARED_SHARE else own
            note, kind = f"利用者{number}の{n + 1}回目の補足（{question}）", "new"
        save = Save(client=number, number=n, question=question, kind=kind, base=bases.get(question, 0), note=note)
        browser.autosave(assessment, save)
        log.append(save)
        if save.status == 200 and isinstance(save.version, int):
            bases[question] = save.version
            if question == own:
                last_own = note
        elif save.status == 409 and isinstance(save.version, int) and rng.random() < ADOPT_SHARE:
            bases[question] = save.version  # adopt the stored version: the next save overwrites it
            retry = (question, note)


def run_clients(base_url: str, prepared: dict, saves: int, seed: int, time_limit: float) -> tuple[list[Save], dict]:
    """Sign every client in, then let them all save at once. Returns the saves and the seconds that
    signing in and saving took."""
    users, assessment = prepared["users"], prepared["assessment"]
    shared, own = prepared["questions"][:SHARED_QUESTIONS], prepared["questions"][SHARED_QUESTIONS:]
    logs: list[list[Save]] = [[] for _ in users]
    errors: list[str] = []
    start = threading.Barrier(len(users), timeout=START_TIMEOUT + REQUEST_TIMEOUT)
    deadline_box = {}

    def work(i: int) -> None:
        try:
            browser = Browser(base_url)
            browser.sign_in(users[i], PASSWORD)
            if start.wait() == 0:
                deadline_box["started"] = time.monotonic()
                deadline_box["at"] = deadline_box["started"] + time_limit
            start.wait()  # the deadline is set before anyone starts
            client_loop(i + 1, browser, assessment, own[i], shared, saves, random.Random(seed * 1000 + i),
                        deadline_box["at"], logs[i])
        except Exception as error:  # noqa: BLE001 - reported as a failed check
            errors.append(f"client {i + 1}: {type(error).__name__}: {error}")
            start.abort()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(users))]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    join_by = time.monotonic() + START_TIMEOUT + 2 * REQUEST_TIMEOUT + time_limit
    for thread in threads:
        thread.join(timeout=max(0.0, join_by - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        errors.append("some clients did not finish in time")
    if errors:
        raise RuntimeError("; ".join(dict.fromkeys(errors)))
    timings = {"sign_in": deadline_box["started"] - began, "saving": time.monotonic() - deadline_box["started"]}
    return [save for log in logs for save in log], timings


# --- The checks -----------------------------------------------------------------------------------


def check(saves: list[Save], stored: dict, *, clients: int, planned: int) -> tuple[dict, list[str]]:
    """Compare what the clients were told with what the database holds. Returns counts and failures."""
    failures: list[str] = []
    answers, history = stored["answers"], stored["history"]
    # A 200 or 409 whose body was not JSON counts with the other statuses.
    accepted = [s for s in saves if s.status == 200 and not s.error]
    changes = [s for s in accepted if s.kind != "repeat"]
    repeats = [s for s in accepted if s.kind == "repeat"]
    conflicts = [s for s in saves if s.status == 409 and not s.error]
    others = [s for s in saves if s.status not in (200, 409) or s.error]
    locked = [s for s in saves if "database is locked" in s.error]
    adopted = [s for s in saves if s.kind == "overwrite"]

    if len(saves) != planned:
        failures.append(f"{planned} saves were planned, {len(saves)} were answered in time")
    if others:
        statuses = Counter(s.status for s in others)
        examples = "; ".join(f"{s.status}: {s.summary()}" for s in others[:3])
        failures.append(f"{len(others)} saves got another status than 200/409 {dict(statuses)} "
                        f"({len(locked)} 'database is locked'): {examples}")

    # Accepted changes: one history row each, made on top of the version the save was based on, with
    # a version and a revision of its own.
    rows = Counter((h["question"], h["revision"], h["note"]) for h in history)
    missing = [s for s in changes if rows[(s.question, s.revision, s.note)] != 1]
    if missing:
        failures.append(f"{len(missing)} accepted saves have no (or more than one) history row, e.g. "
                        f"{missing[0].question} revision {missing[0].revision}")
    touched = {s.question for s in saves}
    ours = [h for h in history if h["question"] in touched]
    if len(ours) != len(changes):
        failures.append(f"{len(ours)} history rows for {len(changes)} accepted changes")
    stale = [s for s in changes if s.version != s.base + 1]
    if stale:
        failures.append(f"{len(stale)} accepted saves were not made on top of their base, e.g. "
                        f"{stale[0].question}: base {stale[0].base}, new version {stale[0].version}")
    versions = defaultdict(list)
    for s in changes:
        versions[s.question].append(s.version)
    for question, got in sorted(versions.items()):
        if sorted(got) != list(range(1, len(got) + 1)):
            failures.append(f"{question}: the accepted saves got versions {sorted(got)}, not 1..{len(got)}")
    revisions = Counter(s.revision for s in changes)
    if any(n > 1 for n in revisions.values()):
        failures.append(f"{sum(n > 1 for n in revisions.values())} revisions were given to more than one save")
    unchanged = [s for s in repeats if s.version != s.base]
    if unchanged:
        failures.append(f"{len(unchanged)} unchanged resends got a new version")

    # Conflicts: the stored version is newer than the base, and it is what the save of that version sent.
    by_version = {(s.question, s.version): s.note for s in changes}
    unreal = [s for s in conflicts if not (isinstance(s.version, int) and s.version > s.base and s.stored != s.note)]
    if unreal:
        failures.append(f"{len(unreal)} 409s were no conflict, e.g. {unreal[0].question}: base {unreal[0].base}, "
                        f"stored version {unreal[0].version}")
    wrong = [s for s in conflicts if (s.question, s.version) in by_version and by_version[(s.question, s.version)] != s.stored]
    if wrong:
        failures.append(f"{len(wrong)} 409s showed another stored note than the save of that version sent")

    # The stored note of each question is that of its accepted save with the highest version.
    matching = 0
    for question in sorted(touched):
        if not versions.get(question):
            continue
        top = max((s for s in changes if s.question == question), key=lambda s: s.version)
        answer = answers.get(question)
        if answer is None or (answer["note"], answer["version"]) != (top.note, top.version):
            failures.append(f"{question}: stored note version {answer and answer['version']} is not the accepted "
                            f"save with the highest version ({top.version})")
        else:
            matching += 1

    if clients > 1 and not others:
        if not conflicts:
            failures.append("no save met a conflict: the conflict path was not exercised")
        if not any(s.status == 200 and not s.error for s in adopted):
            failures.append("no deliberate overwrite after a 409 was accepted: that path was not exercised")

    counts = {
        "saves": len(saves),
        "accepted": len(accepted),
        "accepted_changes": len(changes),
        "accepted_unchanged": len(repeats),
        "conflicts": len(conflicts),
        "other": len(others),
        "database_locked": len(locked),
        "overwrites_sent": len(adopted),
        "overwrites_accepted": sum(s.status == 200 and not s.error for s in adopted),
        "history_rows": len(ours),
        "history_matched": len(changes) - len(missing),
        "questions": len([q for q in touched if versions.get(q)]),
        "questions_matching": matching,
    }
    return counts, failures


def run(*, clients: int = 8, saves: int = 50, workers: int = 4, database_url: str | None = None,
        seed: int = 1, time_limit: float = 300, out=print) -> Result:
    """Everything: fresh database, gunicorn, the clients, the checks. Prints as it goes through ``out``."""
    lines: list[str] = []

    def say(text: str) -> None:
        lines.append(text)
        out(text)

    started = time.monotonic()
    with fresh_database(database_url) as (url, workdir, kind):
        env = django_environment(url, workdir)
        say(f"{clients} clients x {saves} background saves of notes, gunicorn with {workers} workers, "
            f"a fresh {'SQLite file' if kind == 'sqlite' else 'PostgreSQL database'}")
        prepared = prepare(env, clients)
        say(f"migrated, seeded and set up in {time.monotonic() - started:.1f} s")
        booting = time.monotonic()
        with gunicorn(env, workers, workdir) as (base_url, log_path):
            say(f"gunicorn answered after {time.monotonic() - booting:.1f} s")
            saves_made, timings = run_clients(base_url, prepared, saves, seed, time_limit)
            log_locked = Path(log_path).read_text(errors="replace").count("database is locked")
        stored = read_back(env, prepared["assessment"])
        journal = sqlite_journal_mode(url) if kind == "sqlite" else None
    counts, failures = check(saves_made, stored, clients=clients, planned=clients * saves)
    counts["log_database_locked"] = log_locked
    version = stored["server"] or 0
    server = f"SQLite, journal_mode={journal}" if kind == "sqlite" else f"PostgreSQL {version // 10000}.{version % 10000}"
    shared = prepared["questions"][:SHARED_QUESTIONS]
    say(f"server: {server}")
    say(f"saves: {counts['saves']} ({sum(s.question in shared for s in saves_made)} on the {SHARED_QUESTIONS} shared "
        f"questions, the others each on its client's own question) in {timings['saving']:.1f} s, "
        f"after signing in in {timings['sign_in']:.1f} s")
    say(f"accepted (200): {counts['accepted']} ({counts['accepted_changes']} changes, "
        f"{counts['accepted_unchanged']} unchanged resends)")
    say(f"conflicts (409): {counts['conflicts']}; deliberate overwrites after a 409: {counts['overwrites_sent']} sent, "
        f"{counts['overwrites_accepted']} accepted")
    say(f"other statuses: {counts['other']} ('database is locked': {counts['database_locked']} in responses, "
        f"{log_locked} in the server log)")
    say(f"history rows: {counts['history_rows']}, matching an accepted change: {counts['history_matched']}")
    say(f"questions whose stored note is the accepted save with the highest version: "
        f"{counts['questions_matching']} of {counts['questions']}")
    for failure in failures:
        say(f"FAILED: {failure}")
    say("all checks passed" if not failures else f"{len(failures)} checks failed")
    say(f"total time {time.monotonic() - started:.1f} s")
    return Result(counts=counts, failures=failures, lines=lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--saves", type=int, default=50, help="background saves per client")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--database-url", default=None,
                        help="postgres://… of a server to create a fresh database on (default: SQLite in a temp dir)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the clients' choices")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds the clients may take at most")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 1 <= args.saves <= 10_000 or not 1 <= args.workers <= 32:
        parser.error("--clients 1..64, --saves 1..10000, --workers 1..32")
    try:
        result = run(clients=args.clients, saves=args.saves, workers=args.workers, database_url=args.database_url,
                     seed=args.seed, time_limit=args.time_limit)
    except (RuntimeError, ValueError, OSError, subprocess.SubprocessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
