"""退回答复 (ADR 28): the body's staff send back a reply that skips a numbered suggestion before the
proposer rates it; the unit replies again in the same round, and the new reply has its coverage."""

import asyncio
import time
import uuid
from datetime import datetime
from typing import Any

import pytest
from assignment_world import HandlingWorld, ok, problem
from contract_events import contract_event
from sqlmodel import select

from assignment_service.models import Reply
from devstack.kafka import KafkaBroker
from devstack.topics import publish, read_topic
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

CONTENT = "老旧小区停车难。建议：一是利用边角地建设立体停车库；二是推动机关单位停车场夜间向居民错时开放。"
SKIPS_TWO = {"text": "您的提案收悉。今年已利用边角空地新建立体停车库5座，新增泊位800个。", "outcome": "A"}
ANSWERS_BOTH = {
    "text": "您的提案收悉。今年已利用边角空地新建立体停车库5座。已推动32家机关单位停车场夜间向居民错时开放。",
    "outcome": "A",
}
REASON = "答复未回应第二条建议（机关单位停车场错时开放），请补充后重新答复。"


async def replied(w: HandlingWorld, reply: dict[str, Any] = SKIPS_TWO) -> tuple[str, dict[str, Any], dict[str, Any]]:
    pid = await w.registered(content=CONTENT)
    (lead,) = await w.assign(pid, ("FGW", "lead"))
    ok(await w.client.post(f"/assignments/{lead['id']}/acknowledge", headers=w.unit("FGW")))
    answer = ok(await w.client.post(f"/assignments/{lead['id']}/reply", json=reply, headers=w.unit("FGW")), 201)
    return pid, lead, answer


async def test_staff_send_back_a_reply_that_skips_a_suggestion_and_the_unit_replies_again(
    world: HandlingWorld, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    pid, lead, answer = await replied(w)
    assert [x["answered"] for x in answer["coverage"]] == [True, False]
    assert (await w.until(f"/proposals/{pid}", lambda v: True))["status"] == "replied"

    sent_back = ok(
        await c.post(
            f"/replies/{answer['id']}/send-back", json={"reason": REASON, "unanswered": [2, 2]}, headers=w.staff()
        )
    )
    assert (sent_back["status"], sent_back["sent_back_reason"], sent_back["sent_back_unanswered"]) == (
        "sent_back",
        REASON,
        [2],
    )
    assert sent_back["sent_back_at"] and not sent_back["current"]
    # Once only: a second send-back (a retried request) is a conflict and changes nothing.
    problem(
        await c.post(f"/replies/{answer['id']}/send-back", json={"reason": REASON}, headers=w.staff()),
        409,
        "already_sent_back",
    )
    # The unit can reply again: its assignment is back where it was before the reply, the item waits.
    assert ok(await c.get(f"/assignments/{lead['id']}", headers=w.unit("FGW")))["status"] == "acknowledged"
    assert (await w.until(f"/proposals/{pid}", lambda v: True))["status"] == "assigned"
    [seen] = ok(await c.get(f"/proposals/{pid}/replies", headers=w.unit("FGW")))["items"]
    assert (seen["status"], seen["sent_back_reason"]) == ("sent_back", REASON)
    # The proposers never see a reply that was sent back: it was not the unit's answer to them.
    assert ok(await c.get(f"/proposals/{pid}/replies", headers=w.member()))["items"] == []

    again = ok(await c.post(f"/assignments/{lead['id']}/reply", json=ANSWERS_BOTH, headers=w.unit("FGW")), 201)
    assert (again["status"], again["round"], again["current"]) == ("submitted", 1, True)
    assert [x["answered"] for x in again["coverage"]] == [True, True]
    assert (await w.until(f"/proposals/{pid}", lambda v: v["status"] == "replied"))["outcome"] == "A"
    replies = ok(await c.get(f"/proposals/{pid}/replies", headers=w.staff()))["items"]
    assert [(r["id"], r["status"], r["current"]) for r in replies] == [
        (answer["id"], "sent_back", False),
        (again["id"], "submitted", True),
    ]
    assert [r["id"] for r in ok(await c.get(f"/proposals/{pid}/replies", headers=w.member()))["items"]] == [again["id"]]

    records = await read_topic(kafka.bootstrap, f"{namespace}assignment.events", expect=7)
    events = [EventEnvelope.from_bytes(r.value or b"") for r in records]
    assert [e.type for e in events] == [
        "assignment.created",
        "assignment.acknowledged",
        "assignment.replied",
        "handling.completed",
        "assignment.reply_sent_back",
        "assignment.replied",
        "handling.completed",
    ]
    [event] = [e for e in events if e.type == "assignment.reply_sent_back"]
    assert event.subject == pid
    assert {k: event.data[k] for k in ("reply_id", "assignment_id", "unit_id", "round", "reason", "unanswered")} == {
        "reply_id": answer["id"],
        "assignment_id": lead["id"],
        "unit_id": w.units["FGW"],
        "round": 1,
        "reason": REASON,
        "unanswered": [2],
    }


async def test_only_the_bodys_staff_send_back_with_a_reason_and_real_suggestion_numbers(world: HandlingWorld) -> None:
    w, c = world, world.client
    pid, _, answer = await replied(w)
    path = f"/replies/{answer['id']}/send-back"
    body = {"reason": REASON}
    other_staff = w.keys.headers("staff", subject="y", body_id="another-body")
    for headers in (w.unit("FGW"), w.leader(), w.member()):
        problem(await c.post(path, json=body, headers=headers), 403, "forbidden")
    for headers in (other_staff, w.unit("SWJ")):
        problem(await c.post(path, json=body, headers=headers), 404, "not_found")
    assert (await c.post(path, json=body)).status_code == 401
    problem(await c.post("/replies/no-such-reply/send-back", json=body, headers=w.staff()), 404, "not_found")
    for bad, field in (
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "理" * 501}, "reason"),
        ({"reason": REASON, "unanswered": ["二"]}, "unanswered.0"),
        ({"reason": REASON, "extra": 1}, "extra"),
    ):
        invalid = problem(await c.post(path, json=bad, headers=w.staff()), 422, "validation_failed")
        assert [e["field"] for e in invalid["errors"]] == [field], bad
    for numbers in ([3], [0]):
        unknown = problem(
            await c.post(path, json={**body, "unanswered": numbers}, headers=w.staff()), 422, "unknown_suggestion"
        )
        assert [e["field"] for e in unknown["errors"]] == ["unanswered"]
    # Nothing of it was written: the reply is still the unit's current answer.
    [seen] = ok(await c.get(f"/proposals/{pid}/replies", headers=w.staff()))["items"]
    assert (seen["status"], seen["current"], seen["sent_back_at"]) == ("submitted", True, None)


async def test_a_rated_reply_or_one_already_superseded_is_not_sent_back(
    world: HandlingWorld, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client

    def rating(event_type: str, proposal_id: str, **fields: str) -> EventEnvelope:
        return contract_event(
            event_type,
            evaluation_id=str(uuid.uuid4()),
            proposal_id=proposal_id,
            body_id=w.body_id,
            round=1,
            unit_id=w.units["FGW"],
            member_id=w.members["lead"],
            submitted_at=utcnow(),
            **fields,
        ).envelope(subject=proposal_id)

    pid, _, answer = await replied(w)
    rated = rating("evaluation.submitted.v1", pid, contact="satisfied", attitude="satisfied", result="satisfied")
    await publish(kafka.bootstrap, f"{namespace}evaluation.events", [rated, rated])
    deadline = time.monotonic() + 60
    while await rated_at(w, answer["id"]) is None:
        assert time.monotonic() < deadline, "the rating never reached the assignment service"
        await asyncio.sleep(0.1)
    problem(
        await c.post(f"/replies/{answer['id']}/send-back", json={"reason": REASON}, headers=w.staff()),
        409,
        "already_rated",
    )

    # Another item: rehandling opened by an unsatisfied rating supersedes the round's reply.
    pid, _, answer = await replied(w)
    await publish(kafka.bootstrap, f"{namespace}evaluation.events", [rating("evaluation.unsatisfied.v1", pid)])
    await w.until(f"/proposals/{pid}", lambda v: v["status"] == "rehandling")
    problem(
        await c.post(f"/replies/{answer['id']}/send-back", json={"reason": REASON}, headers=w.staff()),
        409,
        "reply_not_current",
    )


async def rated_at(w: HandlingWorld, reply_id: str) -> datetime | None:
    async with service_runtime(w.app).database.session(read_only=True) as session:
        return (await session.exec(select(Reply.rated_at).where(Reply.id == reply_id))).one()
