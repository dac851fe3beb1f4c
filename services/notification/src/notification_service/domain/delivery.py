"""Sending queued deliveries (e-mail over SMTP), safe with N replicas.

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
from email.utils import make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
import httpx
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
    message["Message-ID"] = make_msgid(idstring=f"delivery-{delivery_id}", domain="notification.local")
    text = f"{n.title}\n\n{n.body}\n\n——提案办理平台（此邮件由系统发送，请勿直接回复）"
    message.set_content(text)
    message.add_alternative(
        '<!doctype html><html lang="zh-CN"><body>'
        f"<h2>{html.escape(n.title)}</h2><p>{html.escape(n.body)}</p>"
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

    async def deliver(self, notification: Notification, address: str, delivery_id: int) -> None:
        """Sends one message; raises PermanentFailure or TransientFailure."""
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

    async def send_due(self) -> int:
        """Claims and sends one batch; returns how many rows it settled (sent, retried or failed)."""
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
                )
            ).all()
        for delivery, notification, contact in rows:
            assert delivery.id is not None
            address = self.address(contact) if contact is not None else None
            if address is None:
                await self._settle(delivery.id, DeliveryStatus.skipped, error=f"no enabled {self.channel} address")
                continue
            assert contact is not None
            later = quiet_until(utcnow(), contact.quiet_start, contact.quiet_end, self.zone)
            if later is not None and notification.kind not in QUIET_HOURS_EXEMPT:
                await self._defer(delivery.id, later)
                continue
            capped = await self.capped_until(delivery.recipient)
            if capped is not None and notification.kind not in QUIET_HOURS_EXEMPT:
                await self._defer(delivery.id, capped)
                continue
            try:
                await self.deliver(notification, address, delivery.id)
            except PermanentFailure as exc:
                await self._settle(delivery.id, DeliveryStatus.failed, error=str(exc))
            except TransientFailure as exc:
                await self._retry(delivery.id, error=str(exc))
            else:
                await self._settle(delivery.id, DeliveryStatus.sent)
                self.sent_total += 1
        return len(rows)

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

    async def deliver(self, notification: Notification, address: str, delivery_id: int) -> None:
        s = self.settings
        message = render_email(notification, delivery_id=delivery_id, sender=s.mail_from, to=address)
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


def sms_text(notification: Notification) -> str:
    """One SMS: the platform's signature, the title and the text (the gateway splits long ones)."""
    return f"【提案办理平台】{notification.title}：{notification.body}"


class SmsSender(ChannelSender):
    """SMS through an HTTP SMS gateway (the government's SMS platform or a carrier's): a POST of
    JSON ``{"to", "text", "reference"}`` with a bearer token; 2xx is sent, a 4xx other than 408
    and 429 is permanent, anything else is retried. ``reference`` lets the gateway drop a repeat."""

    channel = Channel.sms

    def __init__(self, *, database: Database, settings: NotificationSettings) -> None:
        super().__init__(database=database, settings=settings)
        self.client = httpx.AsyncClient(timeout=settings.sms_timeout_s, follow_redirects=False)

    async def close(self) -> None:
        await self.client.aclose()

    def address(self, contact: Contact) -> str | None:
        return contact.phone if contact.phone and contact.sms_enabled else None

    async def deliver(self, notification: Notification, address: str, delivery_id: int) -> None:
        s = self.settings
        assert s.sms_gateway_url is not None
        headers = {"authorization": f"Bearer {s.sms_gateway_token.get_secret_value()}"} if s.sms_gateway_token else {}
        try:
            answer = await self.client.post(
                s.sms_gateway_url,
                json={"to": address, "text": sms_text(notification), "reference": f"delivery-{delivery_id}"},
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise TransientFailure(type(exc).__name__) from None
        if 200 <= answer.status_code < 300:
            return
        if 400 <= answer.status_code < 500 and answer.status_code not in (408, 429):
            raise PermanentFailure(f"SMS gateway {answer.status_code}")
        raise TransientFailure(f"SMS gateway {answer.status_code}")


def _describe(exc: BaseException) -> str:
    """The error without the message's addresses (aiosmtplib puts recipients in some messages)."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__}: SMTP {exc.code}"
    return type(exc).__name__
