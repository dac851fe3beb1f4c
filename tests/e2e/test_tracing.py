"""One submission followed from the HTTP call to the last consumer: the request id and the
W3C trace context are taken (or made) at the gateway, passed to the proposal service, put
on the Kafka record by its outbox, and logged by every service that handles it."""

import asyncio
import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord

from devstack.filing import FilingDesk
from devstack.stack import Stack
from devstack.topics import read_topic
from servicekit.events import EventEnvelope
from servicekit.tracing import trace_id_of

pytestmark = pytest.mark.e2e

TIMEOUT = 30.0


@pytest.fixture(scope="module")
def desk(stack: Stack) -> FilingDesk:
    async def open_desk() -> FilingDesk:
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            return await FilingDesk.open(client, stack.keys)

    return asyncio.run(open_desk())


def traceparent(trace_id: str) -> str:
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"


def log_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # uvicorn's own start-up lines are not JSON
        if isinstance(entry, dict):
            lines.append(entry)
    return lines


async def logged(stack: Stack, service: str, **fields: str) -> list[dict[str, Any]]:
    """The JSON log lines of ``service`` carrying all of ``fields``, waiting until there is one."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        found = [e for e in log_lines(stack[service].log_path) if all(e.get(k) == v for k, v in fields.items())]
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def published(stack: Stack, event_type: str, subject: str) -> ConsumerRecord[bytes, bytes] | None:
    """The record of ``event_type`` about ``subject`` on the stack's proposal.events topic."""
    env = stack["proposal"].env
    topic = env["PROPOSAL_KAFKA_NAMESPACE"] + "proposal.events"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        records = await read_topic(env["PROPOSAL_KAFKA_BOOTSTRAP_SERVERS"], topic, timeout=5, idle=0.3)
        for record in records:
            headers = {k: v.decode() for k, v in record.headers}
            if headers.get("ce_type") == event_type and (record.key or b"").decode() == subject:
                return record
        await asyncio.sleep(0.2)
    return None


async def file(
    client: httpx.AsyncClient, desk: FilingDesk, title: str, submit_headers: dict[str, str] | None = None
) -> httpx.Response:
    draft = await client.post("/api/v1/proposals", json=desk.draft_body(title=title), headers=desk.member())
    assert draft.status_code == 201, draft.text
    submitted = await client.post(
        f"/api/v1/proposals/{draft.json()['id']}/submit", headers={**desk.member(), **(submit_headers or {})}
    )
    assert submitted.status_code == 200, submitted.text
    return submitted


async def assert_followed(stack: Stack, proposal_id: str, trace_id: str, request_id: str) -> None:
    """The submit request's trace and request id reach the proposal service's access log, the
    proposal.submitted record on Kafka, and the consumers' logs."""
    path = f"/proposals/{proposal_id}/submit"
    for service in ("gateway", "proposal"):
        access = await logged(stack, service, logger="servicekit.access", trace_id=trace_id)
        assert [e["message"] for e in access if e.get("request_id") == request_id] == [
            f"POST {'/api/v1' if service == 'gateway' else ''}{path} 200"
        ], (service, access)

    record = await published(stack, "proposal.submitted", proposal_id)
    assert record is not None, "proposal.submitted was not published"
    headers = {k: v.decode() for k, v in record.headers}
    assert trace_id_of(headers.get("traceparent")) == trace_id, headers
    assert headers["correlation_id"] == request_id  # no X-Correlation-ID sent: the request id is it
    envelope = EventEnvelope.from_bytes(record.value or b"")
    assert trace_id_of(envelope.traceparent) == trace_id and envelope.correlationid == request_id
    assert headers["ce_id"] == envelope.id

    for consumer in ("assignment", "evaluation"):
        handled = await logged(stack, consumer, trace_id=trace_id, correlation_id=request_id)
        assert any(e.get("event_id") == envelope.id for e in handled), (consumer, handled)


async def test_a_submission_is_followed_by_its_trace_and_request_id(stack: Stack, desk: FilingDesk) -> None:
    trace_id, request_id = secrets.token_hex(16), f"e2e-trace-{secrets.token_hex(4)}"
    sent = traceparent(trace_id)
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        submitted = await file(
            client, desk, "关于规范夜间施工噪声管理的建议", {"traceparent": sent, "X-Request-ID": request_id}
        )
    proposal_id = submitted.json()["id"]

    assert submitted.headers["x-request-id"] == request_id
    assert submitted.headers["x-correlation-id"] == request_id
    echoed = submitted.headers["traceparent"]
    assert trace_id_of(echoed) == trace_id and echoed != sent  # same trace, the gateway's own span

    await assert_followed(stack, proposal_id, trace_id, request_id)


async def test_a_submission_without_trace_context_gets_one_at_the_gateway(stack: Stack, desk: FilingDesk) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        submitted = await file(client, desk, "关于增设社区儿童友好空间的建议")
    request_id = submitted.headers["x-request-id"]
    trace_id = trace_id_of(submitted.headers.get("traceparent"))
    assert request_id and trace_id and trace_id != "0" * 32

    await assert_followed(stack, submitted.json()["id"], trace_id, request_id)


async def test_a_malformed_traceparent_is_replaced_not_passed_on(stack: Stack, desk: FilingDesk) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        submitted = await file(client, desk, "关于优化公交接驳线路的建议", {"traceparent": "00-not-a-trace-01"})
    trace_id = trace_id_of(submitted.headers.get("traceparent"))
    assert trace_id is not None

    record = await published(stack, "proposal.submitted", submitted.json()["id"])
    assert record is not None
    assert trace_id_of(dict(record.headers)["traceparent"].decode()) == trace_id
