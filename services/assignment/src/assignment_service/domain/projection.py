"""What this service learns from the proposal service's events: one use case per event, taking its
reader model (events/consumed.py) whole. They run inside the consumer's transaction (with the inbox
row) and never commit."""

from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.events.consumed import (
    CategoryChanged,
    ItemRef,
    KeyMarked,
    ProposalRegistered,
    ProposalSubmitted,
)
from assignment_service.models import HandlingStatus, ProposalProjection
from servicekit.inbox import DeadLetter


async def _known(session: AsyncSession, proposal_id: str) -> ProposalProjection:
    item = await session.get(ProposalProjection, proposal_id, with_for_update=True)
    if item is None:
        raise DeadLetter(f"proposal {proposal_id} was never submitted as far as this service knows")
    return item


async def record_submitted(*, session: AsyncSession, event: ProposalSubmitted) -> None:
    session.add(
        ProposalProjection(
            proposal_id=event.proposal_id,
            body_id=event.body_id,
            session_id=event.session_id,
            title=event.title,
            kind=event.kind,
            category=event.category,
            lead_member_id=event.lead_member_id,
            cosigner_member_ids=event.cosigner_member_ids,
            submitted_at=event.submitted_at,
        )
    )


async def record_registered(*, session: AsyncSession, event: ProposalRegistered) -> None:
    item = await _known(session, event.proposal_id)
    if event.kind is not None:
        item.kind = event.kind  # a motion the presidium decided to handle as a suggestion (建议)
    item.number_label, item.title, item.content = event.number_label, event.title, event.content
    item.category, item.key = event.category, event.key
    item.cosigner_member_ids, item.registered_at = event.cosigner_member_ids, event.registered_at
    if item.status == HandlingStatus.submitted:
        item.status = HandlingStatus.awaiting_assignment
    session.add(item)


async def record_not_handled(*, session: AsyncSession, event: ItemRef) -> None:
    """Declined, merged or withdrawn: nothing to assign."""
    item = await _known(session, event.proposal_id)
    item.status = HandlingStatus.not_handled
    session.add(item)


async def record_key(*, session: AsyncSession, event: KeyMarked) -> None:
    item = await _known(session, event.proposal_id)
    item.key, item.supervising_leader = event.key, event.supervising_leader
    session.add(item)


async def record_category(*, session: AsyncSession, event: CategoryChanged) -> None:
    item = await _known(session, event.proposal_id)
    item.category = event.category
    session.add(item)
