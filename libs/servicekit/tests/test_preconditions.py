"""Weak ETags of a public form and the If-Match check."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel

from servicekit.errors import Problem
from servicekit.preconditions import check_if_match, weak_etag


class Sitting(BaseModel):
    name: str
    opens_at: datetime | None = None
    tags: list[str] = []


def test_the_etag_is_stable_and_follows_the_content() -> None:
    at = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
    etag = weak_etag(Sitting(name="一次会议", opens_at=at))
    assert etag.startswith('W/"') and len(etag) == 20
    # The same instant in another offset, as a value written and then read back, hashes the same.
    assert weak_etag(Sitting(name="一次会议", opens_at=at.astimezone(timezone(timedelta(hours=8))))) == etag
    assert weak_etag(Sitting(name="二次会议", opens_at=at)) != etag


def test_if_match_is_absent_any_or_one_of_a_list() -> None:
    current = weak_etag(Sitting(name="x"))
    for header in (None, "*", current, f' W/"0000000000000000", {current} '):
        check_if_match(header, current)
    for header in ('W/"0000000000000000"', "", current.removeprefix("W/") + "x", "garbage"):
        with pytest.raises(Problem) as refused:
            check_if_match(header, current)
        assert (refused.value.status, refused.value.code) == (412, "precondition_failed")
