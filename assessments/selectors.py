"""Reads: queries shaped for the pages that show them, each a fixed number of SQL queries."""

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q

from assessments.models import Project, Question, QuestionSet, Section, Source


def questionset_structure(question_set: QuestionSet) -> list[Section]:
    """Sections in order, each with its questions, their choices and display conditions (4 queries)."""
    questions = Question.objects.select_related("condition_question").prefetch_related(
        "choices", "condition_choices"
    )
    return list(
        Section.objects.filter(question_set=question_set)
        .order_by("position", "pk")
        .prefetch_related(Prefetch("questions", queryset=questions.order_by("position", "pk")))
    )


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
        .prefetch_related("categories", "data_items")
        .get(key=key)
    )
