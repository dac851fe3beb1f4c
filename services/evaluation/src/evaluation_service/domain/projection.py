"""What this service learns from the proposal and assignment services' events. Handlers run
inside the consumer's transaction (with the inbox row) and never commit."""

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.models import OutcomeWording, RatedItem, ReplyRecord


async def record_registered(
    *,
    session: AsyncSession,
    proposal_id: str,
    body_id: str,
    kind: str,
    lead_member_id: str | None,
    cosigner_member_ids: list[str],
) -> None:
    item = await session.get(RatedItem, proposal_id, with_for_update=True) or RatedItem(
        proposal_id=proposal_id, body_id=body_id, kind=kind
    )
    item.lead_member_id, item.cosigner_member_ids = lead_member_id, cosigner_member_ids
    session.add(item)


async def record_merged(
    *, session: AsyncSession, primary_id: str, body_id: str, kind: str, member_ids: list[str]
) -> None:
    """The merged item's proposers may rate the primary item's replies. The primary may be
    registered later than this event arrives; the row is created if need be."""
    item = await session.get(RatedItem, primary_id, with_for_update=True) or RatedItem(
        proposal_id=primary_id, body_id=body_id, kind=kind
    )
    item.merged_member_ids = sorted(set(item.merged_member_ids) | set(member_ids))
    session.add(item)


async def record_reply(
    *,
    session: AsyncSession,
    reply_id: str,
    proposal_id: str,
    unit_id: str,
    unit_name: str,
    round_: int,
    outcome: str,
    on_time: bool,
    replied_at: datetime,
) -> None:
    session.add(
        ReplyRecord(
            reply_id=reply_id,
            proposal_id=proposal_id,
            unit_id=unit_id,
            unit_name=unit_name,
            round=round_,
            outcome=outcome,
            on_time=on_time,
            replied_at=replied_at,
        )
    )


async def record_handling_completed(
    *, session: AsyncSession, proposal_id: str, body_id: str, round_: int, completed_at: datetime
) -> None:
    """The round's replies are all in: its evaluation window opens. An older round arriving
    late changes nothing."""
    item = await session.get(RatedItem, proposal_id, with_for_update=True) or RatedItem(
        proposal_id=proposal_id, body_id=body_id, kind=""
    )
    if round_ >= item.round:
        item.round, item.replied_at, item.completed = round_, completed_at, False
        session.add(item)


async def record_outcome_wording(
    *,
    session: AsyncSession,
    body_id: str,
    kind: str,
    classes: list[str],
    labels: list[dict[str, str]],
    set_at: datetime,
) -> None:
    """The body's outcome classes and their wording; an older setting arriving late changes nothing."""
    row = await session.get(OutcomeWording, (body_id, kind), with_for_update=True)
    if row is not None and row.set_at >= set_at:
        return
    row = row or OutcomeWording(body_id=body_id, kind=kind, set_at=set_at)
    row.classes, row.labels, row.set_at = classes, labels, set_at
    session.add(row)
