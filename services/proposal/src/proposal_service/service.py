"""Use cases of the proposal service: keyword-only functions, one commit each."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.events.schemas import ProposalSubmitted
from proposal_service.models import Proposal, ProposalCreate
from servicekit.errors import NotFound
from servicekit.outbox import Outbox
from servicekit.pagination import paginate


async def submit_proposal(*, session: AsyncSession, outbox: Outbox, data: ProposalCreate) -> Proposal:
    proposal = Proposal.model_validate(data)
    session.add(proposal)
    outbox.add(
        session,
        ProposalSubmitted(
            proposal_id=proposal.id,
            title=proposal.title,
            kind=proposal.kind,
            category=proposal.category,
            lead_proposer=proposal.lead_proposer,
            submitted_at=proposal.submitted_at,
        ),
        subject=proposal.id,
    )
    await session.commit()
    return proposal


async def get_proposal(*, session: AsyncSession, proposal_id: str) -> Proposal:
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("proposal", proposal_id)
    return proposal


async def list_proposals(*, session: AsyncSession, limit: int, cursor: str | None) -> tuple[list[Proposal], str | None]:
    """Newest first."""
    return await paginate(
        session,
        select(Proposal),
        keys=(col(Proposal.submitted_at), col(Proposal.id)),
        types=(datetime, str),
        cursor=cursor,
        limit=limit,
        descending=True,
    )
