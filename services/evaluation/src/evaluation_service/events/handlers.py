"""The explicit table of events the evaluation service consumes."""

from datetime import datetime

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain import filing, projection
from servicekit.inbox import ReceivedEvent, Subscriptions

subscriptions = Subscriptions(topics=["proposal.events", "assignment.events"])
# Events that do not change what this service counts or who may rate (yet: the statistics of issue 5).
for _type in (
    "proposal.withdrawn",
    "proposal.declined",
    "proposal.key_marked",
    "proposal.category_changed",
    "assignment.created",
    "assignment.reassigned",
    "assignment.acknowledged",
    "assignment.adjustment_requested",
    "assignment.extended",
    "assignment.due_soon",
    "assignment.overdue",
    "assignment.rehandling_opened",
):
    subscriptions.ignore(_type, 1)


class ProposalSubmitted(BaseModel):
    """The fields of proposal.submitted v1 this service reads."""

    proposal_id: str
    kind: str
    category: str | None = None
    submitted_at: datetime


class ProposalRegistered(BaseModel):
    proposal_id: str
    body_id: str
    kind: str
    lead_member_id: str | None
    cosigner_member_ids: list[str] = []


class ProposalMerged(BaseModel):
    proposal_id: str
    body_id: str
    kind: str
    primary_id: str
    lead_member_id: str | None
    cosigner_member_ids: list[str] = []


class AssignmentReplied(BaseModel):
    reply_id: str
    proposal_id: str
    unit_id: str
    unit_name: str
    round: int
    outcome: str
    on_time: bool
    replied_at: datetime


class HandlingCompleted(BaseModel):
    proposal_id: str
    body_id: str
    round: int
    completed_at: datetime


@subscriptions.on("proposal.submitted", 1, ProposalSubmitted)
async def on_proposal_submitted(session: AsyncSession, event: ReceivedEvent[ProposalSubmitted]) -> None:
    p = event.payload
    await filing.record_filed_proposal(
        session=session, proposal_id=p.proposal_id, kind=p.kind, category=p.category, submitted_at=p.submitted_at
    )


@subscriptions.on("proposal.registered", 1, ProposalRegistered)
async def on_proposal_registered(session: AsyncSession, event: ReceivedEvent[ProposalRegistered]) -> None:
    p = event.payload
    await projection.record_registered(
        session=session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        kind=p.kind,
        lead_member_id=p.lead_member_id,
        cosigner_member_ids=p.cosigner_member_ids,
    )


@subscriptions.on("proposal.merged", 1, ProposalMerged)
async def on_proposal_merged(session: AsyncSession, event: ReceivedEvent[ProposalMerged]) -> None:
    p = event.payload
    members = [m for m in [p.lead_member_id, *p.cosigner_member_ids] if m]
    await projection.record_merged(
        session=session, primary_id=p.primary_id, body_id=p.body_id, kind=p.kind, member_ids=members
    )


@subscriptions.on("assignment.replied", 1, AssignmentReplied)
async def on_assignment_replied(session: AsyncSession, event: ReceivedEvent[AssignmentReplied]) -> None:
    p = event.payload
    await projection.record_reply(
        session=session,
        reply_id=p.reply_id,
        proposal_id=p.proposal_id,
        unit_id=p.unit_id,
        unit_name=p.unit_name,
        round_=p.round,
        outcome=p.outcome,
        on_time=p.on_time,
        replied_at=p.replied_at,
    )


@subscriptions.on("handling.completed", 1, HandlingCompleted)
async def on_handling_completed(session: AsyncSession, event: ReceivedEvent[HandlingCompleted]) -> None:
    p = event.payload
    await projection.record_handling_completed(
        session=session, proposal_id=p.proposal_id, body_id=p.body_id, round_=p.round, completed_at=p.completed_at
    )
