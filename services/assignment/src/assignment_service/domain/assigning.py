"""Assignment (交办) of a registered item to units, acknowledgement (签收), adjustment
requests (申请调整) and extensions (延期)."""

from collections import Counter
from datetime import UTC, date, datetime, time
from enum import StrEnum

from cn_workdays import WorkCalendar
from sqlalchemy import Date, delete, func, literal
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import hidden, is_body_staff, is_unit_of, require_reviewer, require_unit
from assignment_service.domain.deadlines import BODY_TIMEZONE, local_date, reply_due
from assignment_service.domain.items import load_assignment, load_item
from assignment_service.domain.rules import rules_for
from assignment_service.domain.units import find_unit
from assignment_service.events.schemas import (
    AdjustmentRefused,
    AdjustmentRequested,
    AssignmentAcknowledged,
    AssignmentCreated,
    AssignmentExtended,
    AssignmentReassigned,
    ExtensionRefused,
    ExtensionRequested,
)
from assignment_service.models import (
    OPEN_STATUSES,
    AdjustmentDecision,
    AdjustmentRequest,
    AdjustmentRequestCreate,
    Assignment,
    AssignmentCreate,
    AssignmentStatus,
    Extension,
    ExtensionCreate,
    ExtensionDecision,
    HandlingStatus,
    ProposalProjection,
    RequestStatus,
    Role,
)
from servicekit.auth import Principal, forbidden
from servicekit.db import utcnow
from servicekit.errors import Problem, conflict, invalid
from servicekit.outbox import Outbox
from servicekit.pagination import paginate


def check_roles(roles: list[Role]) -> None:
    """One lead with any co-handlers (主办/协办), or separate units only (分办)."""
    count = Counter(roles)
    if count[Role.separate] and (count[Role.lead] or count[Role.co]):
        raise invalid("mixed_roles", "units", "separate units (分办) cannot be combined with a lead or co-handlers")
    if count[Role.lead] > 1:
        raise invalid("two_leads", "units", "an item has one lead unit (主办)")
    if count[Role.co] and not count[Role.lead]:
        raise invalid("co_without_lead", "units", "co-handlers (协办) need a lead unit (主办)")


async def assign(
    *,
    session: AsyncSession,
    outbox: Outbox,
    calendar: WorkCalendar,
    principal: Principal,
    proposal_id: str,
    data: AssignmentCreate,
) -> list[Assignment]:
    item, existing = await load_item(session, principal, proposal_id, for_update=True)
    require_reviewer(principal, item.body_id)
    if item.status != HandlingStatus.awaiting_assignment:
        code = (
            "not_registered"
            if item.status in (HandlingStatus.submitted, HandlingStatus.not_handled)
            else "already_assigned"
        )
        raise conflict(code, f"the item is {item.status}; only registered items awaiting assignment are assigned")
    check_roles([u.role for u in data.units])
    unit_ids = [u.unit_id for u in data.units]
    if len(set(unit_ids)) != len(unit_ids):
        raise invalid("duplicate_unit", "units", "a unit appears twice")
    for i, u in enumerate(data.units):
        await find_unit(session, u.unit_id, f"units.{i}.unit_id")
    # A new preparation replaces an earlier, unconfirmed one.
    if existing:
        await session.exec(delete(Assignment).where(col(Assignment.proposal_id) == item.proposal_id))
        await session.flush()
    assignments = [
        Assignment(
            proposal_id=item.proposal_id,
            body_id=item.body_id or "",
            unit_id=u.unit_id,
            role=u.role,
            created_by=principal.actor,
        )
        for u in data.units
    ]
    session.add_all(assignments)
    if data.assigned_on and data.assigned_on > local_date(utcnow()):
        raise invalid("assigned_in_future", "assigned_on", "an assignment cannot be dated in the future")
    if data.confirm:
        await _send(session, outbox, calendar, item, assignments, assigned_on=data.assigned_on)
    await session.commit()
    return assignments


async def confirm(
    *, session: AsyncSession, outbox: Outbox, calendar: WorkCalendar, principal: Principal, proposal_id: str
) -> list[Assignment]:
    item, assignments = await load_item(session, principal, proposal_id, for_update=True)
    require_reviewer(principal, item.body_id)
    prepared = [a for a in assignments if a.status == AssignmentStatus.prepared]
    if not prepared or item.status != HandlingStatus.awaiting_assignment:
        raise conflict("nothing_prepared", "the item has no prepared assignment to confirm")
    await _send(session, outbox, calendar, item, prepared)
    await session.commit()
    return assignments


async def _send(
    session: AsyncSession,
    outbox: Outbox,
    calendar: WorkCalendar,
    item: ProposalProjection,
    assignments: list[Assignment],
    *,
    assigned_on: date | None = None,
) -> None:
    rules = await rules_for(session, body_id=item.body_id or "", kind=item.kind)
    now = utcnow()
    if assigned_on and assigned_on < local_date(now):
        # Recorded after the fact: the clock runs from the day it was really assigned.
        now = datetime.combine(assigned_on, time(9), tzinfo=BODY_TIMEZONE).astimezone(UTC)
    due, steps = reply_due(calendar, local_date(now), months=rules.reply_months)
    names = {a.unit_id: (await find_unit(session, a.unit_id, "units")).name for a in assignments}
    for a in assignments:
        a.status, a.assigned_at, a.due_date, a.due_rule, a.round = AssignmentStatus.assigned, now, due, steps, 1
        session.add(a)
        outbox.add(
            session,
            AssignmentCreated(
                assignment_id=a.id,
                proposal_id=item.proposal_id,
                body_id=a.body_id,
                unit_id=a.unit_id,
                unit_name=names[a.unit_id],
                role=a.role,
                round=1,
                due_date=due,
                assigned_at=now,
            ),
            subject=item.proposal_id,
        )
    item.status, item.round = HandlingStatus.assigned, 1
    session.add(item)


async def _open_assignment(
    session: AsyncSession, principal: Principal, assignment_id: str
) -> tuple[Assignment, ProposalProjection]:
    assignment, item = await load_assignment(session, principal, assignment_id, for_update=True)
    require_unit(principal, assignment)
    if assignment.status not in OPEN_STATUSES:
        raise conflict("assignment_closed", f"the assignment is {assignment.status}")
    return assignment, item


async def acknowledge(*, session: AsyncSession, outbox: Outbox, principal: Principal, assignment_id: str) -> Assignment:
    assignment, _ = await _open_assignment(session, principal, assignment_id)
    if assignment.status == AssignmentStatus.acknowledged:
        raise conflict("already_acknowledged", "the unit has already acknowledged this assignment")
    assignment.status, assignment.acknowledged_at = AssignmentStatus.acknowledged, utcnow()
    session.add(assignment)
    outbox.add(
        session,
        AssignmentAcknowledged(
            assignment_id=assignment.id,
            proposal_id=assignment.proposal_id,
            body_id=assignment.body_id,
            unit_id=assignment.unit_id,
            acknowledged_at=assignment.acknowledged_at,
        ),
        subject=assignment.proposal_id,
    )
    await session.commit()
    return assignment


async def request_adjustment(
    *,
    session: AsyncSession,
    outbox: Outbox,
    calendar: WorkCalendar,
    principal: Principal,
    assignment_id: str,
    data: AdjustmentRequestCreate,
) -> AdjustmentRequest:
    """A unit asks to be relieved of an assignment that is not theirs to handle, within the window."""
    assignment, item = await _open_assignment(session, principal, assignment_id)
    rules = await rules_for(session, body_id=assignment.body_id, kind=item.kind)
    assert assignment.assigned_at is not None
    today = local_date(utcnow())
    used = calendar.working_days_between(local_date(assignment.assigned_at), today)
    if used > rules.adjustment_window_days:
        raise conflict(
            "adjustment_window_closed",
            f"adjustment requests are taken within {rules.adjustment_window_days} working days of assignment;"
            f" {used} have passed",
        )
    pending = select(AdjustmentRequest).where(
        AdjustmentRequest.assignment_id == assignment.id, AdjustmentRequest.status == RequestStatus.pending
    )
    if (await session.exec(pending)).first():
        raise conflict("request_pending", "an adjustment request for this assignment is already pending")
    if data.suggested_unit_id:
        await find_unit(session, data.suggested_unit_id, "suggested_unit_id")
    request = AdjustmentRequest(
        assignment_id=assignment.id,
        unit_id=assignment.unit_id,
        reason=data.reason,
        suggested_unit_id=data.suggested_unit_id,
    )
    session.add(request)
    outbox.add(
        session,
        AdjustmentRequested(
            request_id=request.id,
            assignment_id=assignment.id,
            proposal_id=assignment.proposal_id,
            body_id=assignment.body_id,
            unit_id=assignment.unit_id,
            reason=data.reason,
            requested_at=request.requested_at,
        ),
        subject=assignment.proposal_id,
    )
    await session.commit()
    return request


async def decide_adjustment(
    *,
    session: AsyncSession,
    outbox: Outbox,
    calendar: WorkCalendar,
    principal: Principal,
    request_id: str,
    data: AdjustmentDecision,
) -> AdjustmentRequest:
    """Approval moves the assignment to another unit; its clock restarts on the day of the move."""
    request = await session.get(AdjustmentRequest, request_id, with_for_update=True)
    if request is None:
        raise Problem(404, "not_found", "Not Found", f"adjustment request {request_id} does not exist")
    assignment, item = await load_assignment(session, principal, request.assignment_id, for_update=True)
    require_reviewer(principal, assignment.body_id)
    if request.status != RequestStatus.pending:
        raise conflict("already_decided", f"the request was {request.status}")
    now = utcnow()
    request.status = RequestStatus.approved if data.approve else RequestStatus.rejected
    request.decided_at, request.note = now, data.note
    if data.approve:
        if not data.unit_id:
            raise invalid("unit_required", "unit_id", "name the unit the item moves to")
        unit = await find_unit(session, data.unit_id, "unit_id")
        taken = select(Assignment.id).where(Assignment.proposal_id == item.proposal_id, Assignment.unit_id == unit.id)
        if (await session.exec(taken)).first():
            raise invalid("unit_already_assigned", "unit_id", f"{unit.name} already handles this item")
        rules = await rules_for(session, body_id=assignment.body_id, kind=item.kind)
        previous = assignment.unit_id
        today = local_date(now)
        due, steps = reply_due(
            calendar, today, months=rules.reply_months, reason=f"经批准调整，{today.isoformat()} 重新交办，期限重新计算"
        )
        assignment.unit_id, assignment.status, assignment.assigned_at = unit.id, AssignmentStatus.assigned, now
        assignment.acknowledged_at, assignment.due_date, assignment.due_rule = None, due, steps
        request.new_unit_id = unit.id
        session.add(assignment)
        outbox.add(
            session,
            AssignmentReassigned(
                assignment_id=assignment.id,
                proposal_id=assignment.proposal_id,
                body_id=assignment.body_id,
                previous_unit_id=previous,
                unit_id=unit.id,
                unit_name=unit.name,
                role=assignment.role,
                round=assignment.round,
                due_date=due,
                reassigned_at=now,
            ),
            subject=assignment.proposal_id,
        )
    else:
        outbox.add(
            session,
            AdjustmentRefused(
                request_id=request.id,
                assignment_id=assignment.id,
                proposal_id=assignment.proposal_id,
                body_id=assignment.body_id,
                unit_id=assignment.unit_id,
                note=data.note,
                refused_at=now,
            ),
            subject=assignment.proposal_id,
        )
    session.add(request)
    await session.commit()
    return request


async def request_extension(
    *,
    session: AsyncSession,
    outbox: Outbox,
    calendar: WorkCalendar,
    principal: Principal,
    assignment_id: str,
    data: ExtensionCreate,
) -> Extension:
    assignment, item = await _open_assignment(session, principal, assignment_id)
    rules = await rules_for(session, body_id=assignment.body_id, kind=item.kind)
    assert assignment.assigned_at is not None and assignment.due_date is not None
    cap, _ = calendar.explain_due(local_date(assignment.assigned_at), months=rules.max_months)
    if data.due_date <= assignment.due_date:
        raise invalid("not_later", "due_date", f"the new due date must be after {assignment.due_date.isoformat()}")
    if data.due_date > cap:
        raise invalid(
            "extension_past_cap",
            "due_date",
            f"an extended deadline is at most {rules.max_months} months after assignment: {cap.isoformat()}",
        )
    extension = Extension(assignment_id=assignment.id, due_date=data.due_date, reason=data.reason)
    session.add(extension)
    outbox.add(
        session,
        ExtensionRequested(
            extension_id=extension.id,
            assignment_id=assignment.id,
            proposal_id=assignment.proposal_id,
            body_id=assignment.body_id,
            unit_id=assignment.unit_id,
            due_date=assignment.due_date,
            requested_due_date=data.due_date,
            reason=data.reason,
            requested_at=extension.requested_at,
        ),
        subject=assignment.proposal_id,
    )
    await session.commit()
    return extension


async def decide_extension(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, extension_id: str, data: ExtensionDecision
) -> Extension:
    extension = await session.get(Extension, extension_id, with_for_update=True)
    if extension is None:
        raise Problem(404, "not_found", "Not Found", f"extension {extension_id} does not exist")
    assignment, _ = await load_assignment(session, principal, extension.assignment_id, for_update=True)
    require_reviewer(principal, assignment.body_id)
    if extension.status != RequestStatus.pending:
        raise conflict("already_decided", f"the extension was {extension.status}")
    now = utcnow()
    extension.status = RequestStatus.approved if data.approve else RequestStatus.rejected
    extension.decided_at, extension.note = now, data.note
    if data.approve:
        previous = assignment.due_date
        assert previous is not None
        assignment.due_date = extension.due_date
        assignment.due_rule = [
            *assignment.due_rule,
            f"经批准延期至 {extension.due_date.isoformat()}：{extension.reason}",
        ]
        session.add(assignment)
        outbox.add(
            session,
            AssignmentExtended(
                assignment_id=assignment.id,
                proposal_id=assignment.proposal_id,
                body_id=assignment.body_id,
                unit_id=assignment.unit_id,
                previous_due_date=previous,
                due_date=extension.due_date,
                extended_at=now,
            ),
            subject=assignment.proposal_id,
        )
    else:
        assert assignment.due_date is not None
        outbox.add(
            session,
            ExtensionRefused(
                extension_id=extension.id,
                assignment_id=assignment.id,
                proposal_id=assignment.proposal_id,
                body_id=assignment.body_id,
                unit_id=assignment.unit_id,
                requested_due_date=extension.due_date,
                due_date=assignment.due_date,
                note=data.note,
                refused_at=now,
            ),
            subject=assignment.proposal_id,
        )
    session.add(extension)
    await session.commit()
    return extension


class AssignmentSort(StrEnum):
    due_soonest = "due_date"  # the inbox's order: most urgent first, not yet sent last
    due_latest = "-due_date"


# Assignments not yet sent (prepared) have no due date: they sort after every dated one.
_NO_DUE_DATE = date(9999, 12, 31)


async def unit_assignments(
    *,
    session: AsyncSession,
    principal: Principal,
    unit_id: str | None,
    status: list[AssignmentStatus] | None,
    open_only: bool = False,
    rehandling: bool = False,
    sort: AssignmentSort = AssignmentSort.due_soonest,
    limit: int,
    cursor: str | None,
) -> tuple[list[Assignment], str | None]:
    """A unit's inbox (unit staff: their own unit); the body's staff may name any unit. One page
    in due-date order (the assignment id breaks ties), keyset-paginated."""
    query = select(Assignment)
    if principal.unit_id and principal.role == "unit_staff":
        query = query.where(Assignment.unit_id == principal.unit_id)
    elif principal.role in ("staff", "leader") and principal.body_id:
        query = query.where(Assignment.body_id == principal.body_id)
        if unit_id:
            query = query.where(Assignment.unit_id == unit_id)
    else:
        raise forbidden("assignment lists are for units and the body's staff")
    if status:
        query = query.where(col(Assignment.status).in_(list(status)))
    if open_only:  # still to be handled: not yet replied, closed or moved
        query = query.where(col(Assignment.status).in_(list(OPEN_STATUSES)))
    if rehandling:  # reopened by an unsatisfied rating (重新办理)
        query = query.where(col(Assignment.round) > 1)
    if principal.role == "unit_staff":
        query = query.where(Assignment.status != AssignmentStatus.prepared)
    due = func.coalesce(col(Assignment.due_date), literal(_NO_DUE_DATE, Date))
    return await paginate(
        session,
        query,
        keys=(due, col(Assignment.id)),
        types=(date, str),
        cursor=cursor,
        limit=limit,
        descending=sort == AssignmentSort.due_latest,
        values=lambda a: [a.due_date or _NO_DUE_DATE, a.id],
    )


async def list_requests(
    *, session: AsyncSession, principal: Principal, assignment_id: str
) -> tuple[list[AdjustmentRequest], list[Extension]]:
    """An assignment's adjustment requests and extensions, newest first, for its unit and the body's staff."""
    assignment, item = await load_assignment(session, principal, assignment_id)
    if not (is_unit_of(principal, assignment) or is_body_staff(principal, item.body_id)):
        raise hidden("assignment", assignment_id)
    adjustments = select(AdjustmentRequest).where(AdjustmentRequest.assignment_id == assignment.id)
    if not is_body_staff(principal, item.body_id):  # a unit the item moved to does not read the previous unit's
        adjustments = adjustments.where(AdjustmentRequest.unit_id == assignment.unit_id)
    extensions = select(Extension).where(Extension.assignment_id == assignment.id)
    return (
        list((await session.exec(adjustments.order_by(col(AdjustmentRequest.requested_at).desc()))).all()),
        list((await session.exec(extensions.order_by(col(Extension.requested_at).desc()))).all()),
    )
