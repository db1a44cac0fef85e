"""The business-day calendar: day N ↔ date, weekends, holidays, calendar-days mode, hours → days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luckyctl.calendar import ProjectCalendar, day_span, days_for_hours
from luckyctl.model import Project

MONDAY = dt.date(2026, 12, 7)


def d(day: int, month: int = 12, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def test_business_days_skip_weekends_both_ways() -> None:
    calendar = ProjectCalendar(MONDAY)
    assert [calendar.date_of(n) for n in (1, 5, 6, 10, 15)] == [d(7), d(11), d(14), d(18), d(25)]
    assert [calendar.date_of(n) for n in (0, -1, -4, -5)] == [d(4), d(3), d(30, 11), d(27, 11)]
    # A weekend day belongs to the Friday before it.
    assert [calendar.day_of(date) for date in (d(11), d(12), d(13), d(14))] == [5, 5, 5, 6]
    assert [calendar.day_of(date) for date in (d(6), d(4), d(3), d(27, 11))] == [0, 0, -1, -5]


def test_a_start_on_a_weekend_makes_the_next_monday_day_one() -> None:
    calendar = ProjectCalendar(d(5))
    assert calendar.date_of(1) == MONDAY
    assert calendar.day_of(d(5)) == 0
    assert calendar.next_working_day(d(5)) == 1


def test_holidays_are_skipped_in_both_modes() -> None:
    business = ProjectCalendar(MONDAY, holidays=[d(8), d(25)])
    assert [business.date_of(n) for n in (1, 2, 14, 15)] == [d(7), d(9), d(28), d(29)]
    assert business.day_of(d(8)) == 1
    every_day = ProjectCalendar(MONDAY, mode="calendar-days", holidays=[d(8)])
    assert [every_day.date_of(n) for n in (1, 2, 6, 7)] == [d(7), d(9), d(13), d(14)]
    assert every_day.day_of(d(12)) == 5


def test_the_calendar_of_a_project() -> None:
    project = Project.model_validate(
        {
            "id": "P",
            "name": "p",
            "start": "2026-12-07",
            "calendar": "calendar-days",
            "holidays": ["2026-12-09"],
            "roles": {},
        }
    )
    calendar = ProjectCalendar.of(project)
    assert (calendar.mode, calendar.holidays, calendar.date_of(3)) == ("calendar-days", frozenset({d(9)}), d(10))


def test_work_starts_today_on_a_working_day_and_never_before_day_one() -> None:
    calendar = ProjectCalendar(MONDAY)
    noon = dt.time(12, tzinfo=dt.UTC)
    assert calendar.work_start_day(dt.datetime.combine(d(9), noon)) == 3
    assert calendar.work_start_day(dt.datetime.combine(d(12), noon)) == 6  # Saturday: Monday next
    assert calendar.work_start_day(dt.datetime.combine(d(26, 11), noon)) == 1  # before the start


@pytest.mark.parametrize(
    ("hours", "days"),
    [(0, 0), (0.1, 1), (8, 1), (8.0000000001, 1), (9, 2), (16, 2), (0.1 + 0.2 + 7.7, 1), (63, 8)],
)
def test_days_for_hours(hours: float, days: int) -> None:
    assert days_for_hours(hours) == days


@pytest.mark.parametrize(
    ("first", "start", "end", "span"),
    [(1, 0, 8, (1, 1)), (1, 8, 16, (2, 2)), (1, 4, 12, (1, 2)), (3, 0, 0, (3, 3)), (2, 7.9999999999, 24, (3, 4))],
)
def test_day_span_places_hours_on_days(first: int, start: float, end: float, span: tuple[int, int]) -> None:
    assert day_span(first, start, end) == span


@given(st.integers(min_value=-400, max_value=400), st.sampled_from(["business-days", "calendar-days"]))
def test_day_of_inverts_date_of(day: int, mode: str) -> None:
    calendar = ProjectCalendar(MONDAY, mode=mode, holidays=[d(25), d(1, 1, 2027)])  # type: ignore[arg-type]
    date = calendar.date_of(day)
    assert calendar.is_working(date)
    assert calendar.day_of(date) == day
    assert calendar.day_of(date + dt.timedelta(days=1)) in (day, day + 1)
