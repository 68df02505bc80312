"""The clocks of the action plan and of the review (対応計画の期限と見直しの時期). Pure functions over
dates and plain values, no database: each takes the day it is asked about (``today``), so tests fix
it and nothing depends on when they run.

An action is due on its due day and overdue from the next day; it is "soon" within the week before
(the same week as the reminders, plan_reminders). Only open actions (未着手, 対応中) have a due
state: a done or declined action is closed whatever its date.

An assessment's review date is the one its editors set (with a reason), else the day its question
set's review interval after approval (or, for an assessment published without a recorded approval,
after publication). Re-assessment is due its set's re-assessment interval after the same day.
"""

import calendar
import datetime
from dataclasses import dataclass

SOON_DAYS = 7

# Action states (due_state)
OVERDUE = "overdue"  # 期限超過
DUE_TODAY = "due_today"  # 本日が期限
SOON = "soon"  # 期限まで7日以内
OPEN = "open"  # 期限はまだ先、または期限なし
CLOSED = "closed"  # 完了・見送り

# Review states (review_state)
REVIEW_DUE = "review_due"  # 見直し時期（見直しの日を過ぎた、または当日）
REASSESSMENT_DUE = "reassessment_due"  # 再評価の時期（再評価の期限を過ぎた、または当日）


def due_state(*, is_open: bool, due_on: datetime.date | None, today: datetime.date) -> str:
    """overdue / due_today / soon / open / closed for an action (see the module's docstring)."""
    if not is_open:
        return CLOSED
    if due_on is None:
        return OPEN
    if today > due_on:
        return OVERDUE
    if today == due_on:
        return DUE_TODAY
    if (due_on - today).days <= SOON_DAYS:
        return SOON
    return OPEN


def days_left(due_on: datetime.date | None, today: datetime.date) -> int | None:
    """Days until the due day (0 on the day, negative once overdue); None without a due day."""
    return None if due_on is None else (due_on - today).days


def plan_order(*, is_open: bool, due_on: datetime.date | None, today: datetime.date, pk: int = 0) -> tuple:
    """Sort key of the plan: overdue first, then due today and soon, then the other open actions by
    due day (undated last), then the closed ones."""
    state = due_state(is_open=is_open, due_on=due_on, today=today)
    rank = {OVERDUE: 0, DUE_TODAY: 1, SOON: 1, OPEN: 2, CLOSED: 3}[state]
    return (rank, due_on is None, due_on or datetime.date.max, pk)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months; a day that month lacks becomes its last day (1月31日 + 1 = 2月28日
    or 29日)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReviewClock:
    """When an assessment is to be reviewed and re-assessed, and from what."""

    started_on: datetime.date | None  # approval (or publication): the day both intervals count from
    review_on: datetime.date | None  # the next review (見直し); None for an assessment never approved
    review_set_by_hand: bool  # the editors chose review_on (with a reason)
    reassess_by: datetime.date | None  # re-assessment (再評価) due
    review_months: int
    reassess_years: int

    def state(self, today: datetime.date) -> str:
        """reassessment_due, review_due or "" on ``today``."""
        if self.reassess_by is not None and today >= self.reassess_by:
            return REASSESSMENT_DUE
        if self.review_on is not None and today >= self.review_on:
            return REVIEW_DUE
        return ""


def review_clock(*, approved_on: datetime.date | None, published_on: datetime.date | None,
                 chosen_review_on: datetime.date | None, review_months: int, reassess_years: int) -> ReviewClock:
    """The review clock of an assessment approved on ``approved_on`` (published on ``published_on``),
    whose editors chose ``chosen_review_on`` (None: the default interval)."""
    started = approved_on or published_on
    default = add_months(started, review_months) if started else None
    return ReviewClock(
        started_on=started,
        review_on=chosen_review_on or default,
        review_set_by_hand=chosen_review_on is not None,
        reassess_by=add_months(started, 12 * reassess_years) if started else None,
        review_months=review_months,
        reassess_years=reassess_years,
    )
