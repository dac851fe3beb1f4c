from typing import Annotated

from fastapi import APIRouter, Query

from assignment_service import service
from assignment_service.models import HandlingStatus, ProposalProjectionPublic
from servicekit.pagination import Page
from servicekit.runtime import SessionDep

router = APIRouter(prefix="/proposals", tags=["proposals"])


@router.get("/{proposal_id}", operation_id="get_handling_proposal", response_model=ProposalProjectionPublic)
async def get_proposal(proposal_id: str, session: SessionDep) -> ProposalProjectionPublic:
    row = await service.get_proposal(session=session, proposal_id=proposal_id)
    return ProposalProjectionPublic.model_validate(row)


@router.get("", operation_id="list_handling_proposals", response_model=Page[ProposalProjectionPublic])
async def list_proposals(
    session: SessionDep,
    status: HandlingStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[ProposalProjectionPublic]:
    rows, next_cursor = await service.list_proposals(session=session, status=status, limit=limit, cursor=cursor)
    return Page(items=[ProposalProjectionPublic.model_validate(r) for r in rows], next_cursor=next_cursor)
