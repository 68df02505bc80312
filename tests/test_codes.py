import csv

import pytest
from django.core.exceptions import ValidationError

from assessments.codes import check_digit, validate_local_government_code
from assessments.seed import FIXTURES


def municipality_rows():
    with (FIXTURES / "municipalities.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_it_computes_known_check_digits():
    assert check_digit("11100") == 7  # さいたま市 111007
    assert check_digit("11202") == 0  # 熊谷市 112020: remainder 1 gives 0
    assert check_digit("11207") == 1  # 秩父市 112071: remainder 0 gives 1


@pytest.mark.parametrize("row", municipality_rows(), ids=lambda row: row["code"])
def test_every_fixture_code_has_a_valid_check_digit(row):
    validate_local_government_code(row["code"])


@pytest.mark.parametrize("bad", ["111008", "11100", "1110070", "11100a", "１１１００７", ""])
def test_it_rejects_bad_codes(bad):
    with pytest.raises(ValidationError):
        validate_local_government_code(bad)


def test_it_lists_all_63_municipalities_of_saitama():
    rows = municipality_rows()
    assert len(rows) == 63
    assert len({row["code"] for row in rows}) == 63
    assert {row["kind"] for row in rows} == {"政令指定都市", "市", "町", "村"}
