"""The explicit table of events the proposal service consumes: the handling stages that make up
an item's public status. Each (type, version) to its reader model (events/consumed.py) and the
use case that applies it (domain/projection.py)."""

from proposal_service.domain import projection
from proposal_service.events import consumed
from servicekit.inbox import Subscriptions

subscriptions = Subscriptions(topics=["assignment.events", "evaluation.events"])
# Steps inside handling that do not change the public status (assignment.rehandling_opened does).
for _type in (
    "assignment.acknowledged",
    "assignment.adjustment_requested",
    "assignment.adjustment_refused",
    "assignment.extension_requested",
    "assignment.extension_refused",
    "assignment.opinion_sent",
    "assignment.extended",
    "assignment.reopened",  # one unit's; the item's new round is assignment.rehandling_opened
    "assignment.replied",
    "assignment.reply_sent_back",  # the status stays 已答复 until the unit's new reply (ADR 28)
    "assignment.due_soon",
    "assignment.overdue",
    "assignment.rules_set",
    "evaluation.unsatisfied",
    "assembly_evaluation.opened",
    "assembly_evaluation.closed",
):
    subscriptions.ignore(_type, 1)

# The use cases take the received event: the timeline records its envelope's source, type, time.
subscriptions.use_received("assignment.created", 1, consumed.AssignmentCreated, projection.record_assigned)
subscriptions.use_received("assignment.reassigned", 1, consumed.AssignmentReassigned, projection.record_reassigned)
for _type, _version in projection.STAGES:
    subscriptions.use_received(_type, _version, consumed.HandlingStage, projection.record_handling_stage)
subscriptions.use_received(
    "assignment.plan_deliberated", 1, consumed.PlanDeliberated, projection.record_plan_deliberated
)
