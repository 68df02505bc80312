"""Turning an assessment into documents: the report and the letter, as HTML, PDF and text.

One place makes the bytes (pretix's exporters do the same), so the views, the management commands,
the task worker (render_ahead.py) and the benchmark all produce the same documents. PDFs are kept
in the "documents" storage under a digest of the HTML they are made from, so an unchanged document
is served without rendering again, by whichever app server, and any change to what it prints,
wherever it was made (the app, the admin, a script), makes a new one. While nothing at all has
changed (the document stamp, document_stamp.py), a process serves again the PDF it served last,
without building the HTML.
"""

import collections
import contextlib
import functools
import hashlib
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import weasyprint
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, OperationalError, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments import plain_summary, reassessment, scoring, selectors, services
from assessments.answer_values import answer_meaning, display_snapshot, display_value
from assessments.formatting import thousand_yen, wareki
from assessments.models import Assessment, LetterDetails, Question, RenderLock, ResidentViews, ReviewOpinion
from assessments.reports import charts, document_stamp, letter, risk_map
from assessments.reports.engine import PDF_VARIANT, html_to_pdf

# Cached PDFs are keyed on the HTML they are made from (its CSS inline) and the renderer's version:
# whatever the document prints (project, municipality, review body, opinions, residents' views,
# status history, question set, letter settings, the date) makes a new key when it changes, and
# nothing it does not print does. Building the HTML costs some 40-80 ms of a 1.4 s render.
RENDERER_VERSION = f"weasyprint-{weasyprint.__version__}-{PDF_VARIANT}"

logger = logging.getLogger(__name__)


# The law a citation names at its start: 「個人情報保護法」 of 「個人情報保護法61条2項」 or of
# 「個人情報保護法施行令2条」 (not 「個人情報保護法ガイドライン」, which cites no article).
_LAW_NAME = re.compile(r"(.*?法)(?=\d|第)")


def cited_sources(bases) -> list[str]:
    """The sources the questions cite (each basis: citations separated by 「;」), once each, sorted,
    for the report's list of sources. A citation that leans on the one before it in its basis
    (「同法施行令2条」, 「71条（…）」) is given that law's name, as the list sorts it away from there."""
    sources = set()
    for basis in bases:
        law = ""
        for part in (part.strip() for part in basis.split(";")):
            if not part:
                continue
            if law and part.startswith("同法"):
                part = law + part.removeprefix("同法")
            elif law and part[0].isdigit():
                part = law + part
            named = _LAW_NAME.match(part)
            law = named.group(1) if named else law
            sources.add(part)
    return sorted(sources)


@dataclass
class ChapterItem:
    question: Question
    text: str
    answer: str
    meaning: str  # answer / unknown / not_disclosed / not_applicable / unanswered
    note: str
    evidence: list = field(default_factory=list)


@dataclass
class Chapter:
    section: object
    items: list[ChapterItem]
    score: object


def _answer_parts(question, answer):
    """(question text, answer text, meaning) from the answer's snapshot where there is one: the same
    text as on every page (answer_values.display_value). An evidence or inventory question without
    a value is answered by its rows; with a mark (不明, 未開示, 該当なし) it means the mark."""
    if answer is None:
        return question.text, "", "unanswered"
    text = (answer.snapshot or {}).get("question") or question.text
    snapshot = display_snapshot(question, answer.snapshot)
    meaning = answer_meaning(answer.value, snapshot)
    if meaning == "":
        has_rows = bool(answer.evidence.all()) or bool(answer.inventory_rows.all())
        return text, "", "answer" if has_rows else "unanswered"
    return text, display_value(answer.value, snapshot), meaning


def _scoring_method(workspace, chapters):
    """Per scored section: its questions' weights, choices with points and what each added here
    (scoring.method_rows), beside the section's total, for the chapter 「採点の方法」."""
    rows = scoring.method_rows(workspace.specs, workspace.values(), workspace.result.visible)
    by_section = {}
    for row in rows:
        by_section.setdefault(row.question.section, []).append(row)
    return [(c.section, by_section[c.section.key], c.score) for c in chapters if by_section.get(c.section.key)]


def _sections_chart(chapters, levels, has_pending: bool):
    """The sections' percentages as bars in the colour of each section's level, with a gridline at
    each of the set's thresholds and a legend of the levels: the chart says what the table above it
    says (a 45 % 重大な課題 is not drawn in the colour of 深刻な懸念, and a 判定保留 is not drawn
    as a judgement)."""
    ordered = sorted(levels, key=lambda level: -level.min_percent)
    names = [(level.key, level.label) for level in ordered]
    if has_pending:
        names.append((scoring.PENDING.key, scoring.PENDING.label))
    colour_of = dict(zip((key for key, _label in names), charts.level_colours(len(names))))
    scored = [c for c in chapters if c.score is not None and c.score.maximum]
    return charts.bar_chart(
        [(c.section.title, c.score.percent) for c in scored],
        colours=[colour_of.get(c.score.level.key if c.score.level else "", charts.QUANTITY) for c in scored],
        gridlines=tuple(sorted({0, 100} | {level.min_percent for level in ordered})),
        legend=[(label, colour_of[key]) for key, label in names],
        title=_("節ごとの得点率"),
        description="、".join(
            f"{c.section.title} {c.score.percent}%（{c.score.level.label if c.score.level else '—'}）" for c in scored
        ) or _("採点できる回答なし"),
    )


def report_context(assessment: Assessment) -> dict:
    workspace = selectors.assessment_workspace(assessment)
    result = workspace.result
    today = timezone.localdate()
    chapters = []
    inventory_rows = []
    for section in workspace.sections:
        items = []
        for question in section.questions.all():
            if question.key not in result.visible:
                continue
            answer = workspace.answers.get(question.key)
            text, answer_text, meaning = _answer_parts(question, answer)
            items.append(
                ChapterItem(
                    question=question,
                    text=text,
                    answer=answer_text,
                    meaning=meaning,
                    note=answer.note if answer else "",
                    evidence=list(answer.evidence.all()) if answer else [],
                )
            )
            if question.type == Question.Type.INVENTORY and answer is not None:
                inventory_rows.extend(answer.inventory_rows.all())
        chapters.append(Chapter(section=section, items=items, score=result.sections.get(section.key)))

    chart = _sections_chart(chapters, workspace.levels, result.overall.min_confirmed_percent is not None)
    proposals = workspace.proposals()
    municipality_questions = workspace.municipality_questions()
    sources = cited_sources(q.basis for q in workspace.questions)
    project = assessment.project
    details = services.letter_details_of(assessment)
    letter_questions = letter.letter_questions(
        municipality_questions, {q.key for q in result.not_disclosed}, project.municipality, details.addressed_to)
    status_changes = list(assessment.status_changes.select_related("user__profile"))
    context = {
        "review_body": selectors.review_body(assessment, status_changes),
        "opinions": _opinions(assessment),
        "resident_views": ResidentViews.objects.filter(assessment=assessment).first(),
        "status_changes": status_changes,
        "assessment": assessment,
        "project": project,
        "municipality": project.municipality,
        "question_set": assessment.question_set,
        "workspace": workspace,
        "result": result,
        "chapters": chapters,
        "chart": chart,
        "screening": workspace.screening(),
        "red_flags": [(workspace.by_key[f.question], f.message) for f in result.red_flags],
        "scoring_method": _scoring_method(workspace, chapters),
        "levels": sorted(workspace.levels, key=lambda level: -level.min_percent),
        "flagged_rows": workspace.flagged_rows(),
        "inventory_rows": inventory_rows,
        "unknown": [workspace.by_key[q.key] for q in result.unknown],
        "not_disclosed": [workspace.by_key[q.key] for q in result.not_disclosed],
        "proposals": proposals,
        "letter_questions": letter_questions,
        "council_points": letter.council_points(letter_questions),
        "letter": details,
        # A reply-by day on or before the letter's own date is not printed: the letter would ask for an
        # answer by a day that has passed (the settings page asks for a new one).
        "reply_by": details.reply_by_ahead(today),
        "honorific": letter.honorific(project.municipality, details.addressed_to),
        "questioned": letter.questioned(project.municipality, details.addressed_to),
        "documents": letter.documents_to_request(municipality_questions),
        "addressee": letter.addressee(project.municipality, details.addressed_to),
        "sources": sources,
        "today": today,
        "today_wareki": wareki(today),
        "amount": thousand_yen(project.amount_thousand_yen),
        "report_css": render_to_string("reports/report.css"),
        **_plan_context(assessment, today),
        "reassessment": reassessment.report_chapter(assessment, workspace),  # 「前回からの変化」
        "plain": plain_summary.summary_for(workspace),  # やさしい日本語のまとめ, on the cover
        **risk_map.context(assessment, workspace),
    }
    return context


def _opinions(assessment: Assessment) -> list:
    """The review body's opinions, each marked with what it counts for: given before the content
    last changed (``outdated``), or by a reviewer whose seat was withdrawn."""
    from assessments import reviewing

    opinions = list(ReviewOpinion.objects.filter(assessment=assessment)
                    .select_related("reviewer__user__profile", "section")
                    .order_by("section__position", "reviewer__kind", "pk"))
    if opinions:
        fingerprint = reviewing.content_fingerprint(assessment)
        for opinion in opinions:
            opinion.outdated = opinion.fingerprint != fingerprint
    return opinions


def _plan_context(assessment: Assessment, today) -> dict:
    """The chapter 「対応計画」: the plan in its order (due states as of ``today``) and the review clock."""
    from assessments import action_plan

    actions, summary = action_plan.plan_of(assessment, today)
    clock = action_plan.review_clock_of(assessment)
    return {"plan_actions": actions, "plan_summary": summary, "plan_review_clock": clock,
            "plan_review_state": clock.state(today)}


# The report, the letter and the plain summary are in the language of the assessment's question set
# (QuestionSet.language; every shipped set is Japanese), whatever the interface language of the
# request that asks for them (issue 19): same words, same cache key, same PDF.
def in_document_language(function):
    @functools.wraps(function)
    def wrapper(assessment, *args, **kwargs):
        with translation.override(assessment.question_set.language or settings.LANGUAGE_CODE):
            return function(assessment, *args, **kwargs)

    return wrapper


@in_document_language
def report_html(assessment: Assessment, context: dict | None = None) -> str:
    return render_to_string("reports/report.html", context or report_context(assessment))


def _letter_template(context: dict, extension: str) -> str:
    council = context["letter"].form == LetterDetails.Form.COUNCIL
    return f"reports/{'council' if council else 'letter'}.{extension}"


@in_document_language
def plain_summary_html(assessment: Assessment, address: str = "") -> str:
    """The やさしい日本語 summary on one A4 page, with readings (``address``: the public page's)."""
    workspace = selectors.assessment_workspace(assessment)
    return render_to_string("reports/plain.html", {
        "assessment": assessment,
        "project": assessment.project,
        "plain": plain_summary.summary_for(workspace),
        "address": address,
    })


@in_document_language
def letter_html(assessment: Assessment, context: dict | None = None) -> str:
    context = context or report_context(assessment)
    return render_to_string(_letter_template(context, "html"), context)


@in_document_language
def letter_text(assessment: Assessment) -> str:
    context = report_context(assessment)
    return render_to_string(_letter_template(context, "txt"), context)


def _cache_key(kind: str, assessment: Assessment, html: str) -> str:
    digest = hashlib.sha256(html.encode()).hexdigest()[:32]
    return f"dxpia:{kind}:{assessment.pk}:{digest}:{RENDERER_VERSION}"


# A render that takes longer than this is taken to have died with its server, and its lock is
# taken over (the largest report allowed renders in about 15 s: README, "Limits and guarantees").
# Below gunicorn's request timeout (120 s, dxpia/gunicorn_conf.py), so that a lock left by a request
# or worker killed in mid-render has expired before the requests waiting on it are themselves killed.
RENDER_LOCK_SECONDS = 90
# A request waits this long at most for another's render, then renders the document itself (twice
# the work, never a request that times out behind a holder that is alive but stuck).
LOCK_WAIT_SECONDS = 60
LOCK_POLL_SECONDS = 0.1
# A release that finds the lock table busy tries again for this long before leaving the row to expire.
RELEASE_TRY_SECONDS = 5


def _lock_wait() -> None:
    """Wait a little before looking at someone else's lock again (a test watches who waits here)."""
    time.sleep(LOCK_POLL_SECONDS)


def _raise_unless_locked(error: OperationalError) -> None:
    """SQLite busy past its timeout (or a shared-cache test database's table lock) means: try again
    later; any other operational error is raised."""
    if "locked" not in str(error):
        raise error


def _delete_expired_lock(key: str, now) -> None:
    try:
        with transaction.atomic():  # a savepoint: a refusal must not break a caller's transaction
            RenderLock.objects.filter(key=key, expires_at__lt=now).delete()
    except OperationalError as error:  # someone else is writing the lock table: look again later
        _raise_unless_locked(error)


@contextlib.contextmanager
def render_lock(key: str):
    """Hold the lock of ``key`` for the block: one process, on any app server or task worker, renders
    a given document revision at a time; the others wait here and then find it in storage.

    The lock is a row with a unique key (RenderLock), inserted in a transaction of its own and
    deleted afterwards; whoever's insert fails on the key waits and tries again. Why a row and not
    the alternatives: a file lock (``flock``, as before) only works on one machine; ``SELECT ... FOR
    UPDATE`` holds a transaction open for the whole render, and on SQLite, which ignores FOR UPDATE,
    that means the database's one write lock for 1.5 s (every save waits); PostgreSQL's advisory
    locks do not exist on SQLite. A row works the same on both and holds no transaction while
    rendering. Its cost: a holder that dies leaves its row, so the row carries an expiry
    (RENDER_LOCK_SECONDS) after which the next one deletes it and takes over; and nobody waits more
    than LOCK_WAIT_SECONDS (a holder alive but stuck): then it renders without the lock.
    """
    holder = uuid.uuid4().hex
    give_up_at = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        now = timezone.now()
        try:
            with transaction.atomic():
                RenderLock.objects.create(key=key, holder=holder,
                                          expires_at=now + timedelta(seconds=RENDER_LOCK_SECONDS))
            break
        except IntegrityError:
            _delete_expired_lock(key, now)
        except OperationalError as error:
            _raise_unless_locked(error)
        if time.monotonic() >= give_up_at:
            logger.warning("waited %s s for the render lock of %s: rendering without it", LOCK_WAIT_SECONDS, key)
            holder = None
            break
        _lock_wait()
    try:
        yield
    finally:
        if holder is not None:
            _release(key, holder)


def _release(key: str, holder: str) -> None:
    """Delete our lock row. A lock table busy just now (another request's insert or delete at the
    same instant; on SQLite's shared-cache test database that fails at once instead of waiting) is
    tried again for up to RELEASE_TRY_SECONDS: a row left behind makes every download of this
    revision wait for it to expire. (On an SQLite file a refusal comes only after the busy timeout,
    which is past that already: no second try.) Past that, the document is made anyway: the row is
    left to expire (RENDER_LOCK_SECONDS) and the next one takes over then."""
    give_up_at = time.monotonic() + RELEASE_TRY_SECONDS
    while True:
        try:
            # Each attempt in a savepoint of its own: inside a caller's transaction a failed DELETE
            # would otherwise leave that transaction unusable, and the next attempt would raise.
            with transaction.atomic():
                RenderLock.objects.filter(key=key, holder=holder).delete()
            return
        except OperationalError as error:
            _raise_unless_locked(error)
            if time.monotonic() >= give_up_at:
                logger.warning("could not release the render lock of %s (%s): it expires in %s s",
                               key, error, RENDER_LOCK_SECONDS)
                return
        _lock_wait()


def documents():
    """The storage rendered PDFs are kept in (settings.STORAGES["documents"]), shared by every
    app server: a folder by default, any storage backend (e.g. S3) by configuration."""
    return storages["documents"]


KINDS = ("report", "letter", "plain")


def storage_name(kind: str, assessment: Assessment, key: str) -> str:
    """The document's name in storage: its kind, the assessment's id and a digest of its key (the
    HTML and the renderer). Nothing a user typed."""
    return f"{kind}/{assessment.pk}/{hashlib.sha256(key.encode()).hexdigest()[:40]}.pdf"


def _stored(name: str) -> bytes | None:
    """The stored PDF, or None. A file another server is still writing is not yet whole: a PDF
    ends with %%EOF, so one that does not is not served (its writer holds the lock: wait there)."""
    storage = documents()
    try:
        with storage.open(name, "rb") as handle:
            pdf = handle.read()
    except (FileNotFoundError, OSError):
        return None
    except Exception:  # a storage elsewhere (S3 …) that fails to answer: render instead, logged
        logger.exception("could not read %s from the documents storage", name)
        return None
    return pdf if pdf.rstrip().endswith(b"%%EOF") else None


def _store(kind: str, assessment: Assessment, name: str, pdf: bytes) -> None:
    """Keep ``pdf`` under ``name`` and remove this assessment's older documents of this kind: each
    was made from HTML that is no longer what the document prints (a download that was reading
    one of them just now finds it gone and renders or waits)."""
    storage = documents()
    if storage.exists(name):  # left by a holder that died while writing it
        storage.delete(name)
    storage.save(name, ContentFile(pdf))
    folder = name.rsplit("/", 1)[0]
    try:
        _folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for other in files:
        if f"{folder}/{other}" != name:
            storage.delete(f"{folder}/{other}")


render_logger = logging.getLogger("dxpia.render")


def _render_pdf(kind: str, assessment: Assessment, html: str) -> bytes:
    """``html`` as PDF, with a log line saying what was rendered and how long it took."""
    started = time.perf_counter()
    pdf = html_to_pdf(html)
    render_logger.info(
        "render",
        extra={
            "fields": {
                "kind": kind,
                "assessment": assessment.pk,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "bytes": len(pdf),
            }
        },
    )
    return pdf


def forget_documents(assessment_pk: int) -> None:
    """Remove every stored document of a deleted assessment (its report and letter of any revision):
    a deleted assessment's content must not stay in the storage, nor in the backups made of it."""
    storage = documents()
    for kind in KINDS:
        folder = f"{kind}/{assessment_pk}"
        try:
            _folders, files = storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError):
            continue
        for name in files:
            storage.delete(f"{folder}/{name}")


@receiver(post_delete, sender=Assessment, dispatch_uid="dxpia-forget-documents-of-deleted-assessment")
def _forget_documents_after_delete(sender, instance, **kwargs):
    pk = instance.pk
    # After the commit (a rolled-back delete keeps them); a failing storage loses nothing but is logged.
    def forget():
        try:
            forget_documents(pk)
        except Exception:
            logger.exception("could not remove the stored documents of deleted assessment %s", pk)
    transaction.on_commit(forget)


class _Served:
    """Which stored PDF this process served for (kind, assessment, document stamp tokens, date, variant):
    the most recent SERVED_ENTRIES of them. While the stamp has not changed, nothing any document
    prints has (reports/document_stamp.py), so the same stored PDF is still exact."""

    def __init__(self, size: int):
        self._size = size
        self._names: collections.OrderedDict[tuple, tuple[str, float]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            entry = self._names.get(key)
            if entry is None or time.monotonic() - entry[1] > SERVED_SECONDS:
                return None
            self._names.move_to_end(key)
            return entry[0]

    def put(self, key: tuple, name: str) -> None:
        with self._lock:
            self._names[key] = (name, time.monotonic())
            self._names.move_to_end(key)
            while len(self._names) > self._size:
                self._names.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._names.clear()


SERVED_ENTRIES = 4096
# What was served is trusted this long at most (seconds), then checked against the data once: a bound
# on staleness should a stamp's renewal after a commit never happen (a process killed between the
# commit and its on-commit renewal, a database that fails the renewal).
SERVED_SECONDS = 60
_served = _Served(SERVED_ENTRIES)


def forget_served() -> None:
    """Forget which PDFs this process served: the next download of each builds its HTML again."""
    _served.clear()


def _served_key(kind: str, assessment: Assessment, variant: str) -> tuple | None:
    """The key under which this process remembers what it served, or None when the stamp cannot
    be trusted here: this connection has written something not yet committed (it must read it)."""
    if document_stamp.unsettled():
        return None
    # The site's token, this assessment's, and its previous assessment's (compared in 「前回からの変化」).
    pks = (assessment.pk,) if assessment.previous_id is None else (assessment.pk, assessment.previous_id)
    return (kind, assessment.pk, document_stamp.tokens(*pks), timezone.localdate().isoformat(), variant)


def cached_pdf(kind: str, assessment: Assessment, make_html, variant: str = "") -> tuple[bytes, bool]:
    """The PDF of what ``make_html`` makes now, and whether it was rendered here (False: served
    from storage). Renders it, once across every server, when nobody has yet.

    The quick way first: if this process served this document while the document stamp had its
    present token, on the same date, the same stored PDF is served (one query and a file read).
    Otherwise the HTML is built and its digest names the PDF (``variant``: whatever else
    ``make_html`` depends on, e.g. the address printed on the plain summary)."""
    served_key = _served_key(kind, assessment, variant)  # before the HTML: a change after it renews the stamp
    if served_key is not None:
        name = _served.get(served_key)
        pdf = _stored(name) if name is not None else None
        if pdf is not None:
            return pdf, False
    if served_key is not None:
        # What is served under this token must be built from data read after the token: the
        # assessment the caller loaded (its project, municipality …) may predate it.
        assessment = _reloaded(assessment)
    html = make_html(assessment)
    key = _cache_key(kind, assessment, html)
    name = storage_name(kind, assessment, key)
    pdf, fresh, kept = _stored(name), False, True
    if pdf is None:
        pdf, fresh, kept = _render_once(kind, assessment, key, name, html)
    if served_key is not None and kept:
        _served.put(served_key, name)
    return pdf, fresh


def _reloaded(assessment: Assessment) -> Assessment:
    fresh = selectors.assessments_with_relations().filter(pk=assessment.pk).first()
    return fresh if fresh is not None else assessment


def _render_once(kind: str, assessment: Assessment, key: str, name: str, html: str) -> tuple[bytes, bool, bool]:
    """(the PDF, whether it was rendered here, whether it is in storage): rendered under the lock
    of ``key`` unless whoever held the lock before stored it meanwhile."""
    with render_lock(key):
        pdf = _stored(name)
        if pdf is not None:
            return pdf, False, True
        pdf = _render_pdf(kind, assessment, html)
        try:
            _store(kind, assessment, name, pdf)
        except Exception:  # a storage that cannot be written loses the copy, not the download
            logger.exception("could not store %s of assessment %s", kind, assessment.pk)
            return pdf, True, False
        return pdf, True, True


def _cached_pdf(kind: str, assessment: Assessment, make_html, variant: str = "") -> bytes:
    return cached_pdf(kind, assessment, make_html, variant)[0]


def report_pdf(assessment: Assessment) -> bytes:
    return _cached_pdf("report", assessment, report_html)


def plain_summary_pdf(assessment: Assessment, address: str = "") -> bytes:
    return _cached_pdf("plain", assessment, lambda a: plain_summary_html(a, address), address)


def letter_pdf(assessment: Assessment) -> bytes:
    return _cached_pdf("letter", assessment, letter_html)


def report_filename(assessment: Assessment, kind: str, extension: str) -> str:
    label = {"report": "評価報告書", "letter": "質問書", "plain": "やさしい日本語のまとめ"}[kind]
    project = assessment.project
    name = f"{project.municipality.name}_" if project.municipality_id else ""
    return f"{label}_{name}{project.title}_{timezone.localdate():%Y%m%d}.{extension}".replace("/", "／")
