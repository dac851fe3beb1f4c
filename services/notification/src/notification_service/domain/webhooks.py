"""Signed webhooks for other government systems.

A system registers an endpoint with its API key (role ``system`` at this service) or an
administrator does it for one. Each consumed event a subscription asks for becomes a
``webhook_delivery`` row in the event's own transaction (at most one per subscription and
event), and a sender loop POSTs it, claimed and leased per row like e-mail (domain/delivery.py).

The request body is the event's CloudEvent (JSON) exactly as consumed. The signature header is
``X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``; the
receiver recomputes it and rejects an old ``t`` to stop replays. A 2xx answer delivers it; any
other answer or a network error is retried with back-off, up to ``webhook_max_attempts``; a
410 Gone ends it at once. Deliveries are listed for their owner and may be sent again.
"""

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import secrets
import socket
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain.delivery import backoff, claim_rows
from notification_service.models import (
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookPublic,
    WebhookSubscription,
)
from notification_service.settings import NotificationSettings
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import Database, utcnow
from servicekit.errors import NotFound, Problem
from servicekit.events import EventEnvelope
from servicekit.pagination import paginate

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Webhook-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None, tolerance_s: float = 300) -> bool:
    """What a receiver does (and the tests): the signature matches and is recent."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={fields.get('v1', '')}")


class TargetRefused(Exception):
    """The webhook URL leads to an address this service does not send to."""


def _public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


async def check_target(url: str, *, allow_private: bool) -> None:
    """Refuses URLs whose host is, or resolves to, a non-public address (loopback, private,
    link-local, ...). Checked when sending, as DNS answers change; a name that resolves
    differently between this check and the connection (DNS rebinding) is not caught."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise TargetRefused(f"the host does not resolve ({type(exc).__name__})") from None
    if not infos or not all(_public_address(str(info[4][0])) for info in infos):
        raise TargetRefused("the host is not a public address")


def _literal_host_refused(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not _public_address(host)
    except ValueError:
        return False  # a name: checked when sending


# The API-key scope that opens webhooks; checked here too, not only at the gateway (ADR 6: a
# service trusts the token's claims, not the path the request came by).
WEBHOOK_SCOPE = "webhooks:manage"


def _manager(principal: Principal) -> str:
    if principal.role not in (Role.system, Role.admin):
        raise forbidden("webhooks are for other systems (API keys) and administrators")
    if principal.role == Role.system and WEBHOOK_SCOPE not in principal.scopes:
        raise forbidden(f"this API key lacks the {WEBHOOK_SCOPE} scope")
    return principal.subject


def _public(row: WebhookSubscription) -> WebhookPublic:
    return WebhookPublic(
        id=row.id, url=row.url, event_types=row.event_types, active=row.active, created_at=row.created_at
    )


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    data: WebhookCreate,
    known_types: set[str],
    production: bool,
    allow_private: bool,
) -> WebhookCreated:
    owner = _manager(principal)
    unknown = sorted(set(data.event_types) - known_types)
    if unknown:
        raise Problem(
            422,
            "unknown_event_type",
            "Unknown Event Type",
            f"this service does not send {', '.join(unknown)}",
            errors=[{"field": "event_types", "message": f"known: {', '.join(sorted(known_types))}"}],
        )
    if production and not data.url.startswith("https://"):
        raise Problem(
            422,
            "insecure_url",
            "Insecure URL",
            "webhook URLs must use https",
            errors=[{"field": "url", "message": "use https"}],
        )
    if not allow_private and _literal_host_refused(data.url):
        raise Problem(
            422,
            "webhook_target_refused",
            "Webhook Target Refused",
            "webhook URLs must lead to a public address",
            errors=[{"field": "url", "message": "loopback, private and link-local addresses are refused"}],
        )
    row = WebhookSubscription(
        owner=owner, url=data.url, event_types=sorted(set(data.event_types)), secret=secrets.token_urlsafe(32)
    )
    session.add(row)
    await session.commit()
    return WebhookCreated(**_public(row).model_dump(), secret=row.secret)


async def list_subscriptions(
    *, session: AsyncSession, principal: Principal, cursor: str | None, limit: int
) -> tuple[list[WebhookPublic], str | None]:
    """The caller's subscriptions (an administrator's: all), oldest first, a page at a time."""
    owner = _manager(principal)
    query = select(WebhookSubscription)
    if principal.role != Role.admin:
        query = query.where(WebhookSubscription.owner == owner)
    keys = (col(WebhookSubscription.created_at), col(WebhookSubscription.id))
    rows, next_cursor = await paginate(session, query, keys=keys, types=(datetime, str), cursor=cursor, limit=limit)
    return [_public(r) for r in rows], next_cursor


async def _own_subscription(session: AsyncSession, principal: Principal, subscription_id: str) -> WebhookSubscription:
    owner = _manager(principal)
    row = await session.get(WebhookSubscription, subscription_id)
    if row is None or (principal.role != Role.admin and row.owner != owner):
        raise NotFound("webhook", subscription_id)
    return row


def _delivery_public(row: WebhookDelivery) -> WebhookDeliveryPublic:
    assert row.id is not None
    return WebhookDeliveryPublic.model_validate(row, from_attributes=True)


async def list_deliveries(
    *, session: AsyncSession, principal: Principal, subscription_id: str, cursor: str | None, limit: int
) -> tuple[list[WebhookDeliveryPublic], str | None]:
    """A subscription's deliveries, newest first, a page at a time."""
    await _own_subscription(session, principal, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    rows, next_cursor = await paginate(
        session, query, keys=(col(WebhookDelivery.id),), types=(int,), cursor=cursor, limit=limit, descending=True
    )
    return [_delivery_public(r) for r in rows], next_cursor


async def redeliver(
    *, session: AsyncSession, principal: Principal, subscription_id: str, delivery_id: int
) -> WebhookDeliveryPublic:
    """Sends a delivery again (e.g. after the receiver lost it or was fixed), with fresh attempts."""
    await _own_subscription(session, principal, subscription_id)
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None or row.subscription_id != subscription_id:
        raise NotFound("webhook delivery", str(delivery_id))
    row.status = DeliveryStatus.pending
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.locked_by = None
    row.locked_until = None
    session.add(row)
    await session.commit()
    return _delivery_public(row)


async def enqueue(session: AsyncSession, envelope: EventEnvelope) -> None:
    """Queues ``envelope`` for every active subscription that asks for its type, in the
    transaction that applies it; a replayed event finds its rows there and adds none."""
    subscriptions = (
        await session.exec(select(WebhookSubscription).where(col(WebhookSubscription.active).is_(True)))
    ).all()
    wanted = [s for s in subscriptions if not s.event_types or envelope.type in s.event_types]
    if not wanted:
        return
    existing = set(
        (
            await session.exec(select(WebhookDelivery.subscription_id).where(WebhookDelivery.event_id == envelope.id))
        ).all()
    )
    body = envelope.model_dump_json()
    for s in wanted:
        if s.id not in existing:
            session.add(
                WebhookDelivery(subscription_id=s.id, event_id=envelope.id, event_type=envelope.type, body=body)
            )


class WebhookSender:
    """The webhook sender loop of one replica."""

    def __init__(self, *, database: Database, settings: NotificationSettings) -> None:
        self.database = database
        self.settings = settings
        self.holder = f"webhooks-{uuid.uuid4().hex[:12]}"
        self.client = httpx.AsyncClient(timeout=settings.webhook_timeout_s, follow_redirects=False)

    async def close(self) -> None:
        await self.client.aclose()

    async def run(self) -> None:
        while True:
            try:
                done = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a database outage
                log.warning("webhook sender cannot run: %s", type(exc).__name__)
                done = 0
            if not done:
                await asyncio.sleep(self.settings.delivery_poll_interval_s)

    async def send_due(self) -> int:
        s = self.settings
        ids = await claim_rows(
            self.database,
            WebhookDelivery,
            holder=self.holder,
            lease_s=max(s.delivery_lease_s, s.webhook_timeout_s * 2),
            limit=s.delivery_batch_size,
        )
        if not ids:
            return 0
        async with self.database.session(read_only=True) as session:
            rows = (
                await session.exec(
                    select(WebhookDelivery, WebhookSubscription)
                    .join(WebhookSubscription, col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id))
                    .where(col(WebhookDelivery.id).in_(ids), WebhookDelivery.locked_by == self.holder)
                )
            ).all()
        for delivery, subscription in rows:
            assert delivery.id is not None
            await self._send(delivery.id, delivery.event_id, delivery.event_type, delivery.body, subscription)
        return len(rows)

    async def _send(
        self, delivery_id: int, event_id: str, event_type: str, body: str, subscription: WebhookSubscription
    ) -> None:
        content = body.encode()
        headers = {
            "content-type": "application/cloudevents+json",
            SIGNATURE_HEADER: sign(subscription.secret, content, int(time.time())),
            "X-Webhook-Id": subscription.id,
            "X-Webhook-Delivery": str(delivery_id),
            "X-Event-Id": event_id,
            "X-Event-Type": event_type,
        }
        status: int | None = None
        error: str | None = None
        refused = False
        try:
            await check_target(subscription.url, allow_private=self.settings.webhook_allow_private_targets)
            answer = await self.client.post(subscription.url, content=content, headers=headers)
            status = answer.status_code
        except TargetRefused as exc:
            error, refused = str(exc), True
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        async with self.database.session() as session:
            row = await session.get(WebhookDelivery, delivery_id)
            if row is None or row.locked_by != self.holder:
                return  # the lease ran out and another sender took it over
            row.attempts += 1
            row.last_status_code = status
            row.locked_by = None
            row.locked_until = None
            if status is not None and 200 <= status < 300:
                row.status = DeliveryStatus.sent
                row.delivered_at = utcnow()
                row.last_error = None
            else:
                row.last_error = error or f"HTTP {status}"
                if refused or status == 410 or row.attempts >= self.settings.webhook_max_attempts:
                    row.status = DeliveryStatus.failed
                else:
                    delay = backoff(
                        row.attempts,
                        base_s=self.settings.delivery_backoff_base_s,
                        max_s=self.settings.delivery_backoff_max_s,
                    )
                    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            session.add(row)
            await session.commit()
