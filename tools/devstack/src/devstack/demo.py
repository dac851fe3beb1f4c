"""The run command's demo data, filed through the gateway as its people would: a CPPCC
committee (two sessions) and a people's congress, their members from CSV, and items of
every kind taken through cosigning, submission and review (deploy/demo/demo.json).

Requests carry tokens minted with the run's signing key (DevKeys), in the gateway's
format, for the people the data names; the accounts people log in with are made by
``demo_accounts``.
"""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from devstack.keys import DevKeys

DEMO = Path(__file__).resolve().parents[4] / "deploy" / "demo"
# The demo people's password, for development data only (a production gateway has no demo accounts).
DEMO_PASSWORD = "demo-pass-2026"

BODIES = {
    "cppcc": {"name": "政协武汉市委员会", "kind": "cppcc", "level": "municipal", "members": "members.csv"},
    "npc": {"name": "武汉市人民代表大会", "kind": "npc", "level": "municipal", "members": "npc_members.csv"},
}


class DemoLoader:
    def __init__(self, client: httpx.Client, keys: DevKeys, progress: Callable[[str], None]) -> None:
        self.client = client
        self.keys = keys
        self.progress = progress
        self.bodies: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, Any]] = {}  # by code (W001, D001, ...)
        self.items: dict[str, dict[str, Any]] = {}  # by ref

    def _call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        response = self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def staff(self, body: str) -> dict[str, str]:
        return self.keys.headers("staff", subject=f"demo-staff-{body}", body_id=self.bodies[body]["id"], name="提案委")

    def member(self, code: str) -> dict[str, str]:
        m = self.members[code]
        return self.keys.headers(
            "member", subject=f"demo-member-{code}", body_id=m["body_id"], member_id=m["id"], name=m["name"]
        )

    def load(self) -> int:
        plan = json.loads((DEMO / "demo.json").read_text())
        admin = self.keys.headers("admin", subject="demo-admin")
        for key, spec in BODIES.items():
            body = {k: v for k, v in spec.items() if k != "members"}
            self.bodies[key] = self._call("POST", "/bodies", admin, json=body)
            body_id = self.bodies[key]["id"]
            csv = (DEMO / spec["members"]).read_bytes()
            self._call("POST", f"/bodies/{body_id}/members/import", self.staff(key), content=csv)
            for m in self._call("GET", f"/bodies/{body_id}/members", self.staff(key)):
                self.members[m["code"]] = m
        total = sum(len(p["items"]) for p in plan.values())
        done = 0
        for key, part in plan.items():
            body_id = self.bodies[key]["id"]
            categories = {c["name"]: c["id"] for c in self._call("GET", f"/bodies/{body_id}/categories", {})}
            sessions = {}
            for which in ("past_session", "session"):
                if which in part:
                    sessions[which] = self._call(
                        "POST", f"/bodies/{body_id}/sessions", self.staff(key), json=part[which]
                    )
            for item in part["items"]:
                sitting = sessions["past_session" if item.get("past") else "session"]
                self._file(key, sitting, categories, item)
                done += 1
                self.progress(f"demo data {done}/{total}")
            for sitting in sessions.values():
                self._call("PATCH", f"/sessions/{sitting['id']}", self.staff(key), json={"published": True})
        return total

    def _file(self, body: str, sitting: dict[str, Any], categories: dict[str, str], spec: dict[str, Any]) -> None:
        filer = self.member(spec["by"]) if spec["by"] else self.staff(body)
        draft = {
            "session_id": sitting["id"],
            "kind": spec["kind"],
            "title": spec["title"],
            "content": spec["content"],
            "category_id": categories[spec["category"]],
            "group_name": spec.get("group_name"),
        }
        item = self._call("POST", "/proposals", filer, json=draft)
        self.items[spec["ref"]] = item
        path = f"/proposals/{item['id']}"
        if spec["cosigners"]:
            ids = [self.members[code]["id"] for code in spec["cosigners"]]
            self._call("POST", f"{path}/cosigners", filer, json={"member_ids": ids})
            for code in spec["cosigners"]:
                accept = code not in spec.get("declines_invitation", [])
                self._call("POST", f"{path}/cosign", self.member(code), json={"accept": accept})
        self._call("POST", f"{path}/submit", filer)
        decision, staff = spec["decision"], self.staff(body)
        if decision == "register":
            self._call("POST", f"{path}/register", staff)
            if spec.get("key_leader"):
                self._call("POST", f"{path}/key", staff, json={"key": True, "supervising_leader": spec["key_leader"]})
        elif decision == "decline":
            note = {
                "reason": spec["decline_reason"],
                "note": spec["decline_note"],
                "referral": spec["referral"] or "none",
            }
            self._call("POST", f"{path}/decline", staff, json=note)
        elif decision == "merge":
            primary = self.items[spec["merge_into"]]["id"]
            self._call("POST", f"/proposals/{primary}/merge", staff, json={"merged_ids": [item["id"]]})
        elif decision == "withdraw":
            self._call("POST", f"{path}/withdraw", filer, json={"note": "经与相关部门沟通，问题已解决，申请撤回"})

    def accounts(self, admin_username: str, admin_password: str) -> int:
        """Log-in accounts for the demo people: the bodies' staff and leaders, and every member
        (user name: the member's code in lower case), all with DEMO_PASSWORD."""
        login = {"username": admin_username, "password": admin_password}
        token = self._call("POST", "/auth/login", {}, json=login)["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        people = []
        for key, body in self.bodies.items():
            people.append(
                {
                    "username": f"{key}-staff",
                    "display_name": f"{body['name']}提案委",
                    "role": "staff",
                    "body_id": body["id"],
                }
            )
            people.append(
                {
                    "username": f"{key}-leader",
                    "display_name": f"{body['name']}督办领导",
                    "role": "leader",
                    "body_id": body["id"],
                }
            )
        for code, m in sorted(self.members.items()):
            people.append(
                {
                    "username": code.lower(),
                    "display_name": m["name"],
                    "role": "member",
                    "body_id": m["body_id"],
                    "member_id": m["id"],
                }
            )
        for i, person in enumerate(people, 1):
            self._call("POST", "/accounts", admin, json={**person, "password": DEMO_PASSWORD})
            self.progress(f"demo accounts {i}/{len(people)}")
        return len(people)


def load_demo_data(gateway_url: str, keys: DevKeys, *, admin_username: str, admin_password: str) -> tuple[int, int]:
    """Files the demo data through the gateway and makes the demo people's accounts;
    the numbers of items and of accounts."""

    def progress(message: str) -> None:
        print(f"\r    {message}", end="", file=sys.stderr, flush=True)

    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        loader = DemoLoader(client, keys, progress)
        items = loader.load()
        print(file=sys.stderr)
        accounts = loader.accounts(admin_username, admin_password)
    print(file=sys.stderr)
    return items, accounts
