"""Tables and API schemas of the assignment service."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime, utcnow


class HandlingStatus(StrEnum):
    awaiting_assignment = "awaiting_assignment"


class ProposalProjectionBase(SQLModel):
    """What this service knows of an item, learned from the proposal service's events."""

    proposal_id: str = Field(primary_key=True, max_length=36)
    title: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    category: str | None = Field(default=None, max_length=50)
    status: HandlingStatus = Field(default=HandlingStatus.awaiting_assignment, sa_type=String(30))
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class ProposalProjection(ProposalProjectionBase, table=True):
    __tablename__ = "proposal_projection"
    __table_args__ = (Index("ix_proposal_projection_status_received", "status", "received_at", "proposal_id"),)


class ProposalProjectionPublic(ProposalProjectionBase):
    pass
