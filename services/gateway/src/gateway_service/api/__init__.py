from fastapi import APIRouter

from gateway_service.proxy import Upstreams, route_handler
from gateway_service.routes import ROUTES


def proxy_router(upstreams: Upstreams) -> APIRouter:
    router = APIRouter()
    for route in ROUTES:
        router.add_api_route(
            route.path,
            route_handler(upstreams, route),
            methods=[route.method],
            operation_id=route.operation_id,
            summary=route.summary,
            tags=[route.service],
        )
    return router
