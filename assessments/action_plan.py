"""The action plan (対応計画) of an assessment and its review clock (見直しの時期): who may change what,
the writes, and what the pages, the report and the exports read.

Who may do what (plan_rights, pure):
- The plan's content (what, who, when; adding and deleting) is the assessment's content: its editors
  change it while the answers are editable (作成中, 差し戻し), as the answers.
- A reviewer may make an action a condition of approval (承認の条件), adding one or marking an existing
  one, while the assessment is submitted or in review; only a reviewer clears it. An action that is
  a condition is then changed only by reviewers (its editors record its progress).
- Progress (未着手 → 対応中 → 完了 or 見送り) is recorded by the editors at any time, after publication
  too: carrying out the approved plan is what the plan is for.

What review approves (reviewing.content_fingerprint takes fingerprint_material): each action's
content, whether it is declined (見送り, with the reason) and, for a condition of approval, whether
it is done. Recording progress on an approved plan therefore leaves it approved, while declining an
action or undoing a condition sends the assessment back to review (reviewing.reopen_if_changed_after_approval).

An action may name the risk of the register it is a measure against (リスク → 対応); the risk's number
(R1, R2, … as on the risk map) is shown beside it, and the assessment file links them by that number.

Every write is atomic, names the version of the action (or review date) it was based on and is
refused when someone changed it since (StalePlan), and is recorded in PlanChange.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import plan_clock, render_ahead
from assessments.access import EDIT, REVIEW
from assessments.answer_values import clean_text
from assessments.languages import in_record_language
from assessments.models import Assessment, PlanChange, PlannedAction, Question, ReviewSchedule, Risk

Status = PlannedAction.Status
S = Assessment.Status

MAX_ACTIONS = 50
CONTENT_FIELDS = ("title", "detail", "responsible", "responsible_name", "due_on")
EVIDENCE_FIELDS = ("done_on", "evidence_title", "evidence_url", "evidence_page", "evidence_date")
REVIEW_STATUSES = (S.SUBMITTED, S.IN_REVIEW)


class StalePlan(Exception):
    """The action (or review date) changed after the version the form was based on."""

    def __init__(self, current=None):
        super().__init__("stale plan")
        self.current = current


# --- Who may do what (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRights:
    edit: bool  # add, change and delete actions (not conditions of approval)
    require: bool  # add a condition of approval, mark or clear one, change a condition's content
    progress: bool  # record an action's status; set the review date


def plan_rights(status: str, rights: set[str]) -> PlanRights:
    return PlanRights(
        edit=EDIT in rights and status in Assessment.EDITABLE_STATUSES,
        require=REVIEW in rights and status in REVIEW_STATUSES,
        progress=EDIT in rights,
    )


def may_change_content(action: PlannedAction, allowed: PlanRights) -> bool:
    """Whether the text, responsible and due day of ``action`` may be changed (or it deleted)."""
    return allowed.require if action.required else allowed.edit


# --- Reading ------------------------------------------------------------------------------------------


def actions_of(assessment) -> list[PlannedAction]:
    """The plan of ``assessment`` with the questions and risks they came from (one query)."""
    return list(PlannedAction.objects.filter(assessment=assessment).select_related("question__section", "risk"))


def risk_numbers(assessment) -> dict[int, int]:
    """Risk id → its number on the register and the map (R1 is the oldest risk; one query)."""
    pks = Risk.objects.filter(assessment=assessment).order_by("pk").values_list("pk", flat=True)
    return {pk: number for number, pk in enumerate(pks, start=1)}


def label_risks(actions, assessment) -> None:
    """Each action's ``risk_number`` and ``risk_label`` (「R2 題名」, or ""): one query, only when an
    action names a risk."""
    numbers = risk_numbers(assessment) if any(a.risk_id for a in actions) else {}
    for action in actions:
        action.risk_number = numbers.get(action.risk_id)
        action.risk_label = f"R{action.risk_number} {action.risk.title}" if action.risk_number else ""


def annotate(actions, today: datetime.date) -> list[PlannedAction]:
    """Each action with ``state`` (plan_clock), ``days_left`` and ``overdue_days``, in the plan's order:
    overdue first, then due soon, then by due day, then closed ones."""
    for action in actions:
        action.state = plan_clock.due_state(is_open=action.is_open, due_on=action.due_on, today=today)
        action.days_left = plan_clock.days_left(action.due_on, today) if action.is_open else None
        action.overdue_days = -action.days_left if action.state == plan_clock.OVERDUE else None
    return sorted(actions, key=lambda a: plan_clock.plan_order(is_open=a.is_open, due_on=a.due_on, today=today, pk=a.pk))


@dataclass
class PlanSummary:
    total: int = 0
    by_status: dict = field(default_factory=dict)
    overdue: int = 0
    soon: int = 0
    unmet_conditions: int = 0


def summarise(actions) -> PlanSummary:
    """Counts of an annotated plan."""
    summary = PlanSummary(total=len(actions), by_status={s: 0 for s in Status.values})
    for action in actions:
        summary.by_status[action.status] += 1
        summary.overdue += action.state == plan_clock.OVERDUE
        summary.soon += action.state in (plan_clock.SOON, plan_clock.DUE_TODAY)
        summary.unmet_conditions += action.required and action.status != Status.DONE
    return summary


def plan_of(assessment, today: datetime.date) -> tuple[list[PlannedAction], PlanSummary]:
    actions = annotate(actions_of(assessment), today)
    label_risks(actions, assessment)
    return actions, summarise(actions)


def unmet_conditions(assessment) -> list[str]:
    """The titles of the conditions of approval not done yet (what approval_check refuses on)."""
    return list(
        PlannedAction.objects.filter(assessment=assessment, required=True).exclude(status=Status.DONE)
        .order_by("pk").values_list("title", flat=True)
    )


def fingerprint_material(assessment) -> list[dict]:
    """What review approves of the plan (the module's docstring says why not the whole status)."""
    material = []
    for action in PlannedAction.objects.filter(assessment=assessment).select_related("question", "risk").order_by("pk"):
        item = {name: getattr(action, name) for name in CONTENT_FIELDS}
        item.update(question=action.question.key if action.question_id else "", required=action.required,
                    declined=action.status == Status.DECLINED,
                    declined_reason=action.declined_reason if action.status == Status.DECLINED else "")
        if action.risk_id:  # absent when unlinked: plans approved before risks keep their fingerprint
            item["risk"] = action.risk.title
        if action.required:
            item["condition_met"] = action.status == Status.DONE
        material.append(item)
    return material


def _schedule_of(assessment) -> ReviewSchedule | None:
    """The assessment's ReviewSchedule: from select_related("review_schedule") when it was loaded so
    (the access helper and the lists do), else read (one query)."""
    relation = Assessment.review_schedule.related
    if relation.is_cached(assessment):
        return relation.get_cached_value(assessment)
    return ReviewSchedule.objects.filter(assessment=assessment).first()


def review_clock_of(assessment, schedule: ReviewSchedule | None = None, *, schedule_known: bool = False) -> plan_clock.ReviewClock:
    """The review clock of ``assessment`` (its question set loaded). ``schedule``: its ReviewSchedule
    when the caller has it (``schedule_known``: None means it has none)."""
    if not schedule_known:
        schedule = _schedule_of(assessment)
    question_set = assessment.question_set
    return plan_clock.review_clock(
        approved_on=timezone.localdate(assessment.approved_at) if assessment.approved_at else None,
        published_on=timezone.localdate(assessment.published_at) if assessment.published_at else None,
        chosen_review_on=schedule.review_on if schedule else None,
        review_months=question_set.review_months,
        reassess_years=question_set.reassessment_years,
    )


def attach_review_states(assessments, today: datetime.date) -> list:
    """Each of ``assessments`` (a queryset, question_set loaded) with ``review_clock`` and
    ``review_state``; their review dates are read in the same query."""
    assessments = list(assessments.select_related("review_schedule"))
    for assessment in assessments:
        assessment.review_clock = review_clock_of(assessment)
        assessment.review_state = assessment.review_clock.state(today)
    return assessments


def review_due_assessments(user, today: datetime.date) -> list:
    """The approved and published assessments the dashboard may show (published ones, and those
    ``user`` may see) whose review date or re-assessment date has come, earliest first (two queries)."""
    from django.db.models import Q

    from assessments.access import assessments_visible_to

    candidates = (
        Assessment.objects.filter(status__in=(S.APPROVED, S.PUBLISHED))
        .filter(Q(status=S.PUBLISHED) | Q(pk__in=assessments_visible_to(user).values("pk")))
        .select_related("project__municipality", "question_set", "organisation", "owner__profile")
    )
    due = [a for a in attach_review_states(candidates, today) if a.review_state]
    return sorted(due, key=lambda a: (a.review_clock.review_on or datetime.date.max, a.pk))


def proposals_with_actions(workspace) -> list[tuple]:
    """The proposals for weak answers (Workspace.proposals), each with the actions already made from
    it: (question, answer label, [actions])."""
    by_question: dict[int, list] = {}
    for action in PlannedAction.objects.filter(assessment=workspace.assessment, question__isnull=False).order_by("pk"):
        by_question.setdefault(action.question_id, []).append(action)
    return [(question, answer, by_question.get(question.pk, [])) for question, answer in workspace.proposals()]


def history_of(assessment, limit: int = 200) -> list[PlanChange]:
    return list(PlanChange.objects.filter(assessment=assessment).select_related("user__profile")[:limit])


# --- Writes -------------------------------------------------------------------------------------------


def _record(assessment, action, kind, user, *, note="", from_status="", to_status="", title=None) -> None:
    PlanChange.objects.create(
        assessment=assessment, action=action, action_title=(title if title is not None else action.title)[:200],
        kind=kind, from_status=from_status, to_status=to_status, note=note, user=user)


def _report_changed(assessment) -> None:
    """The plan is printed in the report: a new revision says so (as reviewing._report_changed)."""
    Assessment.objects.filter(pk=assessment.pk).update(revision=F("revision") + 1)
    render_ahead.report_changed(assessment.pk)


def _after_approval(assessment, user, what: str) -> None:
    from assessments import reviewing

    reviewing.reopen_if_changed_after_approval(assessment, user, what)


def _clean_content(values: dict) -> dict:
    cleaned = {}
    problems = {}
    for name, limit in (("title", 200), ("detail", 2000), ("responsible_name", 200)):
        try:
            cleaned[name] = clean_text(values.get(name, ""), max_length=limit).strip()
        except ValidationError as error:
            problems[name] = error.messages
    if not problems.get("title") and not cleaned.get("title"):
        problems["title"] = [_("すべきことを書いてください。")]
    responsible = values.get("responsible") or PlannedAction.Responsible.DEPARTMENT
    if responsible not in PlannedAction.Responsible.values:
        problems["responsible"] = [_("だれがするかを選んでください。")]
    cleaned["responsible"] = responsible
    due_on = values.get("due_on")
    if due_on is not None and not isinstance(due_on, datetime.date):
        problems["due_on"] = [_("期限を日付で入力してください。")]
    cleaned["due_on"] = due_on
    if problems:
        raise ValidationError(problems)
    return cleaned


def _take(action: PlannedAction, base_version: int) -> PlannedAction:
    """Lock ``action`` and bump its version if it is still at ``base_version``; else StalePlan."""
    updated = PlannedAction.objects.filter(pk=action.pk, version=base_version).update(version=F("version") + 1)
    current = PlannedAction.objects.select_related("assessment__question_set").filter(pk=action.pk).first()
    if current is None or not updated:
        raise StalePlan(current)
    return current


_KEEP = object()


def _risk_of(assessment, risk) -> Risk | None:
    """The risk of ``assessment`` that ``risk`` (a Risk, its id, or empty) names; else ValidationError."""
    if risk in (None, ""):
        return None
    try:
        found = Risk.objects.filter(assessment=assessment, pk=int(risk.pk if isinstance(risk, Risk) else risk)).first()
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        raise ValidationError({"risk": _("この評価のリスクから選んでください。")})
    return found


def _question_of(assessment, question) -> Question | None:
    if question is None:
        return None
    if question.question_set_id != assessment.question_set_id:
        raise ValidationError({"question": _("この評価にない質問です。")})
    return question


@transaction.atomic
def action_create(*, assessment, user, rights: set[str], values: dict, question: Question | None = None,
                  required: bool = False, risk=None) -> PlannedAction:
    """A new action. A reviewer's is always a condition of approval (they may add nothing else)."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    allowed = plan_rights(locked.status, rights)
    if allowed.require and not allowed.edit:
        required = True
    if not (allowed.require if required else allowed.edit):
        raise PermissionDenied(_("この評価の対応計画は、いまは変えられません。"))
    if PlannedAction.objects.filter(assessment=locked).count() >= MAX_ACTIONS:
        raise ValidationError(_("対応計画の項目は%(max)s件までです。") % {"max": MAX_ACTIONS})
    action = PlannedAction(assessment=locked, created_by=user, question=_question_of(locked, question),
                           risk=_risk_of(locked, risk), **_clean_content(values))
    if required:
        action.required, action.required_by, action.required_at = True, user, timezone.now()
    action.save()
    with in_record_language(locked):
        _record(locked, action, PlanChange.Kind.CREATED, user, to_status=action.status,
                note=_("承認の条件として追加") if required else "")
    _report_changed(locked)
    return action


@transaction.atomic
def action_update(*, action: PlannedAction, user, rights: set[str], values: dict, base_version: int,
                  risk=_KEEP) -> PlannedAction:
    """Change what, who, when (and, when ``risk`` is given, the risk it answers: None unlinks it)."""
    current = _take(action, base_version)
    if not may_change_content(current, plan_rights(current.assessment.status, rights)):
        raise PermissionDenied(_("この項目は、いまは変えられません。"))
    cleaned = _clean_content(values)
    if risk is not _KEEP:
        cleaned["risk"] = _risk_of(current.assessment, risk)
    changed = [PlannedAction._meta.get_field(name).verbose_name for name, value in cleaned.items()
               if getattr(current, name) != value]
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.save()
    if changed:
        with in_record_language(current.assessment):
            _record(current.assessment, current, PlanChange.Kind.EDITED, user, note="、".join(str(c) for c in changed))
        _report_changed(current.assessment)
    return current


def status_problems(status: str, *, declined_reason: str, done_on, evidence_title: str, today: datetime.date) -> dict:
    """What a status change lacks (pure): 見送り needs its reason, 完了 the day it was done and the
    source that shows it; neither day may be in the future."""
    problems = {}
    if status not in Status.values:
        problems["status"] = [_("状態を選んでください。")]
    if status == Status.DECLINED and not declined_reason.strip():
        problems["declined_reason"] = [_("見送る理由を書いてください。")]
    if status == Status.DONE:
        if done_on is None:
            problems["done_on"] = [_("完了した日を入力してください。")]
        elif done_on > today:
            problems["done_on"] = [_("完了した日は今日までの日にしてください。")]
        if not evidence_title.strip():
            problems["evidence_title"] = [_("完了したことを示す資料（回答書、契約書、議事録など）の名前を書いてください。")]
    return problems


@transaction.atomic
def action_set_status(*, action: PlannedAction, user, rights: set[str], status: str, note: str, base_version: int,
                      today: datetime.date, declined_reason: str = "", done_on=None, evidence_title: str = "",
                      evidence_url: str = "", evidence_page: str = "", evidence_date=None) -> PlannedAction:
    """Record a new status (and, for 完了, its source; for 見送り, the reason)."""
    current = _take(action, base_version)
    if not plan_rights(current.assessment.status, rights).progress:
        raise PermissionDenied(_("対応の状態を記録できるのは、この評価の編集者です。"))
    texts = {}
    problems = {}
    for name, value, limit in (("note", note, 1000), ("declined_reason", declined_reason, 1000),
                               ("evidence_title", evidence_title, 300), ("evidence_url", evidence_url, 2000),
                               ("evidence_page", evidence_page, 50)):
        try:
            texts[name] = clean_text(value, max_length=limit).strip()
        except ValidationError as error:
            problems[name] = error.messages
    if problems:
        raise ValidationError(problems)
    problems = status_problems(status, declined_reason=texts["declined_reason"], done_on=done_on,
                               evidence_title=texts["evidence_title"], today=today)
    if problems:
        raise ValidationError(problems)
    before = current.status
    current.status = status
    current.declined_reason = texts["declined_reason"] if status == Status.DECLINED else ""
    if status == Status.DONE:
        current.done_on, current.evidence_date = done_on, evidence_date
        current.evidence_title, current.evidence_url, current.evidence_page = (
            texts["evidence_title"], texts["evidence_url"], texts["evidence_page"])
    else:
        current.done_on = current.evidence_date = None
        current.evidence_title = current.evidence_url = current.evidence_page = ""
    current.save()
    _record(current.assessment, current, PlanChange.Kind.STATUS, user, from_status=before, to_status=status,
            note="\n".join(part for part in (texts["note"], texts["declined_reason"] if status == Status.DECLINED else "",
                                              texts["evidence_title"] if status == Status.DONE else "") if part))
    _report_changed(current.assessment)
    with in_record_language(current.assessment):
        _after_approval(current.assessment, user, _("対応計画「%(title)s」（%(status)s）") % {
            "title": current.title, "status": current.get_status_display()})
    return current


@transaction.atomic
def action_require(*, action: PlannedAction, user, rights: set[str], required: bool, note: str,
                   base_version: int) -> PlannedAction:
    """A reviewer makes ``action`` a condition of approval, or clears that."""
    current = _take(action, base_version)
    if not plan_rights(current.assessment.status, rights).require:
        raise PermissionDenied(_("承認の条件を決められるのは、審査中の評価の審査委員です。"))
    note = clean_text(note, max_length=1000).strip()
    if current.required != required:
        current.required = required
        current.required_by, current.required_at = (user, timezone.now()) if required else (None, None)
        current.save()
        _record(current.assessment, current, PlanChange.Kind.REQUIRED if required else PlanChange.Kind.UNREQUIRED,
                user, note=note)
        _report_changed(current.assessment)
    return current


@transaction.atomic
def action_delete(*, action: PlannedAction, user, rights: set[str], base_version: int) -> None:
    current = _take(action, base_version)
    if not may_change_content(current, plan_rights(current.assessment.status, rights)):
        raise PermissionDenied(_("この項目は、いまは削除できません。"))
    _record(current.assessment, None, PlanChange.Kind.DELETED, user, title=current.title, from_status=current.status)
    _report_changed(current.assessment)
    current.delete()


@transaction.atomic
def review_date_set(*, assessment, user, rights: set[str], review_on: datetime.date | None, reason: str,
                    base_version: int) -> ReviewSchedule:
    """The editors choose the next review date (None: back to the question set's interval), with a reason."""
    if not plan_rights(assessment.status, rights).progress:
        raise PermissionDenied(_("見直しの日を決められるのは、この評価の編集者です。"))
    reason = clean_text(reason, max_length=1000).strip()
    if not reason:
        raise ValidationError({"reason": [_("見直しの日を変える理由を書いてください（例: 見直しを終えたため、次の見直しを1年後にする）。")]})
    schedule, _created = ReviewSchedule.objects.get_or_create(assessment_id=assessment.pk)
    updated = ReviewSchedule.objects.filter(pk=schedule.pk, version=base_version).update(version=F("version") + 1)
    if not updated:
        raise StalePlan(ReviewSchedule.objects.get(pk=schedule.pk))
    schedule.refresh_from_db()
    before = schedule.review_on
    schedule.review_on, schedule.reason, schedule.updated_by = review_on, reason, user
    schedule.save()
    with in_record_language(assessment):
        PlanChange.objects.create(
            assessment_id=assessment.pk, kind=PlanChange.Kind.REVIEW_DATE, user=user,
            note=_("%(before)s → %(after)s: %(reason)s") % {
                "before": before.isoformat() if before else _("質問セットの間隔"),
                "after": review_on.isoformat() if review_on else _("質問セットの間隔"), "reason": reason})
    return schedule


# --- Exports and the assessment file -----------------------------------------------------------------

ACTION_HEADER = ["assessment_id", "action_id", "title", "detail", "responsible", "responsible_name", "due_on",
                 "status", "declined_reason", "done_on", "evidence_title", "evidence_url", "evidence_page",
                 "evidence_date", "required", "question_key", "risk"]


def _day(value) -> str:
    return value.isoformat() if value else ""


def action_data(action: PlannedAction, risk_number: int | None = None) -> dict:
    """One action as plain data (the assessment file, the open data's JSON); ``risk`` is the number
    of the risk it answers (R1 → 1), written only when it answers one."""
    data = {
        "title": action.title, "detail": action.detail, "responsible": action.responsible,
        "responsible_name": action.responsible_name, "due_on": _day(action.due_on), "status": action.status,
        "declined_reason": action.declined_reason, "done_on": _day(action.done_on),
        "evidence": {"title": action.evidence_title, "url": action.evidence_url, "page": action.evidence_page,
                     "date": _day(action.evidence_date)},
        "required": action.required,
        "question": action.question.key if action.question_id else "",
    }
    if risk_number:
        data["risk"] = risk_number
    return data


def action_rows(assessments):
    """One row per action of ``assessments`` (a queryset of pks), labels in Japanese (two queries)."""
    actions = (PlannedAction.objects.filter(assessment__in=assessments).select_related("question", "risk")
               .order_by("assessment_id", F("due_on").asc(nulls_last=True), "pk"))
    for action in actions.iterator(chunk_size=2000):
        yield [action.assessment_id, action.pk, action.title, action.detail, action.get_responsible_display(),
               action.responsible_name, _day(action.due_on), action.get_status_display(), action.declined_reason,
               _day(action.done_on), action.evidence_title, action.evidence_url, action.evidence_page,
               _day(action.evidence_date), "yes" if action.required else "",
               action.question.key if action.question_id else "", action.risk.title if action.risk_id else ""]


def actions_from_data(*, assessment, user, items, questions: dict, today: datetime.date,
                      risks: dict | None = None) -> list[PlannedAction]:
    """The actions of an assessment file (exchange), checked by the same rules as the pages; a
    problem raises ValidationError naming the item. A file's 承認の条件 is not carried: conditions
    are set by this dxpia's reviewers. ``risks`` maps the file's risk numbers (1, 2, …) to the risks
    made from it."""
    if not isinstance(items, list):
        raise ValidationError(_("「actions」（対応計画）は項目の一覧にしてください。"))
    if len(items) > MAX_ACTIONS:
        raise ValidationError(_("対応計画の項目は%(max)s件までです。") % {"max": MAX_ACTIONS})
    made = []
    for number, item in enumerate(items, start=1):
        where = _("対応計画の%(n)s件目") % {"n": number}
        try:
            made.append(_action_from_item(assessment, user, item, questions, today, risks or {}))
        except ValidationError as error:
            details = "、".join(error.messages)
            raise ValidationError(f"{where}: {details}") from None
    return made


def _date(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValidationError(_("日付は 2026-05-01 の形にしてください。"))
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("日付は 2026-05-01 の形にしてください。")) from None


def _action_from_item(assessment, user, item, questions, today, risks) -> PlannedAction:
    if not isinstance(item, dict):
        raise ValidationError(_("項目の形が正しくありません。"))
    known = {"title", "detail", "responsible", "responsible_name", "due_on", "status", "declined_reason", "done_on",
             "evidence", "required", "question", "risk"}
    unknown = sorted(set(item) - known)
    if unknown:
        raise ValidationError(_("知らない項目があります: %(names)s") % {"names": ", ".join(unknown)})
    values = _clean_content({**item, "due_on": _date(item.get("due_on"))})
    key = item.get("question") or ""
    question = questions.get(key) if key else None
    if key and question is None:
        raise ValidationError(_("質問 %(key)r はこの質問セットにありません。") % {"key": key})
    number = item.get("risk")
    risk = None
    if number is not None:
        if isinstance(number, bool) or not isinstance(number, int) or number not in risks:
            raise ValidationError(_("「risk」は、このファイルのリスクの番号（1から%(n)s）にしてください。") % {"n": len(risks)})
        risk = risks[number]
    status = item.get("status") or Status.TODO
    evidence = item.get("evidence") or {}
    if not isinstance(evidence, dict):
        raise ValidationError(_("「evidence」（完了を示す資料）の形が正しくありません。"))
    texts = {name: clean_text(value if isinstance(value, str) else "", max_length=limit).strip()
             for name, value, limit in (("declined_reason", item.get("declined_reason"), 1000),
                                        ("evidence_title", evidence.get("title"), 300),
                                        ("evidence_url", evidence.get("url"), 2000),
                                        ("evidence_page", evidence.get("page"), 50))}
    done_on = _date(item.get("done_on"))
    problems = status_problems(status, declined_reason=texts["declined_reason"], done_on=done_on,
                               evidence_title=texts["evidence_title"], today=today)
    if problems:
        raise ValidationError([message for messages in problems.values() for message in messages])
    action = PlannedAction(assessment=assessment, created_by=user, question=question, risk=risk, status=status, **values,
                           declined_reason=texts["declined_reason"] if status == Status.DECLINED else "")
    if status == Status.DONE:
        action.done_on, action.evidence_date = done_on, _date(evidence.get("date"))
        action.evidence_title, action.evidence_url, action.evidence_page = (
            texts["evidence_title"], texts["evidence_url"], texts["evidence_page"])
    action.save()
    _record(assessment, action, PlanChange.Kind.IMPORTED, user, to_status=status)
    return action
