"""Imported members' first sign-in with one-time activation codes (ADR 21): staff make accounts for
the body's members (read from the proposal service, here a fake one behind the gateway's upstream
client), each with a code shown once; POST /auth/activate sets the password and signs in; a wrong,
used or expired code is a 422 naming ``code``; wrong codes are throttled like sign-ins; staff
issue a new code."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.accounts import service as accounts_service
from gateway_service.main import create_app
from gateway_service.settings import GatewaySettings
from servicekit.db import utcnow

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
KEYS = DevKeys()
ADMIN, ADMIN_PASSWORD = "root", "correct horse battery"
BODY = "wuhan-cppcc"
ACTIVATE = "/api/v1/auth/activate"
LOGIN = "/api/v1/auth/login"
MEMBER_ACCOUNTS = f"/api/v1/bodies/{BODY}/member-accounts"
DIRECTORY = [
    {"id": "m-101", "body_id": BODY, "name": "张三", "sector": None, "affiliation": None, "code": "W101"},
    {"id": "m-102", "body_id": BODY, "name": "李四", "sector": None, "affiliation": None, "code": "w102"},
    {"id": "m-103", "body_id": BODY, "name": "王五", "sector": None, "affiliation": None, "code": None},
]


def make_app(database_url: str, kafka: KafkaBroker, namespace: str) -> FastAPI:
    app = create_app(
        GatewaySettings(
            database_url=database_url,
            kafka_bootstrap_servers=kafka.bootstrap,
            kafka_namespace=namespace,
            signing_key=SecretStr(KEYS.private_pem),
            signing_key_id=KEYS.kid,
            password_hash_time_cost=1,
            password_hash_memory_cost=8,
            password_hash_parallelism=1,
            bootstrap_admin_username=ADMIN,
            bootstrap_admin_password=SecretStr(ADMIN_PASSWORD),
            rate_limit_auth_per_minute=10_000,  # the request rate limit is not what this is about
        )
    )
    pages: list[str] = []

    def proposal_service(request: httpx.Request) -> httpx.Response:
        # The body's directory in the page envelope, one member a page, to follow the cursor.
        assert request.url.path == f"/bodies/{BODY}/members", request.url
        cursor = int(request.url.params.get("cursor", "0"))
        pages.append(request.headers.get("authorization", ""))
        more = cursor + 1 < len(DIRECTORY)
        return httpx.Response(
            200, json={"items": [DIRECTORY[cursor]], "next_cursor": str(cursor + 1) if more else None}
        )

    app.state.upstreams.client = httpx.AsyncClient(transport=httpx.MockTransport(proposal_service))
    app.state.directory_calls = pages
    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token(client: httpx.AsyncClient, username: str, password: str) -> str:
    answer = await client.post(LOGIN, json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def staff_of(client: httpx.AsyncClient, admin: str, username: str, body_id: str) -> str:
    account = {
        "username": username,
        "display_name": "提案委",
        "password": "staff-password-1",
        "role": "staff",
        "body_id": body_id,
    }
    assert (await client.post("/api/v1/accounts", json=account, headers=bearer(admin))).status_code == 201
    return await token(client, username, "staff-password-1")


def field_problem(answer: httpx.Response, code: str, field: str) -> None:
    assert answer.status_code == 422, answer.text
    problem: dict[str, Any] = answer.json()
    assert problem["code"] == code, problem
    assert [e["field"] for e in problem["errors"]] == [field], problem


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_staff_make_accounts_with_codes_and_a_member_activates_once(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [utcnow()]
    monkeypatch.setattr(accounts_service, "utcnow", lambda: clock[0])
    app = make_app(database_url, kafka, namespace)
    async with serve(app) as client:
        admin = await token(client, ADMIN, ADMIN_PASSWORD)
        staff = await staff_of(client, admin, "cppcc-staff", BODY)
        other_staff = await staff_of(client, admin, "npc-staff", "wuhan-npc")

        # Only the body's staff (or an administrator) make its members' accounts.
        refused = await client.post(f"/api/v1/bodies/{BODY}/member-accounts", headers=bearer(other_staff))
        assert refused.status_code == 403
        assert (await client.post(MEMBER_ACCOUNTS)).status_code == 401

        made = await client.post(MEMBER_ACCOUNTS, headers=bearer(staff))
        assert made.status_code == 201, made.text
        assert made.headers["cache-control"] == "no-store"
        # The directory was read page by page with the staff's own token.
        assert app.state.directory_calls[-3:] == [f"Bearer {staff}"] * 3
        created = {a["username"]: a for a in made.json()["created"]}
        assert sorted(created) == ["w101", "w102"]
        assert created["w101"]["member_id"] == "m-101" and created["w101"]["display_name"] == "张三"
        assert made.json()["skipped"] == [
            {"member_id": "m-103", "name": "王五", "reason": "no code (编号) to sign in with"}
        ]
        code = created["w101"]["activation_code"]
        assert len(code) == 14 and code.count("-") == 2
        # Done once: a second call makes nothing and shows no code again.
        again = await client.post(MEMBER_ACCOUNTS, headers=bearer(staff))
        assert again.status_code == 201 and again.json() == {"created": [], "skipped": made.json()["skipped"]}

        # No password yet: nothing signs in.
        assert (await client.post(LOGIN, json={"username": "w101", "password": ""})).status_code == 422
        assert (await client.post(LOGIN, json={"username": "w101", "password": "anything-at-all"})).status_code == 401

        # Bad input names the field; a wrong code (or an unknown name) is one answer.
        short = await client.post(ACTIVATE, json={"username": "w101", "code": code, "new_password": "short"})
        field_problem(short, "validation_failed", "new_password")
        wrong = await client.post(
            ACTIVATE, json={"username": "w101", "code": "AAAA-BBBB-CCCC", "new_password": "my-own-password-1"}
        )
        field_problem(wrong, "invalid_activation_code", "code")
        unknown = await client.post(
            ACTIVATE, json={"username": "nobody", "code": code, "new_password": "my-own-password-1"}
        )
        field_problem(unknown, "invalid_activation_code", "code")
        # Another member's code does not open this account.
        crossed = await client.post(
            ACTIVATE,
            json={
                "username": "w101",
                "code": created["w102"]["activation_code"],
                "new_password": "my-own-password-1",
            },
        )
        field_problem(crossed, "invalid_activation_code", "code")

        # The right code, typed in lower case without dashes: signed in.
        typed = code.replace("-", "").lower()
        activated = await client.post(
            ACTIVATE, json={"username": "W101", "code": typed, "new_password": "my-own-password-1"}
        )
        assert activated.status_code == 200, activated.text
        body = activated.json()
        assert body["account"]["username"] == "w101" and body["account"]["member_id"] == "m-101"
        me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200 and me.json()["role"] == "member"
        assert await token(client, "w101", "my-own-password-1")

        # Once only.
        used = await client.post(
            ACTIVATE, json={"username": "w101", "code": code, "new_password": "another-password-2"}
        )
        field_problem(used, "activation_code_used", "code")
        assert await token(client, "w101", "my-own-password-1")

        # w102's code expires after 14 days.
        clock[0] += timedelta(days=14, seconds=1)
        late = await client.post(
            ACTIVATE,
            json={"username": "w102", "code": created["w102"]["activation_code"], "new_password": "my-own-password-2"},
        )
        field_problem(late, "activation_code_expired", "code")

        # Staff issue a new code; a member, or another body's staff, may not.
        account_id = created["w102"]["account_id"]
        reissue = f"/api/v1/accounts/{account_id}/activation-code"
        member = await token(client, "w101", "my-own-password-1")
        assert (await client.post(reissue, headers=bearer(member))).status_code == 403
        assert (await client.post(reissue, headers=bearer(other_staff))).status_code == 403
        assert (
            await client.post("/api/v1/accounts/not-an-id/activation-code", headers=bearer(staff))
        ).status_code == 404
        fresh = await client.post(reissue, headers=bearer(staff))
        assert fresh.status_code == 201 and fresh.headers["cache-control"] == "no-store"
        new_code = fresh.json()["activation_code"]
        assert new_code != created["w102"]["activation_code"]
        by_admin = await client.post(reissue, headers=bearer(admin))
        assert by_admin.status_code == 201
        # Only the newest code works: the one before it was voided.
        voided = await client.post(
            ACTIVATE, json={"username": "w102", "code": new_code, "new_password": "my-own-password-2"}
        )
        field_problem(voided, "invalid_activation_code", "code")
        newest = await client.post(
            ACTIVATE,
            json={"username": "w102", "code": by_admin.json()["activation_code"], "new_password": "my-own-password-2"},
        )
        assert newest.status_code == 200, newest.text


async def test_wrong_codes_are_throttled_like_sign_ins(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [utcnow()]
    monkeypatch.setattr(accounts_service, "utcnow", lambda: clock[0])
    app = make_app(database_url, kafka, namespace)
    async with serve(app) as client:
        admin = await token(client, ADMIN, ADMIN_PASSWORD)
        made = await client.post(MEMBER_ACCOUNTS, headers=bearer(admin))
        code = {a["username"]: a["activation_code"] for a in made.json()["created"]}["w101"]
        guess = {"username": "w101", "code": "AAAA-BBBB-CCCC", "new_password": "my-own-password-1"}
        for _ in range(5):
            field_problem(await client.post(ACTIVATE, json=guess), "invalid_activation_code", "code")
        # Five free failures, then a wait, even for the right code.
        throttled = await client.post(ACTIVATE, json=guess)
        assert throttled.status_code == 429 and throttled.json()["code"] == "too_many_attempts"
        assert throttled.headers["retry-after"] == "1"
        right = {**guess, "code": code}
        assert (await client.post(ACTIVATE, json=right)).status_code == 429
        # Activation failures and sign-in failures are one count: sign-in waits too.
        assert (await client.post(LOGIN, json={"username": "w101", "password": "x"})).status_code == 429
        clock[0] += timedelta(seconds=1)
        assert (await client.post(ACTIVATE, json=right)).status_code == 200
