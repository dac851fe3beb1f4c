"""Satisfaction evaluations in-process, with real Kafka, on SQLite and PostgreSQL: who may rate,
when, what an unsatisfied result triggers, and that refused ratings change nothing."""

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from rating_scene import BODY, SATISFIED, Scene
from sqlalchemy import update
from sqlmodel import col

from devstack.answers import problem
from devstack.kafka import KafkaBroker
from devstack.topics import read_topic
from evaluation_service.models import RatedItem
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


async def test_proposers_rate_and_an_unsatisfied_result_asks_for_rehandling(
    scene: Scene, kafka: KafkaBroker, namespace: str
) -> None:
    s, c = scene, scene.client
    await s.registered()
    url = f"/proposals/{s.pid}/evaluations"
    # Before any reply exists there is nothing to rate.
    await s.until_rated_item(0)
    problem(await c.post(url, json={"unit_id": "u-1", **SATISFIED}, headers=s.member("lead")), 409, "not_replied")
    await s.replied(units=("u-1", "u-2"))
    await s.until_rated_item(1)

    first = await c.post(url, json={"unit_id": "u-1", **SATISFIED, "result": "unsatisfied"}, headers=s.member("lead"))
    assert first.status_code == 201, first.text
    changed = await c.post(url, json={"unit_id": "u-1", **SATISFIED, "comment": "改为满意"}, headers=s.member("lead"))
    assert changed.status_code == 200 and changed.json()["id"] == first.json()["id"]
    ok = await c.post(url, json={"unit_id": "u-1", **SATISFIED}, headers=s.member("merged"))
    assert ok.status_code == 201, ok.text  # proposers of a merged item rate the primary's replies

    before = await s.snapshot()
    problem(await c.post(url, json={"unit_id": "u-1", **SATISFIED}, headers=s.member("stranger")), 404, "not_found")
    problem(await c.post(url, json={"unit_id": "u-9", **SATISFIED}, headers=s.member("lead")), 409, "not_replied")
    bad = problem(
        await c.post(url, json={"unit_id": "u-1", **SATISFIED, "result": "great"}, headers=s.member("lead")),
        422,
        "validation_failed",
    )
    assert [e["field"] for e in bad["errors"]] == ["result"]
    problem(await c.post(url, json={"unit_id": "u-1", **SATISFIED}, headers=s.staff()), 403, "forbidden")
    assert await s.snapshot() == before

    # The window closes 15 working days after the reply.
    async with service_runtime(s.app).database.session() as session:
        await session.exec(
            update(RatedItem)
            .where(col(RatedItem.proposal_id) == s.pid)
            .values(replied_at=utcnow() - timedelta(days=40))
        )
        await session.commit()
    problem(await c.post(url, json={"unit_id": "u-2", **SATISFIED}, headers=s.member("lead")), 409, "evaluation_closed")
    assert await s.snapshot() == before

    # Who sees what: the staff all, a unit its own, a member their own.
    assert len((await c.get(url, headers=s.staff())).json()["items"]) == 2
    unit = s.keys.headers("unit_staff", subject="u", unit_id="u-1")
    assert {e["unit_id"] for e in (await c.get(url, headers=unit)).json()["items"]} == {"u-1"}
    assert [e["member_id"] for e in (await c.get(url, headers=s.member("merged"))).json()["items"]] == [
        s.people["merged"]
    ]

    records = await read_topic(kafka.bootstrap, f"{namespace}evaluation.events", expect=4)
    types = [EventEnvelope.from_bytes(r.value or b"").type for r in records]
    assert types == ["evaluation.submitted", "evaluation.unsatisfied", "evaluation.submitted", "evaluation.submitted"]


async def test_a_rating_of_a_reply_not_yet_open_never_lands_on_the_previous_round(scene: Scene) -> None:
    """The member reads the rehandling reply from the assignment service before this service has
    consumed it: naming the reply makes the rating wait (409) instead of overwriting round 1."""
    s, c = scene, scene.client
    await s.registered()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await s.replied(reply_ids={"u-1": first})
    await s.until_rated_item(1)
    url = f"/proposals/{s.pid}/evaluations"
    unsatisfied = {"unit_id": "u-1", **SATISFIED, "result": "unsatisfied", "reply_id": first}
    assert (await c.post(url, json=unsatisfied, headers=s.member("lead"))).status_code == 201
    before = await s.snapshot()
    again = {"unit_id": "u-1", **SATISFIED, "reply_id": second}
    problem(await c.post(url, json=again, headers=s.member("lead")), 409, "reply_not_current")
    assert await s.snapshot() == before

    await s.replied(round_=2, reply_ids={"u-1": second})
    await s.until_rated_item(2)
    problem(await c.post(url, json={**again, "reply_id": first}, headers=s.member("lead")), 409, "reply_not_current")
    rated = await c.post(url, json=again, headers=s.member("lead"))
    assert rated.status_code == 201 and rated.json()["round"] == 2, rated.text
    rounds = {(e["round"], e["result"]) for e in (await c.get(url, headers=s.member("lead"))).json()["items"]}
    assert rounds == {(1, "unsatisfied"), (2, "satisfied")}


async def test_the_evaluation_completes_when_everyone_is_satisfied(
    scene: Scene, kafka: KafkaBroker, namespace: str
) -> None:
    s, c = scene, scene.client
    await s.registered()
    await s.replied()
    await s.until_rated_item(1)
    rules = {"window_days": 15, "cosigners_rate": False, "unrated_policy": "left_unrated"}
    problem(await c.put(f"/bodies/{BODY}/evaluation-rules", json=rules, headers=s.member("lead")), 403, "forbidden")
    bad_policy = {**rules, "unrated_policy": "ignored"}
    problem(await c.put(f"/bodies/{BODY}/evaluation-rules", json=bad_policy, headers=s.staff()), 422, "unknown_policy")
    assert (await c.put(f"/bodies/{BODY}/evaluation-rules", json=rules, headers=s.staff())).status_code == 200
    url = f"/proposals/{s.pid}/evaluations"
    problem(await c.post(url, json={"unit_id": "u-1", **SATISFIED}, headers=s.member("cosigner")), 403, "forbidden")
    for who in ("lead", "merged"):
        assert (await c.post(url, json={"unit_id": "u-1", **SATISFIED}, headers=s.member(who))).status_code == 201
    records = await read_topic(kafka.bootstrap, f"{namespace}evaluation.events", expect=3)
    assert [EventEnvelope.from_bytes(r.value or b"").type for r in records][-1] == "evaluation.completed"
