"""The evaluation service counts each filed item once, with real Kafka, on SQLite and PostgreSQL."""

import asyncio
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish
from evaluation_service.main import create_app
from evaluation_service.settings import EvaluationSettings
from servicekit.events import EventEnvelope, data_schema_uri

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


def submitted(kind: str, category: str | None) -> EventEnvelope:
    proposal_id = str(uuid.uuid4())
    return EventEnvelope(
        source="/services/proposal",
        type="proposal.submitted",
        subject=proposal_id,
        dataschema=data_schema_uri("proposal.submitted", 1),
        dataversion=1,
        data={
            "proposal_id": proposal_id,
            "body_id": "body-1",
            "session_id": "session-1",
            "title": "标题",
            "kind": kind,
            "category": category,
            "lead_proposer": "某委员",
            "submitted_at": "2026-03-01T08:00:00Z",
        },
    )


async def test_statistics_count_each_event_once(
    database_url: str,
    kafka: KafkaBroker,
    namespace: str,
    serve: Serve,
    evaluation_settings: EvaluationSettings,
    dev_keys: DevKeys,
) -> None:
    events = [
        submitted("individual", "城市建设"),
        submitted("individual", "经济发展"),
        submitted("group", "城市建设"),
        submitted("joint", None),
    ]
    # two redeliveries; publish makes the topic, as the broker never auto-creates one
    await publish(kafka.client_config(), f"{namespace}proposal.events", [*events, events[0], events[2]])

    admin = dev_keys.headers("admin", subject="ops")
    async with serve(create_app(evaluation_settings)) as client:
        deadline = time.monotonic() + 60
        while (stats := (await client.get("/statistics/filing", headers=admin)).json())["total"] < 4:
            assert time.monotonic() < deadline, stats
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # time for a wrong double count to show
        stats = (await client.get("/statistics/filing", headers=admin)).json()
        assert (await client.get(f"/proposals/{events[3].subject}", headers=admin)).json()["category"] is None
        # they span every body: a body's staff and the public may not read them
        staff = dev_keys.headers("staff", subject="s", body_id="b")
        assert (await client.get("/statistics/filing", headers=staff)).status_code == 403
        assert (await client.get("/statistics/filing")).status_code == 401
        assert (await client.get(f"/proposals/{events[3].subject}", headers=staff)).status_code == 403
    assert stats == {
        "total": 4,
        "by_kind": {"individual": 2, "group": 1, "joint": 1},
        "by_category": {"城市建设": 2, "经济发展": 1, "未分类": 1},
    }
