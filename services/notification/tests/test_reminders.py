"""Reminders on working days: a cosign invitation's deadline, a rating window closing. Planned by
the events (real Kafka, SQLite and PostgreSQL), cancelled by the answer or the rating, written once
per (item, recipient, kind, day) however often the scheduler runs."""

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from contract_events import contract_event
from fastapi import FastAPI
from notification_world import World
from sqlmodel import col, select

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.domain import reminders
from notification_service.main import create_app
from notification_service.models import Reminder, ReminderStatus
from notification_service.settings import NotificationSettings
from servicekit.db import utcnow
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def quiet_notification(serve, notification_settings: NotificationSettings):  # type: ignore[no-untyped-def]
    """The service without its own scheduler loop: the test says which day it is."""
    app = create_app(notification_settings.model_copy(update={"reminders_enabled": False}))
    async with serve(app) as client:
        yield app, client


async def reminders_of(app: FastAPI) -> list[Reminder]:
    async with service_runtime(app).database.session(read_only=True) as session:
        return list((await session.exec(select(Reminder).order_by(col(Reminder.id)))).all())


async def until_planned(world: World, app: FastAPI, count: int) -> list[Reminder]:
    for _ in range(600):
        rows = await reminders_of(app)
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(await reminders_of(app))} reminders planned, not {count}")


async def test_a_cosign_deadline_reminds_the_invitees_who_have_not_answered_once(
    quiet_notification: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> None:
    app, _ = quiet_notification
    world = World(app, dev_keys, kafka.bootstrap, namespace)
    cal = reminders.calendar()
    # A deadline on a working day two weeks or more ahead, at 10:00 in Beijing.
    deadline_day = cal.add_working_days(date.today() + timedelta(days=14), 0)
    deadline = datetime.combine(deadline_day, time(10), SHANGHAI).astimezone(UTC)
    silent, answering = world.cosigner, world.stranger
    invited = contract_event(
        "proposal.cosign_invited.v1",
        **world.ref(), title="关于加强社区养老服务的建议", lead_member_id=world.lead, member_ids=[silent, answering],
        deadline=deadline, invited_at=utcnow(),
    )  # fmt: skip
    answered = contract_event(
        "proposal.cosign_answered.v1",
        **world.ref(),
        title="t",
        lead_member_id=world.lead,
        member_id=answering,
        accepted=True,
        answered_at=utcnow(),
    )
    envelope = world.envelope(invited)
    await world.send("proposal.events", [envelope, envelope, world.envelope(answered)])
    await world.until(f"member:{world.lead}", 1)  # the answer is in
    rows = await reminders_of(app)
    assert [(r.recipient, r.status) for r in rows] == [
        (f"member:{silent}", ReminderStatus.pending),
        (f"member:{answering}", ReminderStatus.cancelled),
    ]
    day = rows[0].day
    # One working day before the deadline: a working day, with no working day between it and the deadline.
    assert day < deadline_day and cal.is_working_day(day)
    assert not any(cal.is_working_day(day + timedelta(days=i)) for i in range(1, (deadline_day - day).days))
    assert rows[0].until == deadline_day

    database = service_runtime(app).database
    assert await reminders.run_due(database, today=day - timedelta(days=1)) == 0  # not yet
    assert await reminders.run_due(database, today=day) == 1
    assert await reminders.run_due(database, today=day) == 0  # the scheduler's next tick
    assert await reminders.run_due(database, today=day + timedelta(days=1)) == 0
    kinds = [n.kind for n in await world.notifications(f"member:{silent}")]
    assert kinds == ["cosign_invited", "cosign_deadline"]
    assert [n.kind for n in await world.notifications(f"member:{answering}")] == ["cosign_invited"]
    assert "截止" in (await world.notifications(f"member:{silent}"))[1].body


async def test_a_rating_window_reminder_two_working_days_before_it_closes_ends_with_the_rating(
    quiet_notification: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> None:
    app, _ = quiet_notification
    world = World(app, dev_keys, kafka.bootstrap, namespace)
    await world.send("proposal.events", [world.envelope(world.registered())])
    await world.until(f"member:{world.lead}", 1)
    replied_at = utcnow()
    reply = contract_event(
        "assignment.replied.v1",
        reply_id="r-1", assignment_id="as-1", proposal_id=world.pid, body_id="body-1", unit_id=world.unit,
        unit_name="市民政局", role="lead", round=1, outcome="A", publishable=True, on_time=True, contacted=True,
        replied_at=replied_at,
    )  # fmt: skip
    await world.send("assignment.events", [world.envelope(reply)])
    rows = await until_planned(world, app, 2)
    cal = reminders.calendar()
    closes = cal.add_working_days(replied_at.astimezone(SHANGHAI).date(), 15)
    assert {(r.recipient, r.kind, r.until) for r in rows} == {
        (f"member:{world.lead}", "rating_deadline", closes),
        (f"member:{world.cosigner}", "rating_deadline", closes),
    }
    assert cal.working_days_between(rows[0].day, closes) == 2 and cal.is_working_day(rows[0].day)

    rated = contract_event(
        "evaluation.submitted.v1",
        evaluation_id="ev-1", proposal_id=world.pid, body_id="body-1", round=1, unit_id=world.unit,
        member_id=world.lead, contact="satisfied", attitude="satisfied", result="satisfied", submitted_at=utcnow(),
    )  # fmt: skip
    await world.send("evaluation.events", [world.envelope(rated)])
    for _ in range(600):
        if any(r.status == ReminderStatus.cancelled for r in await reminders_of(app)):
            break
        await asyncio.sleep(0.1)
    assert await reminders.run_due(service_runtime(app).database, today=rows[0].day) == 1
    assert [n.kind for n in await world.notifications(f"member:{world.lead}")] == [
        "proposal_registered",
        "reply_arrived",
    ]
    cosigner = [n.kind for n in await world.notifications(f"member:{world.cosigner}")]
    assert cosigner == ["proposal_registered", "reply_arrived", "rating_deadline"]
