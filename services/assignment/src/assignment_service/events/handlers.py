"""The explicit table of events the assignment service consumes."""

from datetime import datetime

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service import service
from servicekit.inbox import ReceivedEvent, Subscriptions

subscriptions = Subscriptions(topics=["proposal.events"])
# Review decisions other than submission do not change this service's skeleton projection yet.
for _type in (
    "proposal.withdrawn",
    "proposal.registered",
    "proposal.declined",
    "proposal.merged",
    "proposal.key_marked",
    "proposal.category_changed",
):
    subscriptions.ignore(_type, 1)


class ProposalSubmitted(BaseModel):
    """The fields of proposal.submitted v1 this service reads."""

    proposal_id: str
    title: str
    kind: str
    category: str | None = None
    submitted_at: datetime


@subscriptions.on("proposal.submitted", 1, ProposalSubmitted)
async def on_proposal_submitted(session: AsyncSession, event: ReceivedEvent[ProposalSubmitted]) -> None:
    p = event.payload
    await service.record_submitted_proposal(
        session=session,
        proposal_id=p.proposal_id,
        title=p.title,
        kind=p.kind,
        category=p.category,
        submitted_at=p.submitted_at,
    )
