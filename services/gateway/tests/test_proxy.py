"""The gateway's forwarding: a safe request the service's dropped keep-alive connection failed is
sent once more; an unsafe one is not (it may have been applied)."""

import httpx
import pytest
from starlette.requests import Request

from gateway_service.proxy import Upstreams
from gateway_service.settings import GatewaySettings
from servicekit.errors import Problem


def request_for(method: str) -> Request:
    return Request({"type": "http", "method": method, "path": "/", "headers": [], "query_string": b""})


def upstreams_failing_first(error: type[httpx.TransportError]) -> tuple[Upstreams, list[str]]:
    """Upstreams whose first request fails as a connection the service closed would."""
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise error("Server disconnected without sending a response.", request=request)
        return httpx.Response(200, json={"ok": True})

    upstreams = Upstreams(GatewaySettings())
    upstreams.client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return upstreams, calls


@pytest.mark.parametrize("error", [httpx.RemoteProtocolError, httpx.ReadError])
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_a_safe_request_on_a_dropped_connection_is_retried_once(
    method: str, error: type[httpx.TransportError]
) -> None:
    upstreams, calls = upstreams_failing_first(error)
    answer = await upstreams.call("proposal", method, "/proposals", request_for(method))
    assert answer.status_code == 200 and calls == [method, method]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_an_unsafe_request_on_a_dropped_connection_is_a_503_not_sent_again(method: str) -> None:
    upstreams, calls = upstreams_failing_first(httpx.RemoteProtocolError)
    with pytest.raises(Problem) as caught:
        await upstreams.call("proposal", method, "/proposals", request_for(method), body=b"{}")
    assert caught.value.status == 503 and calls == [method]


async def test_a_second_failure_is_a_503() -> None:
    upstreams = Upstreams(GatewaySettings())

    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    upstreams.client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    with pytest.raises(Problem) as caught:
        await upstreams.call("proposal", "GET", "/proposals", request_for("GET"))
    assert caught.value.status == 503
