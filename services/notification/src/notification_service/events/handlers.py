"""The explicit table of events the notification service consumes.

Handled events become notifications (domain/messages.py); the others are listed as ignored,
so an event type nobody has listed is still dead-lettered as an unknown contract.
"""

from collections.abc import Callable

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain import messages, notify, webhooks
from notification_service.domain.messages import Draft, Item
from notification_service.events import consumed as ev
from servicekit.inbox import ReceivedEvent, Subscriptions

# The evaluation service's default rating window (its body rule may set another; the message is
# a reminder, not the rule, and the evaluation service enforces the real window).
RATING_DAYS = 15

subscriptions = Subscriptions(topics=["proposal.events", "assignment.events", "evaluation.events"])

# Events that need nobody's attention, or whose recipients the event does not name.
IGNORED = (
    "proposal.key_marked",
    "proposal.category_changed",
    "assignment.acknowledged",
    "assignment.adjustment_requested",  # for staff, who have no inbox address yet
    "handling.completed",  # the proposers were told with each unit's assignment.replied
    "evaluation.submitted",
    "evaluation.unsatisfied",  # rehandling follows as assignment.rehandling_opened
    "evaluation.completed",
    "assembly_evaluation.opened",  # the event does not list the electorate (see README)
    "assembly_evaluation.closed",
)
for _type in IGNORED:
    subscriptions.ignore(_type, 1)


async def _notify(session: AsyncSession, event: ReceivedEvent[BaseModel], drafts: list[Draft]) -> None:
    await notify.store(session, event_id=event.envelope.id, event_type=event.envelope.type, drafts=drafts)
    await webhooks.enqueue(session, event.envelope)


def _with_item(event_type: str, model: type[ev.ItemRef], mapping: Callable[[ev.ItemRef, Item], list[Draft]]) -> None:
    """Registers a handler that maps ``event_type`` with what is known of its item."""

    async def handle(session: AsyncSession, event: ReceivedEvent[ev.ItemRef]) -> None:
        item = await notify.item_of(session, event.payload.proposal_id)
        await _notify(session, event, mapping(event.payload, item))  # type: ignore[arg-type]

    handle.__name__ = f"on_{event_type.replace('.', '_')}"
    subscriptions.on(event_type, 1, model)(handle)


@subscriptions.on("proposal.submitted", 1, ev.ProposalSubmitted)
async def on_proposal_submitted(session: AsyncSession, event: ReceivedEvent[ev.ProposalSubmitted]) -> None:
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


@subscriptions.on("proposal.registered", 1, ev.ProposalRegistered)
async def on_proposal_registered(session: AsyncSession, event: ReceivedEvent[ev.ProposalRegistered]) -> None:
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
    await _notify(session, event, messages.registered(p))  # type: ignore[arg-type]


_with_item("proposal.declined", ev.ProposalDeclined, messages.declined)  # type: ignore[arg-type]
_with_item("proposal.merged", ev.ProposalMerged, messages.merged)  # type: ignore[arg-type]
_with_item("proposal.withdrawn", ev.ProposalWithdrawn, messages.withdrawn)  # type: ignore[arg-type]
_with_item("assignment.created", ev.AssignmentCreated, messages.assigned)  # type: ignore[arg-type]
_with_item("assignment.reassigned", ev.AssignmentReassigned, messages.reassigned)  # type: ignore[arg-type]
_with_item("assignment.extended", ev.AssignmentExtended, messages.extended)  # type: ignore[arg-type]
_with_item("assignment.due_soon", ev.AssignmentDeadline, messages.due_soon)  # type: ignore[arg-type]
_with_item("assignment.overdue", ev.AssignmentDeadline, messages.overdue)  # type: ignore[arg-type]
_with_item("assignment.rehandling_opened", ev.RehandlingOpened, messages.rehandling)  # type: ignore[arg-type]
_with_item(
    "assignment.replied",
    ev.AssignmentReplied,
    lambda p, item: messages.replied(p, item, rating_days=RATING_DAYS),  # type: ignore[arg-type]
)


def webhook_event_types() -> set[str]:
    """What a webhook may ask for: the event types this service handles."""
    return {event_type for event_type, _ in subscriptions.handlers}
