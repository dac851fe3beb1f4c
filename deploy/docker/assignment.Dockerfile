# syntax=docker/dockerfile:1
# The assignment service. Build from the repository root:
#   docker build -f deploy/docker/assignment.Dockerfile -t proposal-platform/assignment .
# Same install as ./dev (pip, -c requirements/constraints.txt, the same local packages), but
# not editable and without requirements/dev.txt. Runs as a non-root user with a read-only root
# filesystem: it writes nothing outside /tmp (mount an emptyDir or tmpfs there).

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements/constraints.txt requirements/constraints.txt
COPY libs/servicekit libs/servicekit
COPY libs/workdays libs/workdays
COPY libs/cn_text libs/cn_text
COPY services/assignment services/assignment
# Byte-code is compiled here (pip's default): the running container cannot write it.
RUN /opt/venv/bin/pip install -c requirements/constraints.txt \
        libs/servicekit \
        libs/workdays \
        libs/cn_text \
        services/assignment

FROM python:3.11.14-slim-bookworm
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /tmp --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    ASSIGNMENT_ENVIRONMENT=production
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]
# One process per container: scale with replicas, not workers.
CMD ["uvicorn", "--factory", "assignment_service.main:create_app", "--host", "0.0.0.0", "--port", "8000", \
     "--no-access-log", "--no-proxy-headers", "--timeout-graceful-shutdown", "20"]
