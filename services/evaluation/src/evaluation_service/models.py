"""Tables and API schemas of the evaluation service."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import ConfigDict
from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime, utcnow


class FiledProposalBase(SQLModel):
    """An item counted as filed, learned from proposal.submitted."""

    proposal_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20)
    category: str | None = Field(default=None, max_length=50)
    submitted_at: datetime = Field(sa_type=UTCDateTime)


class FiledProposal(FiledProposalBase, table=True):
    __tablename__ = "filed_proposal"


class FiledProposalPublic(FiledProposalBase):
    pass


class FilingCount(SQLModel, table=True):
    """Running count of filed items per kind and category.

    Kept as a counter, not a COUNT(*), so statistics stay cheap; the inbox is
    what makes its increments exactly-once.
    """

    __tablename__ = "filing_count"

    kind: str = Field(primary_key=True, max_length=20)
    category: str = Field(primary_key=True, max_length=50, description="'' when the item has none")
    filed: int = 0


class FilingStatistics(SQLModel):
    total: int
    by_kind: dict[str, int]
    by_category: dict[str, int]


# --- satisfaction evaluations (满意度测评 / 征询意见表) ----------------------------------------------


class Rating(StrEnum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意


class RatedItem(SQLModel, table=True):
    """An item whose replies can be rated: who may rate, which round is open and since when."""

    __tablename__ = "rated_item"

    proposal_id: str = Field(primary_key=True, max_length=36)
    body_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=20)
    lead_member_id: str | None = Field(default=None, max_length=36)
    cosigner_member_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Proposers of items merged into this one: they are told its outcome and may rate it.
    merged_member_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    round: int = 0
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime, description="the round's handling.completed")
    completed: bool = False


class ReplyRecord(SQLModel, table=True):
    """A unit's reply, from assignment.replied."""

    __tablename__ = "reply_record"
    __table_args__ = (UniqueConstraint("proposal_id", "round", "unit_id"),)

    reply_id: str = Field(primary_key=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    unit_id: str = Field(max_length=36)
    unit_name: str = Field(max_length=100)
    round: int
    outcome: str = Field(max_length=10)
    on_time: bool
    replied_at: datetime = Field(sa_type=UTCDateTime)


class EvaluationRulesBase(SQLModel):
    window_days: int = Field(default=15, ge=1, le=90, description="working days after the reply to rate it")
    cosigners_rate: bool = Field(default=True, description="accepted cosigners rate as well as the lead proposer")
    unrated_policy: str = Field(
        default="left_unrated",
        max_length=20,
        description="left_unrated or counted_satisfied: what an unrated reply counts as once the window closes",
    )


class EvaluationRulesUpdate(EvaluationRulesBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class EvaluationRules(EvaluationRulesBase, table=True):
    __tablename__ = "evaluation_rules"

    body_id: str = Field(primary_key=True, max_length=36)


class EvaluationRulesPublic(EvaluationRulesBase):
    body_id: str


class EvaluationCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    unit_id: str = Field(max_length=36, description="the replying unit rated")
    contact: Rating = Field(description="沟通联系")
    attitude: Rating = Field(description="办理态度")
    result: Rating = Field(description="办理结果")
    comment: str | None = Field(default=None, max_length=2000)


class Evaluation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("proposal_id", "round", "unit_id", "member_id"),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    body_id: str = Field(max_length=36)
    round: int
    unit_id: str = Field(max_length=36, index=True)
    member_id: str = Field(max_length=36)
    contact: Rating = Field(sa_type=String(20))
    attitude: Rating = Field(sa_type=String(20))
    result: Rating = Field(sa_type=String(20))
    comment: str | None = Field(default=None, max_length=2000)
    submitted_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class EvaluationPublic(SQLModel):
    id: str
    proposal_id: str
    round: int
    unit_id: str
    unit_name: str
    member_id: str
    contact: Rating
    attitude: Rating
    result: Rating
    comment: str | None
    submitted_at: datetime
    updated_at: datetime
    window_closes_on: date | None
