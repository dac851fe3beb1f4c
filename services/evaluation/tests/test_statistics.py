"""Statistics projected from events, in-process with real Kafka, on SQLite and PostgreSQL.

A small known session is planted as proposal and assignment events (and ratings in the
Evaluation table, which this service owns) and every figure is checked; the same session
planted again for a second body, with every event twice and each topic's events in reverse
order, assignment events first, gives the same figures."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from contract_events import ContractEvent, contract_event
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, func, select

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish
from evaluation_service.domain.statistics import percent_text
from evaluation_service.models import Evaluation, RatedItem, ReplyRecord
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.inbox import InboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
SESSION, OTHER_SESSION = "s-14-3", "s-14-4"
UNIT_NAMES = {"u1": "市发改委", "u2": "市住建局", "u3": "市教育局"}


def test_percentages_round_half_up_to_one_decimal() -> None:
    # Seed 001: 105, 8 and 3 of 116 items.
    assert [percent_text(n, 116)[1] for n in (105, 8, 3)] == ["90.5%", "6.9%", "2.6%"]
    assert percent_text(1, 8) == (12.5, "12.5%") and percent_text(1, 16)[1] == "6.3%"


@dataclass
class Year:
    """One body's planted session: the events of both topics and the ratings."""

    body: str
    ids: dict[str, str] = field(default_factory=lambda: {f"i{n}": str(uuid.uuid4()) for n in range(1, 12)})
    proposal: list[EventEnvelope] = field(default_factory=list)
    assignment: list[EventEnvelope] = field(default_factory=list)
    ratings: list[Evaluation] = field(default_factory=list)

    def ref(self, name: str, kind: str, session_id: str = SESSION) -> dict[str, str]:
        return {"proposal_id": self.ids[name], "body_id": self.body, "session_id": session_id, "kind": kind}

    def p(self, name: str, event: ContractEvent) -> None:
        self.proposal.append(event.envelope(subject=self.ids[name]))

    def a(self, name: str, event: ContractEvent) -> None:
        self.assignment.append(event.envelope(subject=self.ids[name]))

    def submitted(self, name: str, kind: str, category: str, session_id: str = SESSION) -> dict[str, str]:
        ref = self.ref(name, kind, session_id)
        self.p(
            name,
            contract_event(
                "proposal.submitted.v1", **ref, title="t", category=category, lead_proposer="x", submitted_at=utcnow()
            ),
        )
        return ref

    def registered(self, name: str, kind: str, category: str, *, key: bool = False, session_id: str = SESSION) -> None:
        ref = self.submitted(name, kind, category, session_id)
        self.p(
            name,
            contract_event(
                "proposal.registered.v1",
                **ref, number=1, number_label="1", title="t", content="c", category_id=None, category=category,
                lead_member_id=f"m-{name}", lead_proposer="x", cosigner_member_ids=[], group_name=None, key=key,
                registered_at=utcnow(),
            ),
        )  # fmt: skip

    def created(self, name: str, unit: str, role: str) -> None:
        self.a(
            name,
            contract_event(
                "assignment.created.v1",
                assignment_id=f"{name}-{unit}", proposal_id=self.ids[name], body_id=self.body, unit_id=unit,
                unit_name=UNIT_NAMES[unit], role=role, round=1, due_date=date(2026, 6, 1), assigned_at=utcnow(),
            ),
        )  # fmt: skip

    def replied(self, name: str, unit: str, outcome: str, *, on_time: bool, contacted: bool, round_: int = 1) -> None:
        self.a(
            name,
            contract_event(
                "assignment.replied.v1",
                reply_id=str(uuid.uuid4()), assignment_id=f"{name}-{unit}", proposal_id=self.ids[name],
                body_id=self.body, unit_id=unit, unit_name=UNIT_NAMES[unit], role="lead", round=round_,
                outcome=outcome, publishable=True, on_time=on_time, contacted=contacted, replied_at=utcnow(),
            ),
        )  # fmt: skip
        self.a(
            name,
            contract_event(
                "handling.completed.v1",
                proposal_id=self.ids[name], body_id=self.body, round=round_, outcome=outcome, on_time=on_time,
                completed_at=utcnow(), outcomes={unit: outcome},
            ),
        )  # fmt: skip

    def overdue(self, name: str, unit: str) -> None:
        self.a(
            name,
            contract_event(
                "assignment.overdue.v1",
                assignment_id=f"{name}-{unit}", proposal_id=self.ids[name], body_id=self.body, unit_id=unit,
                due_date=date(2026, 6, 1), working_days_left=-1, day=date(2026, 6, 2),
            ),
        )  # fmt: skip

    def rated(self, name: str, unit: str, result: str, round_: int = 1) -> None:
        self.ratings.append(
            Evaluation(
                proposal_id=self.ids[name], body_id=self.body, round=round_, unit_id=unit, member_id=f"m-{name}",
                contact="satisfied", attitude="satisfied", result=result,
            )
        )  # fmt: skip


def plant(body: str) -> Year:
    """Ten items of one session (and one of the next):

    i1 individual 经济发展, key (marked after registration): u1 lead, A on time, contacted; satisfied
    i2 joint 城市建设: u2 lead, A on time, contacted; basically satisfied
    i3 group 科教文卫: u1 lead + u3 co; B late, not contacted, overdue; unsatisfied; rehandled:
       A, satisfied
    i4 plenary 城市建设, key at registration: u3 lead, C on time, contacted; unsatisfied
    i5 individual 经济发展: u2 lead, overdue, no reply yet
    i6 individual 社会法制 → 经济发展 (category changed): u1 lead, reassigned to u3; no reply yet
    i7 individual 经济发展 declined; i8 individual 城市建设 merged into i2; i9 joint 科教文卫
    withdrawn; i10 individual 科教文卫 submitted only; i11 in the next session.
    """
    y = Year(body)
    y.registered("i1", "individual", "经济发展")
    y.p(
        "i1",
        contract_event("proposal.key_marked.v1", **y.ref("i1", "individual"), key=True, supervising_leader="副市长"),
    )
    y.registered("i2", "joint", "城市建设")
    y.registered("i3", "group", "科教文卫")
    y.registered("i4", "plenary", "城市建设", key=True)
    y.registered("i5", "individual", "经济发展")
    y.registered("i6", "individual", "社会法制")
    y.p(
        "i6",
        contract_event(
            "proposal.category_changed.v1", **y.ref("i6", "individual"), category_id="c-1", category="经济发展"
        ),
    )
    ref = y.submitted("i7", "individual", "经济发展")
    y.p("i7", contract_event("proposal.declined.v1", **ref, reason="r", note="n", referral="", declined_at=utcnow()))
    ref = y.submitted("i8", "individual", "城市建设")
    y.p("i8", contract_event("proposal.merged.v1", **ref, primary_id=y.ids["i2"], lead_member_id="m-i8",
                             cosigner_member_ids=[], merged_at=utcnow()))  # fmt: skip
    ref = y.submitted("i9", "joint", "科教文卫")
    y.p("i9", contract_event("proposal.withdrawn.v1", **ref, withdrawn_at=utcnow(), note=None))
    y.submitted("i10", "individual", "科教文卫")
    y.registered("i11", "individual", "经济发展", session_id=OTHER_SESSION)

    y.created("i1", "u1", "lead")
    y.replied("i1", "u1", "A", on_time=True, contacted=True)
    y.created("i2", "u2", "lead")
    y.replied("i2", "u2", "A", on_time=True, contacted=True)
    y.created("i3", "u1", "lead")
    y.created("i3", "u3", "co")
    y.overdue("i3", "u1")
    y.replied("i3", "u1", "B", on_time=False, contacted=False)
    y.replied("i3", "u1", "A", on_time=True, contacted=True, round_=2)
    y.created("i4", "u3", "lead")
    y.replied("i4", "u3", "C", on_time=True, contacted=True)
    y.created("i5", "u2", "lead")
    y.overdue("i5", "u2")
    y.created("i6", "u1", "lead")
    y.a(
        "i6",
        contract_event(
            "assignment.reassigned.v1",
            assignment_id="i6-u1", proposal_id=y.ids["i6"], body_id=body, previous_unit_id="u1", unit_id="u3",
            unit_name=UNIT_NAMES["u3"], role="lead", round=1, due_date=date(2026, 6, 1), reassigned_at=utcnow(),
        ),
    )  # fmt: skip
    y.created("i11", "u1", "lead")
    y.replied("i11", "u1", "D", on_time=False, contacted=False)

    y.rated("i1", "u1", "satisfied")
    y.rated("i2", "u2", "basically_satisfied")
    y.rated("i3", "u1", "unsatisfied")
    y.rated("i3", "u1", "satisfied", round_=2)
    y.rated("i4", "u3", "unsatisfied")
    y.rated("i11", "u1", "unsatisfied")
    return y


class Scene:
    def __init__(self, client: httpx.AsyncClient, app: FastAPI, keys: DevKeys, bootstrap: str, namespace: str) -> None:
        self.client, self.app, self.keys, self.bootstrap, self.namespace = client, app, keys, bootstrap, namespace

    def staff(self, body: str, role: str = "staff") -> dict[str, str]:
        return self.keys.headers(role, subject=role, body_id=body)

    async def plant(self, year: Year, *, shuffled: bool = False) -> None:
        proposal, assignment = year.proposal, year.assignment
        if shuffled:  # each topic reversed and twice over, the assignment topic first
            proposal, assignment = proposal[::-1] * 2, assignment[::-1] * 2
            await publish(self.bootstrap, f"{self.namespace}assignment.events", assignment)
            await publish(self.bootstrap, f"{self.namespace}proposal.events", proposal)
        else:
            await publish(self.bootstrap, f"{self.namespace}proposal.events", proposal)
            await publish(self.bootstrap, f"{self.namespace}assignment.events", assignment)
        ids = {e.id for e in [*proposal, *assignment]}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with service_runtime(self.app).database.session(read_only=True) as session:
                seen = (
                    await session.exec(
                        select(func.count()).select_from(InboxMessage).where(col(InboxMessage.event_id).in_(ids))
                    )
                ).one()
            if seen == len(ids):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the evaluation service never consumed the planted events")
        async with service_runtime(self.app).database.session() as session:
            session.add_all(year.ratings)
            await session.commit()

    async def stats(self, body: str, **params: str) -> dict[str, Any]:
        response = await self.client.get(
            "/statistics", params={"body_id": body, "session_id": SESSION, **params}, headers=self.staff(body)
        )
        assert response.status_code == 200, response.text
        body_: dict[str, Any] = response.json()
        return body_

    async def units(self, body: str) -> dict[str, Any]:
        response = await self.client.get(
            "/statistics/units", params={"body_id": body, "session_id": SESSION}, headers=self.staff(body, "leader")
        )
        assert response.status_code == 200, response.text
        body_: dict[str, Any] = response.json()
        return body_


@pytest.fixture
async def scene(
    evaluation: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> AsyncIterator[Scene]:
    app, client = evaluation
    yield Scene(client, app, dev_keys, kafka.bootstrap, namespace)


def rate(numerator: int, denominator: int, percent: str) -> dict[str, Any]:
    return {"numerator": numerator, "denominator": denominator, "rate": numerator / denominator, "percent": percent}


def share(count: int, percent: float) -> dict[str, Any]:
    return {"count": count, "percent": percent, "percent_text": f"{percent}%"}


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


EXPECTED = {
    "session_id": SESSION,
    "kind": None,
    "kinds": None,
    "category": None,
    "key": None,
    "collective": None,
    "counts": {
        "filed": 10, "registered": 6, "declined": 1, "merged": 1, "withdrawn": 1, "key": 2, "collective": 1,
    },
    "by_kind": {
        "group": {"filed": 1, "registered": 1},
        "individual": {"filed": 6, "registered": 3},
        "joint": {"filed": 2, "registered": 1},
        "plenary": {"filed": 1, "registered": 1},
    },
    "by_category": {
        "城市建设": {"filed": 3, "registered": 2},
        "科教文卫": {"filed": 3, "registered": 1},
        "经济发展": {"filed": 4, "registered": 3},
    },
    "registration_rate": rate(6, 9, "66.7%"),
    "reply_rate": rate(4, 6, "66.7%"),
    "on_time_reply_rate": rate(3, 6, "50.0%"),
    "satisfaction_rate": rate(3, 4, "75.0%"),
    "first_satisfaction_rate": rate(2, 4, "50.0%"),
    "outcomes": {"A": share(3, 75.0), "B": share(0, 0.0), "C": share(1, 25.0), "D": share(0, 0.0)},
    "first_outcomes": {"A": share(2, 50.0), "B": share(1, 25.0), "C": share(1, 25.0), "D": share(0, 0.0)},
    "overdue": 2,
    "unrated_policy": "left_unrated",
    "counted_satisfied": 0,
    "outcome_labels": {
        "A": "已解决或基本解决", "B": "正在解决或列入计划解决", "C": "因条件限制暂时不能解决", "D": "留作参考",
    },
}  # fmt: skip


def expected_units(weights: dict[str, float], scores: dict[str, float]) -> list[dict[str, Any]]:
    def unit(uid: str, **figures: Any) -> dict[str, Any]:
        return {"unit_id": uid, "unit_name": UNIT_NAMES[uid], **figures, "score": scores[uid], "weights": weights}

    return sorted(
        [
            unit(
                "u1", assigned=2, to_reply=2, replied=2, on_time=1, contacted_before_reply=1, overdue=1, rated=2,
                satisfied=2, on_time_rate=rate(1, 2, "50.0%"), contact_rate=rate(1, 2, "50.0%"),
                satisfaction_rate=rate(2, 2, "100.0%"), outcomes={"A": 2, "B": 0, "C": 0, "D": 0}, outcome_score=1.0,
            ),
            unit(
                "u2", assigned=2, to_reply=2, replied=1, on_time=1, contacted_before_reply=1, overdue=1, rated=1,
                satisfied=1, on_time_rate=rate(1, 2, "50.0%"), contact_rate=rate(1, 1, "100.0%"),
                satisfaction_rate=rate(1, 1, "100.0%"), outcomes={"A": 1, "B": 0, "C": 0, "D": 0}, outcome_score=1.0,
            ),
            # co-handler of i3 (no reply expected), lead of i4 and, by reassignment, of i6
            unit(
                "u3", assigned=3, to_reply=2, replied=1, on_time=1, contacted_before_reply=1, overdue=0, rated=1,
                satisfied=0, on_time_rate=rate(1, 2, "50.0%"), contact_rate=rate(1, 1, "100.0%"),
                satisfaction_rate=rate(0, 1, "0.0%"), outcomes={"A": 0, "B": 0, "C": 1, "D": 0}, outcome_score=0.5,
            ),
        ],
        key=lambda u: (-u["score"], u["unit_name"]),  # ties by name, as the service orders them
    )  # fmt: skip


async def test_statistics_of_a_planted_session(scene: Scene) -> None:
    s, c = scene, scene.client
    year = plant("body-1")
    await s.plant(year)

    assert await s.stats("body-1") == {"body_id": "body-1", **EXPECTED}
    # Filters: kind and category.
    individual = await s.stats("body-1", kind="individual")
    assert individual["counts"] == {
        "filed": 6, "registered": 3, "declined": 1, "merged": 1, "withdrawn": 0, "key": 1, "collective": 0,
    }  # fmt: skip
    assert individual["reply_rate"] == rate(1, 3, "33.3%")
    assert individual["outcomes"]["A"] == share(1, 100.0)
    urban = await s.stats("body-1", category="城市建设")
    assert urban["counts"] == {
        "filed": 3, "registered": 2, "declined": 0, "merged": 1, "withdrawn": 0, "key": 1, "collective": 0,
    }  # fmt: skip
    assert urban["outcomes"]["A"] == share(1, 50.0) and urban["outcomes"]["C"] == share(1, 50.0)
    assert urban["satisfaction_rate"] == rate(1, 2, "50.0%")
    assert (await s.stats("body-1", kind="motion"))["counts"]["filed"] == 0
    # Another session of the same body.
    other = await s.stats("body-1", session_id=OTHER_SESSION)
    assert other["counts"]["registered"] == 1 and other["outcomes"]["D"] == share(1, 100.0)
    # All sessions together.
    everything = (await c.get("/statistics", params={"body_id": "body-1"}, headers=s.staff("body-1"))).json()
    assert everything["counts"]["filed"] == 11 and everything["satisfaction_rate"] == rate(3, 5, "60.0%")

    # Units, with the default weights 0.3 / 0.4 / 0.1 / 0.2:
    # u1 .3*.5 + .4*1 + .1*.5 + .2*1 = .80; u2 .3*.5 + .4 + .1 + .2 = .85; u3 .3*.5 + 0 + .1 + .2*.5 = .35
    defaults = {"body_id": "body-1", "on_time": 0.3, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.2}
    units = await s.units("body-1")
    assert units["weights"] == defaults
    assert units["outcome_values"] == {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25}
    assert units["units"] == expected_units(defaults, {"u1": 80.0, "u2": 85.0, "u3": 35.0})

    # The body's staff change the weights; the score and the weights shown with it follow.
    url = "/bodies/body-1/performance-weights"
    weights = {"on_time": 0.5, "satisfaction": 0.5, "contact": 0.0, "outcome": 0.0}
    problem(await c.put(url, json=weights, headers=s.staff("body-1", "leader")), 403, "forbidden")
    problem(await c.put(url, json=weights, headers=s.staff("body-2")), 403, "forbidden")
    zero = {"on_time": 0, "satisfaction": 0, "contact": 0, "outcome": 0}
    problem(await c.put(url, json=zero, headers=s.staff("body-1")), 422, "no_weight")
    bad = problem(await c.put(url, json={**weights, "outcome": 2}, headers=s.staff("body-1")), 422, "validation_failed")
    assert [e["field"] for e in bad["errors"]] == ["outcome"]
    assert (await c.get(url)).json() == defaults
    assert (await c.put(url, json=weights, headers=s.staff("body-1"))).status_code == 200
    changed = {"body_id": "body-1", **weights}
    assert (await c.get(url)).json() == changed
    assert (await s.units("body-1"))["units"] == expected_units(changed, {"u1": 75.0, "u2": 75.0, "u3": 25.0})


async def test_a_plenary_recommendation_is_no_proposal_and_figures_take_a_set_of_kinds(scene: Scene) -> None:
    """Seed 001: 立案116件 … 另有建议案1件. i4, the 建议案, is neither a collective proposal nor
    in the 提案's outcome shares; kinds and exclude_kinds choose a set; key and collective filter."""
    s = scene
    await s.plant(plant("body-1"))
    proposals = await s.stats("body-1", kinds="individual,joint,group")
    assert proposals["kinds"] == ["individual", "joint", "group"]
    assert proposals["counts"] == {
        "filed": 9, "registered": 5, "declined": 1, "merged": 1, "withdrawn": 1, "key": 1, "collective": 1,
    }  # fmt: skip
    assert proposals["reply_rate"] == rate(3, 5, "60.0%")
    assert proposals["outcomes"]["A"] == share(3, 100.0) and proposals["outcomes"]["C"] == share(0, 0.0)
    assert "plenary" not in proposals["by_kind"]
    # the same set by exclusion; one kind as before
    excluded = await s.stats("body-1", exclude_kinds="plenary,motion")
    assert excluded["kinds"] == ["individual", "joint", "group", "suggestion"]
    assert {k: excluded[k] for k in ("counts", "outcomes", "reply_rate")} == {
        k: proposals[k] for k in ("counts", "outcomes", "reply_rate")
    }
    assert (await s.stats("body-1", kinds="plenary"))["counts"]["registered"] == 1
    # key and collective items, or the others
    assert (await s.stats("body-1", key="true"))["counts"]["registered"] == 2  # i1 and the 建议案 i4
    collective = await s.stats("body-1", collective="true")
    assert collective["counts"]["registered"] == 1 and set(collective["by_kind"]) == {"group"}
    others = await s.stats("body-1", kinds="individual,joint,group", key="false", collective="false")
    assert others["counts"]["registered"] == 3 and others["by_category"] == {
        "城市建设": {"filed": 2, "registered": 1},
        "科教文卫": {"filed": 2, "registered": 0},
        "经济发展": {"filed": 3, "registered": 2},
    }
    # an unknown kind is named
    for name in ("kinds", "exclude_kinds"):
        response = await s.client.get(
            "/statistics", params={"body_id": "body-1", name: "individual,bogus"}, headers=s.staff("body-1")
        )
        assert [e["field"] for e in problem(response, 422, "validation_failed")["errors"]] == [name]


async def test_unrated_replies_count_as_satisfied_only_under_that_rule_and_once_the_window_closed(
    scene: Scene,
) -> None:
    """i2's merged-in proposer (m-i8) may rate u2's reply and never does: under counted_satisfied
    that is one satisfied rating in both rounds' figures once the window closed, none before."""
    s, c = scene, scene.client
    await s.plant(plant("body-1"))
    rules = {"window_days": 15, "cosigners_rate": True, "unrated_policy": "counted_satisfied"}
    assert (await c.put("/bodies/body-1/evaluation-rules", json=rules, headers=s.staff("body-1"))).status_code == 200
    still_open = await s.stats("body-1")
    assert still_open["counted_satisfied"] == 0 and still_open["satisfaction_rate"] == rate(3, 4, "75.0%")

    async with service_runtime(s.app).database.session() as session:
        long_ago = utcnow() - timedelta(days=40)  # more than 15 working days, whatever the holidays
        await session.exec(update(RatedItem).where(col(RatedItem.body_id) == "body-1").values(replied_at=long_ago))  # type: ignore[call-overload]
        await session.exec(update(ReplyRecord).values(replied_at=long_ago))  # type: ignore[call-overload]
        await session.commit()
    closed = await s.stats("body-1")
    assert closed["counted_satisfied"] == 1
    assert closed["satisfaction_rate"] == rate(4, 5, "80.0%")
    assert closed["first_satisfaction_rate"] == rate(3, 5, "60.0%")
    u2 = next(u for u in (await s.units("body-1"))["units"] if u["unit_id"] == "u2")
    assert (u2["rated"], u2["satisfied"]) == (2, 2)
    report = await c.get(
        "/reports/annual", params={"body_id": "body-1", "session_id": SESSION}, headers=s.staff("body-1")
    )
    assert "测评期满未测评的答复按满意计（本期计1人次）" in report.text

    left = {**rules, "unrated_policy": "left_unrated"}
    assert (await c.put("/bodies/body-1/evaluation-rules", json=left, headers=s.staff("body-1"))).status_code == 200
    assert (await s.stats("body-1")) == {"body_id": "body-1", **EXPECTED}


async def test_the_publication_setting_opens_the_figures_and_the_report_to_everyone(scene: Scene) -> None:
    s, c = scene, scene.client
    await s.plant(plant("body-1"))
    params = {"body_id": "body-1", "session_id": SESSION}
    member = s.keys.headers("member", subject="m", body_id="body-1", member_id="m-i1")
    unit = s.keys.headers("unit_staff", subject="u", unit_id="u1")
    paths = ("/statistics", "/statistics/units", "/reports/annual")
    url = "/bodies/body-1/evaluation-rules"
    rules = (await c.get(url)).json()
    assert rules["statistics_published"] is False
    for path in paths:
        problem(await c.get(path, params=params), 401, "unauthorized")
        problem(await c.get(path, params=params, headers=member), 403, "forbidden")
    published = {k: v for k, v in rules.items() if k != "body_id"} | {"statistics_published": True}
    problem(await c.put(url, json=published, headers=s.staff("body-1", "leader")), 403, "forbidden")
    assert (await c.put(url, json=published, headers=s.staff("body-1"))).status_code == 200
    for headers in ({}, member, unit, s.staff("body-2")):
        for path in paths:
            assert (await c.get(path, params=params, headers=headers)).status_code == 200, (path, headers)
        assert await s.stats("body-1") == (await c.get("/statistics", params=params, headers=headers)).json()
    # another body's figures stay closed, and an unknown session is still 404
    problem(await c.get("/statistics", params={**params, "body_id": "body-2"}), 401, "unauthorized")
    problem(await c.get("/statistics", params={**params, "session_id": "s-none"}), 404, "not_found")
    assert (await c.put(url, json={**published, "statistics_published": False}, headers=s.staff("body-1"))).is_success
    problem(await c.get("/reports/annual", params=params, headers=member), 403, "forbidden")


async def test_bad_requests_for_statistics(scene: Scene) -> None:
    s, c = scene, scene.client
    await s.plant(plant("body-1"))
    for path in ("/statistics", "/statistics/units"):
        unknown = {"body_id": "body-1", "session_id": "s-none"}
        problem(await c.get(path, params=unknown, headers=s.staff("body-1")), 404, "not_found")
        missing = problem(await c.get(path, params={"session_id": SESSION}, headers=s.staff("body-1")), 422, "validation_failed")  # fmt: skip
        assert [e["field"] for e in missing["errors"]] == ["body_id"]
        params = {"body_id": "body-1", "session_id": SESSION}
        member = s.keys.headers("member", subject="m", body_id="body-1", member_id="m-i1")
        problem(await c.get(path, params=params, headers=member), 403, "forbidden")
        problem(await c.get(path, params=params, headers=s.staff("body-2")), 403, "forbidden")
        unit = s.keys.headers("unit_staff", subject="u", unit_id="u1")
        problem(await c.get(path, params=params, headers=unit), 403, "forbidden")
        problem(await c.get(path, params=params), 401, "unauthorized")


async def test_duplicates_and_out_of_order_events_give_the_same_figures(scene: Scene) -> None:
    s = scene
    await s.plant(plant("body-1"))
    await s.plant(plant("body-2"), shuffled=True)
    assert await s.stats("body-2") == {"body_id": "body-2", **EXPECTED}
    for params in ({"kind": "individual"}, {"category": "城市建设"}, {"category": "科教文卫"}):
        first, second = await s.stats("body-1", **params), await s.stats("body-2", **params)
        assert {**first, "body_id": "body-2"} == second
    first_units, second_units = await s.units("body-1"), await s.units("body-2")
    for unit in [*first_units["units"], *second_units["units"]]:
        unit["weights"]["body_id"] = "-"
    assert first_units["units"] == second_units["units"]
    assert [u["score"] for u in second_units["units"]] == [85.0, 80.0, 35.0]
