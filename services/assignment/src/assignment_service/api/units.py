from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from assignment_service.domain import rules, units
from assignment_service.models import (
    HandlingRulesPublic,
    HandlingRulesUpdate,
    ImportRowProblem,
    UnitCreate,
    UnitImportResult,
    UnitPublic,
)
from servicekit.auth import SignedInDep
from servicekit.pagination import Cursor, Limit, Page
from servicekit.preconditions import IfMatch
from servicekit.problem_i18n import row_problems, wants_chinese
from servicekit.runtime import OutboxDep, SessionDep

router = APIRouter(tags=["units"])

CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}, "example": "编号,名称,上级编号,类型\n"}},
    }
}


@router.get("/units", operation_id="list_units", response_model=Page[UnitPublic])
async def list_units(session: SessionDep, limit: Limit = 200, cursor: Cursor = None) -> Page[UnitPublic]:
    """Every unit by code, a page at a time (200 by default: a body's whole tree usually fits)."""
    rows, next_cursor = await units.list_units(session=session, limit=limit, cursor=cursor)
    return Page(items=[UnitPublic.model_validate(u) for u in rows], next_cursor=next_cursor)


@router.get("/units/{unit_id}", operation_id="get_unit", response_model=UnitPublic)
async def get_unit(unit_id: str, session: SessionDep) -> UnitPublic:
    return UnitPublic.model_validate(await units.get_unit(session=session, unit_id=unit_id))


@router.post("/units", operation_id="create_unit", status_code=status.HTTP_201_CREATED, response_model=UnitPublic)
async def create_unit(data: UnitCreate, session: SessionDep, principal: SignedInDep, response: Response) -> UnitPublic:
    unit = await units.create_unit(session=session, principal=principal, data=data)
    response.headers["Location"] = f"/units/{unit.id}"
    return UnitPublic.model_validate(unit)


@router.post("/units/import", operation_id="import_units", response_model=UnitImportResult, openapi_extra=CSV_BODY)
async def import_units(
    request: Request,
    session: SessionDep,
    principal: SignedInDep,
    dry_run: Annotated[bool, Query(description="check the file and list every bad row; nothing is written")] = False,
) -> UnitImportResult:
    """CSV of units (编号,名称,上级编号,类型); every bad row is reported and then nothing is imported."""
    imported, errors = await units.import_units(
        session=session, principal=principal, raw=await request.body(), dry_run=dry_run
    )
    return UnitImportResult(
        imported=imported,
        dry_run=dry_run,
        errors=[
            ImportRowProblem.model_validate(e)
            for e in row_problems(errors, chinese=wants_chinese(request.headers.get("accept-language")))
        ],
    )


@router.get("/bodies/{body_id}/rules", operation_id="get_handling_rules", response_model=HandlingRulesPublic)
async def get_handling_rules(
    body_id: str, session: SessionDep, response: Response, kind: str = "*"
) -> HandlingRulesPublic:
    row = await rules.rules_for(session, body_id=body_id, kind=kind)
    response.headers["ETag"] = rules.rules_etag(row)
    return HandlingRulesPublic.model_validate(row)


@router.put("/bodies/{body_id}/rules", operation_id="set_handling_rules", response_model=HandlingRulesPublic)
async def set_handling_rules(
    body_id: str,
    data: HandlingRulesUpdate,
    session: SessionDep,
    outbox: OutboxDep,
    principal: SignedInDep,
    response: Response,
    kind: str = "*",
    if_match: IfMatch = None,
) -> HandlingRulesPublic:
    """The body's deadlines, windows, outcome classes and contact rule; ``kind`` "*" for all kinds.
    With If-Match (the ETag of GET for the same kind) a stale read is refused with 412; without it
    the rules are replaced unchecked, as before."""
    row = await rules.set_rules(
        session=session, outbox=outbox, principal=principal, body_id=body_id, kind=kind, data=data, if_match=if_match
    )
    response.headers["ETag"] = rules.rules_etag(row)
    return HandlingRulesPublic.model_validate(row)
