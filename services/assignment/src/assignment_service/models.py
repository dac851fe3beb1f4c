"""Tables and API schemas of the assignment service (SQLModel Base/Create/Public variants).

Enums are stored as strings so that adding a value needs no type migration.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import ConfigDict, field_validator
from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime, utcnow
from servicekit.inputs import StrictInput
from servicekit.text import checked_line, checked_text

FORBID = ConfigDict(extra="forbid")


def new_id() -> str:
    return str(uuid.uuid4())


# --- what this service knows of items (from the proposal service's events) -----------------------


class HandlingStatus(StrEnum):
    submitted = "submitted"  # filed, not yet registered
    awaiting_assignment = "awaiting_assignment"
    assigned = "assigned"
    replied = "replied"
    rehandling = "rehandling"
    not_handled = "not_handled"  # declined, merged or withdrawn


class ProposalProjectionBase(SQLModel):
    """What this service knows of an item, learned from the proposal service's events."""

    proposal_id: str = Field(primary_key=True, max_length=36)
    body_id: str | None = Field(default=None, max_length=36)
    session_id: str | None = Field(default=None, max_length=36)
    title: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    category: str | None = Field(default=None, max_length=50)
    number_label: str | None = Field(default=None, max_length=20)
    lead_member_id: str | None = Field(default=None, max_length=36, index=True)
    key: bool = False
    supervising_leader: str | None = Field(default=None, max_length=50)
    status: HandlingStatus = Field(default=HandlingStatus.submitted, sa_type=String(30))
    round: int = 0
    outcome: str | None = Field(default=None, max_length=10)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    registered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class ProposalProjection(ProposalProjectionBase, table=True):
    __tablename__ = "proposal_projection"
    __table_args__ = (
        Index("ix_proposal_projection_status_received", "status", "received_at", "proposal_id"),
        # the body's handling list, in waiting order, whole or by status: a page is one index range
        Index("ix_proposal_projection_body_received", "body_id", "received_at", "proposal_id"),
        Index("ix_proposal_projection_body_status_received", "body_id", "status", "received_at", "proposal_id"),
    )

    content: str | None = Field(default=None, sa_column=Column(Text))
    cosigner_member_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ProposalProjectionPublic(ProposalProjectionBase):
    pass


class ProposalHandlingView(ProposalProjectionPublic):
    """One item for those who handle it: with its text (正文)."""

    content: str | None = None


# --- units ---------------------------------------------------------------------------------------


class UnitKind(StrEnum):
    government = "government"
    department = "department"
    district = "district"


class UnitBase(SQLModel):
    code: str = Field(min_length=1, max_length=30, description="编号, unique")
    name: str = Field(min_length=1, max_length=100, description="名称")
    kind: UnitKind = Field(default=UnitKind.department, sa_type=String(20))
    # One line of plain text: no controls, C1 or bidirectional overrides (servicekit.text).
    _plain = field_validator("name", "code", check_fields=False)(checked_line)


class UnitCreate(StrictInput, UnitBase):
    model_config = FORBID  # type: ignore[assignment]
    parent_code: str | None = Field(default=None, max_length=30, description="上级编号")


class Unit(UnitBase, table=True):
    __table_args__ = (UniqueConstraint("code"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    parent_id: str | None = Field(default=None, foreign_key="unit.id", max_length=36, index=True)
    active: bool = True


class UnitPublic(UnitBase):
    id: str
    parent_id: str | None
    active: bool


class ImportRowProblem(SQLModel):
    row: int = Field(description="the file's line, the header being 1")
    field: str | None = Field(description="the column at fault; null for the whole row")
    message: str = Field(description="what is wrong, in Chinese when the request's Accept-Language asks for it")
    type: str | None = Field(
        default=None,
        description="the kind of problem: a validation error type, or extra_cells, duplicate_code, code_taken, unknown_parent",
    )


class UnitImportResult(SQLModel):
    imported: int = Field(description="units written; in a dry run, units that would be written")
    dry_run: bool = False
    errors: list[ImportRowProblem] = Field(
        default_factory=list, description="a dry run's bad rows (a real import refuses them with 422)"
    )


# --- handling rules per body and kind ------------------------------------------------------------


class OutcomeClassLabel(SQLModel):
    """How a body words one outcome class: its label (已解决或基本解决) and the report's sentence,
    a template with {count} and {percent} (and optionally {code}, {label}), e.g. seed 001's
    "反映问题已解决的{count}件，占比{percent}"."""

    model_config = FORBID  # type: ignore[assignment]
    code: str = Field(min_length=1, max_length=10)
    label: str = Field(min_length=1, max_length=40)
    sentence: str = Field(min_length=1, max_length=120)


def default_outcome_labels() -> list[OutcomeClassLabel]:
    return [
        OutcomeClassLabel(code=code, label=label, sentence="{label}的（{code}类）{count}件，占{percent}")
        for code, label in (
            ("A", "已解决或基本解决"),
            ("B", "正在解决或列入计划解决"),
            ("C", "因条件限制暂时不能解决"),
            ("D", "留作参考"),
        )
    ]


class HandlingRulesBase(SQLModel):
    reply_months: int = Field(default=3, ge=1, le=12, description="reply due this many months after assignment")
    max_months: int = Field(default=6, ge=1, le=24, description="cap of an extended deadline")
    rehandling_months: int = Field(default=1, ge=1, le=6)
    adjustment_window_days: int = Field(default=5, ge=0, le=30, description="working days to ask for re-assignment")
    due_soon_days: int = Field(default=10, ge=1, le=60, description="working days before the due date to remind")
    contact_required: bool = Field(default=False, description="a reply needs a recorded contact first")
    outcome_classes: list[str] = Field(
        default_factory=lambda: ["A", "B", "C", "D"], sa_column=Column(JSON, nullable=False)
    )
    outcome_labels: list[OutcomeClassLabel] = Field(
        default_factory=default_outcome_labels,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="each class's label and report sentence ({count}, {percent}); a class without one is "
        "written by its code",
    )


class HandlingRulesUpdate(StrictInput, HandlingRulesBase):
    model_config = FORBID  # type: ignore[assignment]


class HandlingRules(HandlingRulesBase, table=True):
    """A body's rules; ``kind`` "*" is the body's default, a kind's own row overrides it."""

    __tablename__ = "handling_rules"

    body_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(primary_key=True, max_length=20, default="*")


class HandlingRulesPublic(HandlingRulesBase):
    body_id: str
    kind: str


# --- assignments ---------------------------------------------------------------------------------


class Role(StrEnum):
    lead = "lead"  # 主办
    co = "co"  # 协办 / 会办
    separate = "separate"  # 分办


class AssignmentStatus(StrEnum):
    prepared = "prepared"  # drafted by staff, not yet sent to the unit
    assigned = "assigned"
    acknowledged = "acknowledged"  # 签收
    replied = "replied"
    closed = "closed"  # a co-handler's part ends with the lead's reply
    reassigned = "reassigned"  # moved to another unit after an approved adjustment request


OPEN_STATUSES = (AssignmentStatus.assigned, AssignmentStatus.acknowledged)


class UnitRole(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    unit_id: str = Field(max_length=36)
    role: Role


class AssignmentCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    units: list[UnitRole] = Field(min_length=1, max_length=20)
    confirm: bool = Field(default=True, description="send to the units now; false prepares it for a later confirm")
    assigned_on: date | None = Field(
        default=None,
        description="the day it was assigned, when recording an assignment made on paper before (default: today)",
    )


class Assignment(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("proposal_id", "unit_id"),
        Index("ix_assignment_status_due", "status", "due_date"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    proposal_id: str = Field(foreign_key="proposal_projection.proposal_id", index=True, max_length=36)
    body_id: str = Field(max_length=36, index=True)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=36)
    role: Role = Field(sa_type=String(10))
    status: AssignmentStatus = Field(default=AssignmentStatus.prepared, sa_type=String(20))
    round: int = 1
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_date: date | None = None
    due_rule: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class AssignmentPublic(SQLModel):
    id: str
    proposal_id: str
    body_id: str
    unit_id: str
    unit_name: str
    role: Role
    status: AssignmentStatus
    round: int
    assigned_at: datetime | None
    acknowledged_at: datetime | None
    due_date: date | None
    due_rule: list[str] = Field(description="how the due date was computed, step by step (中文)")
    overdue: bool = False
    # The item as the unit's desk shows it, and the dates that bound what the unit may still ask.
    title: str = Field(default="", description="the item's title (案由)")
    number_label: str | None = Field(default=None, description="the item's number (案号)")
    kind: str | None = Field(default=None, description="the item's kind")
    working_days_left: int | None = Field(
        default=None, description="working days to the due date while open; negative when overdue"
    )
    adjustment_window_closes_on: date | None = Field(
        default=None, description="the last day an adjustment request is taken (working-day window after assignment)"
    )
    extension_cap: date | None = Field(
        default=None, description="the latest due date an extension may ask for (the body's maximum months)"
    )


# --- adjustment requests and extensions -----------------------------------------------------------


class RequestStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class AdjustmentRequestCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    reason: str = Field(min_length=1, max_length=1000)
    suggested_unit_id: str | None = Field(default=None, max_length=36)


class AdjustmentDecision(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    approve: bool
    unit_id: str | None = Field(default=None, max_length=36, description="the new unit, when approving")
    note: str | None = Field(default=None, max_length=1000)


class AdjustmentRequest(SQLModel, table=True):
    __tablename__ = "adjustment_request"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    assignment_id: str = Field(foreign_key="assignment.id", index=True, max_length=36)
    unit_id: str = Field(max_length=36)
    reason: str = Field(max_length=1000)
    suggested_unit_id: str | None = Field(default=None, max_length=36)
    status: RequestStatus = Field(default=RequestStatus.pending, sa_type=String(10))
    requested_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    new_unit_id: str | None = Field(default=None, max_length=36)
    note: str | None = Field(default=None, max_length=1000)


class AdjustmentRequestPublic(SQLModel):
    id: str
    assignment_id: str
    unit_id: str
    reason: str
    suggested_unit_id: str | None
    status: RequestStatus
    requested_at: datetime
    decided_at: datetime | None
    new_unit_id: str | None
    note: str | None


class ExtensionCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    due_date: date
    reason: str = Field(min_length=1, max_length=1000)


class ExtensionDecision(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    approve: bool
    note: str | None = Field(default=None, max_length=1000)


class Extension(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    assignment_id: str = Field(foreign_key="assignment.id", index=True, max_length=36)
    due_date: date
    reason: str = Field(max_length=1000)
    status: RequestStatus = Field(default=RequestStatus.pending, sa_type=String(10))
    requested_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=1000)


class ExtensionPublic(SQLModel):
    id: str
    assignment_id: str
    due_date: date
    reason: str
    status: RequestStatus
    requested_at: datetime
    decided_at: datetime | None
    note: str | None


# --- handling: contacts, opinions, notes -----------------------------------------------------------


class ContactKind(StrEnum):
    visit = "visit"  # 走访
    call = "call"  # 电话
    meeting = "meeting"  # 座谈
    letter = "letter"  # 函件


class HandlingRecordKind(StrEnum):
    contact = "contact"  # 沟通联系
    opinion = "opinion"  # 协办意见, from a co-handler to the lead
    progress = "progress"  # 办理进展


class HandlingRecordCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    kind: HandlingRecordKind
    text: str = Field(min_length=1, max_length=5000, description="summary, opinion or progress")
    contact_kind: ContactKind | None = Field(default=None, description="for contacts")
    occurred_on: date | None = Field(default=None, description="for contacts: the day of the contact")


class HandlingRecord(SQLModel, table=True):
    __tablename__ = "handling_record"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    assignment_id: str = Field(foreign_key="assignment.id", index=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    round: int = 1
    kind: HandlingRecordKind = Field(sa_type=String(10))
    text: str = Field(sa_column=Column(Text, nullable=False))
    contact_kind: ContactKind | None = Field(default=None, sa_type=String(10))
    occurred_on: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    created_by: str = Field(max_length=120)


class HandlingRecordPublic(SQLModel):
    id: str
    assignment_id: str
    round: int
    kind: HandlingRecordKind
    text: str
    contact_kind: ContactKind | None
    occurred_on: date | None
    created_at: datetime


# --- replies -------------------------------------------------------------------------------------


class CommitmentCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    text: str = Field(min_length=1, max_length=1000)
    target_date: date


SEND_BACK_REASON_MAX = 500


class ReplyStatus(StrEnum):
    submitted = "submitted"
    sent_back = "sent_back"  # 已退回: the body's staff sent it back before the rating; the unit replies again


class ReplySendBack(StrictInput, SQLModel):
    """退回答复: why the reply goes back to the unit, and which numbered suggestions it leaves out."""

    model_config = FORBID  # type: ignore[assignment]
    reason: str = Field(min_length=1, max_length=SEND_BACK_REASON_MAX, description="退回理由, shown to the unit")
    unanswered: list[int] = Field(
        default=[],
        max_length=50,
        description="numbers of the proposal's suggestions the reply does not answer (as in the reply's coverage)",
    )

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        checked_text(value)
        if not value.strip():
            raise ValueError("the reason must not be blank")
        return value.strip()


class ReplyCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    text: str = Field(min_length=1, max_length=50_000)
    outcome: str = Field(min_length=1, max_length=10, description="the body's outcome class, A–D by default")
    publishable: bool = Field(default=True, description="may be published with the item")
    commitments: list[CommitmentCreate] = Field(default=[], max_length=50, description="required for outcome B")


class Reply(SQLModel, table=True):
    # No unique (assignment, round): a reply sent back is kept and the unit replies again in the
    # same round (ADR 28); reply() holds the assignment's row lock, so one live reply per round.
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    assignment_id: str = Field(foreign_key="assignment.id", index=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    unit_id: str = Field(max_length=36)
    round: int = 1
    text: str = Field(sa_column=Column(Text, nullable=False))
    outcome: str = Field(max_length=10)
    publishable: bool = True
    replied_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    created_by: str = Field(max_length=120)
    # The first rating of this reply seen from evaluation.submitted: from then on it is the member's.
    rated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_back_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_back_by: str | None = Field(default=None, max_length=120)
    sent_back_reason: str | None = Field(default=None, max_length=SEND_BACK_REASON_MAX)
    sent_back_unanswered: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class Commitment(SQLModel, table=True):
    """What a B reply (being solved) promises, tracked until done."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    reply_id: str = Field(foreign_key="reply.id", index=True, max_length=36)
    text: str = Field(max_length=1000)
    target_date: date
    done_on: date | None = None


class CommitmentPublic(SQLModel):
    id: str
    text: str
    target_date: date
    done_on: date | None


class UnitCommitment(CommitmentPublic):
    """A commitment in a unit's list: with the reply and the item it belongs to."""

    reply_id: str
    assignment_id: str
    proposal_id: str
    unit_id: str
    unit_name: str
    outcome: str
    replied_at: datetime
    title: str
    number_label: str | None
    overdue: bool = Field(default=False, description="not done and its target date has passed")


class SuggestionCoverage(SQLModel):
    """Whether a reply responds to one of the proposal's numbered suggestions (domain/coverage.py)."""

    number: int = Field(description="the suggestion's place in the proposal: 1 for 一是 / （一） / 1.")
    suggestion: str
    answered: bool = Field(description="false: the reply does not seem to respond to it (a hint for staff)")
    score: float = Field(description="the share of the suggestion's words its best reply sentence carries")
    evidence: str | None = Field(description="that sentence")


class ReplyPublic(SQLModel):
    id: str
    assignment_id: str
    proposal_id: str
    unit_id: str
    unit_name: str
    round: int
    text: str
    outcome: str
    publishable: bool
    replied_at: datetime
    commitments: list[CommitmentPublic] = []
    current: bool = Field(default=True, description="false for a reply replaced by a later round's or sent back")
    status: ReplyStatus = ReplyStatus.submitted
    sent_back_at: datetime | None = None
    sent_back_reason: str | None = Field(default=None, description="退回理由")
    sent_back_unanswered: list[int] = Field(default=[], description="the suggestions named as not answered")
    coverage: list[SuggestionCoverage] = Field(
        default=[],
        description="which of the proposal's numbered suggestions the reply responds to; for the body's staff "
        "and the replying unit (empty for others)",
    )


class Reminder(SQLModel, table=True):
    """One due-soon or overdue reminder per assignment per day; the unique key keeps replicas from
    sending the same one twice."""

    assignment_id: str = Field(foreign_key="assignment.id", primary_key=True, max_length=36)
    day: date = Field(primary_key=True)
    kind: str = Field(max_length=10)
    sent_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class SupervisionItem(SQLModel):
    assignment_id: str
    proposal_id: str
    number_label: str | None
    title: str
    unit_id: str
    unit_name: str
    role: Role
    due_date: date
    working_days_left: int = Field(description="negative when overdue")
    key: bool
    supervising_leader: str | None


class BoardCount(SQLModel):
    """One row of the supervision board: a unit's (or a supervising leader's) open assignments."""

    id: str = Field(description="the unit's id, or the supervising leader as named on the key items")
    name: str
    overdue: int
    due_soon: int
    most_days_overdue: int = Field(description="working days past due of the longest overdue one; 0 when none")


class SupervisionBoard(SQLModel):
    """督办看板: open assignments overdue or due within ``within_days`` working days, counted per
    unit and per supervising leader (key items), most overdue first."""

    day: date
    within_days: int
    overdue: int
    due_soon: int
    by_unit: list[BoardCount]
    by_leader: list[BoardCount]


class ScanSummary(SQLModel):
    day: date
    working_day: bool
    due_soon: int
    overdue: int


class RoutingSuggestion(SQLModel):
    unit_id: str
    unit_name: str
    score: float


# --- handling plans (办理方案) for plenary recommendations and motions --------------------------------


class PhaseIn(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    name: str = Field(min_length=1, max_length=200)
    _plain = field_validator("name")(checked_line)
    starts_on: date
    ends_on: date
    description: str | None = Field(default=None, max_length=5000)


class MilestoneIn(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    title: str = Field(min_length=1, max_length=500)
    _plain = field_validator("title")(checked_line)
    due_on: date
    derived: bool = Field(default=False, description="not dated in the plan itself; derived from its phases")


class TaskIn(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    number: str = Field(min_length=1, max_length=10)
    group: str | None = Field(default=None, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    _plain = field_validator("group", "title")(checked_line)
    description: str | None = Field(default=None, max_length=5000)
    lead_unit: str = Field(max_length=30, description="unit code (牵头单位)")
    responsible_units: list[str] = Field(default=[], max_length=50, description="unit codes (责任单位)")
    milestones: list[MilestoneIn] = Field(default=[], max_length=50)


class PlanCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    title: str = Field(min_length=1, max_length=200)
    _plain = field_validator("title", "proposal_title")(checked_line)
    document_number: str | None = Field(default=None, max_length=50)
    proposal_title: str | None = Field(default=None, max_length=200)
    issued_on: date | None = None
    goal: str | None = Field(default=None, max_length=10_000)
    phases: list[PhaseIn] = Field(default=[], max_length=20)
    tasks: list[TaskIn] = Field(min_length=1, max_length=200)


class HandlingPlan(SQLModel, table=True):
    __tablename__ = "handling_plan"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    proposal_id: str = Field(foreign_key="proposal_projection.proposal_id", unique=True, max_length=36)
    title: str = Field(max_length=200)
    document_number: str | None = Field(default=None, max_length=50)
    issued_on: date | None = None
    goal: str | None = Field(default=None, sa_column=Column(Text))
    phases: list[dict[str, str | None]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    # A motion's plan is reported to the standing committee, which deliberates it (seed 004: 市十四届
    # 人大常委会第二十九次会议 heard and deliberated the plans on 4月14日).
    deliberation_meeting: str | None = Field(default=None, max_length=100)
    deliberated_on: date | None = None
    deliberation_opinions: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class PlanDeliberationCreate(StrictInput, SQLModel):
    """The standing committee's deliberation of a motion's handling plan (常委会听取和审议)."""

    model_config = FORBID  # type: ignore[assignment]
    meeting: str = Field(min_length=1, max_length=100, description="e.g. 市十四届人大常委会第二十九次会议")
    _plain_meeting = field_validator("meeting")(checked_line)
    deliberated_on: date = Field(description="the day the standing committee deliberated the plan")
    opinions: list[str] = Field(default=[], max_length=50, description="members' opinions (审议意见)")


class PlanTask(SQLModel, table=True):
    __tablename__ = "plan_task"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="handling_plan.id", index=True, max_length=36)
    position: int
    number: str = Field(max_length=10)
    group_name: str | None = Field(default=None, max_length=200)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_column=Column(Text))
    lead_unit_id: str = Field(foreign_key="unit.id", max_length=36)
    responsible_unit_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Milestone(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    task_id: str = Field(foreign_key="plan_task.id", index=True, max_length=36)
    title: str = Field(max_length=500)
    due_on: date
    derived: bool = False
    done_on: date | None = None


class StageReportCreate(StrictInput, SQLModel):
    model_config = FORBID  # type: ignore[assignment]
    text: str = Field(min_length=1, max_length=10_000)
    milestones_done: list[str] = Field(default=[], max_length=50, description="ids of milestones reached")


class StageReport(SQLModel, table=True):
    __tablename__ = "stage_report"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    task_id: str = Field(foreign_key="plan_task.id", index=True, max_length=36)
    unit_id: str = Field(max_length=36)
    text: str = Field(sa_column=Column(Text, nullable=False))
    reported_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    created_by: str = Field(max_length=120)


class MilestonePublic(SQLModel):
    id: str
    title: str
    due_on: date
    derived: bool
    done_on: date | None
    overdue: bool = False


class StageReportPublic(SQLModel):
    id: str
    unit_id: str
    text: str
    reported_at: datetime


class PlanTaskPublic(SQLModel):
    id: str
    number: str
    group_name: str | None
    title: str
    description: str | None
    lead_unit: UnitPublic
    responsible_units: list[UnitPublic]
    milestones: list[MilestonePublic]
    reports: list[StageReportPublic]
    progress: float = Field(description="share of milestones reached, 0–1")


class PlanPublic(SQLModel):
    id: str
    proposal_id: str
    title: str
    document_number: str | None
    issued_on: date | None
    goal: str | None
    phases: list[dict[str, str | None]]
    current_phase: str | None
    tasks: list[PlanTaskPublic]
    progress: float = Field(description="share of all milestones reached, 0–1")
    milestones_total: int
    milestones_done: int
    milestones_overdue: int
    deliberation_meeting: str | None = Field(
        default=None, description="the standing committee meeting that deliberated it"
    )
    deliberated_on: date | None = None
    deliberation_opinions: list[str] = []
