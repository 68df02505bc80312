"""The clock of a request to a municipality: when a decision (or reply) is due, after an extension,
whether it is overdue and how many days are left. Pure functions over dates: no database.

How a period is counted (the parameters say which rule an ordinance follows):

- ``start_next_day`` (翌日起算, the default): the day the request was received is not counted, so
  with 15 days the period runs from the next day to the 15th day after it (民法第140条の初日不算入と
  同じ数え方). With ``start_next_day=False`` (当日起算) the day of receipt is day 1.
- Every calendar day counts, 休日 included: a period is shortened by nothing in it.
- ``holiday_moves``: when the last day falls on a closed day (土日、祝日、年末年始), the period ends
  on the next working day. Whether an ordinance says so differs (the DisclosureRule records it).
- ``is_holiday``: which days are closed. The default ``closed_day`` counts Saturdays, Sundays, the
  national holidays (jpholiday) and, when ``year_end`` is on, 12月29日〜1月3日, the year-end days most
  municipalities close (each ordinance's 休日 条例 says which; pass ``year_end=False`` otherwise).
- An extension adds its days to the end of the first period as counted before any move for a
  closed day, then moves its own last day if it is closed.
"""

import datetime
from collections.abc import Callable
from functools import partial

import jpholiday

DAY = datetime.timedelta(days=1)


def is_year_end(day: datetime.date) -> bool:
    """12月29日から1月3日まで（年末年始）."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def closed_day(day: datetime.date, *, year_end: bool = True) -> bool:
    """A day the municipality is closed: Saturday, Sunday, a national holiday, and 12/29–1/3 when
    ``year_end``."""
    return day.weekday() >= 5 or jpholiday.is_holiday(day) or (year_end and is_year_end(day))


def holiday_rule(year_end: bool = True) -> Callable[[datetime.date], bool]:
    return partial(closed_day, year_end=year_end)


def next_working_day(day: datetime.date, is_holiday: Callable[[datetime.date], bool] = closed_day) -> datetime.date:
    """``day`` itself if it is a working day, else the first working day after it."""
    for _ in range(366):
        if not is_holiday(day):
            return day
        day += DAY
    raise ValueError("no working day within a year")  # only a broken is_holiday gets here


def period_end(received: datetime.date, days: int, *, start_next_day: bool = True) -> datetime.date:
    """The last day of a period of ``days`` days from ``received``, before any move for a closed day."""
    if days < 1:
        raise ValueError("a period has at least one day")
    first = received + DAY if start_next_day else received
    return first + (days - 1) * DAY


def due_date(
    received: datetime.date,
    days: int,
    *,
    start_next_day: bool = True,
    holiday_moves: bool = True,
    is_holiday: Callable[[datetime.date], bool] = closed_day,
) -> datetime.date:
    """The day a decision is due for a request received on ``received`` with a period of ``days``."""
    end = period_end(received, days, start_next_day=start_next_day)
    return next_working_day(end, is_holiday) if holiday_moves else end


def extended_due_date(
    received: datetime.date,
    days: int,
    extension_days: int,
    *,
    start_next_day: bool = True,
    holiday_moves: bool = True,
    is_holiday: Callable[[datetime.date], bool] = closed_day,
) -> datetime.date:
    """The due day after an extension of ``extension_days``: added to the first period's own last
    day (before a move for a closed day), then moved if that day is closed."""
    end = period_end(received, days, start_next_day=start_next_day) + extension_days * DAY
    return next_working_day(end, is_holiday) if holiday_moves else end


def is_overdue(due: datetime.date | None, today: datetime.date) -> bool:
    """Overdue from the day after the due day; never on the due day itself; never without a due day."""
    return due is not None and today > due


def days_left(due: datetime.date | None, today: datetime.date) -> int | None:
    """Days until the due day (0 on it, negative once overdue); None without a due day."""
    return None if due is None else (due - today).days
