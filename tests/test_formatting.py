import datetime

from assessments.formatting import thousand_yen, wareki, wareki_fiscal_year


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
