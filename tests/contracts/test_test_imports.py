"""Tests that need another service's events build them from contracts/ (contract_events.py), never
from the producer's package: a service's tests import no other service, and the cross-service tests
here import no producer's event payloads. lint-imports cannot see this: tests are not packages."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]
# The notification service's stream and webhook tests put the real gateway in front of it, as a
# member's browser or a subscriber meets it; they start it, they take no events from it.
RUNS_IN_FRONT = {"gateway_service.main", "gateway_service.settings"}
ALLOWED = {
    "services/notification/tests/test_stream.py": RUNS_IN_FRONT,
    "services/notification/tests/test_webhooks.py": RUNS_IN_FRONT,
}


def imported(path: Path) -> Iterator[str]:
    """Every module a file imports, ``from a import b`` as ``a`` and ``a.b`` (b may be a module)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def other_services(path: Path, own: str | None) -> list[str]:
    allowed = ALLOWED.get(str(path.relative_to(ROOT)), set())
    return sorted(
        {
            module
            for module in imported(path)
            if module.split(".")[0] in {f"{s}_service" for s in SERVICES if s != own}
            and not any(module == a or module.startswith(f"{a}.") for a in allowed)
        }
    )


@pytest.mark.parametrize("service", SERVICES)
def test_a_services_tests_import_no_other_service(service: str) -> None:
    found = {
        str(path.relative_to(ROOT)): modules
        for path in sorted((ROOT / "services" / service / "tests").rglob("*.py"))
        if (modules := other_services(path, service))
    }
    assert not found, f"build other services' events with contract_events.contract_event instead: {found}"


def test_the_cross_service_tests_take_no_events_from_a_producers_package() -> None:
    found = {
        str(path.relative_to(ROOT)): modules
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (modules := sorted(m for m in imported(path) if m.endswith("_service.events.schemas")))
    }
    assert not found, f"build events with contract_events.contract_event instead: {found}"
