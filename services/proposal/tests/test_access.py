"""Every route against every kind of caller: owners act, others get 403 or 404, and a 404
is all a caller learns of an item they may not see."""

from typing import Any

import httpx
import pytest
from proposal_world import World, ok

pytestmark = pytest.mark.integration


def item_routes(w: World, item_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    other = w.members["赵敏"]["id"]
    return [
        ("GET", f"/proposals/{item_id}", None),
        ("GET", f"/proposals/{item_id}/timeline", None),
        ("GET", f"/proposals/{item_id}/similar", None),
        ("PATCH", f"/proposals/{item_id}", {"title": "改"}),
        ("POST", f"/proposals/{item_id}/cosigners", {"member_ids": [other]}),
        ("POST", f"/proposals/{item_id}/cosign", {"accept": True}),
        ("POST", f"/proposals/{item_id}/submit", None),
        ("POST", f"/proposals/{item_id}/withdraw", None),
        ("POST", f"/proposals/{item_id}/register", None),
        ("POST", f"/proposals/{item_id}/decline", {"reason": "other", "note": "说明"}),
        ("POST", f"/proposals/{item_id}/merge", {"merged_ids": ["x"]}),
        ("POST", f"/proposals/{item_id}/key", {"key": True, "supervising_leader": "李明"}),
        ("POST", f"/proposals/{item_id}/category", {"category_id": w.categories["城市建设"]}),
    ]


async def call(c: httpx.AsyncClient, method: str, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    return await c.request(method, path, json=body, headers=headers)


async def test_callers_who_cannot_see_an_item_get_404_on_every_route(world: World) -> None:
    w, c = world, world.client
    draft = await w.draft("刘洋", kind="joint", title="草稿保密测试", content="草稿内容不外泄。")
    filed = await w.filed("陈刚", title="已提交未立案测试", content="提交内容不外泄。")
    strangers = {
        "another member": w.member("王芳"),
        "staff of another body": w.keys.headers("staff", subject="s-9", body_id="another-body"),
        "anonymous": {},
        "unit staff": w.keys.headers("unit_staff", subject="u-1", unit_id="u-fgw"),
    }
    for item in (draft, filed):
        for who, headers in strangers.items():
            for method, path, body in item_routes(w, item["id"]):
                response = await call(c, method, path, body, headers)
                expected = (401,) if (not headers and method != "GET") else (404,)
                assert response.status_code in expected, (who, item["status"], method, path, response.text)
                assert item["title"] not in response.text and item["content"] not in response.text
    # The body's staff do not see drafts either.
    for method, path, body in item_routes(w, draft["id"]):
        assert (await call(c, method, path, body, w.staff())).status_code == 404, (method, path)


async def test_each_decision_needs_its_role(world: World) -> None:
    w, c = world, world.client
    filed = await w.filed("陈刚")
    proposer_only = {"PATCH", "/cosigners", "/submit", "/withdraw"}
    staff_only = {"/register", "/decline", "/merge", "/key", "/category"}
    for method, path, body in item_routes(w, filed["id"]):
        suffix = "PATCH" if method == "PATCH" else path.removeprefix(f"/proposals/{filed['id']}")
        # Callers allowed to act are not tried here (other tests do), so the item stays as it is.
        callers = {"leader": w.keys.headers("leader", subject="l-1", body_id=w.body["id"])}
        if suffix not in staff_only:
            callers["staff"] = w.staff()
        if suffix not in proposer_only:
            callers["proposer"] = w.member("陈刚")
        for who, headers in callers.items():
            response = await call(c, method, path, body, headers)
            assert response.status_code == (200 if method == "GET" else 403), (who, method, path, response.text)
    assert ok(await c.get(f"/proposals/{filed['id']}", headers=w.member("陈刚")))["status"] == "submitted"


async def test_body_configuration_needs_admin_or_the_bodys_staff(world: World) -> None:
    w, c = world, world.client
    body_id = w.body["id"]
    new_body = {"name": "武汉市人民代表大会", "kind": "npc", "level": "municipal"}
    assert (await c.post("/bodies", json=new_body)).status_code == 401
    assert (await c.post("/bodies", json=new_body, headers=w.staff())).status_code == 403
    npc = ok(await c.post("/bodies", json=new_body, headers=w.admin()), 201)
    assert npc["min_cosigners"] == 4
    other_staff = w.keys.headers("staff", subject="s-9", body_id=npc["id"])
    attempts = [
        ("POST", f"/bodies/{body_id}/sessions", {"term": 14, "meeting": 5}),
        ("PATCH", f"/sessions/{w.session['id']}", {"published": True}),
        ("POST", f"/bodies/{body_id}/categories", {"name": "生态环境"}),
        ("PATCH", f"/bodies/{body_id}/categories/{w.categories['城市建设']}", {"active": True}),
        ("POST", f"/bodies/{body_id}/members", {"name": "某某"}),
    ]
    for method, path, body in attempts:
        for headers in (w.member("刘洋"), other_staff):
            assert (await call(c, method, path, body, headers)).status_code == 403, (method, path)
        assert (await call(c, method, path, body, {})).status_code == 401, (method, path)
        assert (await call(c, method, path, body, w.staff())).status_code in (200, 201), (method, path)
    # The member directory is for the body's own members and staff.
    assert len(ok(await c.get(f"/bodies/{body_id}/members", headers=w.member("刘洋")))["items"]) == 5
    assert (await c.get(f"/bodies/{body_id}/members", headers=other_staff)).status_code == 403
    assert (await c.get(f"/bodies/{body_id}/members")).status_code == 401  # the public: sign in first
    # A member of one body cannot file in another's session.
    npc_session = ok(
        await c.post(f"/bodies/{npc['id']}/sessions", json={"term": 15, "meeting": 4}, headers=other_staff), 201
    )
    response = await c.post(
        "/proposals",
        json={"session_id": npc_session["id"], "kind": "suggestion", "title": "t", "content": "c"},
        headers=w.member("刘洋"),
    )
    assert response.status_code == 403, response.text
