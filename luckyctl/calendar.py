"""The project's working-day calendar: business day N ↔ date.

Day 1 is the first working day on or after ``project.start``; day N+1 is the
next working day after day N, and day 0, -1, … count back before the start.
A working day is Monday to Friday (``business-days``) or any day
(``calendar-days``), except the project's ``holidays`` in either mode.

A date that is not a working day (a Saturday, a holiday) belongs to the
working day before it: ``day_of`` is the last day number whose date is on or
before the given date. Work is counted at 8 hours a business day.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from luckyctl.durations import WORK_DAY_HOURS

if TYPE_CHECKING:
    from luckyctl.model import Project

CalendarMode = Literal["business-days", "calendar-days"]
_ONE_DAY = dt.timedelta(days=1)
_SATURDAY = 5
# Float sums of estimates (0.1 + 0.2 …) must not push a whole day over into the next.
_EPSILON = 1e-9


class ProjectCalendar:
    """Day numbers and dates of one project; working dates are listed lazily as far as asked."""

    def __init__(
        self, start: dt.date, *, mode: CalendarMode = "business-days", holidays: Iterable[dt.date] = ()
    ) -> None:
        self.start = start
        self.mode = mode
        self.holidays = frozenset(holidays)
        first = start
        while not self.is_working(first):
            first += _ONE_DAY
        # _forward[i] is day i + 1; _backward[i] is day -i (day 0, -1, …).
        self._forward: list[dt.date] = [first]
        self._backward: list[dt.date] = []

    @classmethod
    def of(cls, project: Project) -> ProjectCalendar:
        return cls(project.start, mode=project.calendar, holidays=project.holidays)

    def is_working(self, date: dt.date) -> bool:
        if date in self.holidays:
            return False
        return self.mode == "calendar-days" or date.weekday() < _SATURDAY

    def _step(self, date: dt.date, direction: int) -> dt.date:
        date += direction * _ONE_DAY
        while not self.is_working(date):
            date += direction * _ONE_DAY
        return date

    def date_of(self, day: int) -> dt.date:
        """The date of business day ``day`` (1 is the project's first working day)."""
        if day >= 1:
            while len(self._forward) < day:
                self._forward.append(self._step(self._forward[-1], 1))
            return self._forward[day - 1]
        while len(self._backward) <= -day:
            previous = self._backward[-1] if self._backward else self._forward[0]
            self._backward.append(self._step(previous, -1))
        return self._backward[-day]

    def day_of(self, date: dt.date) -> int:
        """The number of the last working day on or before ``date``."""
        if date >= self._forward[0]:
            while self._forward[-1] < date:
                self.date_of(len(self._forward) + 1)
            return bisect.bisect_right(self._forward, date)
        day = 0
        while self.date_of(day) > date:
            day -= 1
        return day

    def next_working_day(self, date: dt.date) -> int:
        """The number of the first working day on or after ``date``."""
        day = self.day_of(date)
        return day if self.date_of(day) == date else day + 1

    def work_start_day(self, now: dt.datetime) -> int:
        """The first day remaining work can use: today if it is a working day, never before day 1."""
        return max(1, self.next_working_day(now.date()))


def days_for_hours(hours: float) -> int:
    """Whole business days that ``hours`` of work take (0 for no work)."""
    return max(0, math.ceil(hours / WORK_DAY_HOURS - _EPSILON))


def day_span(first_day: int, start_hour: float, end_hour: float) -> tuple[int, int]:
    """Business days ``[start, end]`` of work placed at hour offsets from the start of ``first_day``.

    Hour 0–8 is ``first_day``, 8–16 the day after, and so on; work ending
    exactly at a day's end stays on that day.
    """
    start = first_day + math.floor(start_hour / WORK_DAY_HOURS + _EPSILON)
    end = first_day + days_for_hours(end_hour) - 1
    return start, max(start, end)
