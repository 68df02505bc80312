"""Charts as SVG made on the server (no browser, no JavaScript): pure functions over numbers."""

import math

from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

# Every colour of a data mark has a contrast of at least 3:1 against white (WCAG 2.1 1.4.11, JIS X
# 8341-3), the background of the page and of the PDF and, in the stacked bars, the gap between two
# segments; ratios by the WCAG relative luminance. The amber (#f9a825, 1.97:1) and the olive
# (#9e9d24, 2.88:1) used before fell short.
GOOD = "#2e7d32"  # green, 5.13:1
MEDIUM = "#e65100"  # dark orange, 3.79:1
POOR = "#c62828"  # red, 5.62:1
QUANTITY = "#1565c0"  # blue, 5.75:1 (and white text on it: 5.75:1)
LEVEL_COLOURS = (GOOD, "#827717", MEDIUM, POOR, "#6a1b9a", "#455a64")  # olive 4.56, purple 9.39, grey 7.24
SEGMENT_GAP = 2  # white between touching segments of a stacked bar, so each needs 3:1 only against white


def _lang(label) -> str:
    """The lang attribute of a label's <text>: a plain string is data (a municipality's, a category's
    or a section's name, a level of the question set), in Japanese whatever the interface language
    (marked so where the page is not Japanese); a lazy translation is the interface's own word."""
    if isinstance(label, Promise) or (get_language() or "ja").split("-")[0] == "ja":
        return ""
    return ' lang="ja"'


def level_colours(count: int) -> list[str]:
    """The colours of ``count`` levels, highest first (the last one may be 判定保留): the same in the
    report's chart of its sections and the dashboard's chart of assessments."""
    return [LEVEL_COLOURS[index % len(LEVEL_COLOURS)] for index in range(count)]


def _legend(items, *, left: int, width: int) -> tuple[list[str], int]:
    """A legend of (label, colour) swatches from ``left``, wrapping onto further lines rather than
    running past the right edge (「判定保留（確認できない事項が多い）」 was cut); its parts and the
    height it takes."""
    parts, x, line = [], left, 0
    for label, colour in items:
        item = 14 + math.ceil(_text_length(str(label), 10)) + 16
        if x > left and x + item - 16 > width - 4:
            x, line = left, line + 1
        y = 6 + 16 * line
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 9}" font-size="10"{_lang(label)}>{escape(label)}</text>')
        x += item
    return parts, (24 + 16 * line if items else 0)


def bar_chart(
    rows: list[tuple[str, float | None]],
    *,
    title: str,
    description: str,
    width: int = 640,
    maximum: float = 100,
    value_format=lambda value: f"{value:g}%",
    none_label: str | None = None,
    colours: list[str] | None = None,
    gridlines: tuple[float, ...] = (0, 100),
    legend: list[tuple[str, str]] | None = None,
) -> SafeString:
    """A horizontal bar chart (percentages by default); None is drawn as ``none_label`` (「採点なし」).

    ``colours`` gives each row's bar its colour (the report: the colour of the section's level, so
    that the chart says what the table beside it says); without it every bar is QUANTITY.
    ``gridlines`` are drawn at these percentages of ``maximum`` (the report: the set's level
    thresholds), and ``legend`` names the colours.

    Labels are escaped: they come from titles and names an administrator typed.
    """
    if none_label is None:
        none_label = gettext("採点なし")
    bar_height, gap, label_width = 18, 8, 230
    legend_parts, top = _legend(legend or [], left=label_width, width=width)
    top += 10
    chart_width = width - label_width - (60 if maximum == 100 else 100)  # room for the value's label
    height = top + 10 + len(rows) * (bar_height + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        *legend_parts,
    ]
    for percent_mark in gridlines:
        x = label_width + chart_width * percent_mark / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 10 + 2}" stroke="#bbb" stroke-width="0.5"/>'
        )
    for index, (label, percent) in enumerate(rows):
        y = top + index * (bar_height + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height - 5}" font-size="11" text-anchor="end"{_lang(label)}>{escape(label)}</text>'
        )
        if percent is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + bar_height - 5}" font-size="10" fill="#666">{escape(none_label)}</text>'
            )
            continue
        bar = max(chart_width * percent / (maximum or 1), 0.5)
        colour = colours[index] if colours else QUANTITY
        parts.append(f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + bar + 4:.1f}" y="{y + bar_height - 5}" font-size="10">{escape(value_format(percent))}</text>'
        )
    parts.append("</svg>")
    # Safe to embed: every text in it went through escape() above; the rest is numbers.
    return mark_safe("".join(parts))


def _text_length(text: str, size: float) -> float:
    """About how long ``text`` is drawn at ``size`` px: full-width (Japanese) characters 1 em, others 0.6."""
    return sum(size if ord(character) > 0x2E7F else 0.6 * size for character in text)


def matrix_chart(rows: list[tuple[str, list[int]]], columns: list[str], *, title: str, description: str) -> SafeString:
    """A grid of circles: one row per municipality, one column per category, area ~ count.

    The circles are opaque (white count on blue, 5.75:1) and at least 12 px across, so that the count
    stays inside; apart from each other, each needs 3:1 only against white."""
    cell, label_width = 26, 110
    # Room for the column names, slanted up to the right at 60°: none is cut at the top or the right
    # edge (「業務改革・基幹システム」 was).
    lengths = [_text_length(str(column), 10) for column in columns]
    top = max(120, math.ceil(0.87 * max(lengths, default=0)) + 14)
    width = math.ceil(max(
        [label_width + cell * len(columns) + 10]
        + [label_width + index * cell + cell / 2 + 0.5 * length + 8 for index, length in enumerate(lengths)]
    ))
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
            f'<text x="{x:.1f}" y="{top - 6}" font-size="10" transform="rotate(-60 {x:.1f} {top - 6})"{_lang(column)}>{escape(column)}</text>'
        )
    for row_index, (label, counts) in enumerate(rows):
        y = top + row_index * cell + cell / 2
        parts.append(f'<text x="{label_width - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end"{_lang(label)}>{escape(label)}</text>')
        for index, count in enumerate(counts):
            if count:
                x = label_width + index * cell + cell / 2
                radius = 6 + 5 * (count / biggest) ** 0.5
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{QUANTITY}"/>')
                parts.append(f'<text x="{x:.1f}" y="{y + 3.5:.1f}" font-size="9" fill="#fff" text-anchor="middle">{count}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text went through escape(); the rest is numbers


def stacked_chart(rows: list[tuple[str, list[int]]], levels: list[str], *, title: str, description: str) -> SafeString:
    """Horizontal stacked bars: how many assessments of each level per row (e.g. per category).

    Touching segments are parted by SEGMENT_GAP of white (the last one keeps its full width)."""
    bar_height, gap, label_width, width = 16, 6, 150, 640
    legend, legend_height = _legend(list(zip(levels, level_colours(len(levels)))), left=label_width, width=width)
    top = legend_height + 6
    biggest = max((sum(counts) for _label, counts in rows), default=1) or 1
    chart_width = width - label_width - 40
    height = top + len(rows) * (bar_height + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="levels-title levels-desc">',
        f'<title id="levels-title">{escape(title)}</title>',
        f'<desc id="levels-desc">{escape(description)}</desc>',
    ]
    parts.extend(legend)
    for row_index, (label, counts) in enumerate(rows):
        y = top + row_index * (bar_height + gap)
        parts.append(f'<text x="{label_width - 6}" y="{y + bar_height - 4}" font-size="11" text-anchor="end"{_lang(label)}>{escape(label)}</text>')
        x = label_width
        segments = [(index, count) for index, count in enumerate(counts) if count]
        for position, (index, count) in enumerate(segments):
            w = chart_width * count / biggest
            shown = w if position == len(segments) - 1 else max(w - SEGMENT_GAP, 1)
            colour = LEVEL_COLOURS[index % len(LEVEL_COLOURS)]
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{shown:.1f}" height="{bar_height}" fill="{colour}"/>')
            x += w
        if not segments:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + bar_height - 4}" font-size="10" fill="#666">{escape(gettext("評価なし"))}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text went through escape(); the rest is numbers
