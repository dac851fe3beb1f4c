"""The proposal service in-process, with real Kafka, on SQLite and PostgreSQL."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import func, select

from devstack.kafka import KafkaBroker
from devstack.topics import read_topic
from proposal_service.main import create_app
from proposal_service.models import Proposal
from proposal_service.settings import ProposalSettings
from servicekit.events import EventEnvelope
from servicekit.outbox import OutboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]

ITEM = {
    "title": "关于加强中小学心理健康教育的建议",
    "content": "建议配齐专职心理教师，建立学生心理健康筛查和转介机制。",
    "kind": "individual",
    "category": "科教文卫",
    "lead_proposer": "刘洋",
}


def make_app(database_url: str, kafka: KafkaBroker, namespace: str) -> FastAPI:
    return create_app(
        ProposalSettings(database_url=database_url, kafka_bootstrap_servers=kafka.bootstrap, kafka_namespace=namespace)
    )


async def counts(app: FastAPI) -> tuple[int, int]:
    async with service_runtime(app).database.session() as session:
        proposals = (await session.exec(select(func.count()).select_from(Proposal))).one()
        events = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return proposals, events


async def test_submitting_stores_the_item_and_publishes_proposal_submitted(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    app = make_app(database_url, kafka, namespace)
    async with serve(app) as client:
        response = await client.post("/proposals", json=ITEM)
        assert response.status_code == 201, response.text
        created = response.json()
        records = await read_topic(kafka.bootstrap, f"{namespace}proposal.events", expect=1)
        assert await counts(app) == (1, 1)

    assert len(records) == 1
    assert records[0].key == created["id"].encode()
    event = EventEnvelope.from_bytes(records[0].value or b"")
    assert (event.type, event.dataversion, event.subject, event.source) == (
        "proposal.submitted",
        1,
        created["id"],
        "/services/proposal",
    )
    assert event.correlationid == response.headers["x-correlation-id"]
    assert event.data == {
        "proposal_id": created["id"],
        "title": ITEM["title"],
        "kind": "individual",
        "category": "科教文卫",
        "lead_proposer": "刘洋",
        "submitted_at": created["submitted_at"],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ITEM, "kind": "petition"}, "kind"),
        ({**ITEM, "title": "x" * 201}, "title"),
        ({**ITEM, "unknown": 1}, "unknown"),
        ({k: v for k, v in ITEM.items() if k != "lead_proposer"}, "lead_proposer"),
        ({**ITEM, "category": ["a"]}, "category"),
    ],
)
async def test_invalid_items_are_refused_and_nothing_is_written(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, body: dict[str, object], field: str
) -> None:
    app = make_app(database_url, kafka, namespace)
    async with serve(app) as client:
        response = await client.post("/proposals", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await counts(app) == (0, 0)
