"""Two replicas of every service, on PostgreSQL, under faults (issue 15, "Prove the replicas").

Every service runs as two processes sharing its database and its consumer group; both gateways
are given both replicas' addresses of every service and balance over them; the gateways share
their rate-limit counters in Redis and their idempotency records in their database. A steady
load takes items through their life through the gateways (draft, submit, register, assign,
acknowledge, reply, rate; every write with an Idempotency-Key, retried with the same key on the
other gateway after a 5xx or no answer, as a client behind a load balancer would), while the
test

1. SIGKILLs one replica of each service (the gateway included) and later starts it again,
2. restarts every process, one replica of each service at a time (SIGTERM, start, ready),
3. restarts Kafka.

Afterwards: every item is in every projection exactly once (assignment's handling list,
evaluation's filing counter and statistics, the proposal service's public status of what the
other services did), every 案号 is unique and the numbers have no gap, each due-soon reminder
went out once per assignment and day (both assignment replicas scan every second), the rate
limit and idempotency keys hold across the gateway replicas, the dead-letter topics are empty and
every outbox is drained. It prints each fault's time to recover. Run with ``-rP`` to see the
timeline.
"""

import asyncio
import json
import shutil
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devstack import free_port
from devstack.filing import FilingDesk
from devstack.kafka import KafkaBroker
from devstack.postgres import PostgresCluster
from devstack.stack import SERVICES, ServiceProcess, Stack
from devstack.topics import read_topic

pytestmark = pytest.mark.chaos

REPLICAS = 2
MAX_ITEMS = 300  # the load starts new items until the faults are over (a bound, not a target)
WORKERS = 6
OPEN_EVERY = 4  # every 4th item's assignment stays open (acknowledged, never replied): it is reminded
AUTH_LIMIT = 6  # sign-ins per minute per client, shared by the gateways
UNITS_CSV = "编号,名称,上级编号,类型\nRP-GOV,复制测试人民政府,,government\nRP-SWJ,复制测试水务局,RP-GOV,department\n"
ADMIN_PASSWORD = "replica-admin-password"
SATISFIED = {"contact": "satisfied", "attitude": "satisfied", "result": "satisfied"}
STEP_TIMEOUT_S = 90.0  # one write (with its retries) or one wait for a projection
CONVERGE_TIMEOUT_S = 120.0
IN_PROGRESS_GIVE_UP_S = 15.0  # longer than the gateway's upstream timeout (10 s)


# --------------------------------------------------------------------------- timeline

_clock = {"t0": time.monotonic()}


def step(message: str) -> None:
    print(f"[{time.monotonic() - _clock['t0']:6.1f} s] {message}", flush=True)


async def wait_until(check: Callable[[], Awaitable[tuple[bool, str]]], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    detail = ""
    while time.monotonic() < deadline:
        ok, detail = await check()
        if ok:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{what} not reached within {timeout} s: {detail}")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: ./dev setup installs it (Debian's redis-server)"
    port = free_port()
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def replicated(
    make_stack: Callable[..., Stack], postgres: PostgresCluster, redis_url: str, broker: KafkaBroker
) -> Stack:
    run = uuid.uuid4().hex[:8]
    urls = {name: postgres.create_database(f"replicas_{name}_{run}") for name in SERVICES}
    env = {
        "GATEWAY_RATE_LIMIT_STORAGE_URI": redis_url,
        "GATEWAY_RATE_LIMIT_AUTH_PER_MINUTE": str(AUTH_LIMIT),
        # The load's few callers write far more than a person would.
        "GATEWAY_RATE_LIMIT_WRITE_PER_MINUTE": "100000",
        "GATEWAY_RATE_LIMIT_READ_PER_MINUTE": "100000",
        "GATEWAY_UPSTREAM_EJECT_S": "2",
        # Both assignment replicas look for due-soon assignments every second: a race for each reminder.
        "ASSIGNMENT_REMINDER_INTERVAL_S": "1",
        # Ten processes on the shared test cluster: small pools.
        **{f"{name.upper()}_DATABASE_POOL_SIZE": "3" for name in SERVICES},
        # A killed relay's lease runs out sooner (its rows wait for it).
        **{f"{name.upper()}_RELAY_LEASE_S": "4" for name in SERVICES},
    }
    return make_stack(replicas=REPLICAS, database_urls=urls, extra_env=env, admin_password=ADMIN_PASSWORD)


# --------------------------------------------------------------------------- the clients' side


class Gateways:
    """A client behind a load balancer over the gateway replicas: round-robin, and the next
    gateway after a failure."""

    def __init__(self, client: httpx.AsyncClient, stack: Stack) -> None:
        self.client = client
        self.urls = [g.url for g in stack.replicas["gateway"]]
        self._turn = 0
        self.retried = 0  # writes sent again with their key after a 5xx or no answer
        self.replayed = 0  # ... that were answered from the idempotency record
        self.unanswered_then_refused = 0

    def next_url(self) -> str:
        self._turn += 1
        return self.urls[self._turn % len(self.urls)]

    async def get(self, path: str, headers: dict[str, str]) -> httpx.Response:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            try:
                response = await self.client.get(f"{self.next_url()}/api/v1{path}", headers=headers)
                if response.status_code < 500:
                    return response
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"GET {path} kept failing"
            await asyncio.sleep(0.2)

    async def write(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> httpx.Response | None:
        """One write with one Idempotency-Key, sent again (same key, next gateway) while the
        answer is a 5xx, none, or "still in progress". None: its outcome stayed unknown (the
        gateway that held the key died with the request in flight), or it was refused after an
        attempt without an answer (a 5xx, or none): the service may have applied that attempt and
        died before answering, and a 5xx releases the key, so the next attempt found the work done."""
        key = uuid.uuid4().hex
        answerless = False
        deadline = time.monotonic() + STEP_TIMEOUT_S
        attempts = 0
        in_progress_since: float | None = None
        while time.monotonic() < deadline:
            attempts += 1
            if attempts > 1:
                self.retried += 1
                await asyncio.sleep(0.3)
            try:
                response = await self.client.request(
                    method,
                    f"{self.next_url()}/api/v1{path}",
                    json=body,
                    headers={**headers, "Idempotency-Key": key},
                )
            except httpx.TransportError:
                answerless = True
                continue
            if response.status_code >= 500:
                answerless = True
                continue
            if response.status_code == 409 and response.json().get("code") == "idempotency_in_progress":
                # Normally the first request is still running. If its gateway died with it, the
                # record stays "in progress" (the key is then spent): the outcome is unknown.
                in_progress_since = in_progress_since or time.monotonic()
                if time.monotonic() - in_progress_since > IN_PROGRESS_GIVE_UP_S:
                    return None
                continue
            if response.headers.get("Idempotent-Replayed") == "true":
                self.replayed += 1
            if answerless and response.status_code >= 400:
                self.unanswered_then_refused += 1
                return None
            return response
        return None


@dataclass
class Item:
    index: int
    title: str
    member: int
    stays_open: bool
    proposal_id: str | None = None
    number: int | None = None
    assignment_id: str | None = None
    done: list[str] = field(default_factory=list)  # the writes accepted, in order
    unknown: str | None = None  # the write whose outcome stayed unknown; the item stopped there
    refused: str | None = None  # a write answered with an unexpected 4xx


@dataclass
class Load:
    gateways: Gateways
    desk: FilingDesk
    unit_id: str
    unit_headers: dict[str, str]
    items: list[Item] = field(default_factory=list)
    phase: str = "steady"
    accepted: list[tuple[float, str]] = field(default_factory=list)  # (time, phase) of each accepted write
    _next: int = 0
    _stopping: bool = False
    _task: "asyncio.Task[None] | None" = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        """No new items; those under way are taken to their end."""
        self._stopping = True

    async def finish(self) -> None:
        assert self._task is not None
        await asyncio.wait_for(self._task, 300)

    def writes_since(self, since: float) -> int:
        return sum(1 for at, _ in self.accepted if at >= since)

    async def wait_writes(self, count: int, since: float, timeout: float = 90) -> float:
        """Until ``count`` writes were accepted after ``since``; the time of the first one."""
        deadline = time.monotonic() + timeout
        while self.writes_since(since) < count:
            assert self._task is not None and not self._task.done(), "the load ended early"
            assert time.monotonic() < deadline, f"only {self.writes_since(since)} writes accepted in {timeout} s"
            await asyncio.sleep(0.05)
        return min(at for at, _ in self.accepted if at >= since)

    async def _run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(WORKERS)))

    async def _worker(self) -> None:
        while not self._stopping and self._next < MAX_ITEMS:
            i = self._next
            self._next += 1
            item = Item(i, f"复制测试 {self.desk.body['id'][:6]} #{i}", member=i, stays_open=i % OPEN_EVERY == 0)
            self.items.append(item)
            await self._life(item)

    async def _write(self, item: Item, what: str, method: str, path: str, headers: dict[str, str], body: Any = None,
                     ok: tuple[int, ...] = (200, 201)) -> Any:  # fmt: skip
        response = await self.gateways.write(method, path, headers, body)
        if response is None:
            item.unknown = what
            return None
        if response.status_code not in ok:
            item.refused = f"{what}: {response.status_code} {response.text[:300]}"
            return None
        item.done.append(what)
        self.accepted.append((time.monotonic(), self.phase))
        return response.json()

    async def _life(self, item: Item) -> None:
        desk, member, staff = self.desk, self.desk.member(item.member), self.desk.staff()
        draft = await self._write(
            item, "draft", "POST", "/proposals", member, desk.draft_body(title=item.title), (201,)
        )
        if draft is None:
            return
        item.proposal_id = pid = draft["id"]
        if await self._write(item, "submit", "POST", f"/proposals/{pid}/submit", member) is None:
            return
        registered = await self._write(item, "register", "POST", f"/proposals/{pid}/register", staff)
        if registered is None:
            return
        item.number = registered["number"]
        await self._until(f"/handling/proposals/{pid}", staff, lambda v: v["status"] == "awaiting_assignment")
        units = {"units": [{"unit_id": self.unit_id, "role": "lead"}]}
        assigned = await self._write(item, "assign", "POST", f"/proposals/{pid}/assignments", staff, units)
        if assigned is None:
            return
        (assignment,) = assigned
        item.assignment_id = aid = assignment["id"]
        if await self._write(item, "acknowledge", "POST", f"/assignments/{aid}/acknowledge", self.unit_headers) is None:
            return
        if item.stays_open:
            return
        reply = {"text": "已办理，答复如下。", "outcome": "A"}
        if await self._write(item, "reply", "POST", f"/assignments/{aid}/reply", self.unit_headers, reply) is None:
            return
        # The evaluation service learns of the reply from the assignment topic: until then a
        # rating is refused (404 or 409) and sent again as a new request.
        rating = {"unit_id": self.unit_id, **SATISFIED}
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            response = await self.gateways.write("POST", f"/proposals/{pid}/evaluations", member, rating)
            if response is None:
                item.unknown = "rate"
                return
            # 404/409 while the evaluation service has not seen the reply yet: a new request.
            if response.status_code in (404, 409) and time.monotonic() < deadline:
                await asyncio.sleep(0.3)
                continue
            break
        if response.status_code != 201:
            item.refused = f"rate: {response.status_code} {response.text[:300]}"
            return
        item.done.append("rate")
        self.accepted.append((time.monotonic(), self.phase))

    async def _until(self, path: str, headers: dict[str, str], check: Callable[[Any], bool]) -> Any:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            response = await self.gateways.get(path, headers)
            if response.status_code == 200 and check(response.json()):
                return response.json()
            assert time.monotonic() < deadline, f"GET {path}: {response.status_code} {response.text[:300]}"
            await asyncio.sleep(0.2)


# --------------------------------------------------------------------------- the faults


async def start_again(processes: list[ServiceProcess]) -> None:
    for process in processes:
        process.start()
    await asyncio.gather(*(asyncio.to_thread(p.wait_live, 90) for p in processes))


async def wait_ready(client: httpx.AsyncClient, processes: list[ServiceProcess], timeout: float = 90) -> None:
    async def ready() -> tuple[bool, str]:
        statuses: dict[str, int | str] = {}
        for p in processes:
            try:
                statuses[p.url] = (await client.get(f"{p.url}/health/ready")).status_code
            except httpx.TransportError as exc:
                statuses[p.url] = type(exc).__name__
        not_ready = {url: s for url, s in statuses.items() if s != 200}
        return not not_ready, f"not ready: {not_ready}"

    await wait_until(ready, timeout=timeout, what="every process ready")


async def recovered(load: Load, fault_at: float, client: httpx.AsyncClient, stack: Stack) -> dict[str, float]:
    """Seconds from the fault until every process was ready again and until the next writes."""
    await wait_ready(client, stack.processes)
    ready = time.monotonic() - fault_at
    first_write = await load.wait_writes(3, since=time.monotonic())
    return {"ready": round(ready, 1), "writes": round(first_write - fault_at, 1)}


# --------------------------------------------------------------------------- the checks


async def sql(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(text(query))).all()]
    finally:
        await engine.dispose()


def database(stack: Stack, name: str) -> str:
    return stack[name].env[f"{name.upper()}_DATABASE_URL"]


def crashed_background_tasks(stack: Stack) -> list[str]:
    found = []
    for process in stack.processes:
        for line in process.log_path.read_text(errors="replace").splitlines():
            if "background task" in line and "stopped" in line:
                found.append(f"{process.log_path.name}: {line[:500]}")
    return found


async def converged(client: httpx.AsyncClient, stack: Stack, load: Load) -> tuple[bool, str]:
    """The projections have caught up with the source of truth, and every outbox is empty."""
    body = load.desk.body["id"]
    submitted = await sql(
        database(stack, "proposal"), f"SELECT count(*) FROM proposal WHERE body_id = '{body}' AND status <> 'draft'"
    )
    projected = await sql(
        database(stack, "assignment"), f"SELECT count(*) FROM proposal_projection WHERE body_id = '{body}'"
    )
    pending = {name: (await sql(database(stack, name), "SELECT count(*) FROM outbox_message WHERE published_at IS NULL"))[0][0] for name in SERVICES}  # fmt: skip
    stats = (await client.get(f"{stack['evaluation'].url}/statistics?body_id={body}", headers=load.desk.staff())).json()
    closed = await sql(database(stack, "proposal"), f"SELECT count(*) FROM proposal WHERE body_id = '{body}' AND status = 'closed'")  # fmt: skip
    rated = sum(1 for i in load.items if "rate" in i.done)
    ok = (
        submitted == projected
        and stats["counts"]["filed"] == submitted[0][0]
        and not any(pending.values())
        and closed[0][0] >= rated
    )
    return ok, (
        f"submitted {submitted}, assignment projected {projected}, evaluation filed {stats['counts']['filed']},"
        f" closed {closed} of {rated} rated, outbox pending {pending}"
    )


async def assert_consistent(client: httpx.AsyncClient, stack: Stack, broker: KafkaBroker, load: Load) -> None:
    desk, body = load.desk, load.desk.body["id"]
    items = load.items
    unknown = [(i.index, i.unknown) for i in items if i.unknown]
    refused = [(i.index, i.refused) for i in items if i.refused]
    assert not refused, f"writes refused: {refused[:5]}"
    step(f"{len(items)} items; outcome unknown for {unknown}")
    # Only writes in flight on a killed process may stay unknown: a few per fault at most.
    assert len(unknown) <= 2 * WORKERS, unknown

    # The source of truth: what the proposal and assignment services hold.
    rows = await sql(
        database(stack, "proposal"),
        f"SELECT id, title, status, number FROM proposal WHERE body_id = '{body}'",
    )
    # A draft whose service died after its commit, before its answer, is made again by the retry
    # (the 503 released the key): an orphan draft, which no event mentions. Anything further
    # along than a draft exists once per item.
    ours = {i.proposal_id for i in items}
    orphans = [(pid, status) for pid, title, status, _ in rows if pid not in ours and title.startswith("复制测试")]
    assert all(status == "draft" for _, status in orphans), orphans
    step(f"{len(orphans)} orphan drafts (made again after a lost answer)")
    stored = {pid: (status, number) for pid, _, status, number in rows}
    for item in items:
        if "register" in item.done:
            status, number = stored[item.proposal_id]
            assert number == item.number, (item.index, number, item.number)
    submitted = {pid for pid, (status, _) in stored.items() if status != "draft"}
    registered = {pid: number for pid, (status, number) in stored.items() if number is not None}

    # 案号: unique and without a gap, although two proposal replicas registered concurrently.
    numbers = sorted(registered.values())
    assert numbers == list(range(1, len(numbers) + 1)), f"numbers not 1..{len(numbers)}: {numbers}"
    accepted_registrations = [i for i in items if "register" in i.done]
    assert {i.proposal_id for i in accepted_registrations} <= set(registered)
    step(f"{len(numbers)} numbers (案号) 1..{len(numbers)}, unique, no gap")

    # Assignment's projection: every submitted item once, registered ones with their number.
    projection = await sql(
        database(stack, "assignment"),
        f"SELECT proposal_id, status, number_label FROM proposal_projection WHERE body_id = '{body}'",
    )
    assert Counter(pid for pid, _, _ in projection) == Counter(submitted), "assignment projection differs"
    labels = {pid: label for pid, _, label in projection if label is not None}
    assert set(labels) == set(registered) and len(set(labels.values())) == len(labels), "案号 labels differ"
    assignments = await sql(
        database(stack, "assignment"),
        "SELECT a.id, a.proposal_id, a.status FROM assignment a JOIN proposal_projection p"
        f" ON p.proposal_id = a.proposal_id WHERE p.body_id = '{body}'",
    )
    per_item = Counter(pid for _, pid, _ in assignments)
    assert all(n == 1 for n in per_item.values()), f"an item assigned twice: {per_item.most_common(3)}"
    for item in items:
        if "assign" in item.done:
            assert per_item[item.proposal_id] == 1

    # Evaluation: the filing counter (incremented once per event: a double application shows),
    # its statistics and ratings.
    stats = await client.get(f"{stack['evaluation'].url}/statistics?body_id={body}", headers=desk.staff())
    counts = stats.json()["counts"]
    assert counts["filed"] == len(submitted) and counts["registered"] == len(registered), counts
    replied = {pid for _, pid, status in assignments if status not in ("assigned", "acknowledged")}
    reply_rate = stats.json()["reply_rate"]
    assert reply_rate["numerator"] == len(replied), (reply_rate, len(replied))
    filed_counter = (await client.get(f"{stack['evaluation'].url}/statistics/filing", headers=admin(stack))).json()
    assert filed_counter["total"] == len(submitted), filed_counter
    ratings = await sql(
        database(stack, "evaluation"),
        "SELECT proposal_id, count(*) FROM evaluation GROUP BY proposal_id",
    )
    rated = dict(ratings)
    assert all(n == 1 for n in rated.values()), f"rated twice: {[p for p, n in rated.items() if n > 1]}"
    for item in items:
        if "rate" in item.done:
            assert rated.get(item.proposal_id) == 1, (item.index, rated.get(item.proposal_id))

    # The proposal service's public status follows the assignment and evaluation events.
    for item in items:
        if item.proposal_id is None:
            continue
        status = stored[item.proposal_id][0]
        if "rate" in item.done:
            assert status == "closed", (item.index, status)
        elif "assign" in item.done and item.stays_open:
            assert status == "assigned", (item.index, status)
    step("every projection holds every accepted write once")

    # Reminders: one due-soon event per open assignment today, whichever replica's scanner won.
    records = await read_topic(broker.bootstrap, "assignment.events", timeout=30, idle=1.0)
    reminders: dict[tuple[str, str], set[str]] = {}
    for record in records:
        envelope = _envelope(record.value)
        if envelope["type"] == "assignment.due_soon":
            data = envelope["data"]
            reminders.setdefault((data["assignment_id"], data["day"]), set()).add(envelope["id"])
    twice = {k: v for k, v in reminders.items() if len(v) > 1}
    assert not twice, f"reminded more than once a day: {twice}"
    reminded = {aid for aid, _ in reminders}
    still_open = {aid for aid, _, status in assignments if status in ("assigned", "acknowledged")}
    assert still_open <= reminded, f"open assignments never reminded: {still_open - reminded}"
    delivered = await sql(
        database(stack, "notification"),
        "SELECT proposal_id, recipient, count(DISTINCT event_id) FROM notification"
        " WHERE event_type = 'assignment.due_soon' GROUP BY proposal_id, recipient",
    )
    assert all(n == 1 for _, _, n in delivered), [row for row in delivered if row[2] > 1][:3]
    step(f"{len(reminders)} due-soon reminders, each once a day; {len(delivered)} notifications of them, each once")

    # Nothing dead-lettered.
    dead = await asyncio.gather(
        *(read_topic(broker.bootstrap, f"{name}-service.dlt", timeout=15, idle=1.0) for name in SERVICES)
    )
    for name, letters in zip(SERVICES, dead, strict=True):
        assert not letters, f"{len(letters)} dead letters on {name}-service.dlt"
    assert not crashed_background_tasks(stack)


def _envelope(value: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(value)
    return parsed


def admin(stack: Stack) -> dict[str, str]:
    return stack.keys.headers("admin", subject="ops")


async def assert_idempotency_across_gateways(gateways: Gateways, desk: FilingDesk) -> None:
    """A key used at one gateway is answered from its record at the other, and does no work twice."""
    first, second = gateways.urls
    key = uuid.uuid4().hex
    headers = {**desk.member(1), "Idempotency-Key": key}
    body = desk.draft_body(title=f"幂等测试 {key[:6]}")
    made = await gateways.client.post(f"{first}/api/v1/proposals", json=body, headers=headers)
    assert made.status_code == 201, made.text
    again = await gateways.client.post(f"{second}/api/v1/proposals", json=body, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true", again.text
    assert again.json()["id"] == made.json()["id"]
    other = await gateways.client.post(f"{second}/api/v1/proposals", json={**body, "title": "另一个"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused", other.text


async def assert_rate_limit_across_gateways(gateways: Gateways) -> None:
    """Sign-ins from one client, alternating gateways: the limit holds once for both together."""
    statuses = []
    login = {"username": "admin", "password": ADMIN_PASSWORD}
    for n in range(AUTH_LIMIT + 2):
        url = gateways.urls[n % 2]
        statuses.append((await gateways.client.post(f"{url}/api/v1/auth/login", json=login)).status_code)
    # Each gateway saw AUTH_LIMIT / 2 + 1 sign-ins, under the limit: only the shared count refuses.
    assert statuses == [200] * AUTH_LIMIT + [429, 429], statuses


# --------------------------------------------------------------------------- the test


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as c:
        yield c


async def test_two_replicas_of_everything_survive_kills_a_rolling_restart_and_a_kafka_restart(
    broker: KafkaBroker, replicated: Stack, client: httpx.AsyncClient
) -> None:
    stack = replicated
    _clock["t0"] = time.monotonic()
    await asyncio.to_thread(broker.start, 240)
    stack.start()
    await wait_ready(client, stack.processes)
    step(f"{len(stack.processes)} processes ready ({REPLICAS} of each service)")

    gateways = Gateways(client, stack)
    desk = await FilingDesk.open(client, stack.keys, prefix=f"{gateways.urls[0]}/api/v1", members=8)
    staff = desk.staff()
    imported = await client.post(
        f"{gateways.urls[0]}/api/v1/units/import", content=UNITS_CSV.encode(), headers=admin(stack)
    )
    assert imported.status_code in (200, 201), imported.text
    units = {u["code"]: u["id"] for u in (await client.get(f"{gateways.urls[0]}/api/v1/units")).json()["items"]}
    # A one-month deadline and reminders from 60 working days before it: every open assignment
    # is due soon today, and both assignment replicas' scanners race to remind it.
    rules = await client.put(
        f"{gateways.urls[0]}/api/v1/bodies/{desk.body['id']}/handling-rules",
        json={"reply_months": 1, "due_soon_days": 60},
        headers=staff,
    )
    assert rules.status_code == 200, rules.text
    unit_id = units["RP-SWJ"]
    unit_headers = stack.keys.headers("unit_staff", subject="rp-swj", unit_id=unit_id)
    load = Load(gateways, desk, unit_id, unit_headers)
    load.start()
    recovery: dict[str, dict[str, float]] = {}
    try:
        await load.wait_writes(15, since=0)
        step(f"steady: {len(load.accepted)} writes accepted")

        # 1. One replica of each service dies.
        victims = [stack.replicas[name][1] for name in SERVICES]
        load.phase = "killed"
        fault_at = time.monotonic()
        await asyncio.gather(*(asyncio.to_thread(p.kill) for p in victims))
        step("SIGKILL: replica 1 of every service")
        await load.wait_writes(10, since=fault_at)
        step("the survivors carried 10 writes")
        await start_again(victims)
        recovery["SIGKILL one replica each"] = await recovered(load, fault_at, client, stack)
        step(f"killed replicas back: {recovery['SIGKILL one replica each']}")

        # 2. A rolling restart: replica 0 of every service, then replica 1.
        load.phase = "rolling"
        fault_at = time.monotonic()
        for index in range(REPLICAS):
            wave = [stack.replicas[name][index] for name in SERVICES]
            await asyncio.gather(*(asyncio.to_thread(p.stop) for p in wave))
            await start_again(wave)
            await wait_ready(client, wave)
            step(f"rolling restart: replica {index} of every service restarted")
        recovery["rolling restart"] = await recovered(load, fault_at, client, stack)

        # 3. Kafka restarts.
        load.phase = "kafka"
        fault_at = time.monotonic()
        await asyncio.to_thread(broker.restart, 240)
        step("Kafka restarted")
        recovery["Kafka restart"] = await recovered(load, fault_at, client, stack)
        load.phase = "after"
        load.stop()
        await load.finish()
        step(
            f"load done: {len(load.accepted)} writes accepted, {gateways.retried} resent, {gateways.replayed} replayed"
        )
    finally:
        if load._task is not None and not load._task.done():
            load._task.cancel()
            await asyncio.gather(load._task, return_exceptions=True)

    converge_from = time.monotonic()
    await wait_until(lambda: converged(client, stack, load), timeout=CONVERGE_TIMEOUT_S, what="projections converged")
    recovery["Kafka restart"]["converged"] = round(time.monotonic() - fault_at, 1)
    step(f"converged {time.monotonic() - converge_from:.1f} s after the load ended")
    await assert_consistent(client, stack, broker, load)
    await assert_idempotency_across_gateways(gateways, desk)
    await assert_rate_limit_across_gateways(gateways)
    step("idempotency keys and the sign-in rate limit hold across the gateway replicas")
    for fault, seconds in recovery.items():
        print(f"time to recover from {fault}: " + ", ".join(f"{k} {v} s" for k, v in seconds.items()))
