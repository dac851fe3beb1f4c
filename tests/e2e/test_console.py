"""The staff console (clients/console) in a real browser: Playwright drives Debian's chromium at a
desk's size (1440×900) against one demo stack (the demo_stack fixture of tests/e2e/conftest.py),
through the gateway that serves the built console at /console/. Every spec in
clients/console/tests/e2e/ runs in one ``playwright test`` (one worker, in file order). Also the
console's Vitest unit tests. ``./dev test`` installs chromium and the npm packages and builds the
console first (setup_clients in ./dev)."""

import os
from pathlib import Path

import pytest

from devstack.demo import DEMO_PASSWORD
from devstack.stack import Stack

from .conftest import CLIENTS, DEMO_ADMIN_PASSWORD, Node

pytestmark = pytest.mark.e2e

CONSOLE = CLIENTS / "console"


def test_console_unit_tests(node: Node) -> None:
    node.run([node.npx, "vitest", "run"], cwd=CONSOLE)


@pytest.fixture(scope="module")
def console_build(node: Node) -> None:
    if not (CONSOLE / "dist" / "index.html").exists():
        node.run([node.npx, "vite", "build"], cwd=CONSOLE)


def test_console_in_the_browser(console_build: None, demo_stack: Stack, node: Node, tmp_path: Path) -> None:
    """Playwright's own report says which step failed; screenshots go to docs/screens/console/."""
    assert Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")).exists(), "Debian's chromium is needed"
    env = {
        "GATEWAY_URL": demo_stack.gateway_url,
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "ADMIN_PASSWORD": DEMO_ADMIN_PASSWORD,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "PLAYWRIGHT_OUTPUT_DIR": str(tmp_path / "playwright"),
        "CI": "1",
    }
    node.run([node.npx, "playwright", "test"], cwd=CONSOLE, env=env, timeout=2400)
