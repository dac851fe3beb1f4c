"""Fixtures of the evaluation service's tests."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI
from rating_scene import Scene

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from evaluation_service.main import create_app
from evaluation_service.settings import EvaluationSettings


@pytest.fixture
def evaluation_settings(database_url: str, kafka: KafkaBroker, namespace: str, dev_keys: DevKeys) -> EvaluationSettings:
    """The service on this test's database and topics, trusting the test's signing keys."""
    return EvaluationSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
    )


@pytest.fixture
async def evaluation(
    serve: Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]], evaluation_settings: EvaluationSettings
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The service running in-process (consumer and outbox relay included) and a client to it."""
    app = create_app(evaluation_settings)
    async with serve(app) as client:
        yield app, client


@pytest.fixture
async def scene(
    evaluation: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> AsyncIterator[Scene]:
    """The rating tests' scene (rating_scene.py); test_access.py has a scene of its own."""
    app, client = evaluation
    yield Scene(client, app, dev_keys, kafka.bootstrap, namespace)
