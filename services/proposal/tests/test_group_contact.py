"""A group item filed by staff names the group's contact member, who rates the replies; an item
nobody could rate is refused at registration, not found at the year's end (issue 16)."""

from typing import Any

import pytest
from fastapi import FastAPI
from proposal_world import World, ok, problem
from sqlmodel import func, select

from proposal_service.models import Proposal
from servicekit.outbox import OutboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration


async def snapshot(w: World) -> tuple[Any, ...]:
    app: FastAPI = w.app  # type: ignore[attr-defined]
    async with service_runtime(app).database.session(read_only=True) as session:
        items = (await session.exec(select(Proposal.id, Proposal.status, Proposal.lead_member_id))).all()
        events = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return tuple(sorted(items, key=lambda r: r[0])), events


async def filed_by_staff(w: World, kind: str, group: str, **extra: Any) -> dict[str, Any]:
    payload = {
        "session_id": w.session["id"],
        "kind": kind,
        "title": "关于发展银发经济的建议",
        "content": "建议完善养老服务体系，培育银发经济新业态。",
        "category_id": w.categories["社会法制"],
        "group_name": group,
        **extra,
    }
    item = ok(await w.client.post("/proposals", json=payload, headers=w.staff()), 201)
    return ok(await w.client.post(f"/proposals/{item['id']}/submit", headers=w.staff()))  # type: ignore[no-any-return]


async def test_a_group_item_nobody_can_rate_is_refused_at_registration(world: World) -> None:
    w, c = world, world.client
    item = await filed_by_staff(w, "group", "民盟武汉市委")
    url = f"/proposals/{item['id']}/register"
    before = await snapshot(w)
    refused = problem(await c.post(url, headers=w.staff()), 422, "no_rater")
    assert [e["field"] for e in refused["errors"]] == ["lead_member_id"] and "联系委员" in refused["detail"]
    unknown = problem(await c.post(url, json={"contact_member_id": "nobody"}, headers=w.staff()), 422, "unknown_member")
    assert [e["field"] for e in unknown["errors"]] == ["contact_member_id"]
    assert await snapshot(w) == before  # nothing numbered, nothing published

    # Registration names the group's contact member, who becomes the one to rate.
    contact = w.members["王芳"]["id"]
    registered = ok(await c.post(url, json={"contact_member_id": contact}, headers=w.staff()))
    assert registered["status"] == "registered" and registered["lead_member_id"] == contact

    # Named at filing, it registers as it is; a contact for an item with its proposer is refused.
    named = await filed_by_staff(w, "group", "市工商联", lead_member_id=w.members["陈刚"]["id"])
    ok(await c.post(f"/proposals/{named['id']}/register", headers=w.staff()))
    own = await w.filed("刘洋")
    wrong = problem(
        await c.post(f"/proposals/{own['id']}/register", json={"contact_member_id": contact}, headers=w.staff()),
        422,
        "contact_not_applicable",
    )
    assert [e["field"] for e in wrong["errors"]] == ["contact_member_id"]

    # A 建议案 is rated by an assembly ballot (民主测评): it needs no contact member.
    plenary = await filed_by_staff(w, "plenary", "政协武汉市委员会常务委员会")
    assert ok(await c.post(f"/proposals/{plenary['id']}/register", headers=w.staff()))["status"] == "registered"
