"""Fixtures shared by every test folder: a real Kafka broker and a throwaway PostgreSQL
cluster for the whole run, and a fresh database per test on SQLite and on PostgreSQL."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.kafka import KafkaBroker
from devstack.postgres import PostgresCluster


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    broker.start()
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
