from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from proposal_service import service
from proposal_service.models import ProposalCreate, ProposalPublic
from servicekit.pagination import Page
from servicekit.runtime import OutboxDep, SessionDep

router = APIRouter(prefix="/proposals", tags=["proposals"])


@router.post("", operation_id="submit_proposal", status_code=status.HTTP_201_CREATED, response_model=ProposalPublic)
async def submit_proposal(
    data: ProposalCreate, session: SessionDep, outbox: OutboxDep, response: Response
) -> ProposalPublic:
    proposal = await service.submit_proposal(session=session, outbox=outbox, data=data)
    response.headers["Location"] = f"/proposals/{proposal.id}"
    return ProposalPublic.model_validate(proposal)


@router.get("/{proposal_id}", operation_id="get_proposal", response_model=ProposalPublic)
async def get_proposal(proposal_id: str, session: SessionDep) -> ProposalPublic:
    return ProposalPublic.model_validate(await service.get_proposal(session=session, proposal_id=proposal_id))


@router.get("", operation_id="list_proposals", response_model=Page[ProposalPublic])
async def list_proposals(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[ProposalPublic]:
    rows, next_cursor = await service.list_proposals(session=session, limit=limit, cursor=cursor)
    return Page(items=[ProposalPublic.model_validate(r) for r in rows], next_cursor=next_cursor)
