"""The public status as a projection of the assignment and evaluation services' events.

Handlers run inside the consumer's transaction (with the inbox row), so they
never commit; a redelivered event is dropped by the inbox before it gets here.
"""

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from proposal_service.domain.status import HANDLING_RANK, PUBLIC_STATUSES, moves_forward
from proposal_service.models import HandlingUnit, Proposal, ProposalStatus, TimelineEntry
from servicekit.inbox import DeadLetter


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


async def record_assignment(
    *,
    session: AsyncSession,
    proposal_id: str,
    assignment_id: str,
    unit_id: str,
    unit_name: str,
    role: str,
    round_: int,
    at: datetime,
    actor: str,
    action: str,
) -> None:
    """An assignment was made or moved to another unit: the item's handling units and status."""
    item = await _item(session, proposal_id)
    unit = await session.get(HandlingUnit, assignment_id) or HandlingUnit(
        assignment_id=assignment_id, proposal_id=proposal_id, unit_id=unit_id, unit_name=unit_name, role=role
    )
    unit.unit_id, unit.unit_name, unit.role = unit_id, unit_name, role
    session.add(unit)
    _advance(
        session,
        item,
        status=ProposalStatus.assigned,
        round_=round_,
        at=at,
        actor=actor,
        action=action,
        note=f"{unit_name}（{role}）",
    )


async def record_handling_stage(
    *,
    session: AsyncSession,
    proposal_id: str,
    status: ProposalStatus,
    round_: int,
    at: datetime,
    actor: str,
    action: str,
) -> None:
    _advance(
        session, await _item(session, proposal_id), status=status, round_=round_, at=at, actor=actor, action=action
    )


async def record_note(
    *, session: AsyncSession, proposal_id: str, at: datetime, actor: str, action: str, note: str
) -> None:
    """A step of another service that changes no status but belongs on the item's timeline (the
    standing committee's deliberation of a motion's plan)."""
    item = await _item(session, proposal_id)
    session.add(
        TimelineEntry(
            proposal_id=item.id, at=at, actor=actor, actor_name=None, action=action,
            from_status=item.status, to_status=item.status, note=note,
        )
    )  # fmt: skip
