"""contracts/ must be what the code generates, and every consumer must know every
event type published on the topics it reads (handled or explicitly ignored)."""

import importlib
import json
from collections import Counter
from functools import cache
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from devstack.contracts import drift, render
from devstack.stack import SERVICES
from gateway_service.api_keys import HEADER as API_KEY_HEADER
from gateway_service.api_keys import SCOPES
from gateway_service.idempotency import HEADER as IDEMPOTENCY_HEADER
from gateway_service.public_openapi import API_KEY, BEARER, OPEN, PUBLIC_READS
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


@cache
def public_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render()["openapi/public.json"])
    return document


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for item in document["paths"].values() for op in item.values()}


def test_no_two_schemas_of_the_public_document_share_a_title() -> None:
    """A typed client's generator names a type after its schema's title: two alike collide."""
    schemas = public_document()["components"]["schemas"]
    titles = Counter(schema.get("title", name) for name, schema in schemas.items())
    assert not [title for title, count in titles.items() if count > 1], [
        (name, schema.get("title")) for name, schema in schemas.items() if titles[schema.get("title", name)] > 1
    ]


def test_the_public_document_declares_its_security_schemes_on_every_operation() -> None:
    public = public_document()
    schemes = public["components"]["securitySchemes"]
    assert schemes[BEARER]["type"] == "http" and schemes[BEARER]["scheme"] == "bearer"
    assert schemes[API_KEY]["type"] == "apiKey" and schemes[API_KEY]["in"] == "header"
    assert schemes[API_KEY]["name"].lower() == API_KEY_HEADER
    keyed = set().union(*SCOPES.values())
    assert not (OPEN | PUBLIC_READS) - set(operations(public)), "a name in OPEN or PUBLIC_READS is no operation"
    for operation_id, operation in operations(public).items():
        assert "security" in operation, f"{operation_id} declares no security"
        alternatives = operation["security"]
        assert all(set(alternative) <= set(schemes) for alternative in alternatives), operation_id
        if operation_id in OPEN:
            assert alternatives == [], operation_id
            continue
        assert {BEARER: []} in alternatives, operation_id
        # An API key opens what its scopes list (api_keys.SCOPES), nothing else.
        assert ({API_KEY: []} in alternatives) == (operation_id in keyed), operation_id


def test_every_post_the_gateway_keeps_answers_for_takes_an_idempotency_key() -> None:
    """Idempotency-Key where the gateway honours it (proxy.route_handler: the allow-listed POSTs),
    and nowhere else; the services' own header parameters (If-Match) are kept."""
    public = public_document()
    rendered = render()
    for route in ROUTES:
        operation = public["paths"][route.path][route.method.lower()]
        headers = {p["name"].lower(): p for p in operation.get("parameters", []) if p["in"] == "header"}
        if route.method == "POST":
            assert route.takes_idempotency_key, f"{route.operation_id}: the gateway ignores Idempotency-Key"
        assert (IDEMPOTENCY_HEADER in headers) == route.takes_idempotency_key, route.operation_id
        if route.takes_idempotency_key:
            parameter = headers[IDEMPOTENCY_HEADER]
            assert parameter["required"] is False and parameter["schema"]["maxLength"] == 255
        upstream = json.loads(rendered[f"openapi/{route.service}.json"])["paths"][route.upstream_path]
        own = {p["name"].lower() for p in upstream[route.method.lower()].get("parameters", []) if p["in"] == "header"}
        assert own <= set(headers), route.operation_id
    assert {"if-match"} <= {
        p["name"] for op in operations(public).values() for p in op.get("parameters", []) if p["in"] == "header"
    }


def _dependencies(app: FastAPI) -> dict[str, set[str]]:
    """Operation id → the names of every dependency its route resolves, however deep."""
    found: dict[str, set[str]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.operation_id:
            continue
        names: set[str] = set()
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            for dependency in dependant.dependencies:
                names.add(getattr(dependency.call, "__name__", ""))
                pending.append(dependency)
        found[route.operation_id] = names
    return found


def test_anonymous_alternatives_follow_what_the_code_asks_of_the_caller() -> None:
    """``{}`` (no credentials) is declared where a request without any is answered: never on a write
    (the gateway's door refuses it) nor where the operation depends on ``signed_in``, always on a
    read that does not look at the caller at all; ``security: []`` only where credentials are unused."""
    public = public_document()
    proxied_methods = {r.operation_id: r.method for r in ROUTES}
    needs: dict[str, set[str]] = {}  # the gateway's own operations, and the services' behind the routes
    for name in SERVICES:
        app = importlib.import_module(f"{name}_service.main").create_app()
        mine = {r.operation_id for r in ROUTES if r.service == name}
        for operation_id, deps in _dependencies(app).items():
            if (operation_id in mine) if name != "gateway" else (operation_id not in proxied_methods):
                needs[operation_id] = deps
    for operation_id, operation in operations(public).items():
        assert operation_id in needs, f"no route of the code is {operation_id}"
        deps = needs[operation_id]
        anonymous = {} in operation["security"] or operation["security"] == []
        if "signed_in" in deps:
            assert not anonymous, f"{operation_id} needs a sign-in but declares it may be called without"
        if proxied_methods.get(operation_id, "GET") != "GET":
            assert not anonymous, f"the gateway refuses {operation_id} without credentials"
        if operation["security"] == []:
            assert not deps & {"current_principal", "signed_in"}, f"{operation_id} reads the caller"
        elif operation_id in proxied_methods and "current_principal" not in deps:
            assert anonymous, f"{operation_id} answers anyone: declare {{}} (public_openapi.PUBLIC_READS)"
