"""The explicit table of events the assignment service consumes."""

from datetime import datetime

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain import handling, projection
from assignment_service.domain.deadlines import current_calendar
from servicekit.inbox import ReceivedEvent, Subscriptions

subscriptions = Subscriptions(topics=["proposal.events", "evaluation.events"])
for _type in (
    "proposal.cosign_invited",  # drafts' cosigning is the proposal service's and the members' business
    "proposal.cosign_answered",
    "proposal.presidium_decided",  # proposal.registered that follows carries the motion's new kind
    "evaluation.submitted",
    "evaluation.completed",
    "assembly_evaluation.opened",
    "assembly_evaluation.closed",
):
    subscriptions.ignore(_type, 1)


class ProposalSubmitted(BaseModel):
    """The fields of proposal.submitted v1 this service reads."""

    proposal_id: str
    body_id: str | None = None
    session_id: str | None = None
    title: str
    kind: str
    category: str | None = None
    lead_member_id: str | None = None
    cosigner_member_ids: list[str] = []
    submitted_at: datetime


class ProposalRegistered(BaseModel):
    proposal_id: str
    kind: str | None = None  # a motion decided to be handled as a suggestion is registered as one
    number_label: str
    title: str
    content: str
    category: str | None
    key: bool = False
    cosigner_member_ids: list[str] = []
    registered_at: datetime


class ItemRef(BaseModel):
    proposal_id: str


class KeyMarked(BaseModel):
    proposal_id: str
    key: bool
    supervising_leader: str | None


class CategoryChanged(BaseModel):
    proposal_id: str
    category: str


class EvaluationUnsatisfied(BaseModel):
    proposal_id: str
    round: int
    unit_id: str


@subscriptions.on("proposal.submitted", 1, ProposalSubmitted)
async def on_proposal_submitted(session: AsyncSession, event: ReceivedEvent[ProposalSubmitted]) -> None:
    p = event.payload
    await projection.record_submitted(
        session=session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        session_id=p.session_id,
        title=p.title,
        kind=p.kind,
        category=p.category,
        lead_member_id=p.lead_member_id,
        cosigner_member_ids=p.cosigner_member_ids,
        submitted_at=p.submitted_at,
    )


@subscriptions.on("proposal.registered", 1, ProposalRegistered)
async def on_proposal_registered(session: AsyncSession, event: ReceivedEvent[ProposalRegistered]) -> None:
    p = event.payload
    await projection.record_registered(
        session=session,
        proposal_id=p.proposal_id,
        number_label=p.number_label,
        title=p.title,
        content=p.content,
        category=p.category,
        key=p.key,
        cosigner_member_ids=p.cosigner_member_ids,
        registered_at=p.registered_at,
        kind=p.kind,
    )


async def on_not_handled(session: AsyncSession, event: ReceivedEvent[ItemRef]) -> None:
    await projection.record_not_handled(session=session, proposal_id=event.payload.proposal_id)


for _type in ("proposal.declined", "proposal.merged", "proposal.withdrawn"):
    subscriptions.on(_type, 1, ItemRef)(on_not_handled)


@subscriptions.on("proposal.key_marked", 1, KeyMarked)
async def on_key_marked(session: AsyncSession, event: ReceivedEvent[KeyMarked]) -> None:
    p = event.payload
    await projection.record_key(
        session=session, proposal_id=p.proposal_id, key=p.key, supervising_leader=p.supervising_leader
    )


@subscriptions.on("proposal.category_changed", 1, CategoryChanged)
async def on_category_changed(session: AsyncSession, event: ReceivedEvent[CategoryChanged]) -> None:
    await projection.record_category(
        session=session, proposal_id=event.payload.proposal_id, category=event.payload.category
    )


@subscriptions.on("evaluation.unsatisfied", 1, EvaluationUnsatisfied)
async def on_evaluation_unsatisfied(session: AsyncSession, event: ReceivedEvent[EvaluationUnsatisfied]) -> None:
    p = event.payload
    await handling.open_rehandling(
        session=session,
        calendar=current_calendar(),
        event=event,
        proposal_id=p.proposal_id,
        unit_id=p.unit_id,
        rated_round=p.round,
    )
