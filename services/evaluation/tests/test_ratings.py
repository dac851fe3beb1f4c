"""Satisfaction evaluations in-process, with real Kafka, on SQLite and PostgreSQL: who may rate,
when, what an unsatisfied result triggers, and that refused ratings change nothing."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import col, func, select

from assignment_service.events.schemas import AssignmentReplied, HandlingCompleted
from assignment_service.events.schemas import registry as assignment_events
from devstack.answers import problem
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish, read_topic
from evaluation_service.models import Evaluation, RatedItem
from proposal_service.events.schemas import ProposalMerged, ProposalRegistered
from proposal_service.events.schemas import registry as proposal_events
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.outbox import OutboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
BODY = "body-1"
SATISFIED = {"contact": "satisfied", "attitude": "satisfied", "result": "satisfied"}


class Scene:
    def __init__(self, client: httpx.AsyncClient, app: FastAPI, keys: DevKeys, bootstrap: str, namespace: str) -> None:
        self.client, self.app, self.keys, self.bootstrap, self.namespace = client, app, keys, bootstrap, namespace
        self.pid = str(uuid.uuid4())
        self.people = {name: str(uuid.uuid4()) for name in ("lead", "cosigner", "merged", "stranger")}

    def member(self, name: str) -> dict[str, str]:
        return self.keys.headers("member", subject=name, body_id=BODY, member_id=self.people[name])

    def staff(self) -> dict[str, str]:
        return self.keys.headers("staff", subject="staff", body_id=BODY)

    async def send(self, topic: str, payloads: list[BaseModel], registry: Any) -> None:
        envelopes = [registry.envelope(p, subject=self.pid) for p in payloads]
        await publish(self.bootstrap, f"{self.namespace}{topic}", envelopes)

    async def registered(self) -> None:
        ref = {"proposal_id": self.pid, "body_id": BODY, "session_id": "s", "kind": "joint"}
        other = {**ref, "proposal_id": str(uuid.uuid4())}
        await self.send(
            "proposal.events",
            [
                ProposalRegistered(
                    **ref, number=1, number_label="联0001", title="t", content="c", category_id=None, category=None,
                    lead_member_id=self.people["lead"], lead_proposer="刘洋",
                    cosigner_member_ids=[self.people["cosigner"]], group_name=None, key=False, registered_at=utcnow(),
                ),
                ProposalMerged(
                    **other, primary_id=self.pid, lead_member_id=self.people["merged"], cosigner_member_ids=[],
                    merged_at=utcnow(),
                ),
            ],
            proposal_events,
        )  # fmt: skip

    async def replied(
        self, round_: int = 1, units: tuple[str, ...] = ("u-1",), reply_ids: dict[str, str] | None = None
    ) -> None:
        now = utcnow()
        reply_ids = reply_ids or {}
        replies: list[BaseModel] = [
            AssignmentReplied(
                reply_id=reply_ids.get(u) or str(uuid.uuid4()), assignment_id=f"a-{u}", proposal_id=self.pid, body_id=BODY, unit_id=u,
                unit_name=f"单位{u}", role="separate", round=round_, outcome="A", publishable=True, on_time=True,
                contacted=True, replied_at=now,
            )
            for u in units
        ]  # fmt: skip
        done = HandlingCompleted(proposal_id=self.pid, body_id=BODY, round=round_, outcome="A", completed_at=now)
        await self.send("assignment.events", [*replies, done], assignment_events)

    async def until_rated_item(self, round_: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with service_runtime(self.app).database.session(read_only=True) as session:
                item = await session.get(RatedItem, self.pid)
                if item and item.round == round_ and item.lead_member_id and item.merged_member_ids:
                    return
            await asyncio.sleep(0.1)
        raise AssertionError("the evaluation service never learned of the replies")

    async def snapshot(self) -> tuple[Any, ...]:
        async with service_runtime(self.app).database.session(read_only=True) as session:
            rows = (await session.exec(select(Evaluation.member_id, Evaluation.unit_id, Evaluation.result))).all()
            events = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
        return tuple(sorted(rows)), events


@pytest.fixture
async def scene(
    evaluation: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> AsyncIterator[Scene]:
    app, client = evaluation
    yield Scene(client, app, dev_keys, kafka.bootstrap, namespace)


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
    assert len((await c.get(url, headers=s.staff())).json()) == 2
    unit = s.keys.headers("unit_staff", subject="u", unit_id="u-1")
    assert {e["unit_id"] for e in (await c.get(url, headers=unit)).json()} == {"u-1"}
    assert [e["member_id"] for e in (await c.get(url, headers=s.member("merged"))).json()] == [s.people["merged"]]

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
    rounds = {(e["round"], e["result"]) for e in (await c.get(url, headers=s.member("lead"))).json()}
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
