"""Fixtures of the notification service's tests."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import time

import httpx
import pytest
from fastapi import FastAPI

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.main import create_app
from notification_service.settings import NotificationSettings


@pytest.fixture
def notification_settings(
    database_url: str, kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> NotificationSettings:
    """The service on this test's database and topics, trusting the test's signing keys."""
    return NotificationSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        auth_jwks=dev_keys.jwks,
        auth_jwks_url=None,
        stream_poll_interval_s=0.2,
        digest_window_s=0,  # tests that want a digest window set one
        # No SMS quiet hours by default (22:00-08:00 would make SMS tests depend on the time they
        # run at); test_quiet_hours sets windows around its own clock.
        sms_quiet_start=time(0),
        sms_quiet_end=time(0),
    )


@pytest.fixture
async def notification(
    serve: Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]],
    notification_settings: NotificationSettings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The service running in-process (consumer included) and a client to it."""
    app = create_app(notification_settings)
    async with serve(app) as client:
        yield app, client
