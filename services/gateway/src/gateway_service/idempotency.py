"""Idempotency-Key on POST (DESIGN section 5): a retried request with the same key returns the
first response without doing the work again; the same key with another body is a 422; a
duplicate arriving while the first is still running is a 409.

Keys are scoped to the caller (caller.py, worked out once per request: the token's subject, the
API key, or the client address), the method and the path, and kept for ``idempotency_ttl_s``.
Records live in the gateway's database, so every replica sees the same ones. A 5xx answer is not kept: the work may not
have happened, so a retry must be able to try again.
"""

import hashlib
import json
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import Column, LargeBinary, Text, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col

from gateway_service.caller import Caller
from servicekit.db import Database, UTCDateTime, utcnow
from servicekit.errors import Problem

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    scope: str = Field(primary_key=True, max_length=64, description="hash of caller, method, path and key")
    request_hash: str = Field(max_length=64)
    status: int | None = None  # None while the first request runs
    headers: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    body: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class IdempotencyStore:
    def __init__(self, database: Database, *, ttl_s: float) -> None:
        self.database = database
        self.ttl = timedelta(seconds=ttl_s)

    async def begin(self, request: Request, key: str, caller: Caller) -> tuple[str, Response | None]:
        """Claims the key (scope, None), or returns the first request's stored response."""
        if not 1 <= len(key) <= 255:
            raise Problem(
                400,
                "invalid_idempotency_key",
                "Invalid Idempotency-Key",
                "the Idempotency-Key header must be 1 to 255 characters",
            )
        scope = hashlib.sha256(f"{caller.key}\n{request.method}\n{request.url.path}\n{key}".encode()).hexdigest()
        body_hash = hashlib.sha256(await request.body()).hexdigest()
        async with self.database.session() as session:
            existing = await session.get(IdempotencyRecord, scope)
            if existing is not None and existing.created_at < utcnow() - self.ttl:
                await session.delete(existing)
                await session.flush()
                existing = None
            if existing is None:
                session.add(IdempotencyRecord(scope=scope, request_hash=body_hash))
                try:
                    await session.commit()
                    return scope, None
                except IntegrityError:
                    await session.rollback()
                    existing = await session.get(IdempotencyRecord, scope)
        if existing is None:  # the other claimant gave up (5xx) between our insert and read
            raise Problem(409, "idempotency_in_progress", "Conflict", "a request with this Idempotency-Key is running")
        if existing.request_hash != body_hash:
            raise Problem(
                422,
                "idempotency_key_reused",
                "Idempotency-Key Reused",
                "this Idempotency-Key was used with a different request body",
            )
        if existing.status is None:
            raise Problem(
                409,
                "idempotency_in_progress",
                "Conflict",
                "a request with this Idempotency-Key is still being processed; retry later",
                headers={"Retry-After": "1"},
            )
        headers = {**json.loads(existing.headers), REPLAYED: "true"}
        return scope, Response(existing.body, status_code=existing.status, headers=headers)

    async def finish(self, scope: str, response: Response) -> None:
        """Keeps the answer for replays; forgets the key after a 5xx so that a retry runs again."""
        async with self.database.session() as session:
            record = await session.get(IdempotencyRecord, scope)
            if record is None:
                return
            if response.status_code >= 500:
                await session.delete(record)
            else:
                record.status = response.status_code
                record.headers = json.dumps(dict(response.headers.items()))
                record.body = bytes(response.body)
                session.add(record)
            await session.commit()

    async def forget(self, scope: str) -> None:
        async with self.database.session() as session:
            await session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.scope) == scope))
            await session.commit()
