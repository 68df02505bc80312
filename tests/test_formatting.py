import datetime
from decimal import Decimal

import pytest

from assessments.formatting import era_date, era_span, number_text, thousand_yen, wareki, wareki_fiscal_year


def test_it_shows_reiwa_dates():
    assert wareki(datetime.date(2026, 11, 28)) == "令和8年11月28日"


def test_it_writes_the_first_year_of_an_era_as_gannen():
    assert wareki(datetime.date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(datetime.date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki(datetime.date(1989, 1, 8)) == "平成元年1月8日"
    assert wareki(datetime.date(1989, 1, 7)) == "昭和64年1月7日"


def test_it_accepts_datetimes():
    assert wareki(datetime.datetime(2022, 10, 31, 12, 0)) == "令和4年10月31日"


def test_it_names_fiscal_years():
    assert wareki_fiscal_year(2022) == "令和4年度"
    assert wareki_fiscal_year(2019) == "令和元年度"


def test_amounts_keep_their_unit_and_unknown_is_never_zero():
    assert thousand_yen(710539) == "710,539千円"
    assert thousand_yen(0) == "0千円"
    assert thousand_yen(None) == "不明"


def test_meiji_years_count_from_1868():
    assert wareki(datetime.date(1900, 1, 1)) == "明治33年1月1日"
    assert wareki(datetime.date(1912, 7, 29)) == "明治45年7月29日"
    assert wareki(datetime.date(1912, 7, 30)) == "大正元年7月30日"
    assert wareki(datetime.date(1872, 12, 31)) == ""  # before the Gregorian calendar
    assert wareki_fiscal_year(1900) == "明治33年度"


@pytest.mark.parametrize("era, year, month, day, expected", [
    ("令和", 6, 5, 1, datetime.date(2024, 5, 1)),
    ("令和", 1, 5, 1, datetime.date(2019, 5, 1)),
    ("平成", 31, 4, 30, datetime.date(2019, 4, 30)),
    ("昭和", 64, 1, 7, datetime.date(1989, 1, 7)),
    ("大正", 15, 12, 24, datetime.date(1926, 12, 24)),
    ("明治", 6, 1, 1, datetime.date(1873, 1, 1)),
    ("令和", 1, 4, 30, None),  # before 令和
    ("平成", 31, 5, 1, None),  # after 平成
    ("平成", 32, 1, 1, None),
    ("昭和", 64, 1, 8, None),
    ("明治", 5, 12, 31, None),  # before the table
    ("令和", 0, 5, 1, None),
    ("令和", 6, 2, 30, None),
    ("天平", 1, 1, 1, None),
])
def test_era_dates(era, year, month, day, expected):
    assert era_date(era, year, month, day) == expected


def test_era_spans():
    assert era_span("令和") == (datetime.date(2019, 5, 1), None)
    assert era_span("平成") == (datetime.date(1989, 1, 8), datetime.date(2019, 4, 30))
    assert era_span("明治") == (datetime.date(1873, 1, 1), datetime.date(1912, 7, 29))
    assert era_span("天平") is None


@pytest.mark.parametrize("number, unit, expected", [
    (Decimal("12000"), "千円", "12,000千円"),
    (Decimal("3000"), "人", "3,000人"),
    (Decimal("1.5"), "時間", "1.5時間"),
    (Decimal("1.500"), "", "1.5"),
    (Decimal("10000000.000"), "人", "10,000,000人"),
    (Decimal("1234567.125"), "", "1,234,567.125"),
    (Decimal("0.000"), "時間", "0時間"),
    (Decimal("0.5"), "千円", "0.5千円"),
    (12000, "", "12,000"),
])
def test_numbers_have_thousands_separators_and_their_unit(number, unit, expected):
    assert number_text(number, unit) == expected


@pytest.mark.parametrize("typed, japanese, english", [
    ("12", "12ページ", "p. 12"),
    (" 3-5 ", "3-5ページ", "pp. 3-5"),
    ("2〜4", "2〜4ページ", "pp. 2〜4"),
    ("１２", "１２ページ", "p. １２"),
    ("٣", "٣", '<span lang="ja">٣</span>'),  # digits of another script are text as typed
    ("全3頁", "全3頁", '<span lang="ja">全3頁</span>'),
    ("p.2〜4", "p.2〜4", '<span lang="ja">p.2〜4</span>'),
    ("<b>1</b>", "&lt;b&gt;1&lt;/b&gt;", '<span lang="ja">&lt;b&gt;1&lt;/b&gt;</span>'),
])
def test_a_page_is_printed_with_its_unit_only_when_it_is_a_number_or_a_range(typed, japanese, english):
    from django.utils import translation

    from assessments.templatetags.dxpia import page_ref

    with translation.override("ja"):
        assert page_ref(typed) == japanese
    with translation.override("en"):
        assert page_ref(typed) == english
