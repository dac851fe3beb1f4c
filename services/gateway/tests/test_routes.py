"""The gateway's allow-list points only at operations the services really have."""

import json
import re
from pathlib import Path

import pytest

from gateway_service.routes import API, ROUTES, Route

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "openapi"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_public_route_maps_to_an_upstream_operation(route: Route) -> None:
    upstream = json.loads((CONTRACTS / f"{route.service}.json").read_text())
    operation = upstream["paths"].get(route.upstream_path, {}).get(route.method.lower())
    assert operation is not None, f"{route.service} has no {route.method} {route.upstream_path}"
    assert operation["operationId"] == route.operation_id
    assert route.path.startswith(API + "/")
    # Path parameters are passed through by name, so both sides must name the same ones.
    assert re.findall(r"{(\w+)}", route.path) == re.findall(r"{(\w+)}", route.upstream_path)


def test_public_operation_ids_are_unique() -> None:
    ids = [r.operation_id for r in ROUTES]
    assert len(ids) == len(set(ids))
