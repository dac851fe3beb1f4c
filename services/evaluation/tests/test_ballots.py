"""Assembly evaluations (民主测评) in-process, with real Kafka, on SQLite and PostgreSQL: staff
open a ballot for many members, each votes once and secretly, results and turnout are published
at the close; refused requests change nothing."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from contract_events import contract_event
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, func, select

from devstack.answers import problem
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish, read_topic
from evaluation_service.models import AssemblyBallot, BallotElector, BallotVote, StatItem
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.outbox import OutboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
BODY, OTHER_BODY, SESSION = "body-1", "body-2", "session-14-3"


class Scene:
    def __init__(self, client: httpx.AsyncClient, app: FastAPI, keys: DevKeys, bootstrap: str, namespace: str) -> None:
        self.client, self.app, self.keys, self.bootstrap, self.namespace = client, app, keys, bootstrap, namespace
        self.plenary, self.joint = str(uuid.uuid4()), str(uuid.uuid4())
        self.electors = [str(uuid.uuid4()) for _ in range(16)]
        self.stranger = str(uuid.uuid4())  # a member of the body, not on the roll

    def member(self, member_id: str, body_id: str = BODY) -> dict[str, str]:
        return self.keys.headers("member", subject=f"m-{member_id[:8]}", body_id=body_id, member_id=member_id)

    def elector(self, i: int) -> dict[str, str]:
        return self.member(self.electors[i])

    def staff(self, body_id: str = BODY) -> dict[str, str]:
        return self.keys.headers("staff", subject=f"staff-{body_id}", body_id=body_id)

    def leader(self) -> dict[str, str]:
        return self.keys.headers("leader", subject="leader", body_id=BODY)

    def unit(self) -> dict[str, str]:
        return self.keys.headers("unit_staff", subject="unit", unit_id="u-1")

    async def items_known(self) -> None:
        """The service learns the items from proposal.registered, as it would live."""
        envelopes = []
        for pid, kind in ((self.plenary, "plenary"), (self.joint, "joint")):
            event = contract_event(
                "proposal.registered.v1",
                proposal_id=pid, body_id=BODY, session_id="session-14-2", kind=kind, number=1, number_label="建0001",
                title="关于加快建设国家中心城市的建议案", content="c", category_id=None, category=None,
                lead_member_id=None, lead_proposer=None, cosigner_member_ids=[], group_name="政协常委会", key=False,
                registered_at=utcnow(),
            )  # fmt: skip
            envelopes.append(event.envelope(subject=pid))
        await publish(self.bootstrap, f"{self.namespace}proposal.events", envelopes)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with service_runtime(self.app).database.session(read_only=True) as session:
                known = (
                    await session.exec(
                        select(func.count())
                        .select_from(StatItem)
                        .where(col(StatItem.proposal_id).in_([self.plenary, self.joint]))
                    )
                ).one()
            if known == 2:
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the evaluation service never learned of the items")

    def ballot(self, **changes: Any) -> dict[str, Any]:
        return {
            "body_id": BODY,
            "session_id": SESSION,
            "proposal_id": self.plenary,
            "title": "关于《加快建设国家中心城市的建议案》办理情况的民主测评",
            "member_ids": self.electors,
            **changes,
        }

    async def snapshot(self) -> tuple[Any, ...]:
        async with service_runtime(self.app).database.session(read_only=True) as session:
            ballots = (await session.exec(select(AssemblyBallot.id, AssemblyBallot.status))).all()
            votes = (await session.exec(select(BallotVote.option, BallotVote.comment))).all()
            voted = (await session.exec(select(BallotElector.member_id).where(col(BallotElector.voted)))).all()
            events = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
        return tuple(sorted(ballots)), tuple(sorted(votes, key=str)), tuple(sorted(voted)), events


@pytest.fixture
async def scene(
    evaluation: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> AsyncIterator[Scene]:
    app, client = evaluation
    scene = Scene(client, app, dev_keys, kafka.bootstrap, namespace)
    await scene.items_known()
    yield scene


def fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


async def test_staff_open_members_vote_once_and_the_close_publishes_the_results(
    scene: Scene, kafka: KafkaBroker, namespace: str
) -> None:
    s, c = scene, scene.client
    before = await s.snapshot()
    # Only the body's committee staff open a ballot.
    for who in (s.elector(0), s.leader(), s.unit(), s.staff(OTHER_BODY)):
        problem(await c.post("/ballots", json=s.ballot(), headers=who), 403, "forbidden")
    problem(await c.post("/ballots", json=s.ballot()), 401, "unauthorized")
    # Bad input: the field is named, nothing is written.
    unknown = await c.post("/ballots", json=s.ballot(proposal_id=str(uuid.uuid4())), headers=s.staff())
    assert fields(problem(unknown, 422, "unknown_item")) == ["proposal_id"]
    joint = await c.post("/ballots", json=s.ballot(proposal_id=s.joint), headers=s.staff())
    assert fields(problem(joint, 422, "not_plenary")) == ["proposal_id"]
    bad_option = await c.post("/ballots", json=s.ballot(options=["satisfied", "great"]), headers=s.staff())
    assert fields(problem(bad_option, 422, "validation_failed")) == ["options.1"]
    twice = await c.post("/ballots", json=s.ballot(options=["satisfied", "satisfied"]), headers=s.staff())
    assert fields(problem(twice, 422, "validation_failed")) == ["options"]
    nobody = await c.post("/ballots", json=s.ballot(member_ids=[]), headers=s.staff())
    assert fields(problem(nobody, 422, "validation_failed")) == ["member_ids"]
    # A secret ballot needs 5 electors by default (a duplicate id counts once): with fewer, the
    # results would tell who voted what.
    few = [*s.electors[:4], s.electors[0]]
    small = await c.post("/ballots", json=s.ballot(member_ids=few), headers=s.staff())
    assert fields(problem(small, 422, "too_few_electors")) == ["member_ids"]
    past = (utcnow() - timedelta(hours=1)).isoformat()
    assert fields(
        problem(await c.post("/ballots", json=s.ballot(closes_at=past), headers=s.staff()), 422, "invalid_period")
    ) == ["closes_at"]
    assert await s.snapshot() == before

    # 16 electors (a duplicate id counts once), the default options.
    opened = await c.post("/ballots", json=s.ballot(member_ids=[*s.electors, s.electors[0]]), headers=s.staff())
    assert opened.status_code == 201, opened.text
    ballot = opened.json()
    bid = ballot["id"]
    assert opened.headers["location"] == f"/ballots/{bid}"
    assert ballot["status"] == "open" and ballot["eligible"] == 16 and ballot["voters"] == 0
    assert ballot["options"] == ["satisfied", "basically_satisfied", "unsatisfied"] and ballot["results"] is None
    assert ballot["min_votes"] == 5 and ballot["results_withheld"] is False
    problem(await c.post("/ballots", json=s.ballot(), headers=s.staff()), 409, "ballot_exists")

    # Who sees it: staff and leaders, the electors; nobody else.
    seen = (await c.get(f"/ballots/{bid}", headers=s.elector(0))).json()
    assert seen["voted"] is False and seen["voters"] is None and seen["turnout"] is None and seen["results"] is None
    assert (await c.get(f"/ballots/{bid}", headers=s.leader())).json()["voters"] == 0
    for who in (s.member(s.stranger), s.member(s.stranger, OTHER_BODY), s.unit(), s.staff(OTHER_BODY)):
        problem(await c.get(f"/ballots/{bid}", headers=who), 404, "not_found")
    listed = {"body_id": BODY, "session_id": SESSION}
    assert [b["id"] for b in (await c.get("/ballots", params=listed, headers=s.staff())).json()["items"]] == [bid]
    assert [b["id"] for b in (await c.get("/ballots", params=listed, headers=s.elector(3))).json()["items"]] == [bid]
    assert (await c.get("/ballots", params=listed, headers=s.member(s.stranger))).json()["items"] == []
    assert (await c.get("/ballots", params={**listed, "status": "closed"}, headers=s.staff())).json()["items"] == []

    # 13 of the 16 vote: 9 satisfied, 3 basically satisfied, 1 unsatisfied.
    choices = ["satisfied"] * 9 + ["basically_satisfied"] * 3 + ["unsatisfied"]
    for i, option in enumerate(choices):
        vote = {"option": option, "comment": f"意见{i:02d}"} if i < 2 else {"option": option}
        cast = await c.post(f"/ballots/{bid}/votes", json=vote, headers=s.elector(i))
        assert cast.status_code == 201, cast.text
        assert cast.json()["voted"] is True and cast.json()["results"] is None

    before = await s.snapshot()
    again = await c.post(f"/ballots/{bid}/votes", json={"option": "unsatisfied"}, headers=s.elector(0))
    problem(again, 409, "already_voted")
    problem(
        await c.post(f"/ballots/{bid}/votes", json={"option": "satisfied"}, headers=s.member(s.stranger)),
        403,
        "forbidden",
    )
    problem(await c.post(f"/ballots/{bid}/votes", json={"option": "satisfied"}, headers=s.staff()), 403, "forbidden")
    outsider = s.member(s.stranger, OTHER_BODY)
    problem(await c.post(f"/ballots/{bid}/votes", json={"option": "satisfied"}, headers=outsider), 404, "not_found")
    bad = await c.post(f"/ballots/{bid}/votes", json={"option": "great"}, headers=s.elector(13))
    assert fields(problem(bad, 422, "validation_failed")) == ["option"]
    extra = await c.post(f"/ballots/{bid}/votes", json={"option": "satisfied", "member_id": "x"}, headers=s.elector(13))
    problem(extra, 422, "validation_failed")
    problem(await c.post(f"/ballots/{bid}/close", headers=s.elector(13)), 403, "forbidden")
    problem(await c.post(f"/ballots/{bid}/close", headers=s.leader()), 403, "forbidden")
    problem(await c.post(f"/ballots/{bid}/close", headers=s.staff(OTHER_BODY)), 404, "not_found")
    assert await s.snapshot() == before

    # While open: the staff see the turnout (half up: 13/16 = 81.25% → 81.3%), nobody the results.
    staff_view = (await c.get(f"/ballots/{bid}", headers=s.staff())).json()
    assert staff_view["voters"] == 13 and staff_view["turnout"]["percent"] == "81.3%"
    assert staff_view["results"] is None and "意见" not in json.dumps(staff_view, ensure_ascii=False)
    for who in (s.staff(), s.leader()):
        listed_view = (await c.get("/ballots", params=listed, headers=who)).json()["items"][0]
        assert listed_view["results"] is None and listed_view["voters"] == 13
    member_view = (await c.get(f"/ballots/{bid}", headers=s.elector(0))).json()
    assert member_view["voted"] is True and member_view["turnout"] is None and member_view["results"] is None

    closed = await c.post(f"/ballots/{bid}/close", headers=s.staff())
    assert closed.status_code == 200, closed.text
    results = closed.json()["results"]
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert {o: (v["count"], v["percent_text"]) for o, v in results["counts"].items()} == {
        "satisfied": (9, "69.2%"),
        "basically_satisfied": (3, "23.1%"),
        "unsatisfied": (1, "7.7%"),
    }
    assert list(results["counts"]) == ["satisfied", "basically_satisfied", "unsatisfied"]
    assert results["satisfaction_rate"]["percent"] == "92.3%"
    assert results["comments"] == ["意见00", "意见01"]
    # After the close every elector sees the results and turnout, never who voted what.
    member_view = (await c.get(f"/ballots/{bid}", headers=s.elector(15))).json()
    assert member_view["voted"] is False and member_view["turnout"]["percent"] == "81.3%"
    assert member_view["results"]["counts"] == results["counts"] and member_view["results"]["comments"] is None
    assert s.electors[0] not in closed.text and s.electors[0] not in str(member_view)
    problem(await c.get(f"/ballots/{bid}", headers=s.member(s.stranger)), 404, "not_found")

    before = await s.snapshot()
    late = await c.post(f"/ballots/{bid}/votes", json={"option": "satisfied"}, headers=s.elector(15))
    problem(late, 409, "ballot_closed")
    problem(await c.post(f"/ballots/{bid}/close", headers=s.staff()), 409, "already_closed")
    assert await s.snapshot() == before
    assert (await c.get("/ballots", params={**listed, "status": "closed"}, headers=s.staff())).json()["items"]

    records = await read_topic(kafka.bootstrap, f"{namespace}evaluation.events", expect=2)
    envelopes = [EventEnvelope.from_bytes(r.value or b"") for r in records]
    assert [e.type for e in envelopes] == ["assembly_evaluation.opened", "assembly_evaluation.closed"]
    assert envelopes[0].data["eligible"] == 16 and envelopes[0].subject == s.plenary
    data = envelopes[1].data
    assert data["ballot_id"] == bid and data["proposal_id"] == s.plenary and data["session_id"] == SESSION
    assert (data["eligible"], data["voters"], data["turnout_percent"]) == (16, 13, "81.3%")
    assert data["counts"] == {"satisfied": 9, "basically_satisfied": 3, "unsatisfied": 1}
    assert data["percents"] == {"satisfied": "69.2%", "basically_satisfied": "23.1%", "unsatisfied": "7.7%"}
    assert data["satisfaction_percent"] == "92.3%"
    assert not any(m in str(data) for m in s.electors)


async def test_concurrent_votes_count_once_per_member(scene: Scene) -> None:
    s, c = scene, scene.client
    opened = await c.post("/ballots", json=s.ballot(options=["satisfied", "unsatisfied"]), headers=s.staff())
    assert opened.status_code == 201, opened.text
    bid = opened.json()["id"]
    url = f"/ballots/{bid}/votes"
    # The same member twice at once: one vote, one 409.
    double = await asyncio.gather(
        c.post(url, json={"option": "satisfied"}, headers=s.elector(0)),
        c.post(url, json={"option": "unsatisfied"}, headers=s.elector(0)),
    )
    assert sorted(r.status_code for r in double) == [201, 409], [r.text for r in double]
    problem(next(r for r in double if r.status_code == 409), 409, "already_voted")
    # Many members at once: every vote counts.
    many = await asyncio.gather(
        *(c.post(url, json={"option": "satisfied"}, headers=s.elector(i)) for i in range(1, 11))
    )
    assert [r.status_code for r in many] == [201] * 10, [r.text for r in many if r.status_code != 201]
    # An option the ballot does not offer.
    narrow = await c.post(url, json={"option": "basically_satisfied"}, headers=s.elector(11))
    assert fields(problem(narrow, 422, "unknown_option")) == ["option"]
    async with service_runtime(s.app).database.session(read_only=True) as session:
        papers = (await session.exec(select(func.count()).select_from(BallotVote))).one()
        voted = (
            await session.exec(select(func.count()).select_from(BallotElector).where(col(BallotElector.voted)))
        ).one()
    assert (papers, voted) == (11, 11)
    assert (await c.get(f"/ballots/{bid}", headers=s.staff())).json()["voters"] == 11


async def test_a_ballot_past_its_closing_time_refuses_votes_and_reads_closed(
    scene: Scene, kafka: KafkaBroker, namespace: str
) -> None:
    s, c = scene, scene.client
    later = (utcnow() + timedelta(days=1)).isoformat()
    scheduled = await c.post("/ballots", json=s.ballot(opens_at=later), headers=s.staff())
    assert scheduled.status_code == 201 and scheduled.json()["status"] == "scheduled", scheduled.text
    bid = scheduled.json()["id"]
    problem(
        await c.post(f"/ballots/{bid}/votes", json={"option": "satisfied"}, headers=s.elector(0)),
        409,
        "ballot_not_open",
    )
    # Voting opened an hour ago and runs for the day.
    async with service_runtime(s.app).database.session() as session:
        await session.exec(
            update(AssemblyBallot)
            .where(col(AssemblyBallot.id) == bid)
            .values(opens_at=utcnow() - timedelta(hours=1), closes_at=utcnow() + timedelta(hours=8))
        )
        await session.commit()
    assert (
        await c.post(f"/ballots/{bid}/votes", json={"option": "satisfied"}, headers=s.elector(0))
    ).status_code == 201
    assert (await c.get("/ballots", params={"body_id": BODY, "status": "open"}, headers=s.elector(0))).json()["items"]
    # The closing time passes: no more votes, the results read as final.
    async with service_runtime(s.app).database.session() as session:
        await session.exec(
            update(AssemblyBallot)
            .where(col(AssemblyBallot.id) == bid)
            .values(closes_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()
    problem(
        await c.post(f"/ballots/{bid}/votes", json={"option": "satisfied"}, headers=s.elector(1)), 409, "ballot_closed"
    )
    view = (await c.get(f"/ballots/{bid}", headers=s.elector(1))).json()
    # One vote is fewer than the 5 the results need: they stay secret, the turnout is shown.
    assert view["status"] == "closed" and view["results"] is None and view["results_withheld"] is True
    assert view["turnout"]["percent"] == "6.3%"  # 1/16 = 6.25%, half up
    assert (await c.get("/ballots", params={"body_id": BODY, "status": "open"}, headers=s.staff())).json()[
        "items"
    ] == []
    # A new ballot of the item may be opened now; the explicit close still announces the results.
    assert (await c.post(f"/ballots/{bid}/close", headers=s.staff())).status_code == 200
    records = await read_topic(kafka.bootstrap, f"{namespace}evaluation.events", expect=2)
    closed = EventEnvelope.from_bytes(records[-1].value or b"")
    assert closed.type == "assembly_evaluation.closed" and closed.data["voters"] == 1
    assert closed.data["results_withheld"] is True and closed.data["counts"] == {} and closed.data["percents"] == {}
    assert closed.data["satisfaction_percent"] is None
    assert (await c.post("/ballots", json=s.ballot(), headers=s.staff())).status_code == 201


async def test_closing_after_few_votes_withholds_the_results_and_the_comments(
    scene: Scene, kafka: KafkaBroker, namespace: str
) -> None:
    """Staff cannot learn a voter's choice or comment by closing early: below the minimum of
    votes (5 by default) the close publishes the turnout only, to staff as to members."""
    s, c = scene, scene.client
    opened = await c.post("/ballots", json=s.ballot(member_ids=s.electors[:5]), headers=s.staff())
    assert opened.status_code == 201, opened.text
    bid = opened.json()["id"]
    cast = await c.post(
        f"/ballots/{bid}/votes", json={"option": "unsatisfied", "comment": "秘密意见"}, headers=s.elector(0)
    )
    assert cast.status_code == 201 and cast.json()["results"] is None, cast.text
    # While open: the turnout for staff, no count, no comment for anyone.
    for who in (s.staff(), s.leader(), s.elector(0)):
        view = await c.get(f"/ballots/{bid}", headers=who)
        assert view.json()["results"] is None and "秘密意见" not in view.text
    assert (await c.get(f"/ballots/{bid}", headers=s.staff())).json()["voters"] == 1

    closed = await c.post(f"/ballots/{bid}/close", headers=s.staff())
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["results_withheld"] is True
    assert closed.json()["results"] is None and closed.json()["voters"] == 1
    for who in (s.staff(), s.leader(), s.elector(0), s.elector(4)):
        view = await c.get(f"/ballots/{bid}", headers=who)
        assert view.json()["results_withheld"] is True and view.json()["results"] is None
        assert "秘密意见" not in view.text
        listed = await c.get("/ballots", params={"body_id": BODY, "proposal_id": s.plenary}, headers=who)
        assert "秘密意见" not in listed.text and listed.json()["items"][0]["results"] is None
    records = await read_topic(kafka.bootstrap, f"{namespace}evaluation.events", expect=2)
    data = EventEnvelope.from_bytes(records[-1].value or b"").data
    assert (data["voters"], data["results_withheld"], data["counts"], data["satisfaction_percent"]) == (
        1,
        True,
        {},
        None,
    )
    assert "秘密意见" not in json.dumps(data, ensure_ascii=False)


async def test_comments_are_published_at_the_close_sorted_not_in_the_order_cast(scene: Scene) -> None:
    s, c = scene, scene.client
    opened = await c.post("/ballots", json=s.ballot(member_ids=s.electors[:6]), headers=s.staff())
    bid = opened.json()["id"]
    comments = ["戊：加强督办", "甲：进度偏慢", "丁：", "乙：满意", "丙：建议公开"]
    for i, comment in enumerate(comments):
        vote = {"option": "satisfied" if i % 2 else "basically_satisfied", "comment": comment}
        assert (await c.post(f"/ballots/{bid}/votes", json=vote, headers=s.elector(i))).status_code == 201
    results = (await c.post(f"/ballots/{bid}/close", headers=s.staff())).json()["results"]
    assert results["comments"] == sorted(comments) != comments
    assert results["counts"]["satisfied"]["count"] == 2 and results["counts"]["basically_satisfied"]["count"] == 3
    assert not any(m in str(results) for m in s.electors)
