"""Fixtures of the fault tests: a Kafka broker and a service stack of the test's own.

The session-wide ``kafka`` fixture of the root conftest is shared with other
tests, so these tests never touch it: each one gets a broker it may kill.
The broker's port is picked up front, so a stack can be wired to a broker
that is not running yet.
"""

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import free_port
from devstack.kafka import KafkaBroker
from devstack.stack import Stack

_LOG_TAIL_LINES = 60


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Lets the fixtures know in their teardown whether the test failed.
    report = yield
    setattr(item, f"chaos_report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "chaos_report_call", None)
    return report is None or report.failed


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def broker(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[KafkaBroker]:
    """A broker of this test's own, on a known port, not started yet."""
    broker = KafkaBroker(tmp_path / "kafka", port=free_port())
    try:
        yield broker
    finally:
        broker.kill()  # its data is thrown away with tmp_path; no need for a clean stop
        if _failed(request):
            print(f"\n===== broker.log (last {_LOG_TAIL_LINES} lines) =====\n{_tail(broker.log_file)}")


@pytest.fixture
def make_stack(tmp_path: Path, broker: KafkaBroker, request: pytest.FixtureRequest) -> Iterator[Callable[..., Stack]]:
    """Makes stacks of the four services on SQLite, wired to ``broker``, not started yet;
    keyword arguments go to ``Stack``. Every one is stopped at the end of the test."""
    stacks: list[Stack] = []

    def make(**kwargs: Any) -> Stack:
        stack = Stack(workdir=tmp_path / f"stack{len(stacks) or ''}", kafka=broker, **kwargs)
        stacks.append(stack)
        return stack

    try:
        yield make
    finally:
        for stack in stacks:
            stack.stop()
            if _failed(request):
                for service in stack.processes:  # every replica
                    print(
                        f"\n===== {service.log_path.name} (last {_LOG_TAIL_LINES} lines) =====\n{_tail(service.log_path)}"
                    )


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    """The four services on SQLite, wired to ``broker``; not started yet."""
    return make_stack()
