"""Hostile input, as a matrix: every payload class through every entry point, and what a user then sees.

For each (entry point, payload) the module checks three things, each in its own test:

* never a server error (5xx, or an exception out of an import);
* either the input is refused with a message the user sees (a 4xx, a form shown again with its
  error, an error message after a redirect, a refused file) and nothing of it is stored, or it is
  stored inert: no lone surrogate, no U+FFFE/U+FFFF, no NUL or other C0 control but tab and
  newline, and otherwise as typed (never silently cut);
* answers saved before (a sentinel in the same assessment, and a bystander assessment) are unchanged.

Then, per payload, every page and export of the assessment that received it still opens and shows
it inert (escaped HTML, no javascript:/data:/file: links, no live spreadsheet formula).

Speed: the database content every test reads (catalogue, question set, users, and one assessment
per payload that went through every entry point) is made once per module inside one transaction
that is rolled back at the end; the tests themselves only read. Each entry point is driven once per
payload, and what happened is recorded; a request that fails with a 500 is recorded with its
traceback instead of stopping the run (``Client(raise_request_exception=False)``).
"""

import csv
import html
import io
import json
import re
import sys
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse
from django.utils.html import escape

from tests.forms_helper import read_form

# Every test reads the module's shared data (``world``); the mark also makes pytest-django set up
# the test database when only some of these tests are selected.
pytestmark = pytest.mark.django_db

# --- Payloads -------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
TOO_LONG = "too-long"  # its text depends on the field: one character over that field's limit

PAYLOADS = {
    "surrogates": "x\ud800y\uffffz",
    "controls": "a\x00b\x1bc\x7f",
    "formula-hyperlink": '=HYPERLINK("http://evil.example/","x")',
    "formula-dde": "=cmd|' /C calc'!A0",
    "formula-plus": "+1+1",
    "formula-minus": "-2+3",
    "formula-at": "@SUM(1)",
    "formula-tab": "\t=1",
    "formula-cr": "\r=1",
    "script": SCRIPT,
    "attribute-break": '"><img src=x onerror=alert(1)>',
    "url-javascript": "javascript:alert(1)",
    "url-data": "data:text/html,<script>alert(1)</script>",
    "url-file": "file:///etc/passwd",
    "url-loopback": "http://127.0.0.1:8000/admin/",
    "url-metadata": "http://169.254.169.254/latest/meta-data/",
    TOO_LONG: None,
}
NUMBERS = {
    "number-tiny-exponent": "1E-99999999",
    "number-huge-exponent": "1e999",
    "number-400-digits": "9" * 400,
}
FORMULAS = [pid for pid in PAYLOADS if pid.startswith("formula-")]
URLS = [pid for pid in PAYLOADS if pid.startswith("url-")]

# Limits of the fields (README, answer_values, the models): one character more is too long.
TEXT, SHORT, TITLE, SOURCE_TITLE, URL, COMMENT = 20_000, 1_000, 200, 300, 2_000, 5_000


def text_of(pid: str, limit: int = TEXT) -> str:
    payload = PAYLOADS.get(pid) or NUMBERS.get(pid)
    return "長" * (limit + 1) if pid == TOO_LONG else payload


# Text entry points take the text payloads; number entry points take every payload (text sent to a
# number must be refused, like the three numbers).
TEXT_ENTRIES = (
    "projects-command", "projects-admin", "start-title",
    "section-note", "section-source", "section-text-answer",
    "autosave-value", "autosave-note", "autosave-source", "autosave-rows",
    "comment", "opinion", "resident-views", "letter-settings",
    "import-file", "import-command",
)
NUMBER_ENTRIES = ("section-number", "autosave-number", "import-number", "projects-amount")
# Entry points where every payload must be refused: numbers, and a choice question's value.
STRICT_ENTRIES = (*NUMBER_ENTRIES, "autosave-choice")

# The section page's number question gets the numbers and the two texts that look like sums; every
# text payload reaches a number field through the other number entry points (a refused section
# post renders the whole page again, the slow part of this module).
SECTION_NUMBER_TEXTS = ("formula-plus", "formula-minus")


def takes(entry: str, pid: str) -> bool:
    if entry == "section-number":
        return pid in NUMBERS or pid in SECTION_NUMBER_TEXTS
    return pid in PAYLOADS or entry in STRICT_ENTRIES


CASES = [(entry, pid) for pid in [*PAYLOADS, *NUMBERS] for entry in (*TEXT_ENTRIES, *STRICT_ENTRIES) if takes(entry, pid)]


def must_refuse(entry: str, pid: str) -> bool:
    return pid == TOO_LONG or entry in STRICT_ENTRIES


# Known bugs: (test, entry, payload) -> reason (and a few keys of single tests); those tests are
# strict xfails, so that they fail loudly once the bug is fixed.
BUGS: dict[tuple, str] = {}


def cases(test: str):
    params = []
    for entry, pid in CASES:
        reason = BUGS.get((test, entry, pid))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(entry, pid, id=f"{entry}-{pid}", marks=marks))
    return params


# --- What may not be stored -----------------------------------------------------------------------

BAD_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


def bad_characters(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in BAD_CHARACTERS.findall(text)]


def cleaned(payload: str) -> str:
    """The payload as it may be stored: newlines normalised, forbidden characters gone."""
    return BAD_CHARACTERS.sub("", payload.replace("\r\n", "\n").replace("\r", "\n"))


def comparable(text: str) -> str:
    """For comparing stored text with the payload: a lone surrogate sent in a form body arrives as
    invalid UTF-8 bytes, which Django reads as U+FFFD; fields may strip outer whitespace."""
    return text.replace("\ufffd", "").strip()


def strings_in(value):
    """Every string in a JSON-like value (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings_in(item)


# --- The record of each entry point ---------------------------------------------------------------


@dataclass
class Outcome:
    status: object = None  # HTTP status, or "ok"/"refused" for commands and imports
    crash: str = ""  # a 5xx or an exception: the end of its traceback
    refused: bool = False
    message: str = ""  # what the user is told when refused
    shown: bool = True  # whether that message is on the page the user gets
    before: list = field(default_factory=list)  # the texts concerned, before
    stored: list = field(default_factory=list)  # and after
    sentinel: dict = field(default_factory=dict)  # the sentinel answers after
    sentinel_expected: dict = field(default_factory=dict)
    preview: str = ""  # the admin's import: the title its preview showed


def crash_text(exc_info) -> str:
    lines = traceback.format_exception(*exc_info)
    return "".join(lines[-4:]).strip()


def http_outcome(response) -> Outcome:
    outcome = Outcome(status=response.status_code)
    if response.status_code >= 500:
        info = getattr(response, "exc_info", None)
        outcome.crash = crash_text(info) if info else f"HTTP {response.status_code}"
    return outcome


def form_post(client, url, fields: dict):
    """A form post as bytes on the wire: a lone surrogate goes out as the (invalid) UTF-8 bytes a
    hostile client can send; browsers would send U+FFFD."""
    body = urlencode(fields, doseq=True, encoding="utf-8", errors="surrogatepass")
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def as_browser_sends(attribute: str) -> str:
    """An attribute value as a browser submits it: character references resolved, newlines
    normalised (CR LF and CR become LF) and NUL replaced by U+FFFD, as the HTML parser does."""
    return html.unescape(attribute).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def flash_messages(response, level=message_levels.ERROR) -> list[str]:
    """The messages this request added (shown on the page it redirects to); not older ones that the
    client's cookie still carries."""
    storage = get_messages(response.wsgi_request)
    return [str(m) for m in storage._queued_messages if m.level == level]


# --- The shared data ------------------------------------------------------------------------------

SENTINEL = {
    "a-plan-published": ("done", "前から保存されている補足（A）"),
    "c-beyond-purpose": ("with-basis", "前から保存されている補足（C）"),
    "screening-handlers": ("1200", "前から保存されている補足（S）"),
    "h-own-services-list": ("前から保存されている独自サービスの一覧", ""),
}
MISATO = "case-misato-kodomo-data"
CSV_HEADER = ["key", "municipality_code", "title", "program", "fiscal_year", "amount_thousand_yen",
              "amount_note", "source_row", "categories", "description"]


def sentinel_state(assessment) -> dict:
    from assessments.models import Answer

    answers = Answer.objects.filter(assessment=assessment, question__key__in=list(SENTINEL)).prefetch_related("evidence")
    return {a.question.key: (a.value, a.note, [(e.title, e.url) for e in a.evidence.all()])
            for a in answers.select_related("question")}


def misato_state() -> dict:
    """The catalogue's project that no import may touch."""
    from assessments.models import Project

    return Project.objects.filter(key=MISATO).values("title", "program", "description", "amount_thousand_yen").get()


def save_sentinel(assessment, user):
    from assessments.answer_saving import AnswerChange
    from tests.conftest import save_now

    questions = {q.key: q for q in assessment.question_set.questions.filter(key__in=list(SENTINEL))}
    save_now(assessment, user, {questions[k]: AnswerChange(value=v, note=n) for k, (v, n) in SENTINEL.items()})


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


def project_row(key: str, pid: str) -> list[str]:
    return [key, "112038", text_of(pid, TITLE), text_of(pid, 200), "2024", "", text_of(pid), "", "", text_of(pid)]


class Scenario:
    """Drives every entry point with one payload; records an Outcome for each."""

    def __init__(self, world, pid, index, tmp):
        self.world, self.pid, self.index, self.tmp = world, pid, index, tmp
        self.outcomes: dict[str, Outcome] = {}
        self.assessment = None
        self.imported = None  # the assessment made by the import-file entry point, for the page tests
        self.made = None  # the assessment the last import made
        self.projects: dict[str, str] = {}

    # The sentinel: the bystander assessment always, this payload's assessment once it exists.
    def sentinels(self) -> dict:
        state = {"bystander": sentinel_state(self.world["bystander"])}
        if self.assessment is not None:
            state["assessment"] = sentinel_state(self.assessment)
        return state

    def record(self, entry, run):
        """Run one entry point; keep what happened and the sentinels before and after."""
        expected = {**self.sentinels(), "misato": misato_state()}
        try:
            outcome = run()
        except Exception:  # noqa: BLE001 - anything unexpected is the finding
            outcome = Outcome(status="exception", crash=crash_text(sys.exc_info()))
        after = {**self.sentinels(), "misato": misato_state()}
        outcome.sentinel = {name: state for name, state in after.items() if name in expected}
        outcome.sentinel_expected = expected
        if self.made is not None:  # an import made an assessment: its sentinel answers came in the file
            outcome.sentinel["imported"] = sentinel_state(self.made)
            outcome.sentinel_expected["imported"] = expected["assessment"]
            self.made = None
        self.outcomes[entry] = outcome
        return outcome

    # --- Projects: the CSV import, by command and by the admin's upload -------------------------

    def projects_command(self, entry="projects-command", key=None, row=None):
        from assessments.models import Project

        key = key or f"hm-{self.index}-cmd"
        row = row or project_row(key, self.pid)
        path = self.tmp / f"{key}.csv"
        path.write_bytes(csv_bytes([row]))

        def run():
            before_count = Project.objects.count()
            out = io.StringIO()
            try:
                if entry == "projects-command":
                    call_command("import_projects", str(path), "--dry-run", stdout=out)
                    assert Project.objects.count() == before_count, "--dry-run wrote"
                call_command("import_projects", str(path), stdout=out)
            except CommandError as error:
                created = Project.objects.filter(key=key).exists() or Project.objects.count() != before_count
                return Outcome(status="refused", refused=True, message=str(error),
                               stored=["<a project was written>"] if created else [])
            project = Project.objects.get(key=key)
            self.projects[entry] = key
            fields = ("amount_thousand_yen",) if entry == "projects-amount" else ("title", "program", "amount_note", "description")
            return Outcome(status="ok", stored=[str(getattr(project, name)) for name in fields])

        return self.record(entry, run)

    def projects_admin(self):
        from assessments.models import Project

        key = f"hm-{self.index}-adm"
        client, url = self.world["alice_client"], reverse("admin:assessments_project_import")

        def run():
            before_count = Project.objects.count()
            upload = SimpleUploadedFile("projects.csv", csv_bytes([project_row(key, self.pid)]), content_type="text/csv")
            preview = client.post(url, {"file": upload})
            outcome = http_outcome(preview)
            if outcome.crash:
                return outcome
            page = preview.content.decode()
            errors = re.findall(r'<ul class="errorlist" id="(?:import|file)-errors">(.*?)</ul>', page, re.S)
            if errors:
                message = html.unescape(re.sub(r"<[^>]+>", " ", " ".join(errors))).strip()
                outcome.refused, outcome.message = True, message
                outcome.stored = ["<a project was written>"] if Project.objects.count() != before_count else []
                return outcome
            form = re.search(r'<form method="post"[^>]*>(?:(?!</form>).)*name="confirm"(?:(?!</form>).)*</form>', page, re.S)
            assert form, "the preview shows no error and offers no confirmation"
            fields = {html.unescape(n): as_browser_sends(v) for n, v in
                      re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))}
            shown = re.search(r"<tbody><tr><td>\d+</td><td>[^<]*</td><td>[^<]*</td><td>(.*?)</td>", page, re.S)
            confirm = client.post(url, fields)
            outcome = http_outcome(confirm)
            if outcome.crash:
                return outcome
            if confirm.status_code != 302:
                errors = re.findall(r'id="import-errors">(.*?)</ul>', confirm.content.decode(), re.S)
                outcome.refused, outcome.message = True, html.unescape(re.sub(r"<[^>]+>", " ", " ".join(errors))).strip()
                return outcome
            project = Project.objects.get(key=key)
            self.projects["projects-admin"] = key
            outcome.stored = [project.title, project.program, project.amount_note, project.description]
            outcome.preview = html.unescape(shown.group(1)) if shown else "<the preview shows no title>"
            return outcome

        return self.record("projects-admin", run)

    # --- The start form ------------------------------------------------------------------------

    def start(self):
        from assessments.models import Assessment, Project

        key = self.projects.get("projects-admin", MISATO)
        client = self.world["bob_client"]

        def run():
            before_count = Assessment.objects.count()
            response = form_post(client, reverse("assessment_start", args=[key]), {
                "organisation": "", "question_set": self.world["qs"].pk, "title": text_of(self.pid, TITLE),
                "standpoint": "resident",
            })
            outcome = http_outcome(response)
            if outcome.crash:
                return outcome
            if response.status_code == 302:
                match = resolve(response["Location"].split("?")[0])
                self.assessment = Assessment.objects.get(pk=match.kwargs["pk"])
                outcome.stored = [self.assessment.title]
                return outcome
            outcome.refused = True
            form = response.context["form"]
            messages = [m for errors in form.errors.values() for m in errors]
            outcome.message = " ".join(messages)
            outcome.shown = bool(messages) and all(escape(m) in response.content.decode() for m in messages)
            outcome.stored = ["<an assessment was made>"] if Assessment.objects.count() != before_count else []
            return outcome

        outcome = self.record("start-title", run)
        if self.assessment is None:  # refused: the payload's other entry points need an assessment
            self.assessment = self.new_assessment(f"評価（{self.pid}）", Project.objects.get(key=key))
        else:
            self.prepare(self.assessment)
        return outcome

    def new_assessment(self, title, project=None):
        from assessments.answer_saving import assessment_create
        from assessments.models import Project

        made = assessment_create(user=self.world["bob"], project=project or Project.objects.get(key=MISATO),
                                 question_set=self.world["qs"], title=title, standpoint="resident")
        self.prepare(made)
        return made

    def prepare(self, assessment):
        from assessments.models import Reviewer

        Reviewer.objects.get_or_create(assessment=assessment, user=self.world["rita"], defaults={"kind": "resident"})
        save_sentinel(assessment, self.world["bob"])

    # --- The section form ------------------------------------------------------------------------

    def section_post(self, section_key, changes, parts: dict[str, tuple[str, callable]]):
        """One post of a section page; ``parts`` maps an entry id to (the id prefix of its fields,
        a function giving its stored texts)."""
        client = self.world["bob_client"]
        url = reverse("assessment_section", args=[self.assessment.pk, section_key])
        data = self.section_form(client, url, section_key)
        data.update(changes)
        data["goto"] = section_key
        before = {entry: stored() for entry, (_prefix, stored) in parts.items()}
        expected = {**self.sentinels(), "misato": misato_state()}  # before the post, for every part
        response = form_post(client, url, data)
        page = response.content.decode(errors="replace")
        for entry, (prefix, stored) in parts.items():
            def run(entry=entry, prefix=prefix, stored=stored):
                outcome = http_outcome(response)
                outcome.before = before[entry]
                if outcome.crash:
                    return outcome
                if response.status_code == 400:
                    messages = [m for _q, field_id, m in response.context["error_list"] if field_id.startswith(prefix)]
                    if messages:
                        outcome.refused, outcome.message = True, " ".join(messages)
                        outcome.shown = all(escape(m) in page for m in messages)
                elif response.status_code != 302:
                    outcome.refused, outcome.message = True, f"HTTP {response.status_code}"
                outcome.stored = stored()
                return outcome

            self.record(entry, run)
            self.outcomes[entry].sentinel_expected.update(expected)

    def section_form(self, client, url, section_key) -> dict:
        """The section's form as the page submits it (tests.forms_helper.read_form). Every payload's
        assessment is in the same state when its section is posted, so the page is read once per
        section and only its version tokens are taken anew, from the database, as the page would
        show them (rendering a section page is the slow part of this module)."""
        from assessments.answer_saving import part_version, stored_part
        from assessments.forms import part_token, part_token_name, parts_of
        from assessments.models import Answer, Question

        forms = self.world["section_forms"]
        if section_key not in forms:
            forms[section_key] = read_form(client.get(url).content.decode())
        data = dict(forms[section_key])
        answers = {a.question.key: a for a in Answer.objects.filter(
            assessment=self.assessment, question__section__key=section_key).select_related("question")}
        for question in Question.objects.filter(question_set=self.assessment.question_set, section__key=section_key):
            for part in parts_of(question):
                answer = answers.get(question.key)
                data[part_token_name(question, part)] = part_token(part_version(answer, part), stored_part(answer, part))
        return data

    def answer(self, key, assessment=None):
        from assessments.models import Answer

        return Answer.objects.filter(assessment=assessment or self.assessment, question__key=key).first()

    def stored_value(self, key, assessment=None):
        answer = self.answer(key, assessment)
        value = answer.value if answer else None
        return [] if value in (None, "") else [value if isinstance(value, str) else json.dumps(value)]

    def stored_note(self, key, assessment=None):
        answer = self.answer(key, assessment)
        return [answer.note] if answer and answer.note else []

    def stored_sources(self, key, assessment=None, fields=("title", "url")):
        answer = self.answer(key, assessment)
        return [getattr(e, name) for e in answer.evidence.all() for name in fields] if answer else []

    def sections(self):
        pid = self.pid
        self.section_post("a", {
            "q-a-public-comment": "done",
            "note-a-public-comment": text_of(pid),
            "ev-a-public-comment-0-title": text_of(pid, SOURCE_TITLE),
            "ev-a-public-comment-0-url": text_of(pid, URL),
        }, {
            "section-note": ("id_note-a-public-comment", lambda: self.stored_note("a-public-comment")),
            "section-source": ("id_ev-a-public-comment-", lambda: self.stored_sources("a-public-comment")),
        })
        self.section_post("c", {"q-c-legal-article": text_of(pid, SHORT)}, {
            "section-text-answer": ("id_q-c-legal-article", lambda: self.stored_value("c-legal-article")),
        })

    def section_number(self):
        if not takes("section-number", self.pid):
            return
        self.section_post("screening", {"q-screening-persons-covered": text_of(self.pid)}, {
            "section-number": ("id_q-screening-persons-covered", lambda: self.stored_value("screening-persons-covered")),
        })

    # --- The background save ---------------------------------------------------------------------

    def autosave(self, entry, key, part, value, stored):
        from assessments.answer_saving import part_version

        client = self.world["bob_client"]

        def run():
            before = stored()
            body = json.dumps({"question": key, "part": part, "base": part_version(self.answer(key), part),
                               "value": value, "mark": ""})  # ensure_ascii: a lone surrogate goes as "\ud800"
            response = client.post(reverse("assessment_autosave", args=[self.assessment.pk]), body,
                                   content_type="application/json")
            outcome = http_outcome(response)
            outcome.before = before
            if outcome.crash:
                return outcome
            reply = response.json()
            if response.status_code != 200 or not reply.get("ok"):
                outcome.refused = True
                outcome.message = reply.get("error", "")
            outcome.stored = stored()
            return outcome

        return self.record(entry, run)

    def autosaves(self):
        pid = self.pid
        self.autosave("autosave-value", "c-legal-article", "value", text_of(pid, SHORT),
                      lambda: self.stored_value("c-legal-article"))
        self.autosave("autosave-note", "a-stakeholders-heard", "note", text_of(pid),
                      lambda: self.stored_note("a-stakeholders-heard"))
        self.autosave("autosave-source", "d-contract-document", "evidence",
                      [{"title": text_of(pid, SOURCE_TITLE), "url": text_of(pid, URL), "note": text_of(pid)}],
                      lambda: self.stored_sources("d-contract-document", fields=("title", "url", "note")))

    def autosave_rows(self):
        """The data inventory (b-inventory): its rows go to the report and the XLSX's second sheet."""
        from assessments.models import InventoryRow

        pid = self.pid
        row = {"data_item": text_of(pid, 200), "held_by": text_of(pid, 200), "purpose": text_of(pid, 300),
               "legal_basis": text_of(pid, 300), "necessity": text_of(pid), "retention": text_of(pid, 200),
               "sensitive": "unknown", "children": "yes", "shared_with_vendor": "unknown"}
        names = ("data_item", "held_by", "purpose", "legal_basis", "necessity", "retention")
        self.autosave("autosave-rows", "b-inventory", "rows", [row], lambda: [
            text for values in InventoryRow.objects.filter(answer__assessment=self.assessment).values_list(*names)
            for text in values if text])

    def autosave_choice(self):
        self.autosave("autosave-choice", "a-public-comment", "value", text_of(self.pid),
                      lambda: self.stored_value("a-public-comment"))

    def autosave_number(self):
        self.autosave("autosave-number", "screening-persons-covered", "value", text_of(self.pid),
                      lambda: self.stored_value("screening-persons-covered"))

    # --- Comments, opinions, residents' views ----------------------------------------------------

    def redirected_post(self, entry, client, url, fields, stored):
        def run():
            before = stored()
            response = form_post(client, url, fields)
            outcome = http_outcome(response)
            outcome.before = before
            if outcome.crash:
                return outcome
            errors = flash_messages(response)
            if response.status_code != 302 or errors:
                outcome.refused = True
                outcome.message = " ".join(errors) or f"HTTP {response.status_code}"
            outcome.stored = stored()
            return outcome

        return self.record(entry, run)

    def reviews(self):
        from assessments.models import Comment, LetterDetails, ResidentViews, ReviewOpinion

        pid, pk, world = self.pid, self.assessment.pk, self.world
        self.redirected_post(
            "comment", world["bob_client"], reverse("comment_add", args=[pk]),
            {"question": "a-public-comment", "text": text_of(pid, COMMENT)},
            lambda: list(Comment.objects.filter(assessment_id=pk).values_list("text", flat=True)),
        )
        self.redirected_post(
            "opinion", world["rita_client"], reverse("opinion_save", args=[pk]),
            {"prefix": "op-overall", "op-overall-section": "", "op-overall-verdict": "conditional",
             "op-overall-text": text_of(pid)},
            lambda: list(ReviewOpinion.objects.filter(assessment_id=pk).values_list("text", flat=True)),
        )
        self.redirected_post(
            "resident-views", world["bob_client"], reverse("resident_views_save", args=[pk]),
            {"sought": "yes", "methods": ["説明会"], "summary": text_of(pid), "response": text_of(pid),
             "reason_not_sought": ""},
            lambda: [t for t in ResidentViews.objects.filter(assessment_id=pk).values_list("summary", "response").first() or () if t],
        )
        self.redirected_post(
            "letter-settings", world["bob_client"], reverse("letter_settings", args=[pk]),
            {"form": "letter", "addressed_to": "head", "sender_name": text_of(pid, 100),
             "sender_organisation": text_of(pid, 200), "sender_contact": text_of(pid, 300), "reply_by": "",
             "version": "0"},
            lambda: [t for t in LetterDetails.objects.filter(assessment_id=pk)
                     .values_list("sender_name", "sender_organisation", "sender_contact").first() or () if t],
        )

    # --- The JSON assessment import ---------------------------------------------------------------

    def assessment_file(self, answers: dict, title: str) -> dict:
        qs = self.world["qs"]
        base = {k: {"value": v, "note": n, "evidence": []} for k, (v, n) in SENTINEL.items()}
        return {
            "format": "dxpia-assessment", "format_version": 1, "project": MISATO,
            "question_set": {"key": qs.key, "version": qs.version},
            "title": title, "standpoint": "resident", "answers": {**base, **answers}, "inventory": [],
        }

    def text_file(self) -> dict:
        pid = self.pid
        return self.assessment_file({
            "a-public-comment": {"value": "done", "note": text_of(pid),
                                 "evidence": [{"title": text_of(pid, SOURCE_TITLE), "url": text_of(pid, URL)}]},
            "c-legal-article": {"value": text_of(pid, SHORT)},
        }, text_of(pid, TITLE))

    def imported_texts(self, made) -> list[str]:
        return [made.title, *self.stored_note("a-public-comment", made), *self.stored_sources("a-public-comment", made),
                *self.stored_value("c-legal-article", made)]

    def import_file(self, entry, data, keep=False):
        from assessments.exchange import AssessmentFileError, assessment_from_data
        from assessments.models import Assessment

        def run():
            before_count = Assessment.objects.count()
            try:
                if entry == "import-command":
                    path = self.tmp / f"assessment-{self.index}.json"
                    path.write_text(json.dumps(data), encoding="utf-8")  # ensure_ascii: surrogates as "\ud800"
                    out = io.StringIO()
                    call_command("import_assessment", str(path), user="bob", stdout=out)
                    made = Assessment.objects.get(pk=int(out.getvalue().strip()))
                else:
                    made = assessment_from_data(data, user=self.world["bob"])
            except (AssessmentFileError, CommandError) as error:
                created = Assessment.objects.count() != before_count
                return Outcome(status="refused", refused=True, message=str(error),
                               stored=["<an assessment was written>"] if created else [])
            self.made = made
            if keep:
                self.imported = made
            return Outcome(status="ok", stored=self.imported_texts(made) if entry != "import-number"
                           else self.stored_value("screening-persons-covered", made))

        return self.record(entry, run)

    def imports(self):
        self.import_file("import-file", self.text_file(), keep=True)
        self.import_file("import-command", self.text_file())

    def import_number(self):
        self.import_file("import-number", self.assessment_file(
            {"screening-persons-covered": {"value": text_of(self.pid)}}, f"数値の取り込み（{self.pid}）"))

    def projects_amount(self):
        key = f"hm-{self.index}-amt"
        row = [key, "112038", "採択額の検査", "", "", text_of(self.pid), "", "", "", ""]
        self.projects_command("projects-amount", key=key, row=row)

    # --- Everything, in the order a project's life would take -----------------------------------

    def run_text(self):
        self.projects_command()
        self.projects_admin()
        self.projects_amount()
        self.start()
        self.sections()
        self.section_number()
        self.autosaves()
        self.autosave_rows()
        self.autosave_choice()
        self.autosave_number()
        self.reviews()
        self.imports()
        self.import_number()
        self.publish_imported()

    def publish_imported(self):
        """The imported assessment goes public, for the pages anyone can open (its workflow is tested
        elsewhere; here only what residents then see)."""
        from django.utils import timezone

        from assessments.models import Assessment

        if self.imported is not None:
            Assessment.objects.filter(pk=self.imported.pk).update(status=Assessment.Status.PUBLISHED,
                                                                  published_at=timezone.now())

    def run_number(self):
        self.projects_amount()
        self.assessment = self.new_assessment(f"数値の評価（{self.pid}）")
        self.section_number()
        self.autosave_choice()
        self.autosave_number()
        self.import_number()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Catalogue, question set, users, a bystander assessment, and every payload through every
    entry point, made once; rolled back when the module ends."""
    from django.contrib.auth import get_user_model

    from assessments import seed
    from assessments.answer_saving import assessment_create
    from assessments.models import Project
    from assessments.questionset_io import questionset_from_data, read_questionset_file
    from tests.conftest import PASSWORD, QUESTIONSET_FILE

    tmp = tmp_path_factory.mktemp("hostile")
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        with django_db_blocker.unblock():
            report = seed.SeedReport()
            seed.seed_municipalities(report)
            seed.seed_projects(report)
            qs = questionset_from_data(read_questionset_file(QUESTIONSET_FILE))
            users = get_user_model().objects
            bob = users.create_user("bob", "bob@example.org", PASSWORD)
            rita = users.create_user("rita", "rita@example.org", PASSWORD)
            alice = users.create_superuser("alice", "alice@example.org", PASSWORD)
            world = {"qs": qs, "bob": bob, "rita": rita, "alice": alice}
            for name, user in (("bob_client", bob), ("rita_client", rita), ("alice_client", alice)):
                world[name] = Client(raise_request_exception=False)
                world[name].force_login(user)
            bystander = assessment_create(user=bob, project=Project.objects.get(key=MISATO), question_set=qs,
                                          title="前からある評価", standpoint="resident")
            save_sentinel(bystander, bob)
            world["bystander"] = bystander
            world["scenarios"], world["section_forms"] = {}, {}
            for index, pid in enumerate([*PAYLOADS, *NUMBERS]):
                scenario = Scenario(world, pid, index, tmp)
                scenario.run_text() if pid in PAYLOADS else scenario.run_number()
                world["scenarios"][pid] = scenario
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def outcome_of(world, entry, pid) -> Outcome:
    return world["scenarios"][pid].outcomes[entry]


def describe(entry, pid, outcome) -> str:
    short = [text[:60] for text in outcome.stored]
    return (f"{entry} with {pid} ({text_of(pid, 40)[:60]!r}): status {outcome.status}, refused {outcome.refused}, "
            f"message {outcome.message[:200]!r}, before {[t[:60] for t in outcome.before]}, stored {short}")


# --- Each entry point, each payload ---------------------------------------------------------------


@pytest.mark.parametrize("entry, pid", cases("server-error"))
def test_never_a_server_error(world, entry, pid):
    outcome = outcome_of(world, entry, pid)
    assert not outcome.crash, f"{entry} with {pid}: {outcome.crash}"
    assert not (isinstance(outcome.status, int) and outcome.status >= 500), describe(entry, pid, outcome)


@pytest.mark.parametrize("entry, pid", cases("refused-or-inert"))
def test_refused_with_a_message_or_stored_inert(world, entry, pid):
    outcome = outcome_of(world, entry, pid)
    assert not outcome.crash, outcome.crash
    if outcome.refused:
        assert outcome.message.strip(), f"refused without a message: {describe(entry, pid, outcome)}"
        assert outcome.shown, f"the message is not on the page: {describe(entry, pid, outcome)}"
        assert outcome.stored == outcome.before, f"refused, yet stored: {describe(entry, pid, outcome)}"
        if isinstance(outcome.status, int):
            assert outcome.status in (200, 302, 400, 403, 404, 409, 413, 415), describe(entry, pid, outcome)
        return
    assert not must_refuse(entry, pid), f"accepted, should be refused with a message: {describe(entry, pid, outcome)}"
    assert outcome.stored, f"neither refused nor stored: {describe(entry, pid, outcome)}"
    for text in outcome.stored:
        assert not bad_characters(text), f"stored {text!r}: {bad_characters(text)} ({entry}, {pid})"
        assert comparable(text) == comparable(cleaned(text_of(pid))), (
            f"stored {text[:80]!r}, not the text as typed {text_of(pid)[:80]!r} ({entry}, {pid})")


@pytest.mark.parametrize("entry, pid", cases("sentinel"))
def test_previously_saved_answers_are_unchanged(world, entry, pid):
    outcome = outcome_of(world, entry, pid)
    for name, state in outcome.sentinel_expected.items():
        assert outcome.sentinel.get(name) == state, f"{entry} with {pid} changed {name}: {outcome.sentinel.get(name)}"
    for name, state in outcome.sentinel.items():
        if name != "misato":
            assert {key: value[:2] for key, value in state.items()} == SENTINEL, f"{name}: {state}"


# --- The pages and exports afterwards -------------------------------------------------------------

BAD_SCHEMES = ("javascript:", "data:", "file:", "vbscript:")
RAW_BAD_HREF = re.compile(r"""href\s*=\s*["']?\s*(?:javascript|data|file|vbscript):""", re.I)


class _Markup(HTMLParser):
    """What the page's markup does: its links and anything the payload could have become."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            squashed = re.sub(r"[\x00-\x20]", "", value).lower()
            if name in ("href", "action", "formaction", "xlink:href") and squashed.startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("src", "srcdoc") and squashed.startswith(("javascript:", "file:", "data:text")):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}> (an event handler)")
            if tag == "img" and name == "src" and value == "x":
                self.problems.append("<img src=x> from the payload")
        if tag in ("a", "area"):
            self.links.append(dict(attrs).get("href") or "")
        if tag == "script":
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(1)" in data:
            self.problems.append("a script element with the payload")


def markup_problems(page: str) -> tuple[list[str], list[str]]:
    reader = _Markup()
    reader.feed(page)
    problems = list(reader.problems)
    if SCRIPT in page:
        problems.append("the raw <script>alert(1)</script>")
    if "<img src=x onerror" in page:
        problems.append("the raw <img src=x onerror=…>")
    if match := RAW_BAD_HREF.search(page):
        problems.append(f"raw {match.group(0)!r}")
    return problems, reader.links


# Section pages where the payload is stored (the number question refuses text, so text payloads
# leave nothing in the screening section); the imported assessment holds the same texts as the
# payload's own, so only its summary, report and export are opened.
TEXT_PAGES = ("section-a", "section-c", "section-d", "summary", "report", "letter", "letter-text", "export-json",
              "review", "history", "project", "imported-summary", "imported-report", "imported-export-json",
              "imported-public")
NUMBER_PAGES = ("section-screening", "summary", "report", "letter", "letter-text", "export-json")
# Sections c and d show their payload the way section a does (an input's value, a source row); they
# are opened for the payloads whose rendering can go wrong (markup, broken characters, size), not for
# the formulas and web URLs, which are plain text to HTML.
RENDERING_MATTERS = ("surrogates", "controls", "script", "attribute-break", "url-javascript", "url-data", TOO_LONG)


def shows(pid: str, page: str) -> bool:
    return page not in ("section-c", "section-d") or pid in RENDERING_MATTERS


PAGE_CASES = [pytest.param(pid, page, id=f"{pid}-{page}") for pid in PAYLOADS for page in TEXT_PAGES if shows(pid, page)] + [
    pytest.param(pid, page, id=f"{pid}-{page}") for pid in NUMBERS for page in NUMBER_PAGES
]


def page_url(scenario, page) -> str:
    assessment = scenario.assessment
    if page.startswith("imported-"):
        if scenario.imported is None:
            pytest.skip("the file was refused (test_refused_with_a_message_or_stored_inert[import-file-…])")
        assessment, page = scenario.imported, page.removeprefix("imported-")
    pk = assessment.pk
    if page.startswith("section-"):
        return reverse("assessment_section", args=[pk, page.removeprefix("section-")])
    if page == "history":
        return reverse("answer_history", args=[pk, "a-public-comment"])
    if page == "project":
        return reverse("project_detail", args=[assessment.project.key])
    if page == "public":
        return reverse("public_assessment", args=[pk])
    name = {"summary": "assessment_summary", "report": "report_preview", "letter": "letter_preview",
            "letter-text": "letter_text", "export-json": "export_assessment_json", "review": "assessment_review"}[page]
    return reverse(name, args=[pk])


@pytest.mark.parametrize("pid, view", PAGE_CASES)
def test_pages_still_open_and_show_the_input_inert(world, pid, view):
    from assessments.models import Evidence

    page, scenario = view, world["scenarios"][pid]
    url = page_url(scenario, page)
    response = (Client(raise_request_exception=False) if page.endswith("public") else world["bob_client"]).get(url)
    info = getattr(response, "exc_info", None)
    assert response.status_code == 200, (url, response.status_code, crash_text(info) if info else "")
    body = response.content.decode("utf-8")
    if page.endswith("export-json"):
        data = json.loads(body)
        for text in strings_in(data):
            assert not bad_characters(text), f"the JSON export holds {text!r}"
        return
    if page == "letter-text":
        assert response["Content-Type"] == "text/plain; charset=utf-8" and response["X-Content-Type-Options"] == "nosniff"
        assert not bad_characters(body), bad_characters(body)
        return
    problems, links = markup_problems(body)
    assert not problems, f"{url}: {problems}"
    if page.endswith("report"):
        # Every stored source URL is listed, and is a link only if it is http(s).
        assessment = scenario.imported if page.startswith("imported-") else scenario.assessment
        urls = list(Evidence.objects.filter(answer__assessment=assessment).exclude(url="").values_list("url", flat=True))
        for source_url in urls:
            assert escape(source_url) in body, f"the report does not show the source URL {source_url!r}"
            if not source_url.lower().startswith(("http://", "https://")):
                assert source_url not in links, f"the non-web source URL {source_url!r} became a link"
        if pid in URLS and pid != TOO_LONG:
            assert urls, "no source URL was stored to check"
        if pid == "script":
            assert escape(SCRIPT) in body, "the script text is not shown (escaped) in the report"


def csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def live_formula_cells(cells) -> list[str]:
    """Cells a spreadsheet would read as a formula: starting with = + - @ tab or CR (also after
    leading spaces), without the quote that makes them text."""
    risky = []
    for cell in cells:
        rest = re.sub(r"^[^\S\t\r]+", "", cell)
        if rest[:1] in ("=", "+", "-", "@", "\t", "\r"):
            risky.append(cell)
    return risky


def formula_payloads_present(cells, where: str):
    """Each formula payload is in the export, behind a quote: the checks above saw it."""
    for pid in FORMULAS:
        core = cleaned(PAYLOADS[pid]).strip()
        assert any(c.startswith("'") and core in c for c in cells), f"{where}: {pid} ({core!r}) not found quoted"


def test_the_assessments_csv_parses_and_has_no_live_formula(world, client):
    client.force_login(world["bob"])
    response = client.get(reverse("export_assessments_csv"))
    assert response.status_code == 200
    cells = csv_cells(b"".join(response.streaming_content))
    assert not live_formula_cells(cells), live_formula_cells(cells)[:10]
    formula_payloads_present(cells, "assessments.csv")
    assert not [c for c in cells if bad_characters(c.replace("\r", "").replace("\t", ""))]


def test_the_projects_csv_parses_and_has_no_live_formula(world, client):
    response = client.get(reverse("export_projects_csv"))
    assert response.status_code == 200
    cells = csv_cells(b"".join(response.streaming_content))
    assert not live_formula_cells(cells), live_formula_cells(cells)[:10]
    formula_payloads_present(cells, "projects.csv")
    for pid in ("script", "url-javascript"):
        assert PAYLOADS[pid] in cells, f"the imported project with {pid} is not exported"


def test_the_xlsx_export_loads_and_has_no_formula_cell(world, client):
    from openpyxl import load_workbook

    client.force_login(world["bob"])
    response = client.get(reverse("export_assessments_xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    cells, formulas, unguarded = [], [], []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(f"{sheet.title}!{cell.coordinate}={cell.value!r}")
                if isinstance(cell.value, str):
                    cells.append("'" + cell.value if cell.quotePrefix else cell.value)
                    if live_formula_cells([cell.value]) and not cell.quotePrefix:
                        unguarded.append(f"{sheet.title}!{cell.coordinate}={cell.value!r}")
    assert not formulas, formulas[:10]
    assert not unguarded, unguarded[:10]
    formula_payloads_present(cells, "assessments.xlsx")


def test_no_stored_text_anywhere_holds_a_forbidden_character(world):
    """Every text column of every table of the app, after all payloads went in."""
    from django.apps import apps
    from django.db import models

    found = []
    for model in apps.get_app_config("assessments").get_models():
        names = [f.name for f in model._meta.concrete_fields
                 if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
        if not names:
            continue
        for row in model.objects.values_list("pk", *names).iterator():
            for name, value in zip(names, row[1:]):
                for text in strings_in(value):
                    if bad_characters(text):
                        found.append(f"{model.__name__}#{row[0]}.{name}={text[:60]!r}")
    assert not found, found[:20]


@pytest.mark.parametrize("url", ["assessment_list", "dashboard", "project_list", "public_list"])
def test_the_lists_show_every_hostile_title_inert(world, url):
    response = world["bob_client"].get(reverse(url) + ("?q=alert(1)" if url == "project_list" else ""))
    assert response.status_code == 200
    page = response.content.decode()
    problems, _links = markup_problems(page)
    assert not problems, problems
    if url != "dashboard":
        assert escape(SCRIPT) in page, "the list does not show the hostile title"


@pytest.mark.parametrize("pid", [*PAYLOADS, *NUMBERS])
def test_the_catalogue_search_shows_hostile_terms_inert(world, pid):
    """The search terms come back into the page (the search box, the pages' links)."""
    query = urlencode({"q": text_of(pid, 200), "amount_min": text_of(pid, 20)}, encoding="utf-8", errors="surrogatepass")
    response = world["bob_client"].get(reverse("project_list") + "?" + query)
    info = getattr(response, "exc_info", None)
    assert response.status_code in (200, 400), crash_text(info) if info else response.status_code
    problems, _links = markup_problems(response.content.decode())
    assert not problems, problems


def test_the_admin_lists_the_imported_projects_escaped(world, client):
    client.force_login(world["alice"])
    response = client.get(reverse("admin:assessments_project_changelist") + "?q=hm-")
    assert response.status_code == 200
    page = response.content.decode()
    assert SCRIPT not in page and "<img src=x onerror" not in page
    assert escape(SCRIPT) in page


def test_one_report_pdf_renders_with_hostile_sources_and_fetches_none_of_them(world, client, fetched):
    """The only PDF of the module: the assessment whose sources, notes and answers hold the cloud
    metadata address. The report itself loads no resource, so any fetch of these would be the input's."""
    asked = fetched
    client.force_login(world["bob"])
    assessment = world["scenarios"]["url-metadata"].assessment
    response = client.get(reverse("report_pdf", args=[assessment.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert not [u for u in asked if "169.254" in u or "127.0.0.1" in u or u.startswith("file:")], asked


# --- The admin's project import: what the preview promised -----------------------------------------


@pytest.mark.parametrize("pid", list(PAYLOADS))
def test_the_admin_imports_the_title_its_preview_showed(world, pid):
    outcome = outcome_of(world, "projects-admin", pid)
    if outcome.refused:
        pytest.skip("the file was refused (test_refused_with_a_message_or_stored_inert[projects-admin-…])")
    assert outcome.stored[0] == outcome.preview, f"previewed {outcome.preview!r}, imported {outcome.stored[0]!r}"


def test_a_confirmation_whose_text_holds_nul_imports_the_text_without_it(world, client):
    """A client that sends the preview's hidden csv_text back with a NUL in it (a browser would send
    U+FFFD) has it dropped like every other forbidden character, not refused by an error on a
    hidden field that nobody could correct."""
    from assessments.models import Project

    client.force_login(world["alice"])
    text = csv_bytes([["hm-nul", "112038", "a\x00b", "", "", "", "", "", "", ""]]).decode()
    response = client.post(reverse("admin:assessments_project_import"), {"csv_text": text, "confirm": "1"})
    assert response.status_code == 302
    assert Project.objects.get(key="hm-nul").title == "ab"


def test_an_opinion_with_control_characters_is_saved_without_them(world):
    outcome = outcome_of(world, "opinion", "controls")
    assert not outcome.refused, outcome.message
    assert outcome.stored == ["abc"], outcome.stored
