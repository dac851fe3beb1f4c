"""The proposal service in-process on real Kafka, with the world its tests stand in (a body, its
session, categories and members: proposal_world.World). A module overrides ``world_names`` for
members of its own."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI
from proposal_world import World

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from proposal_service.main import create_app
from proposal_service.settings import ProposalSettings

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def world_names() -> tuple[str, ...] | None:
    return None  # World's own members


@pytest.fixture
async def world(
    database_url: str,
    kafka: KafkaBroker,
    namespace: str,
    serve: Serve,
    dev_keys: DevKeys,
    world_names: tuple[str, ...] | None,
) -> AsyncIterator[World]:
    app = create_app(
        ProposalSettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka.bootstrap,
            kafka_namespace=namespace,
            auth_jwks=dev_keys.jwks,
            auth_jwks_url=None,
        )
    )
    async with serve(app) as client:
        w = World(client=client, keys=dev_keys)
        w.app = app  # type: ignore[attr-defined]
        yield await (w.setup(names=world_names) if world_names else w.setup())
