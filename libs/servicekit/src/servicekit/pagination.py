"""Opaque cursors for keyset pagination (stable under concurrent inserts).

Every list the API serves answers one envelope, ``Page`` (``items`` and ``next_cursor``; ADR 20):
``paginate`` pages a query in the database, ``page_of`` pages a list already built and sorted in
memory (short lists computed in Python), both with the same cursors; ``page_after`` pages a short
list whose order is not a key (a ranking by score, an order computed from several tables) after
the entry the cursor names."""

import base64
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.orm import Mapped
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from servicekit.errors import Problem

T = TypeVar("T")
M = TypeVar("M")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


# The query parameters every list takes: a page of ``limit`` items after ``cursor`` (the
# ``next_cursor`` of the page before; absent for the first page).
Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]
Cursor = Annotated[
    str | None, Query(max_length=500, description="the next_cursor of the previous page; absent for the first")
]


def encode_cursor(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date) else v for v in values]
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
    if kind is date:
        if not isinstance(value, str) or not _valid_text(value):
            raise ValueError("not a date")
        return date.fromisoformat(value)
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
    """The sort-key values of the last item of the previous page, as ``types``; a 422 problem
    naming ``cursor`` for a cursor this API did not issue (a malformed query parameter, like any
    other the framework refuses), before any value reaches the database."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError("wrong shape")
        return [_decoded(value, kind) for value, kind in zip(raw, types, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise invalid_cursor() from None


def invalid_cursor() -> Problem:
    return Problem(
        422,
        "invalid_cursor",
        "Invalid Cursor",
        "the cursor parameter is not one this API issued",
        errors=[{"in": "query", "field": "cursor", "message": "not a cursor this API issued"}],
    )


async def paginate(
    session: AsyncSession,
    query: SelectOfScalar[M],
    *,
    keys: tuple[Mapped[Any] | ColumnElement[Any], ...],
    types: tuple[type, ...],
    cursor: str | None,
    limit: int,
    descending: bool = False,
    values: Callable[[M], list[Any]] | None = None,
) -> tuple[list[M], str | None]:
    """Keyset pagination on ``keys`` (the last one unique): a page never repeats or
    skips a row because others were inserted meanwhile, as offsets would. Keys that are
    expressions (``coalesce(due_date, ...)``) need ``values``: the key values of a row."""
    if cursor:
        after = decode_cursor(cursor, types)
        columns = tuple_(*keys)
        query = query.where(columns < tuple_(*after) if descending else columns > tuple_(*after))
    order = [k.desc() if descending else k.asc() for k in keys]
    rows = list((await session.exec(query.order_by(*order).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    if values is not None:
        return rows[:limit], encode_cursor(values(last))
    return rows[:limit], encode_cursor([getattr(last, str(k.key)) for k in keys])  # type: ignore[union-attr]


def page_of(
    items: Sequence[M],
    *,
    key: Callable[[M], tuple[Any, ...]],
    types: tuple[type, ...],
    cursor: str | None,
    limit: int,
    descending: bool = False,
) -> tuple[list[M], str | None]:
    """Keyset pagination of ``items`` already sorted by ``key`` (unique, ascending unless
    ``descending``): for short lists computed in memory, with the same cursors as ``paginate``.
    Key values are what cursors carry: str, int, date, datetime; ``None`` sorts as ``""``."""
    rest: Sequence[M] = items
    if cursor:
        after = tuple(decode_cursor(cursor, types))
        try:
            rest = [i for i in items if (key(i) < after if descending else key(i) > after)]
        except TypeError:
            # a cursor whose values do not compare with the keys (issued by another list)
            raise invalid_cursor() from None
    if len(rest) <= limit:
        return list(rest), None
    return list(rest[:limit]), encode_cursor(list(key(rest[limit - 1])))


def page_after(
    items: Sequence[M], *, id_of: Callable[[M], str], cursor: str | None, limit: int
) -> tuple[list[M], str | None]:
    """The ``limit`` entries after the one whose id the cursor carries, in the list's own order:
    for short lists bounded by what they belong to (an item's similar items, its timeline) whose
    order is not a sortable key. An id no longer in the list is a 422 naming ``cursor``."""
    start = 0
    if cursor:
        [after] = decode_cursor(cursor, (str,))
        ids = [id_of(i) for i in items]
        if after not in ids:
            raise invalid_cursor()
        start = ids.index(after) + 1
    rest = items[start:]
    if len(rest) <= limit:
        return list(rest), None
    return list(rest[:limit]), encode_cursor([id_of(rest[limit - 1])])
