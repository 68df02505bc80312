"""Severity × likelihood → level, and the map's placement: pure, without a database."""

import json

import pytest

from assessments import risk_levels, seed
from assessments.risk_levels import LevelDef, RiskModel, ScaleStep, level_of, matrix_problems, risk_map

KEYS = ["low", "medium", "high", "very-high"]
V3 = json.loads((seed.FIXTURES / "questionsets" / "dx-pia-v3.json").read_text(encoding="utf-8"))["risks"]


def model_of(matrix, size=4):
    steps = tuple(ScaleStep(value=v, label=f"段階{v}") for v in range(1, size + 1))
    return RiskModel(severity=steps, likelihood=steps, matrix=tuple(tuple(row) for row in matrix),
                     levels=tuple(LevelDef(key=k, label=k, rank=r) for r, k in enumerate(KEYS)))


def test_the_shipped_matrix_is_complete_symmetric_and_monotonic():
    values = [s["value"] for s in V3["severity"]]
    assert values == [1, 2, 3, 4] == [s["value"] for s in V3["likelihood"]]
    assert matrix_problems(values, values, [lv["key"] for lv in V3["levels"]], V3["matrix"]) == []


def test_the_shipped_levels_follow_the_documented_sum_rule():
    """2–3 低い, 4–5 中程度, 6 高い, 7–8 非常に高い, as the set's note and the levels say."""
    model = model_of(V3["matrix"])
    expected = {2: "low", 3: "low", 4: "medium", 5: "medium", 6: "high", 7: "very-high", 8: "very-high"}
    for s in range(1, 5):
        for lk in range(1, 5):
            assert level_of(model, s, lk).key == expected[s + lk], (s, lk)


def test_swapping_severity_and_likelihood_never_changes_the_level():
    model = model_of(V3["matrix"])
    for s in range(1, 5):
        for lk in range(1, 5):
            assert level_of(model, s, lk) == level_of(model, lk, s)


def test_a_matrix_that_weighs_severity_more_is_refused():
    biased = [[k for k in row] for row in V3["matrix"]]
    biased[3][0] = "very-high"  # maximum severity, negligible likelihood
    problems = matrix_problems([1, 2, 3, 4], [1, 2, 3, 4], KEYS, biased)
    assert any("対称" in p for p in problems)


def test_a_matrix_where_a_step_up_lowers_the_level_is_refused():
    dipping = [list(row) for row in V3["matrix"]]
    dipping[1][2] = dipping[2][1] = "low"  # (2,3) and (3,2) below (2,2), still symmetric
    problems = matrix_problems([1, 2, 3, 4], [1, 2, 3, 4], KEYS, dipping)
    assert problems and all("下がる" in p for p in problems)


@pytest.mark.parametrize("matrix, words", [
    ([["low"] * 4] * 3, "4×4"),
    ([["low", "low", "low", "nope"]] + [["low"] * 3 + ["nope"]] * 3, "定められていない水準"),
])
def test_an_incomplete_or_unknown_matrix_is_refused(matrix, words):
    assert any(words in p for p in matrix_problems([1, 2, 3, 4], [1, 2, 3, 4], KEYS, matrix))


def test_scales_of_different_sizes_are_refused():
    assert matrix_problems([1, 2, 3, 4], [1, 2, 3], KEYS, V3["matrix"])


def test_a_missing_or_off_scale_value_has_no_level():
    model = model_of(V3["matrix"])
    assert level_of(model, None, 2) is None and level_of(model, 5, 1) is None and level_of(model, 0, 1) is None


def test_the_map_places_each_risk_in_its_cell_and_lists_the_unplaced():
    model = model_of(V3["matrix"])
    the_map = risk_map(model, [(1, 3, 3), (2, 3, 3), (3, 4, 1), (4, None, None)])
    assert the_map.cell(3, 3).numbers == (1, 2)
    assert the_map.cell(4, 1).numbers == (3,) and the_map.cell(4, 1).level.key == "medium"
    assert the_map.unplaced == (4,) and the_map.placed == 3
    # Drawn top to bottom from the highest severity, left to right from the lowest likelihood.
    assert [row[0].severity for row in the_map.rows] == [4, 3, 2, 1]
    assert [cell.likelihood for cell in the_map.rows[0]] == [1, 2, 3, 4]
    assert risk_levels.SEVERITY == "severity"
