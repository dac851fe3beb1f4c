"""The public status as a projection of the assignment and evaluation services' events.

One use case per event, taking the received event: its reader model (events/consumed.py) whole,
and its envelope, whose source, type and time the timeline records. They run inside the
consumer's transaction (with the inbox row), so they never commit; a redelivered event is
dropped by the inbox before it gets here.
"""

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.status import HANDLING_RANK, PUBLIC_STATUSES, moves_forward
from proposal_service.events.consumed import AssignmentCreated, AssignmentReassigned, HandlingStage, PlanDeliberated
from proposal_service.models import HandlingUnit, Proposal, ProposalStatus, TimelineEntry
from servicekit.events import EventKey
from servicekit.inbox import DeadLetter, ReceivedEvent


async def _item(session: AsyncSession, proposal_id: str) -> Proposal:
    item = await session.get(Proposal, proposal_id, with_for_update=True)
    if item is None:
        raise DeadLetter(f"proposal {proposal_id} is unknown to the proposal service")
    return item


def _advance(
    session: AsyncSession,
    item: Proposal,
    *,
    status: ProposalStatus,
    round_: int,
    at: datetime,
    actor: str,
    action: str,
    note: str | None = None,
) -> None:
    """Moves the item to ``status`` if that stage is later than its current one; the
    timeline records the event either way, a late one without a status change."""
    before = item.status
    if before in PUBLIC_STATUSES and moves_forward(
        current=(item.handling_round, item.handling_rank), status=status, round_=round_
    ):
        item.status = status
        item.handling_round, item.handling_rank = round_, HANDLING_RANK[status]
        item.version += 1
        item.updated_at = max(item.updated_at, at)
        session.add(item)
    elif note is None:
        note = "较早阶段的事件晚到，状态未变"
    session.add(
        TimelineEntry(
            proposal_id=item.id, at=at, actor=actor, action=action, from_status=before, to_status=item.status, note=note
        )
    )


async def _record_assignment(
    session: AsyncSession,
    received: ReceivedEvent[AssignmentCreated] | ReceivedEvent[AssignmentReassigned],
    at: datetime,
) -> None:
    """An assignment was made or moved to another unit: the item's handling units and status."""
    event = received.payload
    item = await _item(session, event.proposal_id)
    unit = await session.get(HandlingUnit, event.assignment_id) or HandlingUnit(
        assignment_id=event.assignment_id,
        proposal_id=event.proposal_id,
        unit_id=event.unit_id,
        unit_name=event.unit_name,
        role=event.role,
    )
    unit.unit_id, unit.unit_name, unit.role = event.unit_id, event.unit_name, event.role
    session.add(unit)
    _advance(
        session,
        item,
        status=ProposalStatus.assigned,
        round_=event.round,
        at=at,
        actor=received.envelope.source,
        action=received.envelope.type,
        note=f"{event.unit_name}（{event.role}）",
    )


async def record_assigned(*, session: AsyncSession, event: ReceivedEvent[AssignmentCreated]) -> None:
    await _record_assignment(session, event, event.payload.assigned_at)


async def record_reassigned(*, session: AsyncSession, event: ReceivedEvent[AssignmentReassigned]) -> None:
    await _record_assignment(session, event, event.payload.reassigned_at)


# Events that move an item to a handling stage, and the stage they move it to.
STAGES: dict[EventKey, ProposalStatus] = {
    ("handling.completed", 1): ProposalStatus.replied,
    ("assignment.rehandling_opened", 1): ProposalStatus.rehandling,
    ("evaluation.submitted", 1): ProposalStatus.evaluated,
    ("evaluation.completed", 1): ProposalStatus.closed,
}


async def record_handling_stage(*, session: AsyncSession, event: ReceivedEvent[HandlingStage]) -> None:
    """One of STAGES: the item moves to its stage, at the time the event was published."""
    envelope = event.envelope
    _advance(
        session,
        await _item(session, event.payload.proposal_id),
        status=STAGES[envelope.key],
        round_=event.payload.round,
        at=envelope.time,
        actor=envelope.source,
        action=envelope.type,
    )


async def record_plan_deliberated(*, session: AsyncSession, event: ReceivedEvent[PlanDeliberated]) -> None:
    """A step of another service that changes no status but belongs on the item's timeline (the
    standing committee's deliberation of a motion's plan)."""
    p = event.payload
    item = await _item(session, p.proposal_id)
    note = f"{p.meeting}于{p.deliberated_on}听取和审议《{p.plan_title}》"
    session.add(
        TimelineEntry(
            proposal_id=item.id, at=p.recorded_at, actor=event.envelope.source, actor_name=None,
            action=event.envelope.type, from_status=item.status, to_status=item.status, note=note,
        )
    )  # fmt: skip
