"""Structured (JSON line) logging with the current request and correlation ids."""

import json
import logging
import sys
from datetime import UTC, datetime

from servicekit.tracing import current_trace, trace_id_of


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        trace = current_trace()
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if trace.request_id:
            entry["request_id"] = trace.request_id
        if trace.correlation_id:
            entry["correlation_id"] = trace.correlation_id
        if trace_id := trace_id_of(trace.traceparent):
            entry["trace_id"] = trace_id
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(*, service: str, level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiokafka logs every failed reconnect at ERROR while a broker is down; the
    # relay and consumer already report that once per outage.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
