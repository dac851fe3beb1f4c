"""The assignment service in-process on real Kafka, with the world its tests stand in (bodies, units,
registered items: assignment_world.HandlingWorld). A module overrides ``assignment_overrides`` for
settings of its own."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from assignment_world import HandlingWorld
from fastapi import FastAPI

from assignment_service.main import create_app
from assignment_service.settings import AssignmentSettings
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def assignment_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def world(
    database_url: str,
    kafka: KafkaBroker,
    namespace: str,
    serve: Serve,
    dev_keys: DevKeys,
    assignment_overrides: dict[str, Any],
) -> AsyncIterator[HandlingWorld]:
    settings = AssignmentSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
        reminders_enabled=False,
        **assignment_overrides,
    )
    app = create_app(settings)
    async with serve(app) as client:
        yield await HandlingWorld(client, app, dev_keys, kafka.bootstrap, namespace).setup()
