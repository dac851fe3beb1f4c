"""The evaluation window as a rater reads it before rating (GET /proposals/{id}/rating-window): the
last day on the working-day calendar and the working days left, the same day the service refuses
a late rating after, per reply whether the caller rated it, and who may read it."""

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import httpx
import pytest
from cn_workdays import WorkCalendar
from fastapi import FastAPI
from rating_scene import BODY, SATISFIED, Scene
from sqlalchemy import update
from sqlmodel import col

from devstack.answers import problem
from evaluation_service.domain.ratings import BODY_TIMEZONE
from evaluation_service.models import RatedItem
from servicekit.db import utcnow
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


async def test_a_rater_reads_the_last_day_and_the_working_days_left_before_rating(scene: Scene) -> None:
    s, c = scene, scene.client
    url = f"/proposals/{s.pid}/rating-window"
    problem(await c.get(url, headers=s.member("lead")), 404, "not_found")  # not registered yet
    await s.registered()
    await s.until_rated_item(0)

    # Registered, nothing replied: no window yet.
    before = await c.get(url, headers=s.member("lead"))
    assert before.status_code == 200, before.text
    assert before.json() == {
        "proposal_id": s.pid,
        "round": 0,
        "window_days": 15,
        "opened_on": None,
        "window_closes_on": None,
        "working_days_left": None,
        "open": False,
        "replies": [],
    }

    await s.replied(units=("u-1", "u-2"))
    await s.until_rated_item(1)
    calendar: WorkCalendar = s.app.state.calendar
    today = utcnow().astimezone(BODY_TIMEZONE).date()
    closes = calendar.add_working_days(today, 15)
    window = (await c.get(url, headers=s.member("lead"))).json()
    assert window["round"] == 1 and window["open"] is True
    assert window["opened_on"] == today.isoformat()
    assert window["window_closes_on"] == closes.isoformat()
    # The working days in (today, closing day]: the rule's 15, whatever weekday or holiday today is.
    assert window["working_days_left"] == calendar.working_days_between(today, closes) == 15
    assert [(r["unit_id"], r["unit_name"], r["rated"]) for r in window["replies"]] == [
        ("u-1", "单位u-1", False),
        ("u-2", "单位u-2", False),
    ]

    # Rating one reply marks it, for this rater only; the rating names the same closing day.
    rated = await c.post(
        f"/proposals/{s.pid}/evaluations",
        json={"unit_id": "u-1", "reply_id": window["replies"][0]["reply_id"], **SATISFIED},
        headers=s.member("lead"),
    )
    assert rated.status_code == 201, rated.text
    assert rated.json()["window_closes_on"] == window["window_closes_on"]
    after = (await c.get(url, headers=s.member("lead"))).json()
    assert [(r["unit_id"], r["rated"]) for r in after["replies"]] == [("u-1", True), ("u-2", False)]
    theirs = (await c.get(url, headers=s.member("cosigner"))).json()
    assert [r["rated"] for r in theirs["replies"]] == [False, False]
    assert (await c.get(url, headers=s.member("merged"))).status_code == 200

    # Once the window has closed: negative days left, not open, and a rating is refused.
    async with service_runtime(s.app).database.session() as session:
        await session.exec(
            update(RatedItem)
            .where(col(RatedItem.proposal_id) == s.pid)
            .values(replied_at=utcnow() - timedelta(days=40))
        )
        await session.commit()
    closed = (await c.get(url, headers=s.member("lead"))).json()
    assert closed["open"] is False and closed["working_days_left"] < 0
    assert closed["window_closes_on"] < today.isoformat()
    problem(
        await c.post(f"/proposals/{s.pid}/evaluations", json={"unit_id": "u-2", **SATISFIED}, headers=s.member("lead")),
        409,
        "evaluation_closed",
    )


async def test_only_the_raters_read_the_window(scene: Scene) -> None:
    s, c = scene, scene.client
    url = f"/proposals/{s.pid}/rating-window"
    await s.registered()
    await s.replied(units=("u-1",))
    await s.until_rated_item(1)
    for who in ("lead", "cosigner", "merged"):
        assert (await c.get(url, headers=s.member(who))).status_code == 200, who
    # Who may read the ratings but rates nothing is refused; everyone else is told it does not exist.
    problem(await c.get(url, headers=s.staff()), 403, "forbidden")
    problem(await c.get(url, headers=s.unit("u-1")), 403, "forbidden")
    problem(await c.get(url, headers=s.unit("u-9")), 404, "not_found")
    problem(await c.get(url, headers=s.staff("another-body")), 404, "not_found")
    problem(await c.get(url, headers=s.member("stranger")), 404, "not_found")
    problem(await c.get(url), 401, "unauthorized")
    problem(await c.get(f"/proposals/{uuid.uuid4()}/rating-window", headers=s.member("lead")), 404, "not_found")

    # Cosigners rate only when the body says so: otherwise they see the item but have no window.
    rules = {"window_days": 10, "cosigners_rate": False, "unrated_policy": "left_unrated"}
    assert (await c.put(f"/bodies/{BODY}/evaluation-rules", json=rules, headers=s.staff())).status_code == 200
    problem(await c.get(url, headers=s.member("cosigner")), 403, "forbidden")
    window = (await c.get(url, headers=s.member("lead"))).json()
    assert window["window_days"] == 10 and window["working_days_left"] == 10
