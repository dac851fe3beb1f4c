"""What a handling unit's workbench reads (issue 14): its inbox filtered by the server, the item's
text, its co-handlers, its requests and its commitments; never another unit's."""

from datetime import date, timedelta

import pytest
from assignment_world import HandlingWorld, ok, problem

pytestmark = pytest.mark.integration


async def test_a_units_inbox_is_filtered_and_explained_by_the_server(world: HandlingWorld) -> None:
    w, c = world, world.client
    first = await w.registered("关于加快专精特新企业培育的建议")
    second = await w.registered("关于优化营商环境的建议")
    lead, co = await w.assign(first, ("FGW", "lead"), ("CZJ", "co"))
    (other,) = await w.assign(second, ("FGW", "lead"))

    inbox = ok(await c.get("/assignments", params={"open": "true"}, headers=w.unit("FGW")))["items"]
    assert {a["id"] for a in inbox} == {lead["id"], other["id"]}
    view = next(a for a in inbox if a["id"] == lead["id"])
    assert (view["title"], view["number_label"], view["kind"]) == (
        "关于加快专精特新企业培育的建议",
        "个0001",
        "individual",
    )
    due = date.fromisoformat(view["due_date"])
    assert view["working_days_left"] is not None and 40 < view["working_days_left"] < (due - date.today()).days
    # The adjustment window is 5 working days: at least a week away, at most two with a holiday.
    window = date.fromisoformat(view["adjustment_window_closes_on"])
    assert date.today() + timedelta(days=5) <= window <= date.today() + timedelta(days=15)
    assert date.fromisoformat(view["extension_cap"]) > due

    ok(
        await c.post(
            f"/assignments/{other['id']}/reply", json={"text": "已纳入年度计划", "outcome": "A"}, headers=w.unit("FGW")
        ),
        201,
    )
    still_open = ok(await c.get("/assignments", params={"open": "true"}, headers=w.unit("FGW")))["items"]
    assert [a["id"] for a in still_open] == [lead["id"]]
    replied = ok(await c.get("/assignments", params={"status": "replied"}, headers=w.unit("FGW")))["items"]
    assert [(a["id"], a["working_days_left"]) for a in replied] == [(other["id"], None)]
    assert ok(await c.get("/assignments", params={"rehandling": "true"}, headers=w.unit("FGW")))["items"] == []
    # Another unit's inbox says nothing of them, whatever it asks for.
    assert ok(await c.get("/assignments", params={"unit_id": w.units["FGW"]}, headers=w.unit("SWJ")))["items"] == []

    # The desk: the item's text, and the lead and its co-handler see each other.
    item = ok(await c.get(f"/proposals/{first}", headers=w.unit("CZJ")))
    assert item["content"].startswith("建议完善梯度培育体系")
    for code in ("FGW", "CZJ"):
        units = ok(await c.get(f"/proposals/{first}/assignments", headers=w.unit(code)))["items"]
        assert {(a["id"], a["role"]) for a in units} == {(lead["id"], "lead"), (co["id"], "co")}
    problem(await c.get(f"/proposals/{first}", headers=w.unit("SWJ")), 404, "not_found")
    problem(await c.get(f"/proposals/{first}/assignments", headers=w.unit("SWJ")), 404, "not_found")


async def test_separate_units_see_only_their_own_assignment(world: HandlingWorld) -> None:
    w, c = world, world.client
    pid = await w.registered("关于治理南湖片区渍水的建议")
    a, _ = await w.assign(pid, ("SWJ", "separate"), ("HS-SW", "separate"))
    assert [x["id"] for x in ok(await c.get(f"/proposals/{pid}/assignments", headers=w.unit("SWJ")))["items"]] == [
        a["id"]
    ]


async def test_an_assignments_requests_are_listed_for_its_unit_only(world: HandlingWorld) -> None:
    w, c = world, world.client
    pid = await w.registered()
    lead, _co = await w.assign(pid, ("FGW", "lead"), ("CZJ", "co"))
    path = f"/assignments/{lead['id']}"
    assert ok(await c.get(f"{path}/adjustment-requests", headers=w.unit("FGW")))["items"] == []
    ok(await c.post(f"{path}/adjustment-requests", json={"reason": "非本单位职责"}, headers=w.unit("FGW")), 201)
    later = (date.fromisoformat(lead["due_date"]) + timedelta(days=20)).isoformat()
    ok(
        await c.post(f"{path}/extensions", json={"due_date": later, "reason": "需多部门协调"}, headers=w.unit("FGW")),
        201,
    )
    (request,) = ok(await c.get(f"{path}/adjustment-requests", headers=w.unit("FGW")))["items"]
    assert (request["reason"], request["status"]) == ("非本单位职责", "pending")
    (extension,) = ok(await c.get(f"{path}/extensions", headers=w.staff()))["items"]
    assert (extension["due_date"], extension["status"]) == (later, "pending")
    for code in ("CZJ", "SWJ"):  # the co-handler and a stranger: as if it did not exist
        problem(await c.get(f"{path}/adjustment-requests", headers=w.unit(code)), 404, "not_found")
        problem(await c.get(f"{path}/extensions", headers=w.unit(code)), 404, "not_found")
    assert (await c.get(f"{path}/extensions")).status_code == 401


async def test_a_units_commitments_by_target_date_paged_and_marked_done(world: HandlingWorld) -> None:
    w, c = world, world.client
    targets = [date.today() + timedelta(days=d) for d in (90, 30, 60)]
    for i, target in enumerate(targets):
        pid = await w.registered(f"关于第{i + 1}项工作的建议")
        (lead,) = await w.assign(pid, ("FGW", "lead"))
        answer = {
            "text": "正在推进",
            "outcome": "B",
            "commitments": [{"text": f"承诺{i + 1}", "target_date": target.isoformat()}],
        }
        ok(await c.post(f"/assignments/{lead['id']}/reply", json=answer, headers=w.unit("FGW")), 201)
    pid = await w.registered("关于其他单位工作的建议")
    (theirs,) = await w.assign(pid, ("SWJ", "lead"))
    answer = {"text": "正在推进", "outcome": "B", "commitments": [{"text": "水务承诺", "target_date": "2027-01-05"}]}
    ok(await c.post(f"/assignments/{theirs['id']}/reply", json=answer, headers=w.unit("SWJ")), 201)

    page = ok(await c.get("/commitments", params={"limit": 2}, headers=w.unit("FGW")))
    assert [x["text"] for x in page["items"]] == ["承诺2", "承诺3"] and page["next_cursor"]
    assert page["items"][0]["title"] == "关于第2项工作的建议" and page["items"][0]["outcome"] == "B"
    rest = ok(await c.get("/commitments", params={"limit": 2, "cursor": page["next_cursor"]}, headers=w.unit("FGW")))
    assert [x["text"] for x in rest["items"]] == ["承诺1"] and rest["next_cursor"] is None

    done = ok(await c.post(f"/commitments/{page['items'][0]['id']}/done", headers=w.unit("FGW")))
    assert done["done_on"] is not None
    open_ones = ok(await c.get("/commitments", params={"done": "false"}, headers=w.unit("FGW")))
    assert [x["text"] for x in open_ones["items"]] == ["承诺3", "承诺1"]
    finished = ok(await c.get("/commitments", params={"done": "true"}, headers=w.unit("FGW")))
    assert [x["text"] for x in finished["items"]] == ["承诺2"]
    # Another unit neither lists nor marks them; the body's staff see every unit's, or one unit's.
    assert [x["text"] for x in ok(await c.get("/commitments", headers=w.unit("SWJ")))["items"]] == ["水务承诺"]
    problem(await c.post(f"/commitments/{open_ones['items'][0]['id']}/done", headers=w.unit("SWJ")), 404, "not_found")
    assert len(ok(await c.get("/commitments", headers=w.staff()))["items"]) == 4
    only = ok(await c.get("/commitments", params={"unit_id": w.units["SWJ"]}, headers=w.staff()))
    assert [x["unit_name"] for x in only["items"]] == ["市水务局"]
    assert ok(await c.get("/commitments", headers=w.keys.headers("staff", subject="y", body_id="x")))["items"] == []
    member = w.member()
    assert (await c.get("/commitments", headers=member)).status_code == 403
    bad = await c.get("/commitments", params={"cursor": "nonsense"}, headers=w.unit("FGW"))
    assert bad.status_code in (400, 422) and bad.json()["code"] == "invalid_cursor"
