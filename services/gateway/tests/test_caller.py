"""The caller, worked out once per request (caller.py), and the rate limits keyed on it
(issue 10, item 3): in-process, with real Kafka, on SQLite and PostgreSQL."""

import ipaddress
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.caller import client_address
from gateway_service.main import create_app
from gateway_service.settings import GatewaySettings
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
PROXY = "10.1.2.3"


def make_app(database_url: str, kafka: KafkaBroker, namespace: str, keys: DevKeys, **overrides: Any) -> FastAPI:
    settings: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka.bootstrap,
        "kafka_namespace": namespace,
        "signing_key": SecretStr(keys.private_pem),
        "signing_key_id": keys.kid,
        # No service runs: a request the door lets through is a 503, one it refuses a 401.
        "proposal_url": "http://127.0.0.1:9",
        "rate_limit_read_per_minute": 5,
        **overrides,
    }
    return create_app(GatewaySettings(**settings))


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


async def statuses(client: httpx.AsyncClient, headers: list[dict[str, str]]) -> list[int]:
    return [(await client.get("/api/v1/proposals", headers=h)).status_code for h in headers]


async def test_junk_credentials_get_no_budget_of_their_own(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    app = make_app(database_url, kafka, namespace, dev_keys)
    async with serve(app), client_at(app, "198.51.100.7") as client:
        junk = [{"Authorization": f"Bearer junk-{n}"} for n in range(3)] + [
            {"X-API-Key": f"pk_junk-{n}"} for n in range(2)
        ]
        # Each is refused by the door, and each counts against the one address.
        assert await statuses(client, junk) == [401] * 5
        assert await statuses(client, [{"Authorization": "Bearer junk-9"}, {}]) == [429, 429]
        # A token that verifies is a caller of its own, whatever the address did.
        token = dev_keys.token("member", subject="m-1")
        assert await statuses(client, [{"Authorization": f"Bearer {token}"}]) == [503]


async def test_one_token_in_any_spelling_is_one_caller(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    app = make_app(database_url, kafka, namespace, dev_keys)
    token = dev_keys.token("member", subject="m-2")
    spellings = [f"Bearer {token}", f"bearer  {token}", f"BEARER {token}", f"Bearer {token} ", f" Bearer {token}"]
    async with serve(app), client_at(app, "198.51.100.8") as client:
        # Five reads in any spelling use the one budget of five: the sixth is refused.
        assert await statuses(client, [{"Authorization": s} for s in spellings]) == [503] * 5
        assert await statuses(client, [{"Authorization": f"bearer {token}"}]) == [429]
        # Another token for the same subject is the same caller too.
        again = dev_keys.token("member", subject="m-2")
        assert await statuses(client, [{"Authorization": f"Bearer {again}"}]) == [429]
        # The address itself still has its budget.
        assert await statuses(client, [{}]) == [503]


async def test_forwarded_headers_count_only_from_trusted_proxies(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    app = make_app(database_url, kafka, namespace, dev_keys, trusted_proxies=[f"{PROXY}/32", "fd00::/8"])
    async with serve(app), client_at(app, "198.51.100.9") as direct, client_at(app, PROXY) as proxy:
        # From anyone else, X-Forwarded-For / Forwarded are ignored: no fresh budget per header.
        spoofed = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(5)] + [{"Forwarded": "for=203.0.113.77"}]
        assert await statuses(direct, spoofed) == [503] * 5 + [429]
        # Through the trusted proxy, each client named in them has its own budget.
        for n in range(3):
            assert await statuses(proxy, [{"X-Forwarded-For": f"203.0.113.{n}"}] * 5) == [503] * 5
            assert await statuses(proxy, [{"X-Forwarded-For": f"203.0.113.{n}"}]) == [429]
        assert await statuses(proxy, [{"Forwarded": 'for="[2001:db8::1]:4711"'}]) == [503]


def test_the_client_address_is_the_rightmost_untrusted_hop() -> None:
    trusted = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")]

    def address(peer: str, **headers: str) -> str:
        scope = {
            "client": (peer, 1),
            "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
        }
        return client_address(scope, trusted)

    assert address("198.51.100.1", x_forwarded_for="1.2.3.4") == "198.51.100.1"  # untrusted peer
    assert address("10.0.0.5", x_forwarded_for="1.2.3.4") == "1.2.3.4"
    # A client cannot slip an address in front: the proxy appends the real one last.
    assert address("10.0.0.5", x_forwarded_for="6.6.6.6, 1.2.3.4") == "1.2.3.4"
    assert address("10.0.0.5", x_forwarded_for="6.6.6.6, 1.2.3.4, 10.0.0.9") == "1.2.3.4"  # two proxies
    assert address("10.0.0.5", x_forwarded_for="junk") == "10.0.0.5"
    assert address("10.0.0.5", forwarded='for=1.2.3.4;proto=https, for="[2001:db8::2]:80"') == "2001:db8::2"
    assert address("10.0.0.5", forwarded="for=unknown") == "10.0.0.5"
    assert address("10.0.0.5") == "10.0.0.5"
    assert client_address({"client": ("10.0.0.5", 1), "headers": [(b"x-forwarded-for", b"1.2.3.4")]}, []) == "10.0.0.5"


async def test_a_token_is_verified_once_per_request(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    app = make_app(database_url, kafka, namespace, dev_keys)
    async with serve(app) as client:
        verifier = service_runtime(app).verifier
        calls: list[str] = []
        verify = verifier.verify

        async def counting(token: str) -> Any:
            calls.append(token)
            return await verify(token)

        verifier.verify = counting  # type: ignore[method-assign]
        headers = {"Authorization": f"Bearer {dev_keys.token('member', subject='m-3')}", "Idempotency-Key": "k-1"}
        answer = await client.post("/api/v1/proposals", json={}, headers=headers)
        assert answer.status_code == 503
        assert len(calls) == 1  # not again by the door, the rate limiter or the idempotency store
