"""Requests waiting for the committee staff (the console's 待审批申请): the body's pending adjustment
and extension requests with their item and unit, paged; decided ones leave the list; another body's
staff and the units never read it."""

import uuid
from datetime import date, timedelta

import pytest
from assignment_world import HandlingWorld, ok, problem

pytestmark = pytest.mark.integration


async def test_staff_read_the_bodys_waiting_requests_a_page_at_a_time(world: HandlingWorld) -> None:
    w, c = world, world.client
    first = await w.registered("关于加快专精特新企业培育的建议")
    second = await w.registered("关于优化营商环境的建议")
    (lead,) = await w.assign(first, ("FGW", "lead"))
    (other,) = await w.assign(second, ("SWJ", "lead"))
    asked = ok(
        await c.post(
            f"/assignments/{lead['id']}/adjustment-requests",
            json={"reason": "不属于本单位职责", "suggested_unit_id": w.units["CZJ"]},
            headers=w.unit("FGW"),
        ),
        201,
    )
    also = ok(
        await c.post(
            f"/assignments/{other['id']}/adjustment-requests", json={"reason": "职责调整"}, headers=w.unit("SWJ")
        ),
        201,
    )
    wanted = date.fromisoformat(other["due_date"]) + timedelta(days=30)
    extension = ok(
        await c.post(
            f"/assignments/{other['id']}/extensions",
            json={"due_date": wanted.isoformat(), "reason": "需跨年度协调"},
            headers=w.unit("SWJ"),
        ),
        201,
    )

    page = ok(await c.get("/requests/waiting", params={"kind": "adjustment", "limit": 1}, headers=w.staff()))
    assert [r["id"] for r in page["items"]] == [asked["id"]] and page["next_cursor"]
    view = page["items"][0]
    assert (view["title"], view["unit_name"], view["role"], view["suggested_unit_id"]) == (
        "关于加快专精特新企业培育的建议",
        next(u for u in ok(await c.get("/units"))["items"] if u["code"] == "FGW")["name"],
        "lead",
        w.units["CZJ"],
    )
    assert view["suggested_unit_name"] and view["due_date"] == lead["due_date"]
    rest = ok(
        await c.get(
            "/requests/waiting", params={"kind": "adjustment", "cursor": page["next_cursor"]}, headers=w.staff()
        )
    )
    assert [r["id"] for r in rest["items"]] == [also["id"]] and rest["next_cursor"] is None

    extensions = ok(await c.get("/requests/waiting", params={"kind": "extension"}, headers=w.staff()))["items"]
    assert [(r["id"], r["requested_due_date"]) for r in extensions] == [(extension["id"], wanted.isoformat())]

    # Decided: no longer waiting.
    ok(await c.post(f"/adjustment-requests/{also['id']}/decision", json={"approve": False}, headers=w.staff()))
    left = ok(await c.get("/requests/waiting", params={"kind": "adjustment"}, headers=w.staff()))["items"]
    assert [r["id"] for r in left] == [asked["id"]]

    # Units, leaders and another body's staff read nothing of it; a bad kind or cursor is a 422.
    problem(await c.get("/requests/waiting", params={"kind": "adjustment"}, headers=w.unit("FGW")), 403, "forbidden")
    problem(await c.get("/requests/waiting", params={"kind": "adjustment"}, headers=w.leader()), 403, "forbidden")
    elsewhere = w.keys.headers("staff", subject="staff-2", body_id=str(uuid.uuid4()), name="提案委")
    assert ok(await c.get("/requests/waiting", params={"kind": "adjustment"}, headers=elsewhere))["items"] == []
    bad = problem(
        await c.get("/requests/waiting", params={"kind": "nonsense"}, headers=w.staff()), 422, "validation_failed"
    )
    assert any("kind" in (e.get("field") or "") for e in bad["errors"])
    problem(
        await c.get("/requests/waiting", params={"kind": "adjustment", "cursor": "!!"}, headers=w.staff()),
        422,
        "invalid_cursor",
    )
