"""Prometheus metrics of one service process, served at ``/metrics`` (prometheus-client).

- ``http_requests_total`` and ``http_request_duration_seconds`` by method, route template
  (``/proposals/{proposal_id}``, never the raw path: bounded cardinality; ``unmatched`` for
  paths no route took) and status;
- ``outbox_pending_events`` and ``outbox_oldest_pending_age_seconds``, read from the database
  when scraped (the partial index on unpublished rows keeps it cheap), and
  ``outbox_published_events_total`` (this process's relay);
- ``consumer_events_total`` by event type and outcome (``applied``, ``duplicate``, ``ignored``,
  ``dead_lettered``) and ``consumer_lag`` per topic and partition (the partition's high
  watermark minus the offset just committed, as this process's consumer last saw them; the
  Kafka Exporter's ``kafka_consumergroup_lag`` is the group-wide view);
- ``db_pool_connections_in_use`` and ``db_pool_size`` (the engine's pool as scraped: QueuePool
  on PostgreSQL; SQLite's pool reports what it has);
- ``upstream_request_duration_seconds`` by upstream service and status class, and
  ``upstream_errors_total`` by upstream and kind (``unavailable``, ``timeout``, ``server_error``):
  the calls a service makes to another (the gateway's forwarding);
- ``job_last_success_timestamp_seconds`` by job: when a periodic job (the deadline scanner) last
  finished, for the "not run today" alert;
- the process collector (CPU, memory, file descriptors).

Each metric carries a ``service`` label. Each app has its own registry, so several apps in one
process (the tests) do not collide. The route is internal: the gateway forwards only its
``/api/v1`` allow-list, so a service's ``/metrics`` is never public; the gateway's own
``/metrics`` is reachable on its port, which only the web server and Prometheus may reach
(deploy/k8s network policies; the web server refuses the path).
"""

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.db import Database
from servicekit.outbox import OutboxMessage

log = logging.getLogger(__name__)

# The *_created series double every counter for little use (process-wide setting).
disable_created_metrics()  # type: ignore[no-untyped-call]

OUTCOMES = ("applied", "duplicate", "ignored", "dead_lettered")


class ServiceMetrics:
    """The metrics of one service; the consumer and the middleware report into it."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template and status.",
            ("service", "method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer's start, by route template.",
            ("service", "method", "route"),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "outbox_pending_events", "Outbox rows not yet published to Kafka.", ("service",), registry=self.registry
        )
        self.outbox_age = Gauge(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox row (0 when none is pending).",
            ("service",),
            registry=self.registry,
        )
        self.events = Counter(
            "consumer_events",
            "Events the consumer took, by type and outcome (applied, duplicate, ignored, dead_lettered).",
            ("service", "type", "outcome"),
            registry=self.registry,
        )
        self.lag = Gauge(
            "consumer_lag",
            "Messages behind the partition's end after the last commit, as this process saw it.",
            ("service", "topic", "partition"),
            registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "upstream_request_duration_seconds",
            "Calls to another service, by upstream and status class (2xx ... 5xx).",
            ("service", "upstream", "status"),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "upstream_errors",
            "Calls to another service that failed: unavailable, timeout, server_error (a 5xx answer).",
            ("service", "upstream", "kind"),
            registry=self.registry,
        )
        self.job_success = Gauge(
            "job_last_success_timestamp_seconds",
            "When a periodic job last finished without an error (Unix time).",
            ("service", "job"),
            registry=self.registry,
        )
        self._published: Callable[[], int] = lambda: 0
        self.registry.register(_PublishedCollector(self))

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Reports the engine's connection pool when scraped."""
        self.registry.register(_PoolCollector(self.service, engine))

    def upstream_call(self, upstream: str, status: int | None, seconds: float, error: str | None = None) -> None:
        """One call to another service: its answer's status (None: no answer) and ``error``, the
        kind of failure if it failed."""
        if status is not None:
            self.upstream_latency.labels(self.service, upstream, f"{status // 100}xx").observe(seconds)
        if error is not None:
            self.upstream_errors.labels(self.service, upstream, error).inc()

    def job_succeeded(self, job: str) -> None:
        self.job_success.labels(self.service, job).set(time.time())

    def event(self, event_type: str, outcome: str) -> None:
        self.events.labels(self.service, event_type, outcome).inc()

    def partition_lag(self, topic: str, partition: int, lag: int) -> None:
        self.lag.labels(self.service, topic, str(partition)).set(max(lag, 0))

    def count_published(self, read: Callable[[], int]) -> None:
        """Where the relay's published total is read from (the relay counts, not this module)."""
        self._published = read

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _PublishedCollector(Collector):
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "outbox_published_events", "Outbox rows this process's relay published.", labels=["service"]
        )
        family.add_metric([self.metrics.service], self.metrics._published())
        yield family


class _PoolCollector(Collector):
    def __init__(self, service: str, engine: AsyncEngine) -> None:
        self.service = service
        self.pool = engine.sync_engine.pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # QueuePool (PostgreSQL) has checkedout() and size(); other pools report what they have.
        for name, doc, read in (
            ("db_pool_connections_in_use", "Database connections checked out of the pool.", "checkedout"),
            ("db_pool_size", "Connections the pool keeps (its size, without overflow).", "size"),
        ):
            method = getattr(self.pool, read, None)
            if callable(method):
                family = GaugeMetricFamily(name, doc, labels=["service"])
                family.add_metric([self.service], float(method()))
                yield family


class RequestMetricsMiddleware:
    """Counts and times every HTTP answer by the template of the route that took it."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the answer starts is answered 500 by the server

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self._observe(scope, status, started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        except BaseException:
            self._observe(scope, status, started)
            raise

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        if scope.get("_metrics_observed"):
            return
        scope["_metrics_observed"] = True
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.requests.labels(self.metrics.service, method, template, str(status)).inc()
        self.metrics.latency.labels(self.metrics.service, method, template).observe(time.perf_counter() - started)


def metrics_router(
    metrics: ServiceMetrics, outbox_backlog: Callable[[], Awaitable[tuple[int, datetime | None]]]
) -> APIRouter:
    """``GET /metrics``, outside the OpenAPI document (an operator's route, not an API)."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(_request: Request) -> Response:
        try:
            pending, oldest = await outbox_backlog()
        except Exception as exc:  # noqa: BLE001 - a scrape still answers while the database is down
            log.debug("outbox backlog unavailable: %s", exc)
        else:
            metrics.outbox_pending.labels(metrics.service).set(pending)
            age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
            metrics.outbox_age.labels(metrics.service).set(max(age, 0.0))
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router


def outbox_backlog_query(database: Database) -> Callable[[], Awaitable[tuple[int, datetime | None]]]:
    """(pending rows, oldest created_at or None) of the service's outbox."""

    async def read() -> tuple[int, datetime | None]:
        async with database.session(read_only=True) as session:
            row = (
                await session.exec(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        col(OutboxMessage.published_at).is_(None)
                    )
                )
            ).one()
        count, oldest = row
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), oldest

    return read
