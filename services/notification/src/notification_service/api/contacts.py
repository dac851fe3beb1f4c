"""Where a recipient is reached outside the app (ADR 10)."""

from fastapi import APIRouter, Response, status

from notification_service.domain import contacts, inbox
from notification_service.models import ContactPublic, ContactUpdate
from servicekit.auth import SignedInDep
from servicekit.runtime import SessionDep

router = APIRouter(tags=["contacts"])


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
