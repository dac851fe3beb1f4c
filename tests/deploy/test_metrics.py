"""/metrics of a service, in-process (the proposal service on SQLite, Kafka unreachable): the
request metrics by route template, the outbox backlog read from the database, the consumer's
outcomes by event type, the database pool, the deadline scanner's last scan (the assignment
service), and the route kept out of the public gateway's allow-list. The gateway's upstream
metrics: services/gateway/tests/test_balancing.py; lag and publish counts with real Kafka:
tests/deploy/test_metrics_with_kafka.py."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.main import create_app as create_assignment
from assignment_service.settings import AssignmentSettings
from proposal_service.main import create_app
from proposal_service.settings import ProposalSettings
from servicekit.events import EventEnvelope, utcnow
from servicekit.inbox import EventConsumer, ReceivedEvent, Subscriptions
from servicekit.outbox import OutboxMessage
from servicekit.runtime import ServiceRuntime, service_runtime


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples if s.name == name
    ]


def value(text: str, name: str, **labels: str) -> float | None:
    found = [v for got, v in samples(text, name) if all(got.get(k) == w for k, w in labels.items())]
    return sum(found) if found else None


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    settings = ProposalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'proposal.db'}",
        kafka_bootstrap_servers="127.0.0.1:9",  # nothing listens: the service starts without Kafka
        kafka_security_protocol="PLAINTEXT",
        environment="test",
        relay_enabled=False,
        auth_jwks=None,
        auth_jwks_url=None,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client,
    ):
        yield client, service_runtime(app)


async def test_requests_are_counted_by_route_template_and_status(
    service: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, _ = service
    assert (await client.get("/health/live")).status_code == 200
    unknown = uuid.uuid4()
    for _ in range(2):
        assert (await client.get(f"/proposals/{unknown}")).status_code == 404
    assert (await client.get("/no/such/path")).status_code == 404

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    route = "/proposals/{proposal_id}"
    assert value(text, "http_requests_total", route=route, status="404", method="GET", service="proposal") == 2
    assert value(text, "http_requests_total", route="/health/live", status="200") == 1
    assert value(text, "http_requests_total", route="unmatched", status="404") == 1
    # The raw path never becomes a label: bounded cardinality.
    assert str(unknown) not in text
    assert value(text, "http_request_duration_seconds_count", route=route) == 2
    assert "/metrics" not in json.dumps((await client.get("/openapi.json")).json()["paths"])


async def test_outbox_backlog_and_age_are_read_when_scraped(
    service: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = service
    text = (await client.get("/metrics")).text
    assert value(text, "outbox_pending_events") == 0
    assert value(text, "outbox_oldest_pending_age_seconds") == 0

    async with runtime.database.session() as session:
        for age in (300, 10):
            session.add(
                OutboxMessage(
                    event_id=str(uuid.uuid4()),
                    topic="proposal.events",
                    message_key="k",
                    event_type="proposal.test",
                    envelope="{}",
                    headers="{}",
                    created_at=utcnow() - timedelta(seconds=age),
                )
            )
        await session.commit()
    text = (await client.get("/metrics")).text
    assert value(text, "outbox_pending_events", service="proposal") == 2
    age = value(text, "outbox_oldest_pending_age_seconds")
    assert age is not None and 300 <= age < 3600


class Thing(BaseModel):
    name: str


@dataclass
class FakeProducer:
    sent: list[str] = field(default_factory=list)

    async def send(self, topic: str, value: bytes | None, **_: Any) -> "asyncio.Future[None]":
        self.sent.append(topic)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


@dataclass
class FakeKafka:
    """The one thing the consumer asks of Kafka outside its loop: a producer for dead letters."""

    producer_: FakeProducer = field(default_factory=FakeProducer)
    client_id: str = "test"

    async def producer(self) -> FakeProducer:
        return self.producer_


@dataclass
class Record:
    value: bytes
    topic: str = "thing.events"
    partition: int = 0
    offset: int = 0
    key: bytes | None = b"k"
    headers: tuple[tuple[str, bytes], ...] = ()


def envelope(event_type: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    return EventEnvelope(
        id=event_id or str(uuid.uuid4()),
        source="test",
        type=event_type,
        subject="s",
        dataschema="urn:test",
        dataversion=1,
        data=data,
    ).to_bytes()


async def test_consumer_outcomes_by_type(service: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    client, runtime = service
    subscriptions = Subscriptions(topics=["thing.events"])
    subscriptions.ignore("thing.ignored", 1)

    @subscriptions.on("thing.made", 1, Thing)
    async def made(_session: AsyncSession, _event: ReceivedEvent[Thing]) -> None:
        return None

    kafka = FakeKafka()
    consumer = EventConsumer(
        database=runtime.database,
        kafka=kafka,  # type: ignore[arg-type]
        subscriptions=subscriptions,
        group_id="thing-service",
        dead_letter_topic="thing-service.dlt",
        max_attempts=1,
    )
    consumer.observer = runtime.metrics
    first = str(uuid.uuid4())
    await consumer.process(Record(envelope("thing.made", {"name": "a"}, first)))  # type: ignore[arg-type]
    await consumer.process(Record(envelope("thing.made", {"name": "a"}, first)))  # type: ignore[arg-type]
    await consumer.process(Record(envelope("thing.ignored", {})))  # type: ignore[arg-type]
    await consumer.process(Record(envelope("thing.unknown", {})))  # type: ignore[arg-type]
    await consumer.process(Record(b"not json"))  # type: ignore[arg-type]
    # The batch path: one new, one already applied.
    batch = [Record(envelope("thing.made", {"name": "b"})), Record(envelope("thing.made", {"name": "a"}, first))]
    assert await consumer.apply_together(batch)  # type: ignore[arg-type]
    assert kafka.producer_.sent == ["thing-service.dlt", "thing-service.dlt"]

    text = (await client.get("/metrics")).text
    assert value(text, "consumer_events_total", type="thing.made", outcome="applied") == 2
    assert value(text, "consumer_events_total", type="thing.made", outcome="duplicate") == 2
    assert value(text, "consumer_events_total", type="thing.ignored", outcome="ignored") == 1
    assert value(text, "consumer_events_total", type="thing.unknown", outcome="dead_lettered") == 1
    assert value(text, "consumer_events_total", type="unparseable", outcome="dead_lettered") == 1


def test_metrics_are_not_a_public_gateway_route() -> None:
    """The gateway forwards only its allow-list under /api/v1: no service's /metrics."""
    from gateway_service.routes import API, ROUTES

    assert all(route.path.startswith(API + "/") for route in ROUTES)
    assert not [r for r in ROUTES if r.upstream_path.startswith(("/metrics", "/health"))]


async def test_the_database_pool_is_reported(service: tuple[httpx.AsyncClient, ServiceRuntime]) -> None:
    client, _ = service
    text = (await client.get("/metrics")).text
    size, in_use = value(text, "db_pool_size", service="proposal"), value(text, "db_pool_connections_in_use")
    assert size is not None and size > 0
    assert in_use is not None and 0 <= in_use <= size


async def test_the_deadline_scanner_reports_each_finished_scan(tmp_path: Path) -> None:
    """What the "overdue scanner not run today" alert reads (deploy/monitoring/alerts.yaml)."""
    settings = AssignmentSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'assignment.db'}",
        kafka_bootstrap_servers="127.0.0.1:9",
        kafka_security_protocol="PLAINTEXT",
        environment="test",
        relay_enabled=False,
        auth_jwks=None,
        auth_jwks_url=None,
        reminders_enabled=True,
        reminder_interval_s=0.2,
    )
    app = create_assignment(settings)
    before = time.time()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client,
    ):
        deadline = time.monotonic() + 30
        while (
            ran := value((await client.get("/metrics")).text, "job_last_success_timestamp_seconds", job="deadline_scan")
        ) is None:
            assert time.monotonic() < deadline, "no scan reported"
            await asyncio.sleep(0.1)
    assert before <= ran <= time.time()
