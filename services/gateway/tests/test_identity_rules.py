"""Rules of the gateway's identity settings, account links and operator commands (no Kafka)."""

import asyncio
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError
from sqlmodel import select

from devstack.keys import DevKeys
from gateway_service.accounts.__main__ import main as accounts_command
from gateway_service.accounts.api import router as accounts_router
from gateway_service.accounts.models import Account, AccountCreate, normalize_username
from gateway_service.main import create_app
from gateway_service.routes import API, ROUTES
from gateway_service.settings import GatewaySettings
from servicekit.auth import Role, TokenVerifier
from servicekit.db import Database

PRODUCTION: dict[str, Any] = {"environment": "production", "database_url": "postgresql+asyncpg://db/gateway"}


def test_production_refuses_to_start_without_a_signing_key() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_SIGNING_KEY"):
        GatewaySettings(**PRODUCTION)
    GatewaySettings(**PRODUCTION, signing_key=SecretStr(DevKeys().private_pem))


def test_production_refuses_a_short_bootstrap_password_and_weak_hashing() -> None:
    key = SecretStr(DevKeys().private_pem)
    with pytest.raises(ValidationError, match="at least 12"):
        GatewaySettings(
            **PRODUCTION, signing_key=key, bootstrap_admin_username="root", bootstrap_admin_password=SecretStr("short")
        )
    with pytest.raises(ValidationError, match="weaker"):
        GatewaySettings(**PRODUCTION, signing_key=key, password_hash_time_cost=1)
    with pytest.raises(ValidationError, match="both"):
        GatewaySettings(bootstrap_admin_username="root")


def test_a_signing_key_that_is_not_ed25519_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        GatewaySettings(signing_key=SecretStr("-----BEGIN PRIVATE KEY-----\nsecretstuff\n-----END PRIVATE KEY-----"))
    assert "secretstuff" not in str(caught.value)


async def test_without_a_key_development_generates_one_that_the_gateway_itself_trusts() -> None:
    settings = GatewaySettings()
    assert settings.signing_key_generated
    assert settings.auth_jwks_url is None  # never fetched from itself over HTTP
    issuer = settings.token_issuer()
    verifier = TokenVerifier(issuer=settings.auth_issuer, audience=settings.auth_audience, jwks=settings.auth_jwks)
    principal = await verifier.verify(issuer.access_token(subject="a-1", role="staff", body_id="b-1", name=None))
    assert (principal.subject, principal.role, principal.body_id, principal.name) == ("a-1", Role.staff, "b-1", None)


async def test_previous_public_keys_are_published_and_trusted_after_a_rotation() -> None:
    old = DevKeys()
    settings = GatewaySettings(signing_key=SecretStr(DevKeys().private_pem), previous_public_keys=old.jwks)
    assert settings.signing_key_id
    assert [k["kid"] for k in json.loads(settings.auth_jwks or "")["keys"]] == [settings.signing_key_id, old.kid]
    verifier = TokenVerifier(issuer=settings.auth_issuer, audience=settings.auth_audience, jwks=settings.auth_jwks)
    assert (await verifier.verify(old.token("member", subject="m-1"))).subject == "m-1"

    private_jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(old.key))
    with pytest.raises(ValidationError, match="public keys only"):
        GatewaySettings(previous_public_keys=json.dumps({"keys": [{**private_jwk, "kid": "x"}]}))
    with pytest.raises(ValidationError, match="JWKS"):
        GatewaySettings(previous_public_keys="[]")


def test_the_default_key_id_is_the_keys_thumbprint() -> None:
    pem = DevKeys().private_pem
    assert (
        GatewaySettings(signing_key=SecretStr(pem)).signing_key_id
        == GatewaySettings(signing_key=SecretStr(pem)).signing_key_id
    )
    assert GatewaySettings(signing_key=SecretStr(pem), signing_key_id="k-2026").signing_key_id == "k-2026"


ACCOUNT: dict[str, Any] = {"username": "wang.wu", "display_name": "王五", "password": "long enough password"}


@pytest.mark.parametrize(
    ("links", "valid"),
    [
        ({"role": "member", "body_id": "b", "member_id": "m"}, True),
        ({"role": "member", "body_id": "b"}, False),
        ({"role": "member", "member_id": "m"}, False),
        ({"role": "member", "body_id": "b", "member_id": "m", "unit_id": "u"}, False),
        ({"role": "staff", "body_id": "b"}, True),
        ({"role": "staff"}, False),
        ({"role": "leader", "body_id": "b"}, True),
        ({"role": "leader", "body_id": "b", "member_id": "m"}, False),
        ({"role": "unit_staff", "unit_id": "u"}, True),
        ({"role": "unit_staff", "unit_id": "u", "body_id": "b"}, True),
        ({"role": "unit_staff", "body_id": "b"}, False),
        ({"role": "admin"}, True),
        ({"role": "admin", "body_id": "b"}, False),
        ({"role": "system"}, False),
    ],
)
def test_each_role_has_the_links_it_needs(links: dict[str, str], valid: bool) -> None:
    if valid:
        AccountCreate.model_validate({**ACCOUNT, **links})
    else:
        with pytest.raises(ValidationError):
            AccountCreate.model_validate({**ACCOUNT, **links})


def test_usernames_are_normalised_and_passwords_kept_out_of_reprs() -> None:
    assert normalize_username(" Ｗａｎｇ.Wu ") == "wang.wu"
    for bad in ("ab", "a b", "-lead", "王五", "x" * 65):
        with pytest.raises(ValueError):
            normalize_username(bad)
    assert ACCOUNT["password"] not in repr(AccountCreate.model_validate({**ACCOUNT, "role": "admin"}))


def test_the_gateways_own_routes_do_not_collide_with_the_proxy_allow_list() -> None:
    own = FastAPI()
    own.include_router(accounts_router)
    own_operations = {(m.upper(), p) for p, ops in own.openapi()["paths"].items() for m in ops}
    assert ("POST", f"{API}/auth/login") in own_operations
    assert not own_operations & {(r.method, r.path) for r in ROUTES}
    assert not [r.path for r in ROUTES if r.path.startswith((f"{API}/auth", f"{API}/accounts", "/.well-known"))]
    # Both kinds are mounted, each operation once.
    document = create_app().openapi()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert {"login", "create_account", *(r.operation_id for r in ROUTES)} <= set(ids)


def test_keygen_prints_an_ed25519_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert accounts_command(["keygen"]) == 0
    key = serialization.load_pem_private_key(capsys.readouterr().out.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)


def test_operators_create_accounts_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    monkeypatch.setenv("GATEWAY_PASSWORD_HASH_TIME_COST", "1")
    monkeypatch.setenv("GATEWAY_PASSWORD_HASH_MEMORY_COST", "8")
    monkeypatch.setenv("GATEWAY_PASSWORD_HASH_PARALLELISM", "1")
    monkeypatch.setenv("GATEWAY_NEW_PASSWORD", "an operator's password")
    args = ["create", "--username", "Ops", "--display-name", "运维", "--role", "admin"]

    assert accounts_command(args) == 0
    account_id = capsys.readouterr().out.strip()
    assert accounts_command(args) == 1
    assert "already in use" in capsys.readouterr().err
    assert accounts_command(["create", "--username", "s", "--display-name", "x", "--role", "staff"]) == 2
    errors = capsys.readouterr().err
    assert "username:" in errors and "body_id:" in errors

    async def stored() -> Account:
        database = Database(url)
        try:
            async with database.session(read_only=True) as session:
                return (await session.exec(select(Account))).one()
        finally:
            await database.dispose()

    account = asyncio.run(stored())
    assert (account.id, account.username, account.role) == (account_id, "ops", "admin")
    assert account.password_hash.startswith("$argon2id$")
