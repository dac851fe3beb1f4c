"""A small world of one item, its proposers and units, publishing the producers' events."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import uvicorn
from contract_events import ContractEvent, contract_event
from fastapi import FastAPI
from sqlmodel import col, select

from devstack import free_port
from devstack.keys import DevKeys
from devstack.topics import publish
from notification_service.models import Notification
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.runtime import service_runtime

BODY = "body-1"


class World:
    def __init__(self, app: FastAPI, keys: DevKeys, bootstrap: str, namespace: str) -> None:
        self.app, self.keys, self.bootstrap, self.namespace = app, keys, bootstrap, namespace
        self.pid = str(uuid.uuid4())
        self.lead, self.cosigner, self.stranger = (str(uuid.uuid4()) for _ in range(3))
        self.unit = f"u-{uuid.uuid4().hex[:8]}"

    def member_headers(self, member_id: str) -> dict[str, str]:
        return self.keys.headers("member", subject=f"acc-{member_id}", body_id=BODY, member_id=member_id)

    def unit_headers(self, unit_id: str | None = None) -> dict[str, str]:
        return self.keys.headers("unit_staff", subject="unit-acc", unit_id=unit_id or self.unit)

    def envelope(self, event: ContractEvent) -> EventEnvelope:
        return event.envelope(subject=self.pid)

    async def send(self, topic: str, envelopes: list[EventEnvelope]) -> None:
        await publish(self.bootstrap, f"{self.namespace}{topic}", envelopes)

    def ref(self) -> dict[str, Any]:
        return {"proposal_id": self.pid, "body_id": BODY, "session_id": "s-1", "kind": "joint"}

    def submitted(self) -> ContractEvent:
        return contract_event(
            "proposal.submitted.v1",
            **self.ref(), title="关于加强社区养老服务的建议", category=None, lead_proposer="刘洋",
            submitted_at=utcnow(), lead_member_id=self.lead, cosigner_member_ids=[self.cosigner],
        )  # fmt: skip

    def registered(self, cosigners: list[str] | None = None) -> ContractEvent:
        return contract_event(
            "proposal.registered.v1",
            **self.ref(), number=12, number_label="0012", title="关于加强社区养老服务的建议", content="c",
            category_id=None, category=None, lead_member_id=self.lead, lead_proposer="刘洋",
            cosigner_member_ids=[self.cosigner] if cosigners is None else cosigners, group_name=None, key=False,
            registered_at=utcnow(),
        )  # fmt: skip

    def assigned(self) -> ContractEvent:
        return contract_event(
            "assignment.created.v1",
            assignment_id=str(uuid.uuid4()), proposal_id=self.pid, body_id=BODY, unit_id=self.unit,
            unit_name="市民政局", role="lead", round=1, due_date=date(2026, 6, 2), assigned_at=utcnow(),
        )  # fmt: skip

    def overdue(self) -> ContractEvent:
        return contract_event(
            "assignment.overdue.v1",
            assignment_id=str(uuid.uuid4()), proposal_id=self.pid, body_id=BODY, unit_id=self.unit,
            day=date(2026, 6, 3), due_date=date(2026, 6, 2), working_days_left=0,
        )  # fmt: skip

    async def notifications(self, recipient: str) -> list[Notification]:
        async with service_runtime(self.app).database.session(read_only=True) as session:
            query = select(Notification).where(Notification.recipient == recipient).order_by(col(Notification.seq))
            return list((await session.exec(query)).all())

    async def until(self, recipient: str, count: int, timeout: float = 60) -> list[Notification]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = await self.notifications(recipient)
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.1)
        raise AssertionError(f"{recipient} got {len(await self.notifications(recipient))} notifications, not {count}")


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """An ASGI app under uvicorn on a free local port, in this event loop (real HTTP, real streaming)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
