"""The risk map as SVG made on the server (no browser, no JavaScript), in the style of charts.py.

Severity runs up, likelihood to the right. Each cell is tinted by its level and also says the level
in words (colour is never the only cue); each risk is a marker with its number (R1 …), in the same
colours as charts.py's data marks (white text on #1565c0: 5.75:1). The page shows the same data as a
table beside it (dxpia/templates/risks/_map.html).
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from assessments import risk_levels
from assessments.reports.charts import QUANTITY, _text_length

# Backgrounds of the level zones, lowest first: light tints under dark text (#212121, at least 14:1),
# parted by white lines; the level's name is written in every cell.
ZONE_TINTS = ("#e8f5e9", "#fff8e1", "#ffe0b2", "#ffcdd2", "#e1bee7", "#cfd8dc")
TEXT = "#212121"
CELL_W, CELL_H = 104, 66
LEFT, TOP, BOTTOM = 104, 12, 56
PER_ROW, ROWS_SHOWN = 3, 2  # markers per cell before 「+n」


def tint(rank: int) -> str:
    return ZONE_TINTS[min(rank, len(ZONE_TINTS) - 1)]


def _lang() -> str:
    """lang="ja" on the question set's words (scale steps, levels) where the page is not Japanese."""
    return "" if (get_language() or "ja").split("-")[0] == "ja" else ' lang="ja"'


def risk_map_svg(model: risk_levels.RiskModel, the_map: risk_levels.RiskMap, *, title: str, description: str,
                 id_prefix: str) -> SafeString:
    size = model.size
    width = LEFT + CELL_W * size + 8
    height = TOP + CELL_H * size + BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" class="risk-map" style="max-width: 100%; height: auto">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>',
    ]
    for row_index, row in enumerate(the_map.rows):
        y = TOP + row_index * CELL_H
        step = model.step(risk_levels.SEVERITY, row[0].severity)
        parts.append(f'<text x="{LEFT - 6}" y="{y + CELL_H / 2 - 2:.0f}" font-size="11" text-anchor="end" fill="{TEXT}">'
                     f'{row[0].severity}</text>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + CELL_H / 2 + 12:.0f}" font-size="10" text-anchor="end" fill="{TEXT}"'
                     f'{_lang()}>{escape(step.label if step else "")}</text>')  # the question set's words
        for col_index, cell in enumerate(row):
            x = LEFT + col_index * CELL_W
            rank = cell.level.rank if cell.level else 0
            parts.append(f'<rect x="{x + 1}" y="{y + 1}" width="{CELL_W - 2}" height="{CELL_H - 2}" '
                         f'fill="{tint(rank)}" stroke="#9e9e9e" stroke-width="0.5"/>')
            if cell.level:
                parts.append(f'<text x="{x + 5}" y="{y + 13}" font-size="9" fill="{TEXT}"{_lang()}>{escape(cell.level.label)}</text>')
            parts.extend(_markers(cell.numbers, x, y))
    # Axes' names and likelihood steps below the grid.
    grid_bottom = TOP + CELL_H * size
    for index in range(size):
        step = model.step(risk_levels.LIKELIHOOD, index + 1)
        x = LEFT + index * CELL_W + CELL_W / 2
        parts.append(f'<text x="{x:.0f}" y="{grid_bottom + 14}" font-size="11" text-anchor="middle" fill="{TEXT}">{index + 1}</text>')
        parts.append(f'<text x="{x:.0f}" y="{grid_bottom + 27}" font-size="10" text-anchor="middle" fill="{TEXT}"'
                     f'{_lang()}>{escape(step.label if step else "")}</text>')
    # The axes' names outside the f-strings, where makemessages finds them.
    likelihood_axis, severity_axis = _("起こりやすさ →"), _("重大さ →")
    parts.append(f'<text x="{LEFT + CELL_W * size / 2:.0f}" y="{grid_bottom + 46}" font-size="11" text-anchor="middle" '
                 f'font-weight="bold" fill="{TEXT}">{escape(likelihood_axis)}</text>')
    parts.append(f'<text x="14" y="{TOP + CELL_H * size / 2:.0f}" font-size="11" text-anchor="middle" font-weight="bold" '
                 f'fill="{TEXT}" transform="rotate(-90 14 {TOP + CELL_H * size / 2:.0f})">{escape(severity_axis)}</text>')
    parts.append("</svg>")
    # Safe to embed: every text in it went through escape(); the rest is numbers.
    return mark_safe("".join(parts))


def _markers(numbers, x, y) -> list[str]:
    shown = list(numbers)
    more = 0
    if len(shown) > PER_ROW * ROWS_SHOWN:
        more = len(shown) - (PER_ROW * ROWS_SHOWN - 1)
        shown = shown[:PER_ROW * ROWS_SHOWN - 1]
    parts = []
    labels = [f"R{n}" for n in shown] + ([f"+{more}"] if more else [])
    for index, label in enumerate(labels):
        column, line = index % PER_ROW, index // PER_ROW
        w = max(22, _text_length(label, 10) + 8)
        cx = x + 6 + column * 32
        cy = y + 20 + line * 22
        fill = QUANTITY if not label.startswith("+") else "#455a64"
        parts.append(f'<rect x="{cx}" y="{cy}" width="{w:.0f}" height="17" rx="8" fill="{fill}"/>')
        parts.append(f'<text x="{cx + w / 2:.1f}" y="{cy + 12.5}" font-size="10" fill="#fff" text-anchor="middle">{label}</text>')
    return parts


@dataclass(frozen=True)
class Figure:
    """One map as the pages show it: the SVG, and the same data for its table (rows from the highest
    severity down, each with its step; columns are the likelihood steps)."""

    key: str  # before / after
    title: str
    map: risk_levels.RiskMap
    svg: SafeString
    rows: tuple
    columns: tuple


def _description(model, the_map: risk_levels.RiskMap) -> str:
    placed = [
        _("重大さ%(s)s・起こりやすさ%(l)s（%(level)s）: %(risks)s") % {
            "s": cell.severity, "l": cell.likelihood, "level": cell.level.label if cell.level else "—",
            "risks": _("、").join(f"R{n}" for n in cell.numbers)}
        for row in the_map.rows for cell in row if cell.numbers
    ]
    stop = _("。")  # between sentences: 「。」, in English ". "
    text = stop.join(placed) if placed else _("地図に置いたリスクはありません")
    if the_map.unplaced:
        text += stop + _("見込みのないリスク: %(risks)s") % {"risks": _("、").join(f"R{n}" for n in the_map.unplaced)}
    return (text + stop).rstrip()


def figures(register, id_prefix: str = "risk-map") -> list[Figure]:
    """The map before and after the planned measures (residual), for a register with a risk part."""
    if not register.enabled:
        return []
    model = register.model
    made = []
    for key, title, the_map in (
        ("before", _("リスクマップ（いまの対策のもとで）"), register.before),
        ("after", _("リスクマップ（予定の対策の後に残るリスク）"), register.after),
    ):
        made.append(Figure(
            key=key, title=title, map=the_map,
            svg=risk_map_svg(model, the_map, title=title, description=_description(model, the_map),
                             id_prefix=f"{id_prefix}-{key}"),
            rows=tuple((model.step(risk_levels.SEVERITY, row[0].severity), row) for row in the_map.rows),
            columns=model.likelihood,
        ))
    return made


def context(assessment, workspace=None) -> dict:
    """What the pages and the report need to show the register and the map (``risk_register``,
    ``risk_figures``): one line in each view that shows them."""
    from assessments.risks import risk_register

    register = risk_register(assessment, workspace)
    return {"risk_register": register, "risk_figures": figures(register)}
