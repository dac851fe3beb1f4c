"""The fields this service reads from the other services' events (contracts/events/*.json).

Only what its projections use; unknown fields are ignored, so producers may add fields within a
version (DESIGN section 4). tests/contracts/test_reader_models.py checks them against the schemas.
"""

from datetime import datetime

from pydantic import BaseModel


class ItemRef(BaseModel):
    """What every proposal event names: the item, its body and session, its kind."""

    proposal_id: str
    body_id: str
    session_id: str
    kind: str


class Names(ItemRef):
    """The names of the body and session, added within v1: None in earlier events."""

    body_name: str | None = None
    session_name: str | None = None
    body_kind: str | None = None
    session_term: int | None = None
    session_meeting: int | None = None


class ProposalSubmitted(Names):
    """The fields of proposal.submitted v1 this service reads."""

    title: str | None = None
    category: str | None = None
    submitted_at: datetime


class ProposalRegistered(Names):
    title: str | None = None
    number: int | None = None
    number_label: str | None = None
    category: str | None = None
    key: bool = False
    lead_member_id: str | None
    cosigner_member_ids: list[str] = []
    registered_at: datetime


class ProposalKeyMarked(ItemRef):
    key: bool


class ProposalCategoryChanged(ItemRef):
    category: str


class ProposalMerged(ItemRef):
    primary_id: str
    lead_member_id: str | None
    cosigner_member_ids: list[str] = []


class AssignmentCreated(BaseModel):
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    role: str


class AssignmentReassigned(AssignmentCreated):
    previous_unit_id: str


class AssignmentOverdue(BaseModel):
    proposal_id: str
    body_id: str
    unit_id: str


class AssignmentReplied(BaseModel):
    reply_id: str
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    role: str = "lead"
    round: int
    outcome: str
    on_time: bool
    contacted: bool = False
    replied_at: datetime


class ReplySentBack(BaseModel):
    reply_id: str
    proposal_id: str
    round: int


class OutcomeClassWording(BaseModel):
    code: str
    label: str
    sentence: str


class HandlingRulesSet(BaseModel):
    body_id: str
    kind: str
    outcome_classes: list[str]
    outcome_labels: list[OutcomeClassWording] = []
    set_at: datetime


class HandlingCompleted(BaseModel):
    proposal_id: str
    body_id: str
    round: int
    outcome: str
    on_time: bool | None = None
    completed_at: datetime
