"""The risk register of an assessment (リスク): reads shaped for the pages, and the writes.

Reads take a fixed number of queries whatever the number of risks. Writes happen in one transaction
each, under the assessment's row lock, only while its answers may be edited (Assessment.answers_editable);
a risk changed or deleted from a form opened before someone else saved it is refused, never
overwritten (``StaleRisk``). The pure logic is in risk_levels (levels, the map) and risk_rules
(suggestions).
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments import render_ahead, risk_levels, risk_rules, selectors
from assessments.models import (
    Assessment,
    DismissedSuggestion,
    Harm,
    InventoryRow,
    PlannedAction,
    Question,
    QuestionSet,
    Risk,
    RiskScaleStep,
)

# At most this many risks per assessment: the register, the map and the report chapter stay readable
# and bounded (the answers have their own budget, answer_saving.CONTENT_BUDGET).
MAX_RISKS = 100
TEXT_LIMIT = 5000


# --- The question set's risk part ---------------------------------------------------------------------


@dataclass(frozen=True)
class RiskPart:
    """A question set's risk part as plain data, and its harms (key → Harm) for the pages."""

    model: risk_levels.RiskModel | None
    rules: tuple[risk_rules.Rule, ...]
    harms: dict


_PARTS: dict[tuple, RiskPart] = {}


def risk_part(question_set: QuestionSet) -> RiskPart:
    """The set's scales, levels, matrix, harms and rules. Frozen sets are kept in memory per process
    (as selectors.scoring_structure does); a draft is read anew (one query for a set without harms,
    eight with a risk part)."""
    cache_key = selectors.frozen_key(question_set)
    if cache_key is not None and cache_key in _PARTS:
        return _PARTS[cache_key]
    harms = {h.key: h for h in Harm.objects.filter(question_set=question_set)}
    if not harms:  # no risk part (v1, v2): a rule or a risk needs a harm (one query)
        part = RiskPart(model=None, rules=(), harms={})
        if cache_key is not None:
            _PARTS[cache_key] = part
        return part
    steps = list(RiskScaleStep.objects.filter(question_set=question_set))
    levels = list(question_set.risk_levels.all())
    cells = {(c.severity, c.likelihood): c.level_id for c in question_set.risk_matrix_cells.all()}
    model = None
    if steps and levels:
        keys = {lv.pk: lv.key for lv in levels}

        def scale(name):
            return tuple(risk_levels.ScaleStep(value=s.value, label=s.label, description=s.description)
                         for s in steps if s.scale == name)

        severity = scale(RiskScaleStep.Scale.SEVERITY)
        model = risk_levels.RiskModel(
            severity=severity,
            likelihood=scale(RiskScaleStep.Scale.LIKELIHOOD),
            levels=tuple(risk_levels.LevelDef(key=lv.key, label=lv.label, description=lv.description, rank=rank)
                         for rank, lv in enumerate(levels)),
            matrix=tuple(tuple(keys.get(cells.get((s, lk)), "") for lk in range(1, len(severity) + 1))
                         for s in range(1, len(severity) + 1)),
            note=question_set.risk_note,
        )
    questions = {
        q.key: (q.type, frozenset(c.key for c in q.choices.all()))
        for q in Question.objects.filter(question_set=question_set).prefetch_related("choices")
    }
    rules = []
    for rule in question_set.suggestion_rules.prefetch_related("harms"):
        conditions, problems = risk_rules.parse_conditions(rule.conditions, questions)
        if problems:  # a draft being edited; a published set was checked before it was published
            continue
        rules.append(risk_rules.Rule(
            key=rule.key, title=rule.title, reason=rule.reason, match=rule.match, conditions=conditions,
            harms=tuple(h.key for h in sorted(rule.harms.all(), key=lambda h: (h.position, h.pk))),
        ))
    part = RiskPart(model=model, rules=tuple(rules), harms=harms)
    if cache_key is not None:
        _PARTS[cache_key] = part
    return part


# --- The register ---------------------------------------------------------------------------------------


@dataclass
class RiskView:
    risk: Risk
    number: int
    level: object  # risk_levels.LevelDef | None
    residual_level: object
    severity: object  # risk_levels.ScaleStep | None
    likelihood: object
    residual_severity: object
    residual_likelihood: object
    harms: list
    questions: list
    items: list  # (name, still in the inventory)
    actions: list = field(default_factory=list)  # the plan's actions against it (PlannedAction.risk)
    origin_title: str = ""  # the title of the suggestion it was accepted from

    @property
    def label(self) -> str:
        return f"R{self.number}"


@dataclass
class SuggestionView:
    suggestion: risk_rules.Suggestion
    harms: list
    reasons: list[str]
    questions: list
    accepted: list = field(default_factory=list)  # RiskViews made from it
    dismissal: DismissedSuggestion | None = None
    grown: bool = False  # dismissed before, and rests on more now

    @property
    def rule(self):
        return self.suggestion.rule

    @property
    def state(self) -> str:
        if self.accepted:
            return "accepted"
        if self.dismissal is not None and not self.grown:
            return "dismissed"
        return "open"


@dataclass
class Register:
    assessment: Assessment
    model: object  # risk_levels.RiskModel | None: None when the set has no risk part
    risks: list[RiskView]
    suggestions: list[SuggestionView]
    # Dismissals whose suggestion no longer arises from the answers (shown, so the reason stays readable).
    lapsed_dismissals: list[DismissedSuggestion]
    harms: list
    before: object = None  # risk_levels.RiskMap
    after: object = None

    @property
    def enabled(self) -> bool:
        return self.model is not None

    @property
    def open_suggestions(self) -> list[SuggestionView]:
        return [s for s in self.suggestions if s.state == "open"]

    @property
    def dismissed_suggestions(self) -> list[SuggestionView]:
        return [s for s in self.suggestions if s.state == "dismissed"]

    @property
    def with_residual(self) -> int:
        return sum(1 for view in self.risks if view.residual_level is not None)


def _rows_for_rules(workspace) -> list[risk_rules.Row]:
    names = risk_rules.YES_NO_FIELDS + risk_rules.TEXT_FIELDS
    return [
        risk_rules.Row(question=key, data_item=row.data_item, values={name: getattr(row, name) for name in names})
        for key, answer in workspace.answers.items()
        for row in answer.inventory_rows.all()
    ]


def inventory_items(workspace) -> list[str]:
    """The data items of the shown inventory, in order, each name once."""
    return list(dict.fromkeys(
        row.data_item for key, answer in workspace.answers.items() if key in workspace.result.visible
        for row in answer.inventory_rows.all()
    ))


def _field_label(name: str) -> str:
    return str(InventoryRow._meta.get_field(name).verbose_name)


def _data(text) -> SafeString:
    """The question set's or the assessment's own words (a question, a choice, a data item): Japanese
    whatever the interface language (marked so on a page of another language)."""
    from assessments.templatetags.dxpia import lang_ja_filter

    return lang_ja_filter(text)


def _data_list(texts, separator: str) -> SafeString:
    return mark_safe(conditional_escape(separator).join(_data(text) for text in texts))


def _html(message: str, **values) -> SafeString:
    """``message % values`` as HTML: the message escaped, each value escaped unless already HTML."""
    return mark_safe(conditional_escape(message) % {name: conditional_escape(value) for name, value in values.items()})


def condition_text(condition: risk_rules.Condition) -> SafeString:
    """An inventory condition in words: 要配慮個人情報が「はい」、目的に必要な理由が空欄."""
    yes_no = dict(InventoryRow.YesNo.choices)
    parts = []
    for name, expected in condition.row:
        if expected in risk_rules.TEXT_VALUES:
            parts.append(_html(_("%(field)sが空欄"), field=_field_label(name)) if expected == "empty"
                         else _html(_("%(field)sが記入済み"), field=_field_label(name)))
        else:
            parts.append(_html(_("%(field)sが「%(value)s」"), field=_field_label(name), value=yes_no[expected]))
    return mark_safe(conditional_escape(_("、")).join(parts))


ITEMS_SHOWN = 8


def _reason(match: risk_rules.Match, by_key: dict) -> SafeString:
    """Why a rule suggests a risk, as HTML (the set's and the inventory's words marked Japanese)."""
    if match.items:
        shown = _data_list(match.items[:ITEMS_SHOWN], _("、"))
        more = len(match.items) - ITEMS_SHOWN
        if more > 0:
            shown += _html(_("ほか%(count)s項目"), count=more)
        return _html(_("データ項目一覧で、%(condition)sの項目: %(items)s"),
                     condition=condition_text(match.condition), items=shown)
    question = by_key.get(match.question)
    text = question.text if question is not None else match.question
    if match.mark:
        from assessments.answer_values import MARKS

        return _html(_("「%(question)s」が「%(mark)s」"), question=_data(text), mark=_data(MARKS.get(match.mark, match.mark)))
    return _html(_("「%(question)s」に「%(answer)s」と回答"), question=_data(text), answer=_data_list(match.choices, _("、")))


def risk_register(assessment: Assessment, workspace=None) -> Register:
    """The register with levels, numbers, the suggestions that arise from the answers now (with
    their state) and the map before and after planned measures. A fixed number of queries: the
    risks with their harms, questions and actions (4), the dismissals (1), the set's risk part (cached for a
    published set) and the workspace if not given; for a set without a risk part, only the latter."""

    part = risk_part(assessment.question_set)
    if not part.harms:  # a set without a risk part: no risk can name a harm, nothing is suggested
        return Register(assessment=assessment, model=None, risks=[], suggestions=[], lapsed_dismissals=[], harms=[])
    if workspace is None:
        workspace = selectors.assessment_workspace(assessment)
    by_key = workspace.by_key
    model = part.model
    risks = list(
        Risk.objects.filter(assessment=assessment).order_by("pk").prefetch_related(
            Prefetch("harms", queryset=Harm.objects.order_by("position", "pk")),
            Prefetch("questions", queryset=Question.objects.order_by("section__position", "position", "pk")),
            Prefetch("actions", queryset=PlannedAction.objects.order_by("pk")),
        )
    )
    items_now = set(inventory_items(workspace))
    rule_titles = {rule.key: rule.title for rule in part.rules}
    views = []
    for number, risk in enumerate(risks, start=1):
        def step(scale, value):
            return model.step(scale, value) if model else None

        views.append(RiskView(
            risk=risk, number=number,
            level=risk_levels.level_of(model, risk.severity, risk.likelihood) if model else None,
            residual_level=risk_levels.level_of(model, risk.residual_severity, risk.residual_likelihood) if model else None,
            severity=step(risk_levels.SEVERITY, risk.severity), likelihood=step(risk_levels.LIKELIHOOD, risk.likelihood),
            residual_severity=step(risk_levels.SEVERITY, risk.residual_severity),
            residual_likelihood=step(risk_levels.LIKELIHOOD, risk.residual_likelihood),
            harms=list(risk.harms.all()),
            questions=[by_key.get(q.key, q) for q in risk.questions.all()],
            items=[(name, name in items_now) for name in risk.data_items],
            actions=list(risk.actions.all()),
            origin_title=rule_titles.get(risk.origin_rule, risk.origin_rule),
        ))
    dismissals = {d.rule_key: d for d in DismissedSuggestion.objects.filter(assessment=assessment, restored_at=None)
                  .select_related("dismissed_by__profile")}
    suggestions = []
    found = risk_rules.suggest(part.rules, workspace.specs, workspace.values(), _rows_for_rules(workspace),
                               visible=workspace.result.visible)
    for suggestion in found:
        dismissal = dismissals.get(suggestion.rule.key)
        suggestions.append(SuggestionView(
            suggestion=suggestion,
            harms=[part.harms[k] for k in suggestion.rule.harms if k in part.harms],
            reasons=[_reason(m, by_key) for m in suggestion.matches],
            questions=[by_key[k] for k in suggestion.questions if k in by_key],
            accepted=[v for v in views if v.risk.origin_rule == suggestion.rule.key],
            dismissal=dismissal,
            grown=dismissal is not None and not risk_rules.covers(dismissal.basis, suggestion),
        ))
    arising = {s.rule.key for s in found}
    register = Register(
        assessment=assessment, model=model, risks=views, suggestions=suggestions,
        lapsed_dismissals=[d for key, d in dismissals.items() if key not in arising],
        harms=list(part.harms.values()),
    )
    if model is not None:
        register.before = risk_levels.risk_map(model, [(v.number, v.risk.severity, v.risk.likelihood) for v in views])
        register.after = risk_levels.risk_map(
            model, [(v.number, v.risk.residual_severity, v.risk.residual_likelihood) for v in views])
    return register


@dataclass(frozen=True)
class RuleView:
    rule: risk_rules.Rule
    harms: list
    conditions: list[str]


def rule_views(question_set: QuestionSet, part: RiskPart | None = None) -> list[RuleView]:
    """The set's suggestion rules with their conditions in words, for the question set's page."""
    part = part or risk_part(question_set)
    questions = {q.key: q for q in Question.objects.filter(question_set=question_set).prefetch_related("choices")}
    from assessments.answer_values import MARKS

    def words(condition: risk_rules.Condition) -> SafeString:
        """A rule's condition in words, as HTML (the set's questions and choices marked Japanese)."""
        if condition.kind == "inventory":
            return _html(_("データ項目一覧に、%(condition)sの項目がある"), condition=condition_text(condition))
        question = questions.get(condition.question)
        text = _data(question.text if question else condition.question)
        if condition.kind == "choice":
            labels = [c.label for c in question.choices.all() if c.key in condition.choices] if question else []
            return _html(_("「%(question)s」に「%(answer)s」と回答"), question=text, answer=_data_list(labels, _("」「")))
        if condition.kind == "red_flag":
            return _html(_("「%(question)s」に、警告（レッドフラグ）のある選択肢で回答"), question=text)
        return _html(_("「%(question)s」が「%(marks)s」"), question=text,  # the marks as answers show them
                     marks=_data_list([MARKS[m] for m in risk_rules.MARKS if m in condition.marks], _("」「")))

    return [RuleView(rule=rule, harms=[part.harms[k] for k in rule.harms if k in part.harms],
                     conditions=[words(c) for c in rule.conditions]) for rule in part.rules]


def questionset_context(question_set: QuestionSet) -> dict:
    part = risk_part(question_set)
    return {"risk_part": part, "risk_rules": rule_views(question_set, part) if part.model else []}


def fingerprint_material(assessment: Assessment) -> dict:
    """What of the register the review body approves (reviewing.content_fingerprint): the risks and
    the dismissed suggestions with their reasons. Empty for an assessment without either, so that
    the fingerprints of assessments approved before risks existed stay as they were."""
    risks = [
        {"title": r.title, "description": r.description, "harms": sorted(h.key for h in r.harms.all()),
         "questions": sorted(q.key for q in r.questions.all()), "data_items": r.data_items,
         "severity": r.severity, "likelihood": r.likelihood, "existing_measures": r.existing_measures,
         "residual_severity": r.residual_severity, "residual_likelihood": r.residual_likelihood,
         "residual_note": r.residual_note, "origin_rule": r.origin_rule}
        for r in Risk.objects.filter(assessment=assessment).order_by("pk").prefetch_related("harms", "questions")
    ]
    dismissed = [
        {"rule": d.rule_key, "reason": d.reason}
        for d in DismissedSuggestion.objects.filter(assessment=assessment, restored_at=None).order_by("rule_key")
    ]
    material = {}
    if risks:
        material["risks"] = risks
    if dismissed:
        material["dismissed_suggestions"] = dismissed
    return material


# --- Writes -------------------------------------------------------------------------------------------


class RisksLocked(PermissionDenied):
    """The register is read-only from submission until the assessment is returned, as the answers are."""


class StaleRisk(Exception):
    """Someone changed or deleted the risk after the form was opened; ``current`` is what is stored
    now (None: it was deleted)."""

    def __init__(self, current: Risk | None):
        super().__init__("stale risk")
        self.current = current


RISK_FIELDS = ("title", "description", "data_items", "severity", "likelihood", "existing_measures",
               "residual_severity", "residual_likelihood", "residual_note", "origin_rule")


def _lock(assessment: Assessment) -> Assessment:
    """Take the assessment's row lock and check that its register may change; a new revision (what
    follows revisions, e.g. lists and caches, sees the change)."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not locked.answers_editable:
        raise RisksLocked(_("提出後のリスクは、差し戻されるまで変更できません。"))
    Assessment.objects.filter(pk=locked.pk).update(revision=F("revision") + 1, updated_at=timezone.now())
    render_ahead.report_changed(locked.pk)
    return locked


def _check_links(assessment: Assessment, values: dict) -> None:
    set_id = assessment.question_set_id
    if any(h.question_set_id != set_id for h in values["harms"]):
        raise ValidationError({"harms": _("この評価の質問セットにない害です。")})
    if any(q.question_set_id != set_id for q in values["questions"]):
        raise ValidationError({"questions": _("この評価にない質問です。")})


@transaction.atomic
def risk_create(*, assessment: Assessment, user, values: dict) -> Risk:
    """A new risk from cleaned ``values`` (RISK_FIELDS plus ``harms`` and ``questions``)."""
    _lock(assessment)
    _check_links(assessment, values)
    if Risk.objects.filter(assessment=assessment).count() >= MAX_RISKS:
        raise ValidationError(_("1つの評価に記録できるリスクは%(max)s件までです。") % {"max": MAX_RISKS})
    risk = Risk(assessment=assessment, created_by=user, updated_by=user,
                **{name: values[name] for name in RISK_FIELDS})
    risk.full_clean(exclude=["harms", "questions"])
    risk.save()
    risk.harms.set(values["harms"])
    risk.questions.set(values["questions"])
    return risk


def _current(assessment: Assessment, risk_id: int) -> Risk | None:
    return Risk.objects.select_for_update().filter(assessment=assessment, pk=risk_id).first()


@transaction.atomic
def risk_update(*, assessment: Assessment, risk_id: int, user, values: dict, base_version: int) -> Risk:
    """Store ``values`` if the risk is still at ``base_version``; otherwise raise StaleRisk."""
    _lock(assessment)
    risk = _current(assessment, risk_id)
    if risk is None or risk.version != base_version:
        raise StaleRisk(risk)
    _check_links(assessment, values)
    for name in RISK_FIELDS:
        setattr(risk, name, values[name])
    risk.version += 1
    risk.updated_by = user
    risk.full_clean(exclude=["harms", "questions"])
    risk.save()
    risk.harms.set(values["harms"])
    risk.questions.set(values["questions"])
    return risk


@transaction.atomic
def risk_delete(*, assessment: Assessment, risk_id: int, base_version: int) -> None:
    _lock(assessment)
    risk = _current(assessment, risk_id)
    if risk is None or risk.version != base_version:
        raise StaleRisk(risk)
    risk.delete()


class StaleDismissal(Exception):
    """The suggestion's dismissal changed after the page was opened (someone set it aside, or brought
    it back, meanwhile); ``current`` is the dismissal in force now (None: none)."""

    def __init__(self, current: DismissedSuggestion | None):
        super().__init__("stale dismissal")
        self.current = current


def _check_seen_dismissal(assessment, rule_key: str, seen: int | None) -> None:
    """``seen``: the pk of the dismissal in force that the page showed, 0 for none (None: no check,
    an assessment file's import). Another person's dismissal, or its restoring, is not replaced unseen."""
    if seen is None:
        return
    current = DismissedSuggestion.objects.filter(assessment=assessment, rule_key=rule_key, restored_at=None).first()
    if (current.pk if current else 0) != seen:
        raise StaleDismissal(current)


@transaction.atomic
def suggestion_dismiss(*, assessment: Assessment, user, rule_key: str, reason: str,
                       require_arising: bool = True, seen: int | None = None) -> DismissedSuggestion:
    """Set a suggestion that arises now aside, with the reason and what it rests on now. An
    assessment file may carry a dismissal whose suggestion does not arise (``require_arising``
    False): it is kept with nothing it rests on, and shown as such."""
    from assessments.answer_values import clean_text

    _lock(assessment)
    _check_seen_dismissal(assessment, rule_key, seen)
    reason = clean_text(reason, max_length=TEXT_LIMIT).strip()
    if not reason:
        raise ValidationError({"reason": _("見送る理由を書いてください。")})
    current = next((s for s in risk_register(assessment).suggestions if s.rule.key == rule_key), None)
    if current is None and (require_arising or rule_key not in {r.key for r in risk_part(assessment.question_set).rules}):
        raise ValidationError({"reason": _("この示唆は、いまの回答からは出ていません。")})
    DismissedSuggestion.objects.filter(assessment=assessment, rule_key=rule_key, restored_at=None).update(
        restored_at=timezone.now(), restored_by=user)  # a grown suggestion dismissed again: the new reason stands
    return DismissedSuggestion.objects.create(assessment=assessment, rule_key=rule_key, reason=reason,
                                              basis=current.suggestion.basis if current else {}, dismissed_by=user)


@transaction.atomic
def suggestion_restore(*, assessment: Assessment, user, rule_key: str, seen: int | None = None) -> bool:
    """Bring a dismissed suggestion back; the dismissal stays on record as restored."""
    _lock(assessment)
    _check_seen_dismissal(assessment, rule_key, seen)
    return bool(DismissedSuggestion.objects.filter(assessment=assessment, rule_key=rule_key, restored_at=None)
                .update(restored_at=timezone.now(), restored_by=user))
