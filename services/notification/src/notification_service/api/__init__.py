from fastapi import APIRouter

from notification_service.api import contacts, notifications, push, webhooks

router = APIRouter()
router.include_router(notifications.router)
router.include_router(contacts.router)
router.include_router(push.router)
router.include_router(webhooks.router)
