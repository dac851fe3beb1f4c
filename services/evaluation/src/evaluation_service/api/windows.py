from fastapi import APIRouter

from evaluation_service.api.deps import CalendarDep
from evaluation_service.domain import windows
from evaluation_service.models import RatingWindow
from servicekit.auth import SignedInDep
from servicekit.runtime import SessionDep

router = APIRouter(tags=["evaluations"])


@router.get("/proposals/{proposal_id}/rating-window", operation_id="get_rating_window", response_model=RatingWindow)
async def get_rating_window(
    proposal_id: str, session: SessionDep, calendar: CalendarDep, principal: SignedInDep
) -> RatingWindow:
    """测评期限: for one of the item's raters, the open round's evaluation window: its last day on the
    working-day calendar, the working days left and the round's replies, each marked when the caller
    has rated it. Read before rating (the closing day is also on each rating, once made)."""
    return await windows.rating_window(session=session, calendar=calendar, principal=principal, proposal_id=proposal_id)
