"""Fault tests: the broker or a consumer crashes (SIGKILL) mid-stream, or Kafka is
not there when the services start.

Whatever happens, every submission the gateway accepted ends up exactly once
in the assignment and evaluation projections, no submission it refused shows
up there, nothing is dead-lettered, and writes never depend on Kafka being up
(they wait in the outbox).

The services run as real processes on SQLite files (the default ``Stack``);
each test has its own broker (``conftest.broker``), since it kills it. Run
with ``-rP`` to see each test's timeline.
"""

import asyncio
import random
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from devstack.filing import FilingDesk
from devstack.kafka import KafkaBroker
from devstack.stack import SERVICES, Stack
from devstack.topics import read_topic

pytestmark = pytest.mark.chaos

TOTAL = 500
CONCURRENCY = 8
FAULT_AT = 150  # accepted submissions before the fault
RECOVER_AT = 350  # accepted submissions before the recovery
# The broker stays down at least this long before its restart begins (the load
# pauses if it gets to RECOVER_AT sooner). With the restart's own seconds (a
# restarted node waits out its old session) the outage outlasts the consumers'
# session timeout and the producer's request timeout (10 s each): an outage,
# not a blip.
MIN_OUTAGE_S = 5.0
# Accepted ids looked up one by one in the evaluation projection, on top of
# its counters, which cover all of them.
EVALUATION_SAMPLE = 100
CONVERGE_TIMEOUT_S = 120.0
# Individual items: one draft and one submission each, so an accepted submission is one event.
KINDS = ("individual",)
CATEGORIES = ("科教文卫", "城市建设", None, "经济发展")
DEAD_LETTER_TOPICS = ("assignment-service.dlt", "evaluation-service.dlt")
CONSUMERS = ("assignment", "evaluation")


# --------------------------------------------------------------------------- load

_clock = {"t0": time.monotonic()}


@pytest.fixture(autouse=True)
def _test_clock() -> None:
    _clock["t0"] = time.monotonic()


def step(message: str) -> None:
    """Progress, with the time since the test began (shown for a failed test, or with -rP)."""
    print(f"[{time.monotonic() - _clock['t0']:6.1f} s] {message}", flush=True)


@dataclass
class Outcome:
    index: int
    title: str
    kind: str
    category: str | None
    phase: str  # the phase when the request was sent
    status: int | None = None  # None: no HTTP answer at all
    proposal_id: str | None = None
    error: str | None = None
    done_phase: str | None = None  # the phase when the answer came

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Load:
    """``total`` submissions through the gateway, ``concurrency`` at a time.

    ``phase`` is set by the test as it injects faults; every outcome records
    the phase it was sent and answered in.
    """

    client: httpx.AsyncClient
    desk: FilingDesk
    total: int
    concurrency: int = CONCURRENCY
    start_index: int = 0
    phase: str = "steady"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    outcomes: list[Outcome] = field(default_factory=list)
    _next: int = 0
    _task: "asyncio.Task[None] | None" = None
    _go: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._go.set()

    def pause(self) -> None:
        """Workers send nothing new until ``resume``; requests in flight complete."""
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    @property
    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.accepted]

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def finish(self, timeout: float = 120) -> None:
        assert self._task is not None
        await asyncio.wait_for(self._task, timeout)

    async def run(self) -> None:
        self.start()
        await self.finish()

    async def __aenter__(self) -> "Load":
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        # A failed test must not leave workers sending on a closed client.
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def wait_accepted(self, count: int, timeout: float = 60) -> None:
        """Returns once ``count`` submissions were accepted (fails if the load ends or stalls first)."""
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            assert self._task is not None
            if self._task.done():
                self._task.result()
                raise AssertionError(f"the load ended with {len(self.accepted)} accepted, fewer than {count}")
            assert time.monotonic() < deadline, f"only {len(self.accepted)} of {count} accepted after {timeout} s"
            await asyncio.sleep(0.01)

    async def _run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(self.concurrency)))

    async def _worker(self) -> None:
        while True:
            await self._go.wait()
            if self._next >= self.total:
                return
            i = self.start_index + self._next
            self._next += 1
            outcome = Outcome(
                index=i,
                title=f"chaos {self.run_id} #{i}",
                kind=KINDS[i % len(KINDS)],
                category=CATEGORIES[i % len(CATEGORIES)],
                phase=self.phase,
            )
            self.outcomes.append(outcome)
            body = self.desk.draft_body(
                title=outcome.title, content=f"fault test submission {i}", category=outcome.category
            )
            member = self.desk.member(i)
            try:
                response = await self.client.post(f"{self.desk.prefix}/proposals", json=body, headers=member)
                if response.status_code == 201:
                    submit = f"{self.desk.prefix}/proposals/{response.json()['id']}/submit"
                    response = await self.client.post(submit, headers=member)
            except httpx.HTTPError as exc:
                outcome.error = f"{type(exc).__name__}: {exc}"
            else:
                outcome.status = response.status_code
                if outcome.accepted:
                    outcome.proposal_id = response.json()["id"]
                else:
                    outcome.error = response.text[:500]
            outcome.done_phase = self.phase


# --------------------------------------------------------------------------- observing the services


def admin(stack: Stack) -> dict[str, str]:
    """The evaluation service's cross-body filing counts are for administrators."""
    return stack.keys.headers("admin", subject="ops")


async def get_json(client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None) -> Any:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text[:300]}"
    return response.json()


async def open_desk(client: httpx.AsyncClient, stack: Stack) -> FilingDesk:
    """A body, session and members to file with, through the gateway."""
    return await FilingDesk.open(client, stack.keys, prefix=f"{stack.gateway_url}/api/v1", members=37)


async def list_all(client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every item of a cursor-paginated list."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        params: dict[str, str | int] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(url, params=params, headers=headers)
        assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text[:300]}"
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
    raise AssertionError(f"{url} did not stop paginating")


async def assert_not_ready_for_kafka(client: httpx.AsyncClient, stack: Stack) -> None:
    """Every service answers 503 on /health/ready, blaming Kafka and only Kafka."""
    for name, service in stack.services.items():
        response = await client.get(f"{service.url}/health/ready")
        assert response.status_code == 503, f"{name} ready while Kafka is down: {response.text}"
        body = response.json()
        assert body["status"] == 503 and body["code"] == "not_ready", (name, body)  # problem+json
        assert body["checks"]["database"] == "ok", (name, body)
        assert body["checks"]["kafka"].startswith("unreachable"), (name, body)


async def wait_ready(client: httpx.AsyncClient, stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for name, service in stack.services.items():
        while True:
            response = await client.get(f"{service.url}/health/ready")
            if response.status_code == 200:
                break
            assert time.monotonic() < deadline, f"{name} not ready after {timeout} s: {response.text}"
            await asyncio.sleep(0.2)


async def wait_until(
    check: Callable[[], Awaitable[tuple[bool, str]]], *, timeout: float, settle: float = 0.0, what: str
) -> None:
    """Polls ``check`` until it holds, then (with ``settle``) until it has held that long."""
    deadline = time.monotonic() + timeout
    held_since: float | None = None
    detail = ""
    while time.monotonic() < deadline:
        ok, detail = await check()
        if ok:
            held_since = held_since or time.monotonic()
            if time.monotonic() - held_since >= settle:
                return
        else:
            held_since = None
        await asyncio.sleep(0.5)
    raise AssertionError(f"{what} not reached within {timeout} s: {detail}")


async def wait_converged(client: httpx.AsyncClient, stack: Stack, desk: FilingDesk, expected: int) -> None:
    """Bounded wait until both projections hold at least ``expected`` items, plus a
    short settle time so that late extra or duplicate applications are seen too."""
    assignment, evaluation = stack["assignment"].url, stack["evaluation"].url

    async def check() -> tuple[bool, str]:
        projected = len(await list_all(client, f"{assignment}/proposals", headers=desk.staff()))
        filed = (await get_json(client, f"{evaluation}/statistics/filing", admin(stack)))["total"]
        return projected >= expected and filed >= expected, (
            f"expected {expected}; assignment projection has {projected}, evaluation counted {filed}"
        )

    await wait_until(check, timeout=CONVERGE_TIMEOUT_S, settle=2.0, what="projections converged")


def unpublished_outbox_rows(stack: Stack, name: str) -> int:
    db = stack[name].env[f"{name.upper()}_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(db, timeout=30) as conn:
        (count,) = conn.execute("SELECT count(*) FROM outbox_message WHERE published_at IS NULL").fetchone()
    return int(count)


def crashed_background_tasks(stack: Stack) -> list[str]:
    """Log lines of background loops (relay, consumer, topic set-up) that died."""
    found = []
    for name, service in stack.services.items():
        for line in service.log_path.read_text(errors="replace").splitlines():
            if "background task" in line and "stopped" in line:
                found.append(f"{name}: {line[:500]}")
    return found


async def assert_exactly_once(
    client: httpx.AsyncClient, stack: Stack, broker: KafkaBroker, desk: FilingDesk, outcomes: list[Outcome]
) -> None:
    """Every accepted submission is in both projections exactly once; nothing else is."""
    accepted = [o for o in outcomes if o.accepted]
    rejected = [o for o in outcomes if not o.accepted]
    accepted_ids = [o.proposal_id for o in accepted if o.proposal_id]
    assert len(accepted_ids) == len(accepted), "an accepted submission came back without an id"
    assert len(set(accepted_ids)) == len(accepted_ids), "the gateway returned one id twice"
    expected = set(accepted_ids)
    # A refused or unanswered request has no id; its title (unique per request) names it.
    rejected_titles = {o.title for o in rejected}

    step(f"waiting for the projections to converge on {len(expected)} submissions")
    await wait_converged(client, stack, desk, len(expected))
    step("converged")

    # The source of truth holds exactly the accepted submissions.
    proposals = await list_all(client, f"{stack['proposal'].url}/proposals", headers=desk.staff())
    assert sorted(p["id"] for p in proposals) == sorted(expected)
    assert not rejected_titles & {p["title"] for p in proposals}, "a refused submission was stored"

    # Assignment: one row per accepted submission, none for a refused one.
    projected = await list_all(client, f"{stack['assignment'].url}/proposals", headers=desk.staff())
    projected_ids = [p["proposal_id"] for p in projected]
    duplicates = [i for i, n in Counter(projected_ids).items() if n > 1]
    assert not duplicates, f"assignment projection lists {len(duplicates)} ids more than once"
    assert set(projected_ids) == expected, (
        f"assignment projection: {len(expected - set(projected_ids))} accepted missing,"
        f" {len(set(projected_ids) - expected)} unknown"
    )
    assert not rejected_titles & {p["title"] for p in projected}, "a refused submission was projected"

    # Evaluation: the counter was incremented once per submission (a redelivered,
    # double-applied event would make it larger), with the right breakdown.
    stats = await get_json(client, f"{stack['evaluation'].url}/statistics/filing", admin(stack))
    assert stats["total"] == len(expected), f"evaluation counted {stats['total']} filings of {len(expected)}"
    assert stats["by_kind"] == dict(Counter(o.kind for o in accepted))
    assert stats["by_category"] == dict(Counter(o.category or "未分类" for o in accepted))
    sem = asyncio.Semaphore(16)

    async def filed(proposal_id: str) -> int:
        async with sem:
            return (
                await client.get(f"{stack['evaluation'].url}/proposals/{proposal_id}", headers=admin(stack))
            ).status_code

    ids = random.sample(sorted(expected), min(EVALUATION_SAMPLE, len(expected)))
    statuses = await asyncio.gather(*(filed(i) for i in ids))
    missing = [i for i, status in zip(ids, statuses, strict=True) if status != 200]
    assert not missing, f"{len(missing)} of {len(ids)} sampled submissions missing from the evaluation projection"
    step(f"evaluation projection checked for {len(ids)} sampled ids")

    # Nothing dead-lettered, nothing left in the outbox, every event on the topic.
    assert unpublished_outbox_rows(stack, "proposal") == 0
    *dead_letters, records = await asyncio.gather(
        *(read_topic(broker.bootstrap, topic, timeout=15, idle=1.0) for topic in DEAD_LETTER_TOPICS),
        read_topic(broker.bootstrap, "proposal.events", expect=len(expected), timeout=30, idle=1.0),
    )
    for topic, dead in zip(DEAD_LETTER_TOPICS, dead_letters, strict=True):
        errors = [dict((k, v.decode(errors="replace")) for k, v in r.headers or ()).get("dlt_error") for r in dead]
        assert not dead, f"{len(dead)} dead letters on {topic}: {errors[:3]}"
    keys = Counter(r.key.decode() for r in records if r.key)
    assert set(keys) == expected
    republished = sum(n - 1 for n in keys.values())
    step(f"{len(expected)} accepted; {republished} events published more than once (dropped by the inboxes)")

    assert not crashed_background_tasks(stack)
    # Writes never depend on Kafka or on a consumer: none was refused.
    assert not rejected, [(o.index, o.phase, o.status, o.error) for o in rejected[:5]]


def make_client() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=CONCURRENCY * 4, max_keepalive_connections=CONCURRENCY * 4)
    return httpx.AsyncClient(timeout=httpx.Timeout(30.0), limits=limits)


# --------------------------------------------------------------------------- the tests


async def test_broker_killed_and_restarted_mid_stream(broker: KafkaBroker, stack: Stack) -> None:
    broker.start()
    step("broker started")
    stack.start()
    async with make_client() as client:
        await wait_ready(client, stack)
        step("stack ready")
        async with Load(client, await open_desk(client, stack), TOTAL) as load:
            await load.wait_accepted(FAULT_AT)
            await asyncio.to_thread(broker.kill)
            step(f"broker killed after {len(load.accepted)} accepted")
            killed_at = time.monotonic()
            load.phase = "kafka-down"
            down_from = len(load.outcomes)

            # While Kafka is down every service says so, and writes still succeed.
            await assert_not_ready_for_kafka(client, stack)
            await load.wait_accepted(RECOVER_AT)
            load.pause()
            await asyncio.sleep(max(0.0, MIN_OUTAGE_S - (time.monotonic() - killed_at)))
            await assert_not_ready_for_kafka(client, stack)
            down = [o for o in load.outcomes[down_from:] if o.done_phase == "kafka-down"]
            assert len(down) >= (RECOVER_AT - FAULT_AT) // 2, "too few submissions while Kafka was down"
            refused = [(o.index, o.status, o.error) for o in down if not o.accepted]
            assert not refused, f"writes refused while Kafka was down: {refused[:5]}"
            load.phase = "kafka-restarting"

            step(f"restarting the broker after {len(load.accepted)} accepted")
            await asyncio.to_thread(broker.restart)
            load.phase = "kafka-back"
            step("broker back")
            # The rest goes through the restarted broker, live.
            load.resume()
            await load.finish()
            step("load done")
        await wait_ready(client, stack)
        await assert_exactly_once(client, stack, broker, load.desk, load.outcomes)


async def test_consumers_killed_and_restarted_mid_stream(broker: KafkaBroker, stack: Stack) -> None:
    """Both consumer services crash mid-stream, typically with events applied but
    their offsets not yet committed (offsets are committed per fetched batch), so
    those are redelivered after the restart. An event the inbox failed to drop
    would be applied twice: a double count, or a projection primary-key clash
    that ends on the dead-letter topic."""
    broker.start()
    step("broker started")
    stack.start()
    consumers = [stack[name] for name in CONSUMERS]
    async with make_client() as client:
        await wait_ready(client, stack)
        step("stack ready")
        async with Load(client, await open_desk(client, stack), TOTAL) as load:
            await load.wait_accepted(FAULT_AT)
            # Killed while consuming: each has applied some of what was sent so far.
            await wait_until(lambda: _consumed_some(client, stack, load.desk), timeout=30, what="consumers consuming")
            await asyncio.gather(*(asyncio.to_thread(service.kill) for service in consumers))
            load.phase = "consumers-down"
            step(f"consumers killed after {len(load.accepted)} accepted")
            assert not any(service.is_running() for service in consumers)

            await load.wait_accepted(RECOVER_AT)
            load.pause()
            load.phase = "consumers-restarting"
            step(f"restarting the consumers after {len(load.accepted)} accepted")
            for service in consumers:
                service.start()
            await asyncio.gather(*(asyncio.to_thread(service.wait_live) for service in consumers))
            load.phase = "consumers-back"
            step("consumers back")
            # The rest is consumed live by the restarted consumers.
            load.resume()
            await load.finish()
            step("load done")
        await wait_ready(client, stack)
        await assert_exactly_once(client, stack, broker, load.desk, load.outcomes)


async def _consumed_some(client: httpx.AsyncClient, stack: Stack, desk: FilingDesk) -> tuple[bool, str]:
    projected = await list_all(client, f"{stack['assignment'].url}/proposals", headers=desk.staff())
    filed = (await get_json(client, f"{stack['evaluation'].url}/statistics/filing", admin(stack)))["total"]
    return bool(projected) and filed > 0, f"assignment projected {len(projected)}, evaluation filed {filed}"


async def test_services_start_while_kafka_is_down_and_catch_up(broker: KafkaBroker, stack: Stack) -> None:
    assert not broker.is_running()
    stack.start()  # returns once every service answers /health/live
    step("stack live")
    async with make_client() as client:
        await assert_not_ready_for_kafka(client, stack)

        # Writes are accepted and wait in the outbox.
        before = Load(client, await open_desk(client, stack), 100)
        await before.run()
        assert len(before.accepted) == 100, [(o.status, o.error) for o in before.outcomes if not o.accepted][:5]
        assert unpublished_outbox_rows(stack, "proposal") == 100
        assert (await list_all(client, f"{stack['assignment'].url}/proposals", headers=before.desk.staff())) == []
        await assert_not_ready_for_kafka(client, stack)

        step("100 accepted while Kafka is down")
        await asyncio.to_thread(broker.start)
        step("broker started")
        await wait_ready(client, stack)
        step("stack ready")
        # And the live path works once Kafka is there.
        after = Load(client, before.desk, 50, start_index=100, run_id=before.run_id)
        await after.run()

        await assert_exactly_once(client, stack, broker, before.desk, before.outcomes + after.outcomes)


async def test_topics_get_the_configured_partitions_when_kafka_comes_late(
    broker: KafkaBroker, make_stack: Callable[..., Stack]
) -> None:
    partitions = 4  # the test broker's own default (num.partitions) is 3
    stack = make_stack(extra_env={f"{name.upper()}_KAFKA_PARTITIONS": str(partitions) for name in SERVICES})
    stack.start()
    async with make_client() as client:
        await assert_not_ready_for_kafka(client, stack)
        await Load(client, await open_desk(client, stack), 10).run()  # something for the relay to publish
    await asyncio.to_thread(broker.start)
    step("broker started")
    wanted = {f"{name}.events" for name in SERVICES} | {f"{name}-service.dlt" for name in SERVICES}
    admin = AIOKafkaAdminClient(**broker.client_config().kwargs())
    await admin.start()
    try:

        async def all_created() -> tuple[bool, str]:
            missing = wanted - set(await admin.list_topics())
            return not missing, f"missing {sorted(missing)}"

        await wait_until(all_created, timeout=60, what="every topic created")
        described = {d["topic"]: len(d["partitions"]) for d in await admin.describe_topics(sorted(wanted))}
    finally:
        await admin.close()
    assert described == dict.fromkeys(wanted, partitions)
