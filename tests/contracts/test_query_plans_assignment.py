"""No request of the assignment service reads a whole table (the machinery: query_plans.py): units,
registered items fed in as the proposal service's events (assignment_world.HandlingWorld), then
the routes units, staff, leaders and members use, reads and writes, with their filters and cursors."""

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta

import httpx
import pytest
from assignment_world import HandlingWorld
from fastapi import FastAPI
from query_plans import Captured, assert_no_full_scans, capture, ok
from sqlmodel import SQLModel

from assignment_service.main import create_app
from assignment_service.settings import AssignmentSettings
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]

# Tables a full read of which is fine, each with why it stays small.
SMALL_TABLES = {
    "unit": "the government's handling units, a few dozen to a few hundred per city and not growing with "
    "the items; a handling plan (POST /proposals/{id}/plan) reads them all to resolve its unit codes",
}
# Known full reads on a request path, each with why it stays. Routing suggestions train on every sent
# lead/separate assignment with its item's text (domain/suggestions.py _examples): a training needs all
# of them, so no index helps; they are read at most once a minute per process (RoutingModels.min_age_s),
# not on each GET /proposals/{id}/routing-suggestions.
KNOWN_SCANS = {
    re.compile(
        re.escape(
            "SELECT proposal_projection.title, proposal_projection.content, proposal_projection.category, "
            "assignment.unit_id FROM proposal_projection JOIN assignment ON"
        )
    )
}


@pytest.fixture
async def world(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys
) -> AsyncIterator[tuple[HandlingWorld, Captured, str]]:
    settings = AssignmentSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
        reminders_enabled=False,
    )
    app = create_app(settings)
    async with serve(app) as client:
        w = await HandlingWorld(client, app, dev_keys, kafka.bootstrap, namespace).setup()
        yield w, capture(app), database_url


async def test_assignment_request_paths_read_no_table_in_full(world: tuple[HandlingWorld, Captured, str]) -> None:
    w, captured, url = world
    c = w.client
    items = [await w.registered(f"关于加快专精特新企业培育的建议{n}") for n in range(4)]
    motion = await w.registered("关于加快武汉新城建设的议案", kind="motion")
    unassigned = await w.registered("关于完善城市排水管网的建议")
    submitted = await w.registered("关于加强社区养老服务的建议", register=False)
    target = (date.today() + timedelta(days=90)).isoformat()

    with captured.recorded():
        # writes: assigning (prepared and confirmed), acknowledging, records, requests and their
        # decisions, replies with commitments, a plan with a stage report and its deliberation
        lead, co = await w.assign(items[0], ("FGW", "lead"), ("CZJ", "co"))
        (separate,) = await w.assign(items[1], ("SWJ", "separate"))
        (other,) = await w.assign(items[2], ("JXJ", "lead"))
        body = {"units": [{"unit_id": w.units["HS"], "role": "lead"}], "confirm": False}
        ok(await c.post(f"/proposals/{items[3]}/assignments", json=body, headers=w.staff()))
        ok(await c.post(f"/proposals/{items[3]}/assignments/confirm", headers=w.staff()))
        ok(await c.post(f"/assignments/{lead['id']}/acknowledge", headers=w.unit("FGW")))
        opinion = {"kind": "opinion", "text": "建议在年度预算中安排专项资金。"}
        ok(await c.post(f"/assignments/{co['id']}/records", json=opinion, headers=w.unit("CZJ")), 201)
        contact = {"kind": "contact", "contact_kind": "visit", "occurred_on": date.today().isoformat(), "text": "走访"}
        ok(await c.post(f"/assignments/{lead['id']}/records", json=contact, headers=w.unit("FGW")), 201)
        adjust = {"reason": "不属于本单位职责", "suggested_unit_id": w.units["HS-SW"]}
        request = ok(
            await c.post(f"/assignments/{other['id']}/adjustment-requests", json=adjust, headers=w.unit("JXJ")), 201
        )
        extend = {
            "due_date": (date.fromisoformat(separate["due_date"]) + timedelta(days=20)).isoformat(),
            "reason": "涉及多部门",
        }
        extension = ok(
            await c.post(f"/assignments/{separate['id']}/extensions", json=extend, headers=w.unit("SWJ")), 201
        )
        for headers in (w.staff(), w.unit("JXJ"), w.unit("SWJ")):
            await c.get(f"/assignments/{other['id']}/adjustment-requests", headers=headers)
            await c.get(f"/assignments/{separate['id']}/extensions", headers=headers)
        for kind in ("adjustment", "extension"):
            page = ok(await c.get("/requests/waiting", params={"kind": kind, "limit": 1}, headers=w.staff()))
            if page["next_cursor"]:
                ok(
                    await c.get(
                        "/requests/waiting", params={"kind": kind, "cursor": page["next_cursor"]}, headers=w.staff()
                    )
                )
        decision = {"approve": True, "unit_id": w.units["HS-SW"]}
        ok(await c.post(f"/adjustment-requests/{request['id']}/decision", json=decision, headers=w.staff()))
        ok(await c.post(f"/extensions/{extension['id']}/decision", json={"approve": False}, headers=w.staff()))
        answer = {
            "text": "已将专精特新企业培育纳入年度重点工作。",
            "outcome": "B",
            "commitments": [{"text": "出台方案", "target_date": target}],
        }
        reply = ok(await c.post(f"/assignments/{lead['id']}/reply", json=answer, headers=w.unit("FGW")), 201)
        ok(
            await c.post(
                f"/assignments/{separate['id']}/reply",
                json={"text": "已完成管网改造", "outcome": "A"},
                headers=w.unit("SWJ"),
            ),
            201,
        )
        ok(await c.post(f"/commitments/{reply['commitments'][0]['id']}/done", headers=w.unit("FGW")))
        plan_doc = {
            "title": "武汉新城建设议案办理方案",
            "tasks": [
                {
                    "number": "1",
                    "title": "完善管理体制",
                    "lead_unit": "FGW",
                    "responsible_units": ["CZJ"],
                    "milestones": [{"title": "报送细化方案", "due_on": target}],
                }
            ],
        }
        plan = ok(await c.post(f"/proposals/{motion}/plan", json=plan_doc, headers=w.staff()), 201)
        task = plan["tasks"][0]
        report = {"text": "已报送细化方案", "milestones_done": [task["milestones"][0]["id"]]}
        ok(await c.post(f"/plan-tasks/{task['id']}/reports", json=report, headers=w.unit("FGW")), 201)
        deliberation = {"meeting": "市十四届人大常委会第二十九次会议", "deliberated_on": date.today().isoformat()}
        ok(await c.post(f"/proposals/{motion}/plan/deliberation", json=deliberation, headers=w.staff()))
        rules = ok(await c.get(f"/bodies/{w.body_id}/rules", headers=w.staff()))
        etag = (await c.get(f"/bodies/{w.body_id}/rules", headers=w.staff())).headers["etag"]
        rules = {k: v for k, v in rules.items() if k not in ("body_id", "kind")}
        ok(await c.put(f"/bodies/{w.body_id}/rules", json=rules, headers={**w.staff(), "If-Match": etag}))
        ok(
            await c.post(
                "/units",
                json={"code": "MZJ", "name": "市民政局", "parent_code": "WH", "kind": "department"},
                headers=w.keys.headers("admin", subject="admin"),
            ),
            201,
        )

        # reads: an item, its assignments, replies, plan and routing suggestions, by each caller
        for headers in (w.staff(), w.leader(), w.unit("FGW"), w.unit("SWJ"), w.member(), w.member("cosigner"), {}):
            for pid in (items[0], motion, unassigned, submitted):
                await c.get(f"/proposals/{pid}", headers=headers)
                await c.get(f"/proposals/{pid}/assignments", headers=headers)
                await c.get(f"/proposals/{pid}/replies", headers=headers)
            await c.get(f"/proposals/{motion}/plan", headers=headers)
            await c.get(f"/assignments/{lead['id']}", headers=headers)
            await c.get(f"/assignments/{lead['id']}/records", headers=headers)
        ok(await c.get(f"/proposals/{unassigned}/routing-suggestions", headers=w.staff()))
        ok(await c.get(f"/units/{w.units['FGW']}"))
        ok(await c.get("/units"))
        # lists: first and next pages, with each filter, as the body's staff, a leader and a unit
        lists: list[tuple[str, dict[str, str | int]]] = [
            ("/proposals", {}),
            ("/proposals", {"status": "awaiting_assignment"}),
            ("/proposals", {"status": "replied"}),
            ("/assignments", {"unit_id": w.units["FGW"]}),
            ("/assignments", {"unit_id": w.units["SWJ"], "status": "replied"}),
            ("/assignments", {"unit_id": w.units["JXJ"], "open": "true"}),
            ("/assignments", {"unit_id": w.units["SWJ"], "rehandling": "true"}),
            ("/assignments", {"unit_id": w.units["FGW"], "sort": "-due_date"}),
            ("/commitments", {}),
            ("/commitments", {"unit_id": w.units["FGW"], "done": "true"}),
            ("/commitments", {"done": "false"}),
            ("/supervision/overdue", {}),
            ("/supervision/overdue", {"unit_id": w.units["HS"]}),
            ("/supervision/overdue", {"leader": "市政府副市长 李明"}),
            ("/supervision/due-soon", {}),
            ("/supervision/due-soon", {"unit_id": w.units["HS"], "within_days": 60}),
            ("/supervision/due-soon", {"leader": "市政府副市长 李明"}),
            ("/supervision/board", {}),
            ("/supervision/board", {"within_days": 60}),
        ]
        for headers in (w.staff(), w.leader(), w.unit("FGW"), w.unit("HS")):
            for path, params in lists:
                response = await c.get(path, params={"limit": 1, **params}, headers=headers)
                if response.status_code == 200 and response.json().get("next_cursor"):
                    cursor = response.json()["next_cursor"]
                    ok(await c.get(path, params={"limit": 1, **params, "cursor": cursor}, headers=headers))
        ok(await c.post("/supervision/scan", headers=w.staff()))

    await assert_no_full_scans(
        url, captured, SQLModel.metadata.tables, small=SMALL_TABLES, known=KNOWN_SCANS, at_least=40
    )
