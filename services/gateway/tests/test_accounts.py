"""Sign-in and accounts at the gateway, in-process, with real Kafka, on SQLite and PostgreSQL."""

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import col, func, select

from devstack.kafka import KafkaBroker
from devstack.keys import AUDIENCE, ISSUER, DevKeys
from gateway_service.accounts import service as accounts_service
from gateway_service.accounts.models import Account, RefreshToken
from gateway_service.main import create_app
from gateway_service.settings import GatewaySettings
from servicekit.auth import Role, TokenVerifier
from servicekit.db import utcnow
from servicekit.pagination import encode_cursor
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]

KEYS = DevKeys()
ADMIN = "root"
ADMIN_PASSWORD = "correct horse battery"
MEMBER = {
    "username": "Liu.Yang",
    "display_name": "刘洋",
    "password": "member-password-1",
    "role": "member",
    "body_id": "wuhan-cppcc",
    "member_id": "m-0042",
}
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
ACCOUNTS = "/api/v1/accounts"


def make_app(database_url: str, kafka: KafkaBroker, namespace: str, **overrides: Any) -> FastAPI:
    settings: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka.bootstrap,
        "kafka_namespace": namespace,
        "signing_key": SecretStr(KEYS.private_pem),
        "signing_key_id": KEYS.kid,
        # Cheap hashes keep the suite fast; the defaults are argon2-cffi's.
        "password_hash_time_cost": 1,
        "password_hash_memory_cost": 8,
        "password_hash_parallelism": 1,
        "bootstrap_admin_username": ADMIN,
        "bootstrap_admin_password": SecretStr(ADMIN_PASSWORD),
    }
    return create_app(GatewaySettings(**{**settings, **overrides}))


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await login(client, ADMIN, ADMIN_PASSWORD)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def create_member(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post(ACCOUNTS, json={**MEMBER, **fields}, headers=await admin_headers(client))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def without_request_id(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k != "request_id"}


async def test_login_issues_a_token_that_verifies_with_the_published_jwks(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        response = await login(client, "ROOT", ADMIN_PASSWORD)  # usernames ignore case
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        assert 30 * 24 * 3600 - 5 <= body["refresh_expires_in"] <= 30 * 24 * 3600
        assert body["account"] == {
            "id": body["account"]["id"],
            "username": "root",
            "display_name": "系统管理员",
            "role": "admin",
            "body_id": None,
            "member_id": None,
            "unit_id": None,
        }

        well_known = await client.get("/.well-known/jwks.json")
        api = await client.get("/api/v1/auth/jwks")
        for answer in (well_known, api):
            assert answer.status_code == 200
            assert answer.headers["cache-control"] == "public, max-age=300"
        assert well_known.json() == api.json()
        assert [k["kid"] for k in well_known.json()["keys"]] == [KEYS.kid]
        assert not {"d"} & well_known.json()["keys"][0].keys()

        verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=json.dumps(well_known.json()))
        principal = await verifier.verify(body["access_token"])
        assert (principal.subject, principal.role, principal.name) == (body["account"]["id"], Role.admin, "系统管理员")
        assert jwt.get_unverified_header(body["access_token"]) == {"alg": "EdDSA", "kid": KEYS.kid, "typ": "JWT"}
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["typ"] == "access"
        assert claims["exp"] - claims["iat"] == 900
        assert len(claims["jti"]) == 32

        me = await client.get(ME, headers=bearer(body["access_token"]))
        assert me.status_code == 200
        assert me.json() == body["account"]


async def test_a_members_token_carries_the_body_and_member(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        created = await create_member(client)
        assert created["username"] == "liu.yang"
        assert created["active"] is True
        assert "password" not in created and "password_hash" not in created

        response = await login(client, "liu.yang", MEMBER["password"])
        assert response.status_code == 200, response.text
        verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=KEYS.jwks)
        principal = await verifier.verify(response.json()["access_token"])
        assert (principal.subject, principal.role, principal.body_id, principal.member_id, principal.unit_id) == (
            created["id"],
            Role.member,
            "wuhan-cppcc",
            "m-0042",
            None,
        )


async def test_only_administrators_manage_accounts(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        await create_member(client)
        member = bearer((await login(client, "liu.yang", MEMBER["password"])).json()["access_token"])
        other = {**MEMBER, "username": "zhang.san"}

        anonymous = await client.post(ACCOUNTS, json=other)
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "unauthorized"
        for answer in (
            await client.post(ACCOUNTS, json=other, headers=member),
            await client.get(ACCOUNTS, headers=member),
        ):
            assert answer.status_code == 403
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "forbidden"

        # Usernames are compared case- and width-insensitively (full-width letters from an IME).
        for taken in ("LIU.YANG", "ｌｉｕ.ｙａｎｇ"):
            duplicate = await client.post(
                ACCOUNTS, json={**MEMBER, "username": taken}, headers=await admin_headers(client)
            )
            assert duplicate.status_code == 409
            assert duplicate.json()["code"] == "username_taken"


async def test_invalid_accounts_are_refused_naming_the_field(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({**MEMBER, "password": "too-short"}, "password"),
        ({**MEMBER, "member_id": None}, "member_id"),
        ({k: v for k, v in MEMBER.items() if k != "body_id"}, "body_id"),
        ({**MEMBER, "role": "staff", "member_id": None, "body_id": None}, "body_id"),
        ({**MEMBER, "role": "unit_staff", "member_id": None}, "unit_id"),
        ({**MEMBER, "role": "admin", "member_id": None, "body_id": None, "unit_id": "u-1"}, "unit_id"),
        ({**MEMBER, "role": "system"}, "role"),
        ({**MEMBER, "role": "superuser"}, "role"),
        ({**MEMBER, "username": "a b"}, "username"),
        ({**MEMBER, "display_name": "   "}, "display_name"),
        ({**MEMBER, "is_admin": True}, "is_admin"),
        ({**MEMBER, "password": 12345678901234}, "password"),
        ({**MEMBER, "display_name": "刘\u0000洋"}, "display_name"),
        ({**MEMBER, "body_id": "\u0000"}, "body_id"),
    ]
    async with serve(make_app(database_url, kafka, namespace)) as client:
        headers = await admin_headers(client)
        for body, field in cases:
            response = await client.post(ACCOUNTS, json=body, headers=headers)
            assert response.status_code == 422, (body, response.text)
            assert response.json()["code"] == "validation_failed"
            assert field in [e["field"] for e in response.json()["errors"]], (body, response.text)
        listed = await client.get(ACCOUNTS, headers=headers)
        assert [a["username"] for a in listed.json()["items"]] == [ADMIN]


async def test_text_no_database_can_hold_gets_a_4xx(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        admin = await admin_headers(client)
        for name in ("a\u0000b", "\ud800"):
            refused = await client.post(
                LOGIN,
                content=json.dumps({"username": name, "password": "x"}),
                headers={"content-type": "application/json"},
            )
            assert refused.status_code == 422
            assert [e["field"] for e in refused.json()["errors"]] == ["username"]
        assert (await client.post(REFRESH, json={"refresh_token": "\u0000"})).status_code == 401
        assert (await client.post(LOGOUT, json={"refresh_token": "\u0000"})).status_code == 204
        assert (await client.get(f"{ACCOUNTS}/%00", headers=admin)).status_code == 404
        forged = await client.get(ACCOUNTS, params={"cursor": encode_cursor(["\u0000"])}, headers=admin)
        assert forged.status_code == 422
        assert forged.json()["code"] == "invalid_cursor"


async def test_unknown_user_wrong_password_and_inactive_account_get_the_same_401(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        created = await create_member(client)
        unknown = await login(client, "nobody", MEMBER["password"])
        wrong = await login(client, "liu.yang", "not-the-password")
        deactivated = await client.post(f"{ACCOUNTS}/{created['id']}/deactivate", headers=await admin_headers(client))
        assert deactivated.status_code == 200
        assert deactivated.json()["active"] is False
        inactive = await login(client, "liu.yang", MEMBER["password"])

    answers = [unknown, wrong, inactive]
    assert {a.status_code for a in answers} == {401}
    assert {a.headers["www-authenticate"] for a in answers} == {'Bearer realm="api"'}
    bodies = [without_request_id(a.json()) for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["code"] == "invalid_credentials"


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://service")


class ThrottleLog(logging.Handler):
    """The structured fields of the sign-in throttling warnings (the service's logger itself:
    the app's lifespan replaces the root logger's handlers)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.fields: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields.get("event") == "login_throttled":
            self.fields.append(fields)


@pytest.fixture
def throttle_log() -> Iterator[ThrottleLog]:
    handler = ThrottleLog()
    logger = logging.getLogger(accounts_service.__name__)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def test_an_attacker_gets_growing_delays_and_cannot_lock_out_the_owner(
    database_url: str,
    kafka: KafkaBroker,
    namespace: str,
    serve: Serve,
    monkeypatch: pytest.MonkeyPatch,
    throttle_log: ThrottleLog,
) -> None:
    clock = [utcnow()]
    monkeypatch.setattr(accounts_service, "utcnow", lambda: clock[0])
    # The request rate limit (real time, not this clock) is not what this test is about.
    app = make_app(database_url, kafka, namespace, rate_limit_auth_per_minute=10_000)
    async with serve(app), client_at(app, "203.0.113.66") as attacker, client_at(app, "198.51.100.20") as owner:
        waits: list[int] = []
        failures = 0
        while failures < 50:
            answer = await login(attacker, ADMIN, f"guess-{failures}")
            if answer.status_code == 401:
                failures += 1
                continue
            assert answer.status_code == 429 and answer.json()["code"] == "too_many_attempts", answer.text
            waits.append(int(answer.headers["retry-after"]))
            # While it waits, even the right password is refused from there.
            assert (await login(attacker, ADMIN, ADMIN_PASSWORD)).status_code == 429
            clock[0] += timedelta(seconds=waits[-1])
        # Five free failures, then a wait that doubles with each failure, up to 15 minutes.
        assert waits[:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        assert waits[10:] == [900] * (len(waits) - 10) and len(waits) == 45
        # The administrator, from their address or from a new one, signs in all the same.
        assert (await login(owner, ADMIN, ADMIN_PASSWORD)).status_code == 200
        async with client_at(app, "192.0.2.44") as travelling:
            assert (await login(travelling, ADMIN, ADMIN_PASSWORD)).status_code == 200
        # Still waiting at the attacker's address: the owner's success did not clear it.
        assert (await login(attacker, ADMIN, ADMIN_PASSWORD)).status_code == 429

    logged = throttle_log.fields
    assert len(logged) == 2 * 45 + 1
    assert {f["reason"] for f in logged} == {"account_address"}
    assert {f["client_address"] for f in logged} == {"203.0.113.66"}
    assert logged[0]["retry_after_s"] == 1 and logged[0]["account_id"]


async def test_the_account_ceiling_spares_the_addresses_it_signed_in_from(
    database_url: str,
    kafka: KafkaBroker,
    namespace: str,
    serve: Serve,
    throttle_log: ThrottleLog,
) -> None:
    app = make_app(database_url, kafka, namespace, login_max_failures_per_account=10, rate_limit_auth_per_minute=1000)
    async with serve(app), client_at(app, "198.51.100.20") as owner:
        assert (await login(owner, ADMIN, ADMIN_PASSWORD)).status_code == 200  # a known address from now on
        await create_member(owner)
        for n in range(10):  # a botnet: two guesses from each of five addresses
            async with client_at(app, f"203.0.113.{n // 2}") as bot:
                assert (await login(bot, ADMIN, "guess")).status_code == 401
                assert (await login(bot, "liu.yang", "guess")).status_code == 401
        # The ceiling is reached: a new address is refused even with the right password ...
        async with client_at(app, "192.0.2.44") as elsewhere:
            refused = await login(elsewhere, ADMIN, ADMIN_PASSWORD)
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 900
            # ... the member never signed in anywhere, so none of its addresses is known.
            assert (await login(elsewhere, "liu.yang", MEMBER["password"])).status_code == 429
        # The address the administrator signs in from is not.
        assert (await login(owner, ADMIN, ADMIN_PASSWORD)).status_code == 200
    assert [f["reason"] for f in throttle_log.fields] == ["account", "account"]


async def test_failed_logins_are_throttled_per_address(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    app = make_app(database_url, kafka, namespace, login_max_failures_per_address=3)
    async with serve(app) as client:
        for name in ("a.one", "b.two", "c.three"):
            assert (await login(client, name, "guess")).status_code == 401
        throttled = await login(client, ADMIN, ADMIN_PASSWORD)
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 900

        elsewhere = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
        async with httpx.AsyncClient(transport=elsewhere, base_url="http://service") as other:
            assert (await login(other, ADMIN, ADMIN_PASSWORD)).status_code == 200


async def test_refresh_rotates_and_a_reused_token_revokes_its_family(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        phone = (await login(client, ADMIN, ADMIN_PASSWORD)).json()
        laptop = (await login(client, ADMIN, ADMIN_PASSWORD)).json()

        rotated = await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
        assert rotated.status_code == 200, rotated.text
        assert rotated.headers["cache-control"] == "no-store"
        second = rotated.json()
        assert second["refresh_token"] != phone["refresh_token"]
        assert second["access_token"] != phone["access_token"]
        assert (await client.get(ME, headers=bearer(second["access_token"]))).status_code == 200

        # The first token again: someone holds a copy. Its family ends, the newer token with it.
        reused = await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
        assert reused.status_code == 401
        assert reused.json()["code"] == "invalid_refresh_token"
        newer = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
        assert newer.status_code == 401
        assert without_request_id(newer.json()) == without_request_id(reused.json())

        # Another sign-in (another device) is a family of its own.
        assert (await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})).status_code == 200

        unknown = await client.post(REFRESH, json={"refresh_token": "not-a-token"})
        assert unknown.status_code == 401
        assert (await client.post(REFRESH, json={"refresh_token": ""})).status_code == 422
        assert (await client.post(REFRESH, json={})).status_code == 422


async def test_logout_revokes_the_refresh_token(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        first = (await login(client, ADMIN, ADMIN_PASSWORD)).json()
        rotated = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()

        out = await client.post(
            LOGOUT, json={"refresh_token": rotated["refresh_token"]}, headers=bearer(rotated["access_token"])
        )
        assert out.status_code == 204
        assert out.content == b""
        assert (await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})).status_code == 401
        # Signing out again, or with a token the gateway does not know, is not an error.
        assert (await client.post(LOGOUT, json={"refresh_token": rotated["refresh_token"]})).status_code == 204
        assert (await client.post(LOGOUT, json={"refresh_token": "unknown"})).status_code == 204


async def test_an_access_token_dies_with_its_sign_in(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    # No service runs: a request the gateway lets through is a 503, one it refuses a 401.
    app = make_app(database_url, kafka, namespace, proposal_url="http://127.0.0.1:9")
    async with serve(app) as client:
        created = await create_member(client)
        phone = (await login(client, "liu.yang", MEMBER["password"])).json()
        laptop = (await login(client, "liu.yang", MEMBER["password"])).json()
        sid = jwt.decode(phone["access_token"], options={"verify_signature": False})["sid"]
        assert sid != jwt.decode(laptop["access_token"], options={"verify_signature": False})["sid"]
        refreshed = (await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})).json()
        assert jwt.decode(refreshed["access_token"], options={"verify_signature": False})["sid"] == sid
        for token in (phone["access_token"], refreshed["access_token"]):
            assert (await client.get("/api/v1/proposals", headers=bearer(token))).status_code == 503

        # Signing out on the phone ends its access tokens at once, not in 15 minutes ...
        assert (await client.post(LOGOUT, json={"refresh_token": refreshed["refresh_token"]})).status_code == 204
        for token in (phone["access_token"], refreshed["access_token"]):
            proxied = await client.get("/api/v1/proposals", headers=bearer(token))
            assert proxied.status_code == 401 and "sign in again" in proxied.json()["detail"]
            assert (await client.get(ME, headers=bearer(token))).status_code == 401
        # ... and only those: the laptop's sign-in goes on.
        assert (await client.get("/api/v1/proposals", headers=bearer(laptop["access_token"]))).status_code == 503

        # Deactivating the account ends every sign-in it has.
        admin = await admin_headers(client)
        assert (await client.post(f"{ACCOUNTS}/{created['id']}/deactivate", headers=admin)).status_code == 200
        assert (await client.get("/api/v1/proposals", headers=bearer(laptop["access_token"]))).status_code == 401
        posted = await client.post("/api/v1/proposals", json={}, headers=bearer(laptop["access_token"]))
        assert posted.status_code == 401


async def test_an_expired_refresh_token_is_refused(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    app = make_app(database_url, kafka, namespace)
    async with serve(app) as client:
        tokens = (await login(client, ADMIN, ADMIN_PASSWORD)).json()
        async with service_runtime(app).database.session() as session:
            await session.exec(update(RefreshToken).values(expires_at=utcnow() - timedelta(seconds=1)))
            await session.commit()
        expired = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
        assert expired.status_code == 401
        assert expired.json()["code"] == "invalid_refresh_token"


async def test_deactivating_an_account_ends_its_sign_ins(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        created = await create_member(client)
        member = (await login(client, "liu.yang", MEMBER["password"])).json()
        admin = await admin_headers(client)

        assert (await client.post(f"{ACCOUNTS}/{created['id']}/deactivate", headers=admin)).status_code == 200
        assert (await client.post(REFRESH, json={"refresh_token": member["refresh_token"]})).status_code == 401
        assert (await client.get(ME, headers=bearer(member["access_token"]))).status_code == 401
        assert (await login(client, "liu.yang", MEMBER["password"])).status_code == 401

        admin_id = (await client.get(ME, headers=admin)).json()["id"]
        itself = await client.post(f"{ACCOUNTS}/{admin_id}/deactivate", headers=admin)
        assert itself.status_code == 409
        assert itself.json()["code"] == "cannot_deactivate_self"
        missing = await client.post(f"{ACCOUNTS}/no-such-id/deactivate", headers=admin)
        assert missing.status_code == 404

        assert (await client.post(f"{ACCOUNTS}/{created['id']}/activate", headers=admin)).status_code == 200
        assert (await login(client, "liu.yang", MEMBER["password"])).status_code == 200


async def test_accounts_are_listed_page_by_page(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        admin = await admin_headers(client)
        for n in range(3):
            await create_member(client, username=f"member.{n}", member_id=f"m-{n}")
        first = (await client.get(ACCOUNTS, params={"limit": 2}, headers=admin)).json()
        second = (await client.get(ACCOUNTS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin)).json()
        assert [a["username"] for a in first["items"] + second["items"]] == ["member.0", "member.1", "member.2", ADMIN]
        assert second["next_cursor"] is None
        members = (await client.get(ACCOUNTS, params={"role": "member"}, headers=admin)).json()
        assert len(members["items"]) == 3
        one = await client.get(f"{ACCOUNTS}/{first['items'][0]['id']}", headers=admin)
        assert one.json()["username"] == "member.0"
        bad = await client.get(ACCOUNTS, params={"cursor": "garbage"}, headers=admin)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "cursor"


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': KEYS.kid})}.{_b64(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def test_bad_access_tokens_get_401(database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        good = (await login(client, ADMIN, ADMIN_PASSWORD)).json()["access_token"]
        claims = jwt.decode(good, options={"verify_signature": False})
        now = int(time.time())
        public = KEYS.key.public_key()
        public_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        public_raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        header, _payload, signature = good.split(".")
        forged_payload = _b64({**claims, "exp": claims["exp"] + 86400})  # a longer life, same signature

        def signed(**changes: Any) -> str:
            return jwt.encode({**claims, **changes}, KEYS.key, algorithm="EdDSA", headers={"kid": KEYS.kid})

        bad = {
            "tampered": f"{header}.{forged_payload}.{signature}",
            "wrong audience": signed(aud="another-platform"),
            "wrong issuer": signed(iss="https://attacker.example"),
            "expired": signed(iat=now - 7200, exp=now - 3600),
            "not an access token": signed(typ="refresh"),
            "unknown role": signed(role="root"),
            "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': KEYS.kid})}.{_b64(claims)}.",
            "HS256 with the public key PEM": _hs256(claims, public_pem),
            "HS256 with the raw public key": _hs256(claims, public_raw),
            "another key, our kid": jwt.encode(claims, DevKeys().key, algorithm="EdDSA", headers={"kid": KEYS.kid}),
            "unknown key": DevKeys().token("admin", subject=claims["sub"]),
            "not a token": "garbage",
        }
        assert (await client.get(ME, headers=bearer(good))).status_code == 200
        for why, token in bad.items():
            response = await client.get(ME, headers=bearer(token))
            assert response.status_code == 401, why
            assert response.json()["code"] == "unauthorized", why
            assert response.headers["www-authenticate"] == 'Bearer realm="api"', why
        assert (await client.get(ME)).status_code == 401
        assert (await client.get(ME, headers={"Authorization": f"Basic {good}"})).status_code == 401


async def count_admins(app: FastAPI) -> int:
    async with service_runtime(app).database.session(read_only=True) as session:
        query = select(func.count()).select_from(Account).where(col(Account.role) == "admin")
        return (await session.exec(query)).one()


async def test_the_bootstrap_admin_is_created_once(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        assert (await login(client, ADMIN, ADMIN_PASSWORD)).status_code == 200

    # A later start with other bootstrap values changes nothing: an administrator exists.
    app = make_app(
        database_url,
        kafka,
        namespace,
        bootstrap_admin_username="root2",
        bootstrap_admin_password=SecretStr("another password"),
    )
    async with serve(app) as client:
        assert await count_admins(app) == 1
        assert (await login(client, ADMIN, ADMIN_PASSWORD)).status_code == 200
        assert (await login(client, "root2", "another password")).status_code == 401


async def test_a_password_is_rehashed_when_the_hash_parameters_change(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        assert (await login(client, ADMIN, ADMIN_PASSWORD)).status_code == 200

    app = make_app(database_url, kafka, namespace, password_hash_time_cost=2)
    async with serve(app) as client:
        assert (await login(client, ADMIN, ADMIN_PASSWORD)).status_code == 200
        async with service_runtime(app).database.session(read_only=True) as session:
            stored = (await session.exec(select(Account.password_hash).where(Account.username == ADMIN))).one()
        assert stored.startswith("$argon2id$v=19$m=8,t=2,p=1$")
        assert (await login(client, ADMIN, ADMIN_PASSWORD)).status_code == 200


async def test_two_refreshes_with_one_token_at_once_end_the_family(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        token = (await login(client, ADMIN, ADMIN_PASSWORD)).json()["refresh_token"]
        answers = await asyncio.gather(*(client.post(REFRESH, json={"refresh_token": token}) for _ in range(2)))
        assert sorted(a.status_code for a in answers) == [200, 401]
        # Only one party may go on with the family; not knowing which, nobody does.
        winner = next(a for a in answers if a.status_code == 200).json()["refresh_token"]
        assert (await client.post(REFRESH, json={"refresh_token": winner})).status_code == 401


async def test_two_accounts_with_one_name_at_once_give_one_409(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve
) -> None:
    async with serve(make_app(database_url, kafka, namespace)) as client:
        headers = await admin_headers(client)
        answers = await asyncio.gather(*(client.post(ACCOUNTS, json=MEMBER, headers=headers) for _ in range(2)))
        assert sorted(a.status_code for a in answers) == [201, 409]
