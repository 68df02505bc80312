"""The clock of requests to a municipality (assessments.request_clock): pure, no database. The
dates in the comments were checked by hand against the 2026–2027 calendar."""

import datetime

from assessments import request_clock as clock

D = datetime.date


def test_fifteen_days_from_28_april_2026_run_through_golden_week_and_end_on_13_may():
    # Received Tue 2026-04-28. 翌日起算: day 1 is Wed 4/29 (昭和の日); the holidays inside the
    # period (4/29, 5/3 日 憲法記念日, 5/4 みどりの日, 5/5 こどもの日, 5/6 振替休日) all count.
    # Day 15 is 4/29 + 14 days = Wed 5/13, a working day: nothing moves.
    assert clock.due_date(D(2026, 4, 28), 15) == D(2026, 5, 13)
    # 当日起算: day 1 is 4/28 itself, day 15 is Tue 5/12.
    assert clock.due_date(D(2026, 4, 28), 15, start_next_day=False) == D(2026, 5, 12)


def test_an_extension_of_45_days_ending_on_a_saturday_moves_to_monday():
    # The first period ends Wed 5/13; 45 days more end on Sat 6/27 (5/13 + 18 = 5/31, + 27 = 6/27),
    # a closed day, so the due day is Mon 6/29; without the move it stays 6/27.
    assert clock.extended_due_date(D(2026, 4, 28), 15, 45) == D(2026, 6, 29)
    assert clock.extended_due_date(D(2026, 4, 28), 15, 45, holiday_moves=False) == D(2026, 6, 27)


def test_a_period_ending_in_golden_week_moves_past_every_holiday():
    # Received Fri 4/17 with 15 days: day 15 is Sat 5/2; 5/3–5/6 are holidays; Thu 5/7 is the due day.
    assert clock.due_date(D(2026, 4, 17), 15) == D(2026, 5, 7)
    assert clock.due_date(D(2026, 4, 17), 15, holiday_moves=False) == D(2026, 5, 2)


def test_the_year_end_closed_days_are_a_parameter():
    # Received Mon 12/28; 3 days end Thu 12/31. Closed 12/29–1/3: the due day is Mon 2027-01-04.
    assert clock.due_date(D(2026, 12, 28), 3) == D(2027, 1, 4)
    # Where the ordinance's 休日 do not include the year end, Thu 12/31 is a working day; 1/1 (元日)
    # is a national holiday whatever the ordinance says.
    assert clock.due_date(D(2026, 12, 28), 3, is_holiday=clock.holiday_rule(year_end=False)) == D(2026, 12, 31)
    assert clock.due_date(D(2026, 12, 28), 4, is_holiday=clock.holiday_rule(year_end=False)) == D(2027, 1, 4)  # 1/1 元日, 1/2 土, 1/3 日
    # 15 days from 12/28: day 1 is 12/29, day 15 is Tue 2027-01-12 (the day after 成人の日 1/11).
    assert clock.due_date(D(2026, 12, 28), 15) == D(2027, 1, 12)


def test_overdue_from_the_day_after_the_due_day_and_not_on_it():
    due = D(2026, 5, 13)
    assert not clock.is_overdue(due, D(2026, 5, 12))
    assert not clock.is_overdue(due, due)
    assert clock.is_overdue(due, D(2026, 5, 14))
    assert not clock.is_overdue(None, D(2030, 1, 1))
    assert clock.days_left(due, D(2026, 5, 10)) == 3
    assert clock.days_left(due, due) == 0
    assert clock.days_left(due, D(2026, 5, 14)) == -1
    assert clock.days_left(None, due) is None


def test_closed_days():
    assert clock.closed_day(D(2026, 5, 6))  # 振替休日
    assert clock.closed_day(D(2026, 12, 29)) and clock.closed_day(D(2027, 1, 3))
    assert not clock.closed_day(D(2026, 12, 28)) and not clock.closed_day(D(2027, 1, 4))
    assert not clock.closed_day(D(2026, 12, 30), year_end=False)
