import base64
from datetime import UTC, date, datetime

import pytest

from servicekit.errors import Problem
from servicekit.pagination import decode_cursor, encode_cursor, page_after, page_of
from servicekit.tracing import child_traceparent, trace_id_of


def test_cursor_round_trip_keeps_types() -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    assert decode_cursor(encode_cursor([at, "id-1"]), (datetime, str)) == [at, "id-1"]


@pytest.mark.parametrize(
    "bad", ["zzz", encode_cursor(["x"]), encode_cursor([1, "a"]), encode_cursor(["notadate", "a"]), "%%%"]
)
def test_tampered_cursor_is_a_422_problem(bad: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(bad, (datetime, str))
    assert caught.value.status == 422 and caught.value.code == "invalid_cursor"


def _raw_cursor(text: str) -> str:
    """A cursor from raw JSON text, so it can hold escapes json.dumps would never write."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "bad",
    [
        _raw_cursor('["2026-01-01T00:00:00+00:00", "\\ud800"]'),  # a lone surrogate
        _raw_cursor('["\\udfff2026-01-01T00:00:00+00:00", "a"]'),
        _raw_cursor('["2026-01-01T00:00:00+00:00", "a\\u0000"]'),  # NUL
        _raw_cursor('[null, "a"]'),
        _raw_cursor("[[[[[[[[[[]]]]]]]]]]"),
    ],
)
def test_a_cursor_with_text_no_database_can_hold_is_a_422_naming_the_cursor(bad: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(bad, (datetime, str))
    assert caught.value.status == 422 and caught.value.code == "invalid_cursor"
    assert caught.value.errors and caught.value.errors[0]["field"] == "cursor"


@pytest.mark.parametrize("bad", ["[true]", "[9223372036854775808]", "[1.5]"])
def test_an_integer_key_must_be_a_64_bit_integer(bad: str) -> None:
    with pytest.raises(Problem):
        decode_cursor(_raw_cursor(bad), (int,))
    assert decode_cursor(_raw_cursor("[9223372036854775807]"), (int,)) == [2**63 - 1]


def test_a_date_key_round_trips() -> None:
    assert decode_cursor(encode_cursor([date(2026, 3, 4), "a"]), (date, str)) == [date(2026, 3, 4), "a"]


ROWS = [(date(2026, 1, d // 2 + 1), f"id-{d}") for d in range(7)]  # two rows share each date


def test_page_of_walks_a_sorted_list_without_repeating_or_skipping() -> None:
    seen: list[tuple[date, str]] = []
    cursor: str | None = None
    for _ in range(10):
        page, cursor = page_of(ROWS, key=lambda r: r, types=(date, str), cursor=cursor, limit=3)
        seen += page
        if cursor is None:
            break
    assert seen == ROWS


def test_page_of_descending_and_exact_fit() -> None:
    newest_first = list(reversed(ROWS))
    first, cursor = page_of(newest_first, key=lambda r: r, types=(date, str), cursor=None, limit=4, descending=True)
    assert first == newest_first[:4] and cursor is not None
    rest, end = page_of(newest_first, key=lambda r: r, types=(date, str), cursor=cursor, limit=4, descending=True)
    assert rest == newest_first[4:] and end is None


def test_page_after_keeps_the_lists_own_order_and_refuses_an_id_not_in_it() -> None:
    ranked = [("p-9", 0.91), ("p-2", 0.88), ("p-5", 0.88), ("p-1", 0.40), ("p-7", 0.12)]  # by score
    seen: list[tuple[str, float]] = []
    cursor = None
    while True:
        page, cursor = page_after(ranked, id_of=lambda r: r[0], cursor=cursor, limit=2)
        seen += page
        if cursor is None:
            break
    assert seen == ranked
    whole, end = page_after(ranked, id_of=lambda r: r[0], cursor=None, limit=5)
    assert whole == ranked and end is None
    for bad in (encode_cursor(["p-404"]), encode_cursor([3]), "zzz"):
        with pytest.raises(Problem) as caught:
            page_after(ranked, id_of=lambda r: r[0], cursor=bad, limit=2)
        assert caught.value.status == 422


@pytest.mark.parametrize("bad", ["zzz", encode_cursor(["2026-01-01", 5]), encode_cursor(["x", "y"])])
def test_page_of_refuses_a_cursor_it_did_not_issue_with_a_422(bad: str) -> None:
    with pytest.raises(Problem) as caught:
        page_of(ROWS, key=lambda r: r, types=(date, str), cursor=bad, limit=3)
    assert caught.value.status == 422 and caught.value.errors and caught.value.errors[0]["field"] == "cursor"


def test_traceparent_keeps_the_trace_and_makes_a_new_span() -> None:
    parent = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    child = child_traceparent(parent)
    assert trace_id_of(child) == "1" * 32
    assert child != parent and child.endswith("-01")


@pytest.mark.parametrize("bad", [None, "", "garbage", "00-" + "0" * 32 + "-" + "2" * 16 + "-01"])
def test_invalid_traceparent_starts_a_new_trace(bad: str | None) -> None:
    child = child_traceparent(bad)
    assert trace_id_of(child) not in (None, "0" * 32)
