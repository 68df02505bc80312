"""Reads: queries shaped for the pages that show them, each a fixed number of SQL queries."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce

from assessments import people, scoring
from assessments.models import (
    Answer,
    Assessment,
    Choice,
    Partner,
    Comment,
    Evidence,
    InventoryRow,
    Level,
    Project,
    Question,
    QuestionSet,
    Section,
    Source,
    Topic,
)


# What every page and document of an assessment shows beside it: the project and its municipality,
# the question set, the owner's profile, the organisation and the review schedule.
PAGE_RELATIONS = ("project__municipality", "question_set", "owner__profile", "organisation", "review_schedule")


def assessments_with_relations(relations: tuple[str, ...] = PAGE_RELATIONS):
    """Assessments with ``relations`` read in the same query (by default PAGE_RELATIONS). Reading
    them costs the ORM more than the query costs the database (about 2 ms a request on PostgreSQL
    for all of them, 0.4 ms for none): a view that needs fewer names fewer; any other is read when
    first used."""
    return Assessment.objects.select_related(*relations)


def frozen_key(question_set: QuestionSet) -> tuple | None:
    """What identifies a published or retired set's frozen state (it cannot change, in the admin or
    at model level), for the per-process caches of what is read from it; None for a draft, which
    is read anew each time."""
    if not question_set.is_frozen:
        return None
    return (question_set.pk, question_set.key, question_set.version, question_set.published_at)


_SECTIONS: dict[tuple, list[Section]] = {}


def questionset_structure(question_set: QuestionSet) -> list[Section]:
    """Sections in order, each with its questions, their choices and display conditions (4 queries;
    none for a frozen set already read by this process, which every page of it shares read-only)."""
    cache_key = frozen_key(question_set)
    if cache_key is not None and cache_key in _SECTIONS:
        return list(_SECTIONS[cache_key])
    questions = Question.objects.select_related("condition_question").prefetch_related(
        "choices", "condition_choices"
    )
    sections = list(
        Section.objects.filter(question_set=question_set)
        .order_by("position", "pk")
        .prefetch_related(Prefetch("questions", queryset=questions.order_by("position", "pk")))
    )
    if cache_key is not None:
        _SECTIONS[cache_key] = sections
    return list(sections)


def default_questionset() -> QuestionSet | None:
    """The question set new assessments start with: the most recently published of those they may
    start on (an older version published after a newer one is not among them)."""
    return questionsets_for_new_assessments().order_by("-published_at", "-version").first()


def questionsets_for_new_assessments():
    """The newest published version of each question set. The older ones stay published and readable
    for the assessments made with them, but nobody starts a new assessment on a version whose own
    successor's changelog calls parts of it unfair (dx-pia v1 has no 判定保留 and scores 不明
    everywhere as 深刻な懸念)."""
    published = QuestionSet.objects.published()
    newer = published.filter(key=OuterRef("key"), version__gt=OuterRef("version"))
    return published.exclude(Exists(newer))


def published_questionsets():
    return QuestionSet.objects.published().annotate(question_count=Count("questions")).order_by("key", "-version")


# --- Catalogue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceTotals:
    """The adoption table's figures as the source gives them and as the stored rows add up."""

    source: Source
    rows: int
    known_rows: int
    known_sum: int
    stated_total: int | None
    unknown_projects: list[Project]

    @property
    def gap(self) -> int | None:
        return None if self.stated_total is None else self.stated_total - self.known_sum


def source_totals() -> list[SourceTotals]:
    totals = []
    for source in Source.objects.order_by("key"):
        projects = list(source.projects.select_related("municipality").order_by("source_row"))
        known = [p.amount_thousand_yen for p in projects if p.amount_thousand_yen is not None]
        totals.append(
            SourceTotals(
                source=source,
                rows=len(projects),
                known_rows=len(known),
                known_sum=sum(known),
                stated_total=source.stated_total_thousand_yen,
                unknown_projects=[p for p in projects if p.amount_thousand_yen is None],
            )
        )
    return totals


def project_search(*, text="", municipality=None, category=None, amount_min=None, amount_max=None):
    projects = Project.objects.select_related("municipality").prefetch_related("categories")
    if text:
        words = text.split()
        for word in words:
            projects = projects.filter(
                Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(municipality__name__icontains=word)
                | Q(program__icontains=word)
                | Q(data_items__name__icontains=word)
            )
        projects = projects.distinct()
    if municipality is not None:
        projects = projects.filter(municipality=municipality)
    if category is not None:
        projects = projects.filter(categories=category)
    if amount_min is not None:
        projects = projects.filter(amount_thousand_yen__gte=amount_min)
    if amount_max is not None:
        projects = projects.filter(amount_thousand_yen__lte=amount_max)
    # The source table's rows in their order first, then the case studies.
    return projects.order_by(F("source_row").asc(nulls_last=True), "municipality__code", "key")


def project_detail(key: str) -> Project:
    return (
        Project.objects.select_related("municipality", "source")
        .prefetch_related("categories", "data_items", "partners")
        .get(key=key)
    )


def partner_groups(project: Project) -> list[dict]:
    """The project's partners by kind, in the source's order, with how many the source's list names
    (some twice): 民間営利企業 59 (63 in the list), 社団・財団・NPO等 16, …"""
    groups = []
    for kind, label in Partner.Kind.choices:
        partners = [p for p in project.partners.all() if p.kind == kind]
        if partners:
            groups.append({"label": label, "partners": partners, "listed": sum(p.listed for p in partners),
                           "twice": [p for p in partners if p.listed > 1]})
    return groups


@dataclass(frozen=True)
class TopicView:
    topic: Topic
    questions: list[Question]
    projects: list[Project]


def topics_with_questions(topics, question_set: QuestionSet | None) -> list[TopicView]:
    """Each topic with the questions of ``question_set`` that ask about it, in the topic's order of
    keys (keys the set lacks are left out), and its projects (three queries whatever the count)."""
    topics = list(topics.prefetch_related(
        Prefetch("projects", queryset=Project.objects.select_related("municipality").order_by(
            F("source_row").asc(nulls_last=True), "key"))
    ))
    keys = {key for topic in topics for key in topic.question_keys}
    questions = {}
    if question_set is not None and keys:
        questions = {q.key: q for q in Question.objects.filter(question_set=question_set, key__in=keys)}
    return [
        TopicView(topic=topic, questions=[questions[k] for k in topic.question_keys if k in questions],
                  projects=list(topic.projects.all()))
        for topic in topics
    ]


# --- Assessments --------------------------------------------------------------------------------------


def question_spec(question: Question) -> scoring.QuestionSpec:
    """Plain data for the pure scoring code (choices and condition choices must be prefetched)."""
    return scoring.QuestionSpec(
        key=question.key,
        section=question.section.key,
        text=question.text,
        type=question.type,
        required=question.required,
        weight=question.risk_weight,
        choices=tuple(
            scoring.ChoiceSpec(key=c.key, label=c.label, score=c.score, meaning=c.meaning, red_flag=c.red_flag)
            for c in question.choices.all()
        ),
        condition_question=question.condition_question.key if question.condition_question_id else None,
        condition_choices=frozenset(c.key for c in question.condition_choices.all()),
        screening_role=question.screening_role,
    )


@dataclass
class SectionProgress:
    section: Section
    answered: int
    visible: int

    @property
    def complete(self) -> bool:
        """Every shown question answered; a section with nothing shown yet (its questions wait for
        the screening's answer) is not complete, and not shown as done."""
        return self.visible > 0 and self.answered == self.visible


@dataclass
class Workspace:
    """Everything the wizard, the summary and the reports need about one assessment.

    Built in a fixed number of queries whatever the number of questions: the set's structure
    (sections, questions, choices, condition choices) and the answers with their rows.
    """

    assessment: Assessment
    sections: list[Section]
    questions: list[Question]
    answers: dict[str, Answer]
    rows: dict[str, int]  # per answered question key: its sources (evidence) and inventory rows
    specs: list[scoring.QuestionSpec]
    result: scoring.Result
    levels: list[Level]

    @property
    def by_key(self) -> dict[str, Question]:
        return {question.key: question for question in self.questions}

    def values(self) -> dict[str, object]:
        return {key: answer.value for key, answer in self.answers.items()}

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def progress(self) -> list[SectionProgress]:
        progress = []
        for section in self.sections:
            keys = [q.key for q in section.questions.all() if q.key in self.result.visible]
            answered = sum(1 for key in keys if self._answered(key))
            progress.append(SectionProgress(section=section, answered=answered, visible=len(keys)))
        return progress

    def _answered(self, key: str) -> bool:
        answer = self.answers.get(key)
        if answer is None:
            return False
        return scoring.is_answered(self._specs_by_key[key], answer.value, has_rows=self.rows.get(key, 0) > 0)

    @cached_property
    def _specs_by_key(self) -> dict[str, scoring.QuestionSpec]:
        return {spec.key: spec for spec in self.specs}

    def screening(self) -> scoring.ScreeningResult:
        values = self.values()
        by_role = {q.screening_role: q for q in self.questions if q.screening_role}

        def number(role):
            question = by_role.get(role)
            raw = values.get(question.key) if question else None
            try:
                return int(Decimal(raw)) if raw not in (None, "") else None
            except (InvalidOperation, TypeError, ValueError):
                return None

        incident_question = by_role.get(Question.ScreeningRole.SERIOUS_INCIDENT)
        incident = values.get(incident_question.key) if incident_question else None
        criteria_question = by_role.get(Question.ScreeningRole.CRITERIA)
        criteria = []
        if criteria_question is not None:
            chosen = set(scoring.chosen_keys(values.get(criteria_question.key)))
            criteria = [
                c.label
                for c in criteria_question.choices.all()
                if c.key in chosen and c.meaning == Choice.Meaning.ANSWER
            ]
        qs = self.assessment.question_set
        thresholds = scoring.ScreeningThresholds(
            persons_not_required_below=qs.persons_not_required_below,
            persons_small_band_from=qs.persons_small_band_from,
            persons_priority_from=qs.persons_priority_from,
            persons_full_from=qs.persons_full_from,
            handlers_threshold=qs.handlers_threshold,
            criteria_for_full=qs.criteria_for_full,
        )
        personal_data_question = by_role.get(Question.ScreeningRole.PERSONAL_DATA)
        personal_data = values.get(personal_data_question.key) if personal_data_question else None
        visible = self.result.visible
        unanswered = frozenset(
            role for role, question in by_role.items()
            if question.key in visible and values.get(question.key) in (None, "", [])
        )
        return scoring.screen(
            unanswered=unanswered,
            personal_data=(personal_data if isinstance(personal_data, str) else "") if personal_data_question else None,
            persons=number(Question.ScreeningRole.PERSONS_COVERED),
            handlers=number(Question.ScreeningRole.HANDLERS),
            incident=incident if isinstance(incident, str) else None,
            criteria=criteria,
            thresholds=thresholds,
        )

    def flagged_rows(self) -> list[tuple[Question, InventoryRow, int]]:
        """Inventory rows with problems, each with the (visible) question it belongs to and its
        number in the data inventory as the report's table and the section page number it (two rows
        may name the same item)."""
        flagged, number = [], 0
        for question in self.questions:
            answer = self.answers.get(question.key)
            if question.type != Question.Type.INVENTORY or question.key not in self.result.visible or answer is None:
                continue
            for row in answer.inventory_rows.all():
                number += 1
                if row.flagged:
                    flagged.append((question, row, number))
        return flagged

    def proposals(self) -> list[tuple[Question, str]]:
        """The proposals of the visible questions answered weakly (a choice scoring below the best,
        or meaning 不明 or 未開示), in order, each with the labels of the chosen choices."""
        weak_meanings = {Choice.Meaning.UNKNOWN, Choice.Meaning.NOT_DISCLOSED}
        by_key = self.by_key
        proposals = []
        for spec in self.specs:
            question = by_key[spec.key]
            answer = self.answers.get(spec.key)
            if spec.key not in self.result.visible or answer is None or not question.proposal or not spec.is_choice:
                continue
            picked = [spec.choice(k) for k in (answer.value if isinstance(answer.value, list) else [answer.value])]
            picked = [c for c in picked if c is not None]
            best = spec.max_score
            weak = any(c.meaning in weak_meanings for c in picked) or (
                best is not None and any(c.score is not None and c.score < best for c in picked)
            )
            if weak:
                proposals.append((question, "、".join(c.label for c in picked)))
        return proposals

    def municipality_questions(self) -> list[Question]:
        """The visible questions answered 不明 or 未開示, in order: what to ask the municipality."""
        keys = {q.key for q in self.result.unknown} | {q.key for q in self.result.not_disclosed}
        return [q for q in self.questions if q.key in keys]


def question_specs(sections) -> list[scoring.QuestionSpec]:
    """Specs of the questions of ``questionset_structure`` sections, in order; each question's
    ``section`` is set from its prefetched section (sparing a query per question)."""
    specs = []
    for section in sections:
        for question in section.questions.all():
            question.section = section
            specs.append(question_spec(question))
    return specs


def _level_specs(levels) -> list[scoring.LevelSpec]:
    return [scoring.LevelSpec(key=lv.key, label=lv.label, min_percent=lv.min_percent) for lv in levels]


_SPECS: dict[tuple, list[scoring.QuestionSpec]] = {}
_LEVELS: dict[tuple, list[Level]] = {}


def scoring_structure(question_set: QuestionSet) -> tuple[list[scoring.QuestionSpec], list[scoring.LevelSpec]]:
    """The set's questions and levels as plain data for scoring.

    A published or retired set is frozen (it cannot change, in the admin or at model level), so its
    structure is kept in memory per process, keyed on what identifies that frozen state; a draft is
    read anew each time (5 queries).
    """
    return set_specs(question_set), _level_specs(set_levels(question_set))


def set_specs(question_set: QuestionSet, sections: list[Section] | None = None) -> list[scoring.QuestionSpec]:
    """The set's questions as scoring specs (from ``sections`` when the caller has read them): a
    frozen set's are made once per process."""
    cache_key = frozen_key(question_set)
    if cache_key is not None and cache_key in _SPECS:
        return list(_SPECS[cache_key])
    specs = question_specs(sections if sections is not None else questionset_structure(question_set))
    if cache_key is not None:
        _SPECS[cache_key] = specs
    return list(specs)


def set_levels(question_set: QuestionSet) -> list[Level]:
    """The set's levels in order (1 query; none for a frozen set already read by this process)."""
    cache_key = frozen_key(question_set)
    if cache_key is not None and cache_key in _LEVELS:
        return list(_LEVELS[cache_key])
    levels = list(question_set.levels.all())
    if cache_key is not None:
        _LEVELS[cache_key] = levels
    return list(levels)


def answer_values_and_rows(assessment: Assessment) -> tuple[dict[str, object], dict[str, int]]:
    """Each answer's value and its number of sources and inventory rows, by question key (1 query)."""
    values, rows = {}, {}
    for key, value, evidence, inventory in Answer.objects.filter(assessment=assessment).annotate(
        evidence_count=_row_count(Evidence), inventory_count=_row_count(InventoryRow)
    ).values_list(
        "question__key", "value", "evidence_count", "inventory_count"
    ):
        values[key] = value
        rows[key] = evidence + inventory
    return values, rows


def assessment_workspace(assessment: Assessment, *, rows_of: str | None = None) -> Workspace:
    """The assessment's workspace, in a fixed number of queries whatever the number of questions:
    the answers with their rows (3) and the set's structure and levels (5; none for a published set
    this process has read before).

    Every answer comes with its sources (evidence) and inventory rows, as the summary and the
    documents print them all. ``rows_of``: the key of the section a wizard page shows; only that
    section's answers get their rows, the others' are counted in the answers' query (all that
    progress and scoring need), which spares building rows the page does not show.
    """
    sections = questionset_structure(assessment.question_set)
    questions = [question for section in sections for question in section.questions.all()]
    specs = set_specs(assessment.question_set, sections)
    if rows_of is None:
        answers = {
            answer.question.key: answer
            for answer in Answer.objects.filter(assessment=assessment)
            .select_related("question")
            .prefetch_related("evidence", "inventory_rows")
        }
        rows = {key: len(a.evidence.all()) + len(a.inventory_rows.all()) for key, a in answers.items()}
    else:
        counted = Answer.objects.filter(assessment=assessment).select_related("question").annotate(
            evidence_count=_row_count(Evidence), inventory_count=_row_count(InventoryRow))
        answers = {answer.question.key: answer for answer in counted}
        rows = {key: a.evidence_count + a.inventory_count for key, a in answers.items()}
        shown = {question.key for section in sections if section.key == rows_of for question in section.questions.all()}
        prefetch_related_objects([a for key, a in answers.items() if key in shown], "evidence", "inventory_rows")
    levels = set_levels(assessment.question_set)
    level_specs = _level_specs(levels)
    result = scoring.score(specs, {k: a.value for k, a in answers.items()}, level_specs, rows=rows,
                           min_confirmed_percent=assessment.question_set.min_confirmed_percent)
    return Workspace(
        assessment=assessment,
        sections=sections,
        questions=questions,
        answers=answers,
        rows=rows,
        specs=specs,
        result=result,
        levels=levels,
    )


def _row_count(model):
    """The number of ``model`` rows (Evidence, InventoryRow) of each answer, as a subquery."""
    return Coalesce(
        Subquery(model.objects.filter(answer=OuterRef("pk")).order_by().values("answer")
                 .annotate(n=Count("pk")).values("n")),
        0,
    )


def comments_by_question(assessment: Assessment) -> dict[str, list]:
    """Top-level comments per question key, each with its replies prefetched (2 queries)."""
    comments = (
        Comment.objects.filter(assessment=assessment, parent=None)
        .select_related("author__profile", "question")
        .prefetch_related(Prefetch("replies", queryset=Comment.objects.select_related("author__profile").order_by("created_at")))
    )
    grouped: dict[str, list] = {}
    for comment in comments:
        grouped.setdefault(comment.question.key, []).append(comment)
    return grouped


def review_body_composition(reviewers) -> list[tuple[str, int]]:
    """How many reviewers of each kind (住民委員 2, 専門家 1 …), in the kinds' order."""
    from assessments.models import Reviewer

    counts = {kind: 0 for kind in Reviewer.Kind.values}
    for reviewer in reviewers:
        counts[reviewer.kind] += 1
    return [(Reviewer.Kind(kind).label, n) for kind, n in counts.items() if n]


@dataclass(frozen=True)
class Seat:
    kind: str  # 住民委員, 専門家 …
    name: str  # shown only if the reviewer agreed to be named; else ""
    outside: bool  # not a member of the organisation that made the assessment
    withdrawn_reason: str
    overall: str  # the reviewer's opinion on the whole (妥当 …), "" if none yet


@dataclass(frozen=True)
class ReviewBody:
    """The review body as published pages and the report show it: roles always, names only with the
    reviewer's consent, where each comes from, and the approval with the state it approved."""

    seats: list[Seat]
    composition: list[tuple[str, int]]
    outside: int
    needed_outside: int
    approved_at: object
    approved_revision: int | None
    approved_fingerprint: str
    approval_note: str  # the note of the approval in force ("" if none)
    over_reconsider: bool  # approved although an active reviewer's opinion is 要再検討: the note is the reason

    @property
    def active(self) -> list[Seat]:
        return [s for s in self.seats if not s.withdrawn_reason]

    @property
    def has_outside_member(self) -> bool:
        return self.outside > 0


def review_body(assessment: Assessment, status_changes=None) -> ReviewBody:
    """Four queries (three when the assessment's ``status_changes`` are given): seats with users, the
    organisation's members, opinions, approvals. While approved or published, it is the body as
    approved: who came from outside the organisation then (not whoever joined or left since), and
    the approval in force with its note; otherwise no approval is shown (a returned or reopened
    assessment is not approved, whatever it once was)."""
    from assessments.models import Membership, Reviewer, ReviewOpinion, StatusChange

    approved = assessment.status in (Assessment.Status.APPROVED, Assessment.Status.PUBLISHED)
    seats = list(Reviewer.objects.filter(assessment=assessment).select_related("user__profile").order_by("kind", "pk"))
    members = set(Membership.objects.filter(organisation_id=assessment.organisation_id).values_list("user_id", flat=True))
    opinions = list(ReviewOpinion.objects.filter(assessment=assessment).values_list("reviewer_id", "section_id", "verdict"))
    overall = {reviewer: verdict for reviewer, section, verdict in opinions if section is None}
    verdicts = dict(ReviewOpinion.Verdict.choices)

    def outside(seat) -> bool:
        if approved and seat.outside_at_approval is not None:
            return seat.outside_at_approval
        return seat.user_id not in members

    views = [
        Seat(kind=seat.get_kind_display(), name=people.display_name(seat.user) if seat.named and seat.user_id else "",
             outside=outside(seat), withdrawn_reason=seat.withdrawn_reason,
             overall=str(verdicts.get(overall.get(seat.pk), "")))
        for seat in seats
    ]
    active = [seat for seat, view in zip(seats, views) if not view.withdrawn_reason]
    active_ids = {seat.pk for seat in active}
    at_approval = {seat.pk for seat in seats if seat.outside_at_approval is not None}
    if approved and at_approval:
        active_ids = at_approval  # the body that approved, whoever has left since (an account deleted…)
    if status_changes is None:
        status_changes = StatusChange.objects.filter(assessment=assessment).order_by("at", "pk")
    approvals = [c for c in status_changes if c.to_status == Assessment.Status.APPROVED and c.from_status != Assessment.Status.PUBLISHED]
    return ReviewBody(
        seats=views, composition=review_body_composition(active),
        outside=sum(1 for v in views if v.outside and not v.withdrawn_reason),
        needed_outside=assessment.organisation.min_outside_reviewers,
        approved_at=assessment.approved_at if approved else None,
        approved_revision=assessment.approved_revision if approved else None,
        approved_fingerprint=assessment.approved_fingerprint[:12] if approved else "",
        approval_note=approvals[-1].note if approved and approvals else "",
        over_reconsider=any(reviewer in active_ids and verdict == ReviewOpinion.Verdict.RECONSIDER
                            for reviewer, _section, verdict in opinions),
    )


# --- Across Saitama -------------------------------------------------------------------------------------


@dataclass
class DashboardRow:
    key: object
    label: str
    projects: int = 0
    known_amount: int = 0
    unknown_amounts: int = 0
    assessed: int = 0
    levels: dict = None

    def __post_init__(self):
        self.levels = self.levels or {}

    @property
    def known_count(self) -> int:
        return self.projects - self.unknown_amounts


def dashboard(user) -> dict:
    """Projects, amounts and assessments by municipality (all 63) and by category, in a fixed number
    of queries. An unknown amount is counted as unknown, never summed as zero. Levels count the
    published assessments and those the user may see."""
    from django.db.models import Count, Sum

    from assessments.access import assessments_visible_to
    from assessments.models import Category, Municipality

    visible = Assessment.objects.filter(
        Q(status=Assessment.Status.PUBLISHED) | Q(pk__in=assessments_visible_to(user).values("pk"))
    )
    levels = [lv.label for lv in Level.objects.filter(question_set__status=QuestionSet.Status.PUBLISHED).order_by("-min_percent")]
    if QuestionSet.objects.filter(status=QuestionSet.Status.PUBLISHED).exclude(min_confirmed_percent=None).exists():
        levels.append(scoring.PENDING.label)
    levels = list(dict.fromkeys(levels))

    def rows(model, lookup, label_of, keys):
        result = {obj.pk: DashboardRow(key=obj, label=label_of(obj)) for obj in keys}
        projects = Project.objects.values(lookup).annotate(
            n=Count("pk", distinct=True),
            known=Sum("amount_thousand_yen"),
            unknown=Count("pk", filter=Q(amount_thousand_yen=None), distinct=True),
        )
        for item in projects:
            row = result.get(item[lookup])
            if row is not None:
                row.projects, row.known_amount, row.unknown_amounts = item["n"], item["known"] or 0, item["unknown"]
        assessed = visible.values(f"project__{lookup}").annotate(n=Count("project", distinct=True))
        for item in assessed:
            row = result.get(item[f"project__{lookup}"])
            if row is not None:
                row.assessed = item["n"]
        by_level = visible.exclude(overall_level="").values(f"project__{lookup}", "overall_level").annotate(n=Count("pk"))
        for item in by_level:
            row = result.get(item[f"project__{lookup}"])
            if row is not None:
                row.levels[item["overall_level"]] = item["n"]
        return list(result.values())

    municipalities = list(Municipality.objects.order_by("code"))
    categories = list(Category.objects.order_by("position", "key"))
    by_municipality = rows(Municipality, "municipality", lambda m: m.name, municipalities)
    by_category = rows(Category, "categories", lambda c: c.name, categories)
    matrix_counts = {
        (item["municipality"], item["categories"]): item["n"]
        for item in Project.objects.exclude(municipality=None).exclude(categories=None)
        .values("municipality", "categories").annotate(n=Count("pk", distinct=True))
    }
    matrix = [
        (m, [matrix_counts.get((m.pk, c.pk), 0) for c in categories])
        for m in municipalities
        if any(matrix_counts.get((m.pk, c.pk)) for c in categories)
    ]
    return {
        "by_municipality": by_municipality,
        "by_category": by_category,
        "categories": categories,
        "matrix": matrix,
        "levels": levels,
        "totals": source_totals(),
        "unassigned_projects": Project.objects.filter(municipality=None).count(),
    }


KEY_QUESTIONS = (
    ("a-consent-legal-basis", "同意・法的根拠"),
    ("d-deletion-at-end", "契約終了時の返還・消去"),
    ("f-review-body", "第三者の審査"),
)


def comparison(user, category) -> list[dict]:
    """The projects of one category side by side, each with its most relevant assessment (the latest
    published one, else the latest the user may see): levels per section, key answers, unknowns."""
    from assessments.access import assessments_visible_to

    projects = list(
        Project.objects.filter(categories=category).select_related("municipality").order_by(
            F("source_row").asc(nulls_last=True), "key"
        )
    )
    visible = Assessment.objects.filter(project__in=projects).filter(
        Q(status=Assessment.Status.PUBLISHED) | Q(pk__in=assessments_visible_to(user).values("pk"))
    ).select_related("question_set").order_by("project", "-published_at", "-updated_at")
    chosen: dict[int, Assessment] = {}
    for assessment in visible:
        current = chosen.get(assessment.project_id)
        if current is None or (current.status != Assessment.Status.PUBLISHED and assessment.status == Assessment.Status.PUBLISHED):
            chosen[assessment.project_id] = assessment
    keys = [key for key, _label in KEY_QUESTIONS]
    answers = Answer.objects.filter(assessment__in=chosen.values(), question__key__in=keys).values(
        "assessment_id", "question__key", "snapshot"
    )
    labels: dict[tuple[int, str], str] = {}
    for answer in answers:
        labels[(answer["assessment_id"], answer["question__key"])] = "、".join(
            choice["label"] for choice in answer["snapshot"].get("choices", [])
        )
    rows = []
    for project in projects:
        assessment = chosen.get(project.pk)
        rows.append({
            "project": project,
            "assessment": assessment,
            "key_answers": [labels.get((assessment.pk, key), "") if assessment else "" for key in keys],
        })
    return rows
