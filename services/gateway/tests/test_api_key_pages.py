"""GET /api-keys answers the page envelope ({items, next_cursor}, ADR 20): oldest first, every key
once when walked page by page, and a forged cursor is a 422 naming ``cursor``."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.main import create_app
from gateway_service.settings import GatewaySettings
from servicekit.pagination import encode_cursor

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
KEYS = "/api/v1/api-keys"
SIGNING = DevKeys()


def make_app(database_url: str, kafka: KafkaBroker, namespace: str) -> FastAPI:
    return create_app(
        GatewaySettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka.bootstrap,
            kafka_namespace=namespace,
            signing_key=SecretStr(SIGNING.private_pem),
            signing_key_id=SIGNING.kid,
            password_hash_time_cost=1,
            password_hash_memory_cost=8,
            password_hash_parallelism=1,
            bootstrap_admin_username="root",
            bootstrap_admin_password=SecretStr("correct horse battery"),
        )
    )


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"username": "root", "password": "correct horse battery"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_api_keys_are_listed_in_pages_oldest_first(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        admin = await admin_headers(client)
        made = []
        for i in range(5):
            issued = await client.post(KEYS, json={"name": f"系统{i}", "scopes": ["items:read"]}, headers=admin)
            assert issued.status_code == 201, issued.text
            made.append(issued.json()["id"])
        seen: list[dict[str, Any]] = []
        cursor = None
        for _ in range(10):
            page = await client.get(KEYS, params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=admin)
            assert page.status_code == 200, page.text
            body = page.json()
            assert set(body) == {"items", "next_cursor"} and len(body["items"]) <= 2
            seen += body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert [k["id"] for k in seen] == made
        assert all("key" not in k and "key_hash" not in k for k in seen)  # shown once, never listed

        for forged in ("nonsense", encode_cursor(["yesterday", "x"]), encode_cursor(["2026-01-01T00:00:00+00:00"])):
            refused = await client.get(KEYS, params={"cursor": forged}, headers=admin)
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "invalid_cursor"
            assert [e["field"] for e in refused.json()["errors"]] == ["cursor"]
        assert (await client.get(KEYS, params={"limit": 201}, headers=admin)).status_code == 422
        assert (await client.get(KEYS)).status_code == 401
