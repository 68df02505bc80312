"""Japanese display rules: numbers with their unit, 千円 amounts and 和暦 dates. Pure functions,
tested without a database."""

import datetime
from decimal import Decimal

# (first day, era name, the Gregorian year of its first year) newest first. Dates before Meiji 6
# (the Gregorian calendar, 1873) are shown in 西暦 only; 明治元年 is 1868.
ERAS = (
    (datetime.date(2019, 5, 1), "令和", 2019),
    (datetime.date(1989, 1, 8), "平成", 1989),
    (datetime.date(1926, 12, 25), "昭和", 1926),
    (datetime.date(1912, 7, 30), "大正", 1912),
    (datetime.date(1873, 1, 1), "明治", 1868),
)


def wareki(day: datetime.date) -> str:
    """令和8年11月28日 for 2026-11-28; the first year of an era is 元年."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    for start, era, first_year in ERAS:
        if day >= start:
            year = day.year - first_year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{era}{year_text}年{day.month}月{day.day}日"
    return ""


def era_span(era: str) -> tuple[datetime.date, datetime.date | None] | None:
    """The first and last day of an era in this table (None for the last of the current era), or
    None for a name not in it."""
    for index, (start, name, _first_year) in enumerate(ERAS):
        if name == era:
            end = ERAS[index - 1][0] - datetime.timedelta(days=1) if index else None
            return start, end
    return None


def era_date(era: str, year: int, month: int, day: int) -> datetime.date | None:
    """The date written 令和6年5月1日 (``era_date("令和", 6, 5, 1)``), or None when there is no such
    day in that era: 令和1年4月1日 (before 令和), 平成32年 (after 平成), 2月30日, an unknown era."""
    span = era_span(era)
    if span is None or year < 1:
        return None
    first_year = next(first for _start, name, first in ERAS if name == era)
    try:
        result = datetime.date(first_year + year - 1, month, day)
    except ValueError:
        return None
    start, end = span
    if result < start or (end is not None and result > end):
        return None
    return result


def wareki_fiscal_year(year: int) -> str:
    """令和4年度 for fiscal year 2022 (April 2022 – March 2023).

    A fiscal year is named by the era in force when it begins, except that an era beginning in its
    first half names it (FY2019 is 令和元年度, FY1912 大正元年度).
    """
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        return ""  # a year no calendar of this table names (stored before the model's range existed)
    label = wareki(datetime.date(year, 9, 30))
    return label.split("年")[0] + "年度" if label else ""


def number_text(number: Decimal | int, unit: str = "") -> str:
    """'12,000千円', '1.5時間', '3,000人': thousands separators, no trailing zeros, then the unit."""
    number = Decimal(number)
    text = f"{number.normalize():,f}"
    return f"{text}{unit}"


def inner_quotes(text: str) -> str:
    """``text`` for printing inside 「」: its own 「」 become 『』, as Japanese nests quotation marks
    (「子育て支援アプリ『Home Ciao(ほめちゃお)』」に関する質問書, not 「…「…」」)."""
    return str(text).translate(_INNER_QUOTES)


_INNER_QUOTES = str.maketrans("「」", "『』")


def thousand_yen(amount: int | None, unknown: str = "不明") -> str:
    """'1,924千円'; an unknown amount is never shown as 0."""
    if amount is None:
        return unknown
    return number_text(amount, "千円")
