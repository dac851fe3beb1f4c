"""No request reads a whole table: the SQL the proposal service's routes emit for a set of
representative requests is captured (SQLAlchemy's before_cursor_execute) and each statement's
plan is read back from the database (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN with
enable_seqscan off, so only a missing index leaves a Seq Scan). Plans, not timings: a full scan
is cheap on a test's few rows and ruinous on a year's hundred thousand, and the plan shows it
either way."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from query_plans import Captured, assert_no_full_scans, capture, ok

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from proposal_service.main import create_app
from proposal_service.settings import ProposalSettings

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]

# Tables a full read of which is fine: configuration with a few rows per body and year (a
# list asks which sessions are published; a body has one or two sessions a year).
SMALL_TABLES = {"session"}


@pytest.fixture
async def proposal_app(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> AsyncIterator[tuple[httpx.AsyncClient, Captured, str]]:
    app = create_app(
        ProposalSettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka.bootstrap,
            kafka_namespace=namespace,
            auth_jwks=dev_keys.jwks,
            auth_jwks_url=None,
        )
    )
    async with serve(app) as client:
        yield client, capture(app), database_url


async def _exercise(client: httpx.AsyncClient, keys: DevKeys, captured: Captured) -> None:
    """A body with two sessions (one published), members, items in every early status, and
    every read and write route a member, staff and anonymous callers use."""
    admin = keys.headers("admin", subject="plan-admin")
    body = ok(
        await client.post(
            "/bodies", json={"name": "政协测试区委员会", "kind": "cppcc", "level": "district"}, headers=admin
        ),
        201,
    )
    staff = keys.headers("staff", subject="plan-staff", body_id=body["id"])
    old = ok(await client.post(f"/bodies/{body['id']}/sessions", json={"term": 14, "meeting": 2}, headers=staff), 201)
    current = ok(
        await client.post(f"/bodies/{body['id']}/sessions", json={"term": 14, "meeting": 3}, headers=staff), 201
    )
    categories = {c["name"]: c["id"] for c in ok(await client.get(f"/bodies/{body['id']}/categories"))["items"]}
    members = [
        ok(await client.post(f"/bodies/{body['id']}/members", json={"name": f"委员{i}"}, headers=staff), 201)
        for i in range(3)
    ]

    def member(i: int) -> dict[str, str]:
        m = members[i]
        return keys.headers("member", subject=f"plan-{m['id']}", body_id=body["id"], member_id=m["id"])

    def draft_body(session_id: str, n: int, kind: str = "individual") -> dict[str, Any]:
        return {
            "session_id": session_id,
            "kind": kind,
            "title": f"关于加快老旧小区改造的建议{n}",
            "content": "建议统筹资金，完善加装电梯的审批流程，建立居民协商机制。",
            "category_id": categories["城市建设"],
        }

    items: list[dict[str, Any]] = []
    for n in range(6):
        session_id = old["id"] if n < 3 else current["id"]
        item = ok(await client.post("/proposals", json=draft_body(session_id, n), headers=member(n % 2)), 201)
        item = ok(await client.post(f"/proposals/{item['id']}/submit", headers=member(n % 2)))
        if n % 3 != 2:
            item = ok(await client.post(f"/proposals/{item['id']}/register", headers=staff))
        items.append(item)
    ok(await client.patch(f"/sessions/{old['id']}", json={"published": True}, headers=staff))

    captured.recording = True
    # writes: a draft, an edit, a joint item with an invitation and its answer, a submit, review decisions
    draft = ok(await client.post("/proposals", json=draft_body(current["id"], 10), headers=member(0)), 201)
    draft = ok(
        await client.patch(
            f"/proposals/{draft['id']}",
            json={"title": "关于加快老旧小区改造和加装电梯的建议"},
            headers={**member(0), "If-Match": f'W/"{draft["version"]}"'},
        )
    )
    joint = ok(await client.post("/proposals", json=draft_body(current["id"], 11, "joint"), headers=member(0)), 201)
    ok(
        await client.post(
            f"/proposals/{joint['id']}/cosigners", json={"member_ids": [members[1]["id"]]}, headers=member(0)
        )
    )
    ok(await client.post(f"/proposals/{joint['id']}/cosign", json={"accept": True}, headers=member(1)))
    ok(await client.post(f"/proposals/{draft['id']}/submit", headers=member(0)))
    ok(await client.post(f"/proposals/{draft['id']}/register", headers=staff))
    ok(
        await client.post(
            f"/proposals/{items[3]['id']}/key", json={"key": True, "supervising_leader": "张副主席"}, headers=staff
        )
    )
    ok(await client.post(f"/proposals/{items[4]['id']}/merge", json={"merged_ids": [items[5]["id"]]}, headers=staff))
    # reads: one item as staff, its proposer, an invited cosigner, a stranger and anonymously
    for headers in (staff, member(0), member(1), member(2), {}):
        for item in (items[0], joint):
            await client.get(f"/proposals/{item['id']}", headers=headers)
        await client.get(f"/proposals/{items[0]['id']}/timeline", headers=headers)
        await client.get(f"/proposals/{items[0]['id']}/similar", headers=headers)
    # lists: first and next pages in each order, with each filter, for each kind of caller
    for headers in (staff, member(0), member(2), {}):
        for sort in ("-created_at", "created_at", "-updated_at"):
            page = ok(await client.get("/proposals", params={"limit": 2, "sort": sort}, headers=headers))
            if page["next_cursor"]:
                ok(
                    await client.get(
                        "/proposals", params={"limit": 2, "sort": sort, "cursor": page["next_cursor"]}, headers=headers
                    )
                )
        for params in (
            {"body_id": body["id"]},
            {"session_id": current["id"]},
            {"category_id": categories["城市建设"]},
            {"status": "registered"},
            {"kind": "individual"},
            {"key": "true"},
            {"proposer": members[0]["id"]},
            {"unit_id": "no-such-unit"},
            {"q": "小区"},
            {"q": "老旧小区 电梯"},
        ):
            ok(await client.get("/proposals", params={"limit": 2, **params}, headers=headers))
    captured.recording = False


async def test_proposal_request_paths_read_no_table_in_full(
    proposal_app: tuple[httpx.AsyncClient, Captured, str], dev_keys: DevKeys
) -> None:
    from proposal_service.models import SQLModel

    client, captured, url = proposal_app
    await _exercise(client, dev_keys, captured)
    await assert_no_full_scans(url, captured, SQLModel.metadata.tables, small=SMALL_TABLES, at_least=21)
