"""The public status follows the assignment and evaluation services' events, whatever their
order, and a redelivered event changes nothing."""

import asyncio
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from contract_events import contract_event
from proposal_world import World, ok

from devstack.kafka import KafkaBroker
from devstack.topics import publish
from servicekit.db import utcnow
from servicekit.events import EventEnvelope

pytestmark = pytest.mark.integration


async def until(fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)


async def test_handling_events_drive_the_status_in_any_order(world: World, kafka: KafkaBroker, namespace: str) -> None:
    w, c = world, world.client
    item = await w.registered("刘洋")
    pid, body_id, now = item["id"], w.body["id"], utcnow()

    def event(name: str, **fields: Any) -> EventEnvelope:
        return contract_event(name, **fields).envelope(subject=pid)

    created = event(
        "assignment.created.v1",
        assignment_id="a-1",
        proposal_id=pid,
        body_id=body_id,
        unit_id="u-fgw",
        unit_name="市发改委",
        role="lead",
        round=1,
        due_date=date(2027, 6, 30),
        assigned_at=now,
    )
    replied = event(
        "handling.completed.v1",
        proposal_id=pid,
        body_id=body_id,
        round=1,
        outcome="B",
        completed_at=now + timedelta(days=60),
    )
    rehandling = event(
        "assignment.rehandling_opened.v1",
        proposal_id=pid,
        body_id=body_id,
        round=2,
        due_date=date(2027, 9, 30),
        opened_at=now + timedelta(days=80),
    )
    rated = event(
        "evaluation.submitted.v1",
        evaluation_id="e-1",
        proposal_id=pid,
        body_id=body_id,
        round=1,
        unit_id="u-fgw",
        member_id=w.members["刘洋"]["id"],
        contact="satisfied",
        attitude="satisfied",
        result="unsatisfied",
        submitted_at=now + timedelta(days=70),
    )
    # The first reply arrives before the assignment (two topics, no order between them), and twice.
    await publish(kafka.bootstrap, f"{namespace}assignment.events", [replied, created, replied])

    async def fetch() -> dict[str, Any]:
        return ok(await c.get(f"/proposals/{pid}", headers=w.staff()))  # type: ignore[no-any-return]

    view = await until(fetch, lambda v: v["status"] == "replied" and v["handling_units"])
    assert view["status"] == "replied"
    assert view["handling_units"] == [{"unit_id": "u-fgw", "unit_name": "市发改委", "role": "lead"}]

    # The rehandling round is later than the first round's evaluation, even when that arrives last.
    await publish(kafka.bootstrap, f"{namespace}assignment.events", [rehandling])
    await publish(kafka.bootstrap, f"{namespace}evaluation.events", [rated])
    timeline = await until(
        lambda: c.get(f"/proposals/{pid}/timeline", headers=w.staff()),
        lambda r: len(r.json()["items"]) >= 7,
    )
    view = await fetch()
    assert view["status"] == "rehandling"
    actions = [e["action"] for e in timeline.json()["items"]]
    assert actions.count("handling.completed") == 1  # the redelivery was dropped
    assert sorted(actions) == sorted(
        [
            "drafted",
            "submitted",
            "registered",
            "assignment.created",
            "handling.completed",
            "assignment.rehandling_opened",
            "evaluation.submitted",
        ]
    )

    # The second round's reply and the end of its evaluation close the item.
    replied_again = event(
        "handling.completed.v1",
        proposal_id=pid,
        body_id=body_id,
        round=2,
        outcome="A",
        completed_at=now + timedelta(days=90),
    )
    closed = event(
        "evaluation.completed.v1", proposal_id=pid, body_id=body_id, round=2, completed_at=now + timedelta(days=100)
    )
    await publish(kafka.bootstrap, f"{namespace}evaluation.events", [closed])
    await publish(kafka.bootstrap, f"{namespace}assignment.events", [replied_again])
    view = await until(fetch, lambda v: v["status"] == "closed")
    assert view["status"] == "closed"
    units = ok(await c.get("/proposals", params={"unit_id": "u-fgw"}, headers=w.staff()))
    assert [x["id"] for x in units["items"]] == [pid]
