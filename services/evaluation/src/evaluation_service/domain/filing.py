"""Filing counts across every body (the first projection of the service): kept for operators,
who watch that the service keeps up with proposal.submitted. They span all bodies, so only
administrators read them; a body's own figures are GET /statistics.

Event handlers call the ``record_*`` functions inside the consumer's unit of
work, so those add rows and never commit.
"""

from collections import Counter

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.events.consumed import ProposalSubmitted
from evaluation_service.models import FiledProposal, FilingCount, FilingStatistics
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import add_to_counters
from servicekit.errors import NotFound


def _require_operator(principal: Principal) -> None:
    if principal.role != Role.admin:
        raise forbidden("cross-body filing counts are for administrators; a body's figures are GET /statistics")


async def record_filed_proposal(*, session: AsyncSession, event: ProposalSubmitted) -> None:
    session.add(
        FiledProposal(
            proposal_id=event.proposal_id, kind=event.kind, category=event.category, submitted_at=event.submitted_at
        )
    )
    counts = FilingCount.__table__  # type: ignore[attr-defined]
    row = {"kind": event.kind, "category": event.category or "", "filed": 1}
    await add_to_counters(session, counts, [row], keys=["kind", "category"], add=["filed"])


async def get_filed_proposal(*, session: AsyncSession, principal: Principal, proposal_id: str) -> FiledProposal:
    _require_operator(principal)
    row = await session.get(FiledProposal, proposal_id)
    if row is None:
        raise NotFound("proposal", proposal_id)
    return row


async def filing_statistics(*, session: AsyncSession, principal: Principal) -> FilingStatistics:
    _require_operator(principal)
    by_kind: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    for row in (await session.exec(select(FilingCount))).all():
        by_kind[row.kind] += row.filed
        by_category[row.category or "未分类"] += row.filed
    return FilingStatistics(total=sum(by_kind.values()), by_kind=dict(by_kind), by_category=dict(by_category))
