"""Charts as SVG made on the server (no browser, no JavaScript): pure functions over numbers."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def bar_chart(
    rows: list[tuple[str, float | None]],
    *,
    title: str,
    description: str,
    width: int = 640,
    maximum: float = 100,
    value_format=lambda value: f"{value:g}%",
    none_label: str = "採点なし",
) -> SafeString:
    """A horizontal bar chart (percentages by default); None is drawn as ``none_label``.

    Labels are escaped: they come from titles and names an administrator typed.
    """
    bar_height, gap, label_width, top = 18, 8, 230, 10
    chart_width = width - label_width - (60 if maximum == 100 else 100)  # room for the value's label
    height = top * 2 + len(rows) * (bar_height + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for percent_mark in (0, 50, 80, 100) if maximum == 100 else (0, 100):
        x = label_width + chart_width * percent_mark / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - top + 2}" stroke="#bbb" stroke-width="0.5"/>'
        )
    for index, (label, percent) in enumerate(rows):
        y = top + index * (bar_height + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height - 5}" font-size="11" text-anchor="end">{escape(label)}</text>'
        )
        if percent is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + bar_height - 5}" font-size="10" fill="#666">{escape(none_label)}</text>'
            )
            continue
        bar = max(chart_width * percent / (maximum or 1), 0.5)
        if maximum == 100:
            colour = "#2e7d32" if percent >= 80 else "#f9a825" if percent >= 50 else "#c62828"
        else:
            colour = "#1565c0"
        parts.append(f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + bar + 4:.1f}" y="{y + bar_height - 5}" font-size="10">{escape(value_format(percent))}</text>'
        )
    parts.append("</svg>")
    # Safe to embed: every text in it went through escape() above; the rest is numbers.
    return mark_safe("".join(parts))


def matrix_chart(rows: list[tuple[str, list[int]]], columns: list[str], *, title: str, description: str) -> SafeString:
    """A grid of circles: one row per municipality, one column per category, area ~ count."""
    cell, label_width, top = 26, 110, 120
    width = label_width + cell * len(columns) + 10
    height = top + cell * len(rows) + 10
    biggest = max((n for _label, counts in rows for n in counts), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="matrix-title matrix-desc">',
        f'<title id="matrix-title">{escape(title)}</title>',
        f'<desc id="matrix-desc">{escape(description)}</desc>',
    ]
    for index, column in enumerate(columns):
        x = label_width + index * cell + cell / 2
        parts.append(
            f'<text x="{x:.1f}" y="{top - 6}" font-size="10" transform="rotate(-60 {x:.1f} {top - 6})">{escape(column)}</text>'
        )
    for row_index, (label, counts) in enumerate(rows):
        y = top + row_index * cell + cell / 2
        parts.append(f'<text x="{label_width - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{escape(label)}</text>')
        for index, count in enumerate(counts):
            if count:
                x = label_width + index * cell + cell / 2
                radius = 4 + 7 * (count / biggest) ** 0.5
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#1565c0" fill-opacity="0.75"/>')
                parts.append(f'<text x="{x:.1f}" y="{y + 3.5:.1f}" font-size="9" fill="#fff" text-anchor="middle">{count}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text went through escape(); the rest is numbers


LEVEL_COLOURS = ("#2e7d32", "#9e9d24", "#f9a825", "#c62828", "#6a1b9a", "#455a64")


def stacked_chart(rows: list[tuple[str, list[int]]], levels: list[str], *, title: str, description: str) -> SafeString:
    """Horizontal stacked bars: how many assessments of each level per row (e.g. per category)."""
    bar_height, gap, label_width, top, width = 16, 6, 150, 30, 640
    biggest = max((sum(counts) for _label, counts in rows), default=1) or 1
    chart_width = width - label_width - 40
    height = top + len(rows) * (bar_height + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="levels-title levels-desc">',
        f'<title id="levels-title">{escape(title)}</title>',
        f'<desc id="levels-desc">{escape(description)}</desc>',
    ]
    x = label_width
    for index, level in enumerate(levels):
        colour = LEVEL_COLOURS[index % len(LEVEL_COLOURS)]
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="15" font-size="10">{escape(level)}</text>')
        x += 14 + 12 * len(level) + 16
    for row_index, (label, counts) in enumerate(rows):
        y = top + row_index * (bar_height + gap)
        parts.append(f'<text x="{label_width - 6}" y="{y + bar_height - 4}" font-size="11" text-anchor="end">{escape(label)}</text>')
        x = label_width
        for index, count in enumerate(counts):
            if count:
                w = chart_width * count / biggest
                colour = LEVEL_COLOURS[index % len(LEVEL_COLOURS)]
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{colour}"/>')
                x += w
        if not any(counts):
            parts.append(f'<text x="{label_width + 4}" y="{y + bar_height - 4}" font-size="10" fill="#666">評価なし</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text went through escape(); the rest is numbers
