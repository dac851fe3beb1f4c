"""Tables and API schemas of the proposal service (SQLModel Base/Create/Public variants)."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict
from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime, utcnow


class ProposalKind(StrEnum):
    individual = "individual"
    joint = "joint"
    group = "group"
    plenary = "plenary"
    motion = "motion"
    suggestion = "suggestion"


class ProposalStatus(StrEnum):
    submitted = "submitted"


class ProposalBase(SQLModel):
    title: str = Field(min_length=1, max_length=200, description="案由")
    content: str = Field(min_length=1, max_length=20_000, description="正文", sa_column=Column(Text, nullable=False))
    # Enums are stored as strings so that adding a value needs no type migration.
    kind: ProposalKind = Field(sa_type=String(20))
    category: str | None = Field(default=None, max_length=50, description="类别")
    lead_proposer: str = Field(min_length=1, max_length=100, description="领衔人")


class ProposalCreate(ProposalBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class Proposal(ProposalBase, table=True):
    __table_args__ = (Index("ix_proposal_submitted_at_id", "submitted_at", "id"),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    status: ProposalStatus = Field(default=ProposalStatus.submitted, sa_type=String(20))
    submitted_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class ProposalPublic(ProposalBase):
    id: str
    status: ProposalStatus
    submitted_at: datetime
