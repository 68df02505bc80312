"""Across Saitama: the dashboard and the comparison of like projects."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from assessments import action_plan, municipality_requests, scoring, selectors
from assessments.models import Category, QuestionSet, Section
from assessments.reports import charts
from assessments.templatetags.dxpia import amount_text as thousand_yen


# The comparison's columns of key answers (selectors.KEY_QUESTIONS), as the interface names them.
KEY_QUESTION_LABELS = {
    "a-consent-legal-basis": gettext_lazy("同意・法的根拠"),
    "d-deletion-at-end": gettext_lazy("契約終了時の返還・消去"),
    "f-review-body": gettext_lazy("第三者の審査"),
}


def _level_name(level: str):
    """A level as the chart names it: the question set's own label (data), or 判定保留 translated."""
    return gettext_lazy("判定保留（確認できない事項が多い）") if level == scoring.PENDING.label else level


def dashboard(request):
    data = selectors.dashboard(request.user)
    with_amounts = [row for row in data["by_municipality"] if row.projects]
    # A municipality whose amounts are all unknown is drawn as 不明, never as a zero bar.
    data["amount_chart"] = charts.bar_chart(
        [(row.label, row.known_amount if row.known_count else None) for row in with_amounts],
        title=gettext("自治体別の採択額（千円、額が分かる事業のみ）"),
        description=gettext("、").join(
            f"{row.label} {thousand_yen(row.known_amount if row.known_count else None)}" for row in with_amounts
        ),
        maximum=max((row.known_amount for row in with_amounts), default=1),
        value_format=lambda value: thousand_yen(int(value)),
        none_label=gettext("不明"),
    )
    data["matrix_chart"] = charts.matrix_chart(
        [(m.name, counts) for m, counts in data["matrix"]],
        [c.name for c in data["categories"]],
        title=gettext("自治体 × 分類の事業数"),
        description=gettext("、").join(
            f"{m.name}: " + gettext("・").join(f"{c.name}{n}" for c, n in zip(data["categories"], counts) if n)
            for m, counts in data["matrix"]
        ),
    )
    level_rows = [(row.label, [row.levels.get(level, 0) for level in data["levels"]]) for row in data["by_category"]]
    data["level_chart"] = charts.stacked_chart(
        level_rows,
        [_level_name(level) for level in data["levels"]],
        title=gettext("分類別の評価レベル（公開された評価と、あなたが見られる評価）"),
        description=gettext("、").join(
            f"{label}: " + gettext("・").join(f"{_level_name(level)}{n}" for level, n in zip(data["levels"], counts) if n)
            for label, counts in level_rows if any(counts)
        ) or gettext("評価なし"),
    )
    data["level_rows"] = level_rows
    data["request_stats"] = municipality_requests.request_stats_by_municipality(
        municipality_requests.public_requests(), today=timezone.localdate()
    )
    data["review_due"] = action_plan.review_due_assessments(request.user, timezone.localdate())
    return render(request, "dashboard/dashboard.html", data)


def compare(request):
    categories = list(Category.objects.order_by("position", "key"))
    category = next((c for c in categories if str(c.pk) == request.GET.get("category", "")), None)
    rows = selectors.comparison(request.user, category) if category else []
    sections = list(
        {
            s.key: s
            for s in Section.objects.filter(question_set__status=QuestionSet.Status.PUBLISHED)
            .exclude(questions__screening_role__gt="")  # screening is not scored
            .order_by("-question_set__version", "position")
        }.values()
    )
    sections.sort(key=lambda s: s.position)
    return render(request, "dashboard/compare.html", {
        "categories": categories, "category": category, "rows": rows, "sections": sections,
        "key_questions": [KEY_QUESTION_LABELS.get(key, label) for key, label in selectors.KEY_QUESTIONS],
    })
