"""The report's content: the figures (from :mod:`evaluation_service.domain.statistics`) and
the Chinese text written from them, independent of the output format.

Decisions:

- The title names the body and the session as proposal.submitted / proposal.registered
  give them (the ``session_name`` projection): "关于政协武汉市委员会十四届三次会议提案办理情况的
  通报", the names as the proposal service holds them, not rephrased. A session known only
  from events older than those names keeps the neutral "关于提案办理情况的通报" with the
  session id in the subtitle, and the report says why.
- The opening counts by kind and by category count registered items (立案), as seed 001 counts
  the items the government handled; filed, declined, merged and withdrawn are given as well.
- Key items (重点提案) are listed by number (案号) within the kinds' order, each as
  "（联0005）《title》，category and kind，主办单位：…" (with "，协办单位：…" if any) or "分办单位：A、B" for
  separately handled items, "尚未交办" before assignment, and the outcome. Items from older
  events without number or title are listed by category and kind only, after the numbered ones.
- Kinds and categories are listed in the seeds' order (个人, 联名, 集体, 建议案; 经济发展,
  城市建设, 科教文卫, 社会法制), other categories after them by name.
- Outcome classes and their wording are the body's (its handling rules in the assignment
  service, learned from assignment.rules_set): each class's label and its sentence in 二、办理结果
  (seed 001: "反映问题已解决的105件，占比90.5%"); without them the standard A 已解决或基本解决,
  B 正在解决或列入计划解决, C 因条件限制暂时不能解决, D 留作参考. Percentages have one decimal,
  rounded half up, and a whole one is written as the bodies write it (100%, not 100.0%).
- As published (seed 001): the figures (counts, reply and satisfaction rates, outcome shares)
  are over the 提案 (individual, joint, group; a congress's 建议); a 建议案 (plenary) or 议案
  (motion) is not a 提案 and is reported on its own line ("另有建议案1件") and in a section of
  its own. The 类别 breakdown is over all registered 提案 or, under the body's
  ``category_breakdown = other`` rule, over the other ones once key and collective ones are
  counted (其他提案82件, 其中：经济发展类15件 …).
- The session is named in the formal style from the body's kind and the term and meeting
  numbers the proposal events carry: 政协武汉市第十四届委员会第三次会议, 武汉市第十六届人民代表
  大会第三次会议; without them the names as the proposal service holds them. The report names
  its year (2024年), the year of the session's earliest item event.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial

from cn_workdays import WorkCalendar
from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from evaluation_service.domain import statistics as figures
from evaluation_service.models import (
    PROPOSAL_KINDS,
    SEPARATE_KINDS,
    Breakdown,
    Rate,
    SessionName,
    Statistics,
    StatItem,
    StatUnit,
    UnitPerformance,
    UnitStatistics,
)
from servicekit.auth import Principal

KIND_LABELS = {
    "individual": "个人提案",
    "joint": "联名提案",
    "group": "集体提案",
    "plenary": "建议案",
    "motion": "议案",
    "suggestion": "建议",
}
# The seeds' order of the usual categories; others follow by name.
CATEGORY_ORDER = ("经济发展", "城市建设", "科教文卫", "社会法制", "社会法治")
# The standard wording; a body's own comes with its handling rules (Report.wording).
OUTCOME_LABELS = figures.DEFAULT_OUTCOME_LABELS
UNRATED_LABELS = {
    "left_unrated": "测评期满未测评的答复不计入满意率",
    "counted_satisfied": "测评期满未测评的答复按满意计",
}


def unrated_rule(stats: Statistics) -> str:
    """Which rule applied to unrated replies, and how many it counted (the report must say)."""
    label = UNRATED_LABELS.get(stats.unrated_policy, stats.unrated_policy)
    if stats.unrated_policy == "counted_satisfied":
        return f"{label}（本期计{stats.counted_satisfied}人次）"
    return label


WEIGHT_LABELS = {"on_time": "按时办复率", "satisfaction": "满意率", "contact": "办前沟通率", "outcome": "办理结果"}
UNIT_HEADER = (
    "序号",
    "承办单位",
    "交办件数",
    "应答复件数",
    "已答复",
    "按时答复",
    "按时办复率",
    "办前沟通率",
    "测评数",
    "满意及基本满意",
    "满意率",
    "A类",
    "B类",
    "C类",
    "D类",
    "超期",
    "综合得分",
)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind or "未分类型")


def category_label(category: str) -> str:
    """经济发展类; an item without a category is 未分类 (not 未分类类)."""
    return category if category == figures.UNCATEGORISED else f"{category}类"


def written(text: str) -> str:
    """A percentage as the bodies write it: 100%, 50%, 90.5%."""
    return text[:-3] + "%" if text.endswith(".0%") else text


_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1..99 as written in session names: 3 → 三, 14 → 十四, 20 → 二十."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def formal_session_name(names: SessionName) -> str | None:
    """政协{地名}第{届}届委员会第{次}次会议 or {地名}第{届}届人民代表大会第{次}次会议, the place
    taken from the body's name (政协武汉市委员会, 武汉市人民代表大会); None when the kind or the
    numbers are unknown or the name does not have the usual form."""
    body, term, meeting = names.body_name or "", names.term, names.meeting
    if term is None or meeting is None or not body:
        return None
    nth = f"第{chinese_numeral(term)}届"
    sitting = f"第{chinese_numeral(meeting)}次会议"
    if names.body_kind == "cppcc" and body.startswith("政协") and body.endswith("委员会") and len(body) > 5:
        return f"政协{body[2:-3]}{nth}委员会{sitting}"
    if names.body_kind == "npc" and body.endswith("人民代表大会") and len(body) > 6:
        return f"{body[:-6]}{nth}人民代表大会{sitting}"
    return None


def percent(r: Rate) -> str:
    return r.percent if r.percent is not None else "—"


@dataclass
class KeyItem:
    category: str
    kind: str
    units: list[str]  # lead units (主办)
    outcome: str | None
    title: str | None = None
    number: int | None = None
    number_label: str | None = None
    separate_units: list[str] = field(default_factory=list)  # 分办
    co_units: list[str] = field(default_factory=list)  # 协办
    outcome_label: str | None = None  # the body's label of the outcome class

    def line(self, n: int) -> str:
        """The item's line in 三、重点提案办理情况."""
        what = f"{category_label(self.category)}{kind_label(self.kind)}"
        named = (f"（{self.number_label}）" if self.number_label else "") + (f"《{self.title}》" if self.title else "")
        if named:
            what = f"{named}，{what}"
        handling = [
            f"{label}：{'、'.join(units)}"
            for label, units in (
                ("主办单位", self.units),
                ("分办单位", self.separate_units),
                ("协办单位", self.co_units),
            )
            if units
        ]
        label = self.outcome_label or (OUTCOME_LABELS.get(self.outcome, self.outcome) if self.outcome else "")
        result = f"{self.outcome}类（{label}）" if self.outcome else "尚未办复"
        return f"{n}. {what}，{'，'.join(handling) or '尚未交办'}，办理结果：{result}。"


@dataclass
class Section:
    heading: str  # without its numeral: the sections are numbered in order (一、二、…)
    paragraphs: list[str] = field(default_factory=list)
    key: str = ""  # what the renderers add after it: overview, outcomes or units tables


@dataclass
class Report:
    body_id: str
    session_id: str
    title: str
    subtitle: str  # "" when the title names the session
    stats: Statistics
    units: UnitStatistics
    key_items: list[KeyItem]
    sections: list[Section]
    session_name: str | None = None  # with the body's name, e.g. 政协武汉市第十四届委员会第三次会议
    year: int | None = None
    separate: dict[str, int] = field(default_factory=dict)  # registered 建议案 / 议案 by kind
    kinds: dict[str, Breakdown] = field(default_factory=dict)  # every kind, 建议案 and 议案 included
    wording: figures.Wording = field(default_factory=figures.Wording)  # the body's outcome labels

    def outcome_label(self, cls: str) -> str:
        return self.wording.label(cls)

    @property
    def weights_text(self) -> str:
        w = self.units.weights
        parts = [f"{label}{getattr(w, name):g}" for name, label in WEIGHT_LABELS.items()]
        return "综合得分权重：" + "、".join(parts) + "（按权重之和归一，单位无某项数据时该项不计）"

    def unit_rows(self) -> list[list[str | int | float | None]]:
        return [unit_row(n, u) for n, u in enumerate(self.units.units, start=1)]

    def overall_rows(self) -> list[tuple[str, str | int | float]]:
        s, c = self.stats, self.stats.counts
        rows: list[tuple[str, str | int | float]] = [
            ("会议", self.session_id),
            *([("会议名称", self.session_name)] if self.session_name else []),
            *([("年度", f"{self.year}年")] if self.year else []),
            ("收到提案（件）", c.filed),
            ("立案（件）", c.registered),
            ("不予立案（件）", c.declined),
            ("并案（件）", c.merged),
            ("撤回（件）", c.withdrawn),
            ("重点提案（件）", c.key),
            ("集体提案（件）", c.collective),
            *((f"{kind_label(k)}（件）", n) for k, n in self.separate.items()),
            ("立案率", percent(s.registration_rate)),
            ("已办复（件）", s.reply_rate.numerator),
            ("办复率", percent(s.reply_rate)),
            ("按时办复率", percent(s.on_time_reply_rate)),
            ("满意率", percent(s.satisfaction_rate)),
            ("首次满意率", percent(s.first_satisfaction_rate)),
            ("超期件数", s.overdue),
        ]
        for cls, share in s.outcomes.items():
            label = self.outcome_label(cls)
            rows.append((f"{cls}类 {label}（件）", share.count))
            rows.append((f"{cls}类 占比", share.percent_text))
        rows.append(("未测评答复的处理", unrated_rule(s)))
        return rows


def unit_row(n: int, u: UnitPerformance) -> list[str | int | float | None]:
    return [
        n,
        u.unit_name or u.unit_id,
        u.assigned,
        u.to_reply,
        u.replied,
        u.on_time,
        percent(u.on_time_rate),
        percent(u.contact_rate),
        u.rated,
        u.satisfied,
        percent(u.satisfaction_rate),
        *(u.outcomes.get(cls, 0) for cls in figures.OUTCOME_CLASSES),
        u.overdue,
        u.score,
    ]


@dataclass(frozen=True)
class Listed:
    """The registered items the report lists one by one, whole (the key ones and the separate kinds'), and the
    units' parts in them (the ones reassigned away too, for the units' names)."""

    items: list[StatItem]
    parts: list[StatUnit]


async def listed_items(session: AsyncSession, body_id: str, session_id: str) -> Listed:
    query = select(StatItem).where(
        StatItem.body_id == body_id,
        StatItem.session_id == session_id,
        col(StatItem.registered).is_(True),
        or_(col(StatItem.key).is_(True), col(StatItem.kind).in_(SEPARATE_KINDS)),
    )
    ids = query.with_only_columns(col(StatItem.proposal_id))
    parts = select(StatUnit).where(col(StatUnit.proposal_id).in_(ids)).order_by(col(StatUnit.unit_id))
    return Listed(list((await session.exec(query)).all()), list((await session.exec(parts)).all()))


def _key_items(
    listed: Listed,
    *,
    kinds: tuple[str, ...],
    wording: figures.Wording,
    key_only: bool = True,
) -> list[KeyItem]:
    """The registered key items of ``kinds`` (or all registered items of them, for 建议案), from ``listed``."""
    items = [i for i in listed.items if i.kind in kinds and (i.key or not key_only)]
    ids = {i.proposal_id for i in items}
    names: dict[str, str] = {}
    roles: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in (p for p in listed.parts if p.proposal_id in ids):
        names[row.unit_id] = row.unit_name or names.get(row.unit_id, row.unit_id)
        if not row.moved_away:
            roles[row.proposal_id][row.role].append(row.unit_id)
    out = [
        KeyItem(
            category=i.category or figures.UNCATEGORISED,
            kind=i.kind or "",
            units=[names.get(u, u) for u in i.lead_unit_ids],
            outcome=i.outcome,
            title=i.title,
            number=i.number,
            number_label=i.number_label,
            separate_units=[names.get(u, u) for u in roles[i.proposal_id]["separate"]] if not i.lead_unit_ids else [],
            co_units=[names.get(u, u) for u in roles[i.proposal_id]["co"]],
            outcome_label=wording.label(i.outcome) if i.outcome else None,
        )
        for i in items
    ]
    kind_order = list(KIND_LABELS)

    def order(k: KeyItem) -> tuple[bool, int, int, str, list[str], str]:
        kind = kind_order.index(k.kind) if k.kind in kind_order else len(kind_order)
        return (k.number is None, kind, k.number or 0, k.category, k.units, k.kind)

    return sorted(out, key=order)


def _joined(parts: list[str]) -> str:
    return "、".join(parts) if parts else "无"


def _sections(
    stats: Statistics,
    units: UnitStatistics,
    key_items: list[KeyItem],
    separate_items: list[KeyItem],
    *,
    named: bool,
    session_phrase: str,
    year: int | None,
    other_categories: bool,
    wording: figures.Wording,
) -> list[Section]:
    c = stats.counts
    by_kind = [f"{kind_label(k)}{b.registered}件" for k, b in stats.by_kind.items() if b.registered]
    by_category = [f"{category_label(cat)}{b.registered}件" for cat, b in stats.by_category.items() if b.registered]
    if other_categories:
        others = sum(b.registered for b in stats.by_category.values())
        categories = f"其他提案{others}件，按类别分：{_joined(by_category)}"
    else:
        categories = f"按类别分：{_joined(by_category)}"
    separate = Counter(k.kind for k in separate_items)
    also = "".join(f"另有{kind_label(k)}{n}件。" for k, n in separate.items())
    opening = (
        f"{f'{year}年，' if year else ''}{session_phrase}共收到提案{c.filed}件，立案{c.registered}件，"
        f"其中：重点提案{c.key}件，集体提案{c.collective}件；"
        f"按类型分：{_joined(by_kind)}；{categories}。{also}"
        f"不予立案{c.declined}件，并案{c.merged}件，撤回{c.withdrawn}件，立案率{percent(stats.registration_rate)}。"
    )
    replied = stats.reply_rate.numerator
    progress = (
        f"截至目前，已办复{replied}件，办复率{percent(stats.reply_rate)}，"
        f"按时办复率{percent(stats.on_time_reply_rate)}；超期件数{stats.overdue}件。"
        f"委员对答复的满意率{percent(stats.satisfaction_rate)}（满意和基本满意{stats.satisfaction_rate.numerator}人次，"
        f"共测评{stats.satisfaction_rate.denominator}人次），首次答复满意率{percent(stats.first_satisfaction_rate)}"
        f"（重新办理前的首次测评）；{unrated_rule(stats)}。"
    )
    outcome_parts = [wording.sentence(cls, share.count, share.percent_text) for cls, share in stats.outcomes.items()]
    outcomes = f"在已办复的{replied}件提案中，" + "；".join(outcome_parts) + "。"
    if not wording.configured and stats.outcomes.get("C") and stats.outcomes["C"].count:
        outcomes += "因条件限制暂时不能解决的，均应向委员作出详细解释和说明。"
    first = stats.first_outcomes
    if first != stats.outcomes:
        outcomes += (
            "首次答复时：" + "、".join(f"{cls}类{s.count}件（{s.percent_text}）" for cls, s in first.items()) + "。"
        )
    key = Section("重点提案办理情况")
    if key_items:
        key.paragraphs.append(f"本次会议立案的重点提案{len(key_items)}件，办理情况如下：")
        key.paragraphs.extend(k.line(n) for n, k in enumerate(key_items, start=1))
    else:
        key.paragraphs.append("本次会议无立案的重点提案。")
    unit_section = Section(
        "承办单位办理情况",
        [
            f"本次会议提案交由{len(units.units)}个承办单位办理，各单位办理情况见下表（按综合得分排序）。"
            "应答复件数为主办和分办件数，协办件不单独答复。"
        ],
    )
    note = Section(
        "说明",
        [
            "办复率、按时办复率以立案件数为分母，按首次答复计；办理结果按各件最新一轮答复计；"
            "满意率为满意和基本满意的测评人次占测评人次的比例，按重新办理后的最终测评计，首次满意率按首次测评计；"
            "百分比保留一位小数，四舍五入，整数不写小数。"
            + ("建议案、议案不计入提案件数和比例，另行列出。" if separate_items else ""),
        ],
    )
    if not named:  # the session's events predate the names
        note.paragraphs.append("统计数据只记录会议编号，未记录届次会议名称，故标题未写会议名称，会议以编号标注。")
    sections = [
        Section("总体情况", [opening, progress], key="overview"),
        Section("办理结果", [outcomes], key="outcomes"),
        key,
    ]
    if separate_items:
        labels = "、".join(kind_label(k) for k in separate)
        sections.append(
            Section(
                f"{labels}办理情况",
                [f"本次会议{labels}{len(separate_items)}件，办理情况如下："]
                + [k.line(n) for n, k in enumerate(separate_items, start=1)],
            )
        )
    unit_section.key = "units"
    ordered = [*sections, unit_section, note]
    for n, section in enumerate(ordered, start=1):
        section.heading = f"{chinese_numeral(n)}、{section.heading}"
    return ordered


def _as_written(stats: Statistics) -> None:
    """Whole percentages as the bodies write them, in every format of the report."""
    for r in (
        stats.registration_rate,
        stats.reply_rate,
        stats.on_time_reply_rate,
        stats.satisfaction_rate,
        stats.first_satisfaction_rate,
    ):
        if r.percent is not None:
            r.percent = written(r.percent)
    for share in (*stats.outcomes.values(), *stats.first_outcomes.values()):
        share.percent_text = written(share.percent_text)


def _units_as_written(units: UnitStatistics) -> None:
    for u in units.units:
        for r in (u.on_time_rate, u.contact_rate, u.satisfaction_rate):
            if r.percent is not None:
                r.percent = written(r.percent)


def _ordered(stats: Statistics) -> None:
    kinds, categories = list(KIND_LABELS), list(CATEGORY_ORDER)
    stats.by_kind = dict(
        sorted(stats.by_kind.items(), key=lambda kv: (kinds.index(kv[0]) if kv[0] in kinds else len(kinds), kv[0]))
    )
    stats.by_category = dict(
        sorted(
            stats.by_category.items(),
            key=lambda kv: (categories.index(kv[0]) if kv[0] in categories else len(categories), kv[0]),
        )
    )


async def build_report(
    *, session: AsyncSession, calendar: WorkCalendar, principal: Principal, body_id: str, session_id: str
) -> Report:
    """The figures of one body's session (403 / 404 exactly as for GET /statistics) and the text.
    The figures are over the 提案; 建议案 and 议案 are counted on their own."""
    rules, rows = await figures.session_rows(
        session=session, principal=principal, body_id=body_id, session_id=session_id, with_parts=True
    )
    wording = await figures.outcome_wording(session, body_id)
    today = figures.body_today()
    of = partial(figures.statistics_of, rows, rules=rules, calendar=calendar, wording=wording, today=today)
    stats = of(figures.Asked(body_id, session_id, kinds=list(PROPOSAL_KINDS)))
    everything = of(figures.Asked(body_id, session_id))
    other_categories = rules.category_breakdown == "other"
    if other_categories:
        others = of(figures.Asked(body_id, session_id, kinds=list(PROPOSAL_KINDS), key=False, collective=False))
        stats.by_category = others.by_category
    opening_kinds = stats.by_kind
    _ordered(stats)
    _ordered(everything)
    stats.by_kind = {k: b for k, b in everything.by_kind.items() if k in opening_kinds}
    _as_written(stats)
    ratings = figures.ratings_of(rows, None, rules=rules, calendar=calendar, today=today)
    weights = await figures.weights_for(session, body_id)
    units = figures.units_of(rows, ratings, weights, body_id=body_id, session_id=session_id)
    _units_as_written(units)
    listed = await listed_items(session, body_id, session_id)
    key_items = _key_items(listed, kinds=PROPOSAL_KINDS, wording=wording)
    separate_items = _key_items(listed, kinds=SEPARATE_KINDS, wording=wording, key_only=False)
    names = await figures.session_names(session, body_id, session_id)
    title, subtitle, session_name = report_title(names, session_id)
    year = names.year if names else None
    report = Report(
        body_id=body_id,
        session_id=session_id,
        title=title,
        subtitle=subtitle,
        stats=stats,
        units=units,
        key_items=key_items,
        sections=_sections(
            stats,
            units,
            key_items,
            separate_items,
            named=session_name is not None,
            session_phrase=session_name or "本次会议",
            year=year,
            other_categories=other_categories,
            wording=wording,
        ),
        session_name=session_name,
        year=year,
        separate={k: b.registered for k, b in everything.by_kind.items() if k in SEPARATE_KINDS and b.registered},
    )
    report.kinds = everything.by_kind
    report.wording = wording
    return report


def report_title(names: SessionName | None, session_id: str) -> tuple[str, str, str | None]:
    """Title, subtitle and the session's full name (body and session) when its name is known;
    otherwise the neutral title (with the body's name if known) and the session id."""
    body = (names.body_name if names else None) or ""
    if names is None or names.session_name is None:
        return f"关于{body}提案办理情况的通报", f"（会议编号：{session_id}）", None
    full = formal_session_name(names) or f"{body}{names.session_name}"
    return f"关于{full}提案办理情况的通报", "", full
