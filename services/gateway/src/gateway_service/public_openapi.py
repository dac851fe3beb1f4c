"""The one public OpenAPI 3.1 document: the gateway's own operations and every allow-listed route
with the request and response schemas of the service operation it forwards to, under its public
path and operation id.

It is built from the services' documents by ``python -m devstack.contracts write`` (the gateway
cannot import the services) into ``public_openapi.json`` beside this module, which the gateway
serves at /api/v1/openapi.json; the contracts drift test keeps it current.
"""

import copy
import json
from pathlib import Path
from typing import Any

from gateway_service.routes import ROUTES

DOCUMENT = Path(__file__).with_name("public_openapi.json")
PREFIX = "#/components/schemas/"


def merge(gateway: dict[str, Any], services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``gateway``'s own paths, plus each route's upstream operation. A service's schema whose name is
    taken by a different schema is renamed with the service's name in front (Role → AssignmentRole)."""
    merged = copy.deepcopy(gateway)
    merged["info"] = {"title": "提案办理平台 API", "version": gateway["info"]["version"]}
    paths: dict[str, Any] = {p: item for p, item in merged["paths"].items() if not _proxied(p, item)}
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    renames: dict[str, dict[str, str]] = {}
    for service, document in services.items():
        own = document.get("components", {}).get("schemas", {})
        renames[service] = {
            name: service.title() + name for name, schema in own.items() if name in schemas and schemas[name] != schema
        }
        for name, schema in own.items():
            schemas[renames[service].get(name, name)] = _renamed(schema, renames[service])
    for route in ROUTES:
        upstream = services[route.service]["paths"][route.upstream_path][route.method.lower()]
        operation = _renamed(copy.deepcopy(upstream), renames[route.service])
        operation.update(operationId=route.operation_id, summary=route.summary, tags=[route.service])
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    merged["paths"] = dict(sorted(paths.items()))
    merged["components"]["schemas"] = dict(sorted(schemas.items()))
    return merged


def _renamed(value: Any, renames: dict[str, str]) -> Any:
    """``value`` with its references to renamed schemas pointing at the new names."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX) and ref[len(PREFIX) :] in renames:
            return {**value, "$ref": PREFIX + renames[ref[len(PREFIX) :]]}
        return {k: _renamed(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, renames) for v in value]
    return value


def _proxied(path: str, item: dict[str, Any]) -> bool:
    return any(route.path == path and route.method.lower() in item for route in ROUTES)


def load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return document
