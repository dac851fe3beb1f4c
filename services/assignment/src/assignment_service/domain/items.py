"""Loading an item or an assignment for a use case, with the visibility rules; the views.
Helpers never commit."""

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import hidden, is_body_staff, is_proposer, is_unit_of
from assignment_service.domain.deadlines import current_calendar, local_date, working_days_left
from assignment_service.domain.rules import rules_for
from assignment_service.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentPublic,
    AssignmentStatus,
    HandlingRules,
    HandlingStatus,
    ProposalProjection,
    Unit,
)
from assignment_service.models import Role as AssignmentRole
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
    """The assignments as the API shows them: with the item's title and number, the working days
    left and the last days for an adjustment request and an extended due date (the body's rules)."""
    names = await unit_names(session, {a.unit_id for a in assignments})
    proposal_ids = {a.proposal_id for a in assignments}
    items = {
        p.proposal_id: p
        for p in (
            await session.exec(select(ProposalProjection).where(col(ProposalProjection.proposal_id).in_(proposal_ids)))
        ).all()
    }
    calendar = current_calendar()
    today = local_date(utcnow())
    rules: dict[tuple[str, str], HandlingRules] = {}
    views = []
    for a in assignments:
        item = items.get(a.proposal_id)
        kind = item.kind if item else "*"
        if (a.body_id, kind) not in rules:
            rules[(a.body_id, kind)] = await rules_for(session, body_id=a.body_id, kind=kind)
        rule = rules[(a.body_id, kind)]
        window = cap = None
        if a.assigned_at is not None:
            assigned = local_date(a.assigned_at)
            window = calendar.add_working_days(assigned, rule.adjustment_window_days)
            cap = calendar.explain_due(assigned, months=rule.max_months)[0]
        left = (
            working_days_left(calendar, today, a.due_date)
            if a.due_date is not None and a.status in OPEN_STATUSES
            else None
        )
        update = {
            "unit_name": names.get(a.unit_id, ""),
            "overdue": is_overdue(a, today),
            "title": item.title if item else "",
            "number_label": item.number_label if item else None,
            "kind": item.kind if item else None,
            "working_days_left": left,
            "adjustment_window_closes_on": window,
            "extension_cap": cap,
        }
        views.append(AssignmentPublic.model_validate(a, update=update))
    return views


async def visible_assignments(*, session: AsyncSession, principal: Principal, proposal_id: str) -> list[Assignment]:
    """The body's staff see every assignment, proposers the sent ones. A unit sees its own; the
    lead unit and its co-handlers (主办/协办) also see each other's, since they handle the item
    together (the co-handlers send their opinions to the lead); separate units (分办) only their own."""
    item, rows = await load_item(session, principal, proposal_id)
    if is_body_staff(principal, item.body_id):
        return rows
    sent = [a for a in rows if a.status != AssignmentStatus.prepared]
    if is_proposer(principal, item):
        return sent
    own = [a for a in rows if is_unit_of(principal, a)]
    if any(a.role in (AssignmentRole.lead, AssignmentRole.co) for a in own):
        return [a for a in sent if a.role in (AssignmentRole.lead, AssignmentRole.co)]
    return own


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
