"""Fixtures shared by every test folder: a real Kafka broker and a throwaway PostgreSQL
cluster for the whole run, and a fresh database per test on SQLite and on PostgreSQL."""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from devstack.kafka import SERVICE_PRINCIPALS, KafkaBroker
from devstack.keys import DevKeys
from devstack.postgres import PostgresCluster


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """The secured broker (SASL_SSL, SCRAM, ACLs; ADR 0010). Each service's credentials are
    exported as its ``<SERVICE>_KAFKA_*`` variables, as a deployment would, so a service's
    settings made in a test log in as that service's principal; tests' own clients use
    ``kafka.client_config()`` (the admin)."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    broker.start()
    with pytest.MonkeyPatch.context() as env:
        for service in SERVICE_PRINCIPALS:
            for name, value in broker.service_env(service).items():
                env.setenv(name, value)
        yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    # Its own temporary folder: pytest's are private to root, and the server runs as "postgres".
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.stop()


def new_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database for one test, once on SQLite and once on PostgreSQL."""
    return new_database(request.param, request, tmp_path)


@asynccontextmanager
async def _serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client,
    ):
        yield client


@pytest.fixture
def serve() -> Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Runs a service app in-process (lifespan included: migrations, relay, consumer)
    and gives an HTTP client for it."""
    return _serve


@pytest.fixture
def namespace(kafka: KafkaBroker) -> str:
    """A Kafka namespace of this test's own, so the shared broker's other topics stay out;
    the services' ACLs for it are granted on the shared broker."""
    name = f"t{uuid.uuid4().hex[:10]}."
    kafka.grant_namespace(name)
    return name


@pytest.fixture(scope="session")
def dev_keys() -> DevKeys:
    """The gateway's signing key for this run; services trust its JWKS (``auth_jwks``)."""
    return DevKeys()


# What needs the broker, the PostgreSQL cluster or the services as processes (tests/chaos has its own
# broker and stack). A test asking for none of them, directly or through another fixture, is "pure".
_INFRASTRUCTURE_FIXTURES = frozenset({"kafka", "postgres", "namespace", "stack", "broker", "make_stack"})
_MARKED_SLOW = frozenset({"integration", "e2e", "chaos"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks ``pure`` the tests that need no Kafka, no PostgreSQL and no stack: ``./dev test --fast``
    runs only those. Decided at collection from the fixtures each test requests (their closure) and
    its parameters: ``database_url`` asks for PostgreSQL only in its "postgresql" case."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if (
            fixtures & _INFRASTRUCTURE_FIXTURES
            or any(isinstance(value, str) and value == "postgresql" for value in params)
            or any(item.get_closest_marker(name) for name in _MARKED_SLOW)
        ):
            continue
        item.add_marker(pytest.mark.pure)
