"""What every service process runs: database, outbox relay, consumer, health, middleware.

A service's main.py builds one ``ServiceRuntime`` and hands its ``lifespan``
to FastAPI, so every service starts, serves and stops the same way.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from sqlmodel.ext.asyncio.session import AsyncSession

from servicekit.auth import TokenVerifier
from servicekit.db import Database
from servicekit.errors import PROBLEM_RESPONSES, install_problem_handlers, problem_media_type
from servicekit.events import EventRegistry
from servicekit.health import health_router
from servicekit.housekeeping import run_housekeeping
from servicekit.inbox import EventConsumer, Subscriptions
from servicekit.kafka import KafkaClientConfig, KafkaConnector
from servicekit.logs import configure_logging
from servicekit.metrics import RequestMetricsMiddleware, ServiceMetrics, metrics_router, outbox_backlog_query
from servicekit.middleware import (
    BodyLimitMiddleware,
    NotModifiedMiddleware,
    SecurityHeadersMiddleware,
    TraceMiddleware,
)
from servicekit.migrations import upgrade_async
from servicekit.outbox import Outbox, OutboxRelay
from servicekit.settings import ServiceSettings
from servicekit.telemetry import configure_tracing

log = logging.getLogger(__name__)


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        registry: EventRegistry,
        migrations: Path,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.migrations = migrations
        self.subscriptions = subscriptions
        self.database = Database(settings.database_url, pool_size=settings.database_pool_size)
        self.kafka = KafkaConnector(KafkaClientConfig.from_settings(settings), client_id=settings.consumer_group)
        self.outbox = Outbox(registry, settings.topic)
        self.verifier = TokenVerifier(
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            jwks=settings.auth_jwks,
            jwks_url=settings.auth_jwks_url,
        )
        self.relay = OutboxRelay(
            database=self.database,
            kafka=self.kafka,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            max_poll_interval_s=settings.relay_max_poll_interval_s,
            lease_s=settings.relay_lease_s,
        )
        self.consumer = (
            EventConsumer(
                database=self.database,
                kafka=self.kafka,
                subscriptions=subscriptions,
                topics=[settings.namespaced(t) for t in subscriptions.topics],
                group_id=settings.consumer_group,
                dead_letter_topic=settings.dead_letter_topic,
                max_attempts=settings.consumer_max_attempts,
                retry_backoff_s=settings.consumer_retry_backoff_s,
                outbox=self.outbox,
            )
            if subscriptions
            else None
        )
        # Prometheus metrics at /metrics (servicekit.metrics); the consumer reports its outcomes.
        self.metrics = ServiceMetrics(settings.service_name)
        self.metrics.count_published(lambda: self.relay.published_total)
        self.metrics.watch_pool(self.database.engine)
        if self.consumer is not None:
            self.consumer.observer = self.metrics
        self._tasks: list[asyncio.Task[None]] = []
        self._closers: list[Callable[[], Awaitable[Any]]] = []
        self._starters: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        self._startup: list[Callable[[], Awaitable[Any]]] = []

    def install(self, app: FastAPI) -> None:
        """Error handlers, middleware and health routes; call before adding the service's routes."""
        app.state.runtime = self
        install_problem_handlers(app)
        app.add_middleware(GZipMiddleware, minimum_size=2048)
        # Outside GZip, so that a 304 carries the Vary the 200 would have (Accept-Encoding).
        app.add_middleware(NotModifiedMiddleware)
        app.add_middleware(BodyLimitMiddleware, max_bytes=self.settings.max_body_bytes)
        app.add_middleware(SecurityHeadersMiddleware, hsts=self.settings.environment == "production")
        app.add_middleware(TraceMiddleware)
        # Outermost: every answer is counted, the body-limit and rate-limit refusals included.
        app.add_middleware(RequestMetricsMiddleware, metrics=self.metrics)
        app.include_router(health_router({"database": self.database.ping, "kafka": self.kafka.ping}))
        app.include_router(metrics_router(self.metrics, outbox_backlog_query(self.database)))
        # Traces only when an OTLP endpoint is configured; otherwise nothing is set up.
        provider = configure_tracing(
            service_name=self.settings.service_name,
            endpoint=self.settings.otlp_endpoint,
            app=app,
            database=self.database,
        )
        if provider is not None:
            self._closers.append(partial(asyncio.to_thread, provider.shutdown))

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        s = self.settings
        configure_logging(service=s.service_name, level=s.log_level, json_lines=s.log_json)
        if s.migrate_on_start:
            await upgrade_async(self.migrations, s.database_url)
        self.spawn("kafka", self._start_messaging)
        self.spawn(
            "housekeeping",
            partial(
                run_housekeeping,
                database=self.database,
                outbox_retention=timedelta(days=s.outbox_retention_days),
                inbox_retention=timedelta(days=s.inbox_retention_days),
                interval_s=s.housekeeping_interval_s,
            ),
        )
        for step in self._startup:
            await step()
        for name, run in self._starters:
            self.spawn(name, run)
        log.info("%s service started", s.service_name)
        try:
            yield
        finally:
            # Reached once uvicorn has stopped listening and the requests in flight are answered
            # (SIGTERM). The consumer finishes its batch and commits its offsets, the relay its
            # publish; then the rest is cancelled and the relay's lease handed back.
            await self._drain(s.shutdown_grace_s)
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.relay.release_lease()
            for close in self._closers:
                await close()
            await self.kafka.close()
            await self.database.dispose()

    async def _drain(self, grace_s: float) -> None:
        """Lets the consumer and the relay stop at a safe point, for at most ``grace_s`` seconds."""
        if self.consumer is not None:
            self.consumer.stop()
        self.relay.stop()
        loops = [t for t in self._tasks if t.get_name() in ("event-consumer", "outbox-relay") and not t.done()]
        if loops:
            _, late = await asyncio.wait(loops, timeout=grace_s)
            if late:
                log.warning("stopping without waiting for %s", ", ".join(t.get_name() for t in late))

    def on_shutdown(self, close: Callable[[], Awaitable[Any]]) -> None:
        """Registers a resource's close for when the process stops."""
        self._closers.append(close)

    def on_startup(self, step: Callable[[], Awaitable[Any]]) -> None:
        """Awaits ``step`` at start-up, after the migrations and before the first request."""
        self._startup.append(step)

    def start_with(self, name: str, run: Callable[[], Awaitable[Any]]) -> None:
        """Runs ``run`` in the background once the process starts (see ``spawn``)."""
        self._starters.append((name, run))

    def spawn(self, name: str, run: Callable[[], Awaitable[Any]]) -> None:
        """Runs a background loop for the life of the process; a crash is logged, not fatal."""

        async def guarded() -> None:
            try:
                await run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task %s stopped", name)

        self._tasks.append(asyncio.create_task(guarded(), name=name))

    async def _start_messaging(self) -> None:
        """Starts the relay and the consumer once their topics exist.

        Not before: any client's metadata request for a missing topic makes the
        broker auto-create it with the broker's defaults, not ``kafka_partitions``,
        and a topic's partition count cannot be lowered or safely raised later.
        """
        await self._ensure_topics()
        if self.settings.relay_enabled:
            self.spawn("outbox-relay", self.relay.run)
        if self.consumer:
            self.spawn("event-consumer", self.consumer.run)

    async def _ensure_topics(self) -> None:
        """Creates the topics this service writes and reads, retrying until Kafka answers."""
        topics = [self.settings.topic, self.settings.dead_letter_topic]
        if self.consumer:
            topics += self.consumer.topics
        retention = {t: str(self.settings.kafka_event_retention_ms) for t in topics}
        retention[self.settings.dead_letter_topic] = str(self.settings.kafka_dead_letter_retention_ms)
        configs = {t: {"retention.ms": ms} for t, ms in retention.items()}
        delay = 0.5
        while True:
            try:
                await self.kafka.ensure_topics(
                    sorted(set(topics)),
                    partitions=self.settings.kafka_partitions,
                    replication_factor=self.settings.kafka_replication_factor,
                    configs=configs,
                )
                return
            except Exception as exc:  # noqa: BLE001 - Kafka may come later
                log.warning("cannot create topics yet: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5)


def runtime_of(request: Request) -> ServiceRuntime:
    return service_runtime(request.app)


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the use case commits, anything left uncommitted rolls back.
    Safe methods (GET, HEAD, OPTIONS) get a read-only session."""
    read_only = request.method in ("GET", "HEAD", "OPTIONS")
    async with runtime_of(request).database.session(read_only=read_only) as session:
        yield session


async def outbox_of(request: Request) -> Outbox:
    # async, so FastAPI does not hand this trivial lookup to a worker thread.
    return runtime_of(request).outbox


SessionDep = Annotated[AsyncSession, Depends(db_session)]
OutboxDep = Annotated[Outbox, Depends(outbox_of)]


def service_app(
    *,
    title: str,
    settings: ServiceSettings,
    registry: EventRegistry,
    migrations: Path,
    router: APIRouter,
    subscriptions: Subscriptions | None = None,
) -> FastAPI:
    """The FastAPI app of one service, shaped like every other."""
    runtime = ServiceRuntime(settings, registry=registry, migrations=migrations, subscriptions=subscriptions)
    app = FastAPI(title=title, version="0.1.0", lifespan=runtime.lifespan)
    runtime.install(app)
    app.include_router(router, responses=PROBLEM_RESPONSES)
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_media_type(default_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def service_runtime(app: FastAPI) -> ServiceRuntime:
    runtime: ServiceRuntime = app.state.runtime
    return runtime
