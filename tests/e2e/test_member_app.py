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

import httpx
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


def test_problems_in_chinese_through_the_gateway(demo_stack: Stack) -> None:
    """What the app shows as it is: a service's problem (proposal: validation, not found) and the
    gateway's own (sign-in) in zh-CN when asked, with the code unchanged; English otherwise."""
    zh = {"Accept-Language": "zh-CN"}
    with httpx.Client(base_url=demo_stack.gateway_url + "/api/v1", timeout=30) as api:
        wrong = api.post("/auth/login", json={"username": "w003", "password": "not-it"}, headers=zh)
        assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
        assert wrong.json()["title"] == "账号或密码错误" and wrong.headers["content-language"] == "zh-CN"
        login = api.post("/auth/login", json={"username": "w003", "password": DEMO_PASSWORD})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        missing = api.get("/proposals/00000000-0000-0000-0000-000000000000", headers={**auth, **zh})
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"
        assert missing.json()["detail"] == "内容不存在或您无权查看。"
        invalid = api.post("/proposals", json={"title": ""}, headers={**auth, **zh})
        assert invalid.status_code == 422 and invalid.json()["code"] == "validation_failed"
        messages = {e["field"]: e["message"] for e in invalid.json()["errors"]}
        assert messages["session_id"] == "必填" and invalid.json()["detail"].startswith("以下字段填写有误：")
        english = api.post("/proposals", json={"title": ""}, headers=auth)
        assert english.json()["title"] == "Validation Failed" and "content-language" not in english.headers
