"""One item with its proposers (lead, accepted cosigner, the proposer of an item merged into it)
told to the evaluation service through real Kafka, and the headers of whoever calls it: the scene
of the rating tests (test_ratings.py, test_rating_window.py)."""

import asyncio
import time
import uuid
from typing import Any

import httpx
from contract_events import ContractEvent, contract_event
from fastapi import FastAPI
from sqlmodel import func, select

from devstack.keys import DevKeys
from devstack.topics import publish
from evaluation_service.models import Evaluation, RatedItem
from servicekit.db import utcnow
from servicekit.outbox import OutboxMessage
from servicekit.runtime import service_runtime

BODY = "body-1"
SATISFIED = {"contact": "satisfied", "attitude": "satisfied", "result": "satisfied"}


class Scene:
    def __init__(self, client: httpx.AsyncClient, app: FastAPI, keys: DevKeys, bootstrap: str, namespace: str) -> None:
        self.client, self.app, self.keys, self.bootstrap, self.namespace = client, app, keys, bootstrap, namespace
        self.pid = str(uuid.uuid4())
        self.people = {name: str(uuid.uuid4()) for name in ("lead", "cosigner", "merged", "stranger")}

    def member(self, name: str) -> dict[str, str]:
        return self.keys.headers("member", subject=name, body_id=BODY, member_id=self.people[name])

    def staff(self, body: str = BODY) -> dict[str, str]:
        return self.keys.headers("staff", subject="staff", body_id=body)

    def unit(self, unit_id: str) -> dict[str, str]:
        return self.keys.headers("unit_staff", subject=f"staff-{unit_id}", unit_id=unit_id)

    async def send(self, topic: str, events: list[ContractEvent]) -> None:
        envelopes = [e.envelope(subject=self.pid) for e in events]
        await publish(self.bootstrap, f"{self.namespace}{topic}", envelopes)

    async def registered(self) -> None:
        ref = {"proposal_id": self.pid, "body_id": BODY, "session_id": "s", "kind": "joint"}
        other = {**ref, "proposal_id": str(uuid.uuid4())}
        await self.send(
            "proposal.events",
            [
                contract_event(
                    "proposal.registered.v1",
                    **ref, number=1, number_label="联0001", title="t", content="c", category_id=None, category=None,
                    lead_member_id=self.people["lead"], lead_proposer="刘洋",
                    cosigner_member_ids=[self.people["cosigner"]], group_name=None, key=False, registered_at=utcnow(),
                ),
                contract_event(
                    "proposal.merged.v1",
                    **other, primary_id=self.pid, lead_member_id=self.people["merged"], cosigner_member_ids=[],
                    merged_at=utcnow(),
                ),
            ],
        )  # fmt: skip

    async def replied(
        self, round_: int = 1, units: tuple[str, ...] = ("u-1",), reply_ids: dict[str, str] | None = None
    ) -> None:
        now = utcnow()
        reply_ids = reply_ids or {}
        replies = [
            contract_event(
                "assignment.replied.v1",
                reply_id=reply_ids.get(u) or str(uuid.uuid4()), assignment_id=f"a-{u}", proposal_id=self.pid, body_id=BODY, unit_id=u,
                unit_name=f"单位{u}", role="separate", round=round_, outcome="A", publishable=True, on_time=True,
                contacted=True, replied_at=now,
            )
            for u in units
        ]  # fmt: skip
        done = contract_event(
            "handling.completed.v1", proposal_id=self.pid, body_id=BODY, round=round_, outcome="A", completed_at=now
        )
        await self.send("assignment.events", [*replies, done])

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
