"""Forwarding allow-listed requests to the services over one shared HTTP client."""

import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from gateway_service.balancer import ReplicaPool
from gateway_service.routes import API, Route
from gateway_service.settings import GatewaySettings
from servicekit.errors import Problem
from servicekit.metrics import ServiceMetrics
from servicekit.tracing import current_trace

log = logging.getLogger(__name__)

# Hop-by-hop and internal headers are not passed on; these are.
_REQUEST_HEADERS = (
    "content-type",
    "accept",
    "accept-language",
    "authorization",
    "idempotency-key",
    "if-match",
    "if-none-match",
)
# The caller's conditions on the representation it asked for: passed on with the request forwarded
# as it is, not with the calls the gateway makes to compose an answer of its own (a dossier's parts:
# an If-None-Match meant for the whole would make a part a 304 without a body).
_CONDITIONAL_HEADERS = frozenset({"if-match", "if-none-match"})
# Requests that change nothing, so sending one twice is harmless (RFC 9110 §9.2.1).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RESPONSE_HEADERS = ("content-type", "content-disposition", "location", "etag", "retry-after", "cache-control")


# The connection was never made, so the request never reached the service: any method may go
# on to another replica.
_NOT_CONNECTED = (httpx.ConnectError, httpx.ConnectTimeout)
# The service closed a pooled keep-alive connection as the request went out on it (it drops the
# connection after an error of its own), or died with it: only a safe request is sent again.
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


class Upstreams:
    def __init__(self, settings: GatewaySettings, *, metrics: ServiceMetrics | None = None) -> None:
        self.pools = {
            service: ReplicaPool(urls, eject_s=settings.upstream_eject_s)
            for service, urls in settings.upstreams().items()
        }
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.upstream_timeout_s, connect=settings.upstream_connect_timeout_s),
            limits=httpx.Limits(
                max_connections=settings.upstream_max_connections,
                max_keepalive_connections=settings.upstream_max_connections,
            ),
        )
        self.metrics = metrics  # the gateway's; tests build one without
        # Streams: no read timeout (quiet between events) and a pool of their own.
        self.stream_client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.upstream_timeout_s, connect=settings.upstream_connect_timeout_s, read=None),
            limits=httpx.Limits(max_connections=settings.upstream_max_streams, max_keepalive_connections=0),
        )

    def _observe(self, service: str, started: float, status: int | None, error: str | None) -> None:
        if self.metrics is not None:
            self.metrics.upstream_call(service, status, time.perf_counter() - started, error)

    async def close(self) -> None:
        await self.client.aclose()
        await self.stream_client.aclose()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        request: Request,
        *,
        query: str = "",
        body: bytes = b"",
        authorization: str | None = None,
        conditional: bool = False,
    ) -> httpx.Response:
        """One request to a service on behalf of ``request``: its caller's headers and the trace
        context go along (If-Match and If-None-Match only when ``conditional``: the request is
        forwarded as it is); an unreachable or slow service is a 503 or 504 problem."""
        trace = current_trace()
        headers = {
            k: v
            for k in _REQUEST_HEADERS
            if (conditional or k not in _CONDITIONAL_HEADERS) and (v := request.headers.get(k)) is not None
        }
        if authorization is not None:
            headers["authorization"] = authorization
        headers.update(
            {
                "x-request-id": trace.request_id or "",
                "x-correlation-id": trace.correlation_id or "",
                "traceparent": trace.traceparent or "",
            }
        )
        pool = self.pools[service]
        # Each replica once; a safe request whose connection was dropped gets one more attempt (on
        # the next replica, or on a fresh connection to the only one).
        order = pool.order()
        resent = False
        attempt = 0
        started = time.perf_counter()
        try:
            while True:
                base = order[attempt]
                try:
                    response = await self.client.request(
                        method, base + path, params=query, content=body, headers=headers
                    )
                except _NOT_CONNECTED as exc:
                    pool.eject(base)
                    if attempt + 1 >= len(order):
                        raise
                    log.warning("upstream %s replica %s unreachable (%r); trying the next", service, base, exc)
                    attempt += 1
                    continue
                except _DROPPED as exc:
                    if method not in SAFE_METHODS or resent:
                        raise  # the first may have been applied
                    resent = True
                    if attempt + 1 >= len(order):
                        order.append(base)  # the only (or last) replica: once more, on a fresh connection
                    log.info("upstream %s dropped the connection (%s); retrying %s %s once", service, exc, method, path)
                    attempt += 1
                    continue
                pool.answered(base)
                self._observe(
                    service, started, response.status_code, "server_error" if response.status_code >= 500 else None
                )
                return response
        except httpx.TimeoutException:
            self._observe(service, started, None, "timeout")
            log.warning("upstream %s timed out on %s", service, path)
            raise Problem(
                504, "upstream_timeout", "Gateway Timeout", f"the {service} service did not answer in time"
            ) from None
        except httpx.TransportError as exc:
            self._observe(service, started, None, "unavailable")
            log.warning("upstream %s unreachable: %s", service, exc)
            raise Problem(
                503,
                "upstream_unavailable",
                "Service Unavailable",
                f"the {service} service is unavailable",
                headers={"Retry-After": "5"},
            ) from None

    async def forward(self, route: Route, request: Request, *, authorization: str | None = None) -> Response:
        path = route.upstream_path.format(**{k: quote(v, safe="") for k, v in request.path_params.items()})
        upstream = await self.call(
            route.service,
            route.method,
            path,
            request,
            query=request.url.query,
            body=await request.body(),
            authorization=authorization,
            conditional=True,
        )
        # A 304 (If-None-Match named the current ETag) goes back as the service sent it: no body,
        # its ETag and Cache-Control.
        out = {k: v for k in _RESPONSE_HEADERS if (v := upstream.headers.get(k)) is not None}
        if "location" in out and out["location"].startswith("/"):
            out["location"] = API + out["location"]
        return Response(upstream.content, status_code=upstream.status_code, headers=out)


async def forward_stream(upstreams: Upstreams, route: Route, request: Request, authorization: str | None) -> Response:
    """A long-lived GET (Server-Sent Events) or a large download (an export) passed through chunk
    by chunk as the service writes it, without the read timeout: the stream is quiet between
    events, an export between pages. An answer that is neither (a 401, 403, ...) is returned whole."""
    trace = current_trace()
    headers = {k: v for k in _REQUEST_HEADERS if (v := request.headers.get(k)) is not None}
    if (last_event_id := request.headers.get("last-event-id")) is not None:
        headers["last-event-id"] = last_event_id  # a reconnecting client resumes where it was
    if authorization is not None:
        headers["authorization"] = authorization
    headers.update({"x-request-id": trace.request_id or "", "x-correlation-id": trace.correlation_id or ""})
    headers["traceparent"] = trace.traceparent or ""
    path = route.upstream_path.format(**{k: quote(v, safe="") for k, v in request.path_params.items()})
    pool = upstreams.pools[route.service]
    order = pool.order()
    for attempt, base in enumerate(order):
        outgoing = upstreams.stream_client.build_request("GET", base + path, params=request.url.query, headers=headers)
        try:
            upstream = await upstreams.stream_client.send(outgoing, stream=True)
        except _NOT_CONNECTED as exc:
            pool.eject(base)
            if attempt + 1 < len(order):
                log.warning("upstream %s replica %s unreachable (%r); trying the next", route.service, base, exc)
                continue
            log.warning("upstream %s unreachable: %s", route.service, exc)
        except httpx.TransportError as exc:
            log.warning("upstream %s unreachable: %s", route.service, exc)
        else:
            pool.answered(base)
            break
        raise Problem(
            503, "upstream_unavailable", "Service Unavailable", f"the {route.service} service is unavailable"
        ) from None
    out = {k: v for k in _RESPONSE_HEADERS if (v := upstream.headers.get(k)) is not None}
    events = upstream.headers.get("content-type", "").startswith("text/event-stream")
    # A download (an export) is passed through as it is written too, but only a 200: a refusal
    # (401, 403, 422 ...) is small and returned whole.
    if not events and upstream.status_code != 200:
        content = await upstream.aread()
        await upstream.aclose()
        return Response(content, status_code=upstream.status_code, headers=out)

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        except httpx.HTTPError as exc:
            log.info("stream from %s ended: %s", route.service, exc)
        finally:
            await upstream.aclose()

    out.update({"cache-control": "no-cache", "x-accel-buffering": "no"} if events else {"x-accel-buffering": "no"})
    return StreamingResponse(chunks(), status_code=upstream.status_code, headers=out)
