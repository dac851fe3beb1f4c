"""The fields this service reads from the other services' events (contracts/events/*.json).

Only what the public status and the timeline need; unknown fields are ignored, so producers may
add fields within a version (DESIGN section 4). tests/contracts/test_reader_models.py checks them
against the schemas.
"""

from datetime import date, datetime

from pydantic import BaseModel


class AssignmentCreated(BaseModel):
    assignment_id: str
    proposal_id: str
    unit_id: str
    unit_name: str
    role: str
    round: int = 1
    assigned_at: datetime


class AssignmentReassigned(BaseModel):
    assignment_id: str
    proposal_id: str
    unit_id: str
    unit_name: str
    role: str
    round: int = 1
    reassigned_at: datetime


class HandlingStage(BaseModel):
    """The fields of handling.completed, assignment.rehandling_opened, evaluation.submitted and
    evaluation.completed this service reads."""

    proposal_id: str
    round: int = 1


class PlanDeliberated(BaseModel):
    proposal_id: str
    plan_title: str
    meeting: str
    deliberated_on: date
    recorded_at: datetime
