"""contracts/ must be what the code generates, and every consumer must know every
event type published on the topics it reads (handled or explicitly ignored)."""

import importlib
import json

import pytest

from devstack.contracts import drift, render
from devstack.stack import SERVICES
from gateway_service.routes import ROUTES


def test_committed_contracts_match_the_code() -> None:
    changed = drift()
    assert not changed, f"contracts/ is stale, run ./dev contracts: {changed}"


def test_openapi_documents_are_3_1_with_operation_ids_on_every_operation() -> None:
    for name in SERVICES:
        doc = json.loads(render()[f"openapi/{name}.json"])
        assert doc["openapi"].startswith("3.1")
        for path, item in doc["paths"].items():
            for method, op in item.items():
                assert op.get("operationId"), f"{name} {method.upper()} {path} has no operationId"


@pytest.mark.parametrize("consumer", [s for s in SERVICES if importlib.util.find_spec(f"{s}_service.events.handlers")])
def test_consumers_handle_or_ignore_every_published_event(consumer: str) -> None:
    subscriptions = importlib.import_module(f"{consumer}_service.events.handlers").subscriptions
    known = set(subscriptions.handlers) | subscriptions.ignored
    for topic in subscriptions.topics:
        producer = topic.removesuffix(".events")
        registry = importlib.import_module(f"{producer}_service.events.schemas").registry
        missing = [key for key in registry.event_keys() if key not in known]
        assert not missing, f"{consumer} neither handles nor ignores {missing} from {topic}"


def test_the_public_document_has_every_route_with_its_services_schemas() -> None:
    rendered = render()
    public = json.loads(rendered["openapi/public.json"])
    assert public["openapi"].startswith("3.1")
    operations = [op["operationId"] for item in public["paths"].values() for op in item.values()]
    assert len(operations) == len(set(operations))
    for route in ROUTES:
        operation = public["paths"][route.path][route.method.lower()]
        upstream = json.loads(rendered[f"openapi/{route.service}.json"])["paths"][route.upstream_path]
        assert operation["operationId"] == route.operation_id
        assert operation.get("requestBody", {}).keys() == upstream[route.method.lower()].get("requestBody", {}).keys()
        assert set(operation["responses"]) == set(upstream[route.method.lower()]["responses"])
    assert "/api/v1/auth/login" in public["paths"] and "/api/v1/proposals/{proposal_id}/dossier" in public["paths"]
