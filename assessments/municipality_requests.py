"""Requests to the municipality (質問・開示請求の追跡): recording a letter or a disclosure request as
sent, its state changes, its due day, and the replies, which may update the answers they answer.

Every write is atomic and names the version of the request it was based on: a form opened before
someone else's change is refused (StaleRequest), never silently applied over it.
"""

import datetime
import statistics
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import answer_saving, request_clock, request_law
from assessments.formatting import inner_quotes
from assessments.languages import in_record_language
from assessments.models import (
    Answer,
    Assessment,
    DisclosureRule,
    MunicipalityRequest,
    Reply,
    ReplyDocument,
    RequestEvent,
    RequestItem,
)

State = MunicipalityRequest.State
Kind = MunicipalityRequest.Kind
Event = RequestEvent.Kind

DECISIONS = (State.ANSWERED, State.PARTIAL, State.REFUSED, State.NO_DOCUMENT)
# Which state may follow which. 期限超過 is not a state (it is derived: is_overdue) but may be
# recorded as an event while the request is open and past its due day.
TRANSITIONS = {
    State.DRAFT: {State.SENT, State.WITHDRAWN},
    State.SENT: {State.WAITING, State.EXTENDED, *DECISIONS, State.WITHDRAWN},
    State.WAITING: {State.EXTENDED, *DECISIONS, State.WITHDRAWN},
    State.EXTENDED: {*DECISIONS, State.WITHDRAWN},
    State.PARTIAL: {State.ANSWERED},
    State.ANSWERED: set(),
    State.REFUSED: set(),
    State.NO_DOCUMENT: set(),
    State.WITHDRAWN: set(),
}


class StaleRequest(Exception):
    """The request changed after the version the form was based on."""

    def __init__(self, current: MunicipalityRequest):
        super().__init__("stale request")
        self.current = current


class AnswerConflict(Exception):
    """An answer a reply was to update changed after the page showed it; nothing was saved."""

    def __init__(self, conflicts):
        super().__init__("answer conflict")
        self.conflicts = conflicts


# --- The clock -------------------------------------------------------------------------------------


def is_overdue(request: MunicipalityRequest, today: datetime.date) -> bool:
    """期限超過: still open (sent, waiting or extended) and today is after the due day that counts."""
    return request.state in MunicipalityRequest.OPEN_STATES and request_clock.is_overdue(request.current_due, today)


def state_label(request: MunicipalityRequest, today: datetime.date) -> str:
    """The state as shown everywhere: 期限超過 while overdue, else the stored state."""
    if is_overdue(request, today):
        return _("期限超過（%(state)s）") % {"state": request.get_state_display()}
    return request.get_state_display()


def days_left(request: MunicipalityRequest, today: datetime.date) -> int | None:
    if request.state not in MunicipalityRequest.OPEN_STATES:
        return None
    return request_clock.days_left(request.current_due, today)


def rule_periods(kind: str, rule: DisclosureRule | None) -> tuple[int | None, int | None, str]:
    """The period and extension days for a request of ``kind`` under ``rule``, and how they were found."""
    if kind == Kind.DISCLOSURE:
        if rule is None:
            return None, None, _("この自治体の情報公開条例の期限が登録されていません。") + request_law.CHECK_ORDINANCE
        where = " ".join(part for part in (rule.ordinance, rule.article) if part) or _("情報公開条例")
        checked = _("確認済み") if rule.verified else _("未確認")
        note = _("%(where)s: %(days)s日、延長%(extension)s日（%(checked)s）") % {
            "where": where, "days": rule.decision_days, "extension": rule.extension_days, "checked": checked}
        if not rule.verified:
            note += _("。条例の本文を確かめられていないため、数え方は確かではありません（%(count)s）") % {
                "count": _count_words(rule.start == DisclosureRule.Start.NEXT_DAY, rule.holiday_moves)}
            if rule.start == DisclosureRule.Start.NEXT_DAY and rule.holiday_moves:
                note += _("。期限が遅くなる方の数え方です")
        return rule.decision_days, rule.extension_days, note
    if kind == Kind.PERSONAL:
        if rule is None:
            days, extension = request_law.PERSONAL_INFORMATION_DAYS, request_law.PERSONAL_INFORMATION_EXTENSION_DAYS
            verified = request_law.PERSONAL_INFORMATION_DEADLINE.verified
        else:
            days, extension, verified = rule.pi_decision_days, rule.pi_extension_days, rule.pi_verified
        checked = _("確認済み") if verified else _("未確認")
        note = _("%(where)s: %(days)s日、延長%(extension)s日（%(checked)s）") % {
            "where": request_law.PERSONAL_INFORMATION_DEADLINE.label, "days": days, "extension": extension,
            "checked": checked}
        # The law's own count, whatever the ordinance on 情報公開 says: 「開示請求があった日から」 has no
        # 「起算して」, so the day of receipt is not counted (民法第140条). Whether a closed last day moves
        # the deadline the personal information law does not say (民法第142条 moves it only where business
        # is customarily not done on that day): the later reading, said so.
        note += _("。数え方: %(count)s（法の「開示請求があった日から」と民法第140条による。"
                  "末日が休日の場合に延びるかは個人情報保護法に定めがなく（民法第142条は、その日に取引をしない"
                  "慣習がある場合に限って延ばします）、期限が遅くなる方によっています）") % {
            "count": _count_words(True, True)}
        return days, extension, note
    return None, None, ""


def _count_words(next_day: bool, holiday_moves: bool) -> str:
    first = _("受け付けた日の翌日から数え") if next_day else _("受け付けた日を1日目として数え")
    last = _("末日が休日なら翌開庁日") if holiday_moves else _("末日が休日でもその日")
    return _("%(first)s、%(last)s") % {"first": first, "last": last}


def schedule(request: MunicipalityRequest, rule: DisclosureRule | None) -> None:
    """Set the request's period, due day and how it was counted (not saved). A question letter is
    due on the reply-by date it gave; a council question has no due day; a disclosure request is due
    by the municipality's rule, counted from its receipt (or, not knowing it, from the day sent)."""
    request.clock_note = ""
    if request.kind == Kind.LETTER:
        request.period_days = request.extension_days = None
        request.due_on = request.reply_by
        if request.reply_by:
            request.clock_note = _("質問書に書いた回答の期限です。")
        return
    if request.kind == Kind.COUNCIL:
        request.period_days = request.extension_days = request.due_on = None
        return
    days, extension, note = rule_periods(request.kind, rule)
    request.period_days, request.extension_days = days, extension
    start = request.received_on or request.sent_on
    if days is None or start is None:
        request.due_on = None
        request.clock_note = note[:500]
        return
    request.due_on = request_clock.due_date(start, days, **_clock_options(rule, request.kind))
    counted_from = _("受付日") if request.received_on else _("送付日（受付日が分からないため）")
    request.clock_note = (_("%(note)s。%(start)sから数えています。") % {"note": note, "start": counted_from})[:500]


def _clock_options(rule: DisclosureRule | None, kind: str) -> dict:
    """How a period is counted. A 情報公開請求 follows the municipality's ordinance as recorded; a
    個人情報開示請求 follows the law (第83条: from the day after the request, a closed last day moving
    to the next working day as the later reading), whatever the 情報公開条例 counts."""
    if rule is None:
        return {}
    if kind == Kind.PERSONAL:
        return {"is_holiday": request_clock.holiday_rule(rule.year_end_closed)}
    return {
        "start_next_day": rule.start == DisclosureRule.Start.NEXT_DAY,
        "holiday_moves": rule.holiday_moves,
        "is_holiday": request_clock.holiday_rule(rule.year_end_closed),
    }


def extended_due(request: MunicipalityRequest, rule: DisclosureRule | None) -> datetime.date | None:
    """The due day after the rule's extension, or None when it cannot be computed."""
    start = request.received_on or request.sent_on
    if not (request.period_days and request.extension_days and start):
        return None
    return request_clock.extended_due_date(start, request.period_days, request.extension_days,
                                           **_clock_options(rule, request.kind))


def rule_of(assessment) -> DisclosureRule | None:
    municipality_id = assessment.project.municipality_id
    if municipality_id is None:
        return None
    return DisclosureRule.objects.filter(municipality_id=municipality_id).first()


# --- Prefill from the letter -----------------------------------------------------------------------


@dataclass
class Prefill:
    title: str
    kind: str
    addressed_to: str
    reply_by: datetime.date | None
    questions: list[tuple[Answer | None, str]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)


def letter_prefill(assessment) -> Prefill:
    """What the letter asks, as a request to record: its questions (with the 不明/未開示 answers
    they ask about) and the documents it requests, in the letter's words."""
    from assessments import selectors, services
    from assessments.models import LetterDetails
    from assessments.reports import letter

    workspace = selectors.assessment_workspace(assessment)
    details = services.letter_details_of(assessment)
    questions = workspace.municipality_questions()
    municipality = assessment.project.municipality
    texts = letter.letter_questions(
        questions, {q.key for q in workspace.result.not_disclosed}, municipality, details.addressed_to)
    council = details.form == LetterDetails.Form.COUNCIL
    if council:
        texts = letter.council_points(texts)
    with in_record_language(assessment):  # the title goes to the municipality
        title = _("「%(project)s」に関する質問書") % {"project": inner_quotes(assessment.project.title)}
    return Prefill(
        title=title,
        kind=Kind.COUNCIL if council else Kind.LETTER,
        addressed_to=MunicipalityRequest.AddressedTo.EDUCATION if details.addressed_to == "education" else MunicipalityRequest.AddressedTo.HEAD,
        # As the letter prints it: a reply-by day that has passed is not in the letter (render.report_context).
        reply_by=details.reply_by_ahead(timezone.localdate()),
        questions=[(workspace.answers.get(q.key), text.text) for q, text in zip(questions, texts)],
        documents=letter.documents_to_request(questions),
    )


# --- Writes ----------------------------------------------------------------------------------------

REQUEST_FIELDS = ("kind", "title", "addressed_to", "sent_on", "method", "reference", "received_on", "reply_by",
                  "published", "note")


@transaction.atomic
def request_create(*, assessment, user, values: dict, questions: list[tuple[Answer | None, str]],
                   documents: list[str], today: datetime.date) -> MunicipalityRequest:
    """A new request with its items as sent; 送付済み when a sent date is given, else 準備中."""
    request = MunicipalityRequest(assessment=assessment, created_by=user, **{k: values[k] for k in REQUEST_FIELDS if k in values})
    request.state = State.SENT if request.sent_on else State.DRAFT
    schedule(request, rule_of(assessment))
    request.save()
    answers = {a.pk for a in Answer.objects.filter(assessment=assessment, pk__in=[a.pk for a, _t in questions if a is not None])}
    RequestItem.objects.bulk_create(
        [RequestItem(request=request, kind=RequestItem.Kind.QUESTION, position=i,
                     answer_id=answer.pk if answer is not None and answer.pk in answers else None, text=text)
         for i, (answer, text) in enumerate(questions)]
        + [RequestItem(request=request, kind=RequestItem.Kind.DOCUMENT, position=i, text=text)
           for i, text in enumerate(documents)]
    )
    RequestEvent.objects.create(request=request, kind=request.state, on=request.sent_on or today, user=user)
    return request


def _take(request: MunicipalityRequest, base_version: int) -> MunicipalityRequest:
    """Lock the request and bump its version if it is still at ``base_version``; else StaleRequest."""
    updated = MunicipalityRequest.objects.filter(pk=request.pk, version=base_version).update(version=F("version") + 1)
    current = MunicipalityRequest.objects.select_related("assessment__project").get(pk=request.pk)
    if not updated:
        raise StaleRequest(current)
    return current


@transaction.atomic
def request_update(*, request: MunicipalityRequest, values: dict, base_version: int) -> MunicipalityRequest:
    """Change the request's details (dates, reference, publication…); the due day is counted again."""
    current = _take(request, base_version)
    rule = rule_of(current.assessment)
    counted_before = extended_due(current, rule)
    for name in REQUEST_FIELDS:
        if name in values:
            setattr(current, name, values[name])
    recorded = [day for day in (
        RequestEvent.objects.filter(request=current, kind__in=[State.WAITING, State.EXTENDED, *DECISIONS])
        .aggregate(first=Min("on"))["first"],
        Reply.objects.filter(request=current).aggregate(first=Min("received_on"))["first"],
    ) if day]
    if recorded and _start_of(current) and _start_of(current) > min(recorded):
        # A decision or reply already recorded cannot come before the request arrived.
        raise ValidationError(_("%(what)sは、すでに記録した回答や状態の変化の日（%(day)s）より後にはできません。") % {
            "what": _("受付日") if current.received_on else _("送付日"), "day": min(recorded).isoformat()},
            code="after_records")
    schedule(current, rule)
    if current.extended_due_on and current.extended_due_on == counted_before:
        # An extended day the app counted moves with a corrected receipt or sending date; a day
        # typed from the municipality's extension notice stays as the notice gave it.
        current.extended_due_on = extended_due(current, rule) or current.extended_due_on
    if current.state == State.DRAFT and current.sent_on:
        current.state = State.SENT
        RequestEvent.objects.create(request=current, kind=State.SENT, on=current.sent_on)
    current.save()
    return current


def _start_of(request: MunicipalityRequest) -> datetime.date | None:
    """The earliest day a decision or reply can bear: the municipality's receipt, or the sending."""
    return request.received_on or request.sent_on


def _start_words(request: MunicipalityRequest) -> dict:
    return {"what": _("受付日") if request.received_on else _("送付日"), "day": _start_of(request).isoformat()}


@transaction.atomic
def request_transition(*, request: MunicipalityRequest, user, kind: str, on: datetime.date, note: str,
                       base_version: int, today: datetime.date,
                       extended_due_on: datetime.date | None = None) -> MunicipalityRequest:
    """Record a state change (or 期限超過) on ``on``. Raises ValidationError for a change that does not
    follow from the current state."""
    current = _take(request, base_version)
    if kind == Event.OVERDUE:
        if not is_overdue(current, today):
            raise ValidationError(_("期限を過ぎていないため、期限超過は記録できません。"), code="not_overdue")
    elif kind not in TRANSITIONS.get(current.state, set()):
        raise ValidationError(
            _("「%(from)s」から「%(to)s」には変えられません。") % {
                "from": current.get_state_display(), "to": RequestEvent.Kind(kind).label},
            code="transition")
    if on > today:
        raise ValidationError(_("日付は今日までの日にしてください。"), code="future")
    if kind != State.SENT and _start_of(current) and on < _start_of(current):
        raise ValidationError(_("日付は%(what)s（%(day)s）以後の日にしてください。") % _start_words(current), code="before_sent")
    if kind == State.SENT:
        sent_on = current.sent_on or on
        if current.reply_by and current.reply_by <= sent_on:
            # As RequestForm refuses it: a letter sent on or after the day it asks a reply by would be
            # overdue from the day it goes out. The record's reply-by day is corrected first.
            raise ValidationError(
                _("回答の期限（%(reply_by)s）が、送付日（%(sent)s）以前になります。記録を直して回答の期限を変えてから、送付を記録してください。")
                % {"reply_by": current.reply_by.isoformat(), "sent": sent_on.isoformat()}, code="before_sent")
        current.sent_on = sent_on
        schedule(current, rule_of(current.assessment))
    if kind == State.EXTENDED:
        computed = extended_due(current, rule_of(current.assessment))
        new_due = extended_due_on or computed
        if new_due is None:
            raise ValidationError(_("延長後の期限を入力してください（通知書に書かれた日）。"), code="extended_due")
        if current.due_on and new_due <= current.due_on:
            raise ValidationError(_("延長後の期限は、元の期限より後の日にしてください。"), code="extended_due")
        current.extended_due_on = new_due
    if kind != Event.OVERDUE:
        current.state = kind
    current.save()
    RequestEvent.objects.create(request=current, kind=kind, on=on, note=note, user=user)
    return current


@dataclass
class AnswerUpdate:
    """A new answer for one linked 不明/未開示 answer, from a reply: the value (cleaned), the note
    (None: unchanged) and the versions of value, note and sources the page showed."""

    answer: Answer
    value: object
    note: str | None
    base: dict


def reply_source_title(request: MunicipalityRequest, received_on: datetime.date) -> str:
    municipality = request.assessment.project.municipality
    with in_record_language(request.assessment):
        name = municipality.name if municipality else _("自治体")
        return _("%(municipality)sからの回答（%(date)s）") % {"municipality": name, "date": received_on.isoformat()}


@transaction.atomic
def reply_record(*, request: MunicipalityRequest, user, received_on: datetime.date, text: str, item_ids: list[int],
                 documents: list[dict], state: str, updates: list[AnswerUpdate], base_version: int,
                 today: datetime.date) -> Reply:
    """Record a reply; move the request to ``state`` (回答あり, 一部開示, 不開示, 文書不存在, or "" to
    keep it); update the answers given, each with the reply and its documents as a new source,
    through answer_saving (history, versions). All or nothing: an answer changed since the page
    showed it raises AnswerConflict and nothing is saved."""
    current = _take(request, base_version)
    if received_on > today:
        raise ValidationError(_("受け取った日は今日までの日にしてください。"), code="future")
    if _start_of(current) and received_on < _start_of(current):
        raise ValidationError(_("受け取った日は%(what)s（%(day)s）以後の日にしてください。") % _start_words(current),
                              code="before_sent")
    reply = Reply.objects.create(request=current, received_on=received_on, text=text, user=user)
    items = list(RequestItem.objects.filter(request=current, pk__in=item_ids))
    reply.items.set(items)
    ReplyDocument.objects.bulk_create(ReplyDocument(reply=reply, position=i, **d) for i, d in enumerate(documents))
    if state and state != current.state:
        if state not in TRANSITIONS.get(current.state, set()) or state not in DECISIONS:
            raise ValidationError(
                _("「%(from)s」から「%(to)s」には変えられません。") % {
                    "from": current.get_state_display(), "to": State(state).label}, code="transition")
        current.state = state
        current.save(update_fields=["state", "updated_at"])
        with in_record_language(current.assessment):
            note = _("回答を記録しました。")
        RequestEvent.objects.create(request=current, kind=state, on=received_on, user=user, note=note)
    if updates:
        _update_answers(current, reply, documents, updates, user)
    return reply


def _update_answers(request, reply, documents, updates, user) -> None:
    linked = set(RequestItem.objects.filter(request=request, answer__isnull=False).values_list("answer_id", flat=True))
    answers = {
        a.pk: a for a in Answer.objects.filter(pk__in=[u.answer.pk for u in updates], assessment=request.assessment)
        .select_related("question").prefetch_related("evidence", "question__choices")
    }
    source = {"title": reply_source_title(request, reply.received_on)[:300], "url": "", "page": "",
              "date": reply.received_on, "note": reply.text[:2000]}
    with in_record_language(request.assessment):
        document_note = _("自治体からの回答（%(date)s）で受け取った文書") % {"date": reply.received_on.isoformat()}
    received = [{"title": d["title"], "url": d.get("url", ""), "page": d.get("page", ""), "date": d.get("date"),
                 "note": document_note}
                for d in documents]
    from assessments.forms import MAX_SOURCES_PER_QUESTION

    changes = {}
    for update in updates:
        answer = answers.get(update.answer.pk)
        if answer is None or answer.pk not in linked:
            raise ValidationError(_("この請求で尋ねていない回答は更新できません。"), code="not_linked")
        evidence = answer_saving.evidence_dicts(answer) + [source, *received]
        if len(evidence) > MAX_SOURCES_PER_QUESTION:
            # The section page, the background save and the assessment file all refuse more: past it
            # the answer's sources could no longer be edited, nor the assessment's own file imported.
            raise ValidationError(
                _("「%(question)s」の根拠資料は%(max)s件までです。この回答と受け取った文書を加えると%(count)s件になるため、"
                  "何も保存していません。回答の画面で資料を整理してから記録するか、この回答の更新を外して記録してください。")
                % {"question": answer.question.text, "max": MAX_SOURCES_PER_QUESTION, "count": len(evidence)},
                code="too_many_sources")
        change = answer_saving.AnswerChange(value=update.value, evidence=evidence, base=dict(update.base))
        if update.note is not None:
            change.note = update.note
        changes[answer.question] = change
    outcome = answer_saving.answers_save(assessment=request.assessment, user=user, changes=changes)
    if outcome.conflicts:
        raise AnswerConflict(outcome.conflicts)
    if outcome.too_large:
        raise ValidationError(outcome.too_large, code="too_large")


# --- Reading -----------------------------------------------------------------------------------------


def requests_for_assessments(assessments):
    """The requests about ``assessments`` (a queryset), with what their pages and lists show
    prefetched: items, events and replies with their documents (a fixed number of queries)."""
    return (
        MunicipalityRequest.objects.filter(assessment__in=assessments)
        .select_related("assessment__project__municipality")
        .prefetch_related("items", "events", "replies__documents", "replies__items")
    )


def ordered_for_list(requests, today: datetime.date) -> list[MunicipalityRequest]:
    """Overdue first, then open requests by due day, then those without a due day, then closed ones."""
    def key(request):
        open_ = request.state in MunicipalityRequest.OPEN_STATES
        due = request.current_due
        return (not is_overdue(request, today), not open_, due is None, due or datetime.date.max, -request.pk)

    requests = sorted(requests, key=key)
    for request in requests:
        request.overdue = is_overdue(request, today)
        request.days_left = days_left(request, today)
        request.overdue_days = -request.days_left if request.overdue else None
        request.state_label = state_label(request, today)
    return requests


def asked_by_answer(assessment, today: datetime.date) -> dict[int, list[dict]]:
    """For each answer of ``assessment`` that a request asked about: the requests (when sent, state,
    what came back), newest first (2 queries)."""
    asked: dict[int, list[dict]] = {}
    items = (
        RequestItem.objects.filter(request__assessment=assessment, answer__isnull=False)
        .select_related("request").prefetch_related("replies")
        .order_by("-request__created_at", "-request__pk")
    )
    for item in items:
        request = item.request
        asked.setdefault(item.answer_id, []).append({
            "request": request,
            "state_label": state_label(request, today),
            "overdue": is_overdue(request, today),
            "replies": list(item.replies.all()),
        })
    return asked


def published_requests(assessment) -> list[MunicipalityRequest]:
    """What the public page of a published ``assessment`` lists: the requests its author chose to
    publish (never one still 準備中), oldest first, with items, events and replies (fixed queries)."""
    return list(
        requests_for_assessments(Assessment.objects.filter(pk=assessment.pk))
        .filter(published=True).exclude(state=State.DRAFT)
        .order_by("sent_on", "pk")
    )


def public_requests():
    """The requests the public may see: published by their author, about a published assessment,
    and sent (not 準備中). The dashboard's figures count only these."""
    return MunicipalityRequest.objects.filter(
        published=True, assessment__status=Assessment.Status.PUBLISHED
    ).exclude(state=State.DRAFT)


def request_stats_by_municipality(requests=None, today: datetime.date | None = None) -> list[dict]:
    """Per municipality: how many requests were sent, decided (an answer or a decision came back),
    are open and overdue, and per state; the median days from sending (or the recorded receipt) to
    the first reply. ``requests`` is a MunicipalityRequest queryset (all by default; the dashboard
    passes ``public_requests()``). Two queries."""
    from assessments.models import Municipality

    today = today or datetime.date.today()
    requests = MunicipalityRequest.objects.all() if requests is None else requests
    rows = requests.annotate(first_reply=Min("replies__received_on")).values(
        "assessment__project__municipality_id", "state", "due_on", "extended_due_on", "sent_on", "received_on", "first_reply")
    stats: dict = {}
    for row in rows:
        municipality_id = row["assessment__project__municipality_id"]
        entry = stats.setdefault(municipality_id, {"total": 0, "open": 0, "overdue": 0, "decided": 0, "reply_days": [],
                                                  **{state: 0 for state in State.values}})
        entry["total"] += 1
        entry[row["state"]] += 1
        due = row["extended_due_on"] or row["due_on"]
        if row["state"] in MunicipalityRequest.OPEN_STATES:
            entry["open"] += 1
            if request_clock.is_overdue(due, today):
                entry["overdue"] += 1
        if row["state"] in DECISIONS:
            entry["decided"] += 1
        start = row["received_on"] or row["sent_on"]
        if start and row["first_reply"]:
            entry["reply_days"].append((row["first_reply"] - start).days)
    names = dict(Municipality.objects.filter(pk__in=[k for k in stats if k]).values_list("pk", "name"))
    result = []
    for municipality_id, entry in stats.items():
        days = entry.pop("reply_days")
        result.append({"municipality_id": municipality_id, "municipality": names.get(municipality_id, ""),
                       "median_reply_days": statistics.median(days) if days else None,
                       "replies_counted": len(days), **entry})
    return sorted(result, key=lambda e: (e["municipality"] == "", e["municipality"]))
