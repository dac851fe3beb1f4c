"""OpenTelemetry traces, exported over OTLP (HTTP/protobuf) when an endpoint is configured.

Off (no endpoint): nothing is set up, the SDK is not imported, and every hook here
returns at its first test; propagation goes on through servicekit.tracing as before.

On: the FastAPI server spans, httpx client spans (the gateway's calls to the services)
and SQLAlchemy statement spans come from the maintained instrumentations. Kafka spans
are made here rather than by opentelemetry-instrumentation-aiokafka: an event is sent
by the outbox relay long after the request that wrote it, so the instrumentation would
parent the send on the relay's loop (no trace at all). The trace context stored with the
outbox row (the ``traceparent`` of the span that wrote the event) is the parent of the
relay's publish span and of every consumer's process span, and a consumer's process span
becomes the parent of the events its handler emits. One trace: HTTP call, gateway,
service, outbox, Kafka, each consumer, and on.
"""

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider

    from servicekit.db import Database

log = logging.getLogger(__name__)

_PROPAGATOR = TraceContextTextMapPropagator()
_tracer: trace.Tracer | None = None
# Probes and scrapes would be most spans and tell nothing.
_EXCLUDED_URLS = r"/health/.*,/metrics"


def otlp_traces_url(configured: str | None) -> str | None:
    """Where spans go: ``configured`` (a base URL, like OTEL_EXPORTER_OTLP_ENDPOINT), else the
    standard variables; None when none is set, which leaves tracing off."""
    if configured:
        return configured.rstrip("/") + "/v1/traces"
    if specific := os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return specific
    if base := os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return base.rstrip("/") + "/v1/traces"
    return None


def enabled() -> bool:
    return _tracer is not None


def configure_tracing(
    *, service_name: str, endpoint: str | None, app: "FastAPI", database: "Database"
) -> "TracerProvider | None":
    """Sets up the SDK and the instrumentations for this process; None (and nothing done) without
    an endpoint. Call before the app serves its first request."""
    global _tracer
    url = otlp_traces_url(endpoint)
    if url is None:
        return None
    # Imported here: a process without an endpoint never loads the SDK.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    # The instrumentations are given this provider; the global one is set too, for any other
    # library that traces (the first set wins, so one process serves one app's traces).
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls=_EXCLUDED_URLS, exclude_spans=["receive", "send"]
    )
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)
    # The instrumentation declares SQLAlchemy < 2.1 and would otherwise do nothing; it hooks the
    # engine's cursor events, which 2.1 keeps (tests/e2e/test_otel_traces.py sees the statements).
    SQLAlchemyInstrumentor().instrument(
        engine=database.engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )
    _tracer = provider.get_tracer("servicekit")
    log.info("exporting traces to %s", url)
    return provider


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, None if there is none (or tracing is off)."""
    if _tracer is None:
        return None
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def _parent(traceparent: str | None) -> Any:
    return _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})


def _attributes(destination: str, event_id: str, event_type: str) -> dict[str, str]:
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": destination,
        "messaging.message.id": event_id,
        "cloudevents.event_type": event_type,
    }


@contextlib.contextmanager
def consuming(
    *, traceparent: str | None, topic: str, group: str, event_id: str, event_type: str
) -> Iterator[str | None]:
    """The consumer's span around handling one event, a child of the span that wrote it; yields
    its traceparent (for the events the handler emits), or None when tracing is off."""
    if _tracer is None:
        yield None
        return
    attributes = _attributes(topic, event_id, event_type) | {"messaging.consumer.group.name": group}
    with _tracer.start_as_current_span(
        f"process {topic}", context=_parent(traceparent), kind=SpanKind.CONSUMER, attributes=attributes
    ):
        yield current_traceparent()


class Publishing:
    """The relay's producer spans of one batch, each a child of the span that wrote its event."""

    def __init__(self) -> None:
        self._spans: list[Any] = []

    def start(self, *, traceparent: str | None, topic: str, event_id: str, event_type: str) -> None:
        if _tracer is None:
            return
        self._spans.append(
            _tracer.start_span(
                f"send {topic}",
                context=_parent(traceparent),
                kind=SpanKind.PRODUCER,
                attributes=_attributes(topic, event_id, event_type),
            )
        )

    def end(self, results: list[Any]) -> None:
        for span, result in zip(self._spans, results, strict=False):
            if isinstance(result, BaseException):
                span.set_status(Status(StatusCode.ERROR, str(result)))
            span.end()
