"""Web Push (RFC 8030) to the browsers a recipient subscribed, with VAPID (RFC 8292) and
encrypted payloads (RFC 8291, aes128gcm, through pywebpush and http_ece).

A subscription is what the browser's ``PushManager.subscribe`` gave the members' app: the push
service's endpoint URL and the browser's keys. It belongs to the account that made it and
delivers that account's inbox (``member:<id>`` or ``unit:<id>``); one endpoint is one row (a
browser signed in by another account moves to it). A ``push`` delivery row goes to every
subscription of its recipient: sent when one push service accepted it (2xx); a 404 or 410 from
a push service means the browser unsubscribed, and that subscription is deleted; a 429, 5xx or a
network error is retried with the e-mail back-off (then the browsers that had accepted it may
show it twice: at most one repeat per retry, as after a crash, ADR 18); other 4xx are permanent.
The payload is JSON ``{"id", "kind", "title", "body", "proposal_id", "count"}``; the push
service sees only ciphertext, and ``Topic`` is not used so nothing is collapsed.
"""

import base64
import json
import logging
import time
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPusher
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain.delivery import (
    ChannelSender,
    PermanentFailure,
    TransientFailure,
    digest_of,
)
from notification_service.domain.webhooks import TargetRefused, _literal_host_refused, check_target
from notification_service.models import (
    Channel,
    Contact,
    Notification,
    PushSubscription,
    PushSubscriptionCreate,
    PushSubscriptionPublic,
)
from notification_service.settings import NotificationSettings
from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.errors import NotFound, Problem

log = logging.getLogger(__name__)

# A recipient's browsers: more are refused (each one is a request per notification).
MAX_SUBSCRIPTIONS_PER_ACCOUNT = 20


def load_vapid(private_key: str) -> Vapid:
    """The service's VAPID key from PEM or from the raw key in base64url (``vapid --gen`` output)."""
    if "BEGIN" in private_key:
        return Vapid.from_pem(private_key.encode())
    return Vapid.from_string(private_key)


def application_server_key(vapid: Vapid) -> str:
    """The public key as browsers take it (``applicationServerKey``): base64url, no padding."""
    raw = vapid.public_key.public_bytes(
        encoding=serialization.Encoding.X962, format=serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key_of(settings: NotificationSettings) -> str | None:
    if settings.vapid_private_key is None:
        return None
    return application_server_key(load_vapid(settings.vapid_private_key.get_secret_value()))


def _public(row: PushSubscription) -> PushSubscriptionPublic:
    return PushSubscriptionPublic(id=row.id, endpoint=row.endpoint, created_at=row.created_at)


async def subscribe(
    *,
    session: AsyncSession,
    principal: Principal,
    recipient: str,
    data: PushSubscriptionCreate,
    production: bool,
    allow_private: bool,
) -> tuple[PushSubscriptionPublic, bool]:
    """Saves the browser's subscription for the caller; True when it is new."""
    if production and urlsplit(data.endpoint).scheme != "https":
        raise Problem(
            422,
            "insecure_url",
            "Insecure URL",
            "push endpoints must be https",
            errors=[{"field": "endpoint", "message": "use https"}],
        )
    if not allow_private and _literal_host_refused(data.endpoint):
        raise Problem(
            422,
            "private_target",
            "Private Target",
            "the endpoint names a loopback, private or link-local host",
            errors=[{"field": "endpoint", "message": "must be a public push service"}],
        )
    row = (await session.exec(select(PushSubscription).where(PushSubscription.endpoint == data.endpoint))).first()
    created = row is None
    if row is None:
        owned = (
            await session.exec(select(PushSubscription.id).where(PushSubscription.owner == principal.subject))
        ).all()
        if len(owned) >= MAX_SUBSCRIPTIONS_PER_ACCOUNT:
            raise Problem(
                409,
                "too_many_subscriptions",
                "Too Many Subscriptions",
                f"an account has at most {MAX_SUBSCRIPTIONS_PER_ACCOUNT} push subscriptions; remove an old one",
            )
        row = PushSubscription(owner=principal.subject, recipient=recipient, endpoint=data.endpoint, p256dh="", auth="")
    row.owner, row.recipient = principal.subject[:120], recipient
    row.p256dh, row.auth = data.keys.p256dh, data.keys.auth
    session.add(row)
    await session.commit()
    return _public(row), created


async def list_subscriptions(*, session: AsyncSession, principal: Principal) -> list[PushSubscriptionPublic]:
    rows = (
        await session.exec(
            select(PushSubscription)
            .where(PushSubscription.owner == principal.subject)
            .order_by(col(PushSubscription.created_at))
        )
    ).all()
    return [_public(r) for r in rows]


async def unsubscribe(*, session: AsyncSession, principal: Principal, subscription_id: str) -> None:
    row = await session.get(PushSubscription, subscription_id)
    if row is None or row.owner != principal.subject:
        raise NotFound("push subscription", subscription_id)  # another's is as absent as none
    await session.delete(row)
    await session.commit()


async def subscribed(session: AsyncSession, recipients: list[str]) -> set[str]:
    """Which of these recipients have a browser to push to."""
    query = select(PushSubscription.recipient).where(col(PushSubscription.recipient).in_(recipients)).distinct()
    return set((await session.exec(query)).all())


def payload(notification: Notification, digest: list[Notification] | None) -> bytes:
    shown = digest_of(digest) if digest else notification
    return json.dumps(
        {
            "id": notification.id,
            "kind": notification.kind,
            "title": shown.title,
            "body": shown.body,
            "proposal_id": None if digest else notification.proposal_id,
            "count": len(digest) if digest else 1,
        },
        ensure_ascii=False,
    ).encode()


class PushSender(ChannelSender):
    """The push channel's sender loop (see the module docstring)."""

    channel = Channel.push

    def __init__(self, *, database: Database, settings: NotificationSettings) -> None:
        super().__init__(database=database, settings=settings)
        assert settings.vapid_private_key is not None
        self.vapid = load_vapid(settings.vapid_private_key.get_secret_value())
        self.client = httpx.AsyncClient(timeout=settings.push_timeout_s, follow_redirects=False)
        self.gone_total = 0

    async def close(self) -> None:
        await self.client.aclose()

    def address(self, contact: Contact) -> str | None:
        return "push" if contact.push_enabled else None

    async def resolve(self, recipient: str, contact: Contact | None) -> str | None:
        if contact is not None and not contact.push_enabled:
            return None
        async with self.database.session(read_only=True) as session:
            return "push" if await subscribed(session, [recipient]) else None

    def headers(self, endpoint: str, urgent: bool) -> dict[str, str]:
        parts = urlsplit(endpoint)
        claims: dict[str, str | int] = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "sub": self.settings.vapid_subject,
            "exp": int(time.time()) + 12 * 3600,  # RFC 8292: at most 24 hours
        }
        signed = self.vapid.sign(claims)
        return {
            "Authorization": signed["Authorization"],
            "TTL": str(self.settings.push_ttl_s),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Urgency": "high" if urgent else "normal",
        }

    async def deliver(
        self, notification: Notification, address: str, delivery_id: int, *, digest: list[Notification] | None = None
    ) -> None:
        async with self.database.session(read_only=True) as session:
            subscriptions = (
                await session.exec(select(PushSubscription).where(PushSubscription.recipient == notification.recipient))
            ).all()
        if not subscriptions:
            raise PermanentFailure("no push subscription")
        data = payload(notification, digest)
        accepted, transient, gone, errors = 0, 0, [], []
        for sub in subscriptions:
            try:
                await check_target(sub.endpoint, allow_private=self.settings.push_allow_private_targets)
                body = WebPusher({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}).encode(
                    data, content_encoding="aes128gcm"
                )["body"]
                answer = await self.client.post(
                    sub.endpoint,
                    content=body,
                    headers=self.headers(sub.endpoint, notification.kind == "assignment_overdue"),
                )
            except TargetRefused:
                errors.append("push endpoint refused: not a public address")
                continue
            except httpx.HTTPError as exc:
                transient += 1
                errors.append(type(exc).__name__)
                continue
            code = answer.status_code
            if 200 <= code < 300:
                accepted += 1
            elif code in (404, 410):
                gone.append(sub.id)
                errors.append(f"push service {code}: subscription removed")
            elif code in (408, 429) or code >= 500:
                transient += 1
                errors.append(f"push service {code}")
            else:
                errors.append(f"push service {code}")
        if gone:
            async with self.database.session() as session:
                await session.exec(delete(PushSubscription).where(col(PushSubscription.id).in_(gone)))
                await session.commit()
            self.gone_total += len(gone)
        if accepted:
            return
        if transient:
            raise TransientFailure("; ".join(errors)[:1000])
        raise PermanentFailure("; ".join(errors)[:1000] or "no push subscription")
