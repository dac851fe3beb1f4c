"""Issue 10 against the real stack (the services as uvicorn processes, as `./dev run` starts
them): whose keys the services trust, whose address the gateway believes, and that an access
token ends with its sign-in."""

import contextlib
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from devstack import free_port
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "security-admin-password"
READS_PER_MINUTE = 20
OLD_DEFAULT_PORT = 8000  # where services used to fetch keys from when no address was set


class AttackerJwks:
    """An attacker's JWKS endpoint on 127.0.0.1 publishing their own key; counts requests."""

    def __init__(self, keys: DevKeys, port: int) -> None:
        self.requests = 0
        served = keys.jwks.encode()
        me = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                me.requests += 1
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(served)))
                self.end_headers()
                self.wfile.write(served)

            def log_message(self, *_: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def attacker_keys() -> DevKeys:
    return DevKeys()


@pytest.fixture(scope="module")
def attackers(attacker_keys: DevKeys) -> Iterator[list[AttackerJwks]]:
    """One endpoint at the old default address (when that port is free on this machine), and
    one at an address a careless shell hands every process (PROPOSAL_AUTH_JWKS_URL etc.)."""
    servers = [AttackerJwks(attacker_keys, 0)]
    with contextlib.suppress(OSError):
        servers.append(AttackerJwks(attacker_keys, OLD_DEFAULT_PORT))
    yield servers
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def stack(
    kafka: KafkaBroker, tmp_path_factory: pytest.TempPathFactory, attackers: list[AttackerJwks]
) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("security-stack")
    inherited = {f"{name}_AUTH_JWKS_URL": attackers[0].url for name in ("PROPOSAL", "ASSIGNMENT", "EVALUATION")}
    with pytest.MonkeyPatch.context() as env:
        for name, value in inherited.items():
            env.setenv(name, value)
        running = Stack(
            workdir=workdir,
            kafka_bootstrap=kafka.bootstrap,
            namespace=f"sec-{uuid.uuid4().hex[:8]}.",
            admin_password=ADMIN_PASSWORD,
            extra_env={"GATEWAY_RATE_LIMIT_READ_PER_MINUTE": str(READS_PER_MINUTE)},
        )
        running.start()
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


def test_services_trust_only_the_launchers_keys(
    stack: Stack, attackers: list[AttackerJwks], attacker_keys: DevKeys
) -> None:
    """Issue 10, item 1: tokens minted with keys served from a port anyone can bind are refused,
    and the services never even ask for them, however many unknown key ids arrive."""
    with httpx.Client(base_url=stack["proposal"].url) as direct:
        genuine = direct.get("/proposals", headers=stack.keys.headers("admin", subject="ops"))
        assert genuine.status_code == 200, genuine.text
        for _ in range(30):
            forged = DevKeys(key=attacker_keys.key, kid=uuid.uuid4().hex[:12])
            answer = direct.get("/proposals", headers=forged.headers("admin", subject="attacker"))
            assert answer.status_code == 401, answer.text
        same_kid = direct.get("/proposals", headers=attacker_keys.headers("admin"))
        assert same_kid.status_code == 401
    assert [server.requests for server in attackers] == [0] * len(attackers)


def test_production_refuses_to_start_without_trusted_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if "AUTH_JWKS" not in k}
    env.update(
        PROPOSAL_ENVIRONMENT="production",
        # Past the database check (nothing is connected before the settings are read).
        PROPOSAL_DATABASE_URL="postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none",
    )
    command = [sys.executable, "-m", "uvicorn", "--factory", "proposal_service.main:create_app", "--host",
               "127.0.0.1", "--port", str(free_port())]  # fmt: skip
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("the service started in production without any trusted keys")
    assert result.returncode != 0
    assert "auth_jwks" in result.stderr + result.stdout


def test_an_access_token_ends_with_its_sign_in(stack: Stack) -> None:
    """Issue 10, item 8: after logout, or once the account is deactivated, the gateway refuses
    the access token at once, not when it expires."""
    with httpx.Client(base_url=f"{stack.gateway_url}/api/v1") as c:

        def sign_in(username: str, password: str) -> dict[str, str]:
            answer = c.post("/auth/login", json={"username": username, "password": password})
            assert answer.status_code == 200, answer.text
            tokens: dict[str, str] = answer.json()
            return tokens

        admin = {"Authorization": f"Bearer {sign_in('admin', ADMIN_PASSWORD)['access_token']}"}
        created = c.post(
            "/accounts",
            json={"username": "staff.one", "display_name": "张三", "password": "staff-password-1",
                  "role": "staff", "body_id": "b-1"},
            headers=admin,
        )  # fmt: skip
        assert created.status_code == 201, created.text

        session = sign_in("staff.one", "staff-password-1")
        mine = {"Authorization": f"Bearer {session['access_token']}"}
        assert c.get("/proposals", headers=mine).status_code == 200
        assert c.get("/auth/me", headers=mine).status_code == 200
        assert c.post("/auth/logout", json={"refresh_token": session["refresh_token"]}).status_code == 204
        for path in ("/proposals", "/auth/me"):
            refused = c.get(path, headers=mine)
            assert refused.status_code == 401, (path, refused.text)

        other = {"Authorization": f"Bearer {sign_in('staff.one', 'staff-password-1')['access_token']}"}
        assert c.get("/auth/me", headers=other).status_code == 200
        assert c.post(f"/accounts/{created.json()['id']}/deactivate", headers=admin).status_code == 200
        assert c.get("/proposals", headers=other).status_code == 401
        assert (
            c.post("/bodies", json={"name": "x", "kind": "cppcc", "level": "district"}, headers=other).status_code
            == 401
        )


def test_forwarded_headers_from_an_untrusted_peer_buy_no_budget(stack: Stack) -> None:
    """Issue 10, item 3: X-Forwarded-For from a client (here any local process) is not believed.
    (Last in this module: it spends the local address's read budget.)"""
    with httpx.Client(base_url=f"{stack.gateway_url}/api/v1") as c:
        first = c.get("/bodies", headers={"X-Forwarded-For": "198.51.100.250"})
        assert first.status_code == 200 and first.headers["RateLimit-Limit"] == str(READS_PER_MINUTE)
        left = int(first.headers["RateLimit-Remaining"])  # earlier tests spent some of this address's budget
        answers = [
            c.get("/bodies", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(left + 1)
        ]
        # Each request names another client, and all of them come out of the one budget.
        assert answers == [200] * left + [429]
        # Junk credentials do not buy a budget either: they are the same address.
        assert c.get("/bodies", headers={"Authorization": "Bearer junk"}).status_code == 429
        assert c.get("/bodies", headers={"X-API-Key": "pk_junk"}).status_code == 429
