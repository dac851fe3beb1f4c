"""The fields this service reads from the other services' events (contracts/events/*.json).

Only what its use cases need; unknown fields are ignored, so producers may add fields within a
version (DESIGN section 4). tests/contracts/test_reader_models.py checks them against the schemas.
"""

from datetime import datetime

from pydantic import BaseModel


class ProposalSubmitted(BaseModel):
    """The fields of proposal.submitted v1 this service reads."""

    proposal_id: str
    body_id: str | None = None
    session_id: str | None = None
    title: str
    kind: str
    category: str | None = None
    lead_member_id: str | None = None
    cosigner_member_ids: list[str] = []
    submitted_at: datetime


class ProposalRegistered(BaseModel):
    proposal_id: str
    kind: str | None = None  # a motion decided to be handled as a suggestion is registered as one
    number_label: str
    title: str
    content: str
    category: str | None
    key: bool = False
    cosigner_member_ids: list[str] = []
    registered_at: datetime


class ItemRef(BaseModel):
    proposal_id: str


class KeyMarked(BaseModel):
    proposal_id: str
    key: bool
    supervising_leader: str | None


class CategoryChanged(BaseModel):
    proposal_id: str
    category: str


class EvaluationSubmitted(BaseModel):
    proposal_id: str
    round: int
    unit_id: str


class EvaluationUnsatisfied(BaseModel):
    proposal_id: str
    round: int
    unit_id: str
