"""Tables and API schemas of the notification service.

Recipients are addresses, not accounts (accounts live in the gateway): ``member:<member_id>``
or ``unit:<unit_id>``. The inbox API finds the caller's address from their token's claims.
"""

import base64
import re
import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import (
    BeforeValidator,
    EmailStr,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.db import UTCDateTime, utcnow

# --- what this service knows of the items (its own projection of proposal events) -------------


class ItemInfo(SQLModel, table=True):
    """Who filed an item and what it is called: the events after submission do not say."""

    __tablename__ = "item_info"

    proposal_id: str = Field(primary_key=True, max_length=36)
    body_id: str = Field(max_length=36)
    title: str | None = Field(default=None, max_length=500)
    number_label: str | None = Field(default=None, max_length=50)
    lead_member_id: str | None = Field(default=None, max_length=36)
    cosigner_member_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # proposal.key_marked: a key item (重点提案) and its supervising leader, for the leaders' digest.
    key: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    supervising_leader: str | None = Field(default=None, max_length=200)


class AssignmentInfo(SQLModel, table=True):
    """What the daily digests of staff and leaders list: each assignment, whether the overdue
    scanner has called it overdue, and whether it is done (replied, or moved to another unit)."""

    __tablename__ = "assignment_info"
    __table_args__ = (Index("ix_assignment_info_body_overdue", "body_id", "overdue", "done"),)

    assignment_id: str = Field(primary_key=True, max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    body_id: str = Field(max_length=36)
    unit_id: str = Field(max_length=36)
    unit_name: str | None = Field(default=None, max_length=200)
    due_date: date | None = None
    overdue: bool = False
    done: bool = False


class PendingRequest(SQLModel, table=True):
    """A unit's adjustment or extension request waiting for the body's staff
    (assignment.adjustment_requested, assignment.extension_requested), until it is decided."""

    __tablename__ = "pending_request"

    request_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20)  # adjustment | extension
    assignment_id: str = Field(max_length=36)
    proposal_id: str = Field(max_length=36, index=True)
    body_id: str = Field(max_length=36, index=True)
    unit_id: str = Field(max_length=36)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    requested_due_date: date | None = None  # an extension's


# --- notifications (the in-app inbox) ---------------------------------------------------------


class Channel(StrEnum):
    inbox = "inbox"
    email = "email"
    sms = "sms"
    push = "push"  # Web Push (VAPID) to the recipient's subscribed browsers


class NotificationKind(StrEnum):
    """What a notification tells: the kinds the service writes (domain/messages.py), the unit of
    a recipient's preferences and of the SMS templates (domain/sms.py)."""

    proposal_registered = "proposal_registered"
    proposal_declined = "proposal_declined"
    proposal_merged = "proposal_merged"
    proposal_withdrawn = "proposal_withdrawn"
    proposal_assigned = "proposal_assigned"
    proposal_reassigned = "proposal_reassigned"
    assignment_created = "assignment_created"
    adjustment_approved = "adjustment_approved"
    adjustment_refused = "adjustment_refused"
    extension_approved = "extension_approved"
    extension_refused = "extension_refused"
    assignment_due_soon = "assignment_due_soon"
    assignment_overdue = "assignment_overdue"
    assignment_reopened = "assignment_reopened"
    reply_sent_back = "reply_sent_back"
    co_opinion_received = "co_opinion_received"
    reply_arrived = "reply_arrived"
    rating_deadline = "rating_deadline"
    rehandling_opened = "rehandling_opened"
    cosign_invited = "cosign_invited"
    cosign_deadline = "cosign_deadline"
    cosign_accepted = "cosign_accepted"
    cosign_declined = "cosign_declined"
    ballot_opened = "ballot_opened"
    staff_daily_digest = "staff_daily_digest"
    leader_daily_digest = "leader_daily_digest"


class Notification(SQLModel, table=True):
    """One message in one recipient's in-app inbox. At most one per (event, recipient): the
    unique constraint makes a replayed or redelivered event harmless even past the inbox table."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", name="uq_notification_event_recipient"),
        Index("ix_notification_recipient_seq", "recipient", "seq"),
    )

    # Autoincrementing: the order of the inbox and the position the live stream resumes from.
    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), max_length=36, unique=True)
    recipient: str = Field(max_length=80)
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=100)
    kind: str = Field(max_length=50)
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    proposal_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationPublic(SQLModel):
    id: str
    kind: str = Field(description="what happened, e.g. proposal_registered, assignment_created")
    title: str
    body: str
    proposal_id: str | None
    created_at: datetime
    read_at: datetime | None
    read: bool


def public_notification(n: Notification) -> NotificationPublic:
    return NotificationPublic(
        id=n.id,
        kind=n.kind,
        title=n.title,
        body=n.body,
        proposal_id=n.proposal_id,
        created_at=n.created_at,
        read_at=n.read_at,
        read=n.read_at is not None,
    )


class UnreadCount(SQLModel):
    unread: int


class MarkedRead(SQLModel):
    marked: int = Field(description="how many notifications this call marked read")


# --- contacts (where to reach a recipient outside the app) ------------------------------------


class Contact(SQLModel, table=True):
    """A recipient's e-mail address and phone number, set by the recipient or an administrator
    (ADR 10). Never logged; masked in answers to anyone else."""

    __tablename__ = "contact"

    recipient: str = Field(primary_key=True, max_length=80)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    email_enabled: bool = True
    # SMS costs the body money and reaches people anywhere: sent only when turned on.
    sms_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Web Push to the browsers the recipient subscribed (on unless turned off here).
    push_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    # Quiet hours (the service's time zone): e-mail and SMS wait until they end; the inbox does not.
    quiet_start: time | None = None
    quiet_end: time | None = None
    # Per kind, the channels the recipient turned off for it ({"assignment_created": ["sms"]}).
    muted: dict[str, list[str]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default=sa.text("'{}'"))
    )
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    updated_by: str = Field(max_length=120)


def _clock_time(value: object) -> object:
    """A local time of day given as HH:MM (the API's form; not seconds, not an offset); a time
    object (from code) passes through."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _HH_MM.fullmatch(value):
        raise ValueError("a time of day as HH:MM, e.g. 22:00")
    return time(int(value[:2]), int(value[3:]))


_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
# A local time of day in the service's time zone, written HH:MM both ways: JSON Schema's
# "format: time" would require a UTC offset, which a daily window in local time does not have.
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": f"^{_HH_MM.pattern}$", "examples": ["22:00"]}),
]


def _check_window(start: time | None, end: time | None, names: str) -> None:
    """A quiet-hours window: both ends or neither, and not empty."""
    if (start is None) != (end is None) or (start is not None and start == end):
        raise ValueError(f"{names} go together and differ")


Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{5,19}$")]


class ContactUpdate(SQLModel):
    email: EmailStr | None = None
    phone: Phone | None = None
    email_enabled: bool = True
    sms_enabled: bool = Field(default=False, description="SMS to the phone number (off unless turned on)")
    push_enabled: bool = Field(default=True, description="Web Push to the browsers this recipient subscribed")
    quiet_start: ClockTime | None = Field(default=None, description="免打扰 from, e.g. 22:00 (the service's time zone)")
    quiet_end: ClockTime | None = Field(
        default=None, description="免打扰 until, e.g. 07:30; may be earlier than the start"
    )
    muted: dict[NotificationKind, list[Channel]] = Field(
        default_factory=dict,
        description="per notification kind, the channels turned off for it (the in-app inbox cannot be)",
    )

    @model_validator(mode="after")
    def _quiet_hours_in_pairs(self) -> "ContactUpdate":
        _check_window(self.quiet_start, self.quiet_end, "quiet_start and quiet_end")
        return self

    @field_validator("muted")
    @classmethod
    def _inbox_stays(cls, muted: dict[NotificationKind, list[Channel]]) -> dict[NotificationKind, list[Channel]]:
        if any(Channel.inbox in channels for channels in muted.values()):
            raise ValueError("the in-app inbox cannot be turned off; mute email, sms or push")
        return muted


class ContactPublic(SQLModel):
    recipient: str
    email: str | None
    phone: str | None
    email_enabled: bool
    sms_enabled: bool
    push_enabled: bool = True
    quiet_start: ClockTime | None
    quiet_end: ClockTime | None
    muted: dict[str, list[str]] = Field(default_factory=dict)
    masked: bool = Field(description="true when the caller is neither the recipient nor an administrator")
    updated_at: datetime


class BodyQuietHours(SQLModel, table=True):
    """A body's SMS quiet hours (the service's time zone): no SMS of its items, staff or leaders
    inside them, whatever the recipient's own hours, except an overdue escalation. Without a row
    the service's default holds (22:00-08:00, ``NOTIFICATION_SMS_QUIET_START``/``_END``)."""

    __tablename__ = "body_quiet_hours"

    body_id: str = Field(primary_key=True, max_length=36)
    # Both None: the body turned its SMS quiet hours off.
    sms_quiet_start: time | None = None
    sms_quiet_end: time | None = None
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    updated_by: str = Field(max_length=120)


class BodyQuietHoursUpdate(SQLModel):
    sms_quiet_start: ClockTime | None = Field(description="no SMS from, e.g. 22:00; null with the end: none")
    sms_quiet_end: ClockTime | None = Field(description="until, e.g. 08:00; may be earlier than the start")

    @model_validator(mode="after")
    def _in_pairs(self) -> "BodyQuietHoursUpdate":
        _check_window(self.sms_quiet_start, self.sms_quiet_end, "sms_quiet_start and sms_quiet_end")
        return self


class BodyQuietHoursPublic(BodyQuietHoursUpdate):
    body_id: str
    default: bool = Field(description="true when the body set none and the service's default holds")


# --- deliveries (channels outside the app) ----------------------------------------------------


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up: a permanent error or too many attempts
    skipped = "skipped"  # nowhere to send it any more (the contact was removed or turned off)


class Delivery(SQLModel, table=True):
    """One notification to send on one channel, written in the transaction that applies the
    event. The address is read from ``contact`` when sending, so none is copied here."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel", name="uq_delivery_event_recipient_channel"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
        Index("ix_delivery_recipient_sent", "recipient", "channel", "sent_at"),  # the hourly cap
    )

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(max_length=36)
    event_id: str = Field(max_length=64)
    recipient: str = Field(max_length=80)
    channel: Channel = Field(sa_type=String(20))
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=String(20))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    # The per-row lease of the sender that claimed it (see domain/delivery.py).
    locked_by: str | None = Field(default=None, max_length=64)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Sent inside one digest message with others (domain/delivery.py): the id of the delivery
    # whose message carried it (that row's own id on the row itself); None when sent alone.
    digest_id: int | None = None


# --- Web Push subscriptions (the members' app in a browser) ----------------------------------


class PushSubscription(SQLModel, table=True):
    """A browser's push subscription (PushManager.subscribe), belonging to the account that made
    it and delivering that account's inbox. The keys encrypt each payload (RFC 8291)."""

    __tablename__ = "push_subscription"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    owner: str = Field(max_length=120, index=True, description="the account (token subject) that subscribed")
    recipient: str = Field(max_length=80, index=True)
    endpoint: str = Field(max_length=2000, sa_column_kwargs={"unique": True})
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


B64Url = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+={0,2}$", min_length=16, max_length=200)]


class PushKeys(SQLModel):
    p256dh: B64Url = Field(description="the browser's P-256 public key, base64url (65 bytes decoded)")
    auth: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+={0,2}$", min_length=16, max_length=100)]


class PushSubscriptionCreate(SQLModel):
    """What ``PushSubscription.toJSON()`` gives in the browser (expirationTime is ignored)."""

    endpoint: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/$.?#].[^\s]*$", max_length=2000)]
    keys: PushKeys
    expirationTime: int | None = None  # the browser's own field name

    @field_validator("endpoint")
    @classmethod
    def _parsable(cls, value: str) -> str:
        parts = urlsplit(value)
        _ = parts.port
        if not parts.hostname:
            raise ValueError("the URL names no host")
        return value

    @field_validator("keys")
    @classmethod
    def _p256_point(cls, keys: PushKeys) -> PushKeys:
        raw = base64.urlsafe_b64decode(keys.p256dh + "=" * (-len(keys.p256dh) % 4))
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("keys.p256dh is not an uncompressed P-256 public key")
        return keys


class PushSubscriptionPublic(SQLModel):
    id: str
    endpoint: str
    created_at: datetime


class VapidPublicKey(SQLModel):
    public_key: str | None = Field(
        description="applicationServerKey for PushManager.subscribe (base64url); null: Web Push is off"
    )


# --- webhooks (other government systems) ------------------------------------------------------


class WebhookSubscription(SQLModel, table=True):
    """Another system's endpoint for events, registered with its API key (or by an administrator).
    The secret signs each delivery (HMAC-SHA256); it is shown once, when the subscription is made,
    and kept here because signing needs it."""

    __tablename__ = "webhook_subscription"
    # an administrator's list pages through all of them in this order (GET /webhooks)
    __table_args__ = (Index("ix_webhook_subscription_created_at_id", "created_at", "id"),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    owner: str = Field(max_length=120, index=True, description="the token subject that made it")
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=100)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class WebhookCreate(SQLModel):
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/$.?#].[^\s]*$", max_length=2000)]
    event_types: list[Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z_]+$", max_length=100)]] = Field(
        default_factory=list, max_length=50, description="the event types to send; empty: every one this service reads"
    )

    @field_validator("url")
    @classmethod
    def _parsable(cls, value: str) -> str:
        # The pattern lets through what urlsplit refuses (e.g. "http://[" : an invalid IPv6 host);
        # the sender parses it again, so it must be a 422 here, not a 500 later.
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a port out of range or not a number
        if not parts.hostname:
            raise ValueError("the URL names no host")
        return value


class WebhookPublic(SQLModel):
    id: str
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="shown this once: verify X-Webhook-Signature with it")


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription; the body is the event's CloudEvent as it was consumed."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_subscription_event"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str = Field(max_length=36, index=True)
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=String(20))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    locked_by: str | None = Field(default=None, max_length=64)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDeliveryPublic(SQLModel):
    id: int
    subscription_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


# --- reminders (the scheduler's own work list) -------------------------------------------------


class ReminderStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    cancelled = "cancelled"  # answered, rated, or its deadline passed before it was due


class Reminder(SQLModel, table=True):
    """A notification to write on a later day (e.g. a working day before a deadline), planned when
    the event that starts the clock arrives. One per (item, recipient, kind, day)."""

    __tablename__ = "scheduled_reminder"
    __table_args__ = (
        UniqueConstraint("proposal_id", "recipient", "kind", "day", name="uq_reminder_item_recipient_kind_day"),
        Index("ix_scheduled_reminder_due", "status", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: str = Field(max_length=36)
    recipient: str = Field(max_length=80)
    kind: str = Field(max_length=40)
    day: date  # written on this local day (or the first scan after it)
    until: date  # not after this local day: the deadline itself
    ref: str | None = Field(default=None, max_length=36)  # what cancels it, e.g. the replying unit
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: ReminderStatus = Field(default=ReminderStatus.pending, sa_type=String(16))
