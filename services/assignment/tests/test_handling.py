"""Assignment and handling in-process, with real Kafka, on SQLite and PostgreSQL."""

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from assignment_world import HandlingWorld, ok, problem
from contract_events import contract_event
from sqlalchemy import update
from sqlmodel import col, func, select

from assignment_service.domain.deadlines import current_calendar, local_date
from assignment_service.domain.supervision import scan_deadlines
from assignment_service.models import Assignment, Reply
from devstack.kafka import KafkaBroker
from devstack.topics import publish, read_topic
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.outbox import OutboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

PLAN = Path(__file__).resolve().parents[3] / "deploy" / "demo" / "plan_wuhan_new_city.json"


@pytest.fixture
def assignment_overrides() -> dict[str, Any]:
    return {"routing_retrain_min_age_s": 0}  # retrain on every reply: the tests read the model at once


async def snapshot(w: HandlingWorld) -> tuple[Any, ...]:
    async with service_runtime(w.app).database.session(read_only=True) as session:
        rows = (
            await session.exec(select(Assignment.id, Assignment.unit_id, Assignment.status, Assignment.due_date))
        ).all()
        replies = (await session.exec(select(func.count()).select_from(Reply))).one()
        events = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return tuple(sorted(rows)), replies, events


async def events_of(kafka: KafkaBroker, namespace: str, expect: int) -> list[EventEnvelope]:
    records = await read_topic(kafka.bootstrap, f"{namespace}assignment.events", expect=expect)
    return [EventEnvelope.from_bytes(r.value or b"") for r in records]


async def test_a_lead_with_a_co_handler_handles_and_replies(
    world: HandlingWorld, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    pid = await w.registered()
    lead, co = await w.assign(pid, ("FGW", "lead"), ("CZJ", "co"))
    assert (lead["status"], lead["role"], co["role"]) == ("assigned", "lead", "co")
    assert lead["due_rule"][0].startswith("交办日期") and date.fromisoformat(lead["due_date"]) > date.today()

    ok(await c.post(f"/assignments/{lead['id']}/acknowledge", headers=w.unit("FGW")))
    ok(
        await c.post(
            f"/assignments/{co['id']}/records",
            json={"kind": "opinion", "text": "建议在年度预算中安排专项资金。"},
            headers=w.unit("CZJ"),
        ),
        201,
    )
    ok(
        await c.post(
            f"/assignments/{lead['id']}/records",
            json={
                "kind": "contact",
                "contact_kind": "visit",
                "occurred_on": date.today().isoformat(),
                "text": "上门走访提案人",
            },
            headers=w.unit("FGW"),
        ),
        201,
    )
    records = ok(await c.get(f"/assignments/{lead['id']}/records", headers=w.unit("FGW")))["items"]
    assert [r["kind"] for r in records] == ["opinion", "contact"]  # the co-handler's opinion reaches the lead
    assert [r["kind"] for r in ok(await c.get(f"/assignments/{co['id']}/records", headers=w.unit("CZJ")))["items"]] == [
        "opinion"
    ]

    target = (date.today() + timedelta(days=90)).isoformat()
    reply = ok(
        await c.post(
            f"/assignments/{lead['id']}/reply",
            json={
                "text": "已将专精特新企业培育纳入年度重点工作。",
                "outcome": "B",
                "commitments": [{"text": "出台梯度培育方案", "target_date": target}],
            },
            headers=w.unit("FGW"),
        ),
        201,
    )
    assert reply["outcome"] == "B" and reply["commitments"][0]["target_date"] == target
    view = await w.until(f"/proposals/{pid}", lambda v: True)
    assert (view["status"], view["outcome"]) == ("replied", "B")
    # The co-handler's part ends with the lead's reply: it is no longer open (nor overdue).
    assert ok(await c.get(f"/assignments/{co['id']}", headers=w.unit("CZJ")))["status"] == "closed"
    # The member sees the units and the publishable reply of their own item.
    assert len(ok(await c.get(f"/proposals/{pid}/assignments", headers=w.member()))["items"]) == 2
    assert [r["id"] for r in ok(await c.get(f"/proposals/{pid}/replies", headers=w.member("cosigner")))["items"]] == [
        reply["id"]
    ]
    done = ok(await c.post(f"/commitments/{reply['commitments'][0]['id']}/done", headers=w.unit("FGW")))
    assert done["done_on"] is not None

    events = await events_of(kafka, namespace, expect=6)
    assert [e.type for e in events] == [
        "assignment.created",
        "assignment.created",
        "assignment.acknowledged",
        "assignment.opinion_sent",
        "assignment.replied",
        "handling.completed",
    ]
    completed = events[-1].data
    assert (completed["outcome"], completed["round"], completed["on_time"]) == ("B", 1, True)
    assert events[4].data["contacted"] is True
    opinion = events[3].data  # for the lead unit's inbox; the text itself stays here
    assert (opinion["unit_id"], opinion["lead_unit_ids"]) == (w.units["CZJ"], [w.units["FGW"]])
    assert "text" not in opinion


async def test_refused_handling_changes_nothing(world: HandlingWorld) -> None:
    w, c = world, world.client
    unregistered = await w.registered(register=False)
    pid = await w.registered()
    before = await snapshot(w)
    body = {"units": [{"unit_id": w.units["FGW"], "role": "lead"}]}
    problem(await c.post(f"/proposals/{unregistered}/assignments", json=body, headers=w.staff()), 409, "not_registered")
    two_leads = {"units": [{"unit_id": w.units["FGW"], "role": "lead"}, {"unit_id": w.units["CZJ"], "role": "lead"}]}
    problem(await c.post(f"/proposals/{pid}/assignments", json=two_leads, headers=w.staff()), 422, "two_leads")
    co_only = {"units": [{"unit_id": w.units["CZJ"], "role": "co"}]}
    problem(await c.post(f"/proposals/{pid}/assignments", json=co_only, headers=w.staff()), 422, "co_without_lead")
    unknown = {"units": [{"unit_id": "nope", "role": "lead"}]}
    assert (
        problem(await c.post(f"/proposals/{pid}/assignments", json=unknown, headers=w.staff()), 422, "unknown_unit")[
            "errors"
        ][0]["field"]
        == "units.0.unit_id"
    )
    problem(await c.post(f"/proposals/{pid}/assignments", json=body, headers=w.unit("FGW")), 404, "not_found")
    assert await snapshot(w) == before

    lead, co = await w.assign(pid, ("FGW", "lead"), ("CZJ", "co"))
    before = await snapshot(w)
    reply = {"text": "答复", "outcome": "A"}
    problem(
        await c.post(f"/assignments/{co['id']}/reply", json=reply, headers=w.unit("CZJ")),
        422,
        "co_handler_cannot_reply",
    )
    missing = problem(
        await c.post(f"/assignments/{lead['id']}/reply", json={"text": "答复"}, headers=w.unit("FGW")),
        422,
        "validation_failed",
    )
    assert [e["field"] for e in missing["errors"]] == ["outcome"]
    problem(
        await c.post(f"/assignments/{lead['id']}/reply", json={**reply, "outcome": "E"}, headers=w.unit("FGW")),
        422,
        "unknown_outcome",
    )
    problem(
        await c.post(f"/assignments/{lead['id']}/reply", json={**reply, "outcome": "B"}, headers=w.unit("FGW")),
        422,
        "commitments_required",
    )
    # Another unit acting on this assignment learns nothing of it.
    problem(await c.post(f"/assignments/{lead['id']}/reply", json=reply, headers=w.unit("SWJ")), 404, "not_found")
    problem(await c.post(f"/assignments/{lead['id']}/acknowledge", headers=w.unit("SWJ")), 404, "not_found")
    far = (date.fromisoformat(lead["due_date"]) + timedelta(days=200)).isoformat()
    problem(
        await c.post(
            f"/assignments/{lead['id']}/extensions",
            json={"due_date": far, "reason": "涉及多部门"},
            headers=w.unit("FGW"),
        ),
        422,
        "extension_past_cap",
    )
    assert await snapshot(w) == before

    # An adjustment request after the window (5 working days) is refused.
    async with service_runtime(w.app).database.session() as session:
        await session.exec(
            update(Assignment).where(col(Assignment.id) == lead["id"]).values(assigned_at=utcnow() - timedelta(days=20))
        )
        await session.commit()
    before = await snapshot(w)
    problem(
        await c.post(
            f"/assignments/{lead['id']}/adjustment-requests", json={"reason": "不属于本单位职责"}, headers=w.unit("FGW")
        ),
        409,
        "adjustment_window_closed",
    )
    ok(await c.post(f"/assignments/{lead['id']}/reply", json=reply, headers=w.unit("FGW")), 201)
    after_reply = await snapshot(w)
    problem(await c.post(f"/assignments/{lead['id']}/reply", json=reply, headers=w.unit("FGW")), 409, "already_replied")
    assert await snapshot(w) == after_reply != before


async def test_separate_units_each_reply_and_an_unsatisfied_rating_reopens_one(
    world: HandlingWorld, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    pid = await w.registered("关于治理南湖片区渍水的建议")
    a, b = await w.assign(pid, ("SWJ", "separate"), ("HS-SW", "separate"))
    ok(
        await c.post(
            f"/assignments/{a['id']}/reply", json={"text": "已完成管网改造", "outcome": "A"}, headers=w.unit("SWJ")
        ),
        201,
    )
    assert (await w.until(f"/proposals/{pid}", lambda v: True))["status"] == "assigned"  # one of two replied
    ok(
        await c.post(
            f"/assignments/{b['id']}/reply", json={"text": "列入明年计划", "outcome": "C"}, headers=w.unit("HS-SW")
        ),
        201,
    )
    view = await w.until(f"/proposals/{pid}", lambda v: v["status"] == "replied")
    assert view["outcome"] == "C"  # the one furthest from solved

    def unsatisfied(member: str) -> EventEnvelope:
        return contract_event(
            "evaluation.unsatisfied.v1",
            evaluation_id=member,
            proposal_id=pid,
            body_id=w.body_id,
            round=1,
            unit_id=w.units["HS-SW"],
            member_id=member,
            submitted_at=utcnow(),
        ).envelope(subject=pid)

    # Two proposers unsatisfied with the same reply, one event delivered twice: rehandling opens once.
    first = unsatisfied("m-1")
    await publish(kafka.bootstrap, f"{namespace}evaluation.events", [first, first, unsatisfied("m-2")])
    view = await w.until(f"/proposals/{pid}", lambda v: v["status"] == "rehandling")
    assert view["round"] == 2
    reopened = ok(await c.get(f"/assignments/{b['id']}", headers=w.unit("HS-SW")))
    assert (reopened["status"], reopened["round"]) == ("assigned", 2)
    assert any("重新办理" in step for step in reopened["due_rule"])
    assert ok(await c.get(f"/assignments/{a['id']}", headers=w.unit("SWJ")))["status"] == "replied"

    ok(
        await c.post(
            f"/assignments/{b['id']}/reply",
            json={"text": "已纳入今年计划并开工", "outcome": "A"},
            headers=w.unit("HS-SW"),
        ),
        201,
    )
    view = await w.until(f"/proposals/{pid}", lambda v: v["status"] == "replied")
    assert view["outcome"] == "A"
    replies = ok(await c.get(f"/proposals/{pid}/replies", headers=w.staff()))["items"]
    assert [(r["round"], r["outcome"], r["current"]) for r in replies] == [
        (1, "A", True),
        (1, "C", False),
        (2, "A", True),
    ]
    events = [e.type for e in await events_of(kafka, namespace, expect=9)]
    assert events.count("assignment.rehandling_opened") == 1
    assert events.count("assignment.reopened") == 1  # the rated unit's, told to it
    assert events.count("handling.completed") == 2


async def test_an_approved_adjustment_moves_the_assignment_and_restarts_its_clock(
    world: HandlingWorld, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    pid = await w.registered()
    (lead,) = await w.assign(pid, ("SWJ", "lead"))
    request = ok(
        await c.post(
            f"/assignments/{lead['id']}/adjustment-requests",
            json={"reason": "该事项属发改部门职责", "suggested_unit_id": w.units["FGW"]},
            headers=w.unit("SWJ"),
        ),
        201,
    )
    problem(
        await c.post(f"/adjustment-requests/{request['id']}/decision", json={"approve": True}, headers=w.staff()),
        422,
        "unit_required",
    )
    problem(
        await c.post(
            f"/adjustment-requests/{request['id']}/decision",
            json={"approve": True, "unit_id": w.units["FGW"]},
            headers=w.unit("SWJ"),
        ),
        403,
        "forbidden",
    )
    decided = ok(
        await c.post(
            f"/adjustment-requests/{request['id']}/decision",
            json={"approve": True, "unit_id": w.units["FGW"]},
            headers=w.staff(),
        )
    )
    assert decided["status"] == "approved"
    moved = ok(await c.get(f"/assignments/{lead['id']}", headers=w.unit("FGW")))
    assert moved["unit_name"] == "市发展和改革委员会" and "重新交办" in moved["due_rule"][0]
    problem(await c.get(f"/assignments/{lead['id']}", headers=w.unit("SWJ")), 404, "not_found")
    events = await events_of(kafka, namespace, expect=3)
    assert [e.type for e in events] == [
        "assignment.created",
        "assignment.adjustment_requested",
        "assignment.reassigned",
    ]
    assert events[-1].data["previous_unit_id"] == w.units["SWJ"]


async def test_refused_adjustment_and_extension_requests_are_published_for_the_unit(
    world: HandlingWorld, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    pid = await w.registered()
    (lead,) = await w.assign(pid, ("SWJ", "lead"))
    request = ok(
        await c.post(
            f"/assignments/{lead['id']}/adjustment-requests", json={"reason": "不属于本单位职责"}, headers=w.unit("SWJ")
        ),
        201,
    )
    ok(
        await c.post(
            f"/adjustment-requests/{request['id']}/decision",
            json={"approve": False, "note": "职责明确，请继续办理"},
            headers=w.staff(),
        )
    )
    later = (date.fromisoformat(lead["due_date"]) + timedelta(days=14)).isoformat()
    extension = ok(
        await c.post(
            f"/assignments/{lead['id']}/extensions",
            json={"due_date": later, "reason": "需要调研"},
            headers=w.unit("SWJ"),
        ),
        201,
    )
    ok(await c.post(f"/extensions/{extension['id']}/decision", json={"approve": False}, headers=w.staff()))
    events = await events_of(kafka, namespace, expect=5)
    assert [e.type for e in events] == [
        "assignment.created",
        "assignment.adjustment_requested",
        "assignment.adjustment_refused",
        "assignment.extension_requested",
        "assignment.extension_refused",
    ]
    assert (events[2].data["unit_id"], events[2].data["note"]) == (w.units["SWJ"], "职责明确，请继续办理")
    requested = events[3].data
    assert (requested["extension_id"], requested["requested_due_date"], requested["due_date"]) == (
        extension["id"],
        later,
        lead["due_date"],
    )
    assert requested["reason"] == "需要调研"
    assert (events[4].data["requested_due_date"], events[4].data["due_date"]) == (later, lead["due_date"])


async def test_the_scanner_reminds_once_a_day_on_working_days(
    world: HandlingWorld, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    late, soon, later = [await w.registered(f"提案 {i}") for i in range(3)]
    (a_late,) = await w.assign(late, ("FGW", "lead"))
    (a_soon,) = await w.assign(soon, ("CZJ", "lead"))
    await w.assign(later, ("SWJ", "lead"))
    calendar = current_calendar()
    day = calendar.next_working_day(local_date(utcnow()))  # the scan's day: a working day, today or soon
    async with service_runtime(w.app).database.session() as session:
        for assignment_id, due in (
            (a_late["id"], day - timedelta(days=7)),
            (a_soon["id"], calendar.add_working_days(day, 2)),
        ):
            await session.exec(update(Assignment).where(col(Assignment.id) == assignment_id).values(due_date=due))
        await session.commit()
    runtime = service_runtime(w.app)
    first = await scan_deadlines(database=runtime.database, outbox=runtime.outbox, calendar=calendar, today=day)
    again = await scan_deadlines(database=runtime.database, outbox=runtime.outbox, calendar=calendar, today=day)
    sunday = await scan_deadlines(
        database=runtime.database, outbox=runtime.outbox, calendar=calendar, today=date(2026, 3, 15)
    )
    assert (first.overdue, first.due_soon) == (1, 1)
    assert (again.overdue, again.due_soon, sunday.working_day, sunday.overdue) == (0, 0, False, 0)
    events = await events_of(kafka, namespace, expect=5)
    notices = {e.type: e.data for e in events if e.type in ("assignment.overdue", "assignment.due_soon")}
    assert notices["assignment.overdue"]["assignment_id"] == a_late["id"]
    assert notices["assignment.due_soon"]["working_days_left"] == 2

    overdue = ok(await c.get("/supervision/overdue", headers=w.staff()))
    assert [i["assignment_id"] for i in overdue["items"]] == [a_late["id"]] and overdue["next_cursor"] is None
    assert ok(await c.get("/supervision/overdue", headers=w.unit("CZJ")))["items"] == []
    assert [i["assignment_id"] for i in ok(await c.get("/supervision/overdue", headers=w.unit("FGW")))["items"]] == [
        a_late["id"]
    ]
    problem(await c.get("/supervision/overdue", headers=w.member()), 403, "forbidden")


async def test_seed_002_plan_is_imported_and_shows_progress(world: HandlingWorld) -> None:
    w, c = world, world.client
    admin = w.keys.headers("admin", subject="admin")
    demo_units = (PLAN.parent / "units.csv").read_text()
    missing = "\n".join(line for line in demo_units.splitlines()[1:] if line.split(",")[0] not in w.units)
    ok(await c.post("/units/import", content=("编号,名称,上级编号,类型\n" + missing).encode(), headers=admin))
    w.units = {u["code"]: u["id"] for u in ok(await c.get("/units"))["items"]}
    pid = await w.registered("关于加快武汉新城建设，打造“世界光谷”的建议案", kind="plenary")
    plan_doc = json.loads(PLAN.read_text())
    problem(await c.post(f"/proposals/{pid}/plan", json=plan_doc, headers=w.unit("FGW")), 404, "not_found")
    plan = ok(await c.post(f"/proposals/{pid}/plan", json=plan_doc, headers=w.staff()), 201)
    assert plan["document_number"] == "武政办〔2024〕28号"
    assert len(plan["tasks"]) == len(plan_doc["tasks"]) and plan["milestones_done"] == 0
    task = plan["tasks"][0]
    lead_code = next(code for code, uid in w.units.items() if uid == task["lead_unit"]["id"])
    outsider = next(
        code
        for code in w.units
        if w.units[code] not in {task["lead_unit"]["id"], *(u["id"] for u in task["responsible_units"])}
    )
    problem(
        await c.post(f"/plan-tasks/{task['id']}/reports", json={"text": "x"}, headers=w.unit(outsider)),
        403,
        "forbidden",
    )
    ok(
        await c.post(
            f"/plan-tasks/{task['id']}/reports",
            json={"text": "已报送细化方案", "milestones_done": [task["milestones"][0]["id"]]},
            headers=w.unit(lead_code),
        ),
        201,
    )
    progress = ok(await c.get(f"/proposals/{pid}/plan", headers=w.unit(lead_code)))
    assert progress["milestones_done"] == 1 and progress["progress"] > 0
    assert progress["tasks"][0]["reports"][0]["text"] == "已报送细化方案"
    problem(await c.post(f"/proposals/{pid}/plan", json=plan_doc, headers=w.staff()), 409, "plan_exists")


async def test_routing_suggestions_learn_from_past_assignments(world: HandlingWorld) -> None:
    w, c = world, world.client
    past = {
        "SWJ": ["关于治理城区渍水内涝的建议", "关于提升排水管网能力的建议", "关于加快海绵城市建设防治渍水的建议"],
        "FGW": ["关于培育专精特新企业的建议", "关于扩大有效投资的建议", "关于推动产业转型升级的建议"],
    }
    for code, titles in past.items():
        for title in titles:
            await w.assign(await w.registered(title), (code, "lead"))
    fresh = await w.registered("关于解决暴雨渍水问题的建议")
    suggestions = ok(await c.get(f"/proposals/{fresh}/routing-suggestions", headers=w.staff()))["items"]
    assert suggestions and suggestions[0]["unit_name"] == "市水务局"
    problem(await c.get(f"/proposals/{fresh}/routing-suggestions", headers=w.unit("SWJ")), 404, "not_found")


async def test_units_import_is_all_or_nothing_and_for_administrators(world: HandlingWorld) -> None:
    c, admin = world.client, world.keys.headers("admin", subject="admin")
    bad = "编号,名称,上级编号,类型\nX1,单位一,NOPE,department\nFGW,重复,WH,department\n,无编号,,department\n"
    body = problem(await c.post("/units/import", content=bad.encode(), headers=admin), 422, "invalid_rows")
    assert sorted((e["row"], e["field"]) for e in body["errors"]) == [(2, "parent_code"), (3, "code"), (4, "code")]
    in_chinese = await c.post("/units/import", content=bad.encode(), headers={**admin, "Accept-Language": "zh-CN"})
    messages = {(e["row"], e["field"]): e["message"] for e in problem(in_chinese, 422, "invalid_rows")["errors"]}
    assert (messages[(2, "parent_code")], messages[(3, "code")]) == ("上级编号 NOPE 不存在", "编号 FGW 已被使用")
    problem(await c.post("/units/import", content=bad.encode(), headers=world.staff()), 403, "forbidden")
    assert len(ok(await c.get("/units"))["items"]) == 7


async def test_units_import_dry_run_lists_every_bad_row_and_writes_nothing(world: HandlingWorld) -> None:
    c, admin = world.client, world.keys.headers("admin", subject="admin")
    before = await c.get("/units")
    csv = "编号,名称,上级编号,类型\nX1,单位一,NOPE,department\nX2,单位二,WH,department\nFGW,重复,WH,department\n"
    body = ok(await c.post("/units/import?dry_run=true", content=csv.encode(), headers=admin))
    assert (body["imported"], body["dry_run"]) == (1, True)
    assert sorted((e["row"], e["field"]) for e in body["errors"]) == [(2, "parent_code"), (4, "code")]
    good = "编号,名称,上级编号,类型\nX2,单位二,WH,department\n"
    clean = ok(await c.post("/units/import?dry_run=true", content=good.encode(), headers=admin))
    assert (clean["imported"], clean["errors"]) == (1, [])
    assert ok(await c.get("/units")) == ok(before)  # neither dry run wrote a unit
    problem(await c.post("/units/import?dry_run=true", content=csv.encode(), headers=world.staff()), 403, "forbidden")
    problem(await c.post("/units/import?dry_run=true", content=b"foo\n", headers=admin), 422, "invalid_csv_header")
    real = ok(await c.post("/units/import", content=good.encode(), headers=admin))
    assert (real["imported"], real["dry_run"]) == (1, False)


async def test_a_stale_rules_update_is_refused_with_412(world: HandlingWorld) -> None:
    w, c = world, world.client
    url = f"/bodies/{w.body_id}/rules"
    read = await c.get(url)
    etag = read.headers["ETag"]
    rules = {**ok(read), "reply_months": 2}
    del rules["body_id"], rules["kind"]
    first = await c.put(url, json=rules, headers={**w.staff(), "If-Match": etag})
    assert ok(first)["reply_months"] == 2 and first.headers["ETag"] not in (etag, None)
    assert (await c.get(url)).headers["ETag"] == first.headers["ETag"]
    stale = await c.put(url, json={**rules, "reply_months": 4}, headers={**w.staff(), "If-Match": etag})
    problem(stale, 412, "precondition_failed")
    assert ok(await c.get(url))["reply_months"] == 2
    # A kind without rules of its own shows the body's; their ETag guards the kind's first rules.
    joint = await c.get(url, params={"kind": "joint"})
    assert joint.headers["ETag"] == first.headers["ETag"]
    own = {**w.staff(), "If-Match": joint.headers["ETag"]}
    joint_rules = ok(await c.put(url, params={"kind": "joint"}, json={**rules, "reply_months": 1}, headers=own))
    assert joint_rules["kind"] == "joint" and joint_rules["reply_months"] == 1
    # Without If-Match the rules are replaced unchecked, as before.
    assert ok(await c.put(url, json={**rules, "reply_months": 5}, headers=w.staff()))["reply_months"] == 5
