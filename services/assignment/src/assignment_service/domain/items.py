"""Loading an item or an assignment for a use case, with the visibility rules; the views.
Helpers never commit."""

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import hidden, is_body_staff, is_proposer, is_unit_of
from assignment_service.domain.deadlines import local_date
from assignment_service.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentPublic,
    AssignmentStatus,
    HandlingStatus,
    ProposalProjection,
    Unit,
)
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow
from servicekit.pagination import paginate


async def assignments_of(session: AsyncSession, proposal_id: str) -> list[Assignment]:
    query = select(Assignment).where(Assignment.proposal_id == proposal_id).order_by(col(Assignment.created_at))
    return list((await session.exec(query)).all())


def can_read_item(principal: Principal, item: ProposalProjection, assignments: list[Assignment]) -> bool:
    return (
        is_body_staff(principal, item.body_id)
        or is_proposer(principal, item)
        or any(is_unit_of(principal, a) for a in assignments)
    )


async def load_item(
    session: AsyncSession, principal: Principal, proposal_id: str, *, for_update: bool = False
) -> tuple[ProposalProjection, list[Assignment]]:
    item = await session.get(ProposalProjection, proposal_id, with_for_update=for_update)
    if item is None:
        raise hidden("proposal", proposal_id)
    assignments = await assignments_of(session, proposal_id)
    if not can_read_item(principal, item, assignments):
        raise hidden("proposal", proposal_id)
    return item, assignments


async def load_assignment(
    session: AsyncSession, principal: Principal, assignment_id: str, *, for_update: bool = False
) -> tuple[Assignment, ProposalProjection]:
    """The assignment if the caller may see it: the body's staff, its unit, or the item's proposers."""
    assignment = await session.get(Assignment, assignment_id, with_for_update=for_update)
    if assignment is None:
        raise hidden("assignment", assignment_id)
    item = await session.get_one(ProposalProjection, assignment.proposal_id)
    if not (
        is_body_staff(principal, item.body_id) or is_unit_of(principal, assignment) or is_proposer(principal, item)
    ):
        raise hidden("assignment", assignment_id)
    return assignment, item


async def unit_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    rows = (await session.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_(ids)))).all()
    return dict(rows)


def is_overdue(assignment: Assignment, today: date) -> bool:
    return assignment.status in OPEN_STATUSES and assignment.due_date is not None and assignment.due_date < today


async def assignment_views(session: AsyncSession, assignments: list[Assignment]) -> list[AssignmentPublic]:
    names = await unit_names(session, {a.unit_id for a in assignments})
    today = local_date(utcnow())
    return [
        AssignmentPublic.model_validate(
            a, update={"unit_name": names.get(a.unit_id, ""), "overdue": is_overdue(a, today)}
        )
        for a in assignments
    ]


async def visible_assignments(*, session: AsyncSession, principal: Principal, proposal_id: str) -> list[Assignment]:
    """The body's staff see every assignment, proposers the sent ones, a unit only its own."""
    item, rows = await load_item(session, principal, proposal_id)
    if is_body_staff(principal, item.body_id):
        return rows
    if is_proposer(principal, item):
        return [a for a in rows if a.status != AssignmentStatus.prepared]
    return [a for a in rows if is_unit_of(principal, a)]


async def list_body_items(
    *, session: AsyncSession, principal: Principal, status: HandlingStatus | None, limit: int, cursor: str | None
) -> tuple[list[ProposalProjection], str | None]:
    """The body's items in the order they wait (oldest first), for its staff and leaders."""
    if principal.role not in (Role.staff, Role.leader) or not principal.body_id:
        raise forbidden("the handling list is for the body's staff and leaders")
    query = select(ProposalProjection).where(ProposalProjection.body_id == principal.body_id)
    if status:
        query = query.where(col(ProposalProjection.status) == status)
    return await paginate(
        session,
        query,
        keys=(col(ProposalProjection.received_at), col(ProposalProjection.proposal_id)),
        types=(datetime, str),
        cursor=cursor,
        limit=limit,
    )
