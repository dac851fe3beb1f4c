"""What this service learns from the proposal and assignment services' events: one use case per
event, taking its reader model (events/consumed.py) whole. They run inside the consumer's
transaction (with the inbox row) and never commit."""

from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain import filing, statistics
from evaluation_service.events.consumed import (
    AssignmentReplied,
    HandlingCompleted,
    HandlingRulesSet,
    ItemRef,
    ProposalCategoryChanged,
    ProposalKeyMarked,
    ProposalMerged,
    ProposalRegistered,
    ProposalSubmitted,
    ReplySentBack,
)
from evaluation_service.models import OutcomeWording, RatedItem, ReplyRecord


async def record_submitted(*, session: AsyncSession, event: ProposalSubmitted) -> None:
    await filing.record_filed_proposal(session=session, event=event)
    await statistics.record_proposal(
        session=session,
        event=event,
        category=event.category,
        category_rank=statistics.CATEGORY_SUBMITTED,
        title=event.title,
    )
    await statistics.record_session_name(session=session, event=event, at=event.submitted_at)


async def record_registered(*, session: AsyncSession, event: ProposalRegistered) -> None:
    item = await session.get(RatedItem, event.proposal_id, with_for_update=True) or RatedItem(
        proposal_id=event.proposal_id, body_id=event.body_id, kind=event.kind
    )
    item.lead_member_id, item.cosigner_member_ids = event.lead_member_id, event.cosigner_member_ids
    session.add(item)
    await statistics.record_proposal(
        session=session,
        event=event,
        status="registered",
        category=event.category,
        category_rank=statistics.CATEGORY_REGISTERED,
        key=event.key,
        key_rank=statistics.KEY_REGISTERED,
        title=event.title,
        number=event.number,
        number_label=event.number_label,
    )
    await statistics.record_session_name(session=session, event=event, at=event.registered_at)


async def record_declined(*, session: AsyncSession, event: ItemRef) -> None:
    await statistics.record_proposal(session=session, event=event, status="declined")


async def record_withdrawn(*, session: AsyncSession, event: ItemRef) -> None:
    await statistics.record_proposal(session=session, event=event, status="withdrawn")


async def record_key_marked(*, session: AsyncSession, event: ProposalKeyMarked) -> None:
    await statistics.record_proposal(session=session, event=event, key=event.key, key_rank=statistics.KEY_MARKED)


async def record_category_changed(*, session: AsyncSession, event: ProposalCategoryChanged) -> None:
    await statistics.record_proposal(
        session=session, event=event, category=event.category, category_rank=statistics.CATEGORY_CHANGED
    )


async def record_merged(*, session: AsyncSession, event: ProposalMerged) -> None:
    """The merged item's proposers may rate the primary item's replies. The primary may be
    registered later than this event arrives; the row is created if need be."""
    item = await session.get(RatedItem, event.primary_id, with_for_update=True) or RatedItem(
        proposal_id=event.primary_id, body_id=event.body_id, kind=event.kind
    )
    members = {m for m in [event.lead_member_id, *event.cosigner_member_ids] if m}
    item.merged_member_ids = sorted(set(item.merged_member_ids) | members)
    session.add(item)
    await statistics.record_proposal(session=session, event=event, status="merged")


async def record_reply(*, session: AsyncSession, event: AssignmentReplied) -> None:
    session.add(
        ReplyRecord(
            reply_id=event.reply_id,
            proposal_id=event.proposal_id,
            unit_id=event.unit_id,
            unit_name=event.unit_name,
            round=event.round,
            outcome=event.outcome,
            on_time=event.on_time,
            replied_at=event.replied_at,
        )
    )
    await statistics.record_unit_reply(session=session, event=event)


async def record_handling_completed(*, session: AsyncSession, event: HandlingCompleted) -> None:
    """The round's replies are all in: its evaluation window opens. An older round arriving
    late changes nothing."""
    item = await session.get(RatedItem, event.proposal_id, with_for_update=True) or RatedItem(
        proposal_id=event.proposal_id, body_id=event.body_id, kind=""
    )
    if event.round >= item.round:
        item.round, item.replied_at, item.completed = event.round, event.completed_at, False
        session.add(item)
    await statistics.record_item_replied(session=session, event=event)


async def record_reply_sent_back(*, session: AsyncSession, event: ReplySentBack) -> None:
    """The body's staff sent the reply back (ADR 28): it can no longer be rated, and the round's
    window stays closed until the handling.completed of the unit's new reply opens it again, so the
    other units' ratings cannot complete the round without it. A repeat changes nothing."""
    record = await session.get(ReplyRecord, event.reply_id, with_for_update=True)
    if record is not None:
        await session.delete(record)
    item = await session.get(RatedItem, event.proposal_id, with_for_update=True)
    if item is not None and item.round == event.round and not item.completed:
        item.replied_at = None
        session.add(item)


async def record_outcome_wording(*, session: AsyncSession, event: HandlingRulesSet) -> None:
    """The body's outcome classes and their wording; an older setting arriving late changes nothing."""
    row = await session.get(OutcomeWording, (event.body_id, event.kind), with_for_update=True)
    if row is not None and row.set_at >= event.set_at:
        return
    row = row or OutcomeWording(body_id=event.body_id, kind=event.kind, set_at=event.set_at)
    row.classes = event.outcome_classes
    row.labels = [label.model_dump() for label in event.outcome_labels]
    row.set_at = event.set_at
    session.add(row)
