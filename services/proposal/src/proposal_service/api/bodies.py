from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from proposal_service.domain import bodies
from proposal_service.models import (
    BodyCreate,
    BodyPublic,
    CategoryCreate,
    CategoryPublic,
    CategoryUpdate,
    ImportRowProblem,
    MemberCreate,
    MemberImportResult,
    MemberPublic,
    SessionCreate,
    SessionPublic,
    SessionUpdate,
)
from servicekit.auth import SignedInDep
from servicekit.pagination import Cursor, Limit, Page, page_after
from servicekit.preconditions import IfMatch
from servicekit.problem_i18n import row_problems, wants_chinese
from servicekit.runtime import SessionDep

router = APIRouter(tags=["bodies"])

CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}, "example": "姓名,界别,党派团体,联系电话,电子邮箱,编号\n"}
        },
    }
}


@router.post("/bodies", operation_id="create_body", status_code=status.HTTP_201_CREATED, response_model=BodyPublic)
async def create_body(data: BodyCreate, session: SessionDep, principal: SignedInDep, response: Response) -> BodyPublic:
    body = await bodies.create_body(session=session, principal=principal, data=data)
    response.headers["Location"] = f"/bodies/{body.id}"
    return BodyPublic.model_validate(body)


@router.get("/bodies", operation_id="list_bodies", response_model=Page[BodyPublic])
async def list_bodies(session: SessionDep, limit: Limit = 200, cursor: Cursor = None) -> Page[BodyPublic]:
    """By name (a form loads them whole: 200 a page by default)."""
    rows, next_cursor = page_after(
        await bodies.list_bodies(session=session), id_of=lambda b: b.id, cursor=cursor, limit=limit
    )
    return Page(items=[BodyPublic.model_validate(b) for b in rows], next_cursor=next_cursor)


@router.get("/bodies/{body_id}", operation_id="get_body", response_model=BodyPublic)
async def get_body(body_id: str, session: SessionDep) -> BodyPublic:
    return BodyPublic.model_validate(await bodies.get_body(session=session, body_id=body_id))


@router.post(
    "/bodies/{body_id}/sessions",
    operation_id="create_session",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionPublic,
)
async def create_session(
    body_id: str, data: SessionCreate, session: SessionDep, principal: SignedInDep, response: Response
) -> SessionPublic:
    row = await bodies.create_session(session=session, principal=principal, body_id=body_id, data=data)
    response.headers["Location"] = f"/sessions/{row.id}"
    response.headers["ETag"] = bodies.session_etag(row)
    return SessionPublic.model_validate(row)


@router.get("/bodies/{body_id}/sessions", operation_id="list_sessions", response_model=Page[SessionPublic])
async def list_sessions(
    body_id: str, session: SessionDep, limit: Limit = 200, cursor: Cursor = None
) -> Page[SessionPublic]:
    """By term and meeting."""
    rows, next_cursor = page_after(
        await bodies.list_sessions(session=session, body_id=body_id), id_of=lambda s: s.id, cursor=cursor, limit=limit
    )
    return Page(items=[SessionPublic.model_validate(s) for s in rows], next_cursor=next_cursor)


@router.get("/sessions/{session_id}", operation_id="get_session", response_model=SessionPublic)
async def get_session(session_id: str, session: SessionDep, response: Response) -> SessionPublic:
    row = await bodies.get_session(session=session, session_id=session_id)
    response.headers["ETag"] = bodies.session_etag(row)
    return SessionPublic.model_validate(row)


@router.patch("/sessions/{session_id}", operation_id="update_session", response_model=SessionPublic)
async def update_session(
    session_id: str,
    data: SessionUpdate,
    session: SessionDep,
    principal: SignedInDep,
    response: Response,
    if_match: IfMatch = None,
) -> SessionPublic:
    """Changes the given fields. With If-Match (the ETag of GET) a stale read is refused with 412;
    without it the change is made unchecked, as before."""
    row = await bodies.update_session(
        session=session, principal=principal, session_id=session_id, data=data, if_match=if_match
    )
    response.headers["ETag"] = bodies.session_etag(row)
    return SessionPublic.model_validate(row)


@router.post(
    "/bodies/{body_id}/categories",
    operation_id="create_category",
    status_code=status.HTTP_201_CREATED,
    response_model=CategoryPublic,
)
async def create_category(
    body_id: str,
    data: CategoryCreate,
    session: SessionDep,
    principal: SignedInDep,
    response: Response,
    if_match: IfMatch = None,
) -> CategoryPublic:
    """With If-Match (the list's ETag) an addition made on a stale reading of the list is a 412."""
    category = await bodies.create_category(
        session=session, principal=principal, body_id=body_id, data=data, if_match=if_match
    )
    result = CategoryPublic.model_validate(category)
    response.headers["ETag"] = bodies.categories_etag(await bodies.list_categories(session=session, body_id=body_id))
    return result


@router.get("/bodies/{body_id}/categories", operation_id="list_categories", response_model=Page[CategoryPublic])
async def list_categories(
    body_id: str, session: SessionDep, response: Response, limit: Limit = 200, cursor: Cursor = None
) -> Page[CategoryPublic]:
    """The body's categories by name, active or not; the ETag covers the whole list, every page
    (If-Match of the edits)."""
    categories = await bodies.list_categories(session=session, body_id=body_id)
    response.headers["ETag"] = bodies.categories_etag(categories)
    rows, next_cursor = page_after(categories, id_of=lambda c: c.id, cursor=cursor, limit=limit)
    return Page(items=[CategoryPublic.model_validate(c) for c in rows], next_cursor=next_cursor)


@router.patch(
    "/bodies/{body_id}/categories/{category_id}", operation_id="update_category", response_model=CategoryPublic
)
async def update_category(
    body_id: str,
    category_id: str,
    data: CategoryUpdate,
    session: SessionDep,
    principal: SignedInDep,
    response: Response,
    if_match: IfMatch = None,
) -> CategoryPublic:
    """Renames or (de)activates a category. With If-Match (the ETag of the category list) an edit
    made on a stale reading is refused with 412 and nothing changes; without it, unchecked."""
    category = await bodies.update_category(
        session=session, principal=principal, body_id=body_id, category_id=category_id, data=data, if_match=if_match
    )
    result = CategoryPublic.model_validate(category)
    response.headers["ETag"] = bodies.categories_etag(await bodies.list_categories(session=session, body_id=body_id))
    return result


@router.post(
    "/bodies/{body_id}/members",
    operation_id="create_member",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberPublic,
)
async def create_member(body_id: str, data: MemberCreate, session: SessionDep, principal: SignedInDep) -> MemberPublic:
    member = await bodies.create_member(session=session, principal=principal, body_id=body_id, data=data)
    return MemberPublic.model_validate(member)


@router.get("/bodies/{body_id}/members", operation_id="list_members", response_model=Page[MemberPublic])
async def list_members(
    body_id: str,
    session: SessionDep,
    principal: SignedInDep,
    q: Annotated[str | None, Query(max_length=50, description="part of the name")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MemberPublic]:
    """The body's members by name, a page at a time (signed in: the public gets 401)."""
    members, next_cursor = await bodies.list_members(
        session=session, principal=principal, body_id=body_id, q=q, limit=limit, cursor=cursor
    )
    return Page(items=[MemberPublic.model_validate(m) for m in members], next_cursor=next_cursor)


@router.post(
    "/bodies/{body_id}/members/import",
    operation_id="import_members",
    response_model=MemberImportResult,
    openapi_extra=CSV_BODY,
)
async def import_members(
    body_id: str,
    request: Request,
    session: SessionDep,
    principal: SignedInDep,
    dry_run: Annotated[bool, Query(description="check the file and list every bad row; nothing is written")] = False,
) -> MemberImportResult:
    """CSV of members (UTF-8 or GB18030); every bad row is reported and then nothing is imported."""
    imported, errors = await bodies.import_members(
        session=session, principal=principal, body_id=body_id, raw=await request.body(), dry_run=dry_run
    )
    return MemberImportResult(
        imported=imported,
        dry_run=dry_run,
        errors=[
            ImportRowProblem.model_validate(e)
            for e in row_problems(errors, chinese=wants_chinese(request.headers.get("accept-language")))
        ],
    )
