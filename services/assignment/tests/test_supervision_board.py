"""The supervision board (督办看板): open assignments counted per unit and per supervising leader,
overdue or due soon on the working-day calendar, for the body's staff and leaders (a unit sees its
own), agreeing with the paged lists."""

from datetime import timedelta

import pytest
from assignment_world import HandlingWorld, ok, problem
from sqlalchemy import update
from sqlmodel import col

from assignment_service.domain.deadlines import current_calendar, local_date
from assignment_service.models import Assignment, ProposalProjection
from servicekit.db import utcnow
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration


async def test_the_board_counts_overdue_and_due_soon_per_unit_and_leader(world: HandlingWorld) -> None:
    w, c = world, world.client
    calendar = current_calendar()
    today = local_date(utcnow())
    late, later, soon, far = [await w.registered(f"督办提案 {i}") for i in range(4)]
    (a_late,) = await w.assign(late, ("FGW", "lead"))
    (a_later,) = await w.assign(later, ("FGW", "lead"))
    (a_soon,) = await w.assign(soon, ("CZJ", "lead"))
    (a_far,) = await w.assign(far, ("CZJ", "lead"))
    dues = {
        a_late["id"]: today - timedelta(days=30),
        a_later["id"]: today - timedelta(days=3),
        a_soon["id"]: calendar.add_working_days(today, 2),
        a_far["id"]: calendar.add_working_days(today, 40),
    }
    async with service_runtime(w.app).database.session() as session:
        for assignment_id, due in dues.items():
            await session.exec(update(Assignment).where(col(Assignment.id) == assignment_id).values(due_date=due))
        for pid, leader in ((late, "市政府副市长 李明"), (soon, "市政府副市长 李明")):
            await session.exec(
                update(ProposalProjection)
                .where(col(ProposalProjection.proposal_id) == pid)
                .values(key=True, supervising_leader=leader)
            )
        await session.commit()

    board = ok(await c.get("/supervision/board", headers=w.staff()))
    assert (board["overdue"], board["due_soon"], board["within_days"]) == (2, 1, 10)
    by_unit = {r["id"]: r for r in board["by_unit"]}
    assert [r["id"] for r in board["by_unit"]] == [w.units["FGW"], w.units["CZJ"]]  # most overdue first
    fgw, czj = by_unit[w.units["FGW"]], by_unit[w.units["CZJ"]]
    assert (fgw["overdue"], fgw["due_soon"], czj["overdue"], czj["due_soon"]) == (2, 0, 0, 1)
    assert fgw["most_days_overdue"] == calendar.working_days_between(dues[a_late["id"]], today) > 0
    assert fgw["name"] and fgw["name"] != fgw["id"]
    assert board["by_leader"] == [
        {
            "id": "市政府副市长 李明",
            "name": "市政府副市长 李明",
            "overdue": 1,
            "due_soon": 1,
            "most_days_overdue": fgw["most_days_overdue"],
        }
    ]
    # The counts agree with the lists the board's rows come from.
    overdue = ok(await c.get("/supervision/overdue", headers=w.staff()))
    assert len(overdue["items"]) == board["overdue"]
    # A wider window takes in the far one; a unit sees only its own; others nothing.
    assert ok(await c.get("/supervision/board?within_days=60", headers=w.staff()))["due_soon"] == 2
    own = ok(await c.get("/supervision/board", headers=w.unit("CZJ")))
    assert [r["id"] for r in own["by_unit"]] == [w.units["CZJ"]] and own["overdue"] == 0
    assert ok(await c.get("/supervision/board", headers=w.leader()))["overdue"] == 2
    problem(await c.get("/supervision/board", headers=w.member()), 403, "forbidden")
    problem(await c.get("/supervision/board?within_days=0", headers=w.staff()), 422, "validation_failed")
