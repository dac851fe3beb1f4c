"""/metrics on the secured local broker: the consumer's lag per partition and its outcomes as
events arrive (the evaluation service taking proposal.submitted), and the relay's publish count
as its outbox drains."""

import asyncio
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from contract_events import ContractEvent, contract_event
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish
from evaluation_service.main import create_app
from evaluation_service.settings import EvaluationSettings
from servicekit.events import EventEnvelope, utcnow
from servicekit.outbox import OutboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [(s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples if s.name == name]


def submitted(n: int) -> ContractEvent:
    return contract_event(
        "proposal.submitted.v1",
        proposal_id=str(uuid.uuid4()), body_id="body-metrics", session_id="s-1", kind="individual",
        title=f"关于第{n}件事的建议", category=None, lead_proposer="委员", submitted_at=utcnow(),
    )  # fmt: skip


async def test_lag_outcomes_and_publishes_are_reported(
    kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys, tmp_path: Path
) -> None:
    settings = EvaluationSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}",
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
    )
    app = create_app(settings)
    async with serve(app) as client:
        topic = f"{namespace}proposal.events"
        events = [submitted(n) for n in range(5)]
        await publish(kafka.client_config(), topic, [e.envelope(subject=e.data["proposal_id"]) for e in events])

        # The relay's count: an event written to the outbox goes out.
        envelope = EventEnvelope(
            id=str(uuid.uuid4()), source="test", type="evaluation.test", subject="s", dataschema="urn:test",
            dataversion=1, data={},
        )  # fmt: skip
        async with service_runtime(app).database.session() as session:
            session.add(
                OutboxMessage(
                    event_id=envelope.id, topic=settings.topic, message_key="s", event_type=envelope.type,
                    envelope=envelope.model_dump_json(), headers="{}",
                )
            )  # fmt: skip
            await session.commit()

        deadline = time.monotonic() + 90
        while True:
            text = (await client.get("/metrics")).text
            applied = sum(v for labels, v in samples(text, "consumer_events_total") if labels["outcome"] == "applied")
            lag = [(labels, v) for labels, v in samples(text, "consumer_lag") if labels["topic"] == topic]
            published = sum(v for _, v in samples(text, "outbox_published_events_total"))
            if applied == len(events) and lag and published >= 1:
                break
            assert time.monotonic() < deadline, f"applied {applied}, lag {lag}, published {published}"
            await asyncio.sleep(0.2)
    assert {labels["partition"] for labels, _ in lag} <= {"0", "1", "2"}
    assert all(v == 0 for _, v in lag)  # caught up: nothing behind the committed offsets
