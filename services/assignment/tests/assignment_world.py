"""The assignment service in-process with units, and registered items fed to it as the proposal
service would (events on Kafka); the callers the tests act as."""

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from contract_events import contract_event
from fastapi import FastAPI

from devstack.answers import ok as ok
from devstack.answers import problem as problem
from devstack.keys import DevKeys
from devstack.topics import publish
from servicekit.db import utcnow

UNITS_CSV = """编号,名称,上级编号,类型
WH,武汉市人民政府,,government
FGW,市发展和改革委员会,WH,department
CZJ,市财政局,WH,department
JXJ,市经济和信息化局,WH,department
SWJ,市水务局,WH,department
HS,洪山区人民政府,WH,district
HS-SW,洪山区水务和湖泊局,HS,department
"""


@dataclass
class HandlingWorld:
    client: httpx.AsyncClient
    app: FastAPI
    keys: DevKeys
    bootstrap: str
    namespace: str
    body_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    units: dict[str, str] = field(default_factory=dict)  # code → id
    members: dict[str, str] = field(default_factory=lambda: {"lead": str(uuid.uuid4()), "cosigner": str(uuid.uuid4())})

    def staff(self) -> dict[str, str]:
        return self.keys.headers("staff", subject="staff-1", body_id=self.body_id, name="提案委")

    def leader(self) -> dict[str, str]:
        return self.keys.headers("leader", subject="leader-1", body_id=self.body_id, name="李明")

    def unit(self, code: str) -> dict[str, str]:
        return self.keys.headers("unit_staff", subject=f"unit-{code}", unit_id=self.units[code], name=code)

    def member(self, who: str = "lead") -> dict[str, str]:
        return self.keys.headers("member", subject=f"m-{who}", body_id=self.body_id, member_id=self.members[who])

    async def setup(self) -> "HandlingWorld":
        admin = self.keys.headers("admin", subject="admin")
        ok(await self.client.post("/units/import", content=UNITS_CSV.encode(), headers=admin))
        self.units = {u["code"]: u["id"] for u in ok(await self.client.get("/units"))["items"]}
        return self

    async def registered(
        self,
        title: str = "关于加快专精特新企业培育的建议",
        *,
        kind: str = "individual",
        register: bool = True,
        content: str = "建议完善梯度培育体系，加大对专精特新企业的金融支持。",
    ) -> str:
        """Publishes proposal.submitted (and proposal.registered) and waits until the service knows it."""
        proposal_id, now = str(uuid.uuid4()), utcnow()
        ref = {"proposal_id": proposal_id, "body_id": self.body_id, "session_id": "s-1", "kind": kind}
        events = [
            contract_event(
                "proposal.submitted.v1",
                **ref,
                title=title,
                category="经济发展",
                lead_proposer="刘洋",
                submitted_at=now,
                lead_member_id=self.members["lead"],
                cosigner_member_ids=[self.members["cosigner"]],
            )
        ]
        if register:
            events.append(
                contract_event(
                    "proposal.registered.v1",
                    **ref,
                    number=1,
                    number_label="个0001",
                    title=title,
                    content=content,
                    category_id="c-1",
                    category="经济发展",
                    lead_member_id=self.members["lead"],
                    lead_proposer="刘洋",
                    cosigner_member_ids=[self.members["cosigner"]],
                    group_name=None,
                    key=False,
                    registered_at=now,
                )
            )
        await publish(
            self.bootstrap,
            f"{self.namespace}proposal.events",
            [e.envelope(subject=proposal_id) for e in events],
        )
        wanted = "awaiting_assignment" if register else "submitted"
        await self.until(f"/proposals/{proposal_id}", lambda v: v.get("status") == wanted)
        return proposal_id

    async def until(self, path: str, check: Any, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            response = await self.client.get(path, headers=self.staff())
            value = response.json()
            if (response.status_code == 200 and check(value)) or time.monotonic() > deadline:
                assert response.status_code == 200, response.text
                return value
            await asyncio.sleep(0.1)

    async def assign(self, proposal_id: str, *units: tuple[str, str]) -> list[dict[str, Any]]:
        body = {"units": [{"unit_id": self.units[code], "role": role} for code, role in units]}
        result: list[dict[str, Any]] = ok(
            await self.client.post(f"/proposals/{proposal_id}/assignments", json=body, headers=self.staff())
        )
        return result


def iso(moment: datetime) -> str:
    return moment.isoformat()
