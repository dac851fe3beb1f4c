"""Dependencies the evaluation routes share."""

from typing import Annotated

from cn_workdays import WorkCalendar
from fastapi import Depends, Request


async def calendar_of(request: Request) -> WorkCalendar:
    """The operator's working-day calendar, loaded once at start-up (rating windows count working days)."""
    calendar: WorkCalendar = request.app.state.calendar
    return calendar


CalendarDep = Annotated[WorkCalendar, Depends(calendar_of)]
