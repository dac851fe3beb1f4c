"""Reminders on working days: a cosign invitation's deadline tomorrow (one working day before),
a rating window closing in two working days. Planned when the event that starts the clock
arrives, cancelled by the event that ends it, written to the inbox by a scheduler loop."""

import asyncio
import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cn_workdays import WorkCalendar
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain import notify
from notification_service.domain.messages import Draft
from notification_service.models import NotificationKind, Reminder, ReminderStatus
from notification_service.settings import NotificationSettings
from servicekit.db import Database, utcnow

log = logging.getLogger(__name__)

COSIGN_DEADLINE = NotificationKind.cosign_deadline
RATING_DEADLINE = NotificationKind.rating_deadline

_calendar: WorkCalendar | None = None


def calendar() -> WorkCalendar:
    global _calendar
    if _calendar is None:
        _calendar = WorkCalendar.default()
    return _calendar


def working_days_before(cal: WorkCalendar, day: date, n: int) -> date:
    """The working day n working days before ``day`` (``day`` itself not counted)."""
    counted = 0
    while counted < n:
        day -= timedelta(days=1)
        if cal.is_working_day(day):
            counted += 1
    return day


def local_date(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


async def plan(
    session: AsyncSession,
    *,
    draft: Draft,
    day: date,
    until: date,
    today: date,
    ref: str | None = None,
) -> None:
    """Plans one reminder; one already planned for the same (item, recipient, kind, day) stays.
    A reminder whose day is already past its deadline (a late invitation) is not planned."""
    if day > until or until < today:
        return
    same = select(Reminder).where(
        Reminder.proposal_id == draft.proposal_id,
        Reminder.recipient == draft.recipient,
        Reminder.kind == draft.kind,
        Reminder.day == day,
    )
    row = (await session.exec(same)).first()
    if row is None:
        row = Reminder(
            proposal_id=draft.proposal_id,
            recipient=draft.recipient,
            kind=draft.kind,
            day=day,
            until=until,
            title=draft.title,
            body=draft.body,
        )
    row.until, row.ref, row.title, row.body = until, ref, draft.title, draft.body
    row.status = ReminderStatus.pending
    session.add(row)


async def cancel(session: AsyncSession, *, proposal_id: str, recipient: str, kind: str, ref: str | None = None) -> None:
    query = (
        update(Reminder)
        .where(
            col(Reminder.proposal_id) == proposal_id,
            col(Reminder.recipient) == recipient,
            col(Reminder.kind) == kind,
            col(Reminder.status) == ReminderStatus.pending,
        )
        .values(status=ReminderStatus.cancelled)
    )
    if ref is not None:
        query = query.where(col(Reminder.ref) == ref)
    await session.exec(query)


async def run_due(database: Database, *, today: date, batch: int = 100) -> int:
    """Writes the reminders due by ``today`` to the inbox (with their e-mail and SMS deliveries);
    those whose deadline passed are cancelled. Each is written once: its notification's event id
    is ``reminder:<id>`` (unique per recipient), so two replicas or a crash before the row is
    marked cannot write it twice."""
    written = 0
    async with database.session() as session:
        due = (
            select(Reminder)
            .where(col(Reminder.status) == ReminderStatus.pending, col(Reminder.day) <= today)
            .order_by(col(Reminder.id))
            .limit(batch)
        )
        rows = list((await session.exec(due)).all())
    for row in rows:
        async with database.session() as session:
            current = await session.get(Reminder, row.id)
            if current is None or current.status != ReminderStatus.pending:
                continue
            if current.until < today:
                current.status = ReminderStatus.cancelled
            else:
                draft = Draft(
                    current.recipient, NotificationKind(current.kind), current.title, current.body, current.proposal_id
                )
                stored = await notify.store(
                    session, event_id=f"reminder:{current.id}", event_type=f"reminder.{current.kind}", drafts=[draft]
                )
                written += len(stored)
                current.status = ReminderStatus.sent
            session.add(current)
            try:
                await session.commit()
            except IntegrityError:  # another replica wrote it first
                await session.rollback()
    return written


class ReminderScheduler:
    def __init__(self, *, database: Database, settings: NotificationSettings) -> None:
        self.database = database
        self.settings = settings

    async def run(self) -> None:
        while True:
            try:
                await run_due(self.database, today=local_date(utcnow(), self.settings.timezone))
            except Exception:  # a database outage: try again on the next tick
                log.exception("reminder scan failed")
            await asyncio.sleep(self.settings.reminder_poll_interval_s)
