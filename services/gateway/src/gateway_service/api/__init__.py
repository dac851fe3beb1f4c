"""The gateway's routes: its own (sign-in, accounts, API keys, the dossier, the public document)
and the proxied allow-list (routes.py)."""

from typing import Any

from fastapi import APIRouter

from gateway_service.accounts.api import router as accounts_router
from gateway_service.api import dossier, member_accounts, proxy
from gateway_service.api_keys.api import router as api_keys_router
from gateway_service.public_openapi import load as load_public_openapi


async def public_openapi_document() -> dict[str, Any]:
    """The merged public document: every /api/v1 operation with its request and response schemas."""
    return load_public_openapi()


router = APIRouter()
router.include_router(accounts_router)
router.include_router(dossier.router)
router.include_router(member_accounts.router)
router.include_router(api_keys_router)
router.add_api_route(
    "/api/v1/openapi.json",
    public_openapi_document,
    methods=["GET"],
    operation_id="get_public_openapi",
    summary="公开 API 文档（OpenAPI 3.1）",
    tags=["api"],
)
router.include_router(proxy.router)
