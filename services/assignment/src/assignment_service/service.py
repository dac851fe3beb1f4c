"""Use cases of the assignment service: keyword-only functions, one commit each.

Event handlers call the ``record_*`` functions inside the consumer's unit of
work, so those add rows and never commit.
"""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.models import HandlingStatus, ProposalProjection
from servicekit.errors import NotFound
from servicekit.pagination import paginate


async def record_submitted_proposal(
    *, session: AsyncSession, proposal_id: str, title: str, kind: str, category: str | None, submitted_at: datetime
) -> None:
    session.add(
        ProposalProjection(
            proposal_id=proposal_id, title=title, kind=kind, category=category, submitted_at=submitted_at
        )
    )


async def get_proposal(*, session: AsyncSession, proposal_id: str) -> ProposalProjection:
    row = await session.get(ProposalProjection, proposal_id)
    if row is None:
        raise NotFound("proposal", proposal_id)
    return row


async def list_proposals(
    *, session: AsyncSession, status: HandlingStatus | None, limit: int, cursor: str | None
) -> tuple[list[ProposalProjection], str | None]:
    """Oldest first: the order items wait in."""
    query = select(ProposalProjection)
    if status:
        query = query.where(col(ProposalProjection.status) == status)
    return await paginate(
        session,
        query,
        keys=(col(ProposalProjection.received_at), col(ProposalProjection.proposal_id)),
        types=(datetime, str),
        cursor=cursor,
        limit=limit,
    )
