"""Request, correlation and W3C trace context carried through HTTP calls and events.

Values live in context variables: the HTTP middleware sets them from the
incoming headers, the consumer sets them from the event it handles, and the
event registry and the logger read them. A full OpenTelemetry SDK is not
needed for propagation alone, so the W3C ``traceparent`` format is handled
here in a few lines.
"""

import re
import secrets
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True)
class TraceContext:
    request_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None


_current: ContextVar[TraceContext] = ContextVar("trace_context", default=TraceContext())  # noqa: B039 - frozen


def current_trace() -> TraceContext:
    return _current.get()


def set_trace(ctx: TraceContext) -> None:
    _current.set(ctx)


def new_request_id() -> str:
    return str(uuid.uuid4())


def child_traceparent(parent: str | None) -> str:
    """The traceparent for this hop: same trace id, a new span id; a new trace if none or invalid."""
    match = _TRACEPARENT.match(parent or "")
    if match and match.group(1) != "0" * 32:
        trace_id, flags = match.group(1), match.group(3)
    else:
        trace_id, flags = secrets.token_hex(16), "01"
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def trace_id_of(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None
