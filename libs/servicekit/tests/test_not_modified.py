"""Conditional GETs (ADR 26): If-None-Match naming the ETag of a 200 is a 304 without a body;
everything else passes through untouched, streams included, and nothing is buffered."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from servicekit.middleware import NotModifiedMiddleware
from servicekit.preconditions import if_none_match_names

WEAK = 'W/"5d41402abc4b2a76"'
STRONG = '"v1"'


def app() -> FastAPI:
    api = FastAPI()
    api.add_middleware(NotModifiedMiddleware)

    @api.get("/rules")
    async def rules(response: Response) -> dict[str, int]:
        response.headers["ETag"] = WEAK
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["Vary"] = "Authorization"
        response.headers["Content-Disposition"] = 'inline; filename="rules.json"'
        return {"window_days": 20}

    @api.api_route("/strong", methods=["GET", "HEAD"])
    async def strong(response: Response) -> dict[str, int]:
        response.headers["ETag"] = STRONG
        return {"version": 1}

    @api.get("/plain")
    async def plain() -> dict[str, int]:
        return {"no": 1}

    @api.post("/rules")
    async def post_rules(response: Response) -> dict[str, int]:
        response.headers["ETag"] = WEAK
        return {"window_days": 20}

    @api.get("/missing")
    async def missing() -> Response:
        return Response('{"code":"not_found"}', status_code=404, headers={"ETag": WEAK})

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(3):
            yield f"data: {n}\n\n".encode()

    @api.get("/events")
    async def events() -> StreamingResponse:
        return StreamingResponse(chunks(), media_type="text/event-stream", headers={"ETag": WEAK})

    @api.get("/download")
    async def download() -> StreamingResponse:
        return StreamingResponse(chunks(), media_type="text/csv", headers={"ETag": WEAK})

    return api


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://service") as c:
        yield c


async def test_a_get_naming_the_current_etag_is_a_304_without_a_body(client: httpx.AsyncClient) -> None:
    first = await client.get("/rules")
    assert first.status_code == 200 and first.headers["ETag"] == WEAK
    again = await client.get("/rules", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == WEAK
    assert again.headers["Cache-Control"] == "private, no-cache" and again.headers["Vary"] == "Authorization"
    for gone in ("content-type", "content-length", "content-disposition"):
        assert gone not in again.headers
    # One of a list (in one header or several), and HEAD like GET.
    listed = await client.get("/rules", headers={"If-None-Match": f'"other", {WEAK}'})
    assert listed.status_code == 304
    split = await client.get("/rules", headers=[("If-None-Match", '"other"'), ("If-None-Match", WEAK)])
    assert split.status_code == 304
    head = await client.head("/strong", headers={"If-None-Match": STRONG})
    assert head.status_code == 304 and head.headers["ETag"] == STRONG


async def test_another_etag_is_the_whole_200(client: httpx.AsyncClient) -> None:
    for header in ('W/"0000000000000000"', '"something", W/"else"', "garbage", ""):
        answer = await client.get("/rules", headers={"If-None-Match": header})
        assert answer.status_code == 200 and answer.json() == {"window_days": 20}, header
        assert answer.headers["content-type"] == "application/json"


async def test_comparison_is_weak_both_ways(client: httpx.AsyncClient) -> None:
    # If-None-Match compares weakly (RFC 9110 section 13.1.2): the W/ prefix on either side does not count.
    assert (await client.get("/rules", headers={"If-None-Match": WEAK.removeprefix("W/")})).status_code == 304
    assert (await client.get("/strong", headers={"If-None-Match": STRONG})).status_code == 304
    assert (await client.get("/strong", headers={"If-None-Match": f"W/{STRONG}"})).status_code == 304
    assert (await client.get("/strong", headers={"If-None-Match": 'W/"v2"'})).status_code == 200


async def test_a_star_matches_any_etag_but_not_an_answer_without_one(client: httpx.AsyncClient) -> None:
    assert (await client.get("/rules", headers={"If-None-Match": "*"})).status_code == 304
    assert (await client.get("/strong", headers={"If-None-Match": " * "})).status_code == 304
    plain = await client.get("/plain", headers={"If-None-Match": "*"})
    assert plain.status_code == 200 and plain.json() == {"no": 1}


async def test_other_methods_and_statuses_are_untouched(client: httpx.AsyncClient) -> None:
    posted = await client.post("/rules", headers={"If-None-Match": WEAK})
    assert posted.status_code == 200 and posted.json() == {"window_days": 20}
    missing = await client.get("/missing", headers={"If-None-Match": WEAK})
    assert missing.status_code == 404 and missing.json() == {"code": "not_found"}


async def test_an_event_stream_is_never_a_304(client: httpx.AsyncClient) -> None:
    answer = await client.get("/events", headers={"If-None-Match": WEAK})
    assert answer.status_code == 200 and answer.text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"


async def test_a_matching_download_is_a_304_and_the_rest_is_dropped(client: httpx.AsyncClient) -> None:
    answer = await client.get("/download", headers={"If-None-Match": WEAK})
    assert answer.status_code == 304 and answer.content == b""


async def test_a_stream_that_does_not_qualify_goes_out_chunk_by_chunk() -> None:
    """Nothing is held back: the first chunk reaches the server before the app writes the second."""
    delivered: list[Message] = []
    first_out = asyncio.Event()

    async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b'W/"a"')]})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        await asyncio.wait_for(first_out.wait(), timeout=5)
        await send({"type": "http.response.body", "body": b"two", "more_body": False})

    async def server_send(message: Message) -> None:
        delivered.append(message)
        if message.get("body") == b"one":
            first_out.set()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"if-none-match", b'W/"b"')]}
    await NotModifiedMiddleware(streaming_app)(scope, receive, server_send)
    assert [m.get("status", m.get("body")) for m in delivered] == [200, b"one", b"two"]


@pytest.mark.parametrize(
    ("header", "etag", "names"),
    [
        ('W/"1"', 'W/"1"', True),
        ('"1"', 'W/"1"', True),
        ('W/"1"', '"1"', True),
        ('"1", "2"', '"2"', True),
        ("*", 'W/"x"', True),
        ("*", "unquoted", True),
        ('"1"', '"2"', False),
        ('W/"1"', "1", False),
        ('"a,b"', '"a,b"', True),
        ('"a', '"a"', False),
    ],
)
def test_if_none_match_names(header: str, etag: str, names: bool) -> None:
    assert if_none_match_names(header, etag) is names
