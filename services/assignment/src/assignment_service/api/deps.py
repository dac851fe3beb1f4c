from typing import Annotated

from cn_workdays import WorkCalendar
from fastapi import Depends, Request

from assignment_service.domain.deadlines import current_calendar
from assignment_service.domain.suggestions import RoutingModels


async def calendar_of() -> WorkCalendar:
    """The process's working-day calendar, set once at start-up (main.py): event handlers need it too."""
    return current_calendar()


async def routing_models_of(request: Request) -> RoutingModels:
    models: RoutingModels = request.app.state.routing_models
    return models


CalendarDep = Annotated[WorkCalendar, Depends(calendar_of)]
RoutingModelsDep = Annotated[RoutingModels, Depends(routing_models_of)]
