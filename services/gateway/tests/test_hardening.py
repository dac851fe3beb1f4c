"""Rate limits, security headers, CORS and Idempotency-Key at the gateway, in-process, with
real Kafka, on SQLite and PostgreSQL."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response
from pydantic import SecretStr
from starlette.requests import Request

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.caller import Caller
from gateway_service.idempotency import REPLAYED, IdempotencyStore
from gateway_service.main import create_app
from gateway_service.settings import GatewaySettings
from servicekit.errors import Problem
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


def make_app(database_url: str, kafka: KafkaBroker, namespace: str, keys: DevKeys, **overrides: Any) -> FastAPI:
    settings: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka.bootstrap,
        "kafka_namespace": namespace,
        "signing_key": SecretStr(keys.private_pem),
        "signing_key_id": keys.kid,
        **overrides,
    }
    return create_app(GatewaySettings(**settings))


async def test_each_route_class_has_its_rate_limit(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    app = make_app(database_url, kafka, namespace, dev_keys, rate_limit_auth_per_minute=3, rate_limit_read_per_minute=5)
    async with serve(app) as client:
        answers = [await client.get("/api/v1/auth/jwks") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "3" and answers[0].headers["RateLimit-Remaining"] == "2"
        limited = answers[-1]
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        # A 429 is an answer like the others: security headers and request id included.
        assert limited.headers["X-Content-Type-Options"] == "nosniff"
        assert limited.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert limited.headers["x-request-id"]
        # Another class and another caller have their own budgets; health checks have none.
        assert (await client.get("/.well-known/jwks.json")).status_code == 200
        token = {"Authorization": f"Bearer {dev_keys.token('admin')}"}
        assert (await client.get("/api/v1/auth/jwks", headers=token)).status_code == 200
        assert [(await client.get("/health/live")).status_code for _ in range(10)] == [200] * 10


async def test_answers_carry_security_headers_and_cors_is_limited_to_configured_origins(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    app = make_app(database_url, kafka, namespace, dev_keys, cors_origins=["https://zx.example.gov.cn"])
    async with serve(app) as client:
        response = await client.get("/api/v1/auth/jwks")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "Strict-Transport-Security" not in response.headers  # production only
        preflight = {"Origin": "https://zx.example.gov.cn", "Access-Control-Request-Method": "POST"}
        allowed = await client.options("/api/v1/proposals", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://zx.example.gov.cn"
        other = await client.options("/api/v1/proposals", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        error = await client.get("/api/v1/nothing-here")
        assert error.status_code == 404 and "Traceback" not in error.text and "127.0.0.1" not in error.text


async def test_an_idempotency_key_claims_once_and_replays_what_was_answered(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    app = make_app(database_url, kafka, namespace, dev_keys)
    async with serve(app):
        runtime = service_runtime(app)
        store = IdempotencyStore(runtime.database, ttl_s=3600)

        def request(body: bytes) -> Request:
            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            scope = {
                "type": "http",
                "method": "POST",
                "path": "/api/v1/proposals",
                "headers": [],
                "client": ("10.0.0.1", 1),
                "query_string": b"",
            }
            return Request(scope, receive)

        async def caller(subject: str) -> Caller:
            """The caller as the gateway works it out: a verified token's subject."""
            return Caller(
                "10.0.0.1", principal=await runtime.verifier.verify(dev_keys.token("member", subject=subject))
            )

        one, two = await caller("member-1"), await caller("member-2")
        scope, replay = await store.begin(request(b'{"a":1}'), "key-1", one)
        assert replay is None
        with pytest.raises(Problem) as running:
            await store.begin(request(b'{"a":1}'), "key-1", one)
        assert (running.value.status, running.value.code) == (409, "idempotency_in_progress")
        await store.finish(scope, httpx_response(201, b'{"id":"p-1"}'))
        _, replay = await store.begin(request(b'{"a":1}'), "key-1", one)
        assert replay is not None and replay.status_code == 201 and bytes(replay.body) == b'{"id":"p-1"}'
        assert replay.headers[REPLAYED] == "true"
        with pytest.raises(Problem) as reused:
            await store.begin(request(b'{"a":2}'), "key-1", one)
        assert (reused.value.status, reused.value.code) == (422, "idempotency_key_reused")
        # The same key from another caller is another key; a 5xx answer is forgotten.
        other, replay = await store.begin(request(b'{"a":1}'), "key-1", two)
        assert replay is None
        await store.finish(other, httpx_response(503, b"{}"))
        assert (await store.begin(request(b'{"a":1}'), "key-1", two))[1] is None
        with pytest.raises(Problem):
            await store.begin(request(b"{}"), "", one)


def httpx_response(status: int, body: bytes) -> Response:
    return Response(body, status_code=status, headers={"content-type": "application/json"})


async def test_the_door_refuses_bad_tokens_and_anonymous_writes_before_any_service(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> None:
    # The services are not running: a request that got past the door would be a 503.
    app = make_app(database_url, kafka, namespace, dev_keys, proposal_url="http://127.0.0.1:9")
    async with serve(app) as client:
        good = dev_keys.token("member", member_id="m-1")
        tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
        expired = dev_keys.token("member", ttl_s=-120)
        other_key = DevKeys().token("member")
        for token in (tampered, expired, other_key, "not-a-jwt"):
            response = await client.get("/api/v1/proposals", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, (token[:20], response.text)
        assert (await client.post("/api/v1/proposals", json={})).status_code == 401
        assert (await client.get("/api/v1/proposals", headers={"Authorization": "Basic eDp5"})).status_code == 401
        assert (await client.get("/api/v1/proposals")).status_code == 503  # anonymous reads pass
        passed = await client.post("/api/v1/proposals", json={}, headers={"Authorization": f"Bearer {good}"})
        assert passed.status_code == 503 and "127.0.0.1" not in passed.text
