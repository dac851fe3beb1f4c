"""The explicit table of events the notification service consumes: each (type, version) to its
reader model (events/consumed.py) and the use case that applies it (domain/received.py).

Handled events become notifications (domain/messages.py); the others are listed as ignored,
so an event type nobody has listed is still dead-lettered as an unknown contract.
"""

from notification_service.domain import messages, received, supervision
from notification_service.events import consumed as ev
from servicekit.inbox import Subscriptions

# Handled only to end reminders: ratings next to members' ids are not sent to other systems.
NOT_FOR_WEBHOOKS = {"evaluation.submitted"}

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

on = subscriptions.use_received
on("proposal.submitted", 1, ev.ProposalSubmitted, received.proposal_submitted)
on("proposal.registered", 1, ev.ProposalRegistered, received.proposal_registered)
on("proposal.declined", 1, ev.ProposalDeclined, received.about_item(messages.declined))
on("proposal.merged", 1, ev.ProposalMerged, received.about_item(messages.merged))
on("proposal.withdrawn", 1, ev.ProposalWithdrawn, received.about_item(messages.withdrawn))
on("proposal.cosign_invited", 1, ev.CosignInvited, received.cosign_invited)
on("proposal.cosign_answered", 1, ev.CosignAnswered, received.cosign_answered)
on("proposal.key_marked", 1, ev.KeyMarked, received.key_marked)
on(
    "assignment.created",
    1,
    ev.AssignmentCreated,
    received.about_item(messages.assigned, supervision.record_assignment),
)
on(
    "assignment.reassigned",
    1,
    ev.AssignmentReassigned,
    received.about_item(messages.reassigned, supervision.record_reassigned),
)
on("assignment.extended", 1, ev.AssignmentExtended, received.about_item(messages.extended, supervision.record_extended))
on("assignment.due_soon", 1, ev.AssignmentDeadline, received.about_item(messages.due_soon))
on("assignment.overdue", 1, ev.AssignmentDeadline, received.about_item(messages.overdue, supervision.record_overdue))
on("assignment.rehandling_opened", 1, ev.RehandlingOpened, received.about_item(messages.rehandling))
on(
    "assignment.reopened",
    1,
    ev.AssignmentReopened,
    received.about_item(messages.reopened, supervision.record_reopened),
)
on("assignment.reply_sent_back", 1, ev.ReplySentBack, received.about_item(messages.reply_sent_back))
on("assignment.replied", 1, ev.AssignmentReplied, received.assignment_replied)
on("assignment.adjustment_requested", 1, ev.AdjustmentRequested, received.adjustment_requested)
on(
    "assignment.adjustment_refused",
    1,
    ev.AdjustmentRefused,
    received.about_item(messages.adjustment_refused, supervision.record_adjustment_refused),
)
on("assignment.extension_requested", 1, ev.ExtensionRequested, received.extension_requested)
on(
    "assignment.extension_refused",
    1,
    ev.ExtensionRefused,
    received.about_item(messages.extension_refused, supervision.record_extension_refused),
)
on("assignment.opinion_sent", 1, ev.OpinionSent, received.about_item(messages.opinion_sent))
on("assembly_evaluation.opened", 1, ev.BallotOpened, received.ballot_opened)
subscriptions.use("evaluation.submitted", 1, ev.EvaluationSubmitted, received.evaluation_submitted)


def webhook_event_types() -> set[str]:
    """What a webhook may ask for: the event types this service handles."""
    return {event_type for event_type, _ in subscriptions.handlers} - NOT_FOR_WEBHOOKS
