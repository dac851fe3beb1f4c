"""The administrators' routes for API keys."""

from fastapi import APIRouter, status

from gateway_service.accounts.api import AdminDep
from gateway_service.api_keys import service
from gateway_service.api_keys.models import ApiKeyCreate, ApiKeyIssued, ApiKeyPublic
from servicekit.pagination import Cursor, Limit, Page
from servicekit.runtime import SessionDep

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])


@router.post("", operation_id="create_api_key", status_code=status.HTTP_201_CREATED, response_model=ApiKeyIssued)
async def create_api_key(data: ApiKeyCreate, session: SessionDep, admin: AdminDep) -> ApiKeyIssued:
    return await service.create_api_key(session=session, data=data, by=admin)


@router.get("", operation_id="list_api_keys", response_model=Page[ApiKeyPublic])
async def list_api_keys(
    session: SessionDep, _: AdminDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[ApiKeyPublic]:
    """The keys in the order they were made (the id breaks ties), a page at a time."""
    rows, next_cursor = await service.list_api_keys(session=session, limit=limit, cursor=cursor)
    return Page(items=[ApiKeyPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/{key_id}/revoke", operation_id="revoke_api_key", response_model=ApiKeyPublic)
async def revoke_api_key(key_id: str, session: SessionDep, _: AdminDep) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(await service.revoke_api_key(session=session, key_id=key_id))
