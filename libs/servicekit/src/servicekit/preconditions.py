"""Optimistic concurrency for updates: ETags and If-Match (DESIGN section 5); and the
If-None-Match comparison of conditional GETs (middleware.NotModifiedMiddleware, ADR 26).

A resource without a version column gets a weak ETag computed from its public JSON form;
an update checks the client's If-Match against the current one before it writes, in the
same transaction, and a mismatch is a 412 problem. No If-Match means no check, so clients
that never read ETags keep working.
"""

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from servicekit.errors import Problem

IfMatch = Annotated[
    str | None,
    Header(
        description="the ETag read before (GET gives it); a stale one is a 412 precondition_failed and nothing "
        "is changed; without it the update is not checked"
    ),
]

_ENTITY_TAG = re.compile(r'(?:W/)?"[^"]*"')


def _plain(value: Any) -> Any:
    # Equal instants hash equal, whatever offset they were written with or read back in.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    return to_jsonable_python(value)


def weak_etag(representation: BaseModel) -> str:
    """W/"<first 16 hex digits of sha256>" of the representation as JSON with sorted keys."""
    document = json.dumps(
        representation.model_dump(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return f'W/"{hashlib.sha256(document.encode()).hexdigest()[:16]}"'


def check_if_match(if_match: str | None, current: str) -> None:
    """Raises the 412 problem unless ``if_match`` is absent, "*", or lists ``current``
    (a comma-separated list of entity tags, RFC 9110 section 13.1.1; tags compare as strings)."""
    if if_match is None or if_match.strip() == "*":
        return
    if current not in _ENTITY_TAG.findall(if_match):
        raise Problem(
            412, "precondition_failed", "Precondition Failed", "the item has changed since you read it; read it again"
        )


def if_none_match_names(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match ``if_none_match`` (a comma-separated list of entity tags, or "*") names
    ``etag``, the current representation's: then the client's copy is current and a GET is answered
    304. The weak comparison of RFC 9110 section 13.1.2: W/"3" and "3" are the same tag; "*" names
    any tag. A malformed ``etag`` matches only "*"."""
    if if_none_match.strip() == "*":
        return True
    if not _ENTITY_TAG.fullmatch(etag.strip()):
        return False
    opaque = etag.strip().removeprefix("W/")
    return any(tag.removeprefix("W/") == opaque for tag in _ENTITY_TAG.findall(if_none_match))
