"""Requests waiting for the committee staff (待审批申请): the body's pending adjustment requests and
extension requests, each with its item and unit, oldest first, keyset-paginated. One query per page
(joins to the assignment, the item and the unit), so a desk never reads a whole year."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.models import (
    AdjustmentRequest,
    Assignment,
    Extension,
    ProposalProjection,
    RequestStatus,
    Role,
    Unit,
)
from servicekit.auth import Principal, forbidden
from servicekit.pagination import decode_cursor, encode_cursor


class RequestKind(StrEnum):
    adjustment = "adjustment"
    extension = "extension"


class WaitingRequest(SQLModel):
    """One pending request with what a reviewer needs to decide it."""

    kind: RequestKind
    id: str
    assignment_id: str
    proposal_id: str
    title: str
    number_label: str | None
    unit_id: str
    unit_name: str
    role: Role
    reason: str
    requested_at: datetime
    due_date: date | None  # the assignment's current due date
    requested_due_date: date | None = None  # extension: the date asked for
    suggested_unit_id: str | None = None  # adjustment: the unit the requester suggests
    suggested_unit_name: str | None = None


async def waiting_requests(
    *, session: AsyncSession, principal: Principal, kind: RequestKind, limit: int, cursor: str | None
) -> tuple[list[WaitingRequest], str | None]:
    if principal.role != "staff" or not principal.body_id:
        raise forbidden("requests waiting are for the body's committee staff")
    request: Any = AdjustmentRequest if kind == RequestKind.adjustment else Extension
    suggested = aliased(Unit)
    query: Any = (
        select(request, Assignment, ProposalProjection, Unit)
        .join(Assignment, col(Assignment.id) == request.assignment_id)
        .join(ProposalProjection, col(ProposalProjection.proposal_id) == col(Assignment.proposal_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .where(col(Assignment.body_id) == principal.body_id, request.status == RequestStatus.pending)
    )
    if kind == RequestKind.adjustment:
        query = query.add_columns(suggested).outerjoin(suggested, suggested.id == request.suggested_unit_id)
    if cursor:
        after_at, after_id = decode_cursor(cursor, (datetime, str))
        query = query.where(
            (request.requested_at > after_at) | ((request.requested_at == after_at) & (request.id > after_id))
        )
    rows = list((await session.exec(query.order_by(request.requested_at, request.id).limit(limit + 1))).all())
    page, more = rows[:limit], len(rows) > limit
    out: list[WaitingRequest] = []
    for row in page:
        req, assignment, item, unit = row[0], row[1], row[2], row[3]
        other: Unit | None = row[4] if kind == RequestKind.adjustment else None
        out.append(
            WaitingRequest(
                kind=kind,
                id=req.id,
                assignment_id=assignment.id,
                proposal_id=item.proposal_id,
                title=item.title,
                number_label=item.number_label,
                unit_id=unit.id,
                unit_name=unit.name,
                role=assignment.role,
                reason=req.reason,
                requested_at=req.requested_at,
                due_date=assignment.due_date,
                requested_due_date=req.due_date if kind == RequestKind.extension else None,
                suggested_unit_id=other.id if other else None,
                suggested_unit_name=other.name if other else None,
            )
        )
    next_cursor = encode_cursor([page[-1][0].requested_at, page[-1][0].id]) if more else None
    return out, next_cursor
