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
    """The item is replied: the lead unit, or every separate unit, has replied in this round."""

    proposal_id: str
    body_id: str
    round: int
    outcome: str  # A | B | C | D, or the body's own classes
    completed_at: datetime


@registry.register("assignment.rehandling_opened", 1)
class RehandlingOpened(BaseModel):
    proposal_id: str
    body_id: str
    round: int
    due_date: date
    opened_at: datetime
