"""A member changes their own password (POST /auth/password): the current password is required,
the new one signs in, the old one no longer does, and every other sign-in ends at once while
this one goes on."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.main import create_app
from gateway_service.settings import GatewaySettings

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
PASSWORD = "/api/v1/auth/password"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"
ACCOUNTS = "/api/v1/accounts"
KEYS = DevKeys()
ADMIN, ADMIN_PASSWORD = "root", "correct horse battery"
MEMBER = {
    "username": "wang.fang",
    "display_name": "王芳",
    "password": "member-password-1",
    "role": "member",
    "body_id": "wuhan-cppcc",
    "member_id": "m-0007",
}


def make_app(database_url: str, kafka: KafkaBroker, namespace: str) -> FastAPI:
    return create_app(
        GatewaySettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka.bootstrap,
            kafka_namespace=namespace,
            signing_key=SecretStr(KEYS.private_pem),
            signing_key_id=KEYS.kid,
            # Cheap hashes keep the test fast.
            password_hash_time_cost=1,
            password_hash_memory_cost=8,
            password_hash_parallelism=1,
            bootstrap_admin_username=ADMIN,
            bootstrap_admin_password=SecretStr(ADMIN_PASSWORD),
        )
    )


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_changing_the_password_ends_the_other_sign_ins(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        admin = (await login(client, ADMIN, ADMIN_PASSWORD)).json()["access_token"]
        assert (await client.post(ACCOUNTS, json=MEMBER, headers=bearer(admin))).status_code == 201
        phone = (await login(client, MEMBER["username"], MEMBER["password"])).json()
        laptop = (await login(client, MEMBER["username"], MEMBER["password"])).json()
        new = "a-new-member-password"

        # Not signed in, or a wrong current password: nothing changes.
        assert (
            await client.post(PASSWORD, json={"old_password": MEMBER["password"], "new_password": new})
        ).status_code == 401
        wrong = await client.post(
            PASSWORD, json={"old_password": "not-it", "new_password": new}, headers=bearer(phone["access_token"])
        )
        assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_password"
        assert [e["field"] for e in wrong.json()["errors"]] == ["old_password"]
        short = await client.post(
            PASSWORD,
            json={"old_password": MEMBER["password"], "new_password": "short"},
            headers=bearer(phone["access_token"]),
        )
        assert short.status_code == 422 and "new_password" in {e["field"] for e in short.json()["errors"]}
        assert (await client.get(ME, headers=bearer(laptop["access_token"]))).status_code == 200

        changed = await client.post(
            PASSWORD,
            json={"old_password": MEMBER["password"], "new_password": new},
            headers=bearer(phone["access_token"]),
        )
        assert changed.status_code == 204, changed.text
        # This sign-in goes on; the other one ends, access and refresh token alike.
        assert (await client.get(ME, headers=bearer(phone["access_token"]))).status_code == 200
        assert (await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})).status_code == 200
        assert (await client.get(ME, headers=bearer(laptop["access_token"]))).status_code == 401
        assert (await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})).status_code == 401
        # Only the new password signs in.
        assert (await login(client, MEMBER["username"], MEMBER["password"])).status_code == 401
        assert (await client.post(LOGIN, json={"username": MEMBER["username"], "password": new})).status_code == 200
