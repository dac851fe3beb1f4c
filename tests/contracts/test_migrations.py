"""Each service's migrations create exactly what its models describe, on SQLite and PostgreSQL.

Run in a subprocess per service: a process holds one service's models (ADR 4).
"""

import subprocess
import sys
import uuid

import pytest

from devstack.postgres import PostgresCluster
from devstack.stack import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_models_on_sqlite(service: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "servicekit.migrate", f"{service}_service", "check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_models_on_postgresql(service: str, postgres: PostgresCluster) -> None:
    url = postgres.create_database(f"m_{service}_{uuid.uuid4().hex[:8]}")
    result = subprocess.run(
        [sys.executable, "-m", "servicekit.migrate", f"{service}_service", "check", "--url", url],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
