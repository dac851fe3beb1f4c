"""Events the assignment service publishes on its topic (contracts in contracts/events/).

``round`` is the handling round: 1 for the first handling, one more for each
rehandling; consumers order an item's stages by it (see the proposal
service's status rules).
"""

from datetime import date, datetime

from pydantic import BaseModel

from servicekit.events import EventRegistry

registry = EventRegistry(source="/services/assignment")


@registry.register("assignment.created", 1)
class AssignmentCreated(BaseModel):
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    role: str  # lead | co | separate
    round: int
    due_date: date
    assigned_at: datetime


@registry.register("assignment.reassigned", 1)
class AssignmentReassigned(BaseModel):
    """An approved adjustment request moved the assignment to another unit."""

    assignment_id: str
    proposal_id: str
    body_id: str
    previous_unit_id: str
    unit_id: str
    unit_name: str
    role: str
    round: int
    due_date: date
    reassigned_at: datetime


@registry.register("handling.completed", 1)
class HandlingCompleted(BaseModel):
    """The item is replied: the lead unit, or every separate unit, has replied in this round.
    ``outcome`` is the lead's, or for separate units the furthest from solved (the highest class)."""

    proposal_id: str
    body_id: str
    round: int
    outcome: str  # A | B | C | D, or the body's own classes
    completed_at: datetime
    outcomes: dict[str, str] = {}  # unit id → outcome, every replying unit
    unit_names: dict[str, str] = {}
    on_time: bool | None = None  # every reply by its due date


@registry.register("assignment.acknowledged", 1)
class AssignmentAcknowledged(BaseModel):
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    acknowledged_at: datetime


@registry.register("assignment.adjustment_requested", 1)
class AdjustmentRequested(BaseModel):
    request_id: str
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    reason: str
    requested_at: datetime


@registry.register("assignment.adjustment_refused", 1)
class AdjustmentRefused(BaseModel):
    """The body's staff refused a unit's adjustment request; the assignment stays with the unit."""

    request_id: str
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    note: str | None
    refused_at: datetime


@registry.register("assignment.extension_requested", 1)
class ExtensionRequested(BaseModel):
    """A unit asked for a later due date; the body's staff decide (their digest lists it waiting)."""

    extension_id: str
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    due_date: date
    requested_due_date: date
    reason: str
    requested_at: datetime


@registry.register("assignment.extension_refused", 1)
class ExtensionRefused(BaseModel):
    """The body's staff refused a unit's extension request; the due date stays."""

    extension_id: str
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    requested_due_date: date
    due_date: date
    note: str | None
    refused_at: datetime


@registry.register("assignment.opinion_sent", 1)
class OpinionSent(BaseModel):
    """A co-handler (协办) sent its opinion to the lead unit(s); the text stays in this service."""

    record_id: str
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    lead_unit_ids: list[str]
    round: int
    sent_at: datetime


@registry.register("assignment.extended", 1)
class AssignmentExtended(BaseModel):
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    previous_due_date: date
    due_date: date
    extended_at: datetime


@registry.register("assignment.replied", 1)
class AssignmentReplied(BaseModel):
    """One unit's reply (答复); the item as a whole is replied with handling.completed."""

    reply_id: str
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    role: str
    round: int
    outcome: str
    publishable: bool
    on_time: bool
    contacted: bool  # a contact with the proposer was recorded before the reply
    replied_at: datetime


class DeadlineNotice(BaseModel):
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    due_date: date
    working_days_left: int
    day: date


@registry.register("assignment.due_soon", 1)
class AssignmentDueSoon(DeadlineNotice):
    pass


@registry.register("assignment.overdue", 1)
class AssignmentOverdue(DeadlineNotice):
    pass


@registry.register("assignment.rehandling_opened", 1)
class RehandlingOpened(BaseModel):
    proposal_id: str
    body_id: str
    round: int
    due_date: date
    opened_at: datetime


@registry.register("assignment.reopened", 1)
class AssignmentReopened(BaseModel):
    """One unit's assignment opened again after an unsatisfied rating of its reply, with the
    rehandling deadline: the unit is told. assignment.rehandling_opened tells of the item's new
    round once, however many of its units are reopened."""

    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    round: int
    due_date: date
    reopened_at: datetime


class OutcomeClassWording(BaseModel):
    code: str
    label: str
    sentence: str  # the report's sentence, a template with {count} and {percent}


@registry.register("assignment.rules_set", 1)
class HandlingRulesSet(BaseModel):
    """Staff replaced a body's handling rules for a kind ("*": the body's default): consumers
    keep the outcome classes and how the body words them (the annual report's sentences)."""

    body_id: str
    kind: str
    outcome_classes: list[str]
    outcome_labels: list[OutcomeClassWording]
    set_at: datetime


@registry.register("assignment.plan_deliberated", 1)
class PlanDeliberated(BaseModel):
    """The standing committee heard and deliberated a motion's handling plan (常委会听取和审议办理方案)."""

    proposal_id: str
    body_id: str
    plan_id: str
    plan_title: str
    document_number: str | None = None
    issued_on: date | None = None
    meeting: str
    deliberated_on: date
    opinions: int  # how many opinions were recorded (their text stays in the plan)
    recorded_at: datetime


@registry.register("assignment.reply_sent_back", 1)
class ReplySentBack(BaseModel):
    """The body's staff sent a unit's reply back before it was rated (退回答复, ADR 28): the unit
    replies again in the same round, and the item waits for that reply before it can be rated."""

    reply_id: str
    assignment_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    round: int
    reason: str
    unanswered: list[int] = []  # the proposal's suggestions (by number) the staff named as not answered
    sent_back_at: datetime
