"""Assessments as rows and plain data for exports: the signed-in exports (what a user may see) and the
open data of what is published (anyone, no sign-in): answers, sources, inventories and the requests to
municipalities (in the open data only those the author chose to publish).

One format for both. Answers carry the question set's key and version, and whether the question is
shown (``shown``): a question hidden by its display condition (scoring.visible_keys, as on every page
and in the report) may still hold an answer given before the condition changed. The signed-in
exports keep such answers with ``shown`` = ``no``; the open data leaves them out, with their sources
and, for a hidden inventory question, its rows, so that nothing is published that the published
page and report do not show.

Every generator reads in a fixed number of queries whatever the number of assessments and streams
its rows (a few thousand at a time), so that memory stays flat.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from assessments import people, scoring, selectors
from assessments.reviewing import PERSONAL_ORGANISATION
from assessments.answer_values import display_value, mark_of
from assessments.exchange import assessment_to_data
from assessments.models import (
    Answer,
    Assessment,
    Evidence,
    InventoryRow,
    MunicipalityRequest,
    Project,
    Question,
    QuestionSet,
)

ANSWER_HEADER = [
    "assessment_id", "assessment", "organisation", "status", "published_at", "project_key", "municipality_code",
    "municipality", "question_set_key", "question_set_version", "section", "question_key", "question", "shown",
    "answer", "meanings", "note", "sources", "overall_level",
]
SOURCE_HEADER = ["assessment_id", "question_key", "position", "title", "url", "page", "date", "note"]
INVENTORY_HEADER = ["assessment_id", "position", "data_item", "held_by", "purpose", "legal_basis", "sensitive",
                    "children", "necessity", "retention", "shared_with_vendor", "flagged", "category", "note"]
REQUEST_HEADER = ["assessment_id", "request_id", "kind", "title", "addressed_to", "method", "reference", "sent_on",
                  "received_on", "due_on", "state", "items_sent", "replies"]
PROJECT_HEADER = ["key", "municipality_code", "municipality", "title", "program", "fiscal_year",
                  "amount_thousand_yen", "amount_note", "source_row", "categories", "description"]

CHUNK = 5000


def published_assessments() -> QuerySet:
    return Assessment.objects.filter(status=Assessment.Status.PUBLISHED)


def hidden_questions(assessments: QuerySet) -> dict[int, set[str]]:
    """For each of ``assessments`` (a queryset of pks or assessments), the keys of the questions its
    answers hide. Five queries: the sets' questions with their conditions, and the answers of the
    questions that conditions look at."""
    sets = QuestionSet.objects.filter(assessments__in=assessments).distinct()
    questions = (
        Question.objects.filter(question_set__in=sets)
        .select_related("section", "condition_question")
        .prefetch_related("choices", "condition_choices")
        .order_by("question_set_id", "section__position", "section_id", "position", "pk")
    )
    specs_by_set: dict[int, list[scoring.QuestionSpec]] = defaultdict(list)
    for question in questions:
        specs_by_set[question.question_set_id].append(selectors.question_spec(question))
    condition_ids = {q.condition_question_id for q in questions if q.condition_question_id}
    if not condition_ids:
        return {}
    values: dict[int, dict[str, object]] = defaultdict(dict)
    set_of: dict[int, int] = dict(Assessment.objects.filter(pk__in=assessments).values_list("pk", "question_set_id"))
    for assessment_id, key, value in Answer.objects.filter(
        assessment__in=assessments, question_id__in=condition_ids
    ).values_list("assessment_id", "question__key", "value").iterator(chunk_size=CHUNK):
        values[assessment_id][key] = value
    hidden = {}
    for assessment_id, set_id in set_of.items():
        specs = specs_by_set.get(set_id, [])
        shown = scoring.visible_keys(specs, values.get(assessment_id, {}))
        keys = {spec.key for spec in specs} - shown
        if keys:
            hidden[assessment_id] = keys
    return hidden


def source_text(title: str, url: str, page: str, date, note: str) -> str:
    """One source in one line, as the CSV's ``sources`` cell lists them."""
    details = "、".join(part for part in (f"p.{page}" if page else "", date.isoformat() if date else "") if part)
    text = title + (f"（{details}）" if details else "")
    if url:
        text += f" {url}"
    if note:
        text += f" ／{note}"
    return text


ORDER = ("assessment_id", "question__section__position", "question__position", "pk")


def _sources_by_answer(assessments):
    """The sources of ``assessments``' answers, grouped by answer, each group keyed by its answer's
    place in ``ORDER`` (the order of answer_rows): (assessment, section position, question position,
    answer id), and holding (title, url, page, date, note) tuples."""
    sources = (
        Evidence.objects.filter(answer__assessment__in=assessments)
        .order_by(*(f"answer__{name}" if name != "pk" else "answer_id" for name in ORDER), "position", "pk")
        .values_list("answer__assessment_id", "answer__question__section__position", "answer__question__position",
                     "answer_id", "title", "url", "page", "date", "note")
    )
    for place, group in itertools.groupby(sources.iterator(chunk_size=CHUNK), key=lambda source: source[:4]):
        yield place, [source[4:] for source in group]


def answer_rows(assessments, *, public: bool):
    """One row per answer of ``assessments`` (a queryset of pks), ordered by assessment and question.
    ``public``: leave out answers to hidden questions (else they are kept, with shown = "no")."""
    hidden = hidden_questions(assessments)
    answers = (
        Answer.objects.filter(assessment__in=assessments)
        .order_by(*ORDER)
        .values_list(
            "assessment_id", "question__section__position", "question__position", "pk",
            "assessment__title", "assessment__organisation__name", "assessment__status",
            "assessment__published_at", "assessment__project__key", "assessment__project__municipality__code",
            "assessment__project__municipality__name", "assessment__question_set__key",
            "assessment__question_set__version", "question__section__key", "question__key", "snapshot", "value",
            "note", "assessment__overall_level", "assessment__organisation__personal_for",
        )
    )
    # Answers and sources are read side by side in one order (a merge join): memory stays flat. A
    # group placed before the current answer (its answer made between the two queries) is passed over.
    sources = _sources_by_answer(assessments)
    pending = next(sources, None)
    for row in answers.iterator(chunk_size=CHUNK):
        place = row[:4]
        (pk, _section_position, _position, _answer_id, title, organisation, status, published_at, project, code,
         municipality, set_key, set_version, section, key, snapshot, value, note, level, personal_for) = row
        if personal_for is not None:
            organisation = PERSONAL_ORGANISATION  # as people.organisation_name: no tag that links authors
        while pending is not None and pending[0] < place:
            pending = next(sources, None)
        texts = []
        if pending is not None and pending[0] == place:
            texts = [source_text(*source) for source in pending[1]]
            pending = next(sources, None)
        shown = key not in hidden.get(pk, ())
        if public and not shown:
            continue
        mark = mark_of(value)
        meanings = mark or "|".join(c.get("meaning", "") for c in snapshot.get("choices") or [])
        yield [
            pk, title, organisation, status, _local_date(published_at), project, code or "", municipality or "",
            set_key, set_version, section, key, snapshot.get("question", ""), "yes" if shown else "no",
            display_value(value, snapshot), meanings, note, "\n".join(texts), level,
        ]


def source_rows(assessments, *, public: bool):
    hidden = hidden_questions(assessments) if public else {}
    sources = (
        Evidence.objects.filter(answer__assessment__in=assessments)
        .order_by("answer__assessment_id", "answer__question__section__position", "answer__question__position",
                  "answer_id", "position", "pk")
        .values_list("answer__assessment_id", "answer__question__key", "position", "title", "url", "page", "date",
                     "note")
    )
    for assessment_id, key, position, title, url, page, date, note in sources.iterator(chunk_size=CHUNK):
        if key in hidden.get(assessment_id, ()):
            continue
        yield [assessment_id, key, position + 1, title, url, page, date.isoformat() if date else "", note]


def inventory_rows(assessments, *, public: bool):
    hidden = hidden_questions(assessments) if public else {}
    rows = InventoryRow.objects.filter(answer__assessment__in=assessments).select_related("answer__question").order_by(
        "answer__assessment_id", "position", "pk"
    )
    for row in rows.iterator(chunk_size=2000):
        assessment_id = row.answer.assessment_id
        if row.answer.question.key in hidden.get(assessment_id, ()):
            continue
        yield [assessment_id, row.position + 1, row.data_item, row.held_by, row.purpose, row.legal_basis,
               row.sensitive, row.children, row.necessity, row.retention, row.shared_with_vendor,
               "yes" if row.flagged else "", row.category, row.note]


def requests_of(assessments, *, public: bool):
    """The requests to municipalities about ``assessments``: in the open data only those the author
    published, and never one still 準備中."""
    from assessments import municipality_requests

    requests = municipality_requests.requests_for_assessments(assessments).order_by("assessment_id", "sent_on", "pk")
    if public:
        requests = requests.filter(published=True).exclude(state=MunicipalityRequest.State.DRAFT)
    return requests


def request_data(request) -> dict:
    """One request as plain data (its items, timeline and replies prefetched)."""
    def day(value):
        return value.isoformat() if value else ""

    return {
        "id": request.pk, "kind": request.get_kind_display(), "title": request.title,
        "addressed_to": request.get_addressed_to_display(), "method": request.get_method_display(),
        "reference": request.reference, "sent_on": day(request.sent_on), "received_on": day(request.received_on),
        "due_on": day(request.current_due), "state": request.get_state_display(),
        "items": [{"kind": item.get_kind_display(), "text": item.text} for item in request.items.all()],
        "events": [{"on": day(e.on), "state": e.get_kind_display(), "note": e.note} for e in request.events.all()],
        "replies": [
            {"received_on": day(reply.received_on), "text": reply.text,
             "documents": [{"title": d.title, "page": d.page, "date": day(d.date), "url": d.url}
                           for d in reply.documents.all()]}
            for reply in request.replies.all()
        ],
    }


def request_rows(assessments, *, public: bool):
    for request in requests_of(assessments, public=public):
        data = request_data(request)
        yield [request.assessment_id, request.pk, data["kind"], data["title"], data["addressed_to"], data["method"],
               data["reference"], data["sent_on"], data["received_on"], data["due_on"], data["state"],
               "\n".join(item["text"] for item in data["items"]),
               "\n".join(f"{reply['received_on']} {reply['text']}" for reply in data["replies"])]


def project_rows():
    projects = Project.objects.select_related("municipality").prefetch_related("categories").order_by(
        "kind", "source_row", "key"
    )
    for project in projects.iterator(chunk_size=2000):
        yield [
            project.key,
            project.municipality.code if project.municipality_id else "",
            project.municipality.name if project.municipality_id else "",
            project.title, project.program, project.fiscal_year or "",
            "" if project.amount_thousand_yen is None else project.amount_thousand_yen,  # unknown stays empty
            project.amount_note, project.source_row or "",
            "|".join(c.key for c in project.categories.all()), project.description,
        ]


def _local_date(moment) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""


def public_assessment_data(assessment: Assessment) -> dict:
    """One published assessment as open data: the exchange format (so it can be imported into another
    dxpia) without the answers, sources and rows of hidden questions, with what the public page says
    of it (organisation, publication and approval, the overall result)."""
    data = assessment_to_data(assessment)
    hidden = hidden_questions(Assessment.objects.filter(pk=assessment.pk).values("pk")).get(assessment.pk, set())
    data["answers"] = {key: answer for key, answer in data["answers"].items() if key not in hidden}
    inventory_keys = set(
        Question.objects.filter(question_set=assessment.question_set, type=Question.Type.INVENTORY).values_list("key", flat=True)
    )
    if inventory_keys & hidden:
        data["inventory"] = []
    data.pop("letter", None)  # the sender's contact details are the author's, not open data
    data["requests"] = [request_data(r) for r in requests_of(Assessment.objects.filter(pk=assessment.pk), public=True)]
    data["published"] = {
        "id": assessment.pk,
        "organisation": people.organisation_name(assessment.organisation),
        "municipality": assessment.project.municipality.name if assessment.project.municipality_id else "",
        "municipality_code": assessment.project.municipality.code if assessment.project.municipality_id else "",
        "project_title": assessment.project.title,
        "published_at": _local_date(assessment.published_at),
        "approved_revision": assessment.approved_revision,
        "approved_at": _local_date(assessment.approved_at),
        "overall_level": assessment.overall_level,
        "overall_percent": assessment.overall_percent,
        "hidden_answers": "left out",
    }
    return data
