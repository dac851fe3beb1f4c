"""Every route of the notification service against every kind of caller: the recipient member
(the lead proposer of an item), another member of the body (its cosigner, with an inbox of their
own), the handling unit's staff, the body's committee staff, a supervising leader of the body,
another body's staff, an administrator, another system by API key (``webhooks:manage``: a
``system`` token whose subject names the key), a second such system, and the anonymous public.
In-process with real Kafka, on SQLite and PostgreSQL.

The matrix (``matrix``) has one row per route and situation, with the exact status each caller
gets; a route of the app without a row fails ``test_every_route_has_a_row``. A refused answer
(401, 403, 404, 422) names neither a notification's text, nor a contact's e-mail address or
phone, nor a webhook's URL or secret, nor a browser's push endpoint; a 404 for something the
caller may not touch is the 404 of an id that does not exist; and the lists hold only what the
caller may see.

Access rules, as the code has them:

- the inbox (list, unread count, mark one read, mark all read, the live stream): every caller
  has the inbox their token's claims address (``inbox.recipient_of``): a member
  ``member:<member_id>``, a unit's staff ``unit:<unit_id>``, a body's staff ``staff:<body_id>``,
  its leaders ``leader:<body_id>``; administrators and systems have none (403), the anonymous
  get 401. Marking another recipient's notification read is the 404 of an unknown one.
- contact data (ADR 12): ``/notifications/contact`` is the caller's own (403 without an inbox;
  404 while none is set). A recipient's contact (``/recipients/{recipient}/contact``) is read
  in full by the recipient and administrators, masked by every staff and leader account (of
  any body: a recipient address names no body), and refused (403) to everyone else (other
  members, units, systems); it is written by the recipient and administrators only (403 for
  staff too); PUT answers 201 when it creates one. Masking covers the e-mail address and phone
  only: the switches, quiet hours and muted kinds are shown as they are. A malformed recipient
  is a 422 for every signed-in caller, before any access rule.
- a body's SMS quiet hours (``/notifications/bodies/{body_id}/quiet-hours``): read by the
  body's staff and supervising leaders (``Principal.is_staff_of``) and administrators, set by
  the body's committee staff (not its leaders) and administrators; 403 for everyone else,
  another body's staff included.
- Web Push: the VAPID key, subscribing and listing need an inbox (403 otherwise); a
  subscription belongs to the account (token subject) that made it, and only that account
  deletes it: for anyone else, administrators and systems included, it is the 404 of an
  unknown one.
- webhooks: systems (API keys) and administrators only (403 for everyone else); a webhook
  belongs to the subject that created it. A system lists its own, an administrator all; a
  system reads the deliveries of, and redelivers for, its own webhooks only (another's is the
  404 of an unknown one), an administrator any; a delivery named under another webhook is 404.
  The ``webhooks:manage`` scope is the gateway's to check (it forwards an API key only on the
  routes the key's scopes cover); this service does not read the ``scope`` claim.
"""

import asyncio
import base64
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from notification_world import BODY, World
from sqlmodel import col, func, select

from devstack.answers import app_routes
from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.main import create_app
from notification_service.models import Contact, WebhookDelivery, WebhookSubscription
from notification_service.settings import NotificationSettings
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

TITLE = "关于加强社区养老服务的建议"  # the item's title, in its proposers' notifications
EMAIL, PHONE = "liu.yang.secret@example.org", "13800138000"  # the recipient's contact
CONTACT = {"email": EMAIL, "phone": PHONE, "sms_enabled": True, "quiet_start": "22:00", "quiet_end": "07:30"}
OTHER_BODY = "body-2"
QUIET_HOURS = {"sms_quiet_start": "22:30", "sms_quiet_end": "07:00"}
STREAM = "/notifications/stream"

# The order the matrix calls them in: whoever may change or remove a thing comes after those who
# may not, so a refusal is not hidden by a thing already gone.
CALLERS = (
    "other_member",  # another member of the body (the item's cosigner: an inbox of their own)
    "unit",  # staff of the unit handling the item
    "staff",  # the body's committee staff (提案委)
    "leader",  # a supervising leader of the body (督办)
    "other_body_staff",  # committee staff of another body
    "admin",
    "other_system",  # another system's API key (webhooks:manage), with a webhook of its own
    "system",  # a system's API key (webhooks:manage), owner of the webhook under test
    "recipient",  # the member the notifications, contact and push subscription are about
    "anonymous",
)
INBOX = ("recipient", "other_member", "unit", "staff", "leader", "other_body_staff")
NO_INBOX = {"admin": 403, "system": 403, "other_system": 403}


def expect(default: int, **status: int) -> dict[str, int]:
    """Every caller's status: ``default`` unless named."""
    unknown = set(status) - set(CALLERS)
    assert not unknown, unknown
    return {who: status.get(who, default) for who in CALLERS}


@dataclass
class Ids:
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # in URLs that must not leak
    notification: str = field(default_factory=lambda: str(uuid.uuid4()))  # the recipient's newest
    unknown_notification: str = field(default_factory=lambda: str(uuid.uuid4()))
    subscription: str = field(default_factory=lambda: str(uuid.uuid4()))  # the recipient's browser
    unknown_subscription: str = field(default_factory=lambda: str(uuid.uuid4()))
    # webhooks and one delivery of each, by owner ("system", "other_system")
    webhooks: dict[str, str] = field(default_factory=lambda: {s: str(uuid.uuid4()) for s in ("system", "other_system")})
    deliveries: dict[str, int] = field(default_factory=lambda: {"system": 1, "other_system": 2})
    secrets: dict[str, str] = field(default_factory=dict)  # each webhook's signing secret
    unknown_webhook: str = field(default_factory=lambda: str(uuid.uuid4()))
    unknown_delivery: int = 987654321
    lead: str = field(default_factory=lambda: str(uuid.uuid4()))  # the recipient's member id
    unit: str = "u-unit"  # the handling unit's id
    new_unit: str = field(default_factory=lambda: f"u-{uuid.uuid4().hex[:8]}")  # no contact until an admin sets it
    nobody: str = field(default_factory=lambda: str(uuid.uuid4()))  # a member with no contact

    def endpoint(self, who: str) -> str:
        """The push endpoint of ``who``'s browser."""
        return f"https://push.example.org/send/{who}-{self.token}"

    def hook_url(self, who: str) -> str:
        return f"http://127.0.0.1:9/hook/{who}-{self.token}"


@dataclass(frozen=True)
class Row:
    """One route in one situation and what each caller gets."""

    method: str
    route: str  # the path template, exactly as the app declares it
    expected: dict[str, int]
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    json: Any = None  # or a function of the caller
    label: str = ""

    def url(self) -> str:
        return self.route.format(**self.path)

    def body(self, who: str) -> Any:
        return self.json(who) if callable(self.json) else self.json

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.label}".strip()


def browser(endpoint: str) -> dict[str, Any]:
    """What ``PushSubscription.toJSON()`` gives: the endpoint, a P-256 public key, an auth secret."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "endpoint": endpoint,
        "keys": {"p256dh": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), "auth": "MDEyMzQ1Njc4OWFiY2RlZg"},
    }


def own_contact(who: str) -> dict[str, Any]:
    """What each caller puts as their own contact: the recipient their planted one again."""
    return CONTACT if who == "recipient" else {"email": f"{who}-own@example.org"}


def matrix(ids: Ids) -> list[Row]:
    inbox = expect(200, **NO_INBOX, anonymous=401)
    contact_readers = {"staff": 200, "leader": 200, "other_body_staff": 200, "admin": 200}
    webhook_callers = expect(403, system=200, other_system=200, admin=200, anonymous=401)
    hook, theirs = {"webhook_id": ids.webhooks["system"]}, {"webhook_id": ids.webhooks["other_system"]}
    unknown_hook = {"webhook_id": ids.unknown_webhook}
    nowhere = expect(403, system=404, other_system=404, admin=404, anonymous=401)
    return [
        # the inbox
        Row("GET", "/notifications", inbox),
        Row("GET", "/notifications", inbox, query={"unread": "true"}, label="unread only"),
        Row("GET", "/notifications/unread-count", inbox),
        Row("POST", "/notifications/{notification_id}/read", expect(404, **NO_INBOX, recipient=200, anonymous=401),
            {"notification_id": ids.notification}, label="the recipient's"),
        Row("POST", "/notifications/{notification_id}/read", expect(404, **NO_INBOX, anonymous=401),
            {"notification_id": ids.unknown_notification}, label="unknown notification"),
        Row("POST", "/notifications/read-all", inbox),
        Row("GET", STREAM, inbox, label="opening it"),
        # contacts
        Row("GET", "/notifications/contact", expect(404, **NO_INBOX, recipient=200, unit=200, staff=200,
                                                     anonymous=401), label="set for recipient, unit and staff"),
        Row("PUT", "/notifications/contact", expect(201, **NO_INBOX, recipient=200, unit=200, staff=200,
                                                     anonymous=401), json=own_contact),
        Row("GET", "/recipients/{recipient}/contact", expect(403, **contact_readers, recipient=200, anonymous=401),
            {"recipient": f"member:{ids.lead}"}, label="the recipient's"),
        Row("GET", "/recipients/{recipient}/contact", expect(403, **contact_readers, anonymous=401),
            {"recipient": f"staff:{BODY}"}, label="the body's staff's"),
        Row("GET", "/recipients/{recipient}/contact", expect(403, **contact_readers, unit=200, anonymous=401),
            {"recipient": f"unit:{ids.unit}"}, label="the unit's"),
        Row("GET", "/recipients/{recipient}/contact",
            expect(403, **{w: 404 for w in contact_readers}, anonymous=401),
            {"recipient": f"member:{ids.nobody}"}, label="none set"),
        Row("GET", "/recipients/{recipient}/contact", expect(422, anonymous=401), {"recipient": "nobody"},
            label="malformed recipient"),
        Row("PUT", "/recipients/{recipient}/contact", expect(403, admin=200, recipient=200, anonymous=401),
            {"recipient": f"member:{ids.lead}"}, json=CONTACT, label="the recipient's"),
        Row("PUT", "/recipients/{recipient}/contact", expect(403, admin=200, unit=200, anonymous=401),
            {"recipient": f"unit:{ids.unit}"}, json={"email": "unit-again@example.org"}, label="the unit's"),
        Row("PUT", "/recipients/{recipient}/contact", expect(403, admin=201, anonymous=401),
            {"recipient": f"unit:{ids.new_unit}"}, json={"email": "new-unit@example.org"}, label="none set yet"),
        Row("PUT", "/recipients/{recipient}/contact", expect(422, anonymous=401), {"recipient": "nobody"},
            json={"email": "x@example.org"}, label="malformed recipient"),
        # a body's SMS quiet hours
        Row("GET", "/notifications/bodies/{body_id}/quiet-hours",
            expect(403, staff=200, leader=200, admin=200, anonymous=401), {"body_id": BODY}),
        Row("GET", "/notifications/bodies/{body_id}/quiet-hours",
            expect(403, other_body_staff=200, admin=200, anonymous=401), {"body_id": OTHER_BODY},
            label="another body's"),
        Row("PUT", "/notifications/bodies/{body_id}/quiet-hours", expect(403, staff=200, admin=200, anonymous=401),
            {"body_id": BODY}, json=QUIET_HOURS),
        Row("PUT", "/notifications/bodies/{body_id}/quiet-hours",
            expect(403, other_body_staff=200, admin=200, anonymous=401), {"body_id": OTHER_BODY}, json=QUIET_HOURS,
            label="another body's"),
        # Web Push
        Row("GET", "/notifications/push/vapid-public-key", inbox),
        Row("POST", "/notifications/push-subscriptions", expect(201, **NO_INBOX, anonymous=401),
            json=lambda who: browser(ids.endpoint(f"new-{who}")), label="each caller's own new browser"),
        Row("GET", "/notifications/push-subscriptions", inbox),
        Row("DELETE", "/notifications/push-subscriptions/{subscription_id}",
            expect(404, recipient=204, anonymous=401), {"subscription_id": ids.subscription},
            label="the recipient's"),
        Row("DELETE", "/notifications/push-subscriptions/{subscription_id}", expect(404, anonymous=401),
            {"subscription_id": ids.unknown_subscription}, label="unknown subscription"),
        # webhooks
        Row("POST", "/webhooks", expect(403, system=201, other_system=201, admin=201, anonymous=401),
            json=lambda who: {"url": ids.hook_url(f"new-{who}"), "event_types": ["proposal.withdrawn"]}),
        Row("GET", "/webhooks", webhook_callers),
        Row("GET", "/webhooks/{webhook_id}/deliveries", expect(403, system=200, admin=200, other_system=404,
                                                               anonymous=401), hook, label="the system's webhook"),
        Row("GET", "/webhooks/{webhook_id}/deliveries", nowhere, unknown_hook, label="unknown webhook"),
        Row("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
            expect(403, system=200, admin=200, other_system=404, anonymous=401),
            {**hook, "delivery_id": ids.deliveries["system"]}, label="the system's delivery"),
        Row("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", nowhere,
            {**hook, "delivery_id": ids.deliveries["other_system"]}, label="another webhook's delivery"),
        Row("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", nowhere,
            {**theirs, "delivery_id": ids.deliveries["system"]}, label="another webhook's delivery, their hook"),
        Row("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", nowhere,
            {**hook, "delivery_id": ids.unknown_delivery}, label="unknown delivery"),
        Row("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", nowhere,
            {**unknown_hook, "delivery_id": ids.deliveries["system"]}, label="unknown webhook"),
    ]  # fmt: skip


def test_every_route_has_a_row(tmp_path: Path) -> None:
    app = create_app(NotificationSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'n.db'}"))
    covered = {(row.method, row.route) for row in matrix(Ids())}
    assert covered == app_routes(app), "every route of the service needs a row in the access matrix"


async def open_stream(app: FastAPI, headers: dict[str, str]) -> httpx.Response:
    """Opens the live stream in-process and hangs up after its first bytes: the status, headers
    and those bytes (an in-process httpx client would wait for the end of an endless body)."""
    first = asyncio.Event()
    hung_up = asyncio.Event()
    asked = False
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")
            if answer["body"] or not message.get("more_body", False):
                first.set()

    raw = [(b"host", b"service"), *((k.lower().encode(), v.encode()) for k, v in headers.items())]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": STREAM, "raw_path": STREAM.encode(), "query_string": b"", "root_path": "", "headers": raw,
        "server": ("service", 80), "client": ("127.0.0.1", 50000),
    }  # fmt: skip
    task = asyncio.create_task(app(scope, receive, send))  # type: ignore[arg-type]
    waiting = asyncio.create_task(first.wait())
    try:
        await asyncio.wait({task, waiting}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hung_up.set()
        waiting.cancel()
        done, _ = await asyncio.wait({task}, timeout=15)
        if not done:
            task.cancel()
            raise AssertionError("the stream did not end when the client hung up")
    task.result()
    assert first.is_set(), "the stream answered nothing"
    return httpx.Response(answer["status"], headers=answer["headers"], content=answer["body"])


class Scene:
    def __init__(self, client: httpx.AsyncClient, app: FastAPI, keys: DevKeys, bootstrap: str, namespace: str) -> None:
        self.client, self.app, self.keys = client, app, keys
        self.world = World(app, keys, bootstrap, namespace)
        self.ids = Ids(lead=self.world.lead, unit=self.world.unit)
        self.keys_of = {"system": f"api-key:{uuid.uuid4()}", "other_system": f"api-key:{uuid.uuid4()}"}

    def headers(self, who: str) -> dict[str, str]:
        w, k = self.world, self.keys
        callers: dict[str, Callable[[], dict[str, str]]] = {
            "recipient": lambda: w.member_headers(w.lead),
            "other_member": lambda: w.member_headers(w.cosigner),
            "unit": lambda: w.unit_headers(),
            "staff": lambda: k.headers("staff", subject="staff-1", body_id=BODY, name="提案委"),
            "leader": lambda: k.headers("leader", subject="leader-1", body_id=BODY, name="李明"),
            "other_body_staff": lambda: k.headers("staff", subject="staff-2", body_id=OTHER_BODY),
            "admin": lambda: k.headers("admin", subject="admin"),
            "system": lambda: self.system("system", "市12345热线"),
            "other_system": lambda: self.system("other_system", "另一系统"),
            "anonymous": lambda: {},
        }
        return callers[who]()

    def system(self, who: str, name: str) -> dict[str, str]:
        """The token the gateway forwards for an API key with ``webhooks:manage`` (api_keys.py)."""
        return self.keys.headers("system", subject=self.keys_of[who], name=name, scope="webhooks:manage")

    async def call(self, method: str, url: str, who: str, json: Any = None, status: int = 200) -> Any:
        response = await self.client.request(method, url, json=json, headers=self.headers(who))
        assert response.status_code == status, (method, url, who, response.text)
        return response.json() if response.content else None

    async def plant(self) -> None:
        """Each system's webhook on proposal.registered; the item submitted and registered (its lead
        proposer, the recipient, and its cosigner are told) and assigned to the unit (the unit and
        both proposers are told); the recipient's contact (set by themself), the unit's (by an
        administrator) and the staff's (by staff); the recipient's browser subscribed. Waits until
        the service consumed the events and queued each webhook's delivery."""
        ids, w = self.ids, self.world
        for who in ("system", "other_system"):
            hook = {"url": ids.hook_url(who), "event_types": ["proposal.registered"]}
            made = await self.call("POST", "/webhooks", who, hook, 201)
            ids.webhooks[who], ids.secrets[who] = made["id"], made["secret"]
        await w.send("proposal.events", [w.envelope(w.submitted()), w.envelope(w.registered())])
        await w.until(f"member:{w.lead}", 1)
        await w.send("assignment.events", [w.envelope(w.assigned())])
        await w.until(f"unit:{w.unit}", 1)
        await w.until(f"member:{w.cosigner}", 2)
        ids.notification = (await w.until(f"member:{w.lead}", 2))[-1].id
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with service_runtime(self.app).database.session(read_only=True) as session:
                rows = (await session.exec(select(WebhookDelivery))).all()
            if len(rows) == 2:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the webhooks' deliveries were never queued")
        by_hook = {r.subscription_id: r.id for r in rows}
        for who in ("system", "other_system"):
            delivery = by_hook[ids.webhooks[who]]
            assert delivery is not None
            ids.deliveries[who] = delivery
        await self.call("PUT", "/notifications/contact", "recipient", CONTACT, 201)
        await self.call("PUT", f"/recipients/unit:{w.unit}/contact", "admin", {"email": "unit@example.org"}, 201)
        await self.call("PUT", "/notifications/contact", "staff", {"email": "staff@example.org"}, 201)
        made = await self.call(
            "POST", "/notifications/push-subscriptions", "recipient", browser(ids.endpoint("recipient")), 201
        )
        ids.subscription = made["id"]

    def secrets(self) -> list[str]:
        """What a refused caller must not learn: the notifications' text, the recipient's contact,
        the webhooks' URLs and secrets, the recipient's push endpoint."""
        ids = self.ids
        return [
            TITLE, EMAIL, PHONE, ids.endpoint("recipient"), *ids.secrets.values(),
            *(ids.hook_url(who) for who in ("system", "other_system")),
        ]  # fmt: skip

    async def contact(self, recipient: str) -> Contact | None:
        async with service_runtime(self.app).database.session(read_only=True) as session:
            return await session.get(Contact, recipient)


@pytest.fixture
def notification_settings(notification_settings: NotificationSettings) -> NotificationSettings:
    """The webhooks post to a closed local port (refused at once), so no public address is needed."""
    return notification_settings.model_copy(update={"webhook_allow_private_targets": True})


@pytest.fixture
async def scene(
    notification: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> AsyncIterator[Scene]:
    app, client = notification
    s = Scene(client, app, dev_keys, kafka.bootstrap, namespace)
    await s.plant()
    yield s


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def hidden(response: httpx.Response, ident: str) -> dict[str, Any]:
    """A problem answer with the request's own traces (its id, its path, the id it named) taken
    out, to compare two of them."""
    body: dict[str, Any] = response.json()
    body.pop("request_id", None)
    assert body.pop("instance") == response.request.url.path
    named = re.compile(rf"(?<![\w-]){re.escape(ident)}(?![\w-])")
    return {k: named.sub("<id>", v) if isinstance(v, str) else v for k, v in body.items()}


async def test_every_route_answers_each_caller_as_it_should(scene: Scene) -> None:
    s, c, ids = scene, scene.client, scene.ids
    rows = matrix(ids)
    assert {(row.method, row.route) for row in rows} == app_routes(s.app)
    wrong: list[str] = []
    for row in rows:
        for who in CALLERS:
            if row.route == STREAM:
                response = await open_stream(s.app, s.headers(who))
            else:
                response = await c.request(
                    row.method, row.url(), params=row.query or None, json=row.body(who), headers=s.headers(who)
                )
            expected = row.expected[who]
            if response.status_code != expected:
                wrong.append(f"{row} as {who}: expected {expected}, got {response.status_code} {response.text[:200]}")
                continue
            if expected in (401, 403, 404, 422):
                assert response.headers["content-type"] == "application/problem+json", (str(row), who)
                for secret in s.secrets():
                    assert secret not in response.text, (str(row), who, secret)
            if expected == 401:
                assert response.headers.get("www-authenticate", "").startswith("Bearer"), (str(row), who)
            if row.route == STREAM and expected == 200:
                assert response.headers["content-type"].startswith("text/event-stream"), who
    assert not wrong, "\n".join(wrong)
    # Refused writes changed nothing: the recipient's contact is as they set it (and set it again).
    contact = await s.contact(f"member:{ids.lead}")
    assert contact is not None and (contact.email, contact.phone, contact.sms_enabled) == (EMAIL, PHONE, True)
    assert await s.contact(f"member:{ids.nobody}") is None
    # Each system (and the administrator) made one webhook more; nobody else made any.
    async with service_runtime(s.app).database.session(read_only=True) as session:
        query = select(WebhookSubscription.owner, func.count()).group_by(col(WebhookSubscription.owner))
        owners = dict((await session.exec(query)).all())
    assert owners == {s.keys_of["system"]: 2, s.keys_of["other_system"]: 2, "admin": 1}


async def test_a_hidden_thing_looks_like_an_unknown_one(scene: Scene) -> None:
    """Where the matrix says 404, the answer is the one for an id that does not exist."""
    s, c, ids = scene, scene.client, scene.ids
    hook, theirs, delivery = ids.webhooks["system"], ids.webhooks["other_system"], ids.deliveries["system"]
    redeliver = "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"
    # (the matrix row, the path of the thing, the path of a thing that does not exist, what differs)
    cases: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
        ("/notifications/{notification_id}/read", "the recipient's", {"notification_id": ids.notification},
         {"notification_id": ids.unknown_notification}, "notification_id"),
        ("/notifications/push-subscriptions/{subscription_id}", "the recipient's",
         {"subscription_id": ids.subscription}, {"subscription_id": ids.unknown_subscription}, "subscription_id"),
        ("/webhooks/{webhook_id}/deliveries", "the system's webhook", {"webhook_id": hook},
         {"webhook_id": ids.unknown_webhook}, "webhook_id"),
        (redeliver, "the system's delivery", {"webhook_id": hook, "delivery_id": delivery},
         {"webhook_id": ids.unknown_webhook, "delivery_id": delivery}, "webhook_id"),
        (redeliver, "another webhook's delivery", {"webhook_id": hook, "delivery_id": ids.deliveries["other_system"]},
         {"webhook_id": hook, "delivery_id": ids.unknown_delivery}, "delivery_id"),
        (redeliver, "another webhook's delivery, their hook", {"webhook_id": theirs, "delivery_id": delivery},
         {"webhook_id": theirs, "delivery_id": ids.unknown_delivery}, "delivery_id"),
    ]  # fmt: skip
    rows = {(r.route, r.label): r for r in matrix(ids)}
    compared = 0
    for route, label, seen_path, unknown_path, differs in cases:
        row = rows[(route, label)]
        for who in (w for w in CALLERS if row.expected[w] == 404):
            seen = await c.request(row.method, route.format(**seen_path), headers=s.headers(who))
            unknown = await c.request(row.method, route.format(**unknown_path), headers=s.headers(who))
            assert seen.status_code == unknown.status_code == 404, (who, str(row), seen.text)
            assert hidden(seen, str(seen_path[differs])) == hidden(unknown, str(unknown_path[differs])), (who, str(row))
            compared += 1
    assert compared >= 20
    # Nothing refused was done: the recipient's notification is unread, their browser subscribed.
    [mine] = [n for n in await s.world.notifications(f"member:{ids.lead}") if n.id == ids.notification]
    assert mine.read_at is None
    listed = ok(await c.get("/notifications/push-subscriptions", headers=s.headers("recipient")))["items"]
    assert [p["id"] for p in listed] == [ids.subscription]


async def test_lists_hold_only_what_the_caller_may_see(scene: Scene) -> None:
    s, c, ids, w = scene, scene.client, scene.ids, scene.world
    # Each inbox: exactly its own notifications, and the count of its unread ones.
    inboxes = {
        "recipient": f"member:{w.lead}",
        "other_member": f"member:{w.cosigner}",
        "unit": f"unit:{w.unit}",
        "staff": f"staff:{BODY}",
        "leader": f"leader:{BODY}",
        "other_body_staff": f"staff:{OTHER_BODY}",
    }
    seen: dict[str, set[str]] = {}
    for who, recipient in inboxes.items():
        stored = await w.notifications(recipient)
        page = ok(await c.get("/notifications", params={"limit": 100}, headers=s.headers(who)))
        seen[who] = {n["id"] for n in page["items"]}
        assert seen[who] == {n.id for n in stored}, who
        count = ok(await c.get("/notifications/unread-count", headers=s.headers(who)))
        assert count == {"unread": sum(n.read_at is None for n in stored)}, who
    assert len(seen["recipient"]) == 2 and len(seen["other_member"]) == 2 and len(seen["unit"]) == 1
    assert seen["staff"] == seen["leader"] == seen["other_body_staff"] == set()  # none of these events is theirs
    assert not seen["recipient"] & seen["other_member"]
    # Marking all read marks the caller's own only.
    assert ok(await c.post("/notifications/read-all", headers=s.headers("other_member"))) == {"marked": 2}
    assert ok(await c.get("/notifications/unread-count", headers=s.headers("recipient"))) == {"unread": 2}

    # A contact: in full for the recipient and administrators, masked for staff and leaders.
    url = f"/recipients/member:{ids.lead}/contact"
    for who in ("recipient", "admin"):
        contact = ok(await c.get(url, headers=s.headers(who)))
        assert (contact["email"], contact["phone"], contact["masked"]) == (EMAIL, PHONE, False), who
    assert ok(await c.get("/notifications/contact", headers=s.headers("recipient")))["email"] == EMAIL
    for who in ("staff", "leader", "other_body_staff"):
        response = await c.get(url, headers=s.headers(who))
        contact = ok(response)
        assert (contact["email"], contact["phone"], contact["masked"]) == ("l***@example.org", "138****8000", True)
        assert EMAIL not in response.text and PHONE not in response.text
    # The unit reads its own in full; the body's staff theirs.
    assert ok(await c.get(f"/recipients/unit:{w.unit}/contact", headers=s.headers("unit")))["masked"] is False
    assert ok(await c.get(f"/recipients/staff:{BODY}/contact", headers=s.headers("staff")))["masked"] is False
    assert ok(await c.get(f"/recipients/staff:{BODY}/contact", headers=s.headers("leader")))["masked"] is True

    # Push subscriptions: each account lists its own browsers only.
    other = browser(ids.endpoint("other_member"))
    made = await s.call("POST", "/notifications/push-subscriptions", "other_member", other, 201)
    for who, expected in (("recipient", [ids.subscription]), ("other_member", [made["id"]]), ("unit", [])):
        items = ok(await c.get("/notifications/push-subscriptions", headers=s.headers(who)))["items"]
        assert [p["id"] for p in items] == expected, who
    mine = ok(await c.get("/notifications/push-subscriptions", headers=s.headers("recipient")))["items"]
    assert [p["endpoint"] for p in mine] == [ids.endpoint("recipient")]

    # Webhooks: a system's own (no secret), all for an administrator; deliveries of its own webhook.
    for who in ("system", "other_system"):
        page = ok(await c.get("/webhooks", headers=s.headers(who)))
        assert [h["id"] for h in page["items"]] == [ids.webhooks[who]], who
        assert "secret" not in page["items"][0] and ids.secrets[who] not in str(page)
        deliveries = ok(await c.get(f"/webhooks/{ids.webhooks[who]}/deliveries", headers=s.headers(who)))["items"]
        assert [(d["id"], d["subscription_id"]) for d in deliveries] == [(ids.deliveries[who], ids.webhooks[who])]
    everything = ok(await c.get("/webhooks", headers=s.headers("admin")))["items"]
    assert {h["id"] for h in everything} == set(ids.webhooks.values())
    assert all(secret not in str(everything) for secret in ids.secrets.values())


async def test_a_system_without_the_webhook_scope_is_refused_here_too(scene: Scene) -> None:
    """The gateway lets only keys with webhooks:manage reach these routes; the service checks the
    token's scope as well, so a token of a read-only key replayed at the service gets nowhere."""
    reader = scene.keys.headers("system", subject=scene.keys_of["system"], name="只读系统", scope="items:read")
    hook = scene.ids.webhooks["system"]
    for method, url, body in (
        ("POST", "/webhooks", {"url": "http://127.0.0.1:9/hook", "event_types": ["assignment.replied"]}),
        ("GET", "/webhooks", None),
        ("GET", f"/webhooks/{hook}/deliveries", None),
    ):
        answer = await scene.client.request(method, url, json=body, headers=reader)
        assert answer.status_code == 403, (method, url, answer.text)
        assert "webhooks:manage" in answer.json()["detail"]
