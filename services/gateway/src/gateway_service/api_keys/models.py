"""The API key table, its schemas, and what each scope opens."""

import uuid
from datetime import datetime

from pydantic import ConfigDict, field_validator
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime, utcnow

HEADER = "x-api-key"
PREFIX = "pk_"

# What each scope opens, by the gateway's operation ids.
SCOPES: dict[str, frozenset[str]] = {
    "items:read": frozenset(
        {"list_proposals", "get_proposal", "get_proposal_timeline", "list_bodies", "get_body", "list_sessions",
         "get_session", "list_categories", "list_replies", "list_units", "get_unit"}
    ),
    "statistics:read": frozenset({"get_filing_statistics", "get_statistics", "get_unit_statistics"}),
    # Other systems subscribe to events (webhooks, at the notification service) and watch deliveries.
    "webhooks:manage": frozenset(
        {"create_webhook", "list_webhooks", "list_webhook_deliveries", "redeliver_webhook"}
    ),
    "replies:write": frozenset(
        {"list_assignments", "get_assignment", "acknowledge_assignment", "add_handling_record",
         "list_handling_records", "reply_to_proposal", "get_proposal", "list_replies"}
    ),
}  # fmt: skip


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    # GET /api-keys pages through every key in this order
    __table_args__ = (Index("ix_api_key_created_at_id", "created_at", "id"),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=12, description="the key's first characters, to recognise it")
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    unit_id: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKeyCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    name: str = Field(min_length=1, max_length=100, description="the system that uses it")
    scopes: list[str] = Field(min_length=1, max_length=10)
    unit_id: str | None = Field(default=None, max_length=64, description="the unit whose replies it writes")
    expires_at: datetime | None = None

    @field_validator("scopes")
    @classmethod
    def _known(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(sorted(SCOPES))}")
        return sorted(set(scopes))


class ApiKeyPublic(SQLModel):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    unit_id: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyPublic):
    key: str = Field(description="the key itself: shown this once, stored only as a hash")
