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


def decode_cursor(cursor: str, types: tuple[type, ...]) -> list[Any]:
    """The sort-key values of the last item of the previous page, as ``types``;
    a 400 problem for a cursor this API did not issue."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError("wrong shape")
        values: list[Any] = []
        for value, kind in zip(raw, types, strict=True):
            if kind is datetime:
                values.append(datetime.fromisoformat(value))
            elif isinstance(value, kind) and not (isinstance(value, str) and "\x00" in value):
                values.append(value)
            else:
                raise ValueError("wrong type")
        return values
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Problem(
            400, "invalid_cursor", "Invalid Cursor", "the cursor parameter is not one this API issued"
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
