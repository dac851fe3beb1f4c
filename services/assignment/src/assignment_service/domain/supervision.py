"""Reminders and supervision (催办/督办): the deadline scanner and the overdue and due-soon lists.

The scanner runs in every replica. A reminder is one row per assignment and day,
keyed on both, written with its event in one transaction: a second replica's
insert of the same reminder fails on the key and sends nothing.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from cn_workdays import WorkCalendar
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import is_body_staff
from assignment_service.domain.deadlines import local_date, working_days_left
from assignment_service.domain.items import unit_names
from assignment_service.domain.rules import rules_for
from assignment_service.events.schemas import AssignmentDueSoon, AssignmentOverdue
from assignment_service.models import OPEN_STATUSES, Assignment, ProposalProjection, Reminder, SupervisionItem
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import Database, utcnow
from servicekit.outbox import Outbox
from servicekit.pagination import page_of

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    day: date
    working_day: bool
    due_soon: int = 0
    overdue: int = 0


async def scan_deadlines(
    *, database: Database, outbox: Outbox, calendar: WorkCalendar, today: date | None = None
) -> ScanResult:
    """Sends today's due-soon and overdue reminders, on working days only, once per assignment."""
    today = today or local_date(utcnow())
    result = ScanResult(day=today, working_day=calendar.is_working_day(today))
    if not result.working_day:
        return result
    async with database.session(read_only=True) as session:
        query = (
            select(Assignment, ProposalProjection)
            .join(ProposalProjection, col(ProposalProjection.proposal_id) == col(Assignment.proposal_id))
            .where(col(Assignment.status).in_(list(OPEN_STATUSES)))
        )
        due_soon_days: dict[tuple[str, str], int] = {}
        candidates = []
        for a, p in (await session.exec(query)).all():
            if a.due_date is None:
                continue
            if (a.body_id, p.kind) not in due_soon_days:
                rules = await rules_for(session, body_id=a.body_id, kind=p.kind)
                due_soon_days[(a.body_id, p.kind)] = rules.due_soon_days
            left = working_days_left(calendar, today, a.due_date)
            if left < 0 or left <= due_soon_days[(a.body_id, p.kind)]:
                candidates.append((a.id, a.body_id, a.due_date, left))
    for assignment_id, body_id, due, left in candidates:
        async with database.session() as session:
            assignment = await session.get_one(Assignment, assignment_id)
            notice = AssignmentOverdue if due < today else AssignmentDueSoon
            session.add(Reminder(assignment_id=assignment_id, day=today, kind="overdue" if due < today else "due_soon"))
            outbox.add(
                session,
                notice(
                    assignment_id=assignment_id,
                    proposal_id=assignment.proposal_id,
                    body_id=body_id,
                    unit_id=assignment.unit_id,
                    due_date=due,
                    working_days_left=left,
                    day=today,
                ),
                subject=assignment.proposal_id,
            )
            try:
                await session.commit()
            except IntegrityError:
                continue  # another replica sent it today
            if due < today:
                result.overdue += 1
            else:
                result.due_soon += 1
    return result


async def run_scanner(
    *, database: Database, outbox: Outbox, calendar: WorkCalendar, interval_s: float, done: Callable[[], None]
) -> None:
    """Scans every ``interval_s``; ``done`` is told of each scan that finished (the metric the
    "overdue scanner not run today" alert reads)."""
    while True:
        try:
            result = await scan_deadlines(database=database, outbox=outbox, calendar=calendar)
            if result.due_soon or result.overdue:
                log.info("deadline scan %s: %d due soon, %d overdue", result.day, result.due_soon, result.overdue)
            done()
        except Exception:
            log.exception("deadline scan failed; retrying at the next interval")
        await asyncio.sleep(interval_s)


async def supervision_list(
    *,
    session: AsyncSession,
    calendar: WorkCalendar,
    principal: Principal,
    overdue: bool,
    unit_id: str | None = None,
    leader: str | None = None,
    within_days: int = 10,
    limit: int = 200,
    cursor: str | None = None,
) -> tuple[list[SupervisionItem], str | None]:
    """Open assignments past their due date (``overdue``) or due within ``within_days`` working
    days, most urgent first (by due date, then assignment id), one page: for the body's staff and
    leaders, or a unit's own."""
    query = (
        select(Assignment, ProposalProjection)
        .join(ProposalProjection, col(ProposalProjection.proposal_id) == col(Assignment.proposal_id))
        .where(col(Assignment.status).in_(list(OPEN_STATUSES)))
    )
    if principal.role == Role.unit_staff:
        query = query.where(Assignment.unit_id == principal.unit_id)
    elif principal.role in (Role.staff, Role.leader) and is_body_staff(principal, principal.body_id):
        query = query.where(Assignment.body_id == principal.body_id)
        if unit_id:
            query = query.where(Assignment.unit_id == unit_id)
    else:
        raise forbidden("supervision lists are for the body's staff and leaders, and for units")
    if leader:
        query = query.where(ProposalProjection.supervising_leader == leader)
    today = local_date(utcnow())
    query = query.where(col(Assignment.due_date) < today if overdue else col(Assignment.due_date) >= today)
    rows = []
    for a, p in (await session.exec(query)).all():
        if a.due_date is None:
            continue
        left = working_days_left(calendar, today, a.due_date)
        if overdue or left <= within_days:
            rows.append((a, p, left))
    rows.sort(key=lambda r: (r[0].due_date, r[0].id))
    page, next_cursor = page_of(
        rows, key=lambda r: (r[0].due_date, r[0].id), types=(date, str), cursor=cursor, limit=limit
    )
    names = await unit_names(session, {a.unit_id for a, _, _ in page})
    return [
        SupervisionItem(
            assignment_id=a.id,
            proposal_id=p.proposal_id,
            number_label=p.number_label,
            title=p.title,
            unit_id=a.unit_id,
            unit_name=names.get(a.unit_id, ""),
            role=a.role,
            due_date=a.due_date,
            working_days_left=left,
            key=p.key,
            supervising_leader=p.supervising_leader,
        )
        for a, p, left in page
        if a.due_date is not None
    ], next_cursor
