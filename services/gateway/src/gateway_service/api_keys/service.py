"""Use cases of API keys: keyword-only functions, one commit each; and turning a usable key into
the access token the services see, for one proxied route."""

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway_service.accounts.tokens import TokenIssuer
from gateway_service.api_keys.models import PREFIX, SCOPES, ApiKey, ApiKeyCreate, ApiKeyIssued
from servicekit.auth import Principal, Role, unauthorized
from servicekit.db import utcnow
from servicekit.errors import NotFound, Problem
from servicekit.pagination import paginate


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(*, session: AsyncSession, data: ApiKeyCreate, by: Principal) -> ApiKeyIssued:
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
        created_by=by.subject,
        expires_at=data.expires_at,
    )
    session.add(row)
    await session.commit()
    return ApiKeyIssued.model_validate(row, update={"key": key})


async def list_api_keys(*, session: AsyncSession, limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
    """The keys in the order they were made (the id breaks ties), a page at a time."""
    return await paginate(
        session,
        select(ApiKey),
        keys=(col(ApiKey.created_at), col(ApiKey.id)),
        types=(datetime, str),
        cursor=cursor,
        limit=limit,
    )


async def revoke_api_key(*, session: AsyncSession, key_id: str) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("API key", key_id)
    row.revoked_at = row.revoked_at or utcnow()
    session.add(row)
    await session.commit()
    return row


async def usable_key(*, session: AsyncSession, key: str) -> ApiKey | None:
    """The key's row if it is usable: known, not expired, not revoked."""
    row = (await session.exec(select(ApiKey).where(ApiKey.key_hash == _hash(key)))).first()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return row


def refused() -> Problem:
    return unauthorized("the API key is unknown, expired or revoked")


def token_for(*, tokens: TokenIssuer, key: ApiKey, operation_id: str) -> str:
    """A short-lived access token for the key (a usable one) on this route; a 403 when its scopes
    do not cover the route."""
    allowed = [scope for scope in key.scopes if operation_id in SCOPES.get(scope, frozenset())]
    if not allowed:
        raise Problem(403, "scope_missing", "Forbidden", f"the API key's scopes do not cover {operation_id}")
    claims: dict[str, Any] = {"name": key.name, "scope": " ".join(key.scopes)}
    if "replies:write" in allowed and key.unit_id:
        return tokens.access_token(subject=f"api-key:{key.id}", role=Role.unit_staff, unit_id=key.unit_id, **claims)
    return tokens.access_token(subject=f"api-key:{key.id}", role=Role.system, **claims)
