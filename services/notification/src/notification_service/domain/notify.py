"""Storing notifications: the inbox rows and their deliveries, in the event's transaction."""

import asyncio
import weakref

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain.messages import UNKNOWN_ITEM, Draft, Item
from notification_service.models import Channel, Contact, Delivery, ItemInfo, Notification, PushSubscription

_WOKEN = "notification_recipients"


async def item_of(session: AsyncSession, proposal_id: str) -> Item:
    row = await session.get(ItemInfo, proposal_id)
    if row is None:
        return UNKNOWN_ITEM
    return Item(row.title, row.number_label, row.lead_member_id, tuple(row.cosigner_member_ids))


async def remember_item(
    session: AsyncSession,
    *,
    proposal_id: str,
    body_id: str,
    title: str | None,
    lead_member_id: str | None,
    cosigner_member_ids: list[str],
    number_label: str | None = None,
) -> None:
    row = await session.get(ItemInfo, proposal_id)
    if row is None:
        row = ItemInfo(proposal_id=proposal_id, body_id=body_id)
    row.title = title or row.title
    row.number_label = number_label or row.number_label
    row.lead_member_id = lead_member_id or row.lead_member_id
    row.cosigner_member_ids = list(cosigner_member_ids) or row.cosigner_member_ids
    session.add(row)


async def store(session: AsyncSession, *, event_id: str, event_type: str, drafts: list[Draft]) -> list[Notification]:
    """Writes each draft once: a recipient who already has this event's notification (a replay
    past the inbox's retention) is skipped. A delivery is queued per channel the recipient has
    enabled (e-mail, SMS, Web Push), in the same transaction."""
    if not drafts:
        return []
    existing = set((await session.exec(select(Notification.recipient).where(Notification.event_id == event_id))).all())
    fresh: list[Draft] = []
    for d in drafts:  # one per recipient, the first wins
        if d.recipient not in existing:
            existing.add(d.recipient)
            fresh.append(d)
    if not fresh:
        return []
    recipients = [d.recipient for d in fresh]
    contacts = {
        c.recipient: c
        for c in (await session.exec(select(Contact).where(col(Contact.recipient).in_(recipients)))).all()
    }
    browsers = set(
        (
            await session.exec(
                select(PushSubscription.recipient).where(col(PushSubscription.recipient).in_(recipients)).distinct()
            )
        ).all()
    )
    stored = []
    for d in fresh:
        n = Notification(
            recipient=d.recipient,
            event_id=event_id,
            event_type=event_type,
            kind=d.kind,
            title=d.title,
            body=d.body,
            proposal_id=d.proposal_id or None,
        )
        session.add(n)
        stored.append(n)
        contact = contacts.get(d.recipient)
        for channel in _channels(contact, d.kind, pushed=d.recipient in browsers):
            session.add(Delivery(notification_id=n.id, event_id=event_id, recipient=d.recipient, channel=channel))
    woken: set[str] = session.sync_session.info.setdefault(_WOKEN, set())
    woken.update(recipients)
    return stored


def _channels(contact: Contact | None, kind: str, *, pushed: bool = False) -> list[Channel]:
    """The channels outside the app this recipient may be reached on for this kind (``pushed``: a
    browser of theirs is subscribed to Web Push, which is on unless their contact turns it off);
    the kinds they muted on a channel stay in the inbox only."""
    if contact is None:
        return [Channel.push] if pushed else []
    channels = [Channel.push] if pushed and contact.push_enabled else []
    if contact.email and contact.email_enabled:
        channels.append(Channel.email)
    if contact.phone and contact.sms_enabled:
        channels.append(Channel.sms)
    muted = contact.muted.get(kind, [])
    return [c for c in channels if c not in muted]


class LiveHub:
    """Wakes the live streams of this process when a notification for their recipient commits.
    Streams also poll, so notifications written by other replicas reach them too."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        _hubs.add(self)

    def listen(self, recipient: str) -> asyncio.Event:
        self._loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        self._waiters.setdefault(recipient, set()).add(wake)
        return wake

    def forget(self, recipient: str, wake: asyncio.Event) -> None:
        waiters = self._waiters.get(recipient)
        if waiters is not None:
            waiters.discard(wake)
            if not waiters:
                del self._waiters[recipient]

    def wake(self, recipients: set[str]) -> None:
        for r in recipients:
            for w in self._waiters.get(r, ()):
                w.set()


_hubs: "weakref.WeakSet[LiveHub]" = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _wake_streams(session: Session) -> None:
    recipients = session.info.pop(_WOKEN, None)
    if recipients:
        for hub in list(_hubs):
            hub.wake(recipients)


@event.listens_for(Session, "after_rollback")
def _forget_woken(session: Session) -> None:
    session.info.pop(_WOKEN, None)
