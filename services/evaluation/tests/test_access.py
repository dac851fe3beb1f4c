"""Every route of the evaluation service against every kind of caller: the body's committee
staff, a supervising leader, the replying unit, another unit, the lead proposer, an accepted
cosigner, the proposer of an item merged into this one, another member of the body, another
body's staff, an administrator and the anonymous public. In-process with real Kafka, on SQLite
and PostgreSQL.

The matrix (``matrix``) has one row per route and situation, with the exact status each caller
gets; a route of the app without a row fails ``test_every_route_has_a_row``. A refused answer
(401, 403, 404) names neither the item's title nor its proposers, a 404 for an item the caller
may not see is the 404 of an item that does not exist, and the lists hold only what the caller
may see.

Access rules, as the code has them:

- rating (POST evaluations): the entitled members only (lead proposer, accepted cosigners while
  the body's ``cosigners_rate`` holds, proposers of merged items); the body's staff and leaders
  and the replying unit see the item and get 403; whoever may not see it gets 404;
- the rating window (GET rating-window: the closing day and working days left): the entitled
  members only; the body's staff and leaders and the replying unit get 403, anyone else 404;
- reading ratings: the body's staff and leaders all, a replying unit the ratings of its own
  replies, a proposer their own; anyone else 404 (anonymous too: a GET is not told a token
  would help);
- statistics, unit statistics and the annual report: ``Principal.is_staff_of`` (the body's
  staff and supervising leaders), 403 for every other signed-in caller before the session is
  even looked up, 401 when anonymous;
- evaluation rules and performance weights: anyone reads them; only the body's committee staff
  (not its leaders) set them;
- assembly ballots (民主测评): only the body's committee staff open and close them; the body's
  staff and leaders and the ballot's electors read it, anyone else gets 404; only electors vote.
  A refused caller of the ballot's body gets 403 on voting and closing (a member learns they are
  not on the roll), anyone else 404. Listing a body's ballots answers every signed-in caller,
  with the ballots they may see only.
- the filed-item projection and the filing counts across every body: administrators only.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from contract_events import ContractEvent, contract_event
from fastapi import FastAPI
from sqlmodel import col, func, select

from devstack.answers import app_routes
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish
from evaluation_service.main import create_app
from evaluation_service.models import Evaluation
from evaluation_service.settings import EvaluationSettings
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.inbox import InboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]

TITLE, OTHER_TITLE = "关于保密测评的建议", "关于另一机构保密事项的提案"
BALLOT_TITLES = {"vote": "保密建议案民主测评甲", "close": "保密建议案民主测评乙", "other": "另一机构的民主测评"}
SESSION = "s-access"
SATISFIED = {"contact": "satisfied", "attitude": "satisfied", "result": "satisfied"}
RULES = {"window_days": 15, "cosigners_rate": True, "unrated_policy": "left_unrated"}  # the defaults
WEIGHTS = {"on_time": 0.3, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.2}  # the defaults
# Units: FGW replies as lead and CZJ as a separate unit on the item; SWJ replies on another body's item.
UNITS = {"FGW": "市发展和改革委员会", "CZJ": "市财政局", "SWJ": "市水务局"}

CALLERS = (
    "staff",  # the body's committee staff (提案委)
    "leader",  # a supervising leader of the body (督办)
    "replying_unit",  # staff of a unit that replied to the item
    "other_unit",  # staff of a unit that did not (it replied to another body's item)
    "lead",  # the lead proposer (领衔人)
    "cosigner",  # an accepted cosigner
    "merged",  # the lead proposer of an item merged into this one
    "other_member",  # another member of the same body
    "other_body_staff",  # committee staff of another body
    "admin",
    "anonymous",
)


def expect(default: int, **status: int) -> dict[str, int]:
    """Every caller's status: ``default`` unless named."""
    unknown = set(status) - set(CALLERS)
    assert not unknown, unknown
    return {who: status.get(who, default) for who in CALLERS}


@dataclass
class Ids:
    body: str = field(default_factory=lambda: str(uuid.uuid4()))
    other_body: str = field(default_factory=lambda: str(uuid.uuid4()))
    item: str = field(default_factory=lambda: str(uuid.uuid4()))  # registered, replied by FGW and CZJ
    merged_item: str = field(default_factory=lambda: str(uuid.uuid4()))  # merged into ``item``
    other_item: str = field(default_factory=lambda: str(uuid.uuid4()))  # another body's, replied by SWJ
    unknown_item: str = field(default_factory=lambda: str(uuid.uuid4()))  # never heard of
    # plenary recommendations (建议案) with a ballot each: "vote" (electors lead and cosigner; lead
    # has voted), "close" (elector lead) in the body, "other" in the other body
    plenary: dict[str, str] = field(default_factory=lambda: {b: str(uuid.uuid4()) for b in BALLOT_TITLES})
    ballots: dict[str, str] = field(default_factory=lambda: {b: f"ballot-{b}" for b in BALLOT_TITLES})  # set once open
    unknown_ballot: str = field(default_factory=lambda: str(uuid.uuid4()))
    units: dict[str, str] = field(default_factory=lambda: {code: f"u-{code.lower()}" for code in UNITS})
    members: dict[str, str] = field(
        default_factory=lambda: {who: str(uuid.uuid4()) for who in ("lead", "cosigner", "merged", "other_member")}
    )


@dataclass(frozen=True)
class Row:
    """One route in one situation and what each caller gets."""

    method: str
    route: str  # the path template, exactly as the app declares it
    expected: dict[str, int]
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    json: Any = None
    label: str = ""

    def url(self) -> str:
        return self.route.format(**self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.label}".strip()


# Electors who are nobody in the matrix: a ballot needs 5 (EVALUATION_BALLOT_MIN_ELECTORS).
PADDING = [str(uuid.uuid4()) for _ in range(5)]


def matrix(ids: Ids) -> list[Row]:
    item, unknown = {"proposal_id": ids.item}, {"proposal_id": ids.unknown_item}
    own, other = {"body_id": ids.body}, {"body_id": ids.other_body}
    session, no_session = {**own, "session_id": SESSION}, {**own, "session_id": "s-none"}
    rate = {"unit_id": ids.units["FGW"], **SATISFIED}
    vote_ballot, close_ballot = {"ballot_id": ids.ballots["vote"]}, {"ballot_id": ids.ballots["close"]}
    unknown_ballot = {"ballot_id": ids.unknown_ballot}
    open_again = {"body_id": ids.body, "session_id": SESSION, "proposal_id": ids.plenary["vote"], "title": "再测评",
                  "member_ids": [ids.members["lead"], *PADDING]}  # fmt: skip
    vote = {"option": "satisfied"}
    of_body = {"staff": 403, "leader": 403, "lead": 403, "cosigner": 403, "merged": 403, "other_member": 403}
    # who sees the item in this service: the body's staff and leaders, its replying units, its proposers
    sees_item = {"staff": 200, "leader": 200, "replying_unit": 200, "lead": 200, "cosigner": 200, "merged": 200}
    body_staff = expect(403, staff=200, leader=200, anonymous=401)
    body_staff_no_session = expect(403, staff=404, leader=404, anonymous=401)
    sets_own = expect(403, staff=200, anonymous=401)
    operators = expect(403, admin=200, anonymous=401)
    sets_other = expect(403, other_body_staff=200, anonymous=401)
    exporters = expect(403, staff=200, leader=200, admin=200, anonymous=401)  # ADR 23: administrators too
    return [
        # proposals
        Row("GET", "/proposals/{proposal_id}", operators, item, label="filed item"),
        # evaluations
        Row("POST", "/proposals/{proposal_id}/evaluations",
            expect(404, lead=200, cosigner=200, merged=200, staff=403, leader=403, replying_unit=403, anonymous=401),
            item, json=rate, label="rating again (each entitled member rated FGW before)"),
        Row("POST", "/proposals/{proposal_id}/evaluations", expect(404, anonymous=401), unknown, json=rate,
            label="unknown item"),
        Row("GET", "/proposals/{proposal_id}/evaluations", expect(404, **sees_item), item),
        Row("GET", "/proposals/{proposal_id}/evaluations", expect(404), unknown, label="unknown item"),
        Row("GET", "/proposals/{proposal_id}/rating-window",
            expect(404, lead=200, cosigner=200, merged=200, staff=403, leader=403, replying_unit=403, anonymous=401),
            item),
        Row("GET", "/proposals/{proposal_id}/rating-window", expect(404, anonymous=401), unknown, label="unknown item"),
        Row("GET", "/bodies/{body_id}/evaluation-rules", expect(200), own),
        Row("PUT", "/bodies/{body_id}/evaluation-rules", sets_own, own, json=RULES),
        Row("PUT", "/bodies/{body_id}/evaluation-rules", sets_other, other, json=RULES, label="another body's"),
        # statistics
        Row("GET", "/statistics/filing", operators),
        Row("GET", "/statistics", body_staff, query=session),
        Row("GET", "/statistics", body_staff_no_session, query=no_session, label="unknown session"),
        Row("GET", "/statistics/units", body_staff, query=session),
        Row("GET", "/statistics/units", body_staff_no_session, query=no_session, label="unknown session"),
        Row("GET", "/bodies/{body_id}/performance-weights", expect(200), own),
        Row("PUT", "/bodies/{body_id}/performance-weights", sets_own, own, json=WEIGHTS),
        Row("PUT", "/bodies/{body_id}/performance-weights", sets_other, other, json=WEIGHTS, label="another body's"),
        # assembly evaluations (民主测评)
        Row("POST", "/ballots", expect(403, staff=409, anonymous=401), json=open_again,
            label="the item's ballot is open"),
        Row("GET", "/ballots", expect(200, anonymous=401), query={"body_id": ids.body}),
        Row("GET", "/ballots/{ballot_id}", expect(404, staff=200, leader=200, lead=200, cosigner=200, anonymous=401),
            vote_ballot),
        Row("GET", "/ballots/{ballot_id}", expect(404, anonymous=401), unknown_ballot, label="unknown ballot"),
        Row("POST", "/ballots/{ballot_id}/votes", expect(404, **{**of_body, "lead": 409, "cosigner": 201},
                                                         anonymous=401),
            vote_ballot, json=vote, label="lead has voted, cosigner not yet"),
        Row("POST", "/ballots/{ballot_id}/votes", expect(404, anonymous=401), unknown_ballot, json=vote,
            label="unknown ballot"),
        Row("POST", "/ballots/{ballot_id}/close", expect(404, **{**of_body, "staff": 200}, anonymous=401),
            close_ballot),
        Row("POST", "/ballots/{ballot_id}/close", expect(404, anonymous=401), unknown_ballot, label="unknown ballot"),
        # the annual report
        Row("GET", "/reports/annual", body_staff, query=session),
        Row("GET", "/reports/annual", body_staff, query={**session, "format": "csv"}, label="csv"),
        Row("GET", "/reports/annual", body_staff_no_session, query=no_session, label="unknown session"),
        # the staff export of the body's items
        Row("GET", "/exports/items", exporters, query=session),
        Row("GET", "/exports/items", exporters, query={**own, "format": "xlsx"}, label="xlsx, all sessions"),
    ]  # fmt: skip


def test_every_route_has_a_row(tmp_path: Path) -> None:
    app = create_app(EvaluationSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"))
    covered = {(row.method, row.route) for row in matrix(Ids())}
    assert covered == app_routes(app), "every route of the service needs a row in the access matrix"


class Scene:
    def __init__(self, client: httpx.AsyncClient, app: FastAPI, keys: DevKeys, bootstrap: str, namespace: str) -> None:
        self.client, self.app, self.keys, self.bootstrap, self.namespace = client, app, keys, bootstrap, namespace
        self.ids = Ids()

    def headers(self, who: str) -> dict[str, str]:
        ids, k = self.ids, self.keys
        member = {"lead", "cosigner", "merged", "other_member"}
        if who in member:
            return k.headers("member", subject=f"m-{who}", body_id=ids.body, member_id=ids.members[who])
        callers: dict[str, Callable[[], dict[str, str]]] = {
            "staff": lambda: k.headers("staff", subject="staff-1", body_id=ids.body, name="提案委"),
            "leader": lambda: k.headers("leader", subject="leader-1", body_id=ids.body, name="李明"),
            "replying_unit": lambda: self.unit("FGW"),
            "other_unit": lambda: self.unit("SWJ"),
            "other_body_staff": lambda: k.headers("staff", subject="staff-2", body_id=ids.other_body),
            "admin": lambda: k.headers("admin", subject="admin"),
            "anonymous": lambda: {},
        }
        return callers[who]()

    def unit(self, code: str) -> dict[str, str]:
        return self.keys.headers("unit_staff", subject=f"unit-{code}", unit_id=self.ids.units[code], name=code)

    async def plant(self) -> None:
        """The item registered with a lead proposer and a cosigner, another item merged into it,
        FGW (lead) and CZJ (separate) replied and the handling complete; another body's item
        replied by SWJ. Waits until the service has consumed every event."""
        ids, now = self.ids, utcnow()
        proposal: list[EventEnvelope] = []
        assignment: list[EventEnvelope] = []

        def p(subject: str, event: ContractEvent) -> None:
            proposal.append(event.envelope(subject=subject))

        def a(subject: str, event: ContractEvent) -> None:
            assignment.append(event.envelope(subject=subject))

        def registered(
            body: str, pid: str, title: str, lead: str | None, cosigners: list[str], kind: str = "joint"
        ) -> None:
            ref = {"proposal_id": pid, "body_id": body, "session_id": SESSION, "kind": kind}
            p(pid, contract_event("proposal.submitted.v1", **ref, title=title, category="经济发展", lead_proposer="刘洋",
                                  submitted_at=now, lead_member_id=lead, cosigner_member_ids=cosigners))  # fmt: skip
            p(pid, contract_event(
                "proposal.registered.v1",
                **ref, number=1, number_label="联0001", title=title, content="内容", category_id=None,
                category="经济发展", lead_member_id=lead, lead_proposer="刘洋", cosigner_member_ids=cosigners,
                group_name=None, key=False, registered_at=now,
            ))  # fmt: skip

        def replied(body: str, pid: str, units: dict[str, str]) -> None:
            common = {"proposal_id": pid, "body_id": body, "round": 1}
            for code, role in units.items():
                unit = {"unit_id": ids.units[code], "unit_name": UNITS[code], "role": role}
                a(pid, contract_event("assignment.created.v1", **common, **unit, assignment_id=f"{pid}-{code}",
                                      due_date=date(2026, 9, 1), assigned_at=now))  # fmt: skip
                a(pid, contract_event(
                    "assignment.replied.v1",
                    **common, **unit, reply_id=str(uuid.uuid4()), assignment_id=f"{pid}-{code}", outcome="A",
                    publishable=True, on_time=True, contacted=True, replied_at=now,
                ))  # fmt: skip
            outcomes = {ids.units[code]: "A" for code in units}
            a(
                pid,
                contract_event(
                    "handling.completed.v1", **common, outcome="A", completed_at=now, outcomes=outcomes, on_time=True
                ),
            )

        registered(ids.body, ids.item, TITLE, ids.members["lead"], [ids.members["cosigner"]])
        for b, pid in ids.plenary.items():
            registered(ids.other_body if b == "other" else ids.body, pid, f"建议案{b}", None, [], kind="plenary")
        merged_ref = {"proposal_id": ids.merged_item, "body_id": ids.body, "session_id": SESSION, "kind": "individual"}
        p(ids.merged_item, contract_event("proposal.submitted.v1", **merged_ref, title="并入的提案", category="经济发展",
                                          lead_proposer="王芳", submitted_at=now))  # fmt: skip
        p(ids.merged_item, contract_event("proposal.merged.v1", **merged_ref, primary_id=ids.item,
                                          lead_member_id=ids.members["merged"], cosigner_member_ids=[], merged_at=now))  # fmt: skip
        replied(ids.body, ids.item, {"FGW": "lead", "CZJ": "separate"})
        registered(ids.other_body, ids.other_item, OTHER_TITLE, str(uuid.uuid4()), [])
        replied(ids.other_body, ids.other_item, {"SWJ": "lead"})

        await publish(self.bootstrap, f"{self.namespace}proposal.events", proposal)
        await publish(self.bootstrap, f"{self.namespace}assignment.events", assignment)
        event_ids = {e.id for e in [*proposal, *assignment]}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with service_runtime(self.app).database.session(read_only=True) as session:
                query = select(func.count()).select_from(InboxMessage).where(col(InboxMessage.event_id).in_(event_ids))
                if (await session.exec(query)).one() == len(event_ids):
                    break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the evaluation service never consumed the planted events")
        electorates = {"vote": ["lead", "cosigner"], "close": ["lead"], "other": []}
        for b, pid in ids.plenary.items():
            body, who = (ids.other_body, "other_body_staff") if b == "other" else (ids.body, "staff")
            # Padded to the 5 electors a secret ballot needs (EVALUATION_BALLOT_MIN_ELECTORS).
            members = [ids.members[m] for m in electorates[b]] + PADDING[: 5 - len(electorates[b])]
            data = {"body_id": body, "session_id": SESSION, "proposal_id": pid, "title": BALLOT_TITLES[b],
                    "member_ids": members}  # fmt: skip
            response = await self.client.post("/ballots", json=data, headers=self.headers(who))
            assert response.status_code == 201, response.text
            ids.ballots[b] = response.json()["id"]
        voted = await self.client.post(
            f"/ballots/{ids.ballots['vote']}/votes", json={"option": "satisfied"}, headers=self.headers("lead")
        )
        assert voted.status_code == 201, voted.text

    async def rate(self, who: str, code: str) -> None:
        response = await self.client.post(
            f"/proposals/{self.ids.item}/evaluations",
            json={"unit_id": self.ids.units[code], **SATISFIED},
            headers=self.headers(who),
        )
        assert response.status_code == 201, response.text

    async def ratings(self) -> list[tuple[str, str, str, str | None]]:
        async with service_runtime(self.app).database.session(read_only=True) as session:
            rows = (
                await session.exec(
                    select(Evaluation.member_id, Evaluation.unit_id, Evaluation.result, Evaluation.comment)
                )
            ).all()
        return sorted(tuple(r) for r in rows)  # type: ignore[misc]

    def secrets(self) -> list[str]:
        """What a refused caller must not learn: the titles and the proposers and electors."""
        ids = self.ids
        return [TITLE, OTHER_TITLE, *BALLOT_TITLES.values(), *(ids.members[w] for w in ("lead", "cosigner", "merged"))]


@pytest.fixture
async def scene(
    evaluation: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> AsyncIterator[Scene]:
    app, client = evaluation
    s = Scene(client, app, dev_keys, kafka.bootstrap, namespace)
    await s.plant()
    # Ratings before the matrix: every entitled member has rated FGW; lead and merged CZJ too.
    for who, code in (("lead", "FGW"), ("lead", "CZJ"), ("cosigner", "FGW"), ("merged", "FGW"), ("merged", "CZJ")):
        await s.rate(who, code)
    yield s


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def hidden(response: httpx.Response, ident: str) -> dict[str, Any]:
    """A problem answer with the request's own traces taken out, to compare two of them."""
    body: dict[str, Any] = response.json()
    body.pop("request_id", None)
    return {k: v.replace(ident, "<id>") if isinstance(v, str) else v for k, v in body.items()}


async def test_every_route_answers_each_caller_as_it_should(scene: Scene) -> None:
    s, c, ids = scene, scene.client, scene.ids
    rows = matrix(ids)
    assert {(row.method, row.route) for row in rows} == app_routes(s.app)
    before = await s.ratings()
    wrong: list[str] = []
    for row in rows:
        for who in CALLERS:
            response = await c.request(
                row.method, row.url(), params=row.query or None, json=row.json, headers=s.headers(who)
            )
            expected = row.expected[who]
            if response.status_code != expected:
                wrong.append(f"{row} as {who}: expected {expected}, got {response.status_code} {response.text[:200]}")
                continue
            if expected in (401, 403, 404):
                assert response.headers["content-type"] == "application/problem+json", (str(row), who)
                for secret in s.secrets():
                    assert secret not in response.text, (str(row), who, secret)
            if expected == 401:
                assert response.headers.get("www-authenticate", "").startswith("Bearer"), (str(row), who)
    assert not wrong, "\n".join(wrong)
    # Refused attempts changed no rating (the allowed ones re-rated with the same values).
    assert await s.ratings() == before


async def test_a_hidden_item_looks_like_an_unknown_one(scene: Scene) -> None:
    """Where the matrix says 404, the answer is the one for an id that does not exist."""
    s, c, ids = scene, scene.client, scene.ids
    rate, vote = {"unit_id": ids.units["FGW"], **SATISFIED}, {"option": "satisfied"}
    item, ballot = (ids.item, ids.unknown_item), (ids.ballots["vote"], ids.unknown_ballot)
    cases = [
        ("GET", "/proposals/{}/evaluations", None, item),
        ("POST", "/proposals/{}/evaluations", rate, item),
        ("GET", "/ballots/{}", None, ballot),
        ("POST", "/ballots/{}/votes", vote, ballot),
        ("POST", "/ballots/{}/close", None, (ids.ballots["close"], ids.unknown_ballot)),
    ]
    by_route = {(r.method, r.route.replace("{proposal_id}", "{}").replace("{ballot_id}", "{}")): r for r in matrix(ids)
                if r.label == "" or r.label.startswith(("rating again", "lead has voted"))}  # fmt: skip
    compared = 0
    for method, route, json, (hidden_id, unknown_id) in cases:
        expected = by_route[(method, route)].expected
        for who in (w for w in CALLERS if expected[w] == 404):
            seen = await c.request(method, route.format(hidden_id), json=json, headers=s.headers(who))
            unknown = await c.request(method, route.format(unknown_id), json=json, headers=s.headers(who))
            assert seen.status_code == unknown.status_code == 404, (who, method, route, seen.text)
            assert hidden(seen, hidden_id) == hidden(unknown, unknown_id), (who, method, route)
            compared += 1
    assert compared >= 20


async def test_lists_hold_only_what_the_caller_may_see(scene: Scene) -> None:
    s, c, ids = scene, scene.client, scene.ids
    fgw, czj = ids.units["FGW"], ids.units["CZJ"]
    m = ids.members
    url = f"/proposals/{ids.item}/evaluations"

    def pairs(page: dict[str, Any]) -> set[tuple[str, str]]:
        return {(r["member_id"], r["unit_id"]) for r in page["items"]}

    everything = {(m["lead"], fgw), (m["lead"], czj), (m["cosigner"], fgw), (m["merged"], fgw), (m["merged"], czj)}
    for who in ("staff", "leader"):
        assert pairs(ok(await c.get(url, headers=s.headers(who)))) == everything
    # A unit sees the ratings of its own replies, a proposer their own ratings.
    assert pairs(ok(await c.get(url, headers=s.unit("FGW")))) == {p for p in everything if p[1] == fgw}
    assert pairs(ok(await c.get(url, headers=s.unit("CZJ")))) == {p for p in everything if p[1] == czj}
    for who in ("lead", "cosigner", "merged"):
        assert pairs(ok(await c.get(url, headers=s.headers(who)))) == {p for p in everything if p[0] == m[who]}

    # A body's figures count its own items and units only.
    own = {"body_id": ids.body, "session_id": SESSION}
    counts = ok(await c.get("/statistics", params=own, headers=s.headers("staff")))["counts"]
    assert (counts["filed"], counts["registered"], counts["merged"]) == (4, 3, 1)  # item, merged, 2 plenary
    units = ok(await c.get("/statistics/units", params=own, headers=s.headers("leader")))["units"]
    assert {u["unit_id"] for u in units} == {fgw, czj}
    assert {u["unit_id"]: u["rated"] for u in units} == {fgw: 3, czj: 2}
    theirs = {"body_id": ids.other_body, "session_id": SESSION}
    counts = ok(await c.get("/statistics", params=theirs, headers=s.headers("other_body_staff")))["counts"]
    assert (counts["filed"], counts["registered"], counts["merged"]) == (2, 2, 0)
    units = ok(await c.get("/statistics/units", params=theirs, headers=s.headers("other_body_staff")))["units"]
    assert [u["unit_id"] for u in units] == [ids.units["SWJ"]]
    report = await c.get("/reports/annual", params=theirs, headers=s.headers("other_body_staff"))
    assert report.status_code == 200 and UNITS["SWJ"] in report.text
    assert UNITS["FGW"] not in report.text and UNITS["CZJ"] not in report.text

    # A body's ballots: all for its staff and leaders, a member's own ballots, none for the rest.
    mine, both = {ids.ballots["vote"]}, {ids.ballots["vote"], ids.ballots["close"]}
    listed = {"staff": both, "leader": both, "lead": both, "cosigner": mine}
    for who in CALLERS:
        if who == "anonymous":
            continue
        page = ok(await c.get("/ballots", params={"body_id": ids.body}, headers=s.headers(who)))
        assert {b["id"] for b in page["items"]} == listed.get(who, set()), who
    page = ok(await c.get("/ballots", params={"body_id": ids.other_body}, headers=s.headers("staff")))
    assert page["items"] == []
    page = ok(await c.get("/ballots", params={"body_id": ids.other_body}, headers=s.headers("other_body_staff")))
    assert [b["id"] for b in page["items"]] == [ids.ballots["other"]]
    # An elector is not told how anyone else voted while the ballot is open, nor ever the comments.
    ballot = ok(await c.get(f"/ballots/{ids.ballots['vote']}", headers=s.headers("cosigner")))
    assert ballot["voters"] is None and ballot["results"] is None and ballot["voted"] is False
