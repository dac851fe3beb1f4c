"""Conditional GETs on the evaluation service's settings (ADR 26), on SQLite and PostgreSQL: a read
that names the current ETag in If-None-Match is a 304 without a body; after a change, the old ETag
gets the whole new answer."""

import httpx
import pytest
from fastapi import FastAPI

from devstack.keys import DevKeys

pytestmark = pytest.mark.integration

BODY = "body-304"


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/bodies/{body}/evaluation-rules", {"window_days": 25}),
        ("/bodies/{body}/performance-weights", {"on_time": 0.4, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.1}),
    ],
)
async def test_a_read_naming_the_current_etag_is_a_304(
    evaluation: tuple[FastAPI, httpx.AsyncClient], dev_keys: DevKeys, path: str, change: dict[str, object]
) -> None:
    _, c = evaluation
    url = path.format(body=BODY)
    read = await c.get(url)
    assert read.status_code == 200 and read.headers["ETag"].startswith('W/"')
    etag = read.headers["ETag"]

    again = await c.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag and "content-type" not in again.headers
    assert (await c.get(url, headers={"If-None-Match": "*"})).status_code == 304

    staff = dev_keys.headers("staff", subject="staff", body_id=BODY)
    updated = await c.put(url, json=change, headers={**staff, "If-Match": etag})
    assert updated.status_code == 200, updated.text
    stale = await c.get(url, headers={"If-None-Match": etag})
    assert stale.status_code == 200 and stale.json() == updated.json()
    assert stale.headers["ETag"] == updated.headers["ETag"] != etag
    current = await c.get(url, headers={"If-None-Match": f'"other", {stale.headers["ETag"]}'})
    assert current.status_code == 304 and current.content == b""
