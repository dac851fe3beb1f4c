"""OpenTelemetry traces exported over OTLP/HTTP: one trace from the HTTP call through the
gateway, the proposal service, its outbox and Kafka, to the consumers in assignment,
evaluation and notification, every span linked to its parent. The collector is a tiny OTLP receiver in this
test process, decoding the ExportTraceServiceRequest protobufs the services post."""

import asyncio
import gzip
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from devstack import free_port
from devstack.filing import FilingDesk
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

RECEIVER_PORT = free_port()
# Read by the stack fixture (tests/conftest.py): every service exports to the receiver below.
STACK_ENV = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{RECEIVER_PORT}",
    "OTEL_BSP_SCHEDULE_DELAY": "100",
}
TIMEOUT = 30.0


@dataclass(frozen=True)
class Received:
    service: str
    span: Span

    @property
    def span_id(self) -> str:
        return self.span.span_id.hex()

    @property
    def parent_id(self) -> str:
        return self.span.parent_span_id.hex()

    def attribute(self, key: str) -> str | None:
        for kv in self.span.attributes:
            if kv.key == key:
                return str(kv.value.string_value)
        return None


class Receiver:
    """Keeps every span posted to /v1/traces, with the service.name of its resource."""

    def __init__(self) -> None:
        self.spans: list[Received] = []
        self.requests = 0
        self.lock = threading.Lock()

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        with self.lock:
            self.requests += 1
            for resource_spans in request.resource_spans:
                service = next(
                    (a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"), ""
                )
                for scope_spans in resource_spans.scope_spans:
                    self.spans.extend(Received(service, span) for span in scope_spans.spans)

    def of_trace(self, trace_id: str) -> list[Received]:
        with self.lock:
            return [s for s in self.spans if s.span.trace_id.hex() == trace_id]


@pytest.fixture(scope="module", autouse=True)
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path != "/v1/traces":
                self.send_response(404)
                self.end_headers()
                return
            receiver.add(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def desk(stack: Stack) -> FilingDesk:
    async def open_desk() -> FilingDesk:
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            return await FilingDesk.open(client, stack.keys)

    return asyncio.run(open_desk())


# Every service that consumes proposal.submitted.
CONSUMERS = ("assignment", "evaluation", "notification")


def consumer_spans(spans: list[Received], service: str) -> list[Received]:
    return [s for s in spans if s.service == service and s.span.kind == Span.SPAN_KIND_CONSUMER]


async def wait_for_trace(receiver: Receiver, trace_id: str) -> list[Received]:
    """The trace's spans once every consumer's process span has arrived (or the timeout)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        spans = receiver.of_trace(trace_id)
        if all(consumer_spans(spans, service) for service in CONSUMERS) or time.monotonic() > deadline:
            return spans
        await asyncio.sleep(0.2)


def chain(span: Received, by_id: dict[str, Received]) -> list[Received]:
    """``span`` and its ancestors, nearest first, as far as the received spans reach."""
    found = [span]
    while (parent := by_id.get(found[-1].parent_id)) is not None:
        found.append(parent)
    return found


async def test_one_trace_from_the_http_call_to_every_consumer(
    stack: Stack, desk: FilingDesk, receiver: Receiver
) -> None:
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    # A generous timeout: the first write on a fresh stack can be slow on a busy machine.
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as client:
        draft = await client.post(
            "/api/v1/proposals", json=desk.draft_body(title="关于完善老旧小区加装电梯的建议"), headers=desk.member()
        )
        assert draft.status_code == 201, draft.text
        submitted = await client.post(
            f"/api/v1/proposals/{draft.json()['id']}/submit",
            headers={**desk.member(), "traceparent": f"00-{trace_id}-{caller_span}-01"},
        )
    assert submitted.status_code == 200, submitted.text

    spans = await wait_for_trace(receiver, trace_id)
    by_id = {s.span_id: s for s in spans}
    services = {s.service for s in spans}
    assert {"gateway", "proposal", *CONSUMERS} <= services, services

    # The gateway's server span continues the caller's trace, under the caller's span.
    (gateway_server,) = [s for s in spans if s.service == "gateway" and s.span.kind == Span.SPAN_KIND_SERVER]
    assert gateway_server.parent_id == caller_span
    # The proposal service's server span hangs under the gateway's (through its httpx client span).
    (proposal_server,) = [s for s in spans if s.service == "proposal" and s.span.kind == Span.SPAN_KIND_SERVER]
    upstream = chain(proposal_server, by_id)
    assert upstream[1].service == "gateway" and upstream[1].span.kind == Span.SPAN_KIND_CLIENT
    assert gateway_server in upstream
    # Its SQL statements are spans of that request.
    statements = [
        s for s in spans if s.service == "proposal" and (s.attribute("db.system.name") or s.attribute("db.system"))
    ]
    assert any(proposal_server in chain(s, by_id)[1:] for s in statements), [s.span.name for s in spans]

    # The relay's send of proposal.submitted is a child of the request that wrote it.
    sends = [s for s in spans if s.service == "proposal" and s.span.kind == Span.SPAN_KIND_PRODUCER]
    assert sends and all(proposal_server in chain(s, by_id) for s in sends), sends

    # Every consumer handles it in a span under the proposal request, down to the caller's span.
    for service in CONSUMERS:
        processed = consumer_spans(spans, service)
        assert processed, (service, services)
        for span in processed:
            ancestors = chain(span, by_id)
            assert proposal_server in ancestors and gateway_server in ancestors, (service, ancestors)
            assert ancestors[-1].parent_id == caller_span
            assert (span.attribute("messaging.destination.name") or "").endswith("proposal.events")
        # The consumer's own statements are children of its process span.
        assert any(s.service == service and processed[0] in chain(s, by_id)[1:] for s in spans), (
            f"{service}: no span under its process span"
        )
