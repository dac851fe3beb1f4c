"""Conditional GETs through the gateway (ADR 26): If-None-Match goes to the service with the request
forwarded as it is, and the service's 304 comes back unchanged, without a body; the calls the gateway
makes to compose an answer of its own (a dossier's parts) carry no condition meant for the whole."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response
from starlette.requests import Request

from gateway_service.main import create_app
from gateway_service.proxy import Upstreams
from gateway_service.settings import GatewaySettings
from servicekit.middleware import NotModifiedMiddleware

RULES = "/api/v1/bodies/body-1/evaluation-rules"
ETAG = 'W/"3f2a9c0d1e4b5a67"'


def evaluation_service(seen: list[dict[str, str]]) -> FastAPI:
    """A stand-in for the evaluation service: its rules GET with an ETag, behind the middleware every
    service has (servicekit.runtime installs it); ``seen`` gets each request's headers and status."""
    service = FastAPI()
    service.add_middleware(NotModifiedMiddleware)

    @service.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        answer = await call_next(request)
        seen.append({**request.headers, "answered": str(answer.status_code)})
        return answer

    @service.get("/bodies/{body_id}/evaluation-rules")
    async def rules(body_id: str, response: Response) -> dict[str, Any]:
        response.headers["ETag"] = ETAG
        response.headers["Cache-Control"] = "no-cache"
        return {"body_id": body_id, "window_days": 20}

    return service


@pytest.fixture
def gateway() -> tuple[FastAPI, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []
    app = create_app(GatewaySettings(database_url="sqlite+aiosqlite:///:memory:"))
    app.state.upstreams.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=evaluation_service(seen)))
    return app, seen


async def test_a_304_from_the_service_passes_through_the_gateway_unchanged(
    gateway: tuple[FastAPI, list[dict[str, str]]],
) -> None:
    app, seen = gateway
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        first = await client.get(RULES)
        assert first.status_code == 200 and first.json()["window_days"] == 20
        assert first.headers["ETag"] == ETAG

        again = await client.get(RULES, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == ETAG and again.headers["Cache-Control"] == "no-cache"
        assert "content-type" not in again.headers and again.headers.get("content-length", "0") == "0"
        # The service decided (it had the condition and answered 304), not the gateway.
        assert seen[-1]["if-none-match"] == ETAG and seen[-1]["answered"] == "304"
        # The gateway's own answer headers still go on it.
        assert again.headers["X-Content-Type-Options"] == "nosniff" and again.headers["x-request-id"]

        changed = await client.get(RULES, headers={"If-None-Match": 'W/"0000000000000000"'})
        assert changed.status_code == 200 and changed.json()["window_days"] == 20


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": b""})


async def test_only_a_forwarded_request_carries_the_callers_conditions() -> None:
    sent: list[httpx.Headers] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return httpx.Response(200, json={})

    upstreams = Upstreams(GatewaySettings())
    upstreams.client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    caller = _request({"If-None-Match": "*", "If-Match": ETAG, "Accept-Language": "zh-CN"})
    await upstreams.call("proposal", "GET", "/proposals/p-1", caller)  # a part of a dossier
    await upstreams.call("proposal", "GET", "/proposals/p-1", caller, conditional=True)  # forwarded as it is
    part, forwarded = sent
    assert "if-none-match" not in part and "if-match" not in part and part["accept-language"] == "zh-CN"
    assert forwarded["if-none-match"] == "*" and forwarded["if-match"] == ETAG


async def test_a_browser_may_send_if_none_match_across_origins() -> None:
    app = create_app(
        GatewaySettings(database_url="sqlite+aiosqlite:///:memory:", cors_origins=["https://zx.example.gov.cn"])
    )
    preflight = {
        "Origin": "https://zx.example.gov.cn",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match",
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        allowed = await client.options(RULES, headers=preflight)
    assert allowed.status_code == 200
    assert "if-none-match" in allowed.headers["access-control-allow-headers"].lower()
