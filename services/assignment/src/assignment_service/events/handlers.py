"""The explicit table of events the assignment service consumes: each (type, version) to its
reader model (events/consumed.py) and the use case that applies it."""

from assignment_service.domain import handling, projection
from assignment_service.events import consumed
from servicekit.inbox import Subscriptions

subscriptions = Subscriptions(topics=["proposal.events", "evaluation.events"])
for _type in (
    "proposal.cosign_invited",  # drafts' cosigning is the proposal service's and the members' business
    "proposal.cosign_answered",
    "proposal.presidium_decided",  # proposal.registered that follows carries the motion's new kind
    "evaluation.completed",
    "assembly_evaluation.opened",
    "assembly_evaluation.closed",
):
    subscriptions.ignore(_type, 1)

subscriptions.use("proposal.submitted", 1, consumed.ProposalSubmitted, projection.record_submitted)
subscriptions.use("proposal.registered", 1, consumed.ProposalRegistered, projection.record_registered)
for _type in ("proposal.declined", "proposal.merged", "proposal.withdrawn"):
    subscriptions.use(_type, 1, consumed.ItemRef, projection.record_not_handled)
subscriptions.use("proposal.key_marked", 1, consumed.KeyMarked, projection.record_key)
subscriptions.use("proposal.category_changed", 1, consumed.CategoryChanged, projection.record_category)
# A rated reply can no longer be sent back (ADR 28).
subscriptions.use("evaluation.submitted", 1, consumed.EvaluationSubmitted, handling.record_rated)
# Emits assignment.reopened and assignment.rehandling_opened, caused by the rating.
subscriptions.use_received("evaluation.unsatisfied", 1, consumed.EvaluationUnsatisfied, handling.open_rehandling)
