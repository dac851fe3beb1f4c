"""What this service learns from the proposal service's events. Handlers run inside the
consumer's transaction (with the inbox row) and never commit."""

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.models import HandlingStatus, ProposalProjection
from servicekit.inbox import DeadLetter


async def _known(session: AsyncSession, proposal_id: str) -> ProposalProjection:
    item = await session.get(ProposalProjection, proposal_id, with_for_update=True)
    if item is None:
        raise DeadLetter(f"proposal {proposal_id} was never submitted as far as this service knows")
    return item


async def record_submitted(
    *,
    session: AsyncSession,
    proposal_id: str,
    body_id: str | None,
    session_id: str | None,
    title: str,
    kind: str,
    category: str | None,
    lead_member_id: str | None,
    cosigner_member_ids: list[str],
    submitted_at: datetime,
) -> None:
    session.add(
        ProposalProjection(
            proposal_id=proposal_id,
            body_id=body_id,
            session_id=session_id,
            title=title,
            kind=kind,
            category=category,
            lead_member_id=lead_member_id,
            cosigner_member_ids=cosigner_member_ids,
            submitted_at=submitted_at,
        )
    )


async def record_registered(
    *,
    session: AsyncSession,
    proposal_id: str,
    number_label: str,
    title: str,
    content: str,
    category: str | None,
    key: bool,
    cosigner_member_ids: list[str],
    registered_at: datetime,
    kind: str | None = None,
) -> None:
    item = await _known(session, proposal_id)
    if kind is not None:
        item.kind = kind  # a motion the presidium decided to handle as a suggestion (建议)
    item.number_label, item.title, item.content, item.category = number_label, title, content, category
    item.key, item.cosigner_member_ids, item.registered_at = key, cosigner_member_ids, registered_at
    if item.status == HandlingStatus.submitted:
        item.status = HandlingStatus.awaiting_assignment
    session.add(item)


async def record_not_handled(*, session: AsyncSession, proposal_id: str) -> None:
    """Declined, merged or withdrawn: nothing to assign."""
    item = await _known(session, proposal_id)
    item.status = HandlingStatus.not_handled
    session.add(item)


async def record_key(*, session: AsyncSession, proposal_id: str, key: bool, supervising_leader: str | None) -> None:
    item = await _known(session, proposal_id)
    item.key, item.supervising_leader = key, supervising_leader
    session.add(item)


async def record_category(*, session: AsyncSession, proposal_id: str, category: str) -> None:
    item = await _known(session, proposal_id)
    item.category = category
    session.add(item)
