"""The notification service SIGKILLed mid-batch: nothing is lost, and the duplicates are counted
and stay within the bound of ADR 12/18. The SMTP server down for a minute, then up: every
notification is delivered exactly once (issue 12).

The service runs as a real process on a SQLite file with its own broker; an SMTP server in this
process receives the mail (a little slowly, so a batch is in flight when the kill comes). Each of
``MEMBERS`` members is told of one registered item (one inbox notification, one e-mail each).
The kill comes once part of the mail is out; after the restart every member must have their
e-mail. Send-then-mark marks each row right after its message is accepted, so a crash can repeat
at most the message in flight: one duplicate per crash and sender loop (ADR 18), recognisable by
its Message-ID (made from the delivery id). Run with ``-rP`` to see the figures.

The outage: the service's SMTP host points at a port where nothing listens while ``RECIPIENTS``
members are told of one item each; for ``OUTAGE_S`` seconds (real time; the back-off is shortened
so that many attempts fail in it) every row stays pending with its attempts counted. Then the
server comes up on that port: each member gets exactly one message, and no second copy follows.
"""

import asyncio
import email
import email.policy
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import cast

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from contract_events import ContractEvent, contract_event

from devstack import free_port
from devstack.kafka import KafkaBroker
from devstack.stack import Stack
from devstack.topics import publish
from servicekit.db import utcnow

pytestmark = pytest.mark.chaos

MEMBERS = 200
KILL_AFTER = 60  # e-mails received before the SIGKILL
BATCH = 20
BODY = "body-chaos"
# Each crash may repeat the message its e-mail sender had in flight (ADR 18).
DUPLICATES_PER_CRASH = 1

RECIPIENTS = 40
OUTAGE_S = 60
# A shortened back-off: base·2^(n-1) capped at BACKOFF_MAX_S, ±50 % jitter, so 10 to 30 attempts
# fail in the outage and a row waits at most 1.5·BACKOFF_MAX_S once the server is up. The row may
# fail that often without being given up (the default of 8 is meant for the default back-off).
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 4.0
MAX_ATTEMPTS = 100


class SlowMailbox:
    """Records each message's recipient and Message-ID; takes a moment per message."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(0.02)
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = email.message_from_bytes(content, policy=email.policy.default)
        self.received.append((str(message["To"]), str(message["Message-ID"])))
        return "250 Message accepted"


def registered(member_id: str, n: int) -> ContractEvent:
    return contract_event(
        "proposal.registered.v1",
        proposal_id=str(uuid.uuid4()), body_id=BODY, session_id="s-1", kind="individual", number=n,
        number_label=f"{n:04d}", title=f"关于第{n}件事的建议", content="c", category_id=None, category=None,
        lead_member_id=member_id, lead_proposer="委员", cosigner_member_ids=[], group_name=None, key=False,
        registered_at=utcnow(),
    )  # fmt: skip


async def wait_for(check: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def rows(database: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute(query).fetchall())


async def give_addresses(stack: Stack, addresses: dict[str, str]) -> None:
    """Each member enters their e-mail address (``addresses``: member id to address)."""
    async with httpx.AsyncClient(base_url=stack["notification"].url, timeout=30) as client:
        for member_id, address in addresses.items():
            headers = stack.keys.headers("member", subject=f"acc-{member_id}", body_id=BODY, member_id=member_id)
            answer = await client.put("/notifications/contact", json={"email": address}, headers=headers)
            assert answer.status_code == 201, answer.text


async def test_notification_service_killed_mid_batch_loses_nothing(
    broker: KafkaBroker, make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    mailbox, smtp_port = SlowMailbox(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    broker.start(timeout=180)  # a busy machine can take its time
    broker.create_topics("proposal.events", "assignment.events", "evaluation.events")
    stack = make_stack(
        extra_env={
            "NOTIFICATION_SMTP_HOST": "127.0.0.1",
            "NOTIFICATION_SMTP_PORT": str(smtp_port),
            "NOTIFICATION_SMTP_TIMEOUT_S": "3",
            # A short lease, so the killed sender's rows are taken again soon (it exceeds the timeout).
            "NOTIFICATION_DELIVERY_LEASE_S": "6",
            "NOTIFICATION_DELIVERY_POLL_INTERVAL_S": "0.2",
            "NOTIFICATION_DELIVERY_BATCH_SIZE": str(BATCH),
            "NOTIFICATION_DELIVERY_RATE_CAP_PER_HOUR": "0",
            "NOTIFICATION_DIGEST_WINDOW_S": "0",
        }
    )
    service = stack["notification"]
    database = Path(stack["notification"].env["NOTIFICATION_DATABASE_URL"].split("///", 1)[1])
    try:
        service.start()
        await asyncio.to_thread(service.wait_live)
        members = [str(uuid.uuid4()) for _ in range(MEMBERS)]
        addresses = {m: f"m{i:03d}@chaos.example.org" for i, m in enumerate(members)}
        await give_addresses(stack, addresses)
        envelopes = [
            event.envelope(subject=event.data["proposal_id"])
            for event in (registered(m, i) for i, m in enumerate(members, start=1))
        ]
        await publish(broker.client_config(), "proposal.events", envelopes)

        await wait_for(lambda: len(mailbox.received) >= KILL_AFTER, f"{KILL_AFTER} e-mails")
        await asyncio.to_thread(service.kill)
        at_kill = len(mailbox.received)
        assert not service.is_running()
        in_flight = rows(database, "SELECT count(*) FROM delivery WHERE status = 'pending' AND locked_by IS NOT NULL")
        print(f"killed after {at_kill} e-mails; {in_flight[0][0]} rows still leased by the dead sender")
        assert at_kill < MEMBERS, "the kill came after the last e-mail: not mid-batch"

        service.start()
        await asyncio.to_thread(service.wait_live)
        await wait_for(lambda: set(addresses.values()) <= {to for to, _ in mailbox.received}, "every member's e-mail")

        def settled() -> bool:
            return rows(database, "SELECT count(*) FROM delivery WHERE status != 'sent'")[0][0] == 0

        await wait_for(settled, "every delivery marked sent")
    finally:
        smtp.stop()

    # Recorded exactly once: one inbox notification and one delivery per member.
    assert rows(database, "SELECT count(*), count(DISTINCT recipient) FROM notification") == [(MEMBERS, MEMBERS)]
    assert rows(database, "SELECT count(*), count(DISTINCT recipient) FROM delivery") == [(MEMBERS, MEMBERS)]
    # Sent at least once; each repeat is a whole message again, with the same Message-ID.
    per_id = Counter(message_id for _, message_id in mailbox.received)
    per_address = Counter(to for to, _ in mailbox.received)
    duplicates = len(mailbox.received) - MEMBERS
    print(f"{len(mailbox.received)} e-mails for {MEMBERS} notifications: {duplicates} duplicate(s) after 1 crash")
    assert len(per_id) == MEMBERS and set(per_address) == set(addresses.values())
    assert all(per_id[m] - 1 == per_address[to] - 1 for to, m in mailbox.received)
    assert 0 <= duplicates <= DUPLICATES_PER_CRASH


def deliveries(database: Path) -> dict[int, tuple[str, int, str | None]]:
    """Each delivery row's status, attempts and last error, by id."""
    found = rows(database, "SELECT id, status, attempts, last_error FROM delivery")
    return {cast(int, i): (cast(str, status), cast(int, n), cast(str | None, error)) for i, status, n, error in found}


async def test_smtp_server_down_for_a_minute_then_up_delivers_every_notification_exactly_once(
    broker: KafkaBroker, make_stack: Callable[..., Stack]
) -> None:
    mailbox, smtp_port = SlowMailbox(), free_port()  # nothing listens on smtp_port until the outage ends
    broker.start(timeout=180)
    broker.create_topics("proposal.events", "assignment.events", "evaluation.events")
    stack = make_stack(
        extra_env={
            "NOTIFICATION_SMTP_HOST": "127.0.0.1",
            "NOTIFICATION_SMTP_PORT": str(smtp_port),
            "NOTIFICATION_SMTP_TIMEOUT_S": "3",
            "NOTIFICATION_DELIVERY_POLL_INTERVAL_S": "0.2",
            "NOTIFICATION_DELIVERY_BACKOFF_BASE_S": str(BACKOFF_BASE_S),
            "NOTIFICATION_DELIVERY_BACKOFF_MAX_S": str(BACKOFF_MAX_S),
            "NOTIFICATION_DELIVERY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            "NOTIFICATION_DELIVERY_RATE_CAP_PER_HOUR": "0",
            # One notification per member, sent at once: no digest merges two into one message.
            "NOTIFICATION_DIGEST_WINDOW_S": "0",
        }
    )
    service = stack["notification"]
    database = Path(service.env["NOTIFICATION_DATABASE_URL"].split("///", 1)[1])
    service.start()
    await asyncio.to_thread(service.wait_live)
    members = [str(uuid.uuid4()) for _ in range(RECIPIENTS)]
    addresses = {m: f"r{i:03d}@outage.example.org" for i, m in enumerate(members)}
    await give_addresses(stack, addresses)
    envelopes = [
        event.envelope(subject=event.data["proposal_id"])
        for event in (registered(m, i) for i, m in enumerate(members, start=1))
    ]
    published = time.monotonic()
    await publish(broker.client_config(), "proposal.events", envelopes)

    def all_tried() -> bool:
        state = deliveries(database)
        return len(state) == RECIPIENTS and all(n >= 1 for _, n, _ in state.values())

    await wait_for(all_tried, "a first failed attempt of every delivery", timeout=30)
    # The server has been down all along; the minute is counted from the first failures.
    down_since = time.monotonic()
    print(f"every delivery failed once {down_since - published:.1f} s after the events were published")

    # The outage: nothing lost, nothing given up, nothing sent; the attempts keep being counted.
    before = dict.fromkeys(deliveries(database), 0)
    for check_at in (OUTAGE_S / 3, 2 * OUTAGE_S / 3, OUTAGE_S - 1):
        await asyncio.sleep(down_since + check_at - time.monotonic())
        state = deliveries(database)
        counts = [n for _, n, _ in state.values()]
        print(f"{check_at:.0f} s down: {min(counts)} to {max(counts)} failed attempts per delivery")
        assert rows(database, "SELECT count(*), count(DISTINCT recipient) FROM notification") == [
            (RECIPIENTS, RECIPIENTS)
        ]
        assert set(state) == set(before), "a delivery row appeared or went missing during the outage"
        assert {status for status, _, _ in state.values()} == {"pending"}
        assert {error for _, _, error in state.values()} == {"SMTPConnectError"}  # kept, with no address in it
        assert all(state[i][1] > before[i] for i in state), "a delivery was not retried in a third of the outage"
        assert min(counts) >= 3, "not several retries"
        assert not mailbox.received
        before = {i: n for i, (_, n, _) in state.items()}

    await asyncio.sleep(down_since + OUTAGE_S - time.monotonic())
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    up_at = time.monotonic()
    print(f"SMTP server up after {up_at - down_since:.1f} s down")
    try:

        def settled() -> bool:
            received = {to for to, _ in mailbox.received}
            state = deliveries(database)
            return received >= set(addresses.values()) and all(status == "sent" for status, _, _ in state.values())

        # A row waits at most 1.5·BACKOFF_MAX_S for its next attempt.
        await wait_for(settled, "every e-mail sent and marked sent", timeout=1.5 * BACKOFF_MAX_S + 30)
        print(f"all {RECIPIENTS} e-mails delivered {time.monotonic() - up_at:.1f} s after the server came up")
        await asyncio.sleep(1.5 * BACKOFF_MAX_S + 1)  # longer than any back-off: a repeat would be here by now
    finally:
        smtp.stop()

    # Exactly once: one message per member, each with its own Message-ID, none repeated.
    repeated = [key for key, n in Counter(mailbox.received).items() if n > 1]
    assert not repeated, f"received more than once: {repeated}"
    assert sorted(to for to, _ in mailbox.received) == sorted(addresses.values())
    assert len({message_id for _, message_id in mailbox.received}) == RECIPIENTS
    state = deliveries(database)
    assert set(state) == set(before) and {status for status, _, _ in state.values()} == {"sent"}
    assert rows(database, "SELECT count(*) FROM delivery WHERE status = 'failed'") == [(0,)]
    settled_rows = "sent_at IS NOT NULL AND last_error IS NULL AND locked_by IS NULL"
    assert rows(database, f"SELECT count(*) FROM delivery WHERE {settled_rows}") == [(RECIPIENTS,)]
    assert all(state[i][1] > before[i] for i in state)  # the failed attempts, then the one that went through
