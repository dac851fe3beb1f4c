"""SMS through a provider's HTTP API (a local receiver here, ADR 25): a template per kind with
its variables, one 70-character segment, signed with the access key; sent only to recipients who
turned it on; retried while the provider fails, given up on a refusal; quiet hours of the body
and preferences per kind."""

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from notification_world import BODY, World, served
from pydantic import SecretStr, ValidationError
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from notification_service.domain.sms import SEGMENT, TEMPLATES, TEMPLATES_BY_NAME, fit, render, signature
from notification_service.main import create_app
from notification_service.models import Channel, ContactUpdate, Delivery, DeliveryStatus, NotificationKind
from notification_service.settings import NotificationSettings
from servicekit.runtime import service_runtime

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
REFUSED = "13900000000"
KEY_ID, SECRET = "LTAI-test-key", "test-secret"
SIGN = "提案办理平台"


class SmsProvider:
    """A provider in the style of the big Chinese clouds: checks the request's signature, fails the
    first two calls (a 503, then a throttling code), refuses one number, accepts the rest."""

    def __init__(self, *, failing: bool = True) -> None:
        self.failing = failing
        self.calls: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.app = Starlette(routes=[Route("/sms", self.send, methods=["POST"])])

    async def send(self, request: Request) -> Response:
        raw = await request.body()
        h = request.headers
        expected = signature(
            SECRET,
            access_key_id=h["x-sms-access-key-id"],
            timestamp=h["x-sms-timestamp"],
            nonce=h["x-sms-nonce"],
            body=raw,
        )
        if h["x-sms-signature"] != expected or h["x-sms-access-key-id"] != KEY_ID:
            self.bad_signatures += 1
            return JSONResponse({"Code": "SignatureDoesNotMatch"}, status_code=400)
        body: dict[str, Any] = json.loads(raw)
        self.calls.append(body)
        if self.failing and len(self.calls) == 1:
            return Response(status_code=503)
        if self.failing and len(self.calls) == 2:
            return JSONResponse({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"})
        if body["PhoneNumbers"] == REFUSED:
            return JSONResponse({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
        return JSONResponse({"Code": "OK", "BizId": f"biz-{len(self.calls)}"})

    def texts_to(self, phone: str) -> list[str]:
        """What the phone showed: the provider renders the template under the signature."""
        return [
            render(b["SignName"], TEMPLATES_BY_NAME[b["TemplateCode"]], json.loads(b["TemplateParam"]))
            for b in self.calls
            if b["PhoneNumbers"] == phone
        ]


def test_every_kind_has_a_template_within_one_segment() -> None:
    assert set(TEMPLATES) == set(NotificationKind)
    long_title = "关于进一步加强和改进城市社区居家养老服务体系建设推动医养结合高质量发展的建议" * 2
    for kind, template in TEMPLATES_BY_NAME.items():
        params = {"item": f"《{long_title}》", "title": long_title, "count": "128"}
        used = {k: v for k, v in params.items() if f"${{{k}}}" in template}
        text = render(SIGN, template, fit(SIGN, template, used))
        assert len(text) <= SEGMENT, (kind, text)
        assert text.startswith(f"【{SIGN}】")
    # A long title is cut with an ellipsis; a count never is; a short text is left alone.
    fitted = fit(SIGN, TEMPLATES["proposal_registered"], {"item": f"《{long_title}》"})
    assert fitted["item"].endswith("…") and len(fitted["item"]) < len(long_title)
    assert fit(SIGN, TEMPLATES_BY_NAME["digest"], {"count": "100", "title": "新交办提案"})["count"] == "100"
    short = {"item": "《关于加强社区养老服务的建议》"}
    assert fit(SIGN, TEMPLATES["proposal_registered"], short) == short


def test_the_inbox_cannot_be_muted_and_kinds_are_checked() -> None:
    with pytest.raises(ValidationError, match="inbox cannot be turned off"):
        ContactUpdate(muted={NotificationKind.assignment_created: [Channel.inbox]})
    with pytest.raises(ValidationError) as caught:
        ContactUpdate.model_validate({"muted": {"no_such_kind": ["sms"]}})
    assert caught.value.errors()[0]["loc"][:2] == ("muted", "no_such_kind")


async def until(check: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def provider_settings(settings: NotificationSettings, url: str, **more: Any) -> NotificationSettings:
    return settings.model_copy(
        update={
            "sms_gateway_url": f"{url}/sms",
            "sms_access_key_id": KEY_ID,
            "sms_access_key_secret": SecretStr(SECRET),
            "delivery_poll_interval_s": 0.1,
            "delivery_backoff_base_s": 0.2,
            "delivery_backoff_max_s": 0.5,
            **more,
        }
    )


async def sms_rows(app: FastAPI) -> list[Delivery]:
    async with service_runtime(app).database.session(read_only=True) as session:
        query = select(Delivery).where(Delivery.channel == Channel.sms).order_by(col(Delivery.id))
        return list((await session.exec(query)).all())


async def test_sms_goes_to_those_who_turned_it_on_with_retries_and_refusals_kept(
    serve: Serve,
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
) -> None:
    provider = SmsProvider()
    async with served(provider.app) as provider_url:
        app = create_app(provider_settings(notification_settings, provider_url))
        async with serve(app) as client:
            world = World(app, dev_keys, kafka.bootstrap, namespace)
            contacts = {
                world.lead: {"phone": "13800138000", "sms_enabled": True},
                world.cosigner: {"phone": "13700137000"},  # a phone number, SMS not turned on
                world.stranger: {"phone": REFUSED, "sms_enabled": True},
            }
            for member_id, contact in contacts.items():
                answer = await client.put(
                    "/notifications/contact", json=contact, headers=world.member_headers(member_id)
                )
                assert answer.status_code == 201, answer.text
                assert answer.json()["sms_enabled"] is contact.get("sms_enabled", False)
            no_phone = await client.put(
                "/notifications/contact", json={"sms_enabled": True}, headers=world.member_headers("m-none")
            )
            assert no_phone.json()["sms_enabled"] is False

            registered = world.registered(cosigners=[world.cosigner, world.stranger])
            await world.send("proposal.events", [world.envelope(registered)])

            async def settled() -> bool:
                rows = await sms_rows(app)
                return len(rows) == 2 and all(r.status != DeliveryStatus.pending for r in rows)

            await until(settled, "both SMS settled")
            rows = {r.recipient: r for r in await sms_rows(app)}
            lead, stranger = rows[f"member:{world.lead}"], rows[f"member:{world.stranger}"]
            assert lead.status == DeliveryStatus.sent
            assert (
                stranger.status == DeliveryStatus.failed
                and stranger.last_error == "SMS provider isv.MOBILE_NUMBER_ILLEGAL"
            )
            assert f"member:{world.cosigner}" not in rows
            assert provider.bad_signatures == 0
            # The first two calls of all failed (a 503, then throttling) and were retried.
            assert len(provider.calls) == 4 and lead.attempts + stranger.attempts == 4
            [text] = provider.texts_to("13800138000")[-1:]
            assert text == "【提案办理平台】您的提案《关于加强社区养老服务的建议》已立案，将交有关单位办理。"
            assert len(text) <= SEGMENT
            last = provider.calls[-1] if provider.calls[-1]["PhoneNumbers"] == "13800138000" else provider.calls[-2]
            assert last["TemplateCode"] == "proposal_registered" and last["SignName"] == SIGN
            assert last["OutId"] == f"delivery-{lead.id}"


async def test_a_body_quiet_hours_hold_sms_but_not_an_overdue_escalation_and_muted_kinds_stay_in_the_inbox(
    serve: Serve,
    notification_settings: NotificationSettings,
    kafka: KafkaBroker,
    namespace: str,
    dev_keys: DevKeys,
) -> None:
    provider = SmsProvider(failing=False)
    async with served(provider.app) as provider_url:
        # The service's default window (here one holding now, whatever the time of the run).
        now = datetime.now(UTC).astimezone(ZoneInfo(notification_settings.timezone))
        start, end = clock((now.hour - 1) % 24), clock((now.hour + 2) % 24)
        app = create_app(
            provider_settings(notification_settings, provider_url, sms_quiet_start=start, sms_quiet_end=end)
        )
        async with serve(app) as client:
            world = World(app, dev_keys, kafka.bootstrap, namespace)
            staff = dev_keys.headers("staff", subject="staff-acc", body_id=BODY)
            leader = dev_keys.headers("leader", subject="leader-acc", body_id=BODY)
            seen = await client.get(f"/notifications/bodies/{BODY}/quiet-hours", headers=leader)
            assert seen.status_code == 200 and seen.json()["default"] is True
            assert seen.json()["sms_quiet_start"] == start.strftime("%H:%M")
            refused = await client.put(
                f"/notifications/bodies/{BODY}/quiet-hours",
                json={"sms_quiet_start": "22:00", "sms_quiet_end": None},
                headers=staff,
            )
            assert refused.status_code == 422 and "sms_quiet_start" in refused.text
            not_leaders = await client.put(
                f"/notifications/bodies/{BODY}/quiet-hours",
                json={"sms_quiet_start": None, "sms_quiet_end": None},
                headers=leader,
            )
            assert not_leaders.status_code == 403
            other_body = await client.get("/notifications/bodies/body-2/quiet-hours", headers=staff)
            assert other_body.status_code == 403
            admin = dev_keys.headers("admin", subject="admin")
            too_long = await client.put(
                f"/notifications/bodies/{'b' * 37}/quiet-hours",
                json={"sms_quiet_start": None, "sms_quiet_end": None},
                headers=admin,
            )
            assert too_long.status_code == 422 and "body_id" in too_long.text

            contact = {
                "phone": "13800138000",
                "sms_enabled": True,
                "muted": {"proposal_assigned": ["sms"]},
            }
            answer = await client.put("/notifications/contact", json=contact, headers=world.member_headers(world.lead))
            assert answer.json()["muted"] == {"proposal_assigned": ["sms"]}
            answer = await client.put(
                "/notifications/contact",
                json={"phone": "13600136000", "sms_enabled": True},
                headers=world.unit_headers(),
            )
            assert answer.status_code == 201

            # Registered (held: the body's quiet hours), assigned (muted by the member: inbox only),
            # overdue (an escalation to the unit: sent in quiet hours too).
            await world.send("proposal.events", [world.envelope(world.registered())])
            await world.until(f"member:{world.lead}", 1)
            await world.send("assignment.events", [world.envelope(world.assigned()), world.envelope(world.overdue())])
            await world.until(f"member:{world.lead}", 2)
            await world.until(f"unit:{world.unit}", 2)

            async def overdue_sent() -> bool:
                return any(r.status == DeliveryStatus.sent for r in await sms_rows(app))

            await until(overdue_sent, "the overdue escalation sent in quiet hours")
            await asyncio.sleep(0.5)  # several sender rounds
            by_recipient = {(r.recipient, r.status) for r in await sms_rows(app)}
            member_rows = [r for r in await sms_rows(app) if r.recipient == f"member:{world.lead}"]
            assert len(member_rows) == 1  # the assignment was muted on SMS: no row at all
            [held] = member_rows
            assert (
                held.status == DeliveryStatus.pending
                and held.attempts == 0
                and held.next_attempt_at > datetime.now(UTC)
            )
            assert (f"unit:{world.unit}", DeliveryStatus.sent) in by_recipient
            assert provider.texts_to("13600136000") == [
                "【提案办理平台】提案《关于加强社区养老服务的建议》办理已超期，请抓紧办理答复。"
            ]
            assert [n.kind for n in await world.notifications(f"member:{world.lead}")] == [
                "proposal_registered",
                "proposal_assigned",
            ]

            # The body's staff turn its SMS quiet hours off: the held SMS goes at the next round.
            off = await client.put(
                f"/notifications/bodies/{BODY}/quiet-hours",
                json={"sms_quiet_start": None, "sms_quiet_end": None},
                headers=staff,
            )
            assert off.status_code == 200 and off.json() == {
                "body_id": BODY,
                "sms_quiet_start": None,
                "sms_quiet_end": None,
                "default": False,
            }
            async with service_runtime(app).database.session() as session:
                row = await session.get(Delivery, held.id)
                assert row is not None
                row.next_attempt_at = datetime.now(UTC)  # as when the window it waited for ends
                session.add(row)
                await session.commit()

            async def member_sent() -> bool:
                return bool(provider.texts_to("13800138000"))

            await until(member_sent, "the held SMS after the body's quiet hours were lifted")
            assert provider.texts_to("13800138000") == [
                "【提案办理平台】您的提案《关于加强社区养老服务的建议》已立案，将交有关单位办理。"
            ]
