"""The fields this service reads from the other services' events (contracts/events/*.json).

Only what the messages need; unknown fields are ignored, so producers may add fields
within a version (DESIGN section 4).
"""

from datetime import date, datetime

from pydantic import BaseModel


class ItemRef(BaseModel):
    proposal_id: str
    body_id: str


class ProposalSubmitted(ItemRef):
    title: str
    lead_member_id: str | None = None
    cosigner_member_ids: list[str] = []


class ProposalRegistered(ItemRef):
    title: str
    number_label: str
    lead_member_id: str | None
    cosigner_member_ids: list[str] = []


class ProposalDeclined(ItemRef):
    reason: str
    note: str
    referral: str


class ProposalMerged(ItemRef):
    primary_id: str
    lead_member_id: str | None
    cosigner_member_ids: list[str] = []


class ProposalWithdrawn(ItemRef):
    note: str | None = None


class AssignmentCreated(ItemRef):
    assignment_id: str
    unit_id: str
    unit_name: str
    role: str
    round: int
    due_date: date


class AssignmentReassigned(AssignmentCreated):
    previous_unit_id: str


class AssignmentExtended(ItemRef):
    assignment_id: str
    unit_id: str
    due_date: date
    previous_due_date: date


class AssignmentDeadline(ItemRef):
    """assignment.due_soon and assignment.overdue."""

    assignment_id: str
    unit_id: str
    due_date: date
    working_days_left: int


class AssignmentReplied(ItemRef):
    reply_id: str
    unit_id: str
    unit_name: str
    role: str = "lead"
    round: int
    outcome: str
    replied_at: datetime


class RehandlingOpened(ItemRef):
    round: int
    due_date: date


class ReplySentBack(ItemRef):
    reply_id: str
    assignment_id: str
    unit_id: str
    round: int
    reason: str
    unanswered: list[int] = []


class AssignmentReopened(ItemRef):
    assignment_id: str
    unit_id: str
    round: int
    due_date: date


class CosignInvited(ItemRef):
    title: str
    lead_member_id: str | None = None
    member_ids: list[str]
    deadline: datetime


class CosignAnswered(ItemRef):
    title: str
    lead_member_id: str | None = None
    member_id: str
    accepted: bool


class AdjustmentRefused(ItemRef):
    request_id: str
    assignment_id: str
    unit_id: str
    note: str | None = None


class ExtensionRefused(ItemRef):
    extension_id: str
    assignment_id: str
    unit_id: str
    requested_due_date: date
    due_date: date
    note: str | None = None


class OpinionSent(ItemRef):
    assignment_id: str
    unit_id: str
    unit_name: str
    lead_unit_ids: list[str]


class BallotOpened(ItemRef):
    """assembly_evaluation.opened: the electorate is listed since it was added within v1."""

    ballot_id: str
    title: str
    closes_at: datetime | None = None
    elector_member_ids: list[str] = []


class EvaluationSubmitted(ItemRef):
    """Only what ends a rating reminder: who rated which unit's reply."""

    unit_id: str
    member_id: str


class KeyMarked(ItemRef):
    key: bool
    supervising_leader: str | None = None


class AdjustmentRequested(ItemRef):
    request_id: str
    assignment_id: str
    unit_id: str
    requested_at: datetime


class ExtensionRequested(ItemRef):
    extension_id: str
    assignment_id: str
    unit_id: str
    requested_due_date: date
    requested_at: datetime
