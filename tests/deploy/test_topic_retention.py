"""The topics a service creates at start carry the retention the rebuild needs (docs/operations.md,
Backups): its event topics are kept forever (retention.ms -1, the evaluation rebuild replays them
from offset 0), its dead-letter topic 90 days. On the secured local broker, as the launchers run it."""

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from fastapi import FastAPI

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from evaluation_service.main import create_app
from evaluation_service.settings import EvaluationSettings

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
NINETY_DAYS_MS = str(90 * 24 * 3600 * 1000)


async def retention_of(kafka: KafkaBroker, topics: list[str]) -> dict[str, str]:
    admin = AIOKafkaAdminClient(**kafka.client_config().kwargs())
    await admin.start()
    try:
        deadline = time.monotonic() + 60
        while not set(topics) <= set(await admin.list_topics()):
            assert time.monotonic() < deadline, f"topics not created: {topics}"
            await asyncio.sleep(0.2)
        answers = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics])
    finally:
        await admin.close()
    found: dict[str, str] = {}
    for answer in answers:
        for _error, _message, _kind, name, entries in answer.resources:
            for key, value, *_ in entries:
                if key == "retention.ms":
                    found[name] = value
    return found


async def test_a_services_topics_keep_events_forever_and_dead_letters_ninety_days(
    kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys, tmp_path: Path
) -> None:
    settings = EvaluationSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}",
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
    )
    async with serve(create_app(settings)):
        events, dead_letters, consumed = (
            f"{namespace}evaluation.events",
            f"{namespace}evaluation-service.dlt",
            f"{namespace}proposal.events",
        )
        retention = await retention_of(kafka, [events, dead_letters, consumed])
    assert retention == {events: "-1", consumed: "-1", dead_letters: NINETY_DAYS_MS}
