"""The allow-listed routes (routes.py), each forwarded to its service through the door."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

from gateway_service.accounts.api import IdentityDep
from gateway_service.api.deps import CurrentCaller, IdempotencyDep, UpstreamsDep
from gateway_service.door import authorization_for
from gateway_service.idempotency import HEADER as IDEMPOTENCY_HEADER
from gateway_service.proxy import forward_stream
from gateway_service.routes import ROUTES, Route


def route_handler(route: Route) -> Callable[..., Awaitable[Response]]:
    async def handle(
        request: Request,
        caller: CurrentCaller,
        upstreams: UpstreamsDep,
        idempotency: IdempotencyDep,
        identity: IdentityDep,
    ) -> Response:
        authorization = authorization_for(request, route, caller, identity.tokens)
        if route.stream:
            return await forward_stream(upstreams, route, request, authorization)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if not route.takes_idempotency_key or key is None:
            return await upstreams.forward(route, request, authorization=authorization)
        scope, replay = await idempotency.begin(request, key, caller)
        if replay is not None:
            return replay
        try:
            response = await upstreams.forward(route, request, authorization=authorization)
        except BaseException:
            await idempotency.forget(scope)
            raise
        await idempotency.finish(scope, response)
        return response

    return handle


def proxy_router() -> APIRouter:
    router = APIRouter()
    for route in ROUTES:
        router.add_api_route(
            route.path,
            route_handler(route),
            methods=[route.method],
            operation_id=route.operation_id,
            summary=route.summary,
            tags=[route.service],
        )
    return router


router = proxy_router()
