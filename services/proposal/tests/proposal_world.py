"""A body with a session, members and staff, set up through the proposal service's API,
and the signed-in callers the tests act as."""

from dataclasses import dataclass, field
from typing import Any

import httpx

from devstack.answers import ok as ok
from devstack.answers import problem as problem
from devstack.keys import DevKeys


@dataclass
class World:
    client: httpx.AsyncClient
    keys: DevKeys
    body: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    def staff(self, body_id: str | None = None) -> dict[str, str]:
        return self.keys.headers("staff", subject="staff-1", body_id=body_id or self.body["id"])

    def admin(self) -> dict[str, str]:
        return self.keys.headers("admin", subject="admin-1")

    def member(self, name: str) -> dict[str, str]:
        m = self.members[name]
        return self.keys.headers("member", subject=f"account-{m['id']}", body_id=m["body_id"], member_id=m["id"])

    async def setup(self, *, kind: str = "cppcc", names: tuple[str, ...] = ("刘洋", "王芳", "陈刚", "赵敏")) -> "World":
        self.body = ok(
            await self.client.post(
                "/bodies",
                json={"name": "政协武汉市委员会", "kind": kind, "level": "municipal"},
                headers=self.admin(),
            ),
            201,
        )
        self.session = await self.new_session(14, 3)
        cats = ok(await self.client.get(f"/bodies/{self.body['id']}/categories"))["items"]
        self.categories = {c["name"]: c["id"] for c in cats}
        for i, name in enumerate(names):
            m = ok(
                await self.client.post(
                    f"/bodies/{self.body['id']}/members",
                    json={"name": name, "sector": "经济界", "code": f"M{i:03d}"},
                    headers=self.staff(),
                ),
                201,
            )
            self.members[name] = m
        return self

    async def new_session(self, term: int, meeting: int) -> dict[str, Any]:
        return ok(
            await self.client.post(
                f"/bodies/{self.body['id']}/sessions", json={"term": term, "meeting": meeting}, headers=self.staff()
            ),
            201,
        )

    async def draft(self, by: str, *, kind: str = "individual", **extra: Any) -> dict[str, Any]:
        payload = {
            "session_id": self.session["id"],
            "kind": kind,
            "title": "关于加强中小学心理健康教育的建议",
            "content": "建议配齐专职心理教师，建立学生心理健康筛查和转介机制。",
            "category_id": self.categories["科教文卫"],
            **extra,
        }
        return ok(await self.client.post("/proposals", json=payload, headers=self.member(by)), 201)  # type: ignore[no-any-return]

    async def filed(self, by: str, **extra: Any) -> dict[str, Any]:
        item = await self.draft(by, **extra)
        return ok(await self.client.post(f"/proposals/{item['id']}/submit", headers=self.member(by)))  # type: ignore[no-any-return]

    async def registered(self, by: str, **extra: Any) -> dict[str, Any]:
        item = await self.filed(by, **extra)
        return ok(await self.client.post(f"/proposals/{item['id']}/register", headers=self.staff()))  # type: ignore[no-any-return]
