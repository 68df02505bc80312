"""Japanese display rules: 千円 amounts and 和暦 dates. Pure functions, tested without a database."""

import datetime

# (first day, era name) newest first. Dates before Meiji 6 (the Gregorian calendar) are shown in 西暦 only.
_ERAS = (
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
    (datetime.date(1912, 7, 30), "大正"),
    (datetime.date(1873, 1, 1), "明治"),
)


def wareki(day: datetime.date) -> str:
    """令和8年11月28日 for 2026-11-28; the first year of an era is 元年."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    for start, era in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{era}{year_text}年{day.month}月{day.day}日"
    return ""


def wareki_fiscal_year(year: int) -> str:
    """令和4年度 for fiscal year 2022 (April 2022 – March 2023).

    A fiscal year is named by the era in force when it begins, except that an era beginning in its
    first half names it (FY2019 is 令和元年度, FY1912 大正元年度).
    """
    label = wareki(datetime.date(year, 9, 30))
    return label.split("年")[0] + "年度" if label else ""


def thousand_yen(amount: int | None, unknown: str = "不明") -> str:
    """'1,924千円'; an unknown amount is never shown as 0."""
    if amount is None:
        return unknown
    return f"{amount:,}千円"
