"""Checks on the services' HTTP answers that every test suite makes the same way."""

from typing import Any

import httpx


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
