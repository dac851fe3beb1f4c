"""The supervision board (督办看板): open assignments counted per unit and per supervising leader,
overdue or due soon on the working-day calendar. The console shows these counts and pages through
the lists (supervision.supervision_list) for the rows, so a year of items never loads at once."""

from dataclasses import dataclass
from datetime import date, timedelta

from cn_workdays import WorkCalendar
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from assignment_service.domain.access import is_body_staff
from assignment_service.domain.deadlines import local_date, working_days_left
from assignment_service.domain.items import unit_names
from assignment_service.models import OPEN_STATUSES, Assignment, BoardCount, ProposalProjection, SupervisionBoard
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow


@dataclass
class _Tally:
    overdue: int = 0
    due_soon: int = 0
    most: int = 0

    def add(self, overdue: bool, left: int) -> None:
        if overdue:
            self.overdue += 1
            self.most = max(self.most, -left)
        else:
            self.due_soon += 1


def _rows(tallies: dict[str, _Tally], names: dict[str, str]) -> list[BoardCount]:
    rows = [
        BoardCount(id=key, name=names.get(key, key), overdue=t.overdue, due_soon=t.due_soon, most_days_overdue=t.most)
        for key, t in tallies.items()
    ]
    rows.sort(key=lambda r: (-r.overdue, -r.most_days_overdue, -r.due_soon, r.name))
    return rows


async def supervision_board(
    *,
    session: AsyncSession,
    calendar: WorkCalendar,
    principal: Principal,
    within_days: int = 10,
    today: date | None = None,
) -> SupervisionBoard:
    """The body's board for its staff and leaders; a unit's own for a unit (as the lists)."""
    query = (
        select(Assignment, ProposalProjection)
        .join(ProposalProjection, col(ProposalProjection.proposal_id) == col(Assignment.proposal_id))
        .where(col(Assignment.status).in_(list(OPEN_STATUSES)), col(Assignment.due_date).is_not(None))
    )
    if principal.role == Role.unit_staff:
        query = query.where(Assignment.unit_id == principal.unit_id)
    elif principal.role in (Role.staff, Role.leader) and is_body_staff(principal, principal.body_id):
        query = query.where(Assignment.body_id == principal.body_id)
    else:
        raise forbidden("the supervision board is for the body's staff and leaders, and for units")
    today = today or local_date(utcnow())
    # No due date this far out is within `within_days` working days (holidays included).
    query = query.where(col(Assignment.due_date) <= today + timedelta(days=3 * within_days + 30))
    units: dict[str, _Tally] = {}
    leaders: dict[str, _Tally] = {}
    total = _Tally()
    for a, p in (await session.exec(query)).all():
        if a.due_date is None:
            continue
        # As the lists: overdue once the due date has passed, due soon within `within_days` working days.
        overdue, left = a.due_date < today, working_days_left(calendar, today, a.due_date)
        if not overdue and left > within_days:
            continue
        total.add(overdue, left)
        units.setdefault(a.unit_id, _Tally()).add(overdue, left)
        if p.supervising_leader:
            leaders.setdefault(p.supervising_leader, _Tally()).add(overdue, left)
    names = await unit_names(session, set(units))
    return SupervisionBoard(
        day=today,
        within_days=within_days,
        overdue=total.overdue,
        due_soon=total.due_soon,
        by_unit=_rows(units, names),
        by_leader=_rows(leaders, {}),
    )
