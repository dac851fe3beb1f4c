"""The explicit table of events the notification service consumes.

Handled events become notifications (domain/messages.py); the others are listed as ignored,
so an event type nobody has listed is still dead-lettered as an unknown contract.
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain import messages, notify, reminders, supervision, webhooks
from notification_service.domain.messages import Draft, Item
from notification_service.events import consumed as ev
from servicekit.db import utcnow
from servicekit.inbox import ReceivedEvent, Subscriptions

# The evaluation service's default rating window (its body rule may set another; the message is
# a reminder, not the rule, and the evaluation service enforces the real window).
RATING_DAYS = 15

# Handled only to end reminders: ratings next to members' ids are not sent to other systems.
NOT_FOR_WEBHOOKS = {"evaluation.submitted"}
# The bodies' zone (DESIGN section 5), as messages.LOCAL_ZONE.
LOCAL_ZONE = "Asia/Shanghai"

subscriptions = Subscriptions(topics=["proposal.events", "assignment.events", "evaluation.events"])

# Events that need nobody's attention, or whose recipients the event does not name.
IGNORED = (
    "proposal.category_changed",
    "assignment.acknowledged",
    "handling.completed",  # the proposers were told with each unit's assignment.replied
    "assignment.rules_set",  # a body's rules, for staff who set them
    "proposal.presidium_decided",  # the deputies are told of the registration that follows
    "assignment.plan_deliberated",  # the standing committee's business
    "evaluation.unsatisfied",  # rehandling follows as assignment.rehandling_opened
    "evaluation.completed",
    "assembly_evaluation.closed",
)
for _type in IGNORED:
    subscriptions.ignore(_type, 1)


async def _notify(session: AsyncSession, event: ReceivedEvent[BaseModel], drafts: list[Draft]) -> None:
    await notify.store(session, event_id=event.envelope.id, event_type=event.envelope.type, drafts=drafts)
    await webhooks.enqueue(session, event.envelope)


Projection = Callable[[AsyncSession, Any], Awaitable[None]]


def _with_item(
    event_type: str,
    model: type[ev.ItemRef],
    mapping: Callable[[ev.ItemRef, Item], list[Draft]],
    project: Projection | None = None,
) -> None:
    """Registers a handler that maps ``event_type`` with what is known of its item (and keeps the
    supervision digests' projection with ``project``, in the same transaction)."""

    async def handle(session: AsyncSession, event: ReceivedEvent[ev.ItemRef]) -> None:
        item = await notify.item_of(session, event.payload.proposal_id)
        await _notify(session, event, mapping(event.payload, item))  # type: ignore[arg-type]
        if project is not None:
            await project(session, event.payload)

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


async def _refused(session: AsyncSession, p: Any) -> None:
    await supervision.request_decided(session, request_id=p.request_id)


async def _extension_refused(session: AsyncSession, p: Any) -> None:
    await supervision.request_decided(session, request_id=p.extension_id)


_with_item("assignment.adjustment_refused", ev.AdjustmentRefused, messages.adjustment_refused, _refused)  # type: ignore[arg-type]
_with_item("assignment.extension_refused", ev.ExtensionRefused, messages.extension_refused, _extension_refused)  # type: ignore[arg-type]
_with_item("assignment.opinion_sent", ev.OpinionSent, messages.opinion_sent)  # type: ignore[arg-type]


def _today() -> date:
    return reminders.local_date(utcnow(), LOCAL_ZONE)


@subscriptions.on("proposal.cosign_invited", 1, ev.CosignInvited)
async def on_cosign_invited(session: AsyncSession, event: ReceivedEvent[ev.CosignInvited]) -> None:
    p = event.payload
    drafts = messages.cosign_invited(p)
    await _notify(session, event, drafts)  # type: ignore[arg-type]
    deadline = reminders.local_date(p.deadline, LOCAL_ZONE)
    day = reminders.working_days_before(reminders.calendar(), deadline, 1)
    for d in drafts:  # a re-invitation moves the deadline: the old reminder goes
        member_id = d.recipient.removeprefix("member:")
        await reminders.cancel(
            session, proposal_id=p.proposal_id, recipient=d.recipient, kind=reminders.COSIGN_DEADLINE
        )
        reminder = messages.cosign_reminder(p, member_id)
        await reminders.plan(session, draft=reminder, day=day, until=deadline, today=_today())


@subscriptions.on("proposal.cosign_answered", 1, ev.CosignAnswered)
async def on_cosign_answered(session: AsyncSession, event: ReceivedEvent[ev.CosignAnswered]) -> None:
    p = event.payload
    await _notify(session, event, messages.cosign_answered(p))  # type: ignore[arg-type]
    recipient = messages.member(p.member_id)
    await reminders.cancel(session, proposal_id=p.proposal_id, recipient=recipient, kind=reminders.COSIGN_DEADLINE)


@subscriptions.on("assignment.replied", 1, ev.AssignmentReplied)
async def on_assignment_replied(session: AsyncSession, event: ReceivedEvent[ev.AssignmentReplied]) -> None:
    p = event.payload
    item = await notify.item_of(session, p.proposal_id)
    drafts = messages.replied(p, item, rating_days=RATING_DAYS)
    await _notify(session, event, drafts)  # type: ignore[arg-type]
    await supervision.record_done(session, proposal_id=p.proposal_id, unit_id=p.unit_id)
    cal = reminders.calendar()
    closes = cal.add_working_days(reminders.local_date(p.replied_at, LOCAL_ZONE), RATING_DAYS)
    day = reminders.working_days_before(cal, closes, 2)
    for d in drafts:
        reminder = messages.rating_reminder(p, item, d.recipient.removeprefix("member:"), closes)
        await reminders.plan(session, draft=reminder, day=day, until=closes, today=_today(), ref=p.unit_id)


@subscriptions.on("evaluation.submitted", 1, ev.EvaluationSubmitted)
async def on_evaluation_submitted(session: AsyncSession, event: ReceivedEvent[ev.EvaluationSubmitted]) -> None:
    """A rating ends its reminder; nobody is told (and webhooks do not get ratings)."""
    p = event.payload
    recipient = messages.member(p.member_id)
    await reminders.cancel(
        session, proposal_id=p.proposal_id, recipient=recipient, kind=reminders.RATING_DEADLINE, ref=p.unit_id
    )


@subscriptions.on("proposal.key_marked", 1, ev.KeyMarked)
async def on_key_marked(session: AsyncSession, event: ReceivedEvent[ev.KeyMarked]) -> None:
    """Nobody is told; the leaders' daily digest lists key items (domain/supervision.py)."""
    p = event.payload
    await supervision.record_key(
        session, proposal_id=p.proposal_id, body_id=p.body_id, key=p.key, leader_name=p.supervising_leader
    )
    await webhooks.enqueue(session, event.envelope)


@subscriptions.on("assignment.adjustment_requested", 1, ev.AdjustmentRequested)
async def on_adjustment_requested(session: AsyncSession, event: ReceivedEvent[ev.AdjustmentRequested]) -> None:
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


@subscriptions.on("assignment.extension_requested", 1, ev.ExtensionRequested)
async def on_extension_requested(session: AsyncSession, event: ReceivedEvent[ev.ExtensionRequested]) -> None:
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


@subscriptions.on("assembly_evaluation.opened", 1, ev.BallotOpened)
async def on_ballot_opened(session: AsyncSession, event: ReceivedEvent[ev.BallotOpened]) -> None:
    await _notify(session, event, messages.ballot_opened(event.payload))  # type: ignore[arg-type]


_with_item("proposal.declined", ev.ProposalDeclined, messages.declined)  # type: ignore[arg-type]
_with_item("proposal.merged", ev.ProposalMerged, messages.merged)  # type: ignore[arg-type]
_with_item("proposal.withdrawn", ev.ProposalWithdrawn, messages.withdrawn)  # type: ignore[arg-type]


async def _assigned(session: AsyncSession, p: Any) -> None:
    await supervision.record_assignment(
        session,
        assignment_id=p.assignment_id,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        unit_id=p.unit_id,
        unit_name=p.unit_name,
        due_date=p.due_date,
    )


async def _reassigned(session: AsyncSession, p: Any) -> None:
    await supervision.record_done(session, proposal_id=p.proposal_id, unit_id=p.previous_unit_id)
    await supervision.request_decided(session, proposal_id=p.proposal_id, unit_id=p.previous_unit_id)
    await _assigned(session, p)


async def _extended(session: AsyncSession, p: Any) -> None:
    await supervision.record_extended(session, assignment_id=p.assignment_id, due_date=p.due_date)
    await supervision.request_decided(session, extended_assignment_id=p.assignment_id)


async def _reopened(session: AsyncSession, p: Any) -> None:
    await supervision.record_reopened(session, assignment_id=p.assignment_id, due_date=p.due_date)


async def _overdue(session: AsyncSession, p: Any) -> None:
    await supervision.record_overdue(
        session,
        assignment_id=p.assignment_id,
        proposal_id=p.proposal_id,
        body_id=p.body_id,
        unit_id=p.unit_id,
        due_date=p.due_date,
    )


_with_item("assignment.created", ev.AssignmentCreated, messages.assigned, _assigned)  # type: ignore[arg-type]
_with_item("assignment.reassigned", ev.AssignmentReassigned, messages.reassigned, _reassigned)  # type: ignore[arg-type]
_with_item("assignment.extended", ev.AssignmentExtended, messages.extended, _extended)  # type: ignore[arg-type]
_with_item("assignment.due_soon", ev.AssignmentDeadline, messages.due_soon)  # type: ignore[arg-type]
_with_item("assignment.overdue", ev.AssignmentDeadline, messages.overdue, _overdue)  # type: ignore[arg-type]
_with_item("assignment.rehandling_opened", ev.RehandlingOpened, messages.rehandling)  # type: ignore[arg-type]
_with_item("assignment.reopened", ev.AssignmentReopened, messages.reopened, _reopened)  # type: ignore[arg-type]


def webhook_event_types() -> set[str]:
    """What a webhook may ask for: the event types this service handles."""
    return {event_type for event_type, _ in subscriptions.handlers} - NOT_FOR_WEBHOOKS
