"""ASGI middleware shared by the services: trace context, body size limit, security headers and
conditional GETs (If-None-Match)."""

import json
import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit import telemetry
from servicekit.errors import PROBLEM_JSON, problem_type
from servicekit.preconditions import if_none_match_names
from servicekit.tracing import TraceContext, child_traceparent, new_request_id, set_trace

log = logging.getLogger("servicekit.access")


class TraceMiddleware:
    """Takes X-Request-ID, X-Correlation-ID and traceparent from the request (or makes
    them), puts them in the context for logs and events, and echoes them back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = _safe_id(headers.get("x-request-id")) or new_request_id()
        ctx = TraceContext(
            request_id=request_id,
            correlation_id=_safe_id(headers.get("x-correlation-id")) or request_id,
            # With tracing on, the server span's own context (so the events written name it).
            traceparent=telemetry.current_traceparent() or child_traceparent(headers.get("traceparent")),
        )
        set_trace(ctx)
        started = time.perf_counter()
        status = 0

        async def send_with_ids(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [
                    (b"x-request-id", ctx.request_id.encode()),  # type: ignore[union-attr]
                    (b"x-correlation-id", ctx.correlation_id.encode()),  # type: ignore[union-attr]
                    (b"traceparent", ctx.traceparent.encode()),  # type: ignore[union-attr]
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        finally:
            log.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={"fields": {"duration_ms": round((time.perf_counter() - started) * 1000, 2)}},
            )


def _safe_id(value: str | None) -> str | None:
    # Ids are echoed into headers and logs: accept only short, plain tokens.
    if value and len(value) <= 128 and all(c.isalnum() or c in "-_.:" for c in value):
        return value
    return None


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope["headers"]:
            if key == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(scope, send)
                return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            {
                "type": problem_type("payload_too_large"),
                "title": "Payload Too Large",
                "status": 413,
                "code": "payload_too_large",
                "detail": f"request bodies are limited to {self.max_bytes} bytes",
                "instance": scope["path"],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Headers that keep browsers from misusing API answers: no sniffing, no framing, no referrer,
    no active content (the interactive /docs pages excepted, which load their own scripts), and
    HSTS in production, where TLS ends in front of the service."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/redoc", "/docs/oauth2-redirect")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
                if not docs:
                    headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# What a 304 keeps of the 200 it stands for (RFC 9110 section 15.4.5): the validator and the
# caching fields. The headers that describe the body (Content-Type, Content-Length, Content-Encoding,
# Content-Disposition ...) go with it.
_NOT_MODIFIED_KEEPS = frozenset({b"etag", b"cache-control", b"vary", b"expires", b"date", b"content-location"})


class NotModifiedMiddleware:
    """If-None-Match on GET and HEAD (RFC 9110 section 13.1.2, ADR 26): a 200 that carries an ETag
    the request names (weak comparison: W/"3" matches "3"; "*" matches any ETag) is answered
    304 Not Modified, with the ETag, Cache-Control and Vary and no body: the client's copy is current.

    Decided on the response's status and headers alone, so nothing is buffered: every other answer
    (no If-None-Match, another method or status, no ETag or another one) passes through as the app
    sends it, streamed or not, and a Server-Sent Events stream is never touched. Only GETs that
    set an ETag take part. The app still runs to the end; the body it sends after the 304 is dropped.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        condition = ", ".join(Headers(scope=scope).getlist("if-none-match"))
        if not condition.strip():
            await self.app(scope, receive, send)
            return
        answered = False

        async def send_not_modified(message: Message) -> None:
            nonlocal answered
            if answered:
                return  # the rest of the 200 the client already has
            if message["type"] == "http.response.start" and _not_modified(message, condition):
                answered = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() in _NOT_MODIFIED_KEEPS]
                await send({"type": "http.response.start", "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_not_modified)


def _not_modified(start: Message, condition: str) -> bool:
    if start["status"] != 200:
        return False
    headers = Headers(raw=list(start.get("headers", [])))
    etag = headers.get("etag")
    if etag is None or headers.get("content-type", "").lower().startswith("text/event-stream"):
        return False
    return if_none_match_names(condition, etag)
