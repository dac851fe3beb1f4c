"""The explicit table of events the evaluation service consumes: each (type, version) to its
reader model (events/consumed.py) and the use case that applies it (domain/projection.py)."""

from evaluation_service.domain import projection, statistics
from evaluation_service.events import consumed
from servicekit.inbox import Subscriptions

subscriptions = Subscriptions(topics=["proposal.events", "assignment.events"])
# Events that change neither what this service counts nor who may rate.
for _type in (
    "proposal.cosign_invited",
    "proposal.cosign_answered",
    "assignment.acknowledged",
    "assignment.adjustment_requested",
    "assignment.adjustment_refused",
    "assignment.extension_requested",
    "assignment.extension_refused",
    "assignment.opinion_sent",
    "assignment.extended",
    "assignment.due_soon",
    "assignment.rehandling_opened",
    "assignment.reopened",
    "assignment.plan_deliberated",  # not yet in the congress's report (a motion's plan and its hearing)
    "proposal.presidium_decided",  # proposal.registered that follows carries the kind (建议 as_suggestion)
):
    subscriptions.ignore(_type, 1)

subscriptions.use("proposal.submitted", 1, consumed.ProposalSubmitted, projection.record_submitted)
subscriptions.use("proposal.registered", 1, consumed.ProposalRegistered, projection.record_registered)
subscriptions.use("proposal.declined", 1, consumed.ItemRef, projection.record_declined)
subscriptions.use("proposal.withdrawn", 1, consumed.ItemRef, projection.record_withdrawn)
subscriptions.use("proposal.key_marked", 1, consumed.ProposalKeyMarked, projection.record_key_marked)
subscriptions.use("proposal.category_changed", 1, consumed.ProposalCategoryChanged, projection.record_category_changed)
subscriptions.use("proposal.merged", 1, consumed.ProposalMerged, projection.record_merged)
subscriptions.use("assignment.created", 1, consumed.AssignmentCreated, statistics.record_assigned)
subscriptions.use("assignment.reassigned", 1, consumed.AssignmentReassigned, statistics.record_reassigned)
subscriptions.use("assignment.overdue", 1, consumed.AssignmentOverdue, statistics.record_overdue)
subscriptions.use("assignment.replied", 1, consumed.AssignmentReplied, projection.record_reply)
subscriptions.use("handling.completed", 1, consumed.HandlingCompleted, projection.record_handling_completed)
subscriptions.use("assignment.reply_sent_back", 1, consumed.ReplySentBack, projection.record_reply_sent_back)
subscriptions.use("assignment.rules_set", 1, consumed.HandlingRulesSet, projection.record_outcome_wording)
