"""deploy/k8s: both overlays rendered by kustomize and every manifest validated offline.

kustomize is the real one (sigs.k8s.io/kustomize/kustomize/v5, installed by ./dev setup through
the Go module proxy into ~/.cache/proposal-platform/bin). Kubernetes kinds are validated with
kubernetes-validate (strict: unknown fields fail; the schemas are in its wheel); the Strimzi and
CloudNativePG kinds with the excerpts in deploy/schemas/crds/. Then the platform's rules: probes,
resources, autoscalers, budgets, network policies, secrets referenced and never inlined, the
migration Jobs, the topics and the Kafka users' ACLs against the services' subscription tables.
"""

import copy
import importlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from devstack.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CRD_SCHEMAS = ROOT / "deploy" / "schemas" / "crds"
KUBERNETES_VERSION = "1.37.0"
OVERLAYS = ("dev", "production")
CONSUMERS = [s for s in SERVICES if s != "gateway"]

Doc = dict[str, Any]


def kustomize() -> str:
    candidates = [
        os.environ.get("KUSTOMIZE", ""),
        str(
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "proposal-platform" / "bin" / "kustomize"
        ),
        shutil.which("kustomize") or "",
    ]
    found = next((c for c in candidates if c and Path(c).is_file()), None)
    assert found, "kustomize is missing: ./dev setup installs it (go install sigs.k8s.io/kustomize/kustomize/v5)"
    return found


def render(overlay: str) -> list[Doc]:
    result = subprocess.run(
        [kustomize(), "build", str(K8S / "overlays" / overlay)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Doc]]:
    return request.param, render(request.param)


@pytest.fixture(scope="module")
def production() -> list[Doc]:
    return render("production")


def crd_validator(doc: Doc) -> jsonschema.Draft7Validator | None:
    group = doc["apiVersion"].split("/")[0]
    path = CRD_SCHEMAS / f"{group}_{doc['kind'].lower()}.json"
    return jsonschema.Draft7Validator(json.loads(path.read_text())) if path.exists() else None


def validate(doc: Doc) -> None:
    """Raises on an invalid manifest (any kind this platform does not know is an error too)."""
    validator = crd_validator(doc)
    if validator is not None:
        validator.validate(doc)
        return
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, (kind, name, len(matches))
    return matches[0]


def subscribed(service: str) -> list[str]:
    handlers = importlib.import_module(f"{service}_service.events.handlers")
    return list(handlers.subscriptions.topics)


def settings_fields(service: str) -> set[str]:
    module = importlib.import_module(f"{service}_service.settings")
    cls = next(v for k, v in vars(module).items() if k.endswith("Settings") and k != "ServiceSettings")
    return set(cls.model_fields)


def test_every_manifest_is_valid(overlay: tuple[str, list[Doc]]) -> None:
    name, docs = overlay
    failures = []
    for doc in docs:
        try:
            validate(doc)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            failures.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc}")
    assert not failures, "\n".join(failures)
    assert {d["metadata"].get("namespace") for d in docs} == {
        "proposal-platform-dev" if name == "dev" else "proposal-platform"
    }


def test_validation_catches_misspelt_fields(production: list[Doc]) -> None:
    """The validation above could fail, for Kubernetes kinds and for the operators' kinds."""
    deployment = copy.deepcopy(find(production, "Deployment", "proposal"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {"path": "/"}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    topic = copy.deepcopy(find(production, "KafkaTopic", "proposal-events"))
    topic["spec"]["replica"] = 3
    with pytest.raises(jsonschema.ValidationError):
        validate(topic)
    user = copy.deepcopy(find(production, "KafkaUser", "proposal"))
    user["spec"]["authentication"]["type"] = "scram-sha-256"
    with pytest.raises(jsonschema.ValidationError):
        validate(user)
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate({"apiVersion": "example.org/v1", "kind": "Unknown", "metadata": {"name": "x"}})


@pytest.mark.parametrize("service", SERVICES)
def test_service_workload(production: list[Doc], service: str) -> None:
    deployment = find(production, "Deployment", service)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and security["runAsNonRoot"] and not security["allowPrivilegeEscalation"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert pod["automountServiceAccountToken"] is False
    assert container["image"].startswith(f"registry.example.org/proposal-platform/{service}:")

    config = find(production, "ConfigMap", f"{service}-config")["data"]
    prefix = service.upper() + "_"
    fields = settings_fields(service)
    env_names = [*config, *(e["name"] for e in container["env"] if e["name"].startswith(prefix))]
    for name in env_names:
        assert name.removeprefix(prefix).lower() in fields, name
    assert config[f"{prefix}MIGRATE_ON_START"] == "false"
    assert config[f"{prefix}ENVIRONMENT"] == "production"
    assert config[f"{prefix}KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert config[f"{prefix}KAFKA_SASL_USERNAME"] == service

    pdb = find(production, "PodDisruptionBudget", service)
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("service", SERVICES)
def test_migration_job_runs_the_migrate_command_with_the_service_image(production: list[Doc], service: str) -> None:
    job = find(production, "Job", f"{service}-migrate")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "servicekit.migrate", f"{service}_service", "upgrade"]
    deployment = find(production, "Deployment", service)
    assert container["image"] == deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"
    assert importlib.import_module(f"{service}_service.main").MIGRATIONS.is_dir()


@pytest.mark.parametrize("service", SERVICES)
def test_autoscaler_scales_on_cpu_and_consumer_lag_within_the_partitions(production: list[Doc], service: str) -> None:
    hpa = find(production, "HorizontalPodAutoscaler", service)["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
    kinds = {m["type"]: m for m in hpa["metrics"]}
    assert kinds["Resource"]["resource"]["name"] == "cpu"
    if service in CONSUMERS:
        lag = kinds["External"]["external"]["metric"]
        assert lag["name"] == "kafka_consumergroup_lag"
        assert lag["selector"]["matchLabels"] == {"consumergroup": f"{service}-service"}
        # More consumers than partitions would sit idle.
        partitions = {d["spec"]["topicName"]: d["spec"]["partitions"] for d in production if d["kind"] == "KafkaTopic"}
        assert hpa["maxReplicas"] <= min(partitions[t] for t in subscribed(service))
    else:
        assert "External" not in kinds
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"]


def test_secrets_are_referenced_never_inlined(overlay: tuple[str, list[Doc]]) -> None:
    _, docs = overlay
    assert not [d for d in docs if d["kind"] == "Secret"]
    text = yaml.safe_dump_all(docs)
    assert "BEGIN PRIVATE KEY" not in text and "password:" not in text.lower().replace("key: password", "")
    expected = {f"{s}-db-app" for s in SERVICES} | set(SERVICES) | {"gateway-signing-key", "platform-cluster-ca-cert"}
    referenced = set()
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod["containers"]:
            referenced |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", []) if "valueFrom" in e}
            for e in container.get("env", []):
                assert "valueFrom" in e or not any(w in e["name"] for w in ("PASSWORD", "SIGNING_KEY")), e["name"]
        referenced |= {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    assert referenced == expected


def test_kafka_topics_are_replicated_and_users_hold_only_their_acls(production: list[Doc]) -> None:
    topics = {d["spec"]["topicName"]: d["spec"] for d in production if d["kind"] == "KafkaTopic"}
    assert set(topics) == {f"{s}.events" for s in SERVICES} | {f"{s}-service.dlt" for s in CONSUMERS}
    for spec in topics.values():
        assert spec["replicas"] == 3 and spec["config"]["min.insync.replicas"] == 2
    for s in SERVICES:
        assert topics[f"{s}.events"]["config"]["retention.ms"] == -1  # the rebuild replays from offset 0
    kafka = find(production, "Kafka", "platform")["spec"]["kafka"]
    assert kafka["config"]["min.insync.replicas"] == 2 and kafka["config"]["auto.create.topics.enable"] is False
    (listener,) = kafka["listeners"]
    assert listener["tls"] and listener["authentication"]["type"] == "scram-sha-512"
    assert listener["networkPolicyPeers"] == [
        {"podSelector": {"matchLabels": {"platform.proposal/kafka-client": "true"}}}
    ]
    assert kafka["authorization"]["type"] == "simple"

    for service in SERVICES:
        user = find(production, "KafkaUser", service)["spec"]
        assert user["authentication"]["type"] == "scram-sha-512"
        reads = set(subscribed(service)) if service in CONSUMERS else set()
        if service == "evaluation":
            reads.add("evaluation.events")  # python -m evaluation_service.rebuild replays its own topic
        expected = {
            ("topic", f"{service}.events"): {"Write", "Create", "Describe"},
            ("topic", f"{service}-service.dlt"): {"Write", "Create", "Describe"},
            **{("topic", t): {"Read", "Create", "Describe"} for t in reads if t != f"{service}.events"},
        }
        if service == "evaluation":
            expected[("topic", "evaluation.events")] = {"Write", "Read", "Create", "Describe"}
        if service in CONSUMERS:
            expected[("group", f"{service}-service")] = {"Read"}
        merged: dict[tuple[str, str], set[str]] = {}
        for acl in user["authorization"]["acls"]:
            merged.setdefault((acl["resource"]["type"], acl["resource"]["name"]), set()).update(acl["operations"])
        assert merged == expected, service
        # Every pod of the service may reach the brokers through the listener's policy.
        labels = find(production, "Deployment", service)["spec"]["template"]["metadata"]["labels"]
        assert labels["platform.proposal/kafka-client"] == "true"


def test_network_policies_let_only_the_gateway_reach_the_services(production: list[Doc]) -> None:
    policies = {d["metadata"]["name"]: d["spec"] for d in production if d["kind"] == "NetworkPolicy"}
    deny = policies["default-deny"]
    assert deny["podSelector"] == {"matchLabels": {"app.kubernetes.io/part-of": "proposal-platform"}}
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    for service in CONSUMERS:
        (rule,) = policies[service]["ingress"]
        sources = rule["from"]
        assert {
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/component": "gateway"}
            }
        } in sources
        others = [s for s in sources if "namespaceSelector" not in s]
        assert len(others) == 1, "only the gateway, besides Prometheus in the monitoring namespace"
        # Egress: Kafka, its own database and nobody else's, the gateway's JWKS.
        targets = [t for rule in policies[service]["egress"] for t in rule.get("to", [])]
        databases = [t["podSelector"]["matchLabels"]["cnpg.io/cluster"] for t in targets if "cnpg.io/cluster" in str(t)]
        assert databases == [f"{service}-db"]
    for service in SERVICES:
        db_rules = policies[f"{service}-db"]["ingress"]
        app_sources = [s for r in db_rules for s in r["from"] if "app.kubernetes.io/name" in str(s)]
        assert app_sources == [
            {
                "podSelector": {
                    "matchLabels": {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "proposal-platform"}
                }
            }
        ]
        cluster = find(production, "Cluster", f"{service}-db")["spec"]
        assert cluster["instances"] == 3 and cluster["bootstrap"]["initdb"] == {"database": service, "owner": service}


def test_dev_overlay_scales_everything_down() -> None:
    docs = render("dev")
    assert {d["spec"]["replicas"] for d in docs if d["kind"] in ("Deployment", "KafkaNodePool")} == {1}
    assert {d["spec"]["instances"] for d in docs if d["kind"] == "Cluster"} == {1}
    assert {
        (d["spec"]["replicas"], d["spec"]["config"]["min.insync.replicas"]) for d in docs if d["kind"] == "KafkaTopic"
    } == {(1, 1)}
