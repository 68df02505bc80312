"""Charts as SVG made on the server (no browser, no JavaScript): pure functions over numbers."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def bar_chart(rows: list[tuple[str, float | None]], *, title: str, description: str, width: int = 640) -> SafeString:
    """A horizontal bar chart of percentages (0–100); None is drawn as 'not scored'.

    Labels are escaped: they come from question-set titles an administrator typed.
    """
    bar_height, gap, label_width, top = 18, 8, 230, 10
    chart_width = width - label_width - 60
    height = top * 2 + len(rows) * (bar_height + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for percent_mark in (0, 50, 80, 100):
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
            parts.append(f'<text x="{label_width + 4}" y="{y + bar_height - 5}" font-size="10" fill="#666">採点なし</text>')
            continue
        bar = max(chart_width * percent / 100, 0.5)
        colour = "#2e7d32" if percent >= 80 else "#f9a825" if percent >= 50 else "#c62828"
        parts.append(f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + bar + 4:.1f}" y="{y + bar_height - 5}" font-size="10">{percent:g}%</text>'
        )
    parts.append("</svg>")
    # Safe to embed: every text in it went through escape() above; the rest is numbers.
    return mark_safe("".join(parts))
