"""POST /proposals/{id}/plan/deliberation: the standing committee's deliberation of a motion's plan."""

from fastapi import APIRouter

from assignment_service.domain import plans
from assignment_service.models import PlanDeliberationCreate, PlanPublic
from servicekit.auth import SignedInDep
from servicekit.runtime import OutboxDep, SessionDep

router = APIRouter(prefix="/proposals", tags=["plans"])


@router.post("/{proposal_id}/plan/deliberation", operation_id="record_plan_deliberation", response_model=PlanPublic)
async def record_plan_deliberation(
    proposal_id: str, data: PlanDeliberationCreate, session: SessionDep, outbox: OutboxDep, principal: SignedInDep
) -> PlanPublic:
    """常委会审议: the standing committee heard and deliberated the motion's handling plan (meeting,
    day, opinions); once per plan, by the body's staff."""
    await plans.record_deliberation(
        session=session, outbox=outbox, principal=principal, proposal_id=proposal_id, data=data
    )
    return await plans.get_plan(session=session, principal=principal, proposal_id=proposal_id)
