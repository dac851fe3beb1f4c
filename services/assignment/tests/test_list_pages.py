"""Every list of the assignment service answers one page envelope ({items, next_cursor}, ADR 20):
walked page by page it repeats and skips nothing, keeps its order and filters, and a cursor it
did not issue is a 422 naming ``cursor``, never a 500."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from assignment_world import HandlingWorld, ok, problem
from sqlalchemy import update
from sqlmodel import col

from assignment_service.domain.deadlines import current_calendar, local_date
from assignment_service.models import Assignment
from servicekit.db import utcnow
from servicekit.pagination import encode_cursor
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration


async def walk(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor; each page answers the envelope."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(50):
        page = ok(await client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers))
        assert set(page) == {"items", "next_cursor"}, page
        assert len(page["items"]) <= int(params.get("limit", 50))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


async def set_due_dates(world: HandlingWorld, dues: dict[str, Any]) -> None:
    async with service_runtime(world.app).database.session() as session:
        for assignment_id, due in dues.items():
            await session.exec(update(Assignment).where(col(Assignment.id) == assignment_id).values(due_date=due))
        await session.commit()


async def test_a_units_inbox_pages_by_due_date_with_status_filters(world: HandlingWorld) -> None:
    w, c = world, world.client
    made = [(await w.assign(await w.registered(f"关于第{i}件事的建议"), ("FGW", "lead")))[0] for i in range(5)]
    today = local_date(utcnow())
    # Out of creation order, two on the same day (the id breaks the tie).
    dues = dict(zip([a["id"] for a in made], [30, 10, 20, 10, 40], strict=True))
    await set_due_dates(w, {aid: today + timedelta(days=days) for aid, days in dues.items()})
    by_due = sorted(dues, key=lambda aid: (dues[aid], aid))

    unit = w.unit("FGW")
    assert [a["id"] for a in await walk(c, "/assignments", unit, limit=2)] == by_due
    latest_first = await walk(c, "/assignments", unit, limit=2, sort="-due_date")
    assert [a["id"] for a in latest_first] == list(reversed(by_due))
    first = ok(await c.get("/assignments", params={"limit": 2}, headers=unit))
    assert len(first["items"]) == 2 and first["next_cursor"]

    ok(await c.post(f"/assignments/{by_due[0]}/acknowledge", headers=unit))
    acknowledged = ok(await c.get("/assignments", params={"status": "acknowledged"}, headers=unit))
    assert [a["id"] for a in acknowledged["items"]] == [by_due[0]]
    both = await walk(c, "/assignments", unit, limit=3, status=["assigned", "acknowledged"])
    assert [a["id"] for a in both] == by_due
    assert ok(await c.get("/assignments", params={"status": "replied"}, headers=unit)) == {
        "items": [],
        "next_cursor": None,
    }
    problem(await c.get("/assignments", params={"status": "lost"}, headers=unit), 422, "validation_failed")
    problem(await c.get("/assignments", params={"sort": "title"}, headers=unit), 422, "validation_failed")
    problem(await c.get("/assignments", params={"limit": 0}, headers=unit), 422, "validation_failed")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        encode_cursor(["not-a-date", "a"]),
        encode_cursor(["2026-01-01", "a", "b"]),  # more keys than any list has
        encode_cursor([1, 2]),
        encode_cursor(["2026-01-01", "a\x00"]),  # text no database holds
    ],
)
async def test_a_cursor_the_list_did_not_issue_is_a_422_naming_cursor(world: HandlingWorld, cursor: str) -> None:
    w, c = world, world.client
    for path, headers in (
        ("/assignments", w.unit("FGW")),
        ("/units", {}),
        ("/supervision/overdue", w.staff()),
        ("/supervision/due-soon", w.staff()),
    ):
        body = problem(await c.get(path, params={"cursor": cursor}, headers=headers), 422, "invalid_cursor")
        assert [e["field"] for e in body["errors"]] == ["cursor"], (path, body)


async def test_supervision_lists_page_most_urgent_first(world: HandlingWorld) -> None:
    w, c = world, world.client
    made = [(await w.assign(await w.registered(f"督办 {i}"), ("FGW", "lead")))[0]["id"] for i in range(6)]
    calendar = current_calendar()
    today = local_date(utcnow())
    late = {made[0]: today - timedelta(days=3), made[1]: today - timedelta(days=30), made[2]: today - timedelta(days=9)}
    soon = {made[3]: calendar.add_working_days(today, 3), made[4]: calendar.add_working_days(today, 1)}
    await set_due_dates(w, {**late, **soon, made[5]: calendar.add_working_days(today, 40)})

    overdue = await walk(c, "/supervision/overdue", w.staff(), limit=2)
    assert [i["assignment_id"] for i in overdue] == sorted(late, key=lambda aid: late[aid])
    assert all(i["working_days_left"] < 0 for i in overdue)
    due_soon = await walk(c, "/supervision/due-soon", w.staff(), limit=1)
    assert [i["assignment_id"] for i in due_soon] == [made[4], made[3]]
    assert [i["assignment_id"] for i in await walk(c, "/supervision/due-soon", w.unit("FGW"), within_days=60)] == [
        made[4],
        made[3],
        made[5],
    ]
    assert ok(await c.get("/supervision/overdue", headers=w.unit("CZJ"))) == {"items": [], "next_cursor": None}
    problem(
        await c.get("/supervision/due-soon", params={"within_days": -1}, headers=w.staff()), 422, "validation_failed"
    )


async def test_units_page_by_code(world: HandlingWorld) -> None:
    c = world.client
    every = await walk(c, "/units", {}, limit=3)
    codes = [u["code"] for u in every]
    assert codes == sorted(codes) and len(set(codes)) == len(codes) == len(world.units)
    default = ok(await c.get("/units"))
    assert default["items"] == every and default["next_cursor"] is None
