"""Two gateway replicas (processes) sharing their rate-limit counters in Redis: a caller gets the
limit once across both, not once per replica (with memory:// each replica would allow it all)."""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack import free_port, free_ports
from devstack.keys import DevKeys
from devstack.stack import ServiceProcess, wait_http

LIMIT = 4


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: ./dev setup installs it (Debian's redis-server)"
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def gateways(redis_url: str, tmp_path: Path, dev_keys: DevKeys) -> Iterator[list[ServiceProcess]]:
    replicas = []
    for n, port in enumerate(free_ports(2)):
        env = {
            "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / f'gateway{n}.db'}",
            # No broker: the rate limiter needs none, and a service starts without Kafka.
            "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "GATEWAY_SIGNING_KEY": dev_keys.private_pem,
            "GATEWAY_SIGNING_KEY_ID": dev_keys.kid,
            "GATEWAY_RATE_LIMIT_READ_PER_MINUTE": str(LIMIT),
            "GATEWAY_RATE_LIMIT_STORAGE_URI": redis_url,
        }
        replicas.append(ServiceProcess("gateway", port, env, tmp_path / f"gateway{n}.log"))
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            wait_http(f"{replica.url}/health/live", timeout=60)
        yield replicas
    finally:
        for replica in replicas:
            replica.stop()


def test_the_limit_holds_across_replicas(gateways: list[ServiceProcess]) -> None:
    first, second = gateways
    statuses = []
    for n in range(LIMIT + 1):
        replica = (first, second)[n % 2]
        answer = httpx.get(f"{replica.url}/.well-known/jwks.json")
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            assert answer.headers["RateLimit-Remaining"] == str(LIMIT - n - 1)
    # Each replica saw at most 3 requests, under the limit of 4: only the shared count refuses the fifth.
    assert statuses == [200] * LIMIT + [429]
    refused = httpx.get(f"{second.url}/.well-known/jwks.json")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_the_storage_setting_names_a_known_store() -> None:
    from pydantic import ValidationError

    from gateway_service.settings import GatewaySettings

    with pytest.raises(ValidationError, match="rate_limit_storage_uri"):
        GatewaySettings(rate_limit_storage_uri="postgresql://db/gateway")
