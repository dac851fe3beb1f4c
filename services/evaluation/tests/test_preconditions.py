"""Optimistic concurrency on the evaluation service's settings (ETag / If-Match), on SQLite and
PostgreSQL: a stale update is a 412 and changes nothing; an update without If-Match still goes through."""

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from devstack.keys import DevKeys

pytestmark = pytest.mark.integration

BODY = "body-1"


@pytest.mark.parametrize(
    ("path", "first", "second"),
    [
        ("/bodies/{body}/evaluation-rules", {"window_days": 20}, {"window_days": 30, "cosigners_rate": False}),
        (
            "/bodies/{body}/performance-weights",
            {"on_time": 0.5, "satisfaction": 0.3, "contact": 0.1, "outcome": 0.1},
            {"on_time": 0.25, "satisfaction": 0.25, "contact": 0.25, "outcome": 0.25},
        ),
    ],
)
async def test_a_stale_settings_update_is_refused_with_412(
    evaluation: tuple[FastAPI, httpx.AsyncClient],
    dev_keys: DevKeys,
    path: str,
    first: dict[str, Any],
    second: dict[str, Any],
) -> None:
    _, c = evaluation
    url = path.format(body=BODY)
    staff = dev_keys.headers("staff", subject="staff", body_id=BODY)
    read = await c.get(url)
    assert read.status_code == 200 and read.headers["ETag"].startswith('W/"')
    read_etag = read.headers["ETag"]

    updated = await c.put(url, json=first, headers={**staff, "If-Match": read_etag})
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] != read_etag
    after = await c.get(url)
    assert after.headers["ETag"] == updated.headers["ETag"] and after.json() == updated.json()

    stale = await c.put(url, json=second, headers={**staff, "If-Match": read_etag})
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["code"] == "precondition_failed"
    unchanged = await c.get(url)
    assert unchanged.json() == after.json() and unchanged.headers["ETag"] == after.headers["ETag"]

    # Without If-Match the update is not checked, as before ETags were given.
    unchecked = await c.put(url, json=second, headers=staff)
    assert unchecked.status_code == 200 and unchecked.json() == (await c.get(url)).json()
    assert all(unchecked.json()[k] == v for k, v in second.items())


async def test_concurrent_first_writes_of_a_settings_row_never_answer_500(
    evaluation: tuple[FastAPI, httpx.AsyncClient], dev_keys: DevKeys
) -> None:
    """No row yet to lock: the loser of the insert race gets 409 concurrent_change, never a 500."""
    _, c = evaluation
    weights = {"on_time": 0.25, "satisfaction": 0.25, "contact": 0.25, "outcome": 0.25}
    for round_ in range(3):
        url = f"/bodies/body-race-{round_}/performance-weights"
        staff = dev_keys.headers("staff", subject="staff", body_id=f"body-race-{round_}")
        answers = await asyncio.gather(*(c.put(url, json=weights, headers=staff) for _ in range(4)))
        codes = sorted(a.status_code for a in answers)
        assert set(codes) <= {200, 409} and 200 in codes, [a.text for a in answers]
        for answer in answers:
            if answer.status_code == 409:
                assert answer.json()["code"] == "concurrent_change"
        assert (await c.get(url)).json() == {"body_id": f"body-race-{round_}", **weights}
