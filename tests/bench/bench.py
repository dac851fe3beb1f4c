#!/usr/bin/env python
"""Benchmark of the platform: HTTP throughput, event propagation, outbox relay, idle memory.

Run from the repository root with the project's venv:

    .venv/bin/python tests/bench/bench.py [--quick] [--json results.json]

It starts its own single-node Kafka and the four services (uvicorn, one
worker each, SQLite files in a temporary folder, log level WARNING), measures,
prints a table to stdout (progress goes to stderr) and stops everything it
started. Targets are printed beside the figures; they never fail the run
(DESIGN section 6: timing never decides a pass). ``--quick`` is a smoke run
(about a minute, most of it starting Kafka and the services); the full run
takes about two and a half minutes.

What is measured, and how:

Every write needs a bearer token: before measuring, the bench opens a
``FilingDesk`` (devstack.filing) through the gateway, i.e. a body, a session
and members, with tokens minted from the keys the services trust
(``Stack.keys``). The desk serves the proposal service directly as well
(same database). An item is filed in two steps, a draft ``POST /proposals``
and ``POST /proposals/{id}/submit``; only the submit publishes
``proposal.submitted``.

1. HTTP: closed-loop load with a fixed number of keep-alive connections, each
   sending its next request as soon as the previous answer arrived, for a GET
   of a submitted item (with the body's staff token) and a draft POST (with a
   member's token) straight at the proposal service and through the gateway.
   The load generator is ``wrk`` (installed with apt-get when missing) in its
   own process; without it, a Python (httpx) generator in a separate process.
   Either way it shares the machine's two cores with the services and Kafka,
   so the table also shows the cores each service, the load generator and
   the whole machine used during the run. Before each POST run the
   consumers' backlog from earlier runs is drained (consumer-group lag read
   from Kafka), so runs do not pay for each other's events (drafts publish
   none).
2. Propagation: the drafts are created first, through the gateway and not
   timed; then their submits (``POST /proposals/{id}/submit``) are sent
   through the gateway open loop at a fixed rate (sends scheduled at fixed
   intervals, whatever the answers' delays; submit latency counted from the
   scheduled time), spread over the desk's members. Once all were sent the
   assignment projection row of every accepted submission is read, and
   ``received_at - submitted_at`` taken: both are server clocks of this
   machine, ``submitted_at`` stamped by the proposal service as it handles
   the submit request, ``received_at`` by the assignment consumer as it
   applies the event. No polling, so reading does not disturb the run. The
   full run adds a lower rate, to show the pipeline below the submission
   capacity.
3. Relay: an outbox pre-filled in its own SQLite database, published by
   ``OutboxRelay.publish_pending()`` in a loop until empty, to the real
   broker (acks=all, idempotent), in this process, before the services start;
   the count on the broker is checked afterwards.
4. Memory: VmRSS of each service process and its children, idle, a few
   seconds after all four reported ready and before any load; and again
   after the load.

5. The members' app (``app``): its first load on a throttled phone. clients/member/scripts/first-load.mjs
   (Playwright, Debian's chromium) signs a member of the bench's body in, sets Chromium's CPU x4
   slowdown and DevTools' Fast 3G over CDP, loads /m/ from a cold cache in a new context and times
   navigation start → the home screen's greeting (the median of three; one with ``--quick``); and
   the JavaScript the browser fetched for it, gzipped. The app is built first if clients/member/dist
   is missing.

6. Scale (``--scale N``, instead of the parts above unless ``--only`` names them): the proposal
   service's latency per operation at 1k, 10k and N items on SQLite and PostgreSQL (tests/bench/scale.py).

Every figure is printed beside its target and, with ``--json FILE``, written under a stable key in
``figures`` (value, unit, target, met, valid); a figure taken while requests failed is marked
INVALID. The gateway's rate limits and upstream timeout are configured out of the way.
tests/bench/test_bench_smoke.py runs ``--quick`` and a small ``--scale`` in the test suite, so the
bench cannot break unnoticed.

The machine's load is sampled before starting: figures taken while other
processes keep the cores busy are flagged as not representative.
``--only`` runs a subset of the parts; ``--env KEY=VALUE`` passes settings to
the services, to compare configurations (e.g. ``--env PROPOSAL_RELAY_BATCH_SIZE=1000``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devstack.filing import FilingDesk
    from devstack.stack import Stack

SERVICES = ("proposal", "assignment", "evaluation", "gateway")
API = "/api/v1"

GATEWAY_LIMITS_OFF = {
    **{f"GATEWAY_RATE_LIMIT_{kind}_PER_MINUTE": "1000000000" for kind in ("AUTH", "WRITE", "READ", "API_KEY")},
    # an overloaded service answers late rather than never: the bench measures how late
    "GATEWAY_UPSTREAM_TIMEOUT_S": "120",
}
# Set-up and propagation requests wait this long: on a loaded machine a submit queued behind
# others can take many seconds, and a request given up on still runs in the service, where it
# would slow the next part down.
CLIENT_TIMEOUT_S = 120.0
# Targets (issue 11): printed beside each figure, never a pass/fail of the run.
TARGET_RPS = {"GET proposal": 1000.0, "POST draft": 300.0}  # straight at the proposal service
TARGET_GATEWAY_RATIO = 0.9  # through the gateway, with zero errors
TARGET_E2E_RATE = 150.0  # submissions per second sustained, through the gateway to the projection
TARGET_PROPAGATION_P99_MS = 50.0
TARGET_PROPAGATION_RATE = 100.0
TARGET_RELAY_EPS = 5000.0
TARGET_RSS_MIB = 150.0  # idle, per service
# The members' app (issue 13): the home screen on a throttled phone, and the JavaScript it needs.
TARGET_FIRST_LOAD_MS = 3000.0
TARGET_FIRST_JS_KIB = 150.0
MEMBER_APP = Path(__file__).resolve().parents[2] / "clients" / "member"

# What each filed item says (FilingDesk.draft_body adds the session and the kind).
PROPOSAL_TEXT = {
    "title": "关于加快老旧小区改造和加装电梯的建议",
    "content": (
        "近年来，我区老旧小区居民对改善居住条件的呼声日益强烈。"
        "建议统筹资金，完善加装电梯的审批流程，建立居民协商机制，"
        "并加强改造后的长效管理，切实提升群众的获得感和幸福感。"
    )
    * 4,
    "category": "城市建设",
}
# Members of the bench's body. Submits are spread over them: a submit compares the item with the
# member's own earlier items (the similar-items answer), so one member filing thousands of copies
# would measure that comparison, not the pipeline; a district body has a few hundred members.
DESK_MEMBERS = 100

_T0 = time.monotonic()


def progress(message: str) -> None:
    print(f"[bench {time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


@dataclass
class Profile:
    http_warmup_s: int
    http_duration_s: int
    http_connections: int
    propagation_rate: float
    propagation_duration_s: float
    # extra, lower offered rates: how the pipeline behaves below the submission capacity
    propagation_extra_rates: tuple[float, ...]
    relay_rows: int
    idle_settle_s: float
    http_items: int  # submitted items the GETs go round


# The first rate is the one of the latency target; the second the sustained-throughput target.
FULL = Profile(
    http_warmup_s=2,
    http_duration_s=10,
    http_connections=16,
    propagation_rate=TARGET_PROPAGATION_RATE,
    propagation_duration_s=10.0,
    propagation_extra_rates=(TARGET_E2E_RATE,),
    relay_rows=20_000,
    idle_settle_s=3.0,
    http_items=100,
)
QUICK = Profile(
    http_warmup_s=1,
    http_duration_s=2,
    http_connections=16,
    propagation_rate=TARGET_PROPAGATION_RATE,
    propagation_duration_s=1.0,
    propagation_extra_rates=(TARGET_E2E_RATE,),
    relay_rows=5_000,
    idle_settle_s=1.0,
    http_items=20,
)


# --------------------------------------------------------------------------- load generators


@dataclass
class LoadResult:
    name: str
    method: str
    target: str
    generator: str
    connections: int
    duration_s: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    notes: dict[str, Any] = field(default_factory=dict)


def ensure_wrk() -> str | None:
    """Path of wrk, installing Debian's package when it is missing; None if that fails."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    progress("wrk not found: trying apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    try:
        if subprocess.run(install, env=env, capture_output=True, timeout=300, check=False).returncode != 0:
            # the package lists may be missing or stale: refresh them once and retry
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300, check=False)
            subprocess.run(install, env=env, capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        progress(f"apt-get failed: {exc}")
    return shutil.which("wrk")


def _lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


_WRK_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def wrk_script(method: str, paths: list[str], body: str | None, headers: dict[str, str] | None = None) -> str:
    lines = [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in (headers or {}).items()]
    if method == "POST":
        lines += [
            "wrk.method = 'POST'",
            f"wrk.body = {_lua_string(body or '')}",
            "wrk.headers['Content-Type'] = 'application/json'",
        ]
    if len(paths) > 1:
        lines.append("local paths = {" + ", ".join(_lua_string(p) for p in paths) + "}")
        lines += [
            "local i = 0",
            "request = function()",
            "  i = i + 1",
            "  return wrk.format(nil, paths[(i % #paths) + 1])",
            "end",
        ]
    return "\n".join(lines) + "\n" + _WRK_DONE


def run_wrk(
    wrk: str,
    workdir: Path,
    base: str,
    method: str,
    paths: list[str],
    body: str | None,
    headers: dict[str, str],
    connections: int,
    seconds: int,
) -> dict[str, Any]:
    script = workdir / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    script.write_text(wrk_script(method, paths, body, headers), encoding="utf-8")
    command = [
        wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base + paths[0],
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            return json.loads(line[len("BENCHJSON ") :])
    raise RuntimeError(f"wrk gave no result (rc {result.returncode}):\n{result.stdout}\n{result.stderr}")


async def _python_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Closed loop in a child process: ``connections`` workers, each one request at a time."""
    import httpx

    paths: list[str] = spec["paths"]
    body = spec["body"].encode() if spec["body"] is not None else None
    headers: dict[str, str] = dict(spec["headers"])
    if body is not None:
        headers["content-type"] = "application/json"
    latencies: list[float] = []
    errors = 0
    counter = 0
    limits = httpx.Limits(max_connections=spec["connections"], max_keepalive_connections=spec["connections"])
    async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=10.0) as client:

        async def worker(until: float, record: bool) -> None:
            nonlocal errors, counter
            while time.perf_counter() < until:
                counter += 1
                path = paths[counter % len(paths)]
                started = time.perf_counter()
                try:
                    response = await client.request(spec["method"], path, content=body, headers=headers)
                    ok = response.status_code < 400
                except httpx.HTTPError:
                    ok = False
                if record:
                    latencies.append(time.perf_counter() - started)
                    errors += not ok

        for seconds, record in ((spec["warmup"], False), (spec["duration"], True)):
            if seconds <= 0:
                continue
            started = time.perf_counter()
            until = started + seconds
            await asyncio.gather(*(worker(until, record) for _ in range(spec["connections"])))
            elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "p50_us": int(percentile(latencies, 50) * 1e6),
        "p99_us": int(percentile(latencies, 99) * 1e6),
        "max_us": int(max(latencies, default=0) * 1e6),
        "status": errors,
        "connect": 0,
        "read": 0,
        "write": 0,
        "timeout": 0,
    }


def run_python_load(
    base: str,
    method: str,
    paths: list[str],
    body: str | None,
    headers: dict[str, str],
    connections: int,
    warmup: int,
    seconds: int,
) -> dict[str, Any]:
    spec = {
        "base": base,
        "method": method,
        "paths": paths,
        "body": body,
        "headers": headers,
        "connections": connections,
        "warmup": warmup,
        "duration": seconds,
    }
    result = subprocess.run(
        [sys.executable, __file__, "--_pyload", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=warmup + seconds + 120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"python load generator failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- process helpers


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` plus all its descendants, in KiB."""
    tree = _children()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(tree.get(current, []))
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores the whole machine kept busy over ``seconds`` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values[:8]) - idle, sum(values[:8])

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    cores = os.cpu_count() or 1
    return (busy1 - busy0) / max(1, total1 - total0) * cores


class CpuMeter:
    """CPU cores used over a ``with`` block: per service process, by child processes
    (the load generator) and by the whole machine."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.cores: dict[str, float] = {}
        self.children = float("nan")
        self.machine = float("nan")

    @staticmethod
    def _machine() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(values[:8]) - values[3] - values[4], sum(values[:8])

    def __enter__(self) -> CpuMeter:
        self._wall = time.monotonic()
        self._proc = {n: cpu_seconds(p) for n, p in self.pids.items()}
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._children = usage.ru_utime + usage.ru_stime
        self._stat = self._machine()
        return self

    def __exit__(self, *_: object) -> None:
        wall = max(1e-6, time.monotonic() - self._wall)
        self.cores = {n: round((cpu_seconds(p) - self._proc[n]) / wall, 2) for n, p in self.pids.items()}
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.children = round((usage.ru_utime + usage.ru_stime - self._children) / wall, 2)
        busy, total = self._machine()
        share = (busy - self._stat[0]) / max(1, total - self._stat[1])
        self.machine = round(share * (os.cpu_count() or 1), 2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (not its children)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- Kafka helpers


async def _partitions(consumer: Any, topic: str, deadline: float) -> set[int]:
    """The topic's partitions, read from fresh cluster metadata (the topic may be new)."""
    while True:
        # consumer.topics() returns names only and leaves the client's cached metadata as it was
        partitions = (await consumer._client.fetch_all_metadata()).partitions_for_topic(topic)
        if partitions or time.monotonic() > deadline:
            return set(partitions or ())
        await asyncio.sleep(0.2)


async def _consumer_lag(bootstrap: str, groups: list[str], topic: str, timeout: float) -> dict[str, int]:
    """Waits until every group has committed up to the topic's end; returns the last lag seen."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    from devstack.kafka import client_config_for

    # The broker is secured (ADR 0010): the bench's own clients log in as its admin.
    admin = AIOKafkaAdminClient(**client_config_for(bootstrap).kwargs())
    consumer = AIOKafkaConsumer(**client_config_for(bootstrap).kwargs(), group_id=None)
    await admin.start()
    await consumer.start()
    lag: dict[str, int] = {}
    try:
        deadline = time.monotonic() + timeout
        partitions = await _partitions(consumer, topic, deadline)
        if not partitions:
            return {}
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        last_report = 0.0
        while True:
            end = await consumer.end_offsets(tps)
            for group in groups:
                committed = await admin.list_consumer_group_offsets(group, partitions=tps)
                lag[group] = sum(
                    end[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
                    for tp in tps
                )
            if all(v <= 0 for v in lag.values()) or time.monotonic() > deadline:
                return lag
            if time.monotonic() - last_report > 2:
                progress(f"  waiting for consumers to drain: lag {lag}")
                last_report = time.monotonic()
            await asyncio.sleep(0.25)
    finally:
        await consumer.stop()
        await admin.close()


def wait_drained(bootstrap: str, timeout: float = 180) -> dict[str, int]:
    return asyncio.run(
        _consumer_lag(bootstrap, ["assignment-service", "evaluation-service"], "proposal.events", timeout)
    )


# --------------------------------------------------------------------------- 3. relay


async def _relay_bench(workdir: Path, bootstrap: str, rows: int) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from pydantic import BaseModel
    from sqlmodel import SQLModel

    from devstack.kafka import client_config_for
    from servicekit.db import Database
    from servicekit.events import EventRegistry
    from servicekit.kafka import KafkaConnector
    from servicekit.outbox import Outbox, OutboxLease, OutboxMessage, OutboxRelay

    registry = EventRegistry(source="/bench/relay")

    @registry.register("bench.relay.filler", 1)
    class Filler(BaseModel):  # about the size of a proposal.submitted event
        proposal_id: str
        title: str
        kind: str
        category: str
        lead_proposer: str
        n: int

    topic = f"bench.relay.{uuid.uuid4().hex[:8]}"
    database = Database(f"sqlite+aiosqlite:///{workdir / 'relay-bench.db'}")
    kafka = KafkaConnector(client_config_for(bootstrap), client_id="bench-relay")
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(
                lambda c: SQLModel.metadata.create_all(c, tables=[OutboxMessage.__table__, OutboxLease.__table__])  # type: ignore[attr-defined]
            )
        progress(f"relay: pre-filling the outbox with {rows:,} rows")
        outbox = Outbox(registry, topic)
        chunk = 2000
        for start in range(0, rows, chunk):
            async with database.session() as session:
                for n in range(start, min(rows, start + chunk)):
                    subject = str(uuid.uuid4())
                    outbox.add(
                        session,
                        Filler(
                            proposal_id=subject,
                            title=PROPOSAL_TEXT["title"],
                            kind="individual",
                            category="城市建设",
                            lead_proposer="张三",
                            n=n,
                        ),
                        subject=subject,
                    )
                await session.commit()
        await kafka.ensure_topics([topic], partitions=3, replication_factor=1)
        await kafka.producer()  # connected before the clock starts
        relay = OutboxRelay(database=database, kafka=kafka, batch_size=500)
        progress("relay: publishing")
        batches = 0
        started = time.perf_counter()
        while await relay.publish_pending():
            batches += 1
        elapsed = time.perf_counter() - started

        check = AIOKafkaConsumer(**client_config_for(bootstrap).kwargs(), group_id=None)
        await check.start()
        try:
            partitions = await _partitions(check, topic, time.monotonic() + 30)
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            on_broker = sum((await check.end_offsets(tps)).values())
        finally:
            await check.stop()
    finally:
        await kafka.close()
        await database.dispose()
    return {
        "rows": rows,
        "published": relay.published_total,
        "on_broker": on_broker,
        "batch_size": relay.batch_size,
        "batches": batches,
        "seconds": elapsed,
        "events_per_s": relay.published_total / elapsed if elapsed else float("nan"),
    }


# --------------------------------------------------------------------------- 2. propagation


def open_desk(stack: Stack, members: int = DESK_MEMBERS) -> FilingDesk:
    """A body with a session and ``members`` members, created through the gateway; its
    ``prefix`` is the gateway's (``replace(desk, prefix="")`` serves the proposal service)."""
    import httpx

    from devstack.filing import FilingDesk

    async def run() -> FilingDesk:
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=CLIENT_TIMEOUT_S) as client:
            return await FilingDesk.open(client, stack.keys, prefix=API, members=members)

    return asyncio.run(run())


def warm_pipeline(gateway: str, assignment: str, bootstrap: str, desk: FilingDesk, timeout: float = 90) -> float:
    """Files (drafts and submits) one proposal through the gateway and waits for it in the assignment
    projection, so the consumers have joined their groups before anything is timed; returns the seconds it took."""
    import httpx

    started = time.monotonic()

    async def run() -> None:
        async with httpx.AsyncClient(base_url=gateway, timeout=CLIENT_TIMEOUT_S) as client:
            proposal_id = (await desk.file(client, member=0, **PROPOSAL_TEXT))["id"]
            # the assignment service shows an item to the body's staff only (and its proposers, units)
            url, staff = f"{assignment}/proposals/{proposal_id}", desk.staff()
            while (answer := await client.get(url, headers=staff)).status_code != 200:
                if answer.status_code not in (404, 200):
                    raise RuntimeError(f"GET {url}: {answer.status_code} {answer.text}")
                if time.monotonic() - started > timeout:
                    raise TimeoutError("the first submission did not reach the assignment service")
                await asyncio.sleep(0.1)

    asyncio.run(run())
    wait_drained(bootstrap, timeout)
    return time.monotonic() - started


async def _drafts(client: Any, desk: FilingDesk, total: int, concurrency: int = 8) -> list[tuple[str, int]]:
    """Creates ``total`` drafts through ``client`` (the desk's prefix), spread over the desk's
    members; (id, member index) of each, in creation order."""
    members = [desk.member(i) for i in range(len(desk.members))]
    body = json.dumps(desk.draft_body(**PROPOSAL_TEXT), ensure_ascii=False).encode()
    created: list[tuple[str, int]] = []
    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:
            member = i % len(members)
            headers = {**members[member], "content-type": "application/json"}
            response = await client.post(f"{desk.prefix}/proposals", content=body, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"draft failed: {response.status_code} {response.text}")
            created.append((response.json()["id"], member))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return created


async def _propagation(gateway: str, assignment: str, desk: FilingDesk, rate: float, duration: float) -> dict[str, Any]:
    """Submits pre-created drafts open loop at ``rate``; propagation = projection received_at - submitted_at.

    The draft POSTs happen before the timed part (and are not counted): the clock covers the submit
    request (whose handling stamps submitted_at) up to the item's appearance in the assignment projection.
    """
    import httpx

    total = int(rate * duration)
    members = [desk.member(i) for i in range(len(desk.members))]
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    accepted: list[str] = []
    post_latency: list[float] = []
    lateness: list[float] = []
    failures = 0
    async with httpx.AsyncClient(base_url=gateway, limits=limits, timeout=CLIENT_TIMEOUT_S) as client:
        progress(f"propagation: creating {total} drafts through the gateway (not timed)")
        drafts = await _drafts(client, desk, total)
        # open a few connections first, so the measured run does not pay for connecting
        await asyncio.gather(*(client.get("/health/live") for _ in range(8)))
        loop = asyncio.get_running_loop()

        async def submit(intended: float, proposal_id: str, member: int) -> None:
            nonlocal failures
            lateness.append(loop.time() - intended)
            try:
                response = await client.post(f"{desk.prefix}/proposals/{proposal_id}/submit", headers=members[member])
            except httpx.HTTPError:
                failures += 1
                return
            post_latency.append(loop.time() - intended)  # from the scheduled time: no coordinated omission
            if response.status_code == 200:
                accepted.append(proposal_id)
            else:
                failures += 1

        progress(f"propagation: {total} submits at {rate:.0f}/s through the gateway (open loop)")
        tasks: list[asyncio.Task[None]] = []
        start = loop.time() + 0.1
        for i, (proposal_id, member) in enumerate(drafts):
            intended = start + i / rate
            delay = intended - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(submit(intended, proposal_id, member)))
        sent_for = loop.time() - start
        await asyncio.gather(*tasks)
        answered_after = loop.time() - start

        progress(f"propagation: reading {len(accepted)} rows from the assignment projection")
        delays: list[float] = []
        missing = 0
        queue = list(accepted)
        deadline = time.monotonic() + 60
        staff = desk.staff()

        async def reader() -> None:
            nonlocal missing
            while queue:
                proposal_id = queue.pop()
                while True:
                    response = await client.get(f"{assignment}/proposals/{proposal_id}", headers=staff)
                    if response.status_code not in (200, 404):
                        raise RuntimeError(f"reading the projection: {response.status_code} {response.text}")
                    if response.status_code == 200:
                        row = response.json()
                        received = datetime.fromisoformat(row["received_at"])
                        submitted = datetime.fromisoformat(row["submitted_at"])
                        delays.append((received - submitted).total_seconds())
                        break
                    if time.monotonic() > deadline:
                        missing += 1
                        break
                    await asyncio.sleep(0.2)

        await asyncio.gather(*(reader() for _ in range(8)))
    return {
        "offered_rate": rate,
        "scheduled": total,
        "send_seconds": sent_for,
        "all_answered_after_s": answered_after,
        "accepted": len(accepted),
        "failed": failures,
        "missing_in_projection": missing,
        "p50_ms": percentile(delays, 50) * 1000,
        "p90_ms": percentile(delays, 90) * 1000,
        "p99_ms": percentile(delays, 99) * 1000,
        "max_ms": max(delays, default=float("nan")) * 1000,
        "post_p50_ms": percentile(post_latency, 50) * 1000,
        "post_p99_ms": percentile(post_latency, 99) * 1000,
        "send_lateness_p99_ms": percentile(lateness, 99) * 1000,
        # answers trailing the last send by more than a second: requests queued up
        "overloaded": answered_after > sent_for + 1.0 or failures > 0,
    }


# --------------------------------------------------------------------------- 1. HTTP


def seed_proposals(base: str, desk: FilingDesk, count: int) -> list[str]:
    """Files (drafts and submits) ``count`` items straight at the proposal service; their ids."""
    import httpx

    direct = replace(desk, prefix="")

    async def run() -> list[str]:
        async with httpx.AsyncClient(base_url=base, timeout=CLIENT_TIMEOUT_S) as client:
            return [(await direct.file(client, member=i, **PROPOSAL_TEXT))["id"] for i in range(count)]

    return asyncio.run(run())


def http_runs(
    stack: Stack, bootstrap: str, workdir: Path, profile: Profile, use_wrk: str | None, desk: FilingDesk
) -> list[LoadResult]:
    proposal = stack["proposal"].url
    gateway = stack.gateway_url
    wait_drained(bootstrap)  # the propagation runs' events must not compete with these runs
    progress(f"http: seeding {profile.http_items} submitted proposals for the GETs")
    ids = seed_proposals(proposal, desk, profile.http_items)
    body = json.dumps(desk.draft_body(**PROPOSAL_TEXT), ensure_ascii=False)
    staff, member = desk.staff(), desk.member(0)  # tokens live 15 minutes: long enough for these runs
    cases = [
        ("GET proposal", "GET", "direct", proposal, [f"/proposals/{i}" for i in ids], None, staff),
        ("GET proposal", "GET", "gateway", gateway, [f"{API}/proposals/{i}" for i in ids], None, staff),
        ("POST draft", "POST", "direct", proposal, ["/proposals"], body, member),
        ("POST draft", "POST", "gateway", gateway, [f"{API}/proposals"], body, member),
    ]
    results = []
    pids = {name: stack[name].process.pid for name in SERVICES}  # type: ignore[union-attr]
    for name, method, target, base, paths, payload, headers in cases:
        if method == "POST":
            lag = wait_drained(bootstrap)
            if any(v > 0 for v in lag.values()):
                progress(f"  consumers still behind before the run: {lag}")
        progress(f"http: {name} {target}: {profile.http_duration_s}s, {profile.http_connections} connections")
        if use_wrk:
            if profile.http_warmup_s:
                run_wrk(
                    use_wrk,
                    workdir,
                    base,
                    method,
                    paths,
                    payload,
                    headers,
                    profile.http_connections,
                    profile.http_warmup_s,
                )
            with CpuMeter(pids) as meter:
                raw = run_wrk(
                    use_wrk,
                    workdir,
                    base,
                    method,
                    paths,
                    payload,
                    headers,
                    profile.http_connections,
                    profile.http_duration_s,
                )
            generator = "wrk"
        else:
            with CpuMeter(pids) as meter:  # includes the warm-up: the child process runs both
                raw = run_python_load(
                    base,
                    method,
                    paths,
                    payload,
                    headers,
                    profile.http_connections,
                    profile.http_warmup_s,
                    profile.http_duration_s,
                )
            generator = "python-httpx"
        seconds = raw["duration_us"] / 1e6
        cpu = meter.cores
        errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
        results.append(
            LoadResult(
                name=name,
                method=method,
                target=target,
                generator=generator,
                connections=profile.http_connections,
                duration_s=round(seconds, 2),
                requests=raw["requests"],
                errors=errors,
                rps=raw["requests"] / seconds if seconds else float("nan"),
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                max_ms=raw["max_us"] / 1000,
                notes={"cpu_cores_used": cpu, "machine_busy_cores": meter.machine, "loadgen_cores": meter.children},
            )
        )
        r = results[-1]
        progress(
            f"  {r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, errors {errors}; "
            f"CPU {cpu}, load generator {meter.children}, whole machine {meter.machine}"
        )
    return results


# --------------------------------------------------------------------------- report


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    aligns = ["<" if i == 0 else ">" for i in range(len(headers))]
    line = "  ".join(f"{h:{a}{w}}" for h, a, w in zip(headers, aligns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, aligns, widths, strict=True)) for r in rows]
    return "\n".join(out)


def e2e_rate(results: dict[str, Any]) -> float:
    """Submissions per second through the gateway to the assignment projection, at the offered
    rate of the throughput target (else the highest offered); NaN when not measured."""
    runs = [r for r in (results.get("propagation"), *results.get("propagation_extra", [])) if r]
    if not runs:
        return float("nan")
    run = next((r for r in runs if r["offered_rate"] == TARGET_E2E_RATE), max(runs, key=lambda r: r["offered_rate"]))
    rate: float = run["accepted"] / run["all_answered_after_s"] if run["all_answered_after_s"] else float("nan")
    return rate


def _figure(
    value: float | None, unit: str, *, at_least: float | None = None, at_most: float | None = None, valid: bool = True
) -> dict[str, Any]:
    measured = value is not None and value == value  # NaN: not measured
    target = f">= {at_least:g}" if at_least is not None else f"<= {at_most:g}" if at_most is not None else None
    met: bool | None = None
    if measured and at_least is not None:
        met = value >= at_least  # type: ignore[operator]
    elif measured and at_most is not None:
        met = value <= at_most  # type: ignore[operator]
    return {"value": value if measured else None, "unit": unit, "target": target, "met": met, "valid": valid}


FIGURE_KEYS = (
    "get_item_direct_rps", "get_item_gateway_rps", "get_item_gateway_ratio", "get_item_direct_p99_ms",
    "get_item_gateway_p99_ms", "post_draft_direct_rps", "post_draft_gateway_rps", "post_draft_gateway_ratio",
    "post_draft_direct_p99_ms", "post_draft_gateway_p99_ms", "e2e_submissions_per_s", "propagation_p50_ms",
    "propagation_p99_ms", "submit_p99_ms", "relay_events_per_s",
    *(f"idle_rss_mib_{name}" for name in SERVICES),
    "app_first_load_home_ms", "app_first_screen_js_gzip_kib",
)  # fmt: skip


def app_first_load(stack: Stack, desk: FilingDesk, admin_password: str, *, runs: int) -> dict[str, Any]:
    """The members' app's throttled first load (clients/member/scripts/first-load.mjs): a member
    account for one of the desk's members, then the script's figures."""
    import httpx

    npx = shutil.which("npx")
    if npx is None:
        raise RuntimeError("the app part needs Node (npx): ./dev installs it")
    if not (MEMBER_APP / "dist" / "index.html").exists():
        progress("building the members' app (clients/member/dist is missing)")
        subprocess.run([npx, "vite", "build"], cwd=MEMBER_APP, check=True, capture_output=True, timeout=900)
    password = secrets.token_urlsafe(16)
    with httpx.Client(base_url=stack.gateway_url + API, timeout=CLIENT_TIMEOUT_S) as client:
        login = client.post("/auth/login", json={"username": "admin", "password": admin_password})
        login.raise_for_status()
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        account = {
            "username": "bench-member",
            "display_name": "测评委员",
            "role": "member",
            "password": password,
            "body_id": desk.body["id"],
            "member_id": desk.members[0]["id"],
        }
        client.post("/accounts", json=account, headers=admin).raise_for_status()
    env = {
        **os.environ,
        "GATEWAY_URL": stack.gateway_url,
        "MEMBER_USERNAME": "bench-member",
        "MEMBER_PASSWORD": password,
        "RUNS": str(runs),
    }
    done = subprocess.run(
        ["node", "scripts/first-load.mjs"], cwd=MEMBER_APP, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"first-load.mjs failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def figures(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every figure under a stable key, with its target and whether it was met; a figure whose
    requests failed is marked not valid. Keys of parts not run hold None."""
    out: dict[str, dict[str, Any]] = {}
    http = {(r["name"], r["target"]): r for r in results.get("http", [])}
    for name, key in (("GET proposal", "get_item"), ("POST draft", "post_draft")):
        direct, gateway = http.get((name, "direct")), http.get((name, "gateway"))
        direct_ok = bool(direct) and not direct["errors"]  # type: ignore[index]
        gateway_ok = bool(gateway) and not gateway["errors"]  # type: ignore[index]
        out[f"{key}_direct_rps"] = _figure(
            direct["rps"] if direct else None, "req/s", at_least=TARGET_RPS[name], valid=direct_ok
        )
        out[f"{key}_gateway_rps"] = _figure(gateway["rps"] if gateway else None, "req/s", valid=gateway_ok)
        ratio = gateway["rps"] / direct["rps"] if direct and gateway and direct["rps"] else None
        out[f"{key}_gateway_ratio"] = _figure(
            ratio, "x direct", at_least=TARGET_GATEWAY_RATIO, valid=direct_ok and gateway_ok
        )
        out[f"{key}_direct_p99_ms"] = _figure(direct["p99_ms"] if direct else None, "ms", valid=direct_ok)
        out[f"{key}_gateway_p99_ms"] = _figure(gateway["p99_ms"] if gateway else None, "ms", valid=gateway_ok)
    prop = results.get("propagation")
    prop_ok = bool(prop) and not prop["failed"] and not prop["missing_in_projection"]  # type: ignore[index]
    runs = [r for r in (prop, *results.get("propagation_extra", [])) if r]
    out["e2e_submissions_per_s"] = _figure(
        e2e_rate(results), "submissions/s", at_least=TARGET_E2E_RATE, valid=all(not r["failed"] for r in runs)
    )
    at_target = prop and prop["offered_rate"] == TARGET_PROPAGATION_RATE
    out["propagation_p50_ms"] = _figure(prop["p50_ms"] if prop else None, "ms", valid=prop_ok)
    out["propagation_p99_ms"] = _figure(
        prop["p99_ms"] if prop else None, "ms", at_most=TARGET_PROPAGATION_P99_MS if at_target else None, valid=prop_ok
    )
    out["submit_p99_ms"] = _figure(prop["post_p99_ms"] if prop else None, "ms", valid=prop_ok)
    relay = results.get("relay")
    out["relay_events_per_s"] = _figure(
        relay["events_per_s"] if relay else None,
        "events/s",
        at_least=TARGET_RELAY_EPS,
        valid=bool(relay) and relay["published"] == relay["on_broker"],  # type: ignore[index]
    )
    idle = results.get("memory", {}).get("idle_mib", {})
    for name in SERVICES:
        out[f"idle_rss_mib_{name}"] = _figure(idle.get(name), "MiB", at_most=TARGET_RSS_MIB)
    app = results.get("app")
    out["app_first_load_home_ms"] = _figure(app["home_ms"] if app else None, "ms", at_most=TARGET_FIRST_LOAD_MS)
    out["app_first_screen_js_gzip_kib"] = _figure(
        app["js_gzip_bytes"] / 1024 if app else None, "KiB", at_most=TARGET_FIRST_JS_KIB
    )
    scale = results.get("scale")
    if scale:
        from scale import TARGETS_MS
        from statistics_scale import OPERATIONS as REPORTS
        from statistics_scale import TARGET_MS

        parts = [
            ("scale", scale["databases"], TARGETS_MS),
            ("statistics", scale.get("statistics", {}), dict.fromkeys(REPORTS, TARGET_MS)),
        ]
        for prefix, by_db, targets in parts:
            for db, by_size in by_db.items():
                for size, block in by_size.items():
                    for op, target in targets.items():
                        f = block["operations"][op]
                        ok = not f["errors"]
                        out[f"{prefix}_{db}_{size}_{op}_p50_ms"] = _figure(f["p50_ms"], "ms", valid=ok)
                        out[f"{prefix}_{db}_{size}_{op}_p99_ms"] = _figure(f["p99_ms"], "ms", at_most=target, valid=ok)
    return out


def summary(figs: dict[str, dict[str, Any]]) -> str:
    rows = []
    for key, f in figs.items():
        value = "not run" if f["value"] is None else f"{f['value']:,.2f}" if f["value"] < 10 else f"{f['value']:,.0f}"
        mark = "INVALID" if f["value"] is not None and not f["valid"] else verdict(f["met"])
        rows.append([key, value, f["unit"], f["target"] or "", mark])
    return 'Summary (the keys of --json\'s "figures")\n' + table(["figure", "value", "unit", "target", ""], rows)


def report(results: dict[str, Any]) -> str:
    out: list[str] = []
    meta = results["meta"]
    out.append(
        f"Benchmark ({meta['mode']} run) on {meta['cpus']} CPUs, Python {meta['python']}, "
        f"SQLite, Kafka single node, one uvicorn worker per service"
    )
    if meta.get("busy_cores_before", 0) > 0.25:
        out.append(
            f"WARNING: other processes kept {meta['busy_cores_before']:.2f} cores busy before the run;"
            " the figures below are not representative"
        )
    if meta.get("service_env_extra"):
        out.append(f"service environment: {meta['service_env_extra']}")
    out.append("")

    http: list[dict[str, Any]] = results.get("http", [])
    if http:
        gen = http[0]["generator"]
        out.append(
            f"1. HTTP, closed loop: {gen} in a separate process, {http[0]['connections']} keep-alive connections, "
            f"{http[0]['duration_s']:.0f}s per run after a warm-up; shares the 2 cores with the services"
        )
        rows = []
        by_key = {(r["name"], r["target"]): r for r in http}
        for r in http:
            ratio_txt, target_txt, ok_txt = "", "", ""
            if r["target"] == "gateway" and (r["name"], "direct") in by_key:
                ratio = r["rps"] / by_key[(r["name"], "direct")]["rps"]
                r["ratio_to_direct"] = ratio
                ratio_txt = f"{ratio:.2f}x"
                target_txt = f">= {TARGET_GATEWAY_RATIO:.1f}x, no errors"
                ok_txt = verdict(ratio >= TARGET_GATEWAY_RATIO)
            elif r["target"] == "direct" and r["name"] in TARGET_RPS:
                target_txt = f">= {TARGET_RPS[r['name']]:,.0f} req/s"
                ok_txt = verdict(r["rps"] >= TARGET_RPS[r["name"]])
            if r["errors"]:
                # a run with failed requests measured something else (429s, 500s, timeouts)
                ok_txt = f"INVALID ({r['errors']} failed)"
            cpu = r["notes"].get("cpu_cores_used", {})
            cpu_txt = " ".join(f"{v:.2f}" for v in cpu.values())
            cpu_txt += f" | {r['notes'].get('loadgen_cores', float('nan')):.2f}"
            cpu_txt += f" | {r['notes'].get('machine_busy_cores', float('nan')):.2f}"
            rows.append(
                [
                    f"{r['name']} ({r['target']})",
                    f"{r['rps']:,.0f}",
                    f"{r['p50_ms']:.1f}",
                    f"{r['p99_ms']:.1f}",
                    f"{r['errors']}",
                    ratio_txt,
                    target_txt,
                    ok_txt,
                    cpu_txt,
                ]
            )
        out.append(
            table(
                [
                    "request",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "errors",
                    "gw/direct",
                    "target",
                    "",
                    "cores: proposal assignment evaluation gateway | load gen | machine",
                ],
                rows,
            )
        )
        out.append("")

    prop = results.get("propagation")
    if prop:
        runs = [prop, *results.get("propagation_extra", [])]
        out.append(
            f"2. Propagation, submits open loop through the gateway ({prop['scheduled'] / prop['offered_rate']:.0f}s"
            " per rate; each item's draft POSTed beforehand, not timed);"
            " latency = assignment row received_at - proposal submitted_at (server clocks, no polling)."
        )
        out.append(
            "   submitted_at is stamped inside the proposal service's submit request, so time a request queued"
            " before reaching it shows in the submit latency, not here."
        )

        def cells(key: str, fmt: str) -> list[str]:
            return [fmt.format(r[key]) for r in runs]

        rows = [
            ["propagation p50 ms", *cells("p50_ms", "{:.1f}"), "", ""],
            ["propagation p90 ms", *cells("p90_ms", "{:.1f}"), "", ""],
            [
                "propagation p99 ms",
                *cells("p99_ms", "{:.1f}"),
                f"<= {TARGET_PROPAGATION_P99_MS:.0f} at {TARGET_PROPAGATION_RATE:.0f}/s",
                verdict(prop["p99_ms"] <= TARGET_PROPAGATION_P99_MS)
                if prop["offered_rate"] == TARGET_PROPAGATION_RATE
                else "n/a",
            ],
            ["propagation max ms", *cells("max_ms", "{:.1f}"), "", ""],
            ["submit latency p50 ms", *cells("post_p50_ms", "{:.1f}"), "", ""],
            ["submit latency p99 ms", *cells("post_p99_ms", "{:.1f}"), "", ""],
            [
                "accepted/failed/not projected",
                *[f"{r['accepted']}/{r['failed']}/{r['missing_in_projection']}" for r in runs],
                "",
                "",
            ],
            [
                "accepted per s (end to end)",
                *[f"{r['accepted'] / r['all_answered_after_s']:.0f}" for r in runs],
                f">= {TARGET_E2E_RATE:.0f} sustained",
                verdict(e2e_rate(results) >= TARGET_E2E_RATE) if e2e_rate(results) == e2e_rate(results) else "n/a",
            ],
            ["kept up with the offered rate", *["yes" if not r["overloaded"] else "NO" for r in runs], "", ""],
        ]
        out.append(table(["offered rate", *[f"{r['offered_rate']:.0f}/s" for r in runs], "target", ""], rows))
        if prop["overloaded"]:
            out.append(
                f"   at {prop['offered_rate']:.0f}/s the submissions were answered only after"
                f" {prop['all_answered_after_s']:.1f}s for {prop['send_seconds']:.1f}s of sending: the system is past"
                " its capacity, and the latencies above include its queues."
            )
        out.append("")

    relay = results.get("relay")
    if relay:
        out.append(
            f"3. Outbox relay: {relay['rows']:,} pre-filled rows in SQLite, publish_pending() (batch "
            f"{relay['batch_size']}) until empty, acks=all idempotent producer, in the bench process"
        )
        ok = relay["events_per_s"] >= TARGET_RELAY_EPS
        out.append(
            table(
                ["figure", "value", "target", ""],
                [
                    [
                        "publish rate",
                        f"{relay['events_per_s']:,.0f} events/s",
                        f">= {TARGET_RELAY_EPS:,.0f}",
                        verdict(ok),
                    ],
                    ["time for all rows", f"{relay['seconds']:.2f} s", "", ""],
                    ["published / on the broker", f"{relay['published']:,} / {relay['on_broker']:,}", "", ""],
                ],
            )
        )
        out.append("")

    memory = results.get("memory")
    if memory:
        out.append("4. Resident memory (VmRSS of the service process and its children)")
        rows = []
        for name in SERVICES:
            idle = memory["idle_mib"].get(name)
            after = memory.get("after_load_mib", {}).get(name)
            rows.append(
                [
                    name,
                    f"{idle:.1f}" if idle is not None else "",
                    f"{after:.1f}" if after is not None else "",
                    f"<= {TARGET_RSS_MIB:.0f}",
                    verdict(idle <= TARGET_RSS_MIB) if idle is not None else "n/a",
                ]
            )
        out.append(table(["service", "idle MiB", "after load MiB", "target (idle)", ""], rows))
        out.append("")
    if results.get("scale"):
        from scale import scale_report

        out.append(scale_report(results["scale"], verdict, table))
        out.append("")
    results["figures"] = figures(results)
    out.append(summary(results["figures"]))
    out.append("")
    out.append(f"total bench time {meta['seconds']:.0f} s")
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (about 30-40 s)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this path")
    parser.add_argument(
        "--loadgen", choices=("auto", "wrk", "python"), default="auto", help="HTTP load generator (auto: wrk if any)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated parts to run (default: relay,memory,propagation,http; with --scale: scale)",
    )
    parser.add_argument(
        "--rates",
        help="offered submission rates for the propagation part, comma-separated (default: 200,50; quick: 200)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the services, e.g. to compare settings (repeatable)",
    )
    parser.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="the scale bench instead: seed N items (and 1k, 10k below N) and time each operation",
    )
    parser.add_argument(
        "--scale-db", default="sqlite,postgresql", help="databases of the scale bench (default: sqlite,postgresql)"
    )
    parser.add_argument(
        "--scale-repeats", type=int, help="requests timed per operation and size (default 200; quick: 20)"
    )
    parser.add_argument("--_pyload", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._pyload:
        print(json.dumps(asyncio.run(_python_load(json.loads(args._pyload)))))
        return 0

    from devstack.kafka import KafkaBroker, ensure_jars
    from devstack.stack import Stack

    profile = QUICK if args.quick else FULL
    if args.rates:
        try:
            rates = [float(r) for r in args.rates.split(",") if r.strip()]
        except ValueError:
            parser.error(f"--rates needs numbers, not {args.rates!r}")
        if not rates or min(rates) <= 0:
            parser.error("--rates needs positive numbers")
        profile = replace(profile, propagation_rate=rates[0], propagation_extra_rates=tuple(rates[1:]))
    default_parts = "scale" if args.scale else "relay,memory,propagation,http,app"
    parts = {p.strip() for p in (args.only or default_parts).split(",") if p.strip()}
    if "scale" in parts and not args.scale:
        parser.error("the scale part needs --scale N")
    if args.scale is not None and args.scale < 1:
        parser.error("--scale needs a positive number of items")
    scale_dbs = [d.strip() for d in args.scale_db.split(",") if d.strip()]
    if set(scale_dbs) - {"sqlite", "postgresql"} or not scale_dbs:
        parser.error("--scale-db takes sqlite and/or postgresql")
    unknown = parts - {"relay", "memory", "propagation", "http", "app", "scale"}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    service_env = {f"{name.upper()}_LOG_LEVEL": "WARNING" for name in SERVICES}
    # The gateway's per-caller rate limits would turn most of the load into 429s, and its upstream
    # timeout queued submits into 504s: the bench measures capacity, so both are configured out of
    # the way (--env can set them back).
    service_env.update(GATEWAY_LIMITS_OFF)
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--env needs KEY=VALUE, not {item!r}")
        service_env[key] = value
    extra_env = {k: v for k, v in service_env.items() if not k.endswith("_LOG_LEVEL") or v != "WARNING"}
    workdir = Path(tempfile.mkdtemp(prefix="proposal-bench-"))
    results: dict[str, Any] = {
        "meta": {
            "mode": "quick" if args.quick else "full",
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "profile": asdict(profile),
            "parts": sorted(parts),
            "service_env": service_env,
            "service_env_extra": extra_env,
            "targets": {
                "direct_rps_min": TARGET_RPS,
                "gateway_to_direct_ratio_min": TARGET_GATEWAY_RATIO,
                "e2e_submissions_per_s_min": TARGET_E2E_RATE,
                "propagation_p99_ms_max": TARGET_PROPAGATION_P99_MS,
                "propagation_target_rate": TARGET_PROPAGATION_RATE,
                "relay_events_per_s_min": TARGET_RELAY_EPS,
                "idle_rss_mib_max": dict.fromkeys(SERVICES, TARGET_RSS_MIB),
            },
        }
    }
    use_wrk: str | None = None
    if args.loadgen in ("auto", "wrk"):
        use_wrk = ensure_wrk()
        if use_wrk is None:
            progress("wrk is not available: using the Python load generator")
    progress(f"work folder {workdir}")
    results["meta"]["busy_cores_before"] = round(busy_cores(), 2)
    if results["meta"]["busy_cores_before"] > 0.25:
        progress(f"warning: the machine is not idle ({results['meta']['busy_cores_before']:.2f} cores busy)")
    broker: KafkaBroker | None = None
    stack: Stack | None = None
    try:
        if "scale" in parts:
            from scale import run_scale

            repeats = args.scale_repeats or (20 if args.quick else 200)
            results["scale"] = run_scale(args.scale, scale_dbs, repeats, workdir, progress)
        if parts - {"scale"}:
            ensure_jars()
            progress("starting Kafka")
            broker = KafkaBroker(data_dir=workdir / "kafka")
            broker.start()

        if "relay" in parts:
            assert broker is not None
            results["relay"] = asyncio.run(_relay_bench(workdir, broker.bootstrap, profile.relay_rows))
            progress(f"relay: {results['relay']['events_per_s']:,.0f} events/s")

        if parts - {"relay", "scale"}:
            assert broker is not None
            progress("starting the services")
            admin_password = secrets.token_urlsafe(16)  # the app part makes a member's account
            stack = Stack(
                workdir=workdir / "stack",
                kafka_bootstrap=broker.bootstrap,
                extra_env=service_env,
                admin_password=admin_password,
            )
            stack.start()
            stack.wait_ready()
            pids = {name: stack[name].process.pid for name in SERVICES}  # type: ignore[union-attr]
            time.sleep(profile.idle_settle_s)
            idle = {name: rss_kib(pid) / 1024 for name, pid in pids.items()}
            results["memory"] = {"idle_mib": idle}
            progress("memory idle: " + ", ".join(f"{n} {v:.0f} MiB" for n, v in idle.items()))

            desk: FilingDesk | None = None
            if parts & {"propagation", "http", "app"}:
                progress(f"opening a filing desk through the gateway (a body, a session, {DESK_MEMBERS} members)")
                desk = open_desk(stack)

            if "propagation" in parts:
                assert desk is not None
                took = warm_pipeline(stack.gateway_url, stack["assignment"].url, broker.bootstrap, desk)
                progress(f"propagation: the first event went through in {took:.1f}s")
                for i, rate in enumerate((profile.propagation_rate, *profile.propagation_extra_rates)):
                    if i:
                        wait_drained(broker.bootstrap)
                    run = asyncio.run(
                        _propagation(
                            stack.gateway_url, stack["assignment"].url, desk, rate, profile.propagation_duration_s
                        )
                    )
                    progress(
                        f"propagation at {rate:.0f}/s: p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms,"
                        f" submit p99 {run['post_p99_ms']:.0f} ms"
                    )
                    if i:
                        results.setdefault("propagation_extra", []).append(run)
                    else:
                        results["propagation"] = run

            if "http" in parts:
                assert desk is not None
                runs = http_runs(stack, broker.bootstrap, workdir, profile, use_wrk, desk)
                results["http"] = [asdict(r) for r in runs]
                results["memory"]["after_load_mib"] = {name: rss_kib(pid) / 1024 for name, pid in pids.items()}

            if "app" in parts:
                assert desk is not None
                results["app"] = app_first_load(stack, desk, admin_password, runs=1 if args.quick else 3)
                progress(
                    f"members' app: home screen after {results['app']['home_ms']:,.0f} ms (CPU x4, Fast 3G),"
                    f" {results['app']['js_gzip_bytes'] / 1024:.1f} KiB of JavaScript gzipped"
                )
    finally:
        progress("stopping the services and Kafka")
        if stack is not None:
            with contextlib.suppress(Exception):
                stack.stop()
        if broker is not None:
            with contextlib.suppress(Exception):
                broker.stop()
        if args.keep:
            progress(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    results["meta"]["seconds"] = time.monotonic() - _T0
    text = report(results)  # fills ratio_to_direct into the http rows
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
        progress(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
