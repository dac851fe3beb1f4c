"""Web Push subscriptions of the caller's browsers (the members' app) and the VAPID public key."""

from fastapi import APIRouter, Request, Response, status

from notification_service.api.deps import settings_of
from notification_service.domain import inbox, push
from notification_service.models import PushSubscriptionCreate, PushSubscriptionPublic, VapidPublicKey
from servicekit.auth import SignedInDep
from servicekit.pagination import Page
from servicekit.runtime import SessionDep

router = APIRouter(tags=["push"])


@router.get("/notifications/push/vapid-public-key", operation_id="get_vapid_public_key", response_model=VapidPublicKey)
async def vapid_public_key(request: Request, principal: SignedInDep) -> VapidPublicKey:
    """The applicationServerKey the browser subscribes with (null while Web Push is not configured)."""
    inbox.recipient_of(principal)
    return VapidPublicKey(public_key=push.public_key_of(settings_of(request)))


@router.post(
    "/notifications/push-subscriptions",
    operation_id="create_push_subscription",
    response_model=PushSubscriptionPublic,
    status_code=status.HTTP_201_CREATED,
)
async def create_push_subscription(
    data: PushSubscriptionCreate, request: Request, session: SessionDep, principal: SignedInDep, response: Response
) -> PushSubscriptionPublic:
    """订阅浏览器推送: the body is the browser's ``PushSubscription.toJSON()``; the same endpoint
    again updates it (200)."""
    settings = settings_of(request)
    view, created = await push.subscribe(
        session=session,
        principal=principal,
        recipient=inbox.recipient_of(principal),
        data=data,
        production=settings.environment == "production",
        allow_private=settings.push_allow_private_targets,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return view


@router.get(
    "/notifications/push-subscriptions",
    operation_id="list_push_subscriptions",
    response_model=Page[PushSubscriptionPublic],
)
async def list_push_subscriptions(session: SessionDep, principal: SignedInDep) -> Page[PushSubscriptionPublic]:
    """This account's browsers (at most 20: one page)."""
    inbox.recipient_of(principal)
    return Page(items=await push.list_subscriptions(session=session, principal=principal), next_cursor=None)


@router.delete(
    "/notifications/push-subscriptions/{subscription_id}",
    operation_id="delete_push_subscription",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_push_subscription(subscription_id: str, session: SessionDep, principal: SignedInDep) -> Response:
    """取消浏览器推送 (only the account that subscribed)."""
    await push.unsubscribe(session=session, principal=principal, subscription_id=subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
