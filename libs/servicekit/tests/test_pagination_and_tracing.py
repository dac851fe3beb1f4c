from datetime import UTC, datetime

import pytest

from servicekit.errors import Problem
from servicekit.pagination import decode_cursor, encode_cursor
from servicekit.tracing import child_traceparent, trace_id_of


def test_cursor_round_trip_keeps_types() -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    assert decode_cursor(encode_cursor([at, "id-1"]), (datetime, str)) == [at, "id-1"]


@pytest.mark.parametrize(
    "bad", ["zzz", encode_cursor(["x"]), encode_cursor([1, "a"]), encode_cursor(["notadate", "a"]), "%%%"]
)
def test_tampered_cursor_is_a_400_problem(bad: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(bad, (datetime, str))
    assert caught.value.status == 400 and caught.value.code == "invalid_cursor"


def test_traceparent_keeps_the_trace_and_makes_a_new_span() -> None:
    parent = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    child = child_traceparent(parent)
    assert trace_id_of(child) == "1" * 32
    assert child != parent and child.endswith("-01")


@pytest.mark.parametrize("bad", [None, "", "garbage", "00-" + "0" * 32 + "-" + "2" * 16 + "-01"])
def test_invalid_traceparent_starts_a_new_trace(bad: str | None) -> None:
    child = child_traceparent(bad)
    assert trace_id_of(child) not in (None, "0" * 32)
