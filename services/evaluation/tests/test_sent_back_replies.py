"""A reply the body's staff sent back (assignment.reply_sent_back, ADR 28) cannot be rated, and the
round waits for the unit's new reply: no rating is taken until its handling.completed."""

import asyncio
import time

import pytest
from contract_events import contract_event
from rating_scene import BODY, SATISFIED, Scene

from devstack.answers import problem
from evaluation_service.models import RatedItem, ReplyRecord
from servicekit.db import utcnow
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration


async def state(s: Scene, reply_id: str) -> tuple[bool, bool]:
    """(the reply is still on record, the round's window is open)."""
    async with service_runtime(s.app).database.session(read_only=True) as session:
        item = await session.get(RatedItem, s.pid)
        return await session.get(ReplyRecord, reply_id) is not None, item is not None and item.replied_at is not None


async def until(s: Scene, reply_id: str, wanted: tuple[bool, bool]) -> None:
    deadline = time.monotonic() + 60
    while await state(s, reply_id) != wanted:
        assert time.monotonic() < deadline, "the evaluation service never applied the events"
        await asyncio.sleep(0.1)


async def test_a_sent_back_reply_is_not_rated_and_the_round_waits_for_the_new_one(scene: Scene) -> None:
    s, c = scene, scene.client
    url = f"/proposals/{s.pid}/evaluations"
    await s.registered()
    await s.replied(units=("u-1", "u-2"), reply_ids={"u-1": "r-1", "u-2": "r-2"})
    await s.until_rated_item(1)
    sent_back = contract_event(
        "assignment.reply_sent_back.v1",
        reply_id="r-2", assignment_id="a-u-2", proposal_id=s.pid, body_id=BODY, unit_id="u-2", unit_name="单位u-2",
        round=1, reason="未回应第二条建议", unanswered=[2], sent_back_at=utcnow(),
    )  # fmt: skip
    await s.send("assignment.events", [sent_back, sent_back])
    await until(s, "r-2", (False, False))
    # Neither the sent-back reply nor the other unit's: the round is not complete without u-2.
    for unit in ("u-2", "u-1"):
        problem(await c.post(url, json={"unit_id": unit, **SATISFIED}, headers=s.member("lead")), 409, "not_replied")

    await s.replied(units=("u-2",), reply_ids={"u-2": "r-2b"})
    await until(s, "r-2b", (True, True))
    rated = await c.post(url, json={"unit_id": "u-2", "reply_id": "r-2b", **SATISFIED}, headers=s.member("lead"))
    assert rated.status_code == 201, rated.text
