"""A proposal filed through the gateway reaches every service, over real Kafka,
with the services running as real processes (on SQLite and on PostgreSQL)."""

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from devstack.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e

PROPOSAL = {
    "title": "关于加快推进老旧小区二次供水改造的建议",
    "content": "建议将老旧小区二次供水设施纳入年度改造计划，明确产权与维护责任。",
    "kind": "joint",
    "category": "城市建设",
    "lead_proposer": "陈静",
}


def eventually(fetch: Callable[[], httpx.Response], timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = fetch()
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_every_service_is_ready(stack: Stack) -> None:
    for name in SERVICES:
        response = httpx.get(f"{stack[name].url}/health/ready")
        assert response.status_code == 200, (name, response.text)
        assert response.json()["checks"] == {"database": "ok", "kafka": "ok"}


def test_a_filed_proposal_reaches_every_projection(stack: Stack) -> None:
    gateway = httpx.Client(base_url=stack.gateway_url)
    before = httpx.get(f"{stack['evaluation'].url}/statistics/filing").json()
    created = gateway.post("/api/v1/proposals", json=PROPOSAL, headers={"X-Request-ID": "e2e-req-1"})
    assert created.status_code == 201, created.text
    assert created.headers["x-request-id"] == "e2e-req-1"
    body = created.json()
    proposal_id = body["id"]
    assert created.headers["location"] == f"/api/v1/proposals/{proposal_id}"
    assert {k: body[k] for k in PROPOSAL} == PROPOSAL
    assert body["status"] == "submitted"

    fetched = gateway.get(f"/api/v1/proposals/{proposal_id}")
    assert fetched.status_code == 200 and fetched.json() == body

    handling = eventually(lambda: httpx.get(f"{stack['assignment'].url}/proposals/{proposal_id}"))
    assert handling.status_code == 200, handling.text
    assert handling.json()["status"] == "awaiting_assignment"
    assert handling.json()["title"] == PROPOSAL["title"]
    via_gateway = gateway.get(f"/api/v1/handling/proposals/{proposal_id}")
    assert via_gateway.json() == handling.json()

    filed = eventually(lambda: httpx.get(f"{stack['evaluation'].url}/proposals/{proposal_id}"))
    assert filed.status_code == 200, filed.text
    after = gateway.get("/api/v1/statistics/filing").json()
    assert after["total"] == before["total"] + 1
    assert after["by_kind"].get("joint", 0) == before["by_kind"].get("joint", 0) + 1
    assert after["by_category"]["城市建设"] == before["by_category"].get("城市建设", 0) + 1


def test_lists_page_with_cursors_without_repeats(stack: Stack) -> None:
    gateway = httpx.Client(base_url=stack.gateway_url)
    for i in range(5):
        assert gateway.post("/api/v1/proposals", json={**PROPOSAL, "title": f"分页测试 {i}"}).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = gateway.get("/api/v1/proposals", params=params).json()
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


def test_bad_input_gets_a_problem_and_changes_nothing(stack: Stack) -> None:
    gateway = httpx.Client(base_url=stack.gateway_url)
    count_before = len(gateway.get("/api/v1/proposals", params={"limit": 200}).json()["items"])
    json_headers = {"content-type": "application/json"}

    problem(gateway.post("/api/v1/proposals", content=b"{not json", headers=json_headers), 400, "malformed_json")
    unknown = problem(gateway.post("/api/v1/proposals", json={**PROPOSAL, "colour": "red"}), 422, "validation_failed")
    assert [e["field"] for e in unknown["errors"]] == ["colour"]
    wrong = problem(
        gateway.post("/api/v1/proposals", json={**PROPOSAL, "title": 7, "kind": "petition"}), 422, "validation_failed"
    )
    assert {e["field"] for e in wrong["errors"]} == {"title", "kind"}
    missing = problem(gateway.post("/api/v1/proposals", json={"title": "只有标题"}), 422, "validation_failed")
    assert {e["field"] for e in missing["errors"]} == {"content", "kind", "lead_proposer"}
    empty = problem(gateway.post("/api/v1/proposals", json={**PROPOSAL, "title": ""}), 422, "validation_failed")
    assert [e["field"] for e in empty["errors"]] == ["title"]
    huge = {**PROPOSAL, "content": "长" * 1_000_000}
    problem(gateway.post("/api/v1/proposals", json=huge), 413, "payload_too_large")
    problem(gateway.get("/api/v1/no-such-thing"), 404, "not_found")
    problem(gateway.get("/api/v1/proposals/does-not-exist"), 404, "not_found")
    problem(gateway.delete("/api/v1/proposals"), 405, "method_not_allowed")
    problem(gateway.get("/api/v1/proposals", params={"limit": 0}), 422, "validation_failed")
    problem(gateway.get("/api/v1/proposals", params={"cursor": "forged"}), 400, "invalid_cursor")
    # Routes the services have but the gateway does not list are not reachable.
    problem(gateway.get("/proposals"), 404, "not_found")
    problem(gateway.get("/api/v1/health/ready"), 404, "not_found")

    time.sleep(1)  # a wrongly accepted item would have been published by now
    assert len(gateway.get("/api/v1/proposals", params={"limit": 200}).json()["items"]) == count_before


def test_an_unreachable_service_is_a_503_problem_not_a_500(stack: Stack) -> None:
    evaluation = stack["evaluation"]
    evaluation.stop()
    try:
        body = problem(httpx.get(f"{stack.gateway_url}/api/v1/statistics/filing"), 503, "upstream_unavailable")
        assert "127.0.0.1" not in str(body)  # no internal addresses
    finally:
        evaluation.start()
        evaluation.wait_live()
