"""A proposal filed through the gateway reaches every service, over real Kafka,
with the services running as real processes (on SQLite and on PostgreSQL)."""

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from devstack.filing import FilingDesk
from devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e

TITLE = "关于加快推进老旧小区二次供水改造的建议"


@pytest.fixture(scope="module")
def desk(stack: Stack) -> FilingDesk:
    """A body, session and members of the stack's own, set up through the gateway."""

    async def open_desk() -> FilingDesk:
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            return await FilingDesk.open(client, stack.keys)

    return asyncio.run(open_desk())


async def eventually(fetch: Callable[[], Awaitable[httpx.Response]], timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = await fetch()
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


def test_every_service_is_ready(stack: Stack) -> None:
    for name in SERVICES:
        response = httpx.get(f"{stack[name].url}/health/ready")
        assert response.status_code == 200, (name, response.text)
        assert response.json()["checks"] == {"database": "ok", "kafka": "ok"}


async def test_a_filed_proposal_reaches_every_projection(stack: Stack, desk: FilingDesk) -> None:
    admin = stack.keys.headers("admin", subject="ops")  # the cross-body filing counts are for administrators
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        before = (await client.get(f"{stack['evaluation'].url}/statistics/filing", headers=admin)).json()
        draft = await client.post(
            "/api/v1/proposals",
            json=desk.draft_body(title=TITLE, category="城市建设"),
            headers={"X-Request-ID": "e2e-req-1", **desk.member()},
        )
        assert draft.status_code == 201, draft.text
        assert draft.headers["x-request-id"] == "e2e-req-1"
        proposal_id = draft.json()["id"]
        assert draft.headers["location"] == f"/api/v1/proposals/{proposal_id}"
        submitted = await client.post(f"/api/v1/proposals/{proposal_id}/submit", headers=desk.member())
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] == "submitted"
        fetched = await client.get(f"/api/v1/proposals/{proposal_id}", headers=desk.member())
        assert fetched.status_code == 200 and fetched.json()["title"] == TITLE

        staff = desk.staff()
        handling = await eventually(
            lambda: client.get(f"{stack['assignment'].url}/proposals/{proposal_id}", headers=staff)
        )
        assert handling.status_code == 200, handling.text
        assert handling.json()["status"] == "submitted"  # awaiting registration
        assert handling.json()["title"] == TITLE
        via_gateway = await client.get(f"/api/v1/handling/proposals/{proposal_id}", headers=staff)
        assert via_gateway.json() == handling.json()

        filed = await eventually(
            lambda: client.get(f"{stack['evaluation'].url}/proposals/{proposal_id}", headers=admin)
        )
        assert filed.status_code == 200, filed.text
        assert (
            await client.get(f"{stack['evaluation'].url}/proposals/{proposal_id}", headers=staff)
        ).status_code == 403
        after = (await client.get("/api/v1/statistics/filing", headers=admin)).json()
    assert after["total"] == before["total"] + 1
    assert after["by_kind"].get("individual", 0) == before["by_kind"].get("individual", 0) + 1
    assert after["by_category"]["城市建设"] == before["by_category"].get("城市建设", 0) + 1


async def test_a_member_files_a_joint_item_and_staff_register_it(stack: Stack, desk: FilingDesk) -> None:
    """The README's walk-through, through the gateway."""
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1") as client:
        lead, cosigner, other = desk.member(0), desk.member(1), desk.member(2)
        body = {**desk.draft_body(title="关于破解老旧小区停车难问题的建议"), "kind": "joint"}
        item = (await client.post("/proposals", json=body, headers=lead)).json()
        invited = await client.post(
            f"/proposals/{item['id']}/cosigners", json={"member_ids": [desk.members[1]["id"]]}, headers=lead
        )
        assert invited.status_code == 200, invited.text
        assert (await client.get(f"/proposals/{item['id']}", headers=other)).status_code == 404
        accepted = await client.post(f"/proposals/{item['id']}/cosign", json={"accept": True}, headers=cosigner)
        assert accepted.json()["status"] == "accepted"
        assert (await client.post(f"/proposals/{item['id']}/submit", headers=lead)).json()["status"] == "submitted"
        registered = await client.post(f"/proposals/{item['id']}/register", headers=desk.staff())
        assert registered.status_code == 200, registered.text
        assert registered.json()["status"] == "registered" and registered.json()["number_label"].startswith("联")
        timeline = (await client.get(f"/proposals/{item['id']}/timeline", headers=lead)).json()["items"]
        assert [e["action"] for e in timeline][-2:] == ["submitted", "registered"]


async def test_lists_page_with_cursors_without_repeats(stack: Stack, desk: FilingDesk) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        for i in range(5):
            await desk.file(client, title=f"分页测试 {i}")
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/proposals", params=params, headers=desk.staff())).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert len(seen) == len(set(seen)) >= 5


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code and body["type"].endswith(code)
    assert "Traceback" not in response.text
    return body


def test_bad_input_gets_a_problem_and_changes_nothing(stack: Stack, desk: FilingDesk) -> None:
    gateway = httpx.Client(base_url=stack.gateway_url, headers=desk.member())
    staff = desk.staff()
    count_before = len(gateway.get("/api/v1/proposals", params={"limit": 200}, headers=staff).json()["items"])
    json_headers = {"content-type": "application/json"}
    draft = desk.draft_body(title=TITLE)

    problem(gateway.post("/api/v1/proposals", content=b"{not json", headers=json_headers), 400, "malformed_json")
    unknown = problem(gateway.post("/api/v1/proposals", json={**draft, "colour": "red"}), 422, "validation_failed")
    assert [e["field"] for e in unknown["errors"]] == ["colour"]
    wrong = problem(
        gateway.post("/api/v1/proposals", json={**draft, "title": 7, "kind": "petition"}), 422, "validation_failed"
    )
    assert {e["field"] for e in wrong["errors"]} == {"title", "kind"}
    missing = problem(gateway.post("/api/v1/proposals", json={"title": "只有标题"}), 422, "validation_failed")
    assert {e["field"] for e in missing["errors"]} == {"content", "kind", "session_id"}
    empty = problem(gateway.post("/api/v1/proposals", json={**draft, "title": ""}), 422, "validation_failed")
    assert [e["field"] for e in empty["errors"]] == ["title"]
    nul = problem(gateway.post("/api/v1/proposals", json={**draft, "title": "a\x00b"}), 422, "validation_failed")
    assert [e["field"] for e in nul["errors"]] == ["title"]
    forged = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00+00:00", "\x00"]).encode()).decode()
    problem(gateway.get("/api/v1/proposals", params={"cursor": forged}), 422, "invalid_cursor")
    huge = {**draft, "content": "长" * 1_000_000}
    problem(gateway.post("/api/v1/proposals", json=huge), 413, "payload_too_large")
    problem(
        gateway.post("/api/v1/proposals", json=draft, headers={"Authorization": "Bearer forged"}), 401, "unauthorized"
    )
    problem(gateway.get("/api/v1/no-such-thing"), 404, "not_found")
    problem(gateway.get("/api/v1/proposals/does-not-exist"), 404, "not_found")
    problem(gateway.delete("/api/v1/proposals"), 405, "method_not_allowed")
    problem(gateway.get("/api/v1/proposals", params={"limit": 0}), 422, "validation_failed")
    problem(gateway.get("/api/v1/proposals", params={"cursor": "forged"}), 422, "invalid_cursor")
    # Routes the services have but the gateway does not list are not reachable.
    problem(gateway.get("/proposals"), 404, "not_found")
    problem(gateway.get("/api/v1/health/ready"), 404, "not_found")

    time.sleep(1)  # a wrongly accepted item would have been published by now
    assert len(gateway.get("/api/v1/proposals", params={"limit": 200}, headers=staff).json()["items"]) == count_before


def test_an_unreachable_service_is_a_503_problem_not_a_500(stack: Stack, desk: FilingDesk) -> None:
    gateway = httpx.Client(base_url=f"{stack.gateway_url}/api/v1", headers=desk.member())
    item = gateway.post("/proposals", json=desk.draft_body(title="卷宗测试")).json()
    whole = gateway.get(f"/proposals/{item['id']}/dossier").json()
    assert whole["proposal"]["title"] == "卷宗测试" and whole["missing"] == []
    assert [e["action"] for e in whole["timeline"]] == ["drafted"]
    evaluation = stack["evaluation"]
    evaluation.stop()
    try:
        body = problem(httpx.get(f"{stack.gateway_url}/api/v1/statistics/filing"), 503, "upstream_unavailable")
        assert "127.0.0.1" not in str(body)  # no internal addresses
        # The dossier still answers, with the missing part named.
        partial = gateway.get(f"/proposals/{item['id']}/dossier")
        assert partial.status_code == 200, partial.text
        assert [m["part"] for m in partial.json()["missing"]] == ["evaluations"]
        assert partial.json()["proposal"]["id"] == item["id"]
        problem(gateway.get("/proposals/no-such-item/dossier"), 404, "not_found")
    finally:
        evaluation.start()
        evaluation.wait_live()


async def test_a_retried_post_with_an_idempotency_key_does_the_work_once(stack: Stack, desk: FilingDesk) -> None:
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1") as client:
        body = desk.draft_body(title="幂等测试")
        headers = {**desk.member(), "Idempotency-Key": "draft-7f3a"}
        first = await client.post("/proposals", json=body, headers=headers)
        again = await client.post("/proposals", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
        problem(
            await client.post("/proposals", json={**body, "title": "另一件"}, headers=headers),
            422,
            "idempotency_key_reused",
        )
        mine = (await client.get("/proposals", params={"q": "幂等测试"}, headers=desk.member())).json()["items"]
        assert [p["id"] for p in mine] == [first.json()["id"]]


async def test_a_stale_update_through_the_gateway_is_a_412(stack: Stack, desk: FilingDesk) -> None:
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1") as client:
        url = f"/bodies/{desk.body['id']}/performance-weights"
        read = await client.get(url)
        weights = {k: v for k, v in read.json().items() if k != "body_id"}
        fresh = {**desk.staff(), "If-Match": read.headers["ETag"]}
        first = await client.put(url, json={**weights, "contact": 0.2}, headers=fresh)
        assert first.status_code == 200 and first.headers["ETag"] != read.headers["ETag"], first.text
        problem(await client.put(url, json={**weights, "contact": 0.3}, headers=fresh), 412, "precondition_failed")
        assert (await client.get(url)).json()["contact"] == 0.2
