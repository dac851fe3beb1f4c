"""Where a recipient is reached outside the app (ADR 10)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from notification_service.api.deps import settings_of
from notification_service.domain import contacts, inbox
from notification_service.models import BodyQuietHoursPublic, BodyQuietHoursUpdate, ContactPublic, ContactUpdate
from servicekit.auth import Role, SignedInDep, forbidden
from servicekit.runtime import SessionDep

router = APIRouter(tags=["contacts"])

# A body's id as the other services make them (a UUID): longer is a 422, not a database error.
BodyId = Annotated[str, Path(max_length=36)]


@router.get("/notifications/contact", operation_id="get_my_contact", response_model=ContactPublic)
async def get_my_contact(session: SessionDep, principal: SignedInDep) -> ContactPublic:
    return await contacts.get_contact(session=session, principal=principal, recipient=inbox.recipient_of(principal))


@router.put("/notifications/contact", operation_id="set_my_contact", response_model=ContactPublic)
async def set_my_contact(
    data: ContactUpdate, session: SessionDep, principal: SignedInDep, response: Response
) -> ContactPublic:
    """我的联系方式: the e-mail address (and phone) notifications are sent to."""
    view, created = await contacts.set_contact(
        session=session, principal=principal, recipient=inbox.recipient_of(principal), data=data
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return view


@router.get("/recipients/{recipient}/contact", operation_id="get_recipient_contact", response_model=ContactPublic)
async def get_contact(recipient: str, session: SessionDep, principal: SignedInDep) -> ContactPublic:
    """A recipient's contact: in full for themself and administrators, masked for staff."""
    return await contacts.get_contact(session=session, principal=principal, recipient=recipient)


@router.put("/recipients/{recipient}/contact", operation_id="set_recipient_contact", response_model=ContactPublic)
async def set_contact(
    recipient: str, data: ContactUpdate, session: SessionDep, principal: SignedInDep, response: Response
) -> ContactPublic:
    """Administrators set anyone's contact (e.g. from the member roll); recipients their own."""
    view, created = await contacts.set_contact(session=session, principal=principal, recipient=recipient, data=data)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return view


@router.get(
    "/notifications/bodies/{body_id}/quiet-hours",
    operation_id="get_body_quiet_hours",
    response_model=BodyQuietHoursPublic,
)
async def get_body_quiet_hours(
    body_id: BodyId, request: Request, session: SessionDep, principal: SignedInDep
) -> BodyQuietHoursPublic:
    """本机构短信免打扰时段: the body's staff and leaders and administrators read it."""
    if not (principal.role == Role.admin or principal.is_staff_of(body_id)):
        raise forbidden("only the body's staff, its leaders and administrators see its SMS quiet hours")
    return await contacts.get_body_quiet_hours(session=session, settings=settings_of(request), body_id=body_id)


@router.put(
    "/notifications/bodies/{body_id}/quiet-hours",
    operation_id="set_body_quiet_hours",
    response_model=BodyQuietHoursPublic,
)
async def set_body_quiet_hours(
    body_id: BodyId, data: BodyQuietHoursUpdate, request: Request, session: SessionDep, principal: SignedInDep
) -> BodyQuietHoursPublic:
    """No SMS of the body's notifications inside these hours, except overdue escalations."""
    return await contacts.set_body_quiet_hours(
        session=session, settings=settings_of(request), principal=principal, body_id=body_id, data=data
    )
