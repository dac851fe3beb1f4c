"""Opaque cursors for keyset pagination (stable under concurrent inserts)."""

import base64
import json
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import tuple_
from sqlalchemy.orm import Mapped
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from servicekit.errors import Problem

T = TypeVar("T")
M = TypeVar("M")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


# The range of the databases' BIGINT: a larger number in a cursor would overflow the driver.
_INT64 = (-(2**63), 2**63 - 1)


def _valid_text(value: str) -> bool:
    """Text a database can hold: no NUL (PostgreSQL refuses it) and no lone UTF-16 surrogate
    (JSON's "\\ud800" decodes to one, which no driver can encode as UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decoded(value: Any, kind: type) -> Any:
    if kind is datetime:
        if not isinstance(value, str) or not _valid_text(value):
            raise ValueError("not a timestamp")
        return datetime.fromisoformat(value)
    if kind is int:
        # bool is an int in Python, but no cursor this API issues holds one
        if isinstance(value, bool) or not isinstance(value, int) or not _INT64[0] <= value <= _INT64[1]:
            raise ValueError("not an integer key")
        return value
    if kind is str:
        if not isinstance(value, str) or not _valid_text(value):
            raise ValueError("not a text key")
        return value
    if not isinstance(value, kind):
        raise ValueError("wrong type")
    return value


def decode_cursor(cursor: str, types: tuple[type, ...]) -> list[Any]:
    """The sort-key values of the last item of the previous page, as ``types``; a 400 problem
    naming ``cursor`` for a cursor this API did not issue, before any value reaches the database."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError("wrong shape")
        return [_decoded(value, kind) for value, kind in zip(raw, types, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise Problem(
            400,
            "invalid_cursor",
            "Invalid Cursor",
            "the cursor parameter is not one this API issued",
            errors=[{"in": "query", "field": "cursor", "message": "not a cursor this API issued"}],
        ) from None


async def paginate(
    session: AsyncSession,
    query: SelectOfScalar[M],
    *,
    keys: tuple[Mapped[Any], ...],
    types: tuple[type, ...],
    cursor: str | None,
    limit: int,
    descending: bool = False,
) -> tuple[list[M], str | None]:
    """Keyset pagination on ``keys`` (the last one unique): a page never repeats or
    skips a row because others were inserted meanwhile, as offsets would."""
    if cursor:
        after = decode_cursor(cursor, types)
        columns = tuple_(*keys)
        query = query.where(columns < tuple_(*after) if descending else columns > tuple_(*after))
    order = [k.desc() if descending else k.asc() for k in keys]
    rows = list((await session.exec(query.order_by(*order).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([getattr(last, str(k.key)) for k in keys])  # type: ignore[attr-defined]
