"""What the notification service's routes take from the request besides the caller and session."""

from fastapi import Request

from notification_service.settings import NotificationSettings
from servicekit.runtime import service_runtime


def settings_of(request: Request) -> NotificationSettings:
    return service_runtime(request.app).settings  # type: ignore[return-value]
