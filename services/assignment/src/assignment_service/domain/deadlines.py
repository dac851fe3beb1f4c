"""Dates in the body's time zone and due dates on the working-day calendar."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from cn_workdays import WorkCalendar

BODY_TIMEZONE = ZoneInfo("Asia/Shanghai")  # deadlines are calendar dates there (DESIGN section 5)


def local_date(moment: datetime) -> date:
    return moment.astimezone(BODY_TIMEZONE).date()


def reply_due(calendar: WorkCalendar, start: date, *, months: int, reason: str | None = None) -> tuple[date, list[str]]:
    """The due date ``months`` after ``start`` and the steps that explain it."""
    due, steps = calendar.explain_due(start, months=months)
    return due, ([reason] if reason else []) + steps


def working_days_left(calendar: WorkCalendar, today: date, due: date) -> int:
    """Working days from today to the due date; negative once it has passed."""
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


_calendar: WorkCalendar | None = None


def use_calendar(calendar: WorkCalendar) -> None:
    """Sets the process's calendar (the operator's replacement file, or the shipped data)."""
    global _calendar
    _calendar = calendar


def current_calendar() -> WorkCalendar:
    global _calendar
    if _calendar is None:
        _calendar = WorkCalendar.default()
    return _calendar
