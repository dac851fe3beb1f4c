"""Issue 16 through the gateway, with the services as real processes on real Kafka (SQLite and
PostgreSQL): the staff export (CSV and XLSX, filters, access) and the open-data export of
published items (CSV and JSON, public facts only)."""

import asyncio
import csv
import io
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from devstack.filing import FilingDesk
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

FORMULA_TITLE = '=HYPERLINK("http://evil.example","关于优化营商环境的建议")'
SATISFIED = {"contact": "satisfied", "attitude": "satisfied", "result": "satisfied"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if "json" in response.headers.get("content-type", "") else response


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def until(fetch: Callable[[], Awaitable[httpx.Response]], check: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + 90
    while True:
        response = await fetch()
        if response.status_code == 200 and check(response):
            return response
        assert time.monotonic() < deadline, response.text
        await asyncio.sleep(0.3)


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())  # a BOM, for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


class Year:
    """One body's session with four items: i1 replied (A) and rated, i2 assigned, i3 declined,
    i4 only submitted."""

    def __init__(self, client: httpx.AsyncClient, stack: Stack, desk: FilingDesk, units: dict[str, str]) -> None:
        self.c, self.stack, self.desk, self.units = client, stack, desk, units
        self.ids: dict[str, str] = {}
        self.units_suffix = ""

    def unit(self, code: str) -> dict[str, str]:
        return self.stack.keys.headers("unit_staff", subject=f"e2e-{code}", unit_id=self.units[code])

    async def plant(self) -> None:
        c, desk, staff = self.c, self.desk, self.desk.staff()
        i1 = await desk.file(c, title=FORMULA_TITLE, category="经济发展")
        i2 = await desk.file(c, title="关于治理南湖片区渍水的建议", category="城市建设", member=1)
        i3 = await desk.file(c, title="关于调整某小区物业费的建议", category="社会法制", member=2)
        i4 = await desk.file(c, title="关于增设公交线路的建议", category="城市建设")
        self.ids = {"i1": i1["id"], "i2": i2["id"], "i3": i3["id"], "i4": i4["id"]}
        for name in ("i1", "i2"):
            ok(await c.post(f"/api/v1/proposals/{self.ids[name]}/register", headers=staff))
        decline = {"reason": "private_matter", "note": "内部备注：涉及个人纠纷", "referral": "none"}
        ok(await c.post(f"/api/v1/proposals/{self.ids['i3']}/decline", json=decline, headers=staff))
        assigned = {}
        for name, code in (("i1", "FGW"), ("i2", "SWJ")):
            url = f"/api/v1/handling/proposals/{self.ids[name]}"
            await until(partial(c.get, url, headers=staff), lambda r: r.json()["status"] == "awaiting_assignment")
            body = {"units": [{"unit_id": self.units[code], "role": "lead"}]}
            assigned[name] = ok(
                await c.post(f"/api/v1/proposals/{self.ids[name]}/assignments", json=body, headers=staff)
            )
        lead = assigned["i1"][0]["id"]
        ok(await c.post(f"/api/v1/assignments/{lead}/acknowledge", headers=self.unit("FGW")))
        reply = {"text": "已落实，感谢委员。", "outcome": "A"}
        ok(await c.post(f"/api/v1/assignments/{lead}/reply", json=reply, headers=self.unit("FGW")), 201)
        rate = f"/api/v1/proposals/{self.ids['i1']}/evaluations"
        deadline = time.monotonic() + 90
        while True:  # the evaluation service learns of the reply through Kafka
            rated = await c.post(rate, json={"unit_id": self.units["FGW"], **SATISFIED}, headers=desk.member(0))
            if rated.status_code == 201 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        assert rated.status_code == 201, rated.text


@pytest.fixture(scope="module")
def year(stack: Stack) -> Year:
    async def plant() -> Year:
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as c:
            desk = await FilingDesk.open(c, stack.keys, members=3)
            admin = stack.keys.headers("admin", subject="e2e-admin")
            suffix = uuid.uuid4().hex[:6].upper()
            units_csv = (
                f"编号,名称,上级编号,类型\nFGW{suffix},区发改局,,department\nSWJ{suffix},=区水务局,,department\n"
            )
            ok(await c.post("/api/v1/units/import", content=units_csv.encode(), headers=admin))
            listed = ok(await c.get("/api/v1/units"))
            rows = listed["items"] if isinstance(listed, dict) else listed
            units = {u["code"].removesuffix(suffix): u["id"] for u in rows if u["code"].endswith(suffix)}
            y = Year(c, stack, desk, units)
            y.units_suffix = suffix
            await y.plant()
            y.c = None  # type: ignore[assignment]  # the client closes with this block
            return y

    return asyncio.run(plant())


async def _export(c: httpx.AsyncClient, y: Year, **params: str) -> httpx.Response:
    query = {"body_id": y.desk.body["id"], "session_id": y.desk.session["id"], **params}
    return await c.get("/api/v1/exports/items", params=query, headers=y.desk.staff())


async def test_the_staff_export_as_csv_and_xlsx_with_filters(stack: Stack, year: Year) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as c:
        # the projection catches up with the rating (through Kafka)
        response = await until(lambda: _export(c, year), lambda r: ",1,1,0,0,100%" in r.text)
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith("attachment;")
        header, *rows = csv_rows(response)
        assert header[:7] == ["会议", "案号", "案由", "类型", "类别", "重点提案", "状态"]
        by_title = {r[2]: dict(zip(header, r, strict=True)) for r in rows}
        assert len(rows) == 4
        i1 = by_title["'" + FORMULA_TITLE]  # a formula-looking title stays text
        assert (i1["状态"], i1["类别"], i1["主办单位"], i1["办理结果"], i1["办理结果说明"]) == (
            "已办复", "经济发展", "区发改局", "A类", "已解决或基本解决"
        )  # fmt: skip
        assert i1["案号"].startswith("个") and "区发改局（第1轮" in i1["答复（单位、轮次、日期、结果、是否按时）"]
        assert (i1["测评人次"], i1["满意"], i1["满意率"], i1["按时办复"]) == ("1", "1", "100%", "是")
        i2 = by_title["关于治理南湖片区渍水的建议"]
        assert (i2["状态"], i2["主办单位"], i2["办理结果"]) == ("已立案", "'=区水务局", "")
        assert by_title["关于调整某小区物业费的建议"]["状态"] == "不予立案"
        assert by_title["关于增设公交线路的建议"]["状态"] == "已提交"

        # filters: status, kind, category (each may be a list)
        only = csv_rows(await _export(c, year, status="replied"))[1:]
        assert [r[2] for r in only] == ["'" + FORMULA_TITLE]
        two = csv_rows(await _export(c, year, status="declined,submitted"))[1:]
        assert sorted(r[6] for r in two) == ["不予立案", "已提交"]
        assert len(csv_rows(await _export(c, year, category="城市建设"))[1:]) == 2
        assert csv_rows(await _export(c, year, kind="group"))[1:] == []

        xlsx = ok(await _export(c, year, format="xlsx"))
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(xlsx.content))["提案办理情况"]
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert table[0] == header and len(table) == 5
        titles = {r[2]: r for r in table[1:]}
        assert titles["'" + FORMULA_TITLE][6] == "已办复" and titles["'" + FORMULA_TITLE][15] == 1
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formulas at all


async def test_the_staff_export_is_for_the_bodys_staff_and_bad_filters_name_the_field(stack: Stack, year: Year) -> None:
    desk, keys = year.desk, stack.keys
    query = {"body_id": desk.body["id"], "session_id": desk.session["id"]}
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=60) as c:
        problem(await c.get("/exports/items", params=query, headers=desk.member(0)), 403, "forbidden")
        problem(await c.get("/exports/items", params=query, headers=year.unit("FGW")), 403, "forbidden")
        other = keys.headers("staff", subject="other-staff", body_id=str(uuid.uuid4()))
        problem(await c.get("/exports/items", params=query, headers=other), 403, "forbidden")
        problem(await c.get("/exports/items", params=query), 401, "unauthorized")
        leader = keys.headers("leader", subject="e2e-leader", body_id=desk.body["id"])
        assert (await c.get("/exports/items", params=query, headers=leader)).status_code == 200
        for field, value in (("status", "lost"), ("kind", "letter"), ("format", "pdf")):
            bad = await c.get("/exports/items", params={**query, field: value}, headers=desk.staff())
            assert [e["field"] for e in problem(bad, 422, "validation_failed")["errors"]] == [field], bad.text


async def test_open_data_lists_only_published_items_and_public_facts(stack: Stack, year: Year) -> None:
    desk = year.desk
    query = {"body_id": desk.body["id"], "session_id": desk.session["id"]}
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=60) as c:
        # an unpublished session is not there for the public
        problem(await c.get("/open-data/items", params=query), 404, "not_found")
        assert csv_rows(ok(await c.get("/open-data/items", params={"body_id": desk.body["id"]}))) == [
            ["会议", "案号", "案由", "类型", "类别", "重点提案", "状态", "立案日期", "主办单位", "协办单位", "分办单位"]
        ]
        ok(await c.patch(f"/sessions/{desk.session['id']}", json={"published": True}, headers=desk.staff()))

        async def listed() -> httpx.Response:
            return await c.get("/open-data/items", params={**query, "format": "json"})

        response = await until(listed, lambda r: any(i["units"] for i in r.json()))
        items = response.json()
        assert response.headers["content-type"].startswith("application/json")
        # registered items only: no declined, no merely submitted one
        assert sorted(i["title"] for i in items) == sorted([FORMULA_TITLE, "关于治理南湖片区渍水的建议"])
        assert all(
            set(i) == {"session_id", "session", "number", "title", "kind", "category", "key", "status",
                       "registered_on", "units"}
            for i in items
        )  # fmt: skip
        replied = next(i for i in items if i["title"] == FORMULA_TITLE)
        assert replied["units"] == [{"unit": "区发改局", "role": "lead"}] and replied["category"] == "经济发展"
        text = response.text
        for secret in (
            "内部备注",
            "物业费",
            "desk-",
            *(m["id"] for m in desk.members),
            *(m["name"] for m in desk.members),
        ):
            assert secret not in text, secret  # no notes, declined items, accounts or members

        rows = csv_rows(ok(await c.get("/open-data/items", params=query)))
        assert len(rows) == 3 and {r[2] for r in rows[1:]} == {"'" + FORMULA_TITLE, "关于治理南湖片区渍水的建议"}
        bad = await c.get("/open-data/items", params={**query, "format": "xml"})
        assert [e["field"] for e in problem(bad, 422, "validation_failed")["errors"]] == ["format"]


async def test_the_congress_motion_path(stack: Stack, year: Year) -> None:
    """Seed 004: deputies' motions decided by the presidium with the day (列入大会议程 / 作为建议处理,
    the latter then handled as a 建议), the adopted motion's plan deliberated by the standing
    committee, a ballot of its members, all on the timeline; the bad paths refused."""
    keys = stack.keys
    admin = keys.headers("admin", subject="e2e-admin")
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=60) as c:
        body = ok(
            await c.post(
                "/bodies",
                json={"name": f"测试市人民代表大会{uuid.uuid4().hex[:4]}", "kind": "npc", "level": "municipal",
                      "min_cosigners": 1},
                headers=admin,
            ),
            201,
        )  # fmt: skip
        bid = body["id"]
        staff = keys.headers("staff", subject="npc-staff", body_id=bid)
        sitting = ok(await c.post(f"/bodies/{bid}/sessions", json={"term": 14, "meeting": 5}, headers=staff), 201)
        deputies = [
            ok(await c.post(f"/bodies/{bid}/members", json={"name": f"代表{i:02d}"}, headers=staff), 201)
            for i in range(6)
        ]

        def deputy(i: int) -> dict[str, str]:
            d = deputies[i]
            return keys.headers("member", subject=f"npc-{d['id']}", body_id=bid, member_id=d["id"])

        async def motion(title: str) -> str:
            draft = {"session_id": sitting["id"], "kind": "motion", "title": title, "content": "建议加快推进。"}
            item = ok(await c.post("/proposals", json=draft, headers=deputy(0)), 201)
            ok(
                await c.post(
                    f"/proposals/{item['id']}/cosigners", json={"member_ids": [deputies[1]["id"]]}, headers=deputy(0)
                )
            )
            ok(await c.post(f"/proposals/{item['id']}/cosign", json={"accept": True}, headers=deputy(1)))
            ok(await c.post(f"/proposals/{item['id']}/submit", headers=deputy(0)))
            return str(item["id"])

        adopted = await motion("关于加快推进光谷科技创新大走廊规划建设案")
        demoted = await motion("关于增加社区养老服务设施的议案")
        decide = "/proposals/{}/presidium-decision"
        on_agenda = {"decision": "on_agenda", "decided_on": "2020-01-10"}
        problem(await c.post(decide.format(adopted), json=on_agenda, headers=deputy(0)), 403, "forbidden")
        bad = await c.post(decide.format(adopted), json={**on_agenda, "decision": "adopt"}, headers=staff)
        assert [e["field"] for e in problem(bad, 422, "validation_failed")["errors"]] == ["decision"]
        decided = ok(await c.post(decide.format(adopted), json=on_agenda, headers=staff))
        assert (decided["status"], decided["kind"], decided["number_label"]) == ("registered", "motion", "议0001")
        assert (decided["presidium_decision"], decided["presidium_decided_on"]) == ("on_agenda", "2020-01-10")
        problem(await c.post(decide.format(adopted), json=on_agenda, headers=staff), 409, "already_decided")
        cppcc_item = year.ids["i4"]  # a CPPCC proposal, submitted
        problem(await c.post(decide.format(cppcc_item), json=on_agenda, headers=year.desk.staff()), 409, "not_a_motion")

        as_suggestion = {"decision": "as_suggestion", "decided_on": "2020-01-11"}
        suggestion = ok(await c.post(decide.format(demoted), json=as_suggestion, headers=staff))
        assert (suggestion["kind"], suggestion["number_label"], suggestion["presidium_decision"]) == (
            "suggestion", "建0001", "as_suggestion"
        )  # fmt: skip
        problem(await c.post(decide.format(demoted), json=on_agenda, headers=staff), 409, "already_decided")
        # the suggestion is assigned, replied and rated like a proposal
        url = f"/handling/proposals/{demoted}"
        await until(partial(c.get, url, headers=staff), lambda r: r.json()["status"] == "awaiting_assignment")
        body_units = {"units": [{"unit_id": year.units["FGW"], "role": "lead"}]}
        (assignment,) = ok(await c.post(f"/proposals/{demoted}/assignments", json=body_units, headers=staff))
        ok(await c.post(f"/assignments/{assignment['id']}/acknowledge", headers=year.unit("FGW")))
        reply = {"text": "已落实。", "outcome": "A"}
        ok(await c.post(f"/assignments/{assignment['id']}/reply", json=reply, headers=year.unit("FGW")), 201)

        # the adopted motion's plan, deliberated by the standing committee
        plan = {
            "title": "关于加快推进光谷科技创新大走廊规划建设案的办理方案", "issued_on": "2020-04-01",
            "tasks": [{"number": "1", "title": "统筹推进总体规划编制", "lead_unit": f"FGW{year.units_suffix}"}],
        }  # fmt: skip
        await until(partial(c.get, f"/handling/proposals/{adopted}", headers=staff), lambda r: True)
        ok(await c.post(f"/proposals/{adopted}/plan", json=plan, headers=staff), 201)
        hearing = {
            "meeting": "市十四届人大常委会第二十九次会议",
            "deliberated_on": "2020-04-14",
            "opinions": ["要进一步优化方案"],
        }
        problem(await c.post(f"/proposals/{demoted}/plan/deliberation", json=hearing, headers=staff), 404, "not_found")
        heard = ok(await c.post(f"/proposals/{adopted}/plan/deliberation", json=hearing, headers=staff))
        assert (heard["deliberation_meeting"], heard["deliberated_on"]) == (hearing["meeting"], "2020-04-14")
        again = await c.post(f"/proposals/{adopted}/plan/deliberation", json=hearing, headers=staff)
        problem(again, 409, "already_deliberated")

        timeline = await until(
            partial(c.get, f"/proposals/{adopted}/timeline", headers=staff),
            lambda r: "assignment.plan_deliberated" in [e["action"] for e in r.json()["items"]],
        )
        notes = {e["action"]: e["note"] for e in timeline.json()["items"]}
        assert notes["presidium_decided"] == "主席团决定列入大会议程（2020-01-10），议0001"
        assert notes["assignment.plan_deliberated"].startswith("市十四届人大常委会第二十九次会议于2020-04-14")

        # the year-end evaluation by the standing committee's members: a ballot on the motion
        ballot = {
            "body_id": bid, "session_id": sitting["id"], "proposal_id": adopted, "title": "议案办理满意度测评",
            "member_ids": [d["id"] for d in deputies[:5]],
        }  # fmt: skip
        deadline = time.monotonic() + 90
        while True:  # the evaluation service learns of the motion through Kafka
            opened = await c.post("/ballots", json=ballot, headers=staff)
            if opened.status_code == 201 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        assert opened.status_code == 201, opened.text
