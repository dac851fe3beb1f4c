"""Another government system calls the API with a key an administrator issued."""

import httpx
import pytest

from devstack.stack import Stack

pytestmark = pytest.mark.e2e


def test_an_api_key_opens_its_scopes_only_until_it_is_revoked(stack: Stack) -> None:
    with httpx.Client(base_url=f"{stack.gateway_url}/api/v1") as c:
        login = c.post("/auth/login", json={"username": "admin", "password": "e2e-admin-password"})
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        bad = c.post("/api-keys", json={"name": "x", "scopes": ["everything"]}, headers=admin)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "scopes"
        member = {"Authorization": f"Bearer {stack.keys.token('member', member_id='m')}"}
        assert c.post("/api-keys", json={"name": "x", "scopes": ["items:read"]}, headers=member).status_code == 403

        issued = c.post("/api-keys", json={"name": "市政务服务平台", "scopes": ["items:read"]}, headers=admin)
        assert issued.status_code == 201, issued.text
        key = issued.json()["key"]
        listed = c.get("/api-keys", headers=admin).json()
        assert set(listed) == {"items", "next_cursor"}
        assert key not in str(listed) and issued.json()["prefix"] in str(listed)  # shown once, stored hashed

        with_key = {"X-API-Key": key}
        reading = c.get("/proposals", headers=with_key)
        assert reading.status_code == 200 and "RateLimit-Limit" in reading.headers
        writing = c.post("/proposals", json={"title": "t"}, headers=with_key)
        assert (writing.status_code, writing.json()["code"]) == (403, "scope_missing")
        assert c.get("/proposals", headers={"X-API-Key": key + "x"}).status_code == 401

        revoked = c.post(f"/api-keys/{issued.json()['id']}/revoke", headers=admin)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert c.get("/proposals", headers=with_key).status_code == 401

        unit_key = c.post("/api-keys", json={"name": "区办件系统", "scopes": ["replies:write"]}, headers=admin)
        assert unit_key.status_code == 422 and unit_key.json()["code"] == "unit_required"
        unit_key = c.post(
            "/api-keys", json={"name": "区办件系统", "scopes": ["replies:write"], "unit_id": "u-any"}, headers=admin
        )
        inbox = c.get("/assignments", headers={"X-API-Key": unit_key.json()["key"]})
        assert inbox.status_code == 200 and inbox.json() == {"items": [], "next_cursor": None}
