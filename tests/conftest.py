"""The end-to-end stack, shared by tests/e2e and tests/security (tests/chaos has its own)."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.kafka import KafkaBroker
from devstack.stack import SERVICES, Stack

ADMIN_PASSWORD = "e2e-admin-password"  # the stack's first administrator, "admin"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(
    request: pytest.FixtureRequest, kafka: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The four services as real processes on the shared broker, on SQLite files or PostgreSQL."""
    urls = None
    if request.param == "postgresql":
        cluster = request.getfixturevalue("postgres")
        urls = {name: cluster.create_database(f"e2e_{name}_{uuid.uuid4().hex[:8]}") for name in SERVICES}
    workdir: Path = tmp_path_factory.mktemp(f"stack-{request.param}")
    # Its own topics and consumer groups: the shared broker holds other tests' events too.
    namespace = f"e2e-{uuid.uuid4().hex[:8]}."
    running = Stack(
        workdir=workdir,
        kafka=kafka,  # each service logs in as its own principal; the namespace's ACLs granted
        database_urls=urls,
        namespace=namespace,
        admin_password=ADMIN_PASSWORD,
        extra_env=getattr(request.module, "STACK_ENV", None),  # a test module's own settings
    )
    running.start()
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
