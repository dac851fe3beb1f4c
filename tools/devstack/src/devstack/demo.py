"""The run command's demo data, filed through the gateway as its people would: a CPPCC
committee (two sessions) and a people's congress, their members from CSV, and items of
every kind taken through cosigning, submission and review (deploy/demo/demo.json).

Requests carry tokens minted with the run's signing key (DevKeys), in the gateway's
format, for the people the data names; the accounts people log in with are made by
``demo_accounts``.
"""

import json
import sys
import time
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
        self.units: dict[str, str] = {}  # unit id by code
        self.unit_names: dict[str, str] = {}

    def _call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        response = self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def _all(self, path: str, headers: dict[str, str]) -> list[Any]:
        """Every item of a list, page after page ({items, next_cursor})."""
        items: list[Any] = []
        params: dict[str, Any] = {"limit": 200}
        while True:
            page = self._call("GET", path, headers, params=params)
            items += page["items"]
            if not page["next_cursor"]:
                return items
            params["cursor"] = page["next_cursor"]

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
            for m in self._all(f"/bodies/{body_id}/members", self.staff(key)):
                self.members[m["code"]] = m
        total = sum(len(p["items"]) for p in plan.values())
        done = 0
        for key, part in plan.items():
            body_id = self.bodies[key]["id"]
            categories = {c["name"]: c["id"] for c in self._all(f"/bodies/{body_id}/categories", {})}
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

    def unit(self, code: str) -> dict[str, str]:
        return self.keys.headers("unit_staff", subject=f"demo-unit-{code}", unit_id=self.units[code], name=code)

    def _until(
        self, method: str, path: str, headers: dict[str, str], ready: Callable[[httpx.Response], bool], **kwargs: Any
    ) -> Any:
        """Repeats a request until the events it depends on have reached the service."""
        deadline = time.monotonic() + 60
        while True:
            response = self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
            if ready(response):
                return response.json()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            time.sleep(0.2)

    def handle(self) -> int:
        """Assigns, handles, replies, rates and rehandles demo items (deploy/demo/handling.json) and
        imports seed 002's handling plan; the number of items handled."""
        admin = self.keys.headers("admin", subject="demo-admin")
        self._call("POST", "/units/import", admin, content=(DEMO / "units.csv").read_bytes())
        listed = self._all("/units", {})
        self.units = {u["code"]: u["id"] for u in listed}
        self.unit_names = {u["code"]: u["name"] for u in listed}
        plan = json.loads((DEMO / "handling.json").read_text())
        for i, spec in enumerate(plan["items"], 1):
            self._handle(spec)
            self.progress(f"demo handling {i}/{len(plan['items'])}")
        self._plan(plan["plan"])
        # The deadline scanner runs on its own hourly; run it now, so the units of the overdue items
        # (c02) find their overdue reminder in their inbox as soon as the demo is loaded.
        self._call("POST", "/supervision/scan", self.staff("cppcc"))
        return len(plan["items"])

    def _handle(self, spec: dict[str, Any]) -> None:
        pid = self.items[spec["ref"]]["id"]
        staff = self.staff("npc" if spec["ref"].startswith("n") else "cppcc")
        self._until(
            "GET",
            f"/handling/proposals/{pid}",
            staff,
            lambda r: r.status_code == 200 and r.json()["status"] == "awaiting_assignment",
        )
        units = [{"unit_id": self.units[code], "role": role} for code, role in spec["units"]]
        body = {"units": units, "assigned_on": spec["assigned_on"]}
        sent = {a["unit_id"]: a for a in self._call("POST", f"/proposals/{pid}/assignments", staff, json=body)}
        by_code = {code: sent[self.units[code]] for code, _ in spec["units"]}
        for code, a in by_code.items() if spec.get("acknowledge", True) else ():
            self._call("POST", f"/assignments/{a['id']}/acknowledge", self.unit(code))
        for code, text in spec.get("opinions", []):
            record = {"kind": "opinion", "text": text}
            self._call("POST", f"/assignments/{by_code[code]['id']}/records", self.unit(code), json=record)
        for code, kind, day, text in spec.get("contacts", []):
            record = {"kind": "contact", "contact_kind": kind, "occurred_on": day, "text": text}
            self._call("POST", f"/assignments/{by_code[code]['id']}/records", self.unit(code), json=record)
        self._reply(by_code, spec.get("replies", []))
        self._rate(pid, spec.get("ratings", []))
        if spec.get("rehandling"):
            for code, *_ in spec["rehandling"]:
                path = f"/assignments/{by_code[code]['id']}"
                self._until("GET", path, self.unit(code), lambda r: r.status_code == 200 and r.json()["round"] == 2)
            self._reply(by_code, spec["rehandling"])

    def _reply(self, by_code: dict[str, dict[str, Any]], replies: list[list[Any]]) -> None:
        for code, outcome, text, *rest in replies:
            commitments = [{"text": t, "target_date": d} for t, d in (rest[0] if rest else [])]
            answer = {"text": text, "outcome": outcome, "commitments": commitments}
            self._call("POST", f"/assignments/{by_code[code]['id']}/reply", self.unit(code), json=answer)

    def _rate(self, pid: str, ratings: list[list[str]]) -> None:
        for member, code, result in ratings:
            rating = {"unit_id": self.units[code], "contact": "satisfied", "attitude": "satisfied", "result": result}
            path = f"/proposals/{pid}/evaluations"
            self._until("POST", path, self.member(member), lambda r: r.status_code in (200, 201), json=rating)

    def _plan(self, spec: dict[str, Any]) -> None:
        pid = self.items[spec["ref"]]["id"]
        document = json.loads((DEMO / spec["file"]).read_text())
        plan = self._call("POST", f"/proposals/{pid}/plan", self.staff("cppcc"), json=document)
        for report in spec["reports"]:
            task = plan["tasks"][report["task"]]
            done = [m["id"] for m in task["milestones"][: report["milestones_done"]]]
            body = {"text": report["text"], "milestones_done": done}
            self._call("POST", f"/plan-tasks/{task['id']}/reports", self.unit(report["unit"]), json=body)

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
        for code, unit_id in sorted(self.units.items()):
            name = self.unit_names[code]
            unit = {"username": f"unit-{code.lower()}", "display_name": name, "role": "unit_staff", "unit_id": unit_id}
            people.append(unit)
        for i, person in enumerate(people, 1):
            self._call("POST", "/accounts", admin, json={**person, "password": DEMO_PASSWORD})
            self.progress(f"demo accounts {i}/{len(people)}")
        # E-mail contact data (the notification service owns it, ADR 12), so the demo's mail
        # catcher receives their notifications: every member and unit, at example.org.
        recipients = [(f"member:{m['id']}", code.lower()) for code, m in sorted(self.members.items())]
        recipients += [(f"unit:{unit_id}", f"unit-{code.lower()}") for code, unit_id in sorted(self.units.items())]
        for i, (recipient, user) in enumerate(recipients, 1):
            contact = {"email": f"{user}@demo.example.org"}
            self._call("PUT", f"/recipients/{recipient}/contact", admin, json=contact)
            self.progress(f"demo e-mail addresses {i}/{len(recipients)}")
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
        loader.handle()
        print(file=sys.stderr)
        accounts = loader.accounts(admin_username, admin_password)
    print(file=sys.stderr)
    return items, accounts
