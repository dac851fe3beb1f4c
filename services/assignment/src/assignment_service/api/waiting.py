from typing import Annotated

from fastapi import APIRouter, Query

from assignment_service.domain.waiting import RequestKind, WaitingRequest, waiting_requests
from servicekit.auth import SignedInDep
from servicekit.pagination import Cursor, Limit, Page
from servicekit.runtime import SessionDep

router = APIRouter(tags=["assignments"])


@router.get("/requests/waiting", operation_id="list_waiting_requests", response_model=Page[WaitingRequest])
async def list_waiting_requests(
    session: SessionDep,
    principal: SignedInDep,
    kind: Annotated[RequestKind, Query(description="adjustment (调整承办单位) or extension (延期)")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[WaitingRequest]:
    """待审批申请: the body's pending adjustment or extension requests, oldest first (committee staff)."""
    items, next_cursor = await waiting_requests(
        session=session, principal=principal, kind=kind, limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)
