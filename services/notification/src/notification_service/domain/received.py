"""What the service does with each event it handles: the notifications it stores (their texts in
domain/messages.py), the reminders it plans or cancels, the supervision digests' projection and
the webhooks it queues. Each use case takes the received event: its reader model
(events/consumed.py) whole and its envelope (whose id stores a notification once, and which the
webhooks forward). They run in the consumer's transaction and never commit."""

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain import messages, notify, reminders, supervision, webhooks
from notification_service.domain.messages import Draft, Item
from notification_service.events import consumed as ev
from servicekit.db import utcnow
from servicekit.inbox import ReceivedEvent, UseCase

# The evaluation service's default rating window (its body rule may set another; the message is
# a reminder, not the rule, and the evaluation service enforces the real window).
RATING_DAYS = 15
# The bodies' zone (DESIGN section 5), as messages.LOCAL_ZONE.
LOCAL_ZONE = "Asia/Shanghai"

M = TypeVar("M", bound=ev.ItemRef)


async def _notify(session: AsyncSession, event: ReceivedEvent[Any], drafts: list[Draft]) -> None:
    await notify.store(session, event_id=event.envelope.id, event_type=event.envelope.type, drafts=drafts)
    await webhooks.enqueue(session, event.envelope)


def about_item(
    mapping: Callable[[M, Item], list[Draft]], project: UseCase[M] | None = None
) -> UseCase[ReceivedEvent[M]]:
    """The use case of an event that tells who ``mapping`` names, with what is known of its item
    (and keeps the supervision digests' projection with ``project``, in the same transaction)."""

    async def tell(*, session: AsyncSession, event: ReceivedEvent[M]) -> None:
        item = await notify.item_of(session, event.payload.proposal_id)
        await _notify(session, event, mapping(event.payload, item))
        if project is not None:
            await project(session=session, event=event.payload)

    return tell


def _today() -> date:
    return reminders.local_date(utcnow(), LOCAL_ZONE)


async def proposal_submitted(*, session: AsyncSession, event: ReceivedEvent[ev.ProposalSubmitted]) -> None:
    p = event.payload
    await notify.remember_item(
        session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        title=p.title,
        lead_member_id=p.lead_member_id,
        cosigner_member_ids=p.cosigner_member_ids,
    )
    await webhooks.enqueue(session, event.envelope)


async def proposal_registered(*, session: AsyncSession, event: ReceivedEvent[ev.ProposalRegistered]) -> None:
    p = event.payload
    await notify.remember_item(
        session,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        title=p.title,
        number_label=p.number_label,
        lead_member_id=p.lead_member_id,
        cosigner_member_ids=p.cosigner_member_ids,
    )
    await _notify(session, event, messages.registered(p))


async def cosign_invited(*, session: AsyncSession, event: ReceivedEvent[ev.CosignInvited]) -> None:
    p = event.payload
    drafts = messages.cosign_invited(p)
    await _notify(session, event, drafts)
    deadline = reminders.local_date(p.deadline, LOCAL_ZONE)
    day = reminders.working_days_before(reminders.calendar(), deadline, 1)
    for d in drafts:  # a re-invitation moves the deadline: the old reminder goes
        member_id = d.recipient.removeprefix("member:")
        await reminders.cancel(
            session, proposal_id=p.proposal_id, recipient=d.recipient, kind=reminders.COSIGN_DEADLINE
        )
        reminder = messages.cosign_reminder(p, member_id)
        await reminders.plan(session, draft=reminder, day=day, until=deadline, today=_today())


async def cosign_answered(*, session: AsyncSession, event: ReceivedEvent[ev.CosignAnswered]) -> None:
    p = event.payload
    await _notify(session, event, messages.cosign_answered(p))
    recipient = messages.member(p.member_id)
    await reminders.cancel(session, proposal_id=p.proposal_id, recipient=recipient, kind=reminders.COSIGN_DEADLINE)


async def assignment_replied(*, session: AsyncSession, event: ReceivedEvent[ev.AssignmentReplied]) -> None:
    p = event.payload
    item = await notify.item_of(session, p.proposal_id)
    drafts = messages.replied(p, item, rating_days=RATING_DAYS)
    await _notify(session, event, drafts)
    await supervision.record_done(session, proposal_id=p.proposal_id, unit_id=p.unit_id)
    cal = reminders.calendar()
    closes = cal.add_working_days(reminders.local_date(p.replied_at, LOCAL_ZONE), RATING_DAYS)
    day = reminders.working_days_before(cal, closes, 2)
    for d in drafts:
        reminder = messages.rating_reminder(p, item, d.recipient.removeprefix("member:"), closes)
        await reminders.plan(session, draft=reminder, day=day, until=closes, today=_today(), ref=p.unit_id)


async def evaluation_submitted(*, session: AsyncSession, event: ev.EvaluationSubmitted) -> None:
    """A rating ends its reminder; nobody is told (and webhooks do not get ratings)."""
    recipient = messages.member(event.member_id)
    await reminders.cancel(
        session,
        proposal_id=event.proposal_id,
        recipient=recipient,
        kind=reminders.RATING_DEADLINE,
        ref=event.unit_id,
    )


async def key_marked(*, session: AsyncSession, event: ReceivedEvent[ev.KeyMarked]) -> None:
    """Nobody is told; the leaders' daily digest lists key items (domain/supervision.py)."""
    await supervision.record_key(session=session, event=event.payload)
    await webhooks.enqueue(session, event.envelope)


async def adjustment_requested(*, session: AsyncSession, event: ReceivedEvent[ev.AdjustmentRequested]) -> None:
    """Waits in the staff's daily digest until refused or the item is reassigned."""
    p = event.payload
    await supervision.record_request(
        session,
        kind="adjustment",
        request_id=p.request_id,
        assignment_id=p.assignment_id,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        unit_id=p.unit_id,
        requested_at=p.requested_at,
    )
    await webhooks.enqueue(session, event.envelope)


async def extension_requested(*, session: AsyncSession, event: ReceivedEvent[ev.ExtensionRequested]) -> None:
    """Waits in the staff's daily digest until refused or granted (assignment.extended)."""
    p = event.payload
    await supervision.record_request(
        session,
        kind="extension",
        request_id=p.extension_id,
        assignment_id=p.assignment_id,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        unit_id=p.unit_id,
        requested_at=p.requested_at,
        requested_due_date=p.requested_due_date,
    )
    await webhooks.enqueue(session, event.envelope)


async def ballot_opened(*, session: AsyncSession, event: ReceivedEvent[ev.BallotOpened]) -> None:
    await _notify(session, event, messages.ballot_opened(event.payload))
