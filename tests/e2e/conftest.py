"""Shared fixtures of the end-to-end tests: the demo stack the web clients' browser tests drive, and
the Node tools they run (``./dev test`` installs chromium and the npm packages first)."""

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.demo import load_demo_data
from devstack.kafka import KafkaBroker
from devstack.stack import Stack

CLIENTS = Path(__file__).resolve().parents[2] / "clients"
DEMO_ADMIN_PASSWORD = "web-client-admin-password"


@dataclass(frozen=True)
class Node:
    """npx and a way to run a Node command that fails the test with its output."""

    npx: str

    def run(self, args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> None:
        done = subprocess.run(
            args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-20000:]}\n{done.stderr[-5000:]}"


@pytest.fixture(scope="session")
def node() -> Node:
    found = shutil.which("npx")
    assert found, "npx (Node 20 and npm) is needed: ./dev test installs what the clients need"
    assert (CLIENTS / "node_modules").is_dir(), "run `npm ci` in clients/ first (./dev test does)"
    return Node(npx=found)


@pytest.fixture(scope="module")
def demo_stack(kafka: KafkaBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The services on SQLite with the demo data loaded through the gateway, as ./dev run has them;
    one per test module (each browser suite changes the demo data as it goes)."""
    stack = Stack(
        workdir=tmp_path_factory.mktemp("demo-stack"),
        kafka=kafka,
        namespace=f"demo-{uuid.uuid4().hex[:8]}.",
        admin_password=DEMO_ADMIN_PASSWORD,
        # One browser signs in many people from one address in a few minutes.
        extra_env={"GATEWAY_RATE_LIMIT_AUTH_PER_MINUTE": "1000", "GATEWAY_RATE_LIMIT_WRITE_PER_MINUTE": "1000"},
    )
    stack.start()
    try:
        stack.wait_ready()
        load_demo_data(stack.gateway_url, stack.keys, admin_username="admin", admin_password=DEMO_ADMIN_PASSWORD)
        yield stack
    finally:
        stack.stop()
