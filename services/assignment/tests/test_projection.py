"""The assignment service's projection of proposal events, with real Kafka, on SQLite and PostgreSQL."""

import asyncio
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI

from assignment_service.main import create_app
from assignment_service.settings import AssignmentSettings
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish, read_topic
from servicekit.events import EventEnvelope, data_schema_uri

pytestmark = pytest.mark.integration

BODY = "body-1"

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


def submitted(proposal_id: str, version: int = 1) -> EventEnvelope:
    return EventEnvelope(
        source="/services/proposal",
        type="proposal.submitted",
        subject=proposal_id,
        dataschema=data_schema_uri("proposal.submitted", version),
        dataversion=version,
        data={
            "proposal_id": proposal_id,
            "body_id": BODY,
            "title": "关于优化社区公共法律服务的建议",
            "kind": "suggestion",
            "category": "社会法制",
            "lead_proposer": "孙丽",
            "submitted_at": "2026-03-01T08:00:00Z",
        },
    )


async def wait_for(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], timeout: float = 60
) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while (response := await client.get(path, headers=headers)).status_code != 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return response


async def test_submitted_items_are_projected_once_and_unknown_versions_dead_lettered(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    settings = AssignmentSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
    )
    staff = dev_keys.headers("staff", body_id=BODY)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    event = submitted(first)
    future_version = submitted(str(uuid.uuid4()), version=2)
    await publish(kafka.bootstrap, f"{namespace}proposal.events", [event, event, future_version, submitted(second)])
    async with serve(create_app(settings)) as client:
        response = await wait_for(client, f"/proposals/{second}", staff)
        assert response.status_code == 200, response.text
        one = (await client.get(f"/proposals/{first}", headers=staff)).json()
        assert one["status"] == "submitted"  # awaiting registration
        assert one["submitted_at"] == "2026-03-01T08:00:00Z"
        assert (await client.get(f"/proposals/{first}")).status_code == 404  # not for the public
        listed = (await client.get("/proposals", params={"status": "submitted"}, headers=staff)).json()
        assert sorted(i["proposal_id"] for i in listed["items"]) == sorted([first, second])
        dead = await read_topic(kafka.bootstrap, settings.dead_letter_topic, expect=1)
    assert [r.key for r in dead] == [future_version.subject.encode()]
    assert "unknown event type proposal.submitted v2" in dict(dead[0].headers)["dlt_error"].decode()


async def test_queue_filters_are_validated(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    settings = AssignmentSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
    )
    staff = dev_keys.headers("staff", body_id=BODY)
    async with serve(create_app(settings)) as client:
        response = await client.get("/proposals", params={"status": "lost"}, headers=staff)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "status"
        assert (await client.get("/proposals/nope", headers=staff)).status_code == 404
        assert (await client.get("/proposals")).status_code == 401
