"""Every route of the assignment service against every kind of caller: the body's staff, the
assigned unit, a co-handler, another unit, the item's proposer, another member, another
body's staff and the anonymous public. Owners act; the others get 401, 403 or 404, and a 404
or a list says nothing of what they may not see."""

from datetime import date, timedelta
from typing import Any

import pytest
from assignment_world import HandlingWorld, ok

pytestmark = pytest.mark.integration

TITLE = "关于保密测试的建议"


async def test_every_route_answers_each_caller_as_it_should(world: HandlingWorld) -> None:
    w, c = world, world.client
    pid = await w.registered(TITLE)
    lead, co = await w.assign(pid, ("FGW", "lead"), ("CZJ", "co"))
    later = (date.fromisoformat(lead["due_date"]) + timedelta(days=10)).isoformat()
    callers: dict[str, dict[str, str]] = {
        "staff": w.staff(),
        "leader": w.leader(),
        "lead unit": w.unit("FGW"),
        "co-handler": w.unit("CZJ"),
        "other unit": w.unit("SWJ"),
        "proposer": w.member("lead"),
        "cosigner": w.member("cosigner"),
        "other member": w.keys.headers("member", subject="x", body_id=w.body_id, member_id="someone-else"),
        "other body's staff": w.keys.headers("staff", subject="y", body_id="another-body"),
        "anonymous": {},
    }
    readers = {"staff", "leader", "lead unit", "co-handler", "proposer", "cosigner"}
    # (method, path, body, who may: {caller: expected status}); everyone else gets 404 (401 when anonymous)
    routes: list[tuple[str, str, Any, dict[str, int]]] = [
        ("GET", f"/proposals/{pid}", None, dict.fromkeys(readers, 200)),
        ("GET", f"/proposals/{pid}/assignments", None, dict.fromkeys(readers, 200)),
        ("GET", f"/proposals/{pid}/replies", None, dict.fromkeys(readers, 200)),
        ("GET", f"/assignments/{lead['id']}", None, {"staff": 200, "leader": 200, "lead unit": 200, "proposer": 200, "cosigner": 200}),
        ("GET", f"/assignments/{lead['id']}/records", None, {"staff": 200, "leader": 200, "lead unit": 200, "proposer": 404, "cosigner": 404}),
        ("GET", f"/assignments/{lead['id']}/adjustment-requests", None, {"staff": 200, "leader": 200, "lead unit": 200, "anonymous": 401}),
        ("GET", f"/assignments/{lead['id']}/extensions", None, {"staff": 200, "leader": 200, "lead unit": 200, "anonymous": 401}),
        ("GET", f"/proposals/{pid}/routing-suggestions", None, {"staff": 200, "leader": 403, "lead unit": 403, "co-handler": 403, "proposer": 403, "cosigner": 403, "anonymous": 401}),
        ("POST", f"/assignments/{lead['id']}/acknowledge", None, {"lead unit": 200, "staff": 403, "leader": 403, "proposer": 403, "cosigner": 403}),
        ("POST", f"/assignments/{lead['id']}/records", {"kind": "progress", "text": "进展"}, {"lead unit": 201, "staff": 403, "leader": 403, "proposer": 403, "cosigner": 403}),
        ("POST", f"/assignments/{lead['id']}/extensions", {"due_date": later, "reason": "需协调"}, {"lead unit": 201, "staff": 403, "leader": 403, "proposer": 403, "cosigner": 403}),
        ("POST", f"/assignments/{lead['id']}/adjustment-requests", {"reason": "非本单位职责"}, {"lead unit": 201, "staff": 403, "leader": 403, "proposer": 403, "cosigner": 403}),
        ("POST", f"/proposals/{pid}/assignments", {"units": [{"unit_id": w.units["SWJ"], "role": "lead"}]}, {"staff": 409, "leader": 403, "lead unit": 403, "co-handler": 403, "proposer": 403, "cosigner": 403}),
        ("POST", f"/proposals/{pid}/plan", {"title": "t", "tasks": [{"number": "1", "title": "t", "lead_unit": "FGW"}]}, {"staff": 409, "leader": 403, "lead unit": 403, "co-handler": 403, "proposer": 403, "cosigner": 403}),
        ("POST", f"/assignments/{lead['id']}/reply", {"text": "答复", "outcome": "A"}, {"lead unit": 201, "staff": 403, "leader": 403, "proposer": 403, "cosigner": 403}),
    ]  # fmt: skip
    for method, path, body, allowed in routes:
        for who, headers in callers.items():
            if who == "co-handler" and "/assignments/" in path and lead["id"] in path:
                expected = allowed.get(who, 404)  # a co-handler sees only what it co-handles
            else:
                expected = allowed.get(who, 401 if who == "anonymous" and method == "POST" else 404)
            response = await c.request(method, path, json=body, headers=headers)
            assert response.status_code == expected, (who, method, path, response.text)
            if expected in (401, 403, 404):
                assert TITLE not in response.text
    # Lists hold only what the caller may see: the co-handler sees the lead it works with, no more.
    assert {a["unit_id"] for a in ok(await c.get(f"/proposals/{pid}/assignments", headers=w.unit("CZJ")))["items"]} == {
        w.units["FGW"],
        w.units["CZJ"],
    }
    assert {a["id"] for a in ok(await c.get("/assignments", headers=w.unit("FGW")))["items"]} == {lead["id"]}
    assert ok(await c.get("/assignments", headers=w.unit("SWJ")))["items"] == []
    assert {a["id"] for a in ok(await c.get("/assignments", headers=w.staff()))["items"]} == {lead["id"], co["id"]}
    assert ok(await c.get("/assignments", headers=callers["other body's staff"]))["items"] == []
    for who in ("proposer", "anonymous", "other member"):
        assert (await c.get("/assignments", headers=callers[who])).status_code in (401, 403)
        assert (await c.get("/proposals", headers=callers[who])).status_code in (401, 403)


async def test_a_value_the_database_cannot_hold_is_a_400_not_a_500(world: HandlingWorld, database_url: str) -> None:
    """Found by the fuzz run: a NUL character in a query parameter reached PostgreSQL, whose
    untranslated driver error became a 500. Now any data exception is a 400 problem."""
    w, c = world, world.client
    for params in ({"leader": "李\x00明"}, {"unit_id": "u\x00"}):
        response = await c.get("/supervision/overdue", params=params, headers=w.staff())
        if database_url.startswith("postgresql"):  # PostgreSQL text cannot hold NUL
            assert response.status_code == 400 and response.json()["code"] == "invalid_value", response.text
        else:  # SQLite can, and simply finds nothing
            assert response.status_code == 200 and response.json()["items"] == [], response.text
