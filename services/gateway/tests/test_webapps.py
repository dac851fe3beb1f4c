"""The members' app served at /m/ and the staff console at /console/: files, the index.html fallback for app routes, a 404 for a
missing asset, and the app's own Content-Security-Policy (the API keeps default-src 'none')."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from gateway_service.main import create_app
from gateway_service.settings import GatewaySettings

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_member_app_is_served_with_an_index_fallback(
    database_url: str, kafka: KafkaBroker, namespace: str, serve: Serve, dev_keys: DevKeys, tmp_path: Path
) -> None:
    console_dir = tmp_path / "console"
    console_dir.mkdir()
    (console_dir / "index.html").write_text("<!doctype html><title>工作台</title>", encoding="utf-8")
    member_dir = tmp_path / "member"
    (member_dir / "assets").mkdir(parents=True)
    (member_dir / "index.html").write_text("<!doctype html><title>委员</title>", encoding="utf-8")
    (member_dir / "assets" / "index-abc.js").write_text("console.log(1)")
    settings = GatewaySettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_namespace=namespace,
        signing_key=SecretStr(dev_keys.private_pem),
        signing_key_id=dev_keys.kid,
        member_app_dir=member_dir,
        console_app_dir=console_dir,
    )
    async with serve(create_app(settings)) as client:
        index = await client.get("/m/")
        assert index.status_code == 200 and "委员" in index.text
        assert index.headers["cache-control"] == "no-cache"
        csp = index.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        # An app route reloaded in the browser gets the app, which routes it.
        deep = await client.get("/m/items/0f3c")
        assert deep.status_code == 200 and "委员" in deep.text
        asset = await client.get("/m/assets/index-abc.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert (await client.get("/m/assets/gone.js")).status_code == 404
        # The console is its own app with its own fallback.
        console = await client.get("/console/staff/review")
        assert console.status_code == 200 and "工作台" in console.text and "委员" not in console.text
        assert "script-src 'self'" in console.headers["content-security-policy"]
        assert (await client.get("/console/assets/gone.js")).status_code == 404
        # The API's own policy is untouched.
        api = await client.get("/api/v1/auth/jwks")
        assert api.headers["content-security-policy"].startswith("default-src 'none'")
