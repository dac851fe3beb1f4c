"""Sending queued deliveries (e-mail over SMTP here; SMS in sms.py, Web Push in push.py), safe
with N replicas.

Claiming: a sender takes a batch of due rows by writing its id and a lease (``locked_until``)
on them in one short transaction; on PostgreSQL the candidate rows are read FOR UPDATE SKIP
LOCKED, so replicas claim different rows without waiting on each other; on SQLite the write
transaction is exclusive (BEGIN IMMEDIATE), so two claims never overlap. A sender that dies
leaves its rows to be claimed again when the lease runs out.

Send, then mark: the row is marked sent after the SMTP server accepted the message. A crash
(or a lost database connection) between the two sends that message once more when the lease
expires, so a recipient may get at most one duplicate per such crash; never none. The
lease is longer than the SMTP timeout, so a slow but live sender is not overtaken. Each
message carries a Message-ID made from the delivery id, so the duplicate is recognisable.

Failures: a transient one (connection refused or dropped, timeout, a 4xx reply) is retried
after an exponential back-off with jitter; a permanent one (a 5xx reply, a bad address) or
the last allowed attempt marks the row failed, with the error kept (no address in it).
"""

import asyncio
import contextlib
import html
import logging
import random
import uuid
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
from sqlalchemy import or_, update
from sqlmodel import col, select

from notification_service.models import Channel, Contact, Delivery, DeliveryStatus, Notification, WebhookDelivery
from notification_service.settings import NotificationSettings
from servicekit.db import Database, utcnow

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """No retry can deliver this one."""


def backoff(attempts: int, *, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempts + 1``: base·2^(attempts-1), capped, with ±50 % jitter so
    rows that failed together (the SMTP server was down) do not all come back at once."""
    delay = min(max_s, base_s * 2.0 ** max(0, attempts - 1))
    jitter: float = rng.uniform(0.5, 1.5) if rng else random.uniform(0.5, 1.5)
    return delay * jitter


# An overdue assignment is an escalation: it is sent in quiet hours too (issue 12). Everything
# else waits for the window's end.
QUIET_HOURS_EXEMPT = frozenset({"assignment_overdue"})


def quiet_until(now: datetime, start: time | None, end: time | None, zone: ZoneInfo) -> datetime | None:
    """When the recipient's quiet hours end, if ``now`` falls in them; else None. A window whose
    end is earlier than its start runs over midnight (22:00-07:30)."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    at = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= at < end
        ends_on = local.date()
    else:
        inside = at >= start or at < end
        ends_on = local.date() + timedelta(days=1) if at >= start else local.date()
    if not inside:
        return None
    return datetime.combine(ends_on, end, tzinfo=zone).astimezone(UTC)


def render_email(n: Notification, *, delivery_id: int, sender: str, to: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = n.title
    message["From"] = sender
    message["To"] = to
    # The same Message-ID on every attempt of one delivery (make_msgid adds time and randomness), so
    # a repeat after a crash is recognisable, and mail systems that dedupe on it drop it; the sender's
    # domain keeps ids from two deployments apart.
    domain = sender.rpartition("@")[2].strip(" >") or "notification.local"
    message["Message-ID"] = f"<delivery-{delivery_id}@{domain}>"
    text = f"{n.title}\n\n{n.body}\n\n——提案办理平台（此邮件由系统发送，请勿直接回复）"
    message.set_content(text)
    message.add_alternative(
        '<!doctype html><html lang="zh-CN"><body>'
        f"<h2>{html.escape(n.title)}</h2><p>{html.escape(n.body).replace(chr(10), '<br>')}</p>"
        '<p style="color:#888">提案办理平台（此邮件由系统发送，请勿直接回复）</p></body></html>',
        subtype="html",
    )
    return message


Claimable = Delivery | WebhookDelivery


async def claim_rows(
    database: Database,
    table: type[Claimable],
    *,
    holder: str,
    lease_s: float,
    limit: int,
    now: datetime | None = None,
    where: list[Any] | None = None,
) -> list[int]:
    """Writes ``holder`` and a lease on up to ``limit`` due, pending rows of ``table`` that nobody
    holds, in one short transaction; returns their ids (see the module docstring)."""
    now = now or utcnow()
    async with database.session() as session:
        due = (
            select(table.id)
            .where(
                table.status == DeliveryStatus.pending,
                col(table.next_attempt_at) <= now,
                or_(col(table.locked_until).is_(None), col(table.locked_until) < now),
                *(where or []),
            )
            .order_by(col(table.next_attempt_at), col(table.id))
            .limit(limit)
        )
        if database.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [i for i in (await session.exec(due)).all() if i is not None]
        if ids:
            await session.exec(
                update(table)
                .where(col(table.id).in_(ids))
                .values(locked_by=holder, locked_until=now + timedelta(seconds=lease_s))
            )
        await session.commit()
    return ids


class TransientFailure(Exception):
    """A failure a later attempt may not meet (the server down, a timeout, a 4xx SMTP reply)."""


class ChannelSender:
    """The sender loop of one channel in one replica: claims due rows, sends, settles them."""

    channel: Channel = Channel.email

    def __init__(self, *, database: Database, settings: NotificationSettings) -> None:
        self.database = database
        self.settings = settings
        self.holder = f"{self.channel}-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self.sent_total = 0
        self.zone = ZoneInfo(settings.timezone)

    def address(self, contact: Contact) -> str | None:
        """Where this channel reaches the contact, or None when it may not."""
        raise NotImplementedError

    async def deliver(
        self, notification: Notification, address: str, delivery_id: int, *, digest: list[Notification] | None = None
    ) -> None:
        """Sends one message (a digest of ``digest`` when given, the first being ``notification``);
        raises PermanentFailure or TransientFailure."""
        raise NotImplementedError

    async def close(self) -> None:
        return None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                done = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a database outage
                log.warning("%s sender cannot run: %s", self.channel, type(exc).__name__)
                done = 0
            if done:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.delivery_poll_interval_s)

    async def claim(self, now: datetime | None = None) -> list[int]:
        """Takes up to a batch of due rows for this sender; returns their ids."""
        return await claim_rows(
            self.database,
            Delivery,
            holder=self.holder,
            lease_s=self.settings.delivery_lease_s,
            limit=self.settings.delivery_batch_size,
            now=now,
            where=[Delivery.channel == self.channel],
        )

    async def resolve(self, recipient: str, contact: Contact | None) -> str | None:
        """Where this channel reaches the recipient now, or None (the row is then skipped)."""
        return self.address(contact) if contact is not None else None

    async def quiet_until(
        self, recipient: str, notification: Notification, contact: Contact | None, now: datetime
    ) -> datetime | None:
        """When the row may go if ``now`` is inside quiet hours: here the recipient's own."""
        return quiet_until(now, contact.quiet_start, contact.quiet_end, self.zone) if contact is not None else None

    async def send_due(self) -> int:
        """Claims and sends one batch; returns how many rows it settled (sent, retried or failed).

        Digests: a row waits until ``digest_window_s`` after it was written; then every other
        pending row of the same recipient, channel and kind (whatever its own due time) is taken
        along and the lot goes out as one message (``digest_id`` names the row whose message
        carried them). The inbox still holds each notification."""
        ids = await self.claim()
        if not ids:
            return 0
        async with self.database.session(read_only=True) as session:
            rows = (
                await session.exec(
                    select(Delivery, Notification, Contact)
                    .join(Notification, col(Notification.id) == col(Delivery.notification_id))
                    .outerjoin(Contact, col(Contact.recipient) == col(Delivery.recipient))
                    .where(col(Delivery.id).in_(ids), Delivery.locked_by == self.holder)
                    .order_by(col(Delivery.id))
                )
            ).all()
        done: set[int] = set()  # rows already sent (or settled) as part of another row's digest
        for delivery, notification, contact in rows:
            assert delivery.id is not None
            if delivery.id in done:
                continue
            address = await self.resolve(delivery.recipient, contact)
            if address is None:
                await self._settle(delivery.id, DeliveryStatus.skipped, error=f"no enabled {self.channel} address")
                continue
            now = utcnow()
            exempt = notification.kind in QUIET_HOURS_EXEMPT
            later = None if exempt else await self.quiet_until(delivery.recipient, notification, contact, now)
            if later is not None:
                await self._defer(delivery.id, later)
                continue
            created = delivery.created_at if delivery.created_at.tzinfo else delivery.created_at.replace(tzinfo=UTC)
            gathered = created + timedelta(seconds=self.settings.digest_window_s)
            if gathered > now:
                await self._defer(delivery.id, gathered)
                continue
            capped = await self.capped_until(delivery.recipient)
            if capped is not None and not exempt:
                await self._defer(delivery.id, capped)
                continue
            companions = await self._take_companions(delivery, notification.kind)
            digest = [notification, *(n for _, n in companions)]
            members = [delivery.id, *(d for d, _ in companions)]
            done.update(members)
            try:
                await self.deliver(notification, address, delivery.id, digest=digest if len(digest) > 1 else None)
            except PermanentFailure as exc:
                await self._settle(delivery.id, DeliveryStatus.failed, error=str(exc))
                await self._release(members[1:])
            except TransientFailure as exc:
                await self._retry(delivery.id, error=str(exc))
                await self._release(members[1:])
            else:
                await self._settle_sent(members)
                self.sent_total += 1
        return len(rows)

    async def _take_companions(self, lead: Delivery, kind: str) -> list[tuple[int, Notification]]:
        """Leases the other pending rows of the lead's recipient, channel and kind (free ones, or
        ones this sender already holds) and returns them with their notifications, oldest first."""
        now = utcnow()
        async with self.database.session() as session:
            query = (
                select(Delivery.id)
                .join(Notification, col(Notification.id) == col(Delivery.notification_id))
                .where(
                    Delivery.recipient == lead.recipient,
                    Delivery.channel == self.channel,
                    Delivery.status == DeliveryStatus.pending,
                    Notification.kind == kind,
                    col(Delivery.id) != lead.id,
                    or_(
                        col(Delivery.locked_until).is_(None),
                        col(Delivery.locked_until) < now,
                        col(Delivery.locked_by) == self.holder,
                    ),
                )
                .order_by(col(Delivery.id))
                .limit(self.settings.digest_max_items)
            )
            if self.database.engine.dialect.name == "postgresql":
                query = query.with_for_update(of=Delivery, skip_locked=True)
            ids = [i for i in (await session.exec(query)).all() if i is not None]
            if ids:
                await session.exec(
                    update(Delivery)
                    .where(col(Delivery.id).in_(ids))
                    .values(locked_by=self.holder, locked_until=now + timedelta(seconds=self.settings.delivery_lease_s))
                )
            await session.commit()
            if not ids:
                return []
            found = (
                await session.exec(
                    select(Delivery.id, Notification)
                    .join(Notification, col(Notification.id) == col(Delivery.notification_id))
                    .where(col(Delivery.id).in_(ids))
                    .order_by(col(Delivery.id))
                )
            ).all()
        return [(i, n) for i, n in found if i is not None]

    async def _settle_sent(self, members: list[int]) -> None:
        """Marks the rows of one message sent (a digest's rows name its first)."""
        now = utcnow()
        digest_id = members[0] if len(members) > 1 else None
        async with self.database.session() as session:
            await session.exec(
                update(Delivery)
                .where(col(Delivery.id).in_(members), col(Delivery.locked_by) == self.holder)
                .values(
                    status=DeliveryStatus.sent,
                    attempts=Delivery.attempts + 1,
                    last_error=None,
                    locked_by=None,
                    locked_until=None,
                    sent_at=now,
                    digest_id=digest_id,
                )
            )
            await session.commit()

    async def _release(self, ids: list[int]) -> None:
        """Gives back rows taken along for a digest that was not sent: they are sent on their own."""
        if not ids:
            return
        async with self.database.session() as session:
            await session.exec(
                update(Delivery)
                .where(col(Delivery.id).in_(ids), col(Delivery.locked_by) == self.holder)
                .values(locked_by=None, locked_until=None)
            )
            await session.commit()

    async def _settle(self, delivery_id: int, status: DeliveryStatus, *, error: str | None = None) -> None:
        async with self.database.session() as session:
            row = await session.get(Delivery, delivery_id)
            if row is None or row.locked_by != self.holder:
                return  # the lease ran out and another sender took it over
            row.status = status
            row.attempts += 1
            row.last_error = error
            row.locked_by = None
            row.locked_until = None
            if status == DeliveryStatus.sent:
                row.sent_at = utcnow()
            session.add(row)
            await session.commit()
        if status == DeliveryStatus.failed:
            log.warning("%s delivery %d failed for good: %s", self.channel, delivery_id, error)

    async def capped_until(self, recipient: str) -> datetime | None:
        """When this recipient may be sent to again on this channel, if the hourly cap is reached."""
        cap = self.settings.delivery_rate_cap_per_hour
        if cap <= 0:
            return None
        since = utcnow() - timedelta(hours=1)
        async with self.database.session(read_only=True) as session:
            recent = (
                await session.exec(
                    select(Delivery.sent_at)
                    .where(
                        Delivery.recipient == recipient,
                        Delivery.channel == self.channel,
                        col(Delivery.sent_at) > since,
                        # a digest is one message: its first row counts, the others do not
                        or_(col(Delivery.digest_id).is_(None), col(Delivery.digest_id) == col(Delivery.id)),
                    )
                    .order_by(col(Delivery.sent_at).desc())
                    .limit(cap)
                )
            ).all()
        if len(recent) < cap:
            return None
        oldest = recent[-1]
        assert oldest is not None
        return (oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)) + timedelta(hours=1)

    async def _defer(self, delivery_id: int, until: datetime) -> None:
        """Quiet hours or the hourly cap: the row waits; no attempt is counted."""
        async with self.database.session() as session:
            row = await session.get(Delivery, delivery_id)
            if row is None or row.locked_by != self.holder:
                return
            row.next_attempt_at = until
            row.locked_by = None
            row.locked_until = None
            session.add(row)
            await session.commit()

    async def _retry(self, delivery_id: int, *, error: str) -> None:
        s = self.settings
        async with self.database.session() as session:
            row = await session.get(Delivery, delivery_id)
            if row is None or row.locked_by != self.holder:
                return
            row.attempts += 1
            row.last_error = error
            row.locked_by = None
            row.locked_until = None
            if row.attempts >= s.delivery_max_attempts:
                row.status = DeliveryStatus.failed
            else:
                delay = backoff(row.attempts, base_s=s.delivery_backoff_base_s, max_s=s.delivery_backoff_max_s)
                row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            session.add(row)
            await session.commit()
        log.info(
            "%s delivery %d attempt failed (%s); %s",
            self.channel,
            delivery_id,
            error,
            "giving up" if row.status == DeliveryStatus.failed else "will retry",
        )


class Sender(ChannelSender):
    """E-mail over SMTP (aiosmtplib), a text and an HTML part."""

    channel = Channel.email

    def address(self, contact: Contact) -> str | None:
        return contact.email if contact.email and contact.email_enabled else None

    async def deliver(
        self, notification: Notification, address: str, delivery_id: int, *, digest: list[Notification] | None = None
    ) -> None:
        s = self.settings
        shown = digest_of(digest) if digest else notification
        message = render_email(shown, delivery_id=delivery_id, sender=s.mail_from, to=address)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                start_tls=s.smtp_starttls,
                use_tls=s.smtp_use_tls,
                timeout=s.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [e.code for e in exc.recipients]
            if all(500 <= c < 600 for c in codes):
                raise PermanentFailure(f"recipient refused ({', '.join(map(str, codes))})") from None
            raise TransientFailure(_describe(exc)) from None
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentFailure(f"SMTP {exc.code}") from None
            raise TransientFailure(_describe(exc)) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientFailure(_describe(exc)) from None


# A digest lists at most this many items in an e-mail; the rest are counted.
DIGEST_LISTED = 50


def digest_of(notifications: list[Notification]) -> Notification:
    """One message standing for several of one kind (not stored: the inbox keeps each)."""
    first = notifications[0]
    count = len(notifications)
    lines = [f"{i}. {n.body}" for i, n in enumerate(notifications[:DIGEST_LISTED], start=1)]
    if count > DIGEST_LISTED:
        lines.append(f"……另有 {count - DIGEST_LISTED} 条，请登录平台查看。")
    return Notification(
        recipient=first.recipient,
        event_id=first.event_id,
        event_type=first.event_type,
        kind=first.kind,
        title=f"{first.title}（共 {count} 条）",
        body="\n".join(lines),
        proposal_id=None,
    )


def _describe(exc: BaseException) -> str:
    """The error without the message's addresses (aiosmtplib puts recipients in some messages)."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__}: SMTP {exc.code}"
    return type(exc).__name__
