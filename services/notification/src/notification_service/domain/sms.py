"""SMS through a provider's HTTP API, as the big Chinese cloud providers take it (ADR 25).

Chinese providers send only texts from templates registered with them beforehand, each under a
signature (签名, 【提案办理平台】) and with variables filled in at send time: this module holds
the templates (one per notification kind, ``TEMPLATES``; operators register them and map each
to the provider's code with ``NOTIFICATION_SMS_TEMPLATE_CODES``), fits the variables so that the
whole text, signature included, stays one 70-character segment (a longer one is billed and
delivered as several, and may arrive out of order), and sends a request shaped like Alibaba
Cloud's SendSms: ``PhoneNumbers``, ``SignName``, ``TemplateCode``, ``TemplateParam`` (JSON),
``OutId`` (the delivery: the provider drops a repeat), signed with an access key (HMAC-SHA256).
An SMS says what happened and to open the platform; the details stay in the inbox.
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from string import Template

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from notification_service.domain.contacts import sms_window
from notification_service.domain.delivery import ChannelSender, PermanentFailure, TransientFailure, quiet_until
from notification_service.models import BodyQuietHours, Channel, Contact, ItemInfo, Notification
from notification_service.settings import NotificationSettings
from servicekit.db import Database

# One segment of a text with Chinese characters (UCS-2): 70 characters, the signature included.
SEGMENT = 70

# The text of each notification kind's template (variables: ${item}, the item's title or number;
# ${title}, the notification's title). Every kind the service writes has one (a test holds it).
TEMPLATES: dict[str, str] = {
    "proposal_registered": "您的提案${item}已立案，将交有关单位办理。",
    "proposal_declined": "您的提案${item}经审查不予立案，理由请登录平台查看。",
    "proposal_merged": "您的提案${item}已并案办理，详情请登录平台查看。",
    "proposal_withdrawn": "您联名的提案${item}已由领衔人撤回。",
    "proposal_assigned": "您的提案${item}已交办，承办单位请登录平台查看。",
    "proposal_reassigned": "您的提案${item}承办单位已调整，请登录平台查看。",
    "assignment_created": "贵单位有新交办提案${item}，请登录平台签收办理。",
    "adjustment_approved": "贵单位对提案${item}的调整申请已同意。",
    "adjustment_refused": "贵单位对提案${item}的调整申请未获同意，请继续办理。",
    "extension_approved": "提案${item}的延期申请已同意，新期限请登录平台查看。",
    "extension_refused": "提案${item}的延期申请未获同意，请按原期限办理。",
    "assignment_due_soon": "提案${item}办理即将到期，请按时答复。",
    "assignment_overdue": "提案${item}办理已超期，请抓紧办理答复。",
    "assignment_reopened": "提案${item}的答复提案人不满意，须重新办理，请登录平台查看。",
    "reply_sent_back": "贵单位对提案${item}的答复已被退回，请登录平台查看理由并重新答复。",
    "co_opinion_received": "提案${item}收到协办意见，请在答复前研究吸收。",
    "reply_arrived": "您的提案${item}已答复，请登录平台进行满意度测评。",
    "rating_deadline": "您的提案${item}满意度测评即将截止，请及时测评。",
    "rehandling_opened": "您的提案${item}已启动重新办理，请登录平台查看。",
    "cosign_invited": "您被邀请联名提案${item}，请登录平台确认。",
    "cosign_deadline": "联名提案${item}的邀请即将截止，请尽快确认。",
    "cosign_accepted": "一位委员已接受联名提案${item}的邀请。",
    "cosign_declined": "一位委员谢绝了联名提案${item}的邀请。",
    "ballot_opened": "提案${item}的民主测评已开始，请登录平台投票。",
    "staff_daily_digest": "督办提醒：${title}，请登录平台查看。",
    "leader_daily_digest": "督办提醒：${title}，请登录平台查看。",
}
# Several notifications of one kind to one recipient at once: one SMS with the count.
DIGEST_TEMPLATE = "digest"
TEMPLATES_BY_NAME: dict[str, str] = {**TEMPLATES, DIGEST_TEMPLATE: "您有${count}条“${title}”通知，请登录平台查看。"}
ELLIPSIS = "…"


def render(sign_name: str, template: str, params: dict[str, str]) -> str:
    """The text a phone shows: the signature, then the template with its variables filled."""
    return f"【{sign_name}】" + Template(template).substitute(params)


def fit(sign_name: str, template: str, params: dict[str, str], *, limit: int = SEGMENT) -> dict[str, str]:
    """``params`` with the longest variables shortened (an ellipsis at the cut) until the text
    fits ``limit`` characters. Counts (digits) are never cut; a text whose fixed part alone is
    too long keeps its variables at one character and ellipsis."""
    fitted = dict(params)
    while len(render(sign_name, template, fitted)) > limit:
        cuttable = {k: v for k, v in fitted.items() if len(v) > 2 and not v.isdigit()}
        if not cuttable:
            break
        name = max(cuttable, key=lambda k: len(cuttable[k]))
        value = fitted[name].removesuffix(ELLIPSIS)
        fitted[name] = value[:-1] + ELLIPSIS
    return fitted


def item_variable(item: ItemInfo | None) -> str:
    """How an SMS names an item: 《title》, or its number, or nothing more than 您的 in the text."""
    if item is not None and item.title:
        return f"《{item.title}》"
    if item is not None and item.number_label:
        return item.number_label
    return ""


def message_for(
    notification: Notification, item: ItemInfo | None, *, digest: list[Notification] | None, sign_name: str
) -> tuple[str, dict[str, str]]:
    """The template name and its fitted variables for one SMS (or a digest's)."""
    if digest:
        name, params = DIGEST_TEMPLATE, {"count": str(len(digest)), "title": notification.title}
    else:
        name = notification.kind if notification.kind in TEMPLATES else DIGEST_TEMPLATE
        params = {"item": item_variable(item), "title": notification.title, "count": "1"}
    template = TEMPLATES_BY_NAME[name]
    used = {k: v for k, v in params.items() if f"${{{k}}}" in template}
    return name, fit(sign_name, template, used)


async def body_of(session: AsyncSession, recipient: str, notification: Notification) -> str | None:
    """The body a notification belongs to: a staff or leaders' inbox names it, an item knows it."""
    role, _, ident = recipient.partition(":")
    if role in ("staff", "leader"):
        return ident
    if notification.proposal_id:
        item = await session.get(ItemInfo, notification.proposal_id)
        return item.body_id if item is not None else None
    return None


def signature(secret: str, *, access_key_id: str, timestamp: str, nonce: str, body: bytes) -> str:
    """HMAC-SHA256 over the key id, time, nonce and body (base64), as the provider checks it."""
    signed = b"\n".join([access_key_id.encode(), timestamp.encode(), nonce.encode(), body])
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


# Provider answers (``Code`` in a 200 body) that a later attempt may not meet: throttling, the
# provider's own faults. Any other code but OK is a refusal of this message (a bad number, a
# template not approved): retrying would only cost money.
TRANSIENT_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable"})


class SmsSender(ChannelSender):
    """The SMS channel's sender loop (delivery rows of channel ``sms``)."""

    channel = Channel.sms

    def __init__(self, *, database: Database, settings: NotificationSettings) -> None:
        super().__init__(database=database, settings=settings)
        self.client = httpx.AsyncClient(timeout=settings.sms_timeout_s, follow_redirects=False)

    async def close(self) -> None:
        await self.client.aclose()

    def address(self, contact: Contact) -> str | None:
        return contact.phone if contact.phone and contact.sms_enabled else None

    async def quiet_until(
        self, recipient: str, notification: Notification, contact: Contact | None, now: datetime
    ) -> datetime | None:
        """The recipient's quiet hours, and the body's SMS quiet hours (its own or the default)."""
        own = await super().quiet_until(recipient, notification, contact, now)
        async with self.database.session(read_only=True) as session:
            body_id = await body_of(session, recipient, notification)
            row = await session.get(BodyQuietHours, body_id) if body_id else None
        start, end = sms_window(row, self.settings)
        body = quiet_until(now, start, end, self.zone)
        return max((t for t in (own, body) if t is not None), default=None)

    async def deliver(
        self, notification: Notification, address: str, delivery_id: int, *, digest: list[Notification] | None = None
    ) -> None:
        s = self.settings
        assert s.sms_gateway_url is not None
        item = None
        if notification.proposal_id and not digest:
            async with self.database.session(read_only=True) as session:
                item = await session.get(ItemInfo, notification.proposal_id)
        name, params = message_for(notification, item, digest=digest, sign_name=s.sms_sign_name)
        body = json.dumps(
            {
                "PhoneNumbers": address,
                "SignName": s.sms_sign_name,
                "TemplateCode": s.sms_template_codes.get(name, name),
                "TemplateParam": json.dumps(params, ensure_ascii=False),
                "OutId": f"delivery-{delivery_id}",
            },
            ensure_ascii=False,
        ).encode()
        headers = {"content-type": "application/json; charset=utf-8"}
        if s.sms_access_key_id and s.sms_access_key_secret:
            timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            nonce = secrets.token_hex(16)
            headers |= {
                "x-sms-access-key-id": s.sms_access_key_id,
                "x-sms-timestamp": timestamp,
                "x-sms-nonce": nonce,
                "x-sms-signature": signature(
                    s.sms_access_key_secret.get_secret_value(),
                    access_key_id=s.sms_access_key_id,
                    timestamp=timestamp,
                    nonce=nonce,
                    body=body,
                ),
            }
        try:
            answer = await self.client.post(s.sms_gateway_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransientFailure(type(exc).__name__) from None
        if answer.status_code >= 500 or answer.status_code in (408, 429):
            raise TransientFailure(f"SMS provider {answer.status_code}")
        if answer.status_code >= 400:
            raise PermanentFailure(f"SMS provider {answer.status_code}")
        try:
            code = str(answer.json().get("Code", ""))
        except (ValueError, AttributeError):
            raise TransientFailure("SMS provider answer unreadable") from None
        if code == "OK":
            return
        if code in TRANSIENT_CODES:
            raise TransientFailure(f"SMS provider {code}")
        raise PermanentFailure(f"SMS provider {code or 'no code'}")
