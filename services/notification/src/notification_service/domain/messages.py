"""Events turned into notifications: pure functions, no database, no Kafka.

Each function takes an event's payload (and what this service already knows of the item)
and returns the notifications it means, one per recipient. The handlers store them.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from notification_service.events import consumed as ev
from notification_service.models import NotificationKind as Kind

# The standard grounds for declining (proposal service's DeclineReason), in words.
DECLINE_REASONS = {
    "outside_remit": "不属于本机构职责范围",
    "state_secret": "涉及国家秘密",
    "before_court": "涉及司法审判中的案件",
    "private_matter": "属于个人或家庭私事",
    "academic_debate": "属于学术讨论",
    "promotion": "属于宣传推广产品或企业",
    "accusation": "属于检举控告具名人员",
    "no_concrete_suggestion": "无具体建议",
    "other": "其他原因",
}
REFERRALS = {
    "public_opinion": "已转作社情民意信息",
    "for_reference": "已转有关部门参考",
}
ROLES = {"lead": "主办", "co": "协办", "separate": "分办"}


@dataclass(frozen=True)
class Item:
    """What the service knows of an item from its proposal events (``ItemInfo``)."""

    title: str | None
    number_label: str | None
    lead_member_id: str | None
    cosigner_member_ids: tuple[str, ...] = ()

    @property
    def members(self) -> list[str]:
        return _unique([self.lead_member_id, *self.cosigner_member_ids])

    def name(self) -> str:
        """How a message names the item: 《title》 (number), or just one of them."""
        title = f"《{self.title}》" if self.title else "您的提案"
        return f"{title}（{self.number_label}）" if self.number_label else title


UNKNOWN_ITEM = Item(title=None, number_label=None, lead_member_id=None)


@dataclass(frozen=True)
class Draft:
    """One notification for one recipient (``member:<id>``, ``unit:<id>``, ``staff:<body_id>`` or
    ``leader:<body_id>``); a digest of several items names none (``proposal_id`` "")."""

    recipient: str
    kind: Kind
    title: str
    body: str
    proposal_id: str


def member(member_id: str) -> str:
    return f"member:{member_id}"


def unit(unit_id: str) -> str:
    return f"unit:{unit_id}"


def _unique(ids: list[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for i in ids:
        if i:
            seen.setdefault(i, None)
    return list(seen)


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _to_members(ids: list[str], kind: Kind, title: str, body: str, proposal_id: str) -> list[Draft]:
    return [Draft(member(m), kind, title, body, proposal_id) for m in ids]


def registered(p: ev.ProposalRegistered) -> list[Draft]:
    item = Item(p.title, p.number_label, p.lead_member_id, tuple(p.cosigner_member_ids))
    body = f"{item.name()}已立案，案号{p.number_label}，将交有关单位办理。"
    return _to_members(item.members, Kind.proposal_registered, "提案已立案", body, p.proposal_id)


def declined(p: ev.ProposalDeclined, item: Item) -> list[Draft]:
    reason = DECLINE_REASONS.get(p.reason, "其他原因")
    body = f"{item.name()}经审查不予立案，理由：{reason}。"
    if p.note.strip():
        body += f"说明：{p.note.strip()}"
        if not body.endswith(("。", "！", "？")):
            body += "。"
    if p.referral in REFERRALS:
        body += f"该件{REFERRALS[p.referral]}。"
    return _to_members(item.members, Kind.proposal_declined, "提案不予立案", body, p.proposal_id)


def merged(p: ev.ProposalMerged, item: Item) -> list[Draft]:
    members = _unique([p.lead_member_id, *p.cosigner_member_ids]) or item.members
    body = f"{item.name()}已与内容相近的提案并案办理，办理结果将同样答复您。"
    return _to_members(members, Kind.proposal_merged, "提案已并案", body, p.proposal_id)


def withdrawn(p: ev.ProposalWithdrawn, item: Item) -> list[Draft]:
    # The lead withdrew it; the cosigners are told.
    body = f"您联名的{item.name()}已由领衔人撤回。"
    return _to_members(list(item.cosigner_member_ids), Kind.proposal_withdrawn, "联名提案已撤回", body, p.proposal_id)


def assigned(p: ev.AssignmentCreated, item: Item) -> list[Draft]:
    role = ROLES.get(p.role, p.role)
    to_unit = Draft(
        unit(p.unit_id),
        Kind.assignment_created,
        "新交办提案",
        f"{item.name()}已交贵单位{role}，办理期限至{_day(p.due_date)}。请及时签收。",
        p.proposal_id,
    )
    body = f"{item.name()}已交{p.unit_name}{role}，办理期限至{_day(p.due_date)}。"
    return [to_unit, *_to_members(item.members, Kind.proposal_assigned, "提案已交办", body, p.proposal_id)]


def reassigned(p: ev.AssignmentReassigned, item: Item) -> list[Draft]:
    role = ROLES.get(p.role, p.role)
    to_new = Draft(
        unit(p.unit_id),
        Kind.assignment_created,
        "新交办提案（调整）",
        f"{item.name()}经调整交贵单位{role}，办理期限至{_day(p.due_date)}。请及时签收。",
        p.proposal_id,
    )
    to_previous = Draft(
        unit(p.previous_unit_id),
        Kind.adjustment_approved,
        "调整申请已同意",
        f"贵单位对{item.name()}的调整申请已同意，该件改由{p.unit_name}办理。",
        p.proposal_id,
    )
    body = f"{item.name()}的承办单位调整为{p.unit_name}（{role}），办理期限至{_day(p.due_date)}。"
    return [
        to_new,
        to_previous,
        *_to_members(item.members, Kind.proposal_reassigned, "承办单位调整", body, p.proposal_id),
    ]


def extended(p: ev.AssignmentExtended, item: Item) -> list[Draft]:
    body = f"{item.name()}的延期申请已同意，办理期限由{_day(p.previous_due_date)}延至{_day(p.due_date)}。"
    return [Draft(unit(p.unit_id), Kind.extension_approved, "延期申请已同意", body, p.proposal_id)]


def due_soon(p: ev.AssignmentDeadline, item: Item) -> list[Draft]:
    body = f"{item.name()}的办理期限为{_day(p.due_date)}，还剩{p.working_days_left}个工作日，请按时答复。"
    return [Draft(unit(p.unit_id), Kind.assignment_due_soon, "办理即将到期", body, p.proposal_id)]


def overdue(p: ev.AssignmentDeadline, item: Item) -> list[Draft]:
    body = f"{item.name()}的办理期限{_day(p.due_date)}已过，尚未答复，请抓紧办理。"
    return [Draft(unit(p.unit_id), Kind.assignment_overdue, "办理已超期", body, p.proposal_id)]


def replied(p: ev.AssignmentReplied, item: Item, *, rating_days: int) -> list[Draft]:
    if p.role == "co":
        # A co-handler's opinion goes to the lead unit, not to the proposers.
        return []
    body = f"{p.unit_name}已答复{item.name()}，请在{rating_days}个工作日内对办理情况进行满意度测评。"
    return _to_members(item.members, Kind.reply_arrived, "提案已答复", body, p.proposal_id)


def rehandling(p: ev.RehandlingOpened, item: Item) -> list[Draft]:
    body = f"{item.name()}已启动重新办理（第{p.round}轮），办理期限至{_day(p.due_date)}。"
    return _to_members(item.members, Kind.rehandling_opened, "提案重新办理", body, p.proposal_id)


def reopened(p: ev.AssignmentReopened, item: Item) -> list[Draft]:
    body = (
        f"提案人对本单位关于{item.name()}的答复不满意，须重新办理（第{p.round}轮），请在{_day(p.due_date)}前再次答复。"
    )
    return [Draft(unit(p.unit_id), Kind.assignment_reopened, "提案须重新办理", body, p.proposal_id)]


def reply_sent_back(p: ev.ReplySentBack, item: Item) -> list[Draft]:
    body = f"提案委退回了本单位关于{item.name()}的答复，请重新答复。退回理由：{p.reason.strip()}"
    if not body.endswith(("。", "！", "？")):
        body += "。"
    if p.unanswered:
        body += f"未答复的建议：第{'、'.join(str(n) for n in p.unanswered)}条。"
    return [Draft(unit(p.unit_id), Kind.reply_sent_back, "答复被退回", body, p.proposal_id)]


# Deadlines in events are instants; members read them as dates in the bodies' time zone.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def _local_day(at: datetime) -> str:
    return _day(at.astimezone(LOCAL_ZONE).date())


def _with_note(body: str, note: str | None) -> str:
    if note and note.strip():
        body += f"说明：{note.strip()}"
        if not body.endswith(("。", "！", "？")):
            body += "。"
    return body


def cosign_invited(p: ev.CosignInvited) -> list[Draft]:
    body = f"您被邀请联名提案《{p.title}》，请在{_local_day(p.deadline)}前确认是否联名。"
    invited = [m for m in _unique(list(p.member_ids)) if m != p.lead_member_id]
    return _to_members(invited, Kind.cosign_invited, "联名邀请", body, p.proposal_id)


def cosign_answered(p: ev.CosignAnswered) -> list[Draft]:
    if not p.lead_member_id:
        return []
    if p.accepted:
        title, body = "联名邀请已接受", f"一位委员已接受联名提案《{p.title}》的邀请。"
    else:
        title, body = "联名邀请被谢绝", f"一位委员谢绝了联名提案《{p.title}》的邀请。"
    kind = Kind.cosign_accepted if p.accepted else Kind.cosign_declined
    return [Draft(member(p.lead_member_id), kind, title, body, p.proposal_id)]


def adjustment_refused(p: ev.AdjustmentRefused, item: Item) -> list[Draft]:
    body = _with_note(f"贵单位对{item.name()}的调整申请未获同意，请继续办理。", p.note)
    return [Draft(unit(p.unit_id), Kind.adjustment_refused, "调整申请未同意", body, p.proposal_id)]


def extension_refused(p: ev.ExtensionRefused, item: Item) -> list[Draft]:
    body = _with_note(
        f"{item.name()}延期至{_day(p.requested_due_date)}的申请未获同意，办理期限仍为{_day(p.due_date)}。", p.note
    )
    return [Draft(unit(p.unit_id), Kind.extension_refused, "延期申请未同意", body, p.proposal_id)]


def opinion_sent(p: ev.OpinionSent, item: Item) -> list[Draft]:
    body = f"协办单位{p.unit_name}已就{item.name()}提出协办意见，请在答复前研究吸收。"
    return [
        Draft(unit(u), Kind.co_opinion_received, "收到协办意见", body, p.proposal_id)
        for u in _unique(list(p.lead_unit_ids))
    ]


def ballot_opened(p: ev.BallotOpened) -> list[Draft]:
    until = f"，请在{_local_day(p.closes_at)}前投票" if p.closes_at else "，请及时投票"
    body = f"《{p.title}》的民主测评已开始{until}。"
    return _to_members(_unique(list(p.elector_member_ids)), Kind.ballot_opened, "民主测评", body, p.proposal_id)


def cosign_reminder(p: ev.CosignInvited, member_id: str) -> Draft:
    body = f"您被邀请联名的提案《{p.title}》将于{_local_day(p.deadline)}截止确认，请尽快答复是否联名。"
    return Draft(member(member_id), Kind.cosign_deadline, "联名邀请即将截止", body, p.proposal_id)


def rating_reminder(p: ev.AssignmentReplied, item: Item, member_id: str, closes: date) -> Draft:
    body = f"{p.unit_name}对{item.name()}的答复，满意度测评将于{_day(closes)}截止（还有2个工作日），请及时测评。"
    return Draft(member(member_id), Kind.rating_deadline, "满意度测评即将截止", body, p.proposal_id)
