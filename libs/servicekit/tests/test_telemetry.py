"""Tracing is off unless an OTLP endpoint is configured, and then costs nothing: no SDK loaded,
no spans. (On, across the services: tests/e2e/test_otel_traces.py.)"""

import subprocess
import sys

import pytest

from servicekit.telemetry import otlp_traces_url


def test_the_setting_wins_over_the_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert otlp_traces_url("http://other:4318/") == "http://other:4318/v1/traces"
    assert otlp_traces_url(None) == "http://collector:4318/v1/traces"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/custom")
    assert otlp_traces_url(None) == "http://traces:4318/custom"


def test_no_endpoint_no_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert otlp_traces_url(None) is None


SERVE_ONE_REQUEST = """
import sys
from fastapi import APIRouter
from fastapi.testclient import TestClient
from servicekit import telemetry
from servicekit.events import EventRegistry
from servicekit.runtime import service_app
from servicekit.settings import ServiceSettings
from pathlib import Path

router = APIRouter()

@router.get("/ping")
async def ping() -> dict[str, str | None]:
    return {"traceparent": telemetry.current_traceparent()}

app = service_app(title="t", settings=ServiceSettings(), registry=EventRegistry("t"), migrations=Path("."), router=router)
answer = TestClient(app).get("/ping", headers={"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"})
assert answer.json() == {"traceparent": None}, answer.json()
assert answer.headers["traceparent"].startswith("00-" + "a" * 32)  # propagation goes on without it
assert not telemetry.enabled()
assert "opentelemetry.sdk" not in sys.modules, "the SDK was loaded"
"""


def test_without_an_endpoint_the_sdk_is_never_loaded() -> None:
    env = {"PATH": "/usr/bin:/bin"}  # none of the OTEL_ variables
    done = subprocess.run([sys.executable, "-c", SERVE_ONE_REQUEST], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
