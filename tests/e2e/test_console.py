"""The staff console (clients/console) in a real browser: Playwright drives Debian's chromium at a
desk's size (1440×900) against one demo stack (the demo_stack fixture of tests/e2e/conftest.py),
through the gateway that serves the built console at /console/. Every spec in
clients/console/tests/e2e/ runs in one ``playwright test`` (one worker, in file order). Also the
console's Vitest unit tests. ``./dev test`` installs chromium and the npm packages and builds the
console first (setup_clients in ./dev)."""

import os
import time
from pathlib import Path

import httpx
import pytest

from devstack.demo import DEMO_PASSWORD
from devstack.stack import Stack

from .conftest import CLIENTS, DEMO_ADMIN_PASSWORD, Node

pytestmark = pytest.mark.e2e

CONSOLE = CLIENTS / "console"


def test_console_unit_tests(node: Node) -> None:
    node.run([node.npx, "vitest", "run"], cwd=CONSOLE)


def test_the_demo_report_shows_the_plenary_recommendation_apart_and_names_the_session_formally(
    demo_stack: Stack,
) -> None:
    """The annual report of the demo's current session as its staff download it through the gateway: the
    建议案 is a line of its own (seed 001: 立案…件 … 另有建议案1件) and the session is named in the formal style."""
    with httpx.Client(base_url=f"{demo_stack.gateway_url}/api/v1", timeout=30) as client:
        login = client.post("/auth/login", json={"username": "cppcc-staff", "password": DEMO_PASSWORD})
        assert login.status_code == 200, login.text
        staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
        bodies = client.get("/bodies", headers=staff).json()["items"]
        body = next(b for b in bodies if b["name"] == "政协武汉市委员会")
        sessions = client.get(f"/bodies/{body['id']}/sessions", headers=staff).json()["items"]
        current = next(s for s in sessions if s["meeting"] == 3)
        asked = {"body_id": body["id"], "session_id": current["id"], "format": "html"}
        deadline = time.monotonic() + 60  # the evaluation service's projection follows the events
        while "另有建议案" not in (report := client.get("/reports/annual", params=asked, headers=staff)).text:
            assert time.monotonic() < deadline, f"{report.status_code}: {report.text[:300]}"
            time.sleep(1)
    assert report.status_code == 200
    assert "政协武汉市第十四届委员会第三次会议" in report.text
    assert "另有建议案1件" in report.text


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
