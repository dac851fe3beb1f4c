"""A whole synthetic year through the gateway, with the four services as real processes on real
Kafka (SQLite and PostgreSQL): items filed by members and by staff, cosigned, registered,
declined, merged, withdrawn, marked key, assigned (lead with co-handlers, separate units, some
backdated so that their replies are late and the deadline scan finds them overdue), replied with
planted outcome classes, rated, rehandled after an unsatisfied result, replied and rated again.

The year is drawn from ``random.Random(2026)``; every expected figure is derived from the plan by
the definitions in evaluation_service.domain.statistics' docstring, never written down, and
compared with GET /statistics, GET /statistics/units and the annual report in all four formats."""

import asyncio
import csv
import io
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from devstack.stack import Stack

pytestmark = pytest.mark.e2e

STACK_ENV = {
    # Rate limits are tested elsewhere; a year of work from a handful of tokens would exceed them.
    **{f"GATEWAY_RATE_LIMIT_{kind}_PER_MINUTE": "1000000" for kind in ("AUTH", "WRITE", "READ", "API_KEY")},
    # The test runs the deadline scan itself, once, when it knows which assignments are open.
    "ASSIGNMENT_REMINDERS_ENABLED": "false",
}

SEED = 2026
MEMBERS = 8
DEFAULT_CATEGORIES = ("经济发展", "城市建设", "科教文卫", "社会法制")
EXTRA_CATEGORY = "生态环境"
UNCATEGORISED = "未分类"
UNITS = [  # code, name, parent, kind
    ("SY-GOV", "沙洋市人民政府", "", "government"),
    ("SY-FGW", "市发展和改革委员会", "SY-GOV", "department"),
    ("SY-ZJJ", "市住房和城乡建设局", "SY-GOV", "department"),
    ("SY-JYJ", "市教育局", "SY-GOV", "department"),
    ("SY-STJ", "市生态环境局", "SY-GOV", "department"),
    ("SY-WJW", "市卫生健康委员会", "SY-GOV", "department"),
    ("SY-HS", "洪山区人民政府", "SY-GOV", "district"),
]
UNIT_NAMES = {code: name for code, name, _, _ in UNITS}
LEAD_UNITS = ["SY-FGW", "SY-ZJJ", "SY-JYJ", "SY-STJ", "SY-WJW"]
CO_ONLY_UNIT = "SY-HS"  # only ever a co-handler: no reply, no rate, no score
GROUPS = ["民盟沙洋市委", "民建沙洋市委", "九三学社沙洋市委", "市工商联"]
TOPICS = ["老旧小区改造", "中小学课后服务", "湖泊水质治理", "社区养老服务", "停车难问题", "优化营商环境"]
TOPICS += ["基层医疗服务", "垃圾分类", "非遗保护传承", "公交线网优化", "农村饮水安全", "青年人才安居"]
DECLINE_REASONS = ["outside_remit", "private_matter", "no_concrete_suggestion", "promotion"]
SATISFIED, BASICALLY, UNSATISFIED = "satisfied", "basically_satisfied", "unsatisfied"
OUTCOME_CLASSES = ("A", "B", "C", "D")
OUTCOME_VALUES = {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25}
LATE_DAYS = 130  # assigned this long ago: the three months to reply have passed
TZ = ZoneInfo("Asia/Shanghai")

KIND_LABELS = {"individual": "个人提案", "joint": "联名提案", "group": "集体提案", "plenary": "建议案"}
# The report's figures are over the 提案; a 建议案 (plenary) is a line of its own (seed 001).
PROPOSAL_KINDS = ("individual", "joint", "group")
OUTCOME_LABELS = {
    "A": "已解决或基本解决",
    "B": "正在解决或列入计划解决",
    "C": "因条件限制暂时不能解决",
    "D": "留作参考",
}
UNRATED_LABEL = "测评期满未测评的答复不计入满意率"

Rating = tuple[str, str, str]  # contact, attitude, result


# --- the plan ------------------------------------------------------------------------------------


@dataclass
class Part:
    """One unit's assignment of an item and its reply in each round (none: not replied)."""

    unit: str
    role: str
    outcomes: list[str] = field(default_factory=list)
    contacted: bool = False

    @property
    def rehandled(self) -> bool:
        return len(self.outcomes) > 1


@dataclass
class Item:
    n: int
    kind: str
    title: str
    category: str | None
    lead: int | None  # member index
    cosigners: list[int] = field(default_factory=list)
    group_name: str | None = None
    contact_at_registration: bool = False  # a group's contact member named by the staff at registration
    fate: str = "registered"  # declined, merged, withdrawn
    decline_reason: str | None = None
    registered_category: str | None = None  # changed at registration
    key: bool = False
    key_unmarked: bool = False  # marked key, then unmarked
    parts: list[Part] = field(default_factory=list)  # empty: not assigned
    assigned_days_ago: int = 0
    merged_members: list[int] = field(default_factory=list)  # proposers of items merged into this one
    merged_into: "Item | None" = None
    ratings: list[dict[tuple[int, str], Rating]] = field(default_factory=lambda: [{}, {}])  # per round
    id: str = ""
    number: int | None = None  # 案号, given at registration
    number_label: str | None = None
    assignment_ids: dict[str, str] = field(default_factory=dict)

    @property
    def final_category(self) -> str:
        return self.registered_category or self.category or UNCATEGORISED

    @property
    def registered(self) -> bool:
        return self.fate == "registered"

    @property
    def entitled(self) -> list[int]:
        """Who may rate: the lead proposer, accepted cosigners, proposers of merged items."""
        return sorted({*([self.lead] if self.lead is not None else []), *self.cosigners, *self.merged_members})

    @property
    def replying(self) -> list[Part]:
        return [p for p in self.parts if p.role != "co"]

    @property
    def replied(self) -> bool:
        return bool(self.replying) and all(p.outcomes for p in self.replying)

    @property
    def late(self) -> bool:
        return self.assigned_days_ago == LATE_DAYS

    @property
    def rounds(self) -> int:
        return max((len(p.outcomes) for p in self.replying), default=0)

    def outcome(self, round_: int) -> str:
        """The item's outcome after ``round_``: the lead's, or for separate units the one
        furthest from solved, each unit's latest reply up to that round."""
        latest = [p.outcomes[min(round_, len(p.outcomes)) - 1] for p in self.replying]
        return latest[0] if self.replying[0].role == "lead" else max(latest)


def plan_year(rng: random.Random) -> list[Item]:
    kinds = ["individual"] * 17 + ["joint"] * 8 + ["group"] * 4 + ["plenary"]
    rng.shuffle(kinds)
    categories = [*DEFAULT_CATEGORIES, EXTRA_CATEGORY]
    items: list[Item] = []
    for n, kind in enumerate(kinds, start=1):
        title = f"关于{rng.choice(TOPICS)}的建议（{n}）"
        item = Item(n=n, kind=kind, title=title, category=rng.choice(categories), lead=None)
        if kind in ("individual", "joint"):
            item.lead = rng.randrange(MEMBERS)
            if kind == "joint":
                others = [m for m in range(MEMBERS) if m != item.lead]
                item.cosigners = sorted(rng.sample(others, rng.randint(1, 2)))
        else:
            item.group_name = rng.choice(GROUPS) if kind == "group" else "政协沙洋市委员会提案委员会"
            if kind == "group" and rng.random() < 0.5:
                item.lead = rng.randrange(MEMBERS)  # 领衔人 named by the staff
            elif kind == "group":  # nobody could rate it: the staff name the contact member at registration
                item.lead, item.contact_at_registration = n % MEMBERS, True
        items.append(item)
    rng.choice(items).category = None

    # Review: 3 declined, 1 merged, 1 withdrawn, of the members' own items; the rest registered.
    pool = [i for i in items if i.kind in ("individual", "joint")]
    rng.shuffle(pool)
    for item in pool[:3]:
        item.fate, item.decline_reason = "declined", rng.choice(DECLINE_REASONS)
    merged, withdrawn = pool[3], pool[4]
    merged.fate, withdrawn.fate = "merged", "withdrawn"
    registered = [i for i in items if i.registered]
    order = registered[:]
    rng.shuffle(order)
    recategorised = next(i for i in order if i.category is not None)
    recategorised.registered_category = rng.choice([c for c in categories if c != recategorised.category])
    for item in rng.sample(registered, 4):
        item.key = True
    rng.choice([i for i in registered if not i.key]).key_unmarked = True

    # Handling: one left unassigned, two assigned and not replied yet (one late), the rest replied.
    _unassigned, open_late, open_on_time, *replied = order
    assigned = [open_late, open_on_time, *replied]
    rated = [i for i in replied if i.lead is not None]  # someone may rate its replies
    rehandled = [i for i in rated if i.cosigners][:2]  # rated by the lead and the cosigners
    separate = next(i for i in rated if i not in rehandled)
    co_items = rng.sample([i for i in replied if i is not separate], 5)
    late = {open_late.n, *(i.n for i in rng.sample(replied, 5))}
    primary = next(
        i
        for i in rated
        if i is not separate and i not in rehandled and not {merged.lead, *merged.cosigners} & {i.lead, *i.cosigners}
    )
    primary.merged_members = sorted({merged.lead, *merged.cosigners} - {None})  # type: ignore[arg-type]
    merged.merged_into = primary
    for item in assigned:
        item.assigned_days_ago = LATE_DAYS if item.n in late else rng.randint(0, 30)
        if item is separate:
            first, second = rng.sample(LEAD_UNITS, 2)
            item.parts = [Part(first, "separate"), Part(second, "separate")]
        else:
            item.parts = [Part(rng.choice(LEAD_UNITS), "lead")]
            if item in co_items:
                co = CO_ONLY_UNIT if item is co_items[0] else rng.choice([CO_ONLY_UNIT, *LEAD_UNITS])
                if co != item.parts[0].unit:
                    item.parts.append(Part(co, "co"))

    # Replies: rehandled units answer C or D first and A or B after rehandling, so that the item's
    # outcome moves from C/D to A/B (the test waits for that); the others answer once.
    for item in replied:
        for part in item.replying:
            part.contacted = rng.random() < 0.6
            if item is separate:
                part.outcomes = [rng.choice("AB")] if part is item.parts[0] else [rng.choice("CD"), rng.choice("AB")]
            elif item in rehandled:
                part.outcomes = [rng.choice("CD"), rng.choice("AB")]
            else:
                part.outcomes = [rng.choices("ABCD", weights=[5, 3, 1, 1])[0]]

    # Ratings: an unsatisfied result opens rehandling, so only the rehandled units get one; the
    # first entitled member always asks for it, others agree or not; in round 2 the one who asked
    # rates again and the others may leave their round-1 rating as their final one (the first
    # rehandled item's cosigners stay unsatisfied).
    def rating(result: str) -> Rating:
        return rng.choice([SATISFIED, BASICALLY, UNSATISFIED]), rng.choice([SATISFIED, BASICALLY]), result

    for item in replied:
        asker = item.entitled[0] if item.entitled else None
        for part in item.replying:
            for member in item.entitled:
                if part.rehandled:
                    if member == asker:
                        item.ratings[0][(member, part.unit)] = rating(UNSATISFIED)
                        item.ratings[1][(member, part.unit)] = rating(rng.choice([SATISFIED, BASICALLY]))
                    elif item is rehandled[0]:
                        item.ratings[0][(member, part.unit)] = rating(UNSATISFIED)
                    elif (first := rng.choice([UNSATISFIED, BASICALLY, None])) is not None:
                        item.ratings[0][(member, part.unit)] = rating(first)
                        if rng.random() < 0.5:
                            item.ratings[1][(member, part.unit)] = rating(SATISFIED)
                elif rng.random() < 0.85:
                    item.ratings[0][(member, part.unit)] = rating(rng.choice([SATISFIED, SATISFIED, BASICALLY]))
    assert all(i.outcome(1) in "CD" and i.outcome(2) in "AB" for i in replied if i.rounds == 2)
    return items


# --- the expected figures, by the definitions ---------------------------------------------------


def percent_text(numerator: int, denominator: int) -> tuple[float, str]:
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value), f"{value}%"


def rate(numerator: int, denominator: int) -> dict[str, Any]:
    if denominator == 0:
        return {"numerator": numerator, "denominator": 0, "rate": None, "percent": None}
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rate": numerator / denominator,
        "percent": percent_text(numerator, denominator)[1],
    }


def shares(counts: Counter[str]) -> dict[str, dict[str, Any]]:
    total = sum(counts.values())
    out = {}
    for cls in OUTCOME_CLASSES:
        value, text = percent_text(counts[cls], total) if total else (0.0, "0.0%")
        out[cls] = {"count": counts[cls], "percent": value, "percent_text": text}
    return out


def final_ratings(items: list[Item]) -> list[tuple[Item, int, str, Rating]]:
    """Each (item, member, unit)'s rating in its last round."""
    out = []
    for item in items:
        for key in {**item.ratings[0], **item.ratings[1]}:
            out.append((item, *key, item.ratings[1].get(key) or item.ratings[0][key]))
    return out


def satisfied(ratings: list[Rating]) -> int:
    return sum(r[2] in (SATISFIED, BASICALLY) for r in ratings)


@dataclass
class Year:
    items: list[Item]
    body_id: str
    session_id: str
    unit_ids: dict[str, str]
    overdue_scanned: bool  # the deadline scan ran on a working day and found the late assignments
    seconds: float
    body_name: str = ""
    session_name: str = ""  # as the proposal service names it, e.g. 十四届四次会议

    @property
    def formal_name(self) -> str:
        """政协沙洋市委员会 and 十四届四次会议 written formally: 政协沙洋市第十四届委员会第四次会议."""
        term, meeting = self.session_name.removesuffix("次会议").split("届")
        return f"政协{self.body_name[2:-3]}第{term}届委员会第{meeting}次会议"

    @property
    def title(self) -> str:
        return f"关于{self.formal_name}提案办理情况的通报"

    @property
    def plenary(self) -> int:
        return sum(i.registered and i.kind == "plenary" for i in self.items)

    def expected_statistics(self, kind: str | None = None, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
        items = [i for i in self.items if (kind is None or i.kind == kind) and (kinds is None or i.kind in kinds)]
        registered = [i for i in items if i.registered]
        replied = [i for i in registered if i.replied]
        counts = {
            "filed": len(items),
            "registered": len(registered),
            "declined": sum(i.fate == "declined" for i in items),
            "merged": sum(i.fate == "merged" for i in items),
            "withdrawn": sum(i.fate == "withdrawn" for i in items),
            "key": sum(i.key for i in registered),
            "collective": sum(i.kind == "group" for i in registered),
        }
        by_kind: dict[str, dict[str, int]] = {}
        by_category: dict[str, dict[str, int]] = {}
        for i in items:
            for table, name in ((by_kind, i.kind), (by_category, i.final_category)):
                row = table.setdefault(name, {"filed": 0, "registered": 0})
                row["filed"] += 1
                row["registered"] += int(i.registered)
        final = [r for *_, r in final_ratings(items)]
        first = [r for i in items for r in i.ratings[0].values()]
        return {
            "counts": counts,
            "by_kind": dict(sorted(by_kind.items())),
            "by_category": dict(sorted(by_category.items())),
            "registration_rate": rate(counts["registered"], counts["filed"] - counts["withdrawn"]),
            "reply_rate": rate(len(replied), len(registered)),
            "on_time_reply_rate": rate(sum(not i.late for i in replied), len(registered)),
            "satisfaction_rate": rate(satisfied(final), len(final)),
            "first_satisfaction_rate": rate(satisfied(first), len(first)),
            "outcomes": shares(Counter(i.outcome(i.rounds) for i in replied)),
            "first_outcomes": shares(Counter(i.outcome(1) for i in replied)),
            "overdue": sum(i.late for i in items if i.parts) if self.overdue_scanned else 0,
            "unrated_policy": "left_unrated",
        }

    def expected_units(self, weights: dict[str, float]) -> list[dict[str, Any]]:
        """Per unit, in the service's order: score descending, then name, then id."""
        parts = [(i, p) for i in self.items for p in i.parts]
        ratings = final_ratings(self.items)
        units = []
        for code in sorted({p.unit for _, p in parts}):
            mine = [(i, p) for i, p in parts if p.unit == code]
            replies = [(i, p) for i, p in mine if p.outcomes]
            to_reply = sum(p.role != "co" for _, p in mine)
            on_time = sum(not i.late for i, _ in replies)
            contacted = sum(p.contacted for _, p in replies)
            rated = [r for _, _, unit, r in ratings if unit == code]
            outcomes = Counter(p.outcomes[-1] for _, p in replies)
            values = [OUTCOME_VALUES[o] for _, p in replies for o in p.outcomes[-1:]]
            outcome_score = sum(values) / len(values) if values else None
            on_time_rate, contact_rate = rate(on_time, to_reply), rate(contacted, len(replies))
            satisfaction_rate = rate(satisfied(rated), len(rated))
            components = {
                "on_time": on_time_rate["rate"],
                "satisfaction": satisfaction_rate["rate"],
                "contact": contact_rate["rate"],
                "outcome": outcome_score,
            }
            units.append(
                {
                    "unit_id": self.unit_ids[code],
                    "unit_name": UNIT_NAMES[code],
                    "assigned": len(mine),
                    "to_reply": to_reply,
                    "replied": len(replies),
                    "on_time": on_time,
                    "contacted_before_reply": contacted,
                    "overdue": sum(i.late for i, _ in mine) if self.overdue_scanned else 0,
                    "rated": len(rated),
                    "satisfied": satisfied(rated),
                    "on_time_rate": on_time_rate,
                    "contact_rate": contact_rate,
                    "satisfaction_rate": satisfaction_rate,
                    "outcomes": {cls: outcomes[cls] for cls in OUTCOME_CLASSES},
                    "outcome_score": outcome_score,
                    "score": score(components, weights),
                }
            )
        return sorted(
            units, key=lambda u: (-(u["score"] if u["score"] is not None else -1), u["unit_name"], u["unit_id"])
        )

    def key_lines(self) -> list[str]:
        """The report's key-item lines, by kind and number: number, title, category and kind, the
        units by role (each role's units in id order; 尚未交办 when none), and the outcome."""
        kinds = list(KIND_LABELS)
        lines = []
        key_items = sorted(
            (i for i in self.items if i.registered and i.key and i.kind in PROPOSAL_KINDS),
            key=lambda i: (kinds.index(i.kind), i.number),
        )
        for n, i in enumerate(key_items, start=1):
            handling = []
            for role, label in (("lead", "主办单位"), ("separate", "分办单位"), ("co", "协办单位")):
                units = sorted((self.unit_ids[p.unit], UNIT_NAMES[p.unit]) for p in i.parts if p.role == role)
                if units:
                    handling.append(f"{label}：{'、'.join(name for _, name in units)}")
            outcome = i.outcome(i.rounds) if i.replied else None
            result = f"{outcome}类（{OUTCOME_LABELS[outcome]}）" if outcome else "尚未办复"
            lines.append(
                f"{n}. （{i.number_label}）《{i.title}》，"
                f"{i.final_category if i.final_category == UNCATEGORISED else i.final_category + '类'}"
                f"{KIND_LABELS[i.kind]}，"
                f"{'，'.join(handling) or '尚未交办'}，办理结果：{result}。"
            )
        return lines


def score(components: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Weighted mean of the components the unit has data for, weights renormalised, 0-100, one
    decimal half up (in the service's float arithmetic, so that the last bit agrees)."""
    present = {name: value for name, value in components.items() if value is not None}
    total = sum(weights[name] for name in present)
    if not present or total <= 0:
        return None
    weighted = sum(weights[name] * value for name, value in present.items()) / total
    return float(Decimal(weighted * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def written(text: str) -> str:
    """As the report writes a percentage: 100%, not 100.0%."""
    return text[:-3] + "%" if text.endswith(".0%") else text


def report_figures(year: "Year") -> dict[str, Any]:
    """The figures the report states: over the 提案, percentages as written."""
    s = year.expected_statistics(kinds=PROPOSAL_KINDS)
    for r in s.values():
        if isinstance(r, dict) and r.get("percent") is not None and isinstance(r["percent"], str):
            r["percent"] = written(r["percent"])
    for share in (*s["outcomes"].values(), *s["first_outcomes"].values()):
        share["percent_text"] = written(share["percent_text"])
    return s


def percent(r: dict[str, Any]) -> str:
    return written(r["percent"]) if r["percent"] is not None else "—"


def unit_row(n: int, u: dict[str, Any]) -> list[Any]:
    """序号, 承办单位, 交办, 应答复, 已答复, 按时, 按时办复率, 办前沟通率, 测评数, 满意, 满意率, A-D, 超期, 得分"""
    return [
        n,
        u["unit_name"],
        u["assigned"],
        u["to_reply"],
        u["replied"],
        u["on_time"],
        percent(u["on_time_rate"]),
        percent(u["contact_rate"]),
        u["rated"],
        u["satisfied"],
        percent(u["satisfaction_rate"]),
        *(u["outcomes"][cls] for cls in OUTCOME_CLASSES),
        u["overdue"],
        u["score"],
    ]


# --- driving the year through the gateway -------------------------------------------------------


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def settle(
    fetch: Callable[[], Awaitable[httpx.Response]], check: Callable[[Any], bool], what: str, timeout: float = 120
) -> Any:
    """Polls until ``check`` holds for a 200 answer (Kafka propagation), or fails naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        response = await fetch()
        if response.status_code == 200 and check(response.json()):
            return response.json()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never settled; last answer {response.status_code}: {response.text[:3000]}")
        await asyncio.sleep(0.25)


def subset(expected: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    return lambda got: all(got.get(k) == v for k, v in expected.items())


async def drive(stack: Stack, items: list[Item]) -> Year:
    started = time.monotonic()
    keys = stack.keys
    today = datetime.now(TZ).date()
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=60) as c:
        admin = keys.headers("admin", subject="year-admin")
        body = ok(
            await c.post(
                "/bodies", json={"name": "政协沙洋市委员会", "kind": "cppcc", "level": "municipal"}, headers=admin
            ),
            201,
        )

        def staff() -> dict[str, str]:
            return keys.headers("staff", subject="year-staff", body_id=body["id"])

        sitting = ok(
            await c.post(f"/bodies/{body['id']}/sessions", json={"term": 14, "meeting": 4}, headers=staff()), 201
        )
        members = [
            ok(await c.post(f"/bodies/{body['id']}/members", json={"name": f"年度委员{m:02d}"}, headers=staff()), 201)
            for m in range(MEMBERS)
        ]
        ok(await c.post(f"/bodies/{body['id']}/categories", json={"name": EXTRA_CATEGORY}, headers=staff()), 201)
        categories = {x["name"]: x["id"] for x in ok(await c.get(f"/bodies/{body['id']}/categories"))["items"]}
        csv_rows = "".join(f"{code},{name},{parent},{kind}\n" for code, name, parent, kind in UNITS)
        ok(await c.post("/units/import", content=f"编号,名称,上级编号,类型\n{csv_rows}".encode(), headers=admin))
        unit_ids = {u["code"]: u["id"] for u in ok(await c.get("/units"))["items"]}

        def member(m: int) -> dict[str, str]:
            return keys.headers("member", subject=f"year-m{m}", body_id=body["id"], member_id=members[m]["id"])

        def unit(code: str) -> dict[str, str]:
            return keys.headers("unit_staff", subject=f"year-{code}", unit_id=unit_ids[code])

        stats_url = f"/statistics?body_id={body['id']}&session_id={sitting['id']}"

        # Filing: members file their own items (joint ones with accepted cosigners), staff file
        # the organisations' items; one member withdraws a submitted item.
        for item in items:
            draft = {
                "session_id": sitting["id"],
                "kind": item.kind,
                "title": item.title,
                "content": f"{item.title}：建议明确责任单位，制定年度计划，加强督促检查。",
                "category_id": categories[item.category] if item.category else None,
            }
            if item.group_name:
                filer = staff()
                draft |= {
                    "group_name": item.group_name,
                    "lead_member_id": None
                    if item.lead is None or item.contact_at_registration
                    else members[item.lead]["id"],
                }
            else:
                assert item.lead is not None
                filer = member(item.lead)
            item.id = ok(await c.post("/proposals", json=draft, headers=filer), 201)["id"]
            if item.cosigners:
                invite = {"member_ids": [members[m]["id"] for m in item.cosigners]}
                ok(await c.post(f"/proposals/{item.id}/cosigners", json=invite, headers=filer))
                for m in item.cosigners:
                    ok(await c.post(f"/proposals/{item.id}/cosign", json={"accept": True}, headers=member(m)))
            ok(await c.post(f"/proposals/{item.id}/submit", headers=filer))
            if item.fate == "withdrawn":
                ok(await c.post(f"/proposals/{item.id}/withdraw", json={"note": "另行提交"}, headers=filer))

        # Review by the committee staff.
        for item in items:
            if item.registered:
                data = {"category_id": categories[item.registered_category]} if item.registered_category else {}
                if item.contact_at_registration:
                    data["contact_member_id"] = members[item.lead]["id"]  # type: ignore[index]
                registered = ok(await c.post(f"/proposals/{item.id}/register", json=data, headers=staff()))
                item.number, item.number_label = registered["number"], registered["number_label"]
            elif item.fate == "declined":
                data = {"reason": item.decline_reason, "note": "经审查不予立案", "referral": "for_reference"}
                ok(await c.post(f"/proposals/{item.id}/decline", json=data, headers=staff()))
        for item in items:
            if item.merged_into is not None:
                data = {"merged_ids": [item.id], "note": "内容相近，并案办理"}
                ok(await c.post(f"/proposals/{item.merged_into.id}/merge", json=data, headers=staff()))
            if item.key or item.key_unmarked:
                data = {"key": True, "supervising_leader": "王副主席"}
                ok(await c.post(f"/proposals/{item.id}/key", json=data, headers=staff()))
            if item.key_unmarked:
                ok(await c.post(f"/proposals/{item.id}/key", json={"key": False}, headers=staff()))

        year = Year(
            items,
            body["id"],
            sitting["id"],
            unit_ids,
            overdue_scanned=False,
            seconds=0,
            body_name=body["name"],
            session_name=sitting["name"],
        )
        filing = year.expected_statistics()
        await settle(
            lambda: c.get(stats_url, headers=staff()),
            subset({k: filing[k] for k in ("counts", "by_kind", "by_category", "registration_rate")}),
            "the filing and review counts",
        )

        # Assignment, some of it recorded after the fact (backdated), then the deadline scan.
        for item in items:
            if not item.parts:
                continue
            await settle(
                lambda item=item: c.get(f"/handling/proposals/{item.id}", headers=staff()),
                lambda v: v["status"] == "awaiting_assignment",
                f"item {item.n} awaiting assignment",
            )
            data = {
                "units": [{"unit_id": unit_ids[p.unit], "role": p.role} for p in item.parts],
                "assigned_on": (today - timedelta(days=item.assigned_days_ago)).isoformat(),
            }
            rows = ok(await c.post(f"/proposals/{item.id}/assignments", json=data, headers=staff()))
            codes = {v: k for k, v in unit_ids.items()}
            item.assignment_ids = {codes[a["unit_id"]]: a["id"] for a in rows}
        scan = ok(await c.post("/supervision/scan", headers=staff()))
        year.overdue_scanned = scan["working_day"]
        late_assignments = sum(len(i.parts) for i in items if i.late)
        assert scan["overdue"] == (late_assignments if scan["working_day"] else 0), scan
        await settle(
            lambda: c.get(stats_url, headers=staff()),
            subset({"overdue": year.expected_statistics()["overdue"]}),
            "the overdue items",
        )

        # Round 1: units acknowledge, contact the proposer (some), and reply with the planted outcome.
        for item in items:
            for part in item.replying:
                if not part.outcomes:
                    continue
                aid = item.assignment_ids[part.unit]
                ok(await c.post(f"/assignments/{aid}/acknowledge", headers=unit(part.unit)))
                if part.contacted:
                    contact = {"kind": "contact", "text": "电话联系领衔人，听取意见", "contact_kind": "call"}
                    contact["occurred_on"] = today.isoformat()
                    ok(await c.post(f"/assignments/{aid}/records", json=contact, headers=unit(part.unit)), 201)
                await reply(c, aid, part.outcomes[0], unit(part.unit), today)
        first = year.expected_statistics()
        await settle(
            lambda: c.get(stats_url, headers=staff()),
            lambda s: s["reply_rate"] == first["reply_rate"] and s["first_outcomes"] == first["first_outcomes"],
            "the first-round replies",
        )

        # Round 1 ratings; an unsatisfied result opens rehandling of that unit.
        for item in items:
            for (m, code), planted in item.ratings[0].items():
                await evaluate(c, item, m, unit_ids[code], planted, member(m))
        for item in items:
            for part in item.replying:
                if part.rehandled:
                    await settle(
                        lambda aid=item.assignment_ids[part.unit], code=part.unit: c.get(
                            f"/assignments/{aid}", headers=unit(code)
                        ),
                        lambda a: a["round"] == 2 and a["status"] == "assigned",
                        f"rehandling of item {item.n} by {part.unit}",
                    )
                    await reply(c, item.assignment_ids[part.unit], part.outcomes[1], unit(part.unit), today)
        # The rehandled items' outcomes move from C/D to A/B once handling.completed of round 2
        # reached the evaluation service, which opens its round 2 for rating.
        final = year.expected_statistics()
        await settle(
            lambda: c.get(stats_url, headers=staff()),
            lambda s: s["outcomes"] == final["outcomes"],
            "the rehandled replies",
        )
        for item in items:
            for (m, code), planted in item.ratings[1].items():
                await evaluate(c, item, m, unit_ids[code], planted, member(m))
        ratings = ok(
            await c.get(f"/proposals/{next(i for i in items if i.rounds == 2).id}/evaluations", headers=staff())
        )["items"]
        assert {r["round"] for r in ratings} == {1, 2}
    year.seconds = time.monotonic() - started
    return year


async def reply(c: httpx.AsyncClient, assignment_id: str, outcome: str, headers: dict[str, str], today: date) -> None:
    data: dict[str, Any] = {"text": f"答复（{outcome}类）：已研究办理。", "outcome": outcome}
    if outcome == "B":
        data["commitments"] = [{"text": "列入明年计划实施", "target_date": (today + timedelta(days=200)).isoformat()}]
    ok(await c.post(f"/assignments/{assignment_id}/reply", json=data, headers=headers), 201)


async def evaluate(
    c: httpx.AsyncClient, item: Item, m: int, unit_id: str, planted: Rating, headers: dict[str, str]
) -> None:
    contact, attitude, result = planted
    data = {"unit_id": unit_id, "contact": contact, "attitude": attitude, "result": result}
    ok(await c.post(f"/proposals/{item.id}/evaluations", json=data, headers=headers), 201)


# --- the checks ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def year(stack: Stack) -> Year:
    return asyncio.run(drive(stack, plan_year(random.Random(SEED))))


@pytest.fixture(scope="module")
def gateway(stack: Stack, year: Year) -> httpx.Client:
    staff = stack.keys.token("staff", subject="year-staff", body_id=year.body_id, ttl_s=3600)
    return httpx.Client(
        base_url=f"{stack.gateway_url}/api/v1", headers={"Authorization": f"Bearer {staff}"}, timeout=60
    )


def params(year: Year, **extra: str) -> dict[str, str]:
    return {"body_id": year.body_id, "session_id": year.session_id, **extra}


def test_the_year_is_what_was_planted(year: Year) -> None:
    """The plan has every case the figures distinguish (a guard against a seed that lost one)."""
    items = year.items
    fates = Counter(i.fate for i in items)
    assert fates == {"registered": 25, "declined": 3, "merged": 1, "withdrawn": 1}
    replied = [i for i in items if i.registered and i.replied]
    assert len(replied) == 22 and sum(i.rounds == 2 for i in replied) == 3
    assert any(p.role == "separate" for i in replied for p in i.parts)
    assert any(p.role == "co" for i in replied for p in i.parts)
    assert {i.late for i in replied} == {True, False} and any(i.late for i in items if i.parts and not i.replied)
    assert year.expected_statistics()["satisfaction_rate"] != year.expected_statistics()["first_satisfaction_rate"]
    print(f"\nsynthetic year driven in {year.seconds:.1f}s")


def test_statistics_are_the_planted_figures(year: Year, gateway: httpx.Client) -> None:
    got = ok(gateway.get("/statistics", params=params(year)))
    expected = year.expected_statistics()
    for name, value in expected.items():
        assert got[name] == value, name
    assert got["body_id"] == year.body_id and got["session_id"] == year.session_id
    assert got.get("counted_satisfied", 0) == 0  # left_unrated: nothing counted for unrated replies
    # The same definitions per kind.
    for kind in ("individual", "joint", "group", "plenary"):
        got = ok(gateway.get("/statistics", params=params(year, kind=kind)))
        for name, value in year.expected_statistics(kind).items():
            assert got[name] == value, (kind, name)


def test_unit_statistics_are_the_planted_figures(year: Year, gateway: httpx.Client) -> None:
    got = ok(gateway.get("/statistics/units", params=params(year)))
    weights = {name: got["weights"][name] for name in ("on_time", "satisfaction", "contact", "outcome")}
    assert weights == {"on_time": 0.3, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.2}  # the defaults
    assert got["outcome_values"] == OUTCOME_VALUES
    expected = year.expected_units(weights)
    assert [u["unit_name"] for u in got["units"]] == [u["unit_name"] for u in expected]
    for unit, want in zip(got["units"], expected, strict=True):
        for name, value in want.items():
            assert unit[name] == value, (want["unit_name"], name)
        assert unit["weights"] == got["weights"]
    co_only = next(u for u in got["units"] if u["unit_name"] == UNIT_NAMES[CO_ONLY_UNIT])
    assert co_only["to_reply"] == 0 and co_only["score"] is None


def report(gateway: httpx.Client, year: Year, fmt: str) -> httpx.Response:
    response = gateway.get("/reports/annual", params=params(year, format=fmt))
    assert response.status_code == 200, response.text
    return response


def test_csv_report_has_each_planted_unit(year: Year, gateway: httpx.Client) -> None:
    response = report(gateway, year, "csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "综合得分(按时0.3/满意0.4/沟通0.1/结果0.2)"
    units = year.expected_units({"on_time": 0.3, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.2})
    expected = [unit_row(n, u) for n, u in enumerate(units, start=1)]
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in expected]


def test_xlsx_report_has_the_planted_figures(year: Year, gateway: httpx.Client) -> None:
    book = load_workbook(io.BytesIO(report(gateway, year, "xlsx").content))
    assert book.sheetnames == ["总体情况", "承办单位", "类别与类型"]
    s = report_figures(year)
    c = s["counts"]
    overall = {row[0]: row[1] for row in book["总体情况"].iter_rows(min_row=2, values_only=True) if row[0]}
    expected: dict[str, Any] = {
        "会议": year.session_id,
        "会议名称": year.formal_name,
        "建议案（件）": year.plenary,
        "收到提案（件）": c["filed"],
        "立案（件）": c["registered"],
        "不予立案（件）": c["declined"],
        "并案（件）": c["merged"],
        "撤回（件）": c["withdrawn"],
        "重点提案（件）": c["key"],
        "集体提案（件）": c["collective"],
        "立案率": s["registration_rate"]["percent"],
        "已办复（件）": s["reply_rate"]["numerator"],
        "办复率": s["reply_rate"]["percent"],
        "按时办复率": s["on_time_reply_rate"]["percent"],
        "满意率": s["satisfaction_rate"]["percent"],
        "首次满意率": s["first_satisfaction_rate"]["percent"],
        "超期件数": s["overdue"],
        "未测评答复的处理": UNRATED_LABEL,
    }
    for cls, share in s["outcomes"].items():
        expected[f"{cls}类 {OUTCOME_LABELS[cls]}（件）"] = share["count"]
        expected[f"{cls}类 占比"] = share["percent_text"]
    for label, value in expected.items():
        assert overall[label] == value, label
    units = year.expected_units({"on_time": 0.3, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.2})
    sheet = book["承办单位"]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, max_row=len(units) + 1, values_only=True)]
    assert rows == [unit_row(n, u) for n, u in enumerate(units, start=1)]
    breakdown = {(r[0], r[1]): (r[2], r[3]) for r in book["类别与类型"].iter_rows(min_row=2, values_only=True)}
    for cat, b in s["by_category"].items():
        assert breakdown.pop(("类别", cat)) == (b["filed"], b["registered"]), cat
    for kind, b in year.expected_statistics()["by_kind"].items():  # every kind, 建议案 too
        assert breakdown.pop(("类型", KIND_LABELS[kind])) == (b["filed"], b["registered"]), kind
    assert breakdown == {}


def html_cells(row: list[Any]) -> str:
    cells = []
    for i, value in enumerate(row):
        text = "—" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))
        cls = ' class="name"' if i == 1 else ""
        cells.append(f"<td{cls}>{text}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


def test_html_report_states_the_planted_figures(year: Year, gateway: httpx.Client) -> None:
    response = report(gateway, year, "html")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    # the title names the body and session as the proposal service holds them
    assert year.session_name == "十四届四次会议"
    assert f"<h1>{year.title}</h1>" in page and "会议编号" not in page and "未记录届次会议名称" not in page
    s = report_figures(year)
    c = s["counts"]
    kind_order = list(KIND_LABELS)
    category_order = [*DEFAULT_CATEGORIES, "社会法治"]
    kinds = sorted(s["by_kind"].items(), key=lambda kv: kind_order.index(kv[0]))
    categories = sorted(
        s["by_category"].items(),
        key=lambda kv: (category_order.index(kv[0]) if kv[0] in category_order else len(category_order), kv[0]),
    )
    by_kind = "、".join(f"{KIND_LABELS[k]}{b['registered']}件" for k, b in kinds if b["registered"])
    # an item without a category is 未分类 (not 未分类类)
    by_category = "、".join(
        f"{name if name == UNCATEGORISED else name + '类'}{b['registered']}件"
        for name, b in categories
        if b["registered"]
    )
    assert year.plenary == 1
    opening = (
        f"{datetime.now(TZ).year}年，{year.formal_name}共收到提案{c['filed']}件，立案{c['registered']}件，"
        f"其中：重点提案{c['key']}件，集体提案{c['collective']}件；"
        f"按类型分：{by_kind}；按类别分：{by_category}。另有建议案1件。"
        f"不予立案{c['declined']}件，并案{c['merged']}件，撤回{c['withdrawn']}件，立案率{s['registration_rate']['percent']}。"
    )
    assert opening in page
    replied = s["reply_rate"]["numerator"]
    progress = (
        f"截至目前，已办复{replied}件，办复率{s['reply_rate']['percent']}，"
        f"按时办复率{s['on_time_reply_rate']['percent']}；超期件数{s['overdue']}件。"
        f"委员对答复的满意率{s['satisfaction_rate']['percent']}（满意和基本满意{s['satisfaction_rate']['numerator']}人次，"
        f"共测评{s['satisfaction_rate']['denominator']}人次），首次答复满意率{s['first_satisfaction_rate']['percent']}"
    )
    assert progress in page
    outcomes = "；".join(
        f"{OUTCOME_LABELS[cls]}的（{cls}类）{share['count']}件，占{share['percent_text']}"
        for cls, share in s["outcomes"].items()
    )
    assert f"在已办复的{replied}件提案中，{outcomes}。" in page
    first = "、".join(f"{cls}类{sh['count']}件（{sh['percent_text']}）" for cls, sh in s["first_outcomes"].items())
    assert f"首次答复时：{first}。" in page
    key_lines = year.key_lines()
    assert f"本次会议立案的重点提案{len(key_lines)}件，办理情况如下：" in page
    for line in key_lines:
        assert line in page
    assert page.index(key_lines[0]) < page.index(key_lines[-1])
    units = year.expected_units({"on_time": 0.3, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.2})
    assert f"本次会议提案交由{len(units)}个承办单位办理" in page
    table = "".join(html_cells(unit_row(n, u)) for n, u in enumerate(units, start=1))
    assert table in page
    assert page.count("<svg") >= 3 and "<script" not in page


def test_pdf_report_holds_the_key_numbers(year: Year, gateway: httpx.Client) -> None:
    response = report(gateway, year, "pdf")
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")
    s = report_figures(year)
    units = year.expected_units({"on_time": 0.3, "satisfaction": 0.4, "contact": 0.1, "outcome": 0.2})
    figures = [
        year.title,
        f"收到提案{s['counts']['filed']}件",
        f"立案{s['counts']['registered']}件",
        f"立案率{s['registration_rate']['percent']}",
        f"办复率{s['reply_rate']['percent']}",
        f"按时办复率{s['on_time_reply_rate']['percent']}",
        f"满意率{s['satisfaction_rate']['percent']}",
        f"首次答复满意率{s['first_satisfaction_rate']['percent']}",
        *(share["percent_text"] for share in s["outcomes"].values()),
        units[0]["unit_name"],
        f"{units[0]['score']:.1f}",
    ]
    for figure in figures:
        assert figure in text, figure
