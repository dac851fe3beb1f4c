"""Quiet hours (免打扰): e-mail and SMS wait until they end, without counting an attempt."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from notification_service.domain.delivery import Sender, quiet_until
from notification_service.main import MIGRATIONS
from notification_service.models import Channel, Contact, ContactUpdate, Delivery, DeliveryStatus, Notification
from notification_service.settings import NotificationSettings
from servicekit.db import Database, utcnow
from servicekit.migrations import upgrade_async

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    """A moment given in Shanghai time, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(23, 15), at(7, 30, day=3)),  # after the start: until tomorrow morning
        (at(6, 0), at(7, 30)),  # after midnight: until this morning
        (at(7, 30), None),  # the end is not quiet any more
        (at(12, 0), None),
        (at(22, 0), at(7, 30, day=3)),
    ],
)
def test_a_window_over_midnight(now: datetime, expected: datetime | None) -> None:
    assert quiet_until(now, time(22, 0), time(7, 30), SHANGHAI) == expected


def test_a_window_within_one_day_and_none() -> None:
    assert quiet_until(at(12, 30), time(12, 0), time(14, 0), SHANGHAI) == at(14, 0)
    assert quiet_until(at(11, 59), time(12, 0), time(14, 0), SHANGHAI) is None
    assert quiet_until(at(3, 0), None, None, SHANGHAI) is None


def test_quiet_hours_are_hh_mm_both_ways() -> None:
    update = ContactUpdate.model_validate({"quiet_start": "22:00", "quiet_end": "07:30"})
    assert (update.quiet_start, update.quiet_end) == (time(22, 0), time(7, 30))
    assert update.model_dump(mode="json")["quiet_start"] == "22:00"
    for bad in ("22:00:00", "24:00", "7:30", "22:00+08:00", 0, 79200, True):
        with pytest.raises(ValidationError, match="HH:MM"):
            ContactUpdate.model_validate({"quiet_start": bad, "quiet_end": "07:30"})


def test_quiet_hours_come_in_pairs() -> None:
    with pytest.raises(ValidationError, match="quiet_start and quiet_end"):
        ContactUpdate(quiet_start=time(22, 0))
    with pytest.raises(ValidationError, match="quiet_start and quiet_end"):
        ContactUpdate(quiet_start=time(22, 0), quiet_end=time(22, 0))


@pytest.mark.integration
async def test_a_delivery_in_quiet_hours_waits_for_their_end_without_an_attempt(
    database_url: str, notification_settings: NotificationSettings
) -> None:
    await upgrade_async(MIGRATIONS, database_url)
    database = Database(database_url)
    now = utcnow().astimezone(SHANGHAI)
    # A window that holds now, whatever the time of the run: from an hour ago to in two hours.
    start = time((now.hour - 1) % 24, 0)
    end = time((now.hour + 2) % 24, 0)
    try:
        async with database.session() as session:
            session.add(
                Contact(recipient="unit:u-q", email="q@unit.example", quiet_start=start, quiet_end=end, updated_by="t")
            )
            n = Notification(recipient="unit:u-q", event_id="e-q", event_type="t", kind="k", title="t", body="b")
            session.add(n)
            session.add(Delivery(notification_id=n.id, event_id="e-q", recipient="unit:u-q", channel=Channel.email))
            overdue = Notification(
                recipient="unit:u-q", event_id="e-o", event_type="t", kind="assignment_overdue", title="t", body="b"
            )
            session.add(overdue)
            session.add(
                Delivery(notification_id=overdue.id, event_id="e-o", recipient="unit:u-q", channel=Channel.email)
            )
            await session.commit()
        # No SMTP server is configured: a send would fail and count an attempt.
        sender = Sender(database=database, settings=notification_settings.model_copy(update={"smtp_port": 9}))
        assert await sender.send_due() == 2
        async with database.session(read_only=True) as session:
            rows = (await session.exec(Delivery.__table__.select())).all()  # type: ignore[attr-defined]
        [row] = [r for r in rows if r.event_id == "e-q"]
        [escalation] = [r for r in rows if r.event_id == "e-o"]
        assert row.status == DeliveryStatus.pending and row.attempts == 0 and row.locked_by is None
        assert escalation.attempts == 1  # an overdue escalation is tried in quiet hours (and fails: no server)
        expected = quiet_until(utcnow(), start, end, SHANGHAI)
        assert expected is not None and abs((row.next_attempt_at.replace(tzinfo=UTC) - expected).total_seconds()) < 1
        assert await sender.send_due() == 0  # not due before the window ends
    finally:
        await database.dispose()


@pytest.mark.integration
async def test_the_hourly_cap_holds_a_recipients_next_message_until_the_hour_has_passed(
    database_url: str, notification_settings: NotificationSettings
) -> None:
    await upgrade_async(MIGRATIONS, database_url)
    database = Database(database_url)
    now = utcnow()
    try:
        async with database.session() as session:
            session.add(Contact(recipient="unit:u-c", email="c@unit.example", updated_by="t"))
            for i, minutes_ago in enumerate((50, 10)):  # two sent within the hour: the cap
                n = Notification(recipient="unit:u-c", event_id=f"s-{i}", event_type="t", kind="k", title="t", body="b")
                session.add(n)
                session.add(
                    Delivery(
                        notification_id=n.id, event_id=f"s-{i}", recipient="unit:u-c", channel=Channel.email,
                        status=DeliveryStatus.sent, attempts=1, sent_at=now - timedelta(minutes=minutes_ago),
                    )
                )  # fmt: skip
            for event_id, kind in (("e-c", "k"), ("e-o", "assignment_overdue")):
                n = Notification(
                    recipient="unit:u-c", event_id=event_id, event_type="t", kind=kind, title="t", body="b"
                )
                session.add(n)
                session.add(
                    Delivery(notification_id=n.id, event_id=event_id, recipient="unit:u-c", channel=Channel.email)
                )
            await session.commit()
        settings = notification_settings.model_copy(update={"smtp_port": 9, "delivery_rate_cap_per_hour": 2})
        sender = Sender(database=database, settings=settings)
        assert await sender.send_due() == 2
        async with database.session(read_only=True) as session:
            rows = {r.event_id: r for r in (await session.exec(Delivery.__table__.select())).all()}  # type: ignore[attr-defined]
        held, escalation = rows["e-c"], rows["e-o"]
        assert held.status == DeliveryStatus.pending and held.attempts == 0
        # It waits until the older of the two sent messages is an hour old.
        expected = now - timedelta(minutes=50) + timedelta(hours=1)
        assert abs((held.next_attempt_at.replace(tzinfo=UTC) - expected).total_seconds()) < 1
        assert escalation.attempts == 1  # an overdue escalation is not held back (and fails: no server)
    finally:
        await database.dispose()
