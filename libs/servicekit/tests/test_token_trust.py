"""Which keys a service trusts for access tokens (issue 10, item 1): only the ones it was
configured with; fetches of the configured JWKS address are bounded and shared."""

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from devstack.keys import AUDIENCE, ISSUER, DevKeys
from servicekit.auth import TokenVerifier
from servicekit.errors import Problem
from servicekit.settings import ServiceSettings

POSTGRES = "postgresql+asyncpg://u:p@db.internal/service"


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 that counts its requests and may answer slowly."""

    def __init__(self, document: str, delay_s: float = 0) -> None:
        self.document, self.delay_s, self.requests = document, delay_s, 0
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if server.delay_s:
                    server.release.wait(server.delay_s)
                body = server.document.encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def gateway_keys() -> DevKeys:
    return DevKeys()


@pytest.fixture
def jwks_server(gateway_keys: DevKeys) -> Iterator[JwksServer]:
    server = JwksServer(gateway_keys.jwks, delay_s=0.3)
    yield server
    server.close()


def test_no_address_is_trusted_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTH_JWKS", "AUTH_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = ServiceSettings()
    assert settings.auth_jwks_url is None and settings.auth_jwks is None
    # An empty variable (how a launcher clears an inherited one) is "not set", not a URL.
    assert ServiceSettings(auth_jwks_url="", auth_jwks="").auth_jwks_url is None


def test_production_refuses_to_start_without_trusted_keys() -> None:
    with pytest.raises(ValidationError, match="auth_jwks"):
        ServiceSettings(environment="production", database_url=POSTGRES)
    ServiceSettings(environment="production", database_url=POSTGRES, auth_jwks=DevKeys().jwks)
    ServiceSettings(
        environment="production", database_url=POSTGRES, auth_jwks_url="https://gateway.internal/.well-known/jwks.json"
    )


async def test_a_verifier_without_configured_keys_fetches_nothing_and_trusts_nothing(gateway_keys: DevKeys) -> None:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(Problem) as refused:
        await verifier.verify(gateway_keys.token("admin"))
    assert refused.value.status == 401
    assert verifier.fetches == 0


async def test_unknown_key_ids_at_once_share_one_fetch_and_a_flood_fetches_once_per_interval(
    gateway_keys: DevKeys, jwks_server: JwksServer
) -> None:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_server.url, refetch_interval_s=3600)
    # Twenty requests with the gateway's (not yet known) key arrive while the one fetch runs:
    # all of them wait for it and pass.
    tokens = [gateway_keys.token("member", subject=f"m-{n}") for n in range(20)]
    principals = await asyncio.gather(*(verifier.verify(t) for t in tokens))
    assert [p.subject for p in principals] == [f"m-{n}" for n in range(20)]
    assert jwks_server.requests == 1

    # An attacker floods tokens naming key ids nobody has: no further fetch within the interval.
    async def forged() -> int:
        attacker = DevKeys(kid=uuid.uuid4().hex)
        try:
            await verifier.verify(attacker.token("admin"))
        except Problem as problem:
            return problem.status
        return 200

    assert set(await asyncio.gather(*(forged() for _ in range(200)))) == {401}
    assert jwks_server.requests == 1 and verifier.fetches == 1


async def test_a_key_the_gateway_no_longer_publishes_stops_verifying(gateway_keys: DevKeys) -> None:
    server = JwksServer(gateway_keys.jwks)
    try:
        verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=server.url, refetch_interval_s=0)
        old_token = gateway_keys.token("member")
        assert (await verifier.verify(old_token)).role == "member"
        rotated = DevKeys()
        server.document = rotated.jwks
        assert (await verifier.verify(rotated.token("member"))).role == "member"  # refetched on the new kid
        with pytest.raises(Problem):
            await verifier.verify(old_token)
    finally:
        server.close()


async def test_pinned_keys_stay_trusted_whatever_the_address_serves(gateway_keys: DevKeys) -> None:
    attacker = DevKeys()
    server = JwksServer(json.dumps({"keys": []}))
    try:
        verifier = TokenVerifier(
            issuer=ISSUER, audience=AUDIENCE, jwks=gateway_keys.jwks, jwks_url=server.url, refetch_interval_s=0
        )
        with pytest.raises(Problem):
            await verifier.verify(attacker.token("admin"))
        assert (await verifier.verify(gateway_keys.token("staff"))).role == "staff"
    finally:
        server.close()
