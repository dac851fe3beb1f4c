"""Filing items through the API for tests, chaos runs and benchmarks: a body with a session
and members, and a member who drafts and submits. Tokens come from the run's DevKeys, as if
issued by the gateway; ``prefix`` is "/api/v1" through the gateway and "" against the
proposal service itself."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from devstack.keys import DevKeys


def _ok(response: httpx.Response, status: int = 200) -> Any:
    if response.status_code != status:
        raise AssertionError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    return response.json()


@dataclass
class FilingDesk:
    keys: DevKeys
    prefix: str
    body: dict[str, Any]
    session: dict[str, Any]
    members: list[dict[str, Any]]
    categories: dict[str, str]

    @classmethod
    async def open(
        cls, client: httpx.AsyncClient, keys: DevKeys, *, prefix: str = "/api/v1", members: int = 3
    ) -> "FilingDesk":
        admin = keys.headers("admin", subject="desk-admin")
        body = _ok(
            await client.post(
                f"{prefix}/bodies",
                json={"name": f"测试政协 {uuid.uuid4().hex[:6]}", "kind": "cppcc", "level": "district"},
                headers=admin,
            ),
            201,
        )
        staff = keys.headers("staff", subject="desk-staff", body_id=body["id"])
        session = _ok(
            await client.post(f"{prefix}/bodies/{body['id']}/sessions", json={"term": 14, "meeting": 3}, headers=staff),
            201,
        )
        people = [
            _ok(
                await client.post(
                    f"{prefix}/bodies/{body['id']}/members", json={"name": f"委员{i:02d}"}, headers=staff
                ),
                201,
            )
            for i in range(members)
        ]
        categories = {
            c["name"]: c["id"] for c in _ok(await client.get(f"{prefix}/bodies/{body['id']}/categories"))["items"]
        }
        return cls(keys, prefix, body, session, people, categories)

    def staff(self) -> dict[str, str]:
        return self.keys.headers("staff", subject="desk-staff", body_id=self.body["id"])

    def member(self, i: int = 0) -> dict[str, str]:
        m = self.members[i % len(self.members)]
        return self.keys.headers("member", subject=f"desk-{m['id']}", body_id=self.body["id"], member_id=m["id"])

    def draft_body(
        self, *, title: str, content: str = "建议加强统筹，明确责任单位。", category: str | None = None
    ) -> dict[str, Any]:
        return {
            "session_id": self.session["id"],
            "kind": "individual",
            "title": title,
            "content": content,
            "category_id": self.categories[category] if category else None,
        }

    async def file(
        self, client: httpx.AsyncClient, *, title: str, member: int = 0, category: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Drafts and submits an individual item; the submitted item."""
        draft = _ok(
            await client.post(
                f"{self.prefix}/proposals",
                json=self.draft_body(title=title, category=category, **extra),
                headers=self.member(member),
            ),
            201,
        )
        submitted: dict[str, Any] = _ok(
            await client.post(f"{self.prefix}/proposals/{draft['id']}/submit", headers=self.member(member))
        )
        return submitted
