"""Webhook subscriptions of other systems (API keys) and their deliveries."""

from fastapi import APIRouter, Request, status

from notification_service.domain import webhooks
from notification_service.events.handlers import webhook_event_types
from notification_service.models import WebhookCreate, WebhookCreated, WebhookDeliveryPublic, WebhookPublic
from notification_service.settings import NotificationSettings
from servicekit.auth import SignedInDep
from servicekit.pagination import Cursor, Limit, Page
from servicekit.runtime import SessionDep, service_runtime

router = APIRouter(tags=["webhooks"])


@router.post(
    "/webhooks", operation_id="create_webhook", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated
)
async def create_webhook(
    data: WebhookCreate, session: SessionDep, principal: SignedInDep, request: Request
) -> WebhookCreated:
    """订阅事件推送: the answer holds the signing secret, shown this once."""
    settings: NotificationSettings = service_runtime(request.app).settings  # type: ignore[assignment]
    return await webhooks.create(
        session=session,
        principal=principal,
        data=data,
        known_types=webhook_event_types(),
        production=settings.environment == "production",
        allow_private=settings.webhook_allow_private_targets,
    )


@router.get("/webhooks", operation_id="list_webhooks", response_model=Page[WebhookPublic])
async def list_webhooks(
    session: SessionDep, principal: SignedInDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[WebhookPublic]:
    rows, next_cursor = await webhooks.list_subscriptions(
        session=session, principal=principal, cursor=cursor, limit=limit
    )
    return Page(items=rows, next_cursor=next_cursor)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    operation_id="list_webhook_deliveries",
    response_model=Page[WebhookDeliveryPublic],
)
async def list_webhook_deliveries(
    webhook_id: str, session: SessionDep, principal: SignedInDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[WebhookDeliveryPublic]:
    """推送记录: newest first, with attempts, the last HTTP status and error."""
    rows, next_cursor = await webhooks.list_deliveries(
        session=session, principal=principal, subscription_id=webhook_id, cursor=cursor, limit=limit
    )
    return Page(items=rows, next_cursor=next_cursor)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    operation_id="redeliver_webhook",
    response_model=WebhookDeliveryPublic,
)
async def redeliver_webhook(
    webhook_id: str, delivery_id: int, session: SessionDep, principal: SignedInDep
) -> WebhookDeliveryPublic:
    """重新推送 one delivery, with fresh attempts."""
    return await webhooks.redeliver(
        session=session, principal=principal, subscription_id=webhook_id, delivery_id=delivery_id
    )
