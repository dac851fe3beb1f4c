"""API keys for other government systems: created by administrators, shown once, stored as a
SHA-256 hash, with scopes, an expiry and revocation.

A request with ``X-API-Key`` is checked here: an unknown, expired or revoked key is a 401;
a route outside the key's scopes is a 403. The gateway then forwards the request with a
short-lived access token of its own for the key (role ``system``, or ``unit_staff`` of the
key's unit for ``replies:write``), so each service applies its usual rules to it. Keys have
their own rate limit (see ratelimit.py).
"""

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import ConfigDict, field_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, col, select

from gateway_service.accounts.api import AdminDep
from gateway_service.accounts.service import Identity
from servicekit.auth import Role, unauthorized
from servicekit.db import Database, UTCDateTime, utcnow
from servicekit.errors import NotFound, Problem
from servicekit.pagination import Cursor, Limit, Page, paginate
from servicekit.runtime import SessionDep

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


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])


@router.post("", operation_id="create_api_key", status_code=status.HTTP_201_CREATED, response_model=ApiKeyIssued)
async def create_api_key(data: ApiKeyCreate, session: SessionDep, admin: AdminDep) -> ApiKeyIssued:
    if "replies:write" in data.scopes and not data.unit_id:
        raise Problem(
            422,
            "unit_required",
            "Unit Required",
            "a key that writes replies names its unit",
            errors=[{"in": "body", "field": "unit_id", "message": "required with replies:write"}],
        )
    if data.expires_at and data.expires_at <= utcnow():
        raise Problem(
            422,
            "expired",
            "Already Expired",
            "the expiry must be in the future",
            errors=[{"in": "body", "field": "expires_at", "message": "in the past"}],
        )
    key = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=data.name,
        prefix=key[:10],
        key_hash=_hash(key),
        scopes=data.scopes,
        unit_id=data.unit_id,
        created_by=admin.subject,
        expires_at=data.expires_at,
    )
    session.add(row)
    await session.commit()
    return ApiKeyIssued.model_validate(row, update={"key": key})


@router.get("", operation_id="list_api_keys", response_model=Page[ApiKeyPublic])
async def list_api_keys(
    session: SessionDep, _: AdminDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[ApiKeyPublic]:
    """The keys in the order they were made (the id breaks ties), a page at a time."""
    rows, next_cursor = await paginate(
        session,
        select(ApiKey),
        keys=(col(ApiKey.created_at), col(ApiKey.id)),
        types=(datetime, str),
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[ApiKeyPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/{key_id}/revoke", operation_id="revoke_api_key", response_model=ApiKeyPublic)
async def revoke_api_key(key_id: str, session: SessionDep, _: AdminDep) -> ApiKeyPublic:
    row = await session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("API key", key_id)
    row.revoked_at = row.revoked_at or utcnow()
    session.add(row)
    await session.commit()
    return ApiKeyPublic.model_validate(row)


class ApiKeyAuthority:
    """Turns an API key into the access token the services see, for one proxied route."""

    def __init__(self) -> None:
        self.database: Database | None = None
        self.identity: Identity | None = None

    def bind(self, database: Database, identity: Identity) -> None:
        self.database, self.identity = database, identity

    async def lookup(self, key: str) -> ApiKey | None:
        """The key's row if it is usable: known, not expired, not revoked."""
        assert self.database is not None
        async with self.database.session(read_only=True) as session:
            row = (await session.exec(select(ApiKey).where(ApiKey.key_hash == _hash(key)))).first()
        if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= utcnow()):
            return None
        return row

    @staticmethod
    def refused() -> Problem:
        return unauthorized("the API key is unknown, expired or revoked")

    def token_for(self, row: ApiKey, operation_id: str) -> str:
        """A short-lived access token for the key (looked up by ``lookup``) on this route;
        a 403 when its scopes do not cover the route."""
        assert self.identity is not None
        allowed = [scope for scope in row.scopes if operation_id in SCOPES.get(scope, frozenset())]
        if not allowed:
            raise Problem(403, "scope_missing", "Forbidden", f"the API key's scopes do not cover {operation_id}")
        claims: dict[str, Any] = {"name": row.name, "scope": " ".join(row.scopes)}
        if "replies:write" in allowed and row.unit_id:
            return self.identity.tokens.access_token(
                subject=f"api-key:{row.id}", role=Role.unit_staff, unit_id=row.unit_id, **claims
            )
        return self.identity.tokens.access_token(subject=f"api-key:{row.id}", role=Role.system, **claims)
