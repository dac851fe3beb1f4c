"""The explicit table of events the proposal service consumes: the handling stages that
make up an item's public status (domain/projection.py)."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain import projection
from proposal_service.models import ProposalStatus
from servicekit.inbox import ReceivedEvent, Subscriptions

subscriptions = Subscriptions(topics=["assignment.events", "evaluation.events"])
# Steps inside handling that do not change the public status (assignment.rehandling_opened does).
for _type in (
    "assignment.acknowledged",
    "assignment.adjustment_requested",
    "assignment.adjustment_refused",
    "assignment.extension_requested",
    "assignment.extension_refused",
    "assignment.opinion_sent",
    "assignment.extended",
    "assignment.reopened",  # one unit's; the item's new round is assignment.rehandling_opened
    "assignment.replied",
    "assignment.due_soon",
    "assignment.overdue",
    "assignment.rules_set",
    "evaluation.unsatisfied",
    "assembly_evaluation.opened",
    "assembly_evaluation.closed",
):
    subscriptions.ignore(_type, 1)


class AssignmentCreated(BaseModel):
    assignment_id: str
    proposal_id: str
    unit_id: str
    unit_name: str
    role: str
    round: int = 1
    assigned_at: datetime


class AssignmentReassigned(BaseModel):
    assignment_id: str
    proposal_id: str
    unit_id: str
    unit_name: str
    role: str
    round: int = 1
    reassigned_at: datetime


class HandlingStage(BaseModel):
    """The fields of handling.completed, assignment.rehandling_opened, evaluation.submitted and
    evaluation.completed this service reads."""

    proposal_id: str
    round: int = 1


@subscriptions.on("assignment.created", 1, AssignmentCreated)
async def on_assignment_created(session: AsyncSession, event: ReceivedEvent[AssignmentCreated]) -> None:
    p = event.payload
    await projection.record_assignment(
        session=session,
        proposal_id=p.proposal_id,
        assignment_id=p.assignment_id,
        unit_id=p.unit_id,
        unit_name=p.unit_name,
        role=p.role,
        round_=p.round,
        at=p.assigned_at,
        actor=event.envelope.source,
        action=event.envelope.type,
    )


@subscriptions.on("assignment.reassigned", 1, AssignmentReassigned)
async def on_assignment_reassigned(session: AsyncSession, event: ReceivedEvent[AssignmentReassigned]) -> None:
    p = event.payload
    await projection.record_assignment(
        session=session,
        proposal_id=p.proposal_id,
        assignment_id=p.assignment_id,
        unit_id=p.unit_id,
        unit_name=p.unit_name,
        role=p.role,
        round_=p.round,
        at=p.reassigned_at,
        actor=event.envelope.source,
        action=event.envelope.type,
    )


def _stage(status: ProposalStatus) -> Callable[[AsyncSession, ReceivedEvent[HandlingStage]], Awaitable[None]]:
    async def handle(session: AsyncSession, event: ReceivedEvent[HandlingStage]) -> None:
        await projection.record_handling_stage(
            session=session,
            proposal_id=event.payload.proposal_id,
            status=status,
            round_=event.payload.round,
            action=event.envelope.type,
            at=event.envelope.time,
            actor=event.envelope.source,
        )

    return handle


# Events that move an item to a handling stage, and the stage they move it to.
STAGES = {
    ("handling.completed", 1): ProposalStatus.replied,
    ("assignment.rehandling_opened", 1): ProposalStatus.rehandling,
    ("evaluation.submitted", 1): ProposalStatus.evaluated,
    ("evaluation.completed", 1): ProposalStatus.closed,
}
for (_type, _version), _status in STAGES.items():
    subscriptions.on(_type, _version, HandlingStage)(_stage(_status))


class PlanDeliberated(BaseModel):
    proposal_id: str
    plan_title: str
    meeting: str
    deliberated_on: date
    recorded_at: datetime


@subscriptions.on("assignment.plan_deliberated", 1, PlanDeliberated)
async def on_plan_deliberated(session: AsyncSession, event: ReceivedEvent[PlanDeliberated]) -> None:
    p = event.payload
    await projection.record_note(
        session=session,
        proposal_id=p.proposal_id,
        at=p.recorded_at,
        actor=event.envelope.source,
        action=event.envelope.type,
        note=f"{p.meeting}于{p.deliberated_on}听取和审议《{p.plan_title}》",
    )
