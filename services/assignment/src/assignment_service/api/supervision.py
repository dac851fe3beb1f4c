from typing import Annotated

from fastapi import APIRouter, Query

from assignment_service.api.deps import CalendarDep
from assignment_service.domain import supervision_board
from assignment_service.models import SupervisionBoard
from servicekit.auth import SignedInDep
from servicekit.runtime import SessionDep

router = APIRouter(tags=["supervision"])


@router.get("/supervision/board", operation_id="get_supervision_board", response_model=SupervisionBoard)
async def get_supervision_board(
    session: SessionDep,
    calendar: CalendarDep,
    principal: SignedInDep,
    within_days: Annotated[int, Query(ge=1, le=60, description="due soon: within this many working days")] = 10,
) -> SupervisionBoard:
    """督办看板: overdue and due-soon open assignments counted per unit and per supervising leader
    (the rows themselves: /supervision/overdue and /supervision/due-soon, paged)."""
    return await supervision_board.supervision_board(
        session=session, calendar=calendar, principal=principal, within_days=within_days
    )
