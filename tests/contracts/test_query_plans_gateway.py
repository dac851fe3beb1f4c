"""No request of the gateway reads a whole table (the machinery: query_plans.py), through its HTTP
routes only: accounts made and listed with their filters and cursors, sign-in (right and wrong
passwords, refresh, logout, a password change, activation codes), API keys issued, listed, used
and revoked, and proxied writes with an Idempotency-Key (the upstreams are closed ports: the
gateway's own reads and writes happen all the same)."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import AnyHttpUrl, SecretStr
from query_plans import Captured, assert_no_full_scans, capture, ok
from sqlmodel import SQLModel

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.main import create_app  # its models (gateway_service.models) join SQLModel's metadata
from gateway_service.settings import GatewaySettings

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
API = "/api/v1"
ADMIN_PASSWORD = "correct horse battery"
CLOSED = [AnyHttpUrl("http://127.0.0.1:9")]  # nothing listens there

# Tables a full read of which is fine, each with why it stays small.
SMALL_TABLES: dict[str, str] = {}


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
async def gateway(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> AsyncIterator[tuple[httpx.AsyncClient, Captured, str]]:
    settings = GatewaySettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        signing_key=SecretStr(dev_keys.private_pem),
        signing_key_id=dev_keys.kid,
        password_hash_time_cost=1,
        password_hash_memory_cost=8,
        password_hash_parallelism=1,
        bootstrap_admin_username="root",
        bootstrap_admin_password=SecretStr(ADMIN_PASSWORD),
        proposal_url=CLOSED,
        assignment_url=CLOSED,
        evaluation_url=CLOSED,
        notification_url=CLOSED,
        upstream_connect_timeout_s=0.5,
    )
    app = create_app(settings)
    async with serve(app) as client:
        yield client, capture(app), database_url


async def test_gateway_request_paths_read_no_table_in_full(gateway: tuple[httpx.AsyncClient, Captured, str]) -> None:
    c, captured, url = gateway

    async def login(username: str, password: str, status: int = 200) -> Any:
        return ok(await c.post(f"{API}/auth/login", json={"username": username, "password": password}), status)

    admin = bearer(await login("root", ADMIN_PASSWORD))
    members = []
    for i in range(4):
        account = {
            "username": f"member.{i}",
            "display_name": f"委员{i}",
            "password": f"member-password-{i}",
            "role": "member",
            "body_id": "wuhan-cppcc",
            "member_id": f"m-{i:04}",
        }
        members.append(ok(await c.post(f"{API}/accounts", json=account, headers=admin), 201))
    staff = {
        "username": "staff.1",
        "display_name": "提案委",
        "password": "staff-password-1",
        "role": "staff",
        "body_id": "wuhan-cppcc",
    }
    ok(await c.post(f"{API}/accounts", json=staff, headers=admin), 201)

    with captured.recorded():
        # sign-in: right and wrong passwords, an unknown name, refresh, me, logout, a password change
        tokens = await login("member.0", "member-password-0")
        await login("member.0", "wrong-password-0", 401)
        await login("nobody", "wrong-password-0", 401)
        staff_tokens = await login("staff.1", "staff-password-1")
        ok(await c.get(f"{API}/auth/me", headers=bearer(tokens)))
        refreshed = ok(await c.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}))
        await c.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})  # reused: refused
        ok(await c.post(f"{API}/auth/refresh", json={"refresh_token": "not-a-token"}), 401)
        again = await login("member.1", "member-password-1")
        change = {"old_password": "member-password-1", "new_password": "member-password-1b"}
        ok(await c.post(f"{API}/auth/password", json=change, headers=bearer(again)), 204)
        ok(await c.post(f"{API}/auth/logout", json={"refresh_token": refreshed["refresh_token"]}), 204)
        ok(await c.get(f"{API}/auth/jwks"))
        # accounts: listed with filters and cursors, read, deactivated and activated again
        for params in ({}, {"role": "member"}, {"active": "true"}, {"role": "staff", "active": "false"}):
            page = ok(await c.get(f"{API}/accounts", params={"limit": 2, **params}, headers=admin))
            if page["next_cursor"]:
                more = {"limit": 2, **params, "cursor": page["next_cursor"]}
                ok(await c.get(f"{API}/accounts", params=more, headers=admin))
        ok(await c.get(f"{API}/accounts/{members[2]['id']}", headers=admin))
        ok(await c.post(f"{API}/accounts/{members[2]['id']}/deactivate", headers=admin))
        await login("member.2", "member-password-2", 401)
        ok(await c.post(f"{API}/accounts/{members[2]['id']}/activate", headers=admin))
        # an activation code, issued by an administrator and by the body's staff, then used
        ok(await c.post(f"{API}/accounts/{members[3]['id']}/activation-code", headers=admin), 201)
        issued = ok(
            await c.post(f"{API}/accounts/{members[3]['id']}/activation-code", headers=bearer(staff_tokens)), 201
        )
        activation = {"username": "member.3", "code": issued["activation_code"], "new_password": "my-own-password-3"}
        ok(await c.post(f"{API}/auth/activate", json=activation))
        wrong = {"username": "member.3", "code": "AAAA-BBBB-CCCC", "new_password": "my-own-password-3"}
        await c.post(f"{API}/auth/activate", json=wrong)
        # API keys: issued, listed a page at a time, used, revoked, refused after
        keys = [
            ok(await c.post(f"{API}/api-keys", json={"name": f"系统{i}", "scopes": ["items:read"]}, headers=admin), 201)
            for i in range(3)
        ]
        page = ok(await c.get(f"{API}/api-keys", params={"limit": 2}, headers=admin))
        ok(await c.get(f"{API}/api-keys", params={"limit": 2, "cursor": page["next_cursor"]}, headers=admin))
        await c.get(f"{API}/proposals", headers={"X-API-Key": keys[0]["key"]})
        await c.get(f"{API}/proposals", headers={"X-API-Key": "pk_junk-1"})
        ok(await c.post(f"{API}/api-keys/{keys[1]['id']}/revoke", headers=admin))
        await c.get(f"{API}/proposals", headers={"X-API-Key": keys[1]["key"]})
        # proxied writes with an Idempotency-Key (first, replayed), and reads, signed in
        member = bearer(await login("member.0", "member-password-0"))
        for key in ("k-1", "k-1", "k-2"):
            await c.post(f"{API}/proposals", json={"title": "t"}, headers={**member, "Idempotency-Key": key})
        await c.get(f"{API}/proposals", headers=member)
        await c.get(f"{API}/notifications", headers=member)

    await assert_no_full_scans(url, captured, SQLModel.metadata.tables, small=SMALL_TABLES, at_least=15)
