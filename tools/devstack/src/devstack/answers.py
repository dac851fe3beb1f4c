"""Checks on the services' HTTP answers that every test suite makes the same way."""

from typing import Any

import httpx
from fastapi import FastAPI

try:  # FastAPI >= 0.120 nests included routers; this flattens them
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI lists every route in app.routes

    def iter_route_contexts(routes: Any) -> Any:  # type: ignore[misc]
        return routes


# Routes that are infrastructure, not a service's API: no row in an access matrix.
INFRASTRUCTURE = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics"}
INFRASTRUCTURE_PREFIXES = ("/health/",)


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of an answer that has ``status`` (the body shown when it has not)."""
    assert response.status_code == status, response.text
    return response.json()


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The body of a problem+json answer with this status and machine-readable code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of a service's API (HEAD and infrastructure left out): what an
    access matrix must have a row for."""
    routes = set()
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path", None)
        if path is None or path in INFRASTRUCTURE or path.startswith(INFRASTRUCTURE_PREFIXES):
            continue
        routes |= {(method, path) for method in getattr(route, "methods", None) or () if method != "HEAD"}
    return routes
