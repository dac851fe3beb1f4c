"""The members' app (clients/member) in a real browser: Playwright drives Debian's chromium at a
phone's size against the five services started as processes with the demo data (the demo_stack
fixture of tests/e2e/conftest.py), through the
gateway that serves the built app at /m/. Also the app's unit tests and the typed API client's
drift check. ``./dev test`` installs chromium and the npm packages and builds the app first
(setup_clients in ./dev)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from devstack.demo import DEMO_PASSWORD
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"
MEMBER = CLIENTS / "member"


def npx() -> str:
    found = shutil.which("npx")
    assert found, "npx (Node 20 and npm) is needed: ./dev test installs what the clients need"
    assert (CLIENTS / "node_modules").is_dir(), "run `npm ci` in clients/ first (./dev test does)"
    return found


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> None:
    done = subprocess.run(
        args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-20000:]}\n{done.stderr[-5000:]}"


def test_typed_api_client_matches_the_public_openapi() -> None:
    npx()
    run(["node", "scripts/drift.mjs"], cwd=CLIENTS / "api")


def test_member_app_unit_tests() -> None:
    run([npx(), "vitest", "run"], cwd=MEMBER)


@pytest.fixture(scope="module")
def member_build() -> None:
    if not (MEMBER / "dist" / "index.html").exists():
        run([npx(), "vite", "build"], cwd=MEMBER)


def test_member_app_in_the_browser(member_build: None, demo_stack: Stack, tmp_path: Path) -> None:
    """Playwright's own report says which step failed; screenshots go to docs/screens/member/."""
    assert Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")).exists(), "Debian's chromium is needed"
    env = {
        "GATEWAY_URL": demo_stack.gateway_url,
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "PLAYWRIGHT_OUTPUT_DIR": str(tmp_path / "playwright"),
        "CI": "1",
    }
    run([npx(), "playwright", "test"], cwd=MEMBER, env=env, timeout=1200)
