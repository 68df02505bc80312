"""Severity × likelihood → risk level: pure functions over the question set's data, no database.

The scales, the levels and the matrix are data of the question set (assessments/models/risks.py).
The rule a set may publish is one nobody can call biased, and ``matrix_problems`` refuses any other:

- **complete**: every (severity, likelihood) pair of the two scales has a level, and both scales have
  the same number of steps;
- **symmetric**: the level of (s, l) is the level of (l, s), so neither the assessor's view of harm
  nor of chance weighs more than the other;
- **monotonic**: a step up in severity or in likelihood never lowers the level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

SEVERITY = "severity"
LIKELIHOOD = "likelihood"


@dataclass(frozen=True)
class ScaleStep:
    value: int
    label: str
    description: str = ""


@dataclass(frozen=True)
class LevelDef:
    key: str
    label: str
    description: str = ""
    rank: int = 0  # 0 is the lowest


@dataclass(frozen=True)
class RiskModel:
    """A set's scales, levels (lowest first) and matrix (``matrix[s - 1][l - 1]`` is a level key)."""

    severity: tuple[ScaleStep, ...]
    likelihood: tuple[ScaleStep, ...]
    levels: tuple[LevelDef, ...]
    matrix: tuple[tuple[str, ...], ...]
    note: str = ""

    @property
    def size(self) -> int:
        return len(self.severity)

    def step(self, scale: str, value: int | None) -> ScaleStep | None:
        steps = self.severity if scale == SEVERITY else self.likelihood
        return next((s for s in steps if s.value == value), None)

    def level(self, key: str) -> LevelDef | None:
        return next((lv for lv in self.levels if lv.key == key), None)


def level_of(model: RiskModel, severity: int | None, likelihood: int | None) -> LevelDef | None:
    """The level of a (severity, likelihood) pair; None if either is missing or off the scales."""
    if not isinstance(severity, int) or not isinstance(likelihood, int):
        return None
    if not (1 <= severity <= len(model.matrix) and 1 <= likelihood <= len(model.matrix[severity - 1])):
        return None
    return model.level(model.matrix[severity - 1][likelihood - 1])


def matrix_problems(
    severity_values: Sequence[int], likelihood_values: Sequence[int], level_keys: Sequence[str], matrix
) -> list[str]:
    """Why a matrix may not be used (empty if it may): see the module's docstring. ``level_keys``
    are the levels from lowest to highest; ``matrix`` a list of rows, one per severity step."""
    problems: list[str] = []
    size = len(severity_values)
    if sorted(severity_values) != list(range(1, size + 1)) or size < 2:
        problems.append("重大さの段階は 1 から順に 2 つ以上にしてください。")
    if sorted(likelihood_values) != list(range(1, len(likelihood_values) + 1)) or len(likelihood_values) != size:
        problems.append("起こりやすさの段階は、重大さと同じ数だけ 1 から順に置いてください。")
    if not level_keys:
        problems.append("リスクの水準を1つ以上定めてください。")
    if problems:
        return problems
    if (not isinstance(matrix, (list, tuple)) or len(matrix) != size
            or not all(isinstance(row, (list, tuple)) and len(row) == size for row in matrix)):
        return [f"判定表は {size}×{size} にしてください（行が重大さ、列が起こりやすさ）。"]
    rank = {key: index for index, key in enumerate(level_keys)}
    unknown = sorted({str(cell) for row in matrix for cell in row if not isinstance(cell, str) or cell not in rank})
    if unknown:
        return ["判定表に、定められていない水準があります: " + "、".join(unknown)]
    for s in range(size):
        for lk in range(size):
            if matrix[s][lk] != matrix[lk][s]:
                problems.append(
                    f"判定表が対称ではありません: 重大さ{s + 1}×起こりやすさ{lk + 1} と 重大さ{lk + 1}×起こりやすさ{s + 1} の水準が違います。"
                )
            if s + 1 < size and rank[matrix[s + 1][lk]] < rank[matrix[s][lk]]:
                problems.append(f"重大さが上がると水準が下がる枡があります（起こりやすさ{lk + 1}、重大さ{s + 1}→{s + 2}）。")
            if lk + 1 < size and rank[matrix[s][lk + 1]] < rank[matrix[s][lk]]:
                problems.append(f"起こりやすさが上がると水準が下がる枡があります（重大さ{s + 1}、起こりやすさ{lk + 1}→{lk + 2}）。")
    # Each asymmetry is found from both sides; say it once.
    return list(dict.fromkeys(problems))


@dataclass(frozen=True)
class MapCell:
    severity: int
    likelihood: int
    level: LevelDef | None
    numbers: tuple[int, ...]  # the risks' numbers in the register (1 = R1)


@dataclass(frozen=True)
class RiskMap:
    """What the map shows: one cell per pair, highest severity first (as drawn, top to bottom)."""

    rows: tuple[tuple[MapCell, ...], ...]
    placed: int  # risks on the map
    unplaced: tuple[int, ...]  # numbers of risks without (residual) levels

    def cell(self, severity: int, likelihood: int) -> MapCell:
        return next(c for row in self.rows for c in row if c.severity == severity and c.likelihood == likelihood)


def risk_map(model: RiskModel, positions: Sequence[tuple[int, int | None, int | None]]) -> RiskMap:
    """The map of ``positions``: (number, severity, likelihood) per risk; a risk without both (e.g.
    no residual estimate yet) is listed as unplaced."""
    placed: dict[tuple[int, int], list[int]] = {}
    unplaced = []
    for number, severity, likelihood in positions:
        if level_of(model, severity, likelihood) is None:
            unplaced.append(number)
        else:
            placed.setdefault((severity, likelihood), []).append(number)
    rows = tuple(
        tuple(
            MapCell(severity=s, likelihood=lk, level=level_of(model, s, lk), numbers=tuple(placed.get((s, lk), ())))
            for lk in range(1, model.size + 1)
        )
        for s in range(model.size, 0, -1)
    )
    return RiskMap(rows=rows, placed=sum(len(n) for n in placed.values()), unplaced=tuple(unplaced))
