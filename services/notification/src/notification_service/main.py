"""App factory of the notification service."""

from pathlib import Path

from fastapi import FastAPI

from notification_service.api import router
from notification_service.domain.delivery import Sender
from notification_service.domain.notify import LiveHub
from notification_service.domain.push import PushSender
from notification_service.domain.reminders import ReminderScheduler
from notification_service.domain.sms import SmsSender
from notification_service.domain.supervision import DailyDigests
from notification_service.domain.webhooks import WebhookSender
from notification_service.events.handlers import subscriptions
from notification_service.events.schemas import registry
from notification_service.settings import NotificationSettings
from servicekit.runtime import service_app, service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    settings = settings or NotificationSettings()
    app = service_app(
        title="Notification service",
        settings=settings,
        registry=registry,
        migrations=MIGRATIONS,
        router=router,
        subscriptions=subscriptions,
    )
    runtime = service_runtime(app)
    app.state.live_hub = LiveHub()
    sender = Sender(database=runtime.database, settings=settings)
    app.state.sender = sender
    webhook_sender = WebhookSender(database=runtime.database, settings=settings)
    runtime.start_with("webhook-sender", webhook_sender.run)
    runtime.on_shutdown(webhook_sender.close)
    if settings.reminders_enabled:
        runtime.start_with("reminders", ReminderScheduler(database=runtime.database, settings=settings).run)
    if settings.daily_digests_enabled:
        runtime.start_with("daily-digests", DailyDigests(database=runtime.database, settings=settings).run)
    if settings.smtp_host:
        # Without an SMTP server configured, e-mail deliveries wait (pending) until one is.
        runtime.start_with("email-sender", sender.run)
    if settings.sms_gateway_url:
        sms = SmsSender(database=runtime.database, settings=settings)
        runtime.start_with("sms-sender", sms.run)
        runtime.on_shutdown(sms.close)
    if settings.vapid_private_key is not None:
        pusher = PushSender(database=runtime.database, settings=settings)
        app.state.push_sender = pusher
        runtime.start_with("push-sender", pusher.run)
        runtime.on_shutdown(pusher.close)
    return app
