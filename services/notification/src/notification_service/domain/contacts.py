"""Recipients' contact data (ADR 10): set by the recipient themself or by an administrator;
shown in full to them only, masked to staff; never written to the log."""

import re
from datetime import time

from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.models import (
    BodyQuietHours,
    BodyQuietHoursPublic,
    BodyQuietHoursUpdate,
    Contact,
    ContactPublic,
    ContactUpdate,
)
from notification_service.settings import NotificationSettings
from servicekit.auth import Principal, Role, forbidden
from servicekit.db import utcnow
from servicekit.errors import NotFound, Problem

_RECIPIENT = re.compile(r"^(member|unit|staff|leader):[A-Za-z0-9_.-]{1,72}$")


def check_recipient(recipient: str) -> str:
    if not _RECIPIENT.match(recipient):
        raise Problem(
            422,
            "invalid_recipient",
            "Invalid Recipient",
            "recipient must be member:<member_id>, unit:<unit_id>, staff:<body_id> or leader:<body_id>",
            errors=[{"field": "recipient", "message": "expected member:<id>, unit:<id>, staff:<id> or leader:<id>"}],
        )
    return recipient


def owns(principal: Principal, recipient: str) -> bool:
    if principal.role == Role.member and principal.member_id:
        return recipient == f"member:{principal.member_id}"
    if principal.role == Role.unit_staff and principal.unit_id:
        return recipient == f"unit:{principal.unit_id}"
    if principal.role == Role.staff and principal.body_id:
        return recipient == f"staff:{principal.body_id}"
    if principal.role == Role.leader and principal.body_id:
        return recipient == f"leader:{principal.body_id}"
    return False


def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def public(contact: Contact, principal: Principal) -> ContactPublic:
    full = principal.role == Role.admin or owns(principal, contact.recipient)
    return ContactPublic(
        recipient=contact.recipient,
        email=contact.email if full or contact.email is None else mask_email(contact.email),
        phone=contact.phone if full or contact.phone is None else mask_phone(contact.phone),
        email_enabled=contact.email_enabled,
        sms_enabled=contact.sms_enabled,
        push_enabled=contact.push_enabled,
        quiet_start=contact.quiet_start,
        quiet_end=contact.quiet_end,
        muted=contact.muted,
        masked=not full,
        updated_at=contact.updated_at,
    )


def _may_read(principal: Principal, recipient: str) -> bool:
    return principal.role in (Role.admin, Role.staff, Role.leader) or owns(principal, recipient)


async def get_contact(*, session: AsyncSession, principal: Principal, recipient: str) -> ContactPublic:
    check_recipient(recipient)
    if not _may_read(principal, recipient):
        raise forbidden("only the recipient, staff and administrators see contact data")
    row = await session.get(Contact, recipient)
    if row is None:
        raise NotFound("contact", recipient)
    return public(row, principal)


async def set_contact(
    *, session: AsyncSession, principal: Principal, recipient: str, data: ContactUpdate
) -> tuple[ContactPublic, bool]:
    """Creates or replaces the contact; True when created."""
    check_recipient(recipient)
    if not (principal.role == Role.admin or owns(principal, recipient)):
        raise forbidden("only the recipient and administrators set contact data")
    row = await session.get(Contact, recipient)
    created = row is None
    row = row or Contact(recipient=recipient, updated_by=principal.actor)
    row.email = str(data.email).lower() if data.email else None
    row.phone = data.phone
    row.email_enabled = data.email_enabled
    row.sms_enabled = data.sms_enabled and data.phone is not None
    row.push_enabled = data.push_enabled
    row.quiet_start, row.quiet_end = data.quiet_start, data.quiet_end
    row.muted = {str(kind): sorted({str(c) for c in channels}) for kind, channels in data.muted.items() if channels}
    row.updated_at = utcnow()
    row.updated_by = principal.actor[:120]
    session.add(row)
    await session.commit()
    return public(row, principal), created


# --- a body's SMS quiet hours -----------------------------------------------------------------


def sms_window(row: BodyQuietHours | None, settings: NotificationSettings) -> tuple[time | None, time | None]:
    """The body's SMS quiet hours: its own, or the service's default when it set none."""
    if row is None:
        return settings.sms_quiet_start, settings.sms_quiet_end
    return row.sms_quiet_start, row.sms_quiet_end


def _quiet_hours_view(body_id: str, row: BodyQuietHours | None, settings: NotificationSettings) -> BodyQuietHoursPublic:
    start, end = sms_window(row, settings)
    if start == end:
        start = end = None
    return BodyQuietHoursPublic(body_id=body_id, sms_quiet_start=start, sms_quiet_end=end, default=row is None)


async def get_body_quiet_hours(
    *, session: AsyncSession, settings: NotificationSettings, body_id: str
) -> BodyQuietHoursPublic:
    return _quiet_hours_view(body_id, await session.get(BodyQuietHours, body_id), settings)


async def set_body_quiet_hours(
    *,
    session: AsyncSession,
    settings: NotificationSettings,
    principal: Principal,
    body_id: str,
    data: BodyQuietHoursUpdate,
) -> BodyQuietHoursPublic:
    """The body's committee staff and administrators set them (leaders and others read them)."""
    if not (principal.role == Role.admin or (principal.role == Role.staff and principal.body_id == body_id)):
        raise forbidden("only the body's committee staff and administrators set its SMS quiet hours")
    row = await session.get(BodyQuietHours, body_id) or BodyQuietHours(body_id=body_id, updated_by=principal.actor)
    row.sms_quiet_start, row.sms_quiet_end = data.sms_quiet_start, data.sms_quiet_end
    row.updated_at = utcnow()
    row.updated_by = principal.actor[:120]
    session.add(row)
    await session.commit()
    return _quiet_hours_view(body_id, row, settings)
