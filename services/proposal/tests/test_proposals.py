"""The proposal lifecycle in-process, with real Kafka, on SQLite and PostgreSQL."""

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from proposal_world import World, ok, problem
from sqlalchemy import update
from sqlmodel import func, select

from devstack.kafka import KafkaBroker
from devstack.topics import read_topic
from proposal_service.models import Cosignature, Proposal
from servicekit.db import utcnow
from servicekit.events import EventEnvelope
from servicekit.outbox import OutboxMessage
from servicekit.runtime import service_runtime

pytestmark = pytest.mark.integration


async def snapshot(w: World) -> tuple[Any, ...]:
    """What a refused request must leave unchanged: every item's status and version, and the outbox."""
    app: FastAPI = w.app  # type: ignore[attr-defined]
    async with service_runtime(app).database.session(read_only=True) as session:
        items = (await session.exec(select(Proposal.id, Proposal.status, Proposal.version, Proposal.number))).all()
        events = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return tuple(sorted(items)), events


async def test_a_joint_item_is_drafted_cosigned_submitted_and_registered(
    world: World, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    item = await w.draft("刘洋", kind="joint", title="关于破解老旧小区停车难问题的建议")
    assert item["status"] == "draft" and item["lead_proposer"] == "刘洋"
    invited = ok(
        await c.post(
            f"/proposals/{item['id']}/cosigners",
            json={"member_ids": [w.members["王芳"]["id"], w.members["陈刚"]["id"]]},
            headers=w.member("刘洋"),
        )
    )
    assert [x["status"] for x in invited["cosigners"]] == ["invited", "invited"]
    ok(await c.post(f"/proposals/{item['id']}/cosign", json={"accept": True}, headers=w.member("王芳")))
    ok(await c.post(f"/proposals/{item['id']}/cosign", json={"accept": False}, headers=w.member("陈刚")))

    submitted = ok(await c.post(f"/proposals/{item['id']}/submit", headers=w.member("刘洋")))
    assert submitted["status"] == "submitted"
    registered = ok(await c.post(f"/proposals/{item['id']}/register", headers=w.staff()))
    assert (registered["status"], registered["number"], registered["number_label"]) == ("registered", 1, "联0001")

    records = await read_topic(kafka.bootstrap, f"{namespace}proposal.events", expect=5)
    assert {r.key for r in records} == {item["id"].encode()}
    cosigning = [EventEnvelope.from_bytes(r.value or b"") for r in records[:3]]
    assert [e.type for e in cosigning] == ["proposal.cosign_invited", *["proposal.cosign_answered"] * 2]
    assert cosigning[0].data["member_ids"] == [w.members["王芳"]["id"], w.members["陈刚"]["id"]]
    assert cosigning[0].data["lead_member_id"] == w.members["刘洋"]["id"] and cosigning[0].data["deadline"]
    assert [(e.data["member_id"], e.data["accepted"]) for e in cosigning[1:]] == [
        (w.members["王芳"]["id"], True),
        (w.members["陈刚"]["id"], False),
    ]
    events = [EventEnvelope.from_bytes(r.value or b"") for r in records[3:]]
    assert [e.type for e in events] == ["proposal.submitted", "proposal.registered"]
    assert events[0].data["cosigner_member_ids"] == [w.members["王芳"]["id"]]
    assert events[1].data["number_label"] == "联0001" and events[1].data["lead_proposer"] == "刘洋"
    # both name the body and the session, so that consumers can title their reports
    for event in events:
        assert (event.data["body_name"], event.data["session_name"]) == ("政协武汉市委员会", "十四届三次会议")

    timeline = ok(await c.get(f"/proposals/{item['id']}/timeline", headers=w.member("刘洋")))["items"]
    assert [e["action"] for e in timeline] == [
        "drafted",
        "cosigners_invited",
        "cosign_accepted",
        "cosign_declined",
        "submitted",
        "registered",
    ]
    assert timeline[-1]["actor"] == "staff:staff-1" and timeline[-1]["to_status"] == "registered"
    assert timeline[2]["actor"] == f"member:account-{w.members['王芳']['id']}"


async def test_refused_decisions_change_nothing(world: World) -> None:
    w, c = world, world.client
    lone = await w.draft("刘洋", kind="joint")
    before = await snapshot(w)
    problem(await c.post(f"/proposals/{lone['id']}/submit", headers=w.member("刘洋")), 422, "too_few_cosigners")
    problem(
        await c.post(
            "/proposals",
            json={
                "session_id": w.session["id"],
                "kind": "individual",
                "title": "t",
                "content": "c",
                "category_id": "nope",
            },
            headers=w.member("刘洋"),
        ),
        422,
        "unknown_category",
    )
    assert await snapshot(w) == before

    # An acceptance after the invitation's deadline does not count and changes nothing.
    ok(
        await c.post(
            f"/proposals/{lone['id']}/cosigners",
            json={"member_ids": [w.members["王芳"]["id"]]},
            headers=w.member("刘洋"),
        )
    )
    async with service_runtime(w.app).database.session() as session:  # type: ignore[attr-defined]
        await session.exec(update(Cosignature).values(deadline=utcnow() - timedelta(minutes=1)))  # type: ignore[call-overload]
        await session.commit()
    before = await snapshot(w)
    problem(
        await c.post(f"/proposals/{lone['id']}/cosign", json={"accept": True}, headers=w.member("王芳")),
        409,
        "invitation_expired",
    )
    assert await snapshot(w) == before

    item = await w.filed("刘洋")
    before = await snapshot(w)
    problem(
        await c.patch(f"/proposals/{item['id']}", json={"title": "新标题"}, headers=w.member("刘洋")),
        409,
        "not_a_draft",
    )
    body = problem(
        await c.post(f"/proposals/{item['id']}/decline", json={"note": "无具体建议"}, headers=w.staff()),
        422,
        "validation_failed",
    )
    assert [e["field"] for e in body["errors"]] == ["reason"]
    problem(
        await c.post(f"/proposals/{item['id']}/merge", json={"merged_ids": [item["id"]]}, headers=w.staff()),
        422,
        "merge_into_itself",
    )
    problem(await c.post(f"/proposals/{item['id']}/register", headers=w.member("刘洋")), 403, "forbidden")
    assert await snapshot(w) == before

    ok(await c.post(f"/proposals/{item['id']}/register", headers=w.staff()))
    before = await snapshot(w)
    problem(await c.post(f"/proposals/{item['id']}/register", headers=w.staff()), 409, "already_registered")
    assert await snapshot(w) == before


async def test_merging_keeps_links_and_refuses_merged_or_foreign_items(
    world: World, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    primary, a, b = [await w.filed(name) for name in ("刘洋", "王芳", "陈刚")]
    merged = ok(
        await c.post(f"/proposals/{primary['id']}/merge", json={"merged_ids": [a["id"], b["id"]]}, headers=w.staff())
    )
    assert sorted(merged["merged_ids"]) == sorted([a["id"], b["id"]])
    view = ok(await c.get(f"/proposals/{a['id']}", headers=w.member("王芳")))
    assert (view["status"], view["merged_into_id"]) == ("merged", primary["id"])

    other = await w.filed("赵敏")
    later = await w.new_session(14, 4)
    elsewhere = await w.filed("赵敏", session_id=later["id"])
    before = await snapshot(w)
    problem(
        await c.post(f"/proposals/{a['id']}/merge", json={"merged_ids": [other["id"]]}, headers=w.staff()),
        409,
        "primary_not_open",
    )
    problem(
        await c.post(f"/proposals/{other['id']}/merge", json={"merged_ids": [elsewhere["id"]]}, headers=w.staff()),
        422,
        "different_sessions",
    )
    assert await snapshot(w) == before

    records = await read_topic(kafka.bootstrap, f"{namespace}proposal.events", expect=7)
    merged_events = [e for r in records if (e := EventEnvelope.from_bytes(r.value or b"")).type == "proposal.merged"]
    assert {(e.subject, e.data["primary_id"], e.data["lead_member_id"]) for e in merged_events} == {
        (a["id"], primary["id"], w.members["王芳"]["id"]),
        (b["id"], primary["id"], w.members["陈刚"]["id"]),
    }


async def test_concurrent_registrations_get_consecutive_numbers_without_gaps(world: World) -> None:
    w, c = world, world.client
    items = [await w.filed(name) for name in ("刘洋", "王芳", "陈刚", "赵敏") * 4]
    responses = await asyncio.gather(*(c.post(f"/proposals/{i['id']}/register", headers=w.staff()) for i in items))
    assert [r.status_code for r in responses] == [200] * len(items)
    assert sorted(r.json()["number"] for r in responses) == list(range(1, len(items) + 1))
    # Registering the same item from two requests at once: one wins, the other is told.
    extra = await w.filed("刘洋")
    twice = await asyncio.gather(*(c.post(f"/proposals/{extra['id']}/register", headers=w.staff()) for _ in range(2)))
    assert sorted(r.status_code for r in twice) == [200, 409]
    assert max(r.json().get("number") or 0 for r in twice) == len(items) + 1


async def test_who_sees_what(world: World) -> None:
    w, c = world, world.client
    draft = await w.draft("刘洋", kind="joint")
    ok(
        await c.post(
            f"/proposals/{draft['id']}/cosigners",
            json={"member_ids": [w.members["王芳"]["id"]]},
            headers=w.member("刘洋"),
        )
    )
    filed = await w.filed("陈刚")
    registered = await w.registered("赵敏")
    other_staff = w.keys.headers("staff", subject="staff-9", body_id="another-body")
    anonymous: dict[str, str] = {}
    cases = [
        # (caller, item, visible)
        (w.member("刘洋"), draft, True),
        (w.member("王芳"), draft, True),  # invited cosigner
        (w.member("陈刚"), draft, False),
        (w.staff(), draft, False),
        (w.staff(), filed, True),
        (other_staff, filed, False),
        (w.member("刘洋"), filed, False),
        (anonymous, filed, False),
        (anonymous, registered, False),  # the session is not published yet
    ]
    for headers, item, visible in cases:
        for path in ("", "/timeline", "/similar"):
            response = await c.get(f"/proposals/{item['id']}{path}", headers=headers)
            assert response.status_code == (200 if visible else 404), (headers, item["status"], path, response.text)
            if not visible:
                assert item["title"] not in response.text
        listed = ok(await c.get("/proposals", headers=headers))
        assert (item["id"] in {x["id"] for x in listed["items"]}) == visible
    # Changes by someone who cannot see the item are 404 too, never a hint that the draft exists.
    problem(await c.patch(f"/proposals/{draft['id']}", json={"title": "x"}, headers=w.member("陈刚")), 404, "not_found")
    problem(await c.post(f"/proposals/{draft['id']}/submit", headers=w.member("陈刚")), 404, "not_found")
    problem(await c.post(f"/proposals/{filed['id']}/register", headers=other_staff), 404, "not_found")
    problem(await c.post("/proposals", json={}, headers=anonymous), 401, "unauthorized")
    problem(await c.get("/proposals", headers={"Authorization": "Bearer nonsense"}), 401, "unauthorized")

    ok(await c.patch(f"/sessions/{w.session['id']}", json={"published": True}, headers=w.staff()))
    assert ok(await c.get(f"/proposals/{registered['id']}"))["number"] == 1
    public = ok(await c.get("/proposals"))
    assert [x["id"] for x in public["items"]] == [registered["id"]]


async def test_a_public_timeline_shows_status_changes_by_office_not_accounts_declines_or_notes(
    world: World,
) -> None:
    """Anonymous readers and members not on the item see public facts; proposers and staff the whole trail."""
    w, c = world, world.client
    item = await w.draft("刘洋", kind="joint", title="关于破解老旧小区停车难问题的建议")
    invite = {"member_ids": [w.members["王芳"]["id"], w.members["陈刚"]["id"]]}
    ok(await c.post(f"/proposals/{item['id']}/cosigners", json=invite, headers=w.member("刘洋")))
    ok(await c.post(f"/proposals/{item['id']}/cosign", json={"accept": True}, headers=w.member("王芳")))
    ok(await c.post(f"/proposals/{item['id']}/cosign", json={"accept": False}, headers=w.member("陈刚")))
    ok(await c.post(f"/proposals/{item['id']}/submit", headers=w.member("刘洋")))
    ok(await c.post(f"/proposals/{item['id']}/register", headers=w.staff()))
    ok(await c.post(f"/proposals/{item['id']}/key", json={"supervising_leader": "李副市长"}, headers=w.staff()))
    ok(await c.patch(f"/sessions/{w.session['id']}", json={"published": True}, headers=w.staff()))
    url = f"/proposals/{item['id']}/timeline"

    for reader in ({}, w.member("赵敏")):  # anonymous; a member who is not on the item
        public = ok(await c.get(url, headers=reader))["items"]
        assert [e["action"] for e in public] == ["submitted", "registered"]
        assert [e["actor"] for e in public] == ["提案人", "提案委"]
        assert {e["actor_name"] for e in public} == {None}
        assert [e["note"] for e in public] == [None, "联0001"]
        assert public[-1]["to_status"] == "registered" and public[-1]["at"]
        for secret in ("staff-1", "account-", "cosign", "李副市长", w.members["陈刚"]["id"]):
            assert secret not in json.dumps(public, ensure_ascii=False), secret

    # Nor does the item itself say who declined to cosign; the proposers and staff see it.
    outsiders = ({}, w.member("赵敏"))
    for reader in outsiders:
        for seen in (
            ok(await c.get(f"/proposals/{item['id']}", headers=reader)),
            ok(await c.get("/proposals"))["items"][0],
        ):
            assert [(x["member_name"], x["status"]) for x in seen["cosigners"]] == [("王芳", "accepted")]
    for insider in (w.member("刘洋"), w.member("陈刚"), w.staff()):
        seen = ok(await c.get(f"/proposals/{item['id']}", headers=insider))
        assert [x["status"] for x in seen["cosigners"]] == ["accepted", "declined"]

    for insider in (w.member("刘洋"), w.member("陈刚"), w.staff()):
        full = ok(await c.get(url, headers=insider))["items"]
        assert "cosign_declined" in [e["action"] for e in full]
        assert full[-1]["action"] == "key_marked" and full[-1]["note"] == "李副市长"
        assert full[-1]["actor"] == "staff:staff-1"


async def test_lists_give_an_excerpt_of_the_text_and_the_whole_text_when_asked(world: World) -> None:
    w, c = world, world.client
    long_text = "建议统筹规划社区养老服务设施。\n\n" + "完善日间照料、助餐助浴和上门服务网络，" * 10
    item = await w.filed("刘洋", title="关于完善社区养老服务网络的建议", content=long_text)
    short = await w.filed("王芳", title="关于增设护学岗的建议", content="建议在学校周边增设护学岗。")

    def by_id(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {x["id"]: x for x in page["items"]}

    listed = by_id(ok(await c.get("/proposals", headers=w.staff())))
    compact = listed[item["id"]]
    assert compact["content"] is None and compact["title"] == item["title"]
    assert compact["excerpt"] == " ".join(long_text.split())[:100] + "…"
    assert listed[short["id"]]["excerpt"] == "建议在学校周边增设护学岗。"  # short enough: whole, no ellipsis
    whole = by_id(ok(await c.get("/proposals", params={"fields": "full"}, headers=w.staff())))
    assert whole[item["id"]]["content"] == long_text and whole[item["id"]]["excerpt"] == compact["excerpt"]
    # The item itself is always whole.
    assert ok(await c.get(f"/proposals/{item['id']}", headers=w.staff()))["content"] == long_text
    bad = problem(
        await c.get("/proposals", params={"fields": "everything"}, headers=w.staff()), 422, "validation_failed"
    )
    assert bad["errors"][0]["field"] == "fields"


async def test_search_filters_and_stable_pages(world: World) -> None:
    w, c = world, world.client
    parking = await w.registered(
        "刘洋",
        title="关于破解老旧小区停车难问题的建议",
        content="建议利用边角地建设立体停车库。",
        category_id=w.categories["城市建设"],
    )
    metro = await w.filed(
        "王芳",
        title="关于优化地铁站接驳公交线路的建议",
        content="建议在地铁站周边增设微循环公交。",
        category_id=w.categories["城市建设"],
    )
    school = await w.filed("陈刚")
    ok(
        await c.post(
            f"/proposals/{parking['id']}/key", json={"key": True, "supervising_leader": "张副市长"}, headers=w.staff()
        )
    )

    async def ids(**params: Any) -> list[str]:
        page = ok(await c.get("/proposals", params=params, headers=w.staff()))
        return [x["id"] for x in page["items"]]

    assert await ids(q="停车") == [parking["id"]]
    assert await ids(q="地铁 公交") == [metro["id"]]
    assert await ids(q="停车 地铁") == []
    assert set(await ids(category_id=w.categories["城市建设"])) == {parking["id"], metro["id"]}
    assert await ids(key="true") == [parking["id"]]
    assert await ids(status="registered") == [parking["id"]]
    assert await ids(proposer=w.members["陈刚"]["id"]) == [school["id"]]
    assert await ids(sort="created_at") == [parking["id"], metro["id"], school["id"]]
    problem(await c.get("/proposals", params={"cursor": "garbage"}), 422, "invalid_cursor")
    problem(await c.get("/proposals", params={"kind": "petition"}), 422, "validation_failed")

    first = ok(await c.get("/proposals", params={"limit": 2}, headers=w.staff()))
    await w.filed("赵敏")  # arrives between the pages, newest first: it must not shift the second page
    second = ok(await c.get("/proposals", params={"limit": 2, "cursor": first["next_cursor"]}, headers=w.staff()))
    assert [x["id"] for x in first["items"] + second["items"]] == [school["id"], metro["id"], parking["id"]]


async def test_similar_items_are_offered_at_submission_and_in_review(world: World) -> None:
    w, c = world, world.client
    earlier = await w.new_session(14, 2)
    past = await w.filed(
        "王芳",
        session_id=earlier["id"],
        title="关于解决老旧小区停车难的建议",
        content="老旧小区车位严重不足，建议挖潜建设立体停车设施，错时开放机关单位停车场。",
    )
    await w.filed(
        "陈刚",
        title="关于缓解老旧社区停车难问题的建议",
        content="建议在老旧小区周边建设立体停车库，推动机关单位停车场错时共享。",
    )
    await w.filed("赵敏", title="关于加快发展银发经济的建议", content="建议完善社区养老服务设施，培育养老服务企业。")
    draft = await w.draft(
        "刘洋",
        title="关于破解老旧小区停车难题的建议",
        content="老旧小区停车位缺口大，建议建设立体停车库，机关单位停车场错时向居民开放。",
    )
    result = ok(await c.post(f"/proposals/{draft['id']}/submit", headers=w.member("刘洋")))
    # Other members' unregistered items are not the proposer's to see; the review sees them all.
    assert result["similar"] == []
    review = ok(await c.get(f"/proposals/{draft['id']}/similar", headers=w.staff()))["items"]
    assert [x["same_session"] for x in review] == [True, False]
    assert review[1]["id"] == past["id"] and all(0 < x["score"] <= 1 for x in review)


async def test_members_csv_import_is_all_or_nothing(world: World) -> None:
    w, c = world, world.client
    url = f"/bodies/{w.body['id']}/members/import"
    bad = "姓名,界别,联系电话,电子邮箱,编号\n李雷,教育界,13800000000,li@example.cn,A1\n,经济界,,,A2\n韩梅梅,,,not-an-email,A1\n"
    body = problem(await c.post(url, content=bad.encode(), headers=w.staff()), 422, "invalid_rows")
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "name"), (4, "email"), (4, "code")]
    assert len(ok(await c.get(f"/bodies/{w.body['id']}/members", headers=w.staff()))["items"]) == 4
    good = "姓名,界别,党派团体,编号\n李雷,教育界,民进,A1\n韩梅梅,医药卫生界,九三学社,A2\n"
    assert ok(await c.post(url, content=good.encode("gb18030"), headers=w.staff()))["imported"] == 2
    again = problem(await c.post(url, content=good.encode(), headers=w.staff()), 422, "invalid_rows")
    assert {e["row"] for e in again["errors"]} == {2, 3}
    problem(await c.post(url, content=good.encode(), headers=w.member("刘洋")), 403, "forbidden")
    problem(await c.post(url, content=b"foo,bar\n1,2\n", headers=w.staff()), 422, "invalid_csv_header")


async def test_members_csv_import_dry_run_previews_bad_rows_and_writes_nothing(world: World) -> None:
    w, c = world, world.client
    url = f"/bodies/{w.body['id']}/members/import"
    before = ok(await c.get(f"/bodies/{w.body['id']}/members", headers=w.staff()))
    csv = "姓名,界别,联系电话,电子邮箱,编号\n李雷,教育界,13800000000,li@example.cn,B1\n,经济界,,,B2\n韩梅梅,,,x,B3\n"
    body = ok(await c.post(url + "?dry_run=true", content=csv.encode(), headers=w.staff()))
    assert (body["imported"], body["dry_run"]) == (1, True)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "name"), (4, "email")]
    assert ok(await c.get(f"/bodies/{w.body['id']}/members", headers=w.staff())) == before
    problem(await c.post(url + "?dry_run=true", content=csv.encode(), headers=w.member("刘洋")), 403, "forbidden")
    problem(await c.post(url + "?dry_run=true", content="姓名,编号\n".encode(), headers=w.staff()), 422, "empty_file")
    good = "姓名,编号\n李雷,B1\n"
    assert ok(await c.post(url + "?dry_run=true", content=good.encode(), headers=w.staff()))["errors"] == []
    assert ok(await c.post(url, content=good.encode(), headers=w.staff()))["imported"] == 1


async def test_import_row_problems_are_said_in_chinese_when_asked_and_a_whole_row_can_be_at_fault(
    world: World,
) -> None:
    w, c = world, world.client
    url = f"/bodies/{w.body['id']}/members/import"
    zh = {**w.staff(), "Accept-Language": "zh-CN,zh;q=0.9"}
    csv = "姓名,界别,电子邮箱,编号\n李雷,教育界,li@example.cn,C1\n韩梅梅,经济界,x,C1\n王芳,医药卫生界,,C2,多出的一格\n"
    preview = ok(await c.post(url + "?dry_run=true", content=csv.encode(), headers=zh))
    assert [(e["row"], e["field"], e["type"]) for e in preview["errors"]] == [
        (3, "email", "value_error"),
        (3, "code", "duplicate_code"),
        (4, None, "extra_cells"),  # once a 500: a problem of the whole row names no field
    ]
    assert [e["message"] for e in preview["errors"]] == ["取值不正确", "编号与第 2 行相同", "本行的单元格多于表头的列"]
    english = ok(await c.post(url + "?dry_run=true", content=csv.encode(), headers=w.staff()))
    assert english["errors"][1]["message"] == "same code as row 2"
    refused = problem(await c.post(url, content=csv.encode(), headers=zh), 422, "invalid_rows")
    assert [e["message"] for e in refused["errors"]] == [e["message"] for e in preview["errors"]]
    assert all(set(e) == {"row", "field", "message", "type"} for e in refused["errors"])  # no ctx leaks


async def test_a_category_edit_on_a_stale_list_is_refused_with_412(world: World) -> None:
    w, c = world, world.client
    url = f"/bodies/{w.body['id']}/categories"
    city = w.categories["城市建设"]
    read = await c.get(url)
    etag = read.headers["ETag"]
    # The first editor renames a category; the list's ETag changes with it.
    first = await c.patch(f"{url}/{city}", json={"name": "城乡建设"}, headers={**w.staff(), "If-Match": etag})
    assert ok(first)["name"] == "城乡建设" and first.headers["ETag"] not in (etag, None)
    # A second editor who read the list before that gets a 412, and nothing changes.
    stale = await c.patch(f"{url}/{city}", json={"active": False}, headers={**w.staff(), "If-Match": etag})
    problem(stale, 412, "precondition_failed")
    problem(
        await c.post(url, json={"name": "生态环境"}, headers={**w.staff(), "If-Match": etag}),
        412,
        "precondition_failed",
    )
    now = await c.get(url)
    assert {x["name"]: x["active"] for x in ok(now)["items"]}["城乡建设"] is True
    assert "生态环境" not in {x["name"] for x in ok(now)["items"]}
    # Read again, then the edit goes through: deactivated, it is refused for new items.
    off = await c.patch(f"{url}/{city}", json={"active": False}, headers={**w.staff(), "If-Match": now.headers["ETag"]})
    assert ok(off)["active"] is False
    draft = {"session_id": w.session["id"], "kind": "individual", "title": "t", "content": "c", "category_id": city}
    problem(await c.post("/proposals", json=draft, headers=w.member("刘洋")), 422, "unknown_category")
    taken = await c.patch(f"{url}/{city}", json={"name": "科教文卫"}, headers=w.staff())
    assert problem(taken, 409, "category_exists")["errors"][0]["field"] == "name"
    problem(await c.patch(f"{url}/nope", json={"active": True}, headers=w.staff()), 404, "not_found")
    problem(await c.patch(f"{url}/{city}", json={"name": ""}, headers=w.staff()), 422, "validation_failed")


async def test_decline_withdraw_key_and_category_are_published_and_audited(
    world: World, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    declined = await w.filed("刘洋", title="关于邻里噪音纠纷的反映")
    body = ok(
        await c.post(
            f"/proposals/{declined['id']}/decline",
            json={"reason": "private_matter", "note": "属个人纠纷，转社情民意", "referral": "public_opinion"},
            headers=w.staff(),
        )
    )
    assert (body["status"], body["decline_reason"], body["referral"]) == (
        "declined",
        "private_matter",
        "public_opinion",
    )
    problem(await c.post(f"/proposals/{declined['id']}/withdraw", headers=w.member("刘洋")), 409, "not_withdrawable")

    withdrawn = await w.filed("王芳")
    draft = await w.draft("王芳")
    assert ok(await c.post(f"/proposals/{withdrawn['id']}/withdraw", headers=w.member("王芳")))["status"] == "withdrawn"
    assert ok(await c.post(f"/proposals/{draft['id']}/withdraw", headers=w.member("王芳")))["status"] == "withdrawn"

    key = await w.registered("陈刚")
    problem(await c.post(f"/proposals/{key['id']}/key", json={"key": True}, headers=w.staff()), 422, "leader_required")
    marked = ok(
        await c.post(f"/proposals/{key['id']}/key", json={"key": True, "supervising_leader": "李明"}, headers=w.staff())
    )
    assert (marked["key"], marked["supervising_leader"]) == (True, "李明")
    moved = ok(
        await c.post(
            f"/proposals/{key['id']}/category", json={"category_id": w.categories["城市建设"]}, headers=w.staff()
        )
    )
    assert moved["category"] == "城市建设"
    problem(
        await c.post(f"/proposals/{key['id']}/category", json={"category_id": "nope"}, headers=w.staff()),
        422,
        "unknown_category",
    )

    records = await read_topic(kafka.bootstrap, f"{namespace}proposal.events", expect=8)
    by_subject: dict[str, list[str]] = {}
    for r in records:
        event = EventEnvelope.from_bytes(r.value or b"")
        by_subject.setdefault(event.subject or "", []).append(event.type)
    assert by_subject == {
        declined["id"]: ["proposal.submitted", "proposal.declined"],
        withdrawn["id"]: ["proposal.submitted", "proposal.withdrawn"],  # the draft's withdrawal is not announced
        key["id"]: ["proposal.submitted", "proposal.registered", "proposal.key_marked", "proposal.category_changed"],
    }
    timeline = ok(await c.get(f"/proposals/{declined['id']}/timeline", headers=w.member("刘洋")))["items"]
    assert timeline[-1]["note"] == "private_matter: 属个人纠纷，转社情民意"


async def test_a_stale_update_is_refused_with_412(world: World) -> None:
    w, c = world, world.client
    draft = await w.draft("刘洋")
    read = await c.get(f"/proposals/{draft['id']}", headers=w.member("刘洋"))
    etag = read.headers["ETag"]
    first = await c.patch(
        f"/proposals/{draft['id']}", json={"title": "改一"}, headers={**w.member("刘洋"), "If-Match": etag}
    )
    assert first.status_code == 200 and first.headers["ETag"] != etag
    before = await snapshot(w)
    stale = await c.patch(
        f"/proposals/{draft['id']}", json={"title": "改二"}, headers={**w.member("刘洋"), "If-Match": etag}
    )
    problem(stale, 412, "precondition_failed")
    assert await snapshot(w) == before
    current = {**w.member("刘洋"), "If-Match": first.headers["ETag"]}
    assert ok(await c.patch(f"/proposals/{draft['id']}", json={"title": "改二"}, headers=current))["title"] == "改二"


async def test_an_item_is_not_modified_only_while_what_its_reader_sees_is_the_same(world: World) -> None:
    """If-None-Match (ADR 26): the item's ETag covers the reader's view, not only its version, so a
    renamed category is a new answer though the item did not change; If-Match still goes by version."""
    w, c = world, world.client
    draft = await w.draft("刘洋", category_id=w.categories["城市建设"])
    mine = w.member("刘洋")
    url = f"/proposals/{draft['id']}"
    read = await c.get(url, headers=mine)
    etag = read.headers["ETag"]
    assert etag.startswith('W/"1.')
    again = await c.get(url, headers={**mine, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    categories = f"/bodies/{w.body['id']}/categories"
    ok(await c.patch(f"{categories}/{w.categories['城市建设']}", json={"name": "城乡建设"}, headers=w.staff()))
    renamed = await c.get(url, headers={**mine, "If-None-Match": etag})
    assert renamed.status_code == 200 and ok(renamed)["category"] == "城乡建设"
    assert renamed.headers["ETag"] != etag and renamed.headers["ETag"].startswith('W/"1.')
    # The version decides a write: the tag read before the rename (or plain W/"1") still holds.
    assert ok(await c.patch(url, json={"title": "改一"}, headers={**mine, "If-Match": etag}))["title"] == "改一"
    problem(await c.patch(url, json={"title": "改二"}, headers={**mine, "If-Match": etag}), 412, "precondition_failed")


async def test_a_stale_session_update_is_refused_with_412(world: World) -> None:
    w, c = world, world.client
    url = f"/sessions/{w.session['id']}"
    read = await c.get(url)
    etag = read.headers["ETag"]
    change = {"period": "interim", "filing_opens_at": "2025-01-06T09:00:00+08:00"}  # read back in UTC
    first = await c.patch(url, json=change, headers={**w.staff(), "If-Match": etag})
    assert ok(first)["period"] == "interim" and first.headers["ETag"] != etag
    assert (await c.get(url)).headers["ETag"] == first.headers["ETag"]
    stale = await c.patch(url, json={"published": True}, headers={**w.staff(), "If-Match": etag})
    problem(stale, 412, "precondition_failed")
    unchanged = ok(await c.get(url))
    assert (unchanged["period"], unchanged["published"]) == ("interim", False)
    # A list of tags matches when one is current; no If-Match at all is not checked, as before.
    either = {**w.staff(), "If-Match": f"{etag}, {first.headers['ETag']}"}
    assert ok(await c.patch(url, json={"period": "plenary"}, headers=either))["period"] == "plenary"
    assert ok(await c.patch(url, json={"published": True}, headers=w.staff()))["published"] is True


async def test_open_data_for_a_body_id_beyond_ascii_is_an_empty_file_not_a_500(world: World) -> None:
    """Found by the fuzz run: the body id went into the Content-Disposition file name unescaped, and
    a header is latin-1."""
    answer = await world.client.get("/open-data/items", params={"body_id": "G\U000a4565áò\x1fj"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="open-data-G____j.csv"'
    assert answer.content.decode("utf-8-sig").count("\n") == 1  # the header row only
