from typing import Any

from fastapi import APIRouter

from gateway_service.accounts.api import router as accounts_router
from gateway_service.api_keys import router as api_keys_router
from gateway_service.door import Door
from gateway_service.dossier import dossier_router
from gateway_service.idempotency import IdempotencyStore
from gateway_service.member_accounts import member_accounts_router
from gateway_service.proxy import Upstreams, route_handler
from gateway_service.public_openapi import load as load_public_openapi
from gateway_service.routes import ROUTES


def proxy_router(upstreams: Upstreams, idempotency: IdempotencyStore, door: Door) -> APIRouter:
    router = APIRouter()
    for route in ROUTES:
        router.add_api_route(
            route.path,
            route_handler(upstreams, route, idempotency, door),
            methods=[route.method],
            operation_id=route.operation_id,
            summary=route.summary,
            tags=[route.service],
        )
    return router


def gateway_router(upstreams: Upstreams, idempotency: IdempotencyStore, door: Door) -> APIRouter:
    """The gateway's own routes (sign-in, accounts, JWKS) and the proxied allow-list."""
    router = APIRouter()
    router.include_router(accounts_router)
    router.include_router(dossier_router(upstreams))
    router.include_router(member_accounts_router(upstreams))
    router.include_router(api_keys_router)
    router.add_api_route(
        "/api/v1/openapi.json",
        public_openapi_document,
        methods=["GET"],
        operation_id="get_public_openapi",
        summary="公开 API 文档（OpenAPI 3.1）",
        tags=["api"],
    )
    router.include_router(proxy_router(upstreams, idempotency, door))
    return router


async def public_openapi_document() -> dict[str, Any]:
    """The merged public document: every /api/v1 operation with its request and response schemas."""
    return load_public_openapi()
