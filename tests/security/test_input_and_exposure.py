"""Attacks on input and on what answers expose, through the gateway, against the services running as
real processes (the stack of tests/conftest.py, on SQLite and PostgreSQL).

- A cursor holding a lone UTF-16 surrogate is a 400 naming ``cursor``, and the next request on
  the gateway's pooled connection is served, not a 503 (issue 10, item 5).
- An item's public timeline and dossier show status changes by office, not accounts, cosign
  declines or staff notes; the proposers and staff see the whole trail (item 9).
- A ballot (民主测评) cannot be opened for fewer than 5 electors (item 6).
- Request bodies of the wrong JSON type are refused, not converted (item 10a).
- A 405 names every method of the path in ``Allow`` (item 10b).
- Titles and names refuse C1 controls and bidirectional overrides, naming the field (item 10d).
- A category named like a formula reaches the annual report's XLSX and CSV as text (item 7).
"""

import asyncio
import base64
import csv
import io
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from devstack.filing import FilingDesk
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

SURROGATE_CURSOR = base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", "\\ud800"]').decode().rstrip("=")
FORMULA = '=HYPERLINK("http://evil.example","点击")'


@pytest.fixture(scope="module")
def desk(stack: Stack) -> FilingDesk:
    async def open_desk() -> FilingDesk:
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
            return await FilingDesk.open(client, stack.keys, members=5)

    return asyncio.run(open_desk())


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def eventually(fetch: Callable[[], Awaitable[httpx.Response]], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = await fetch()
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


async def test_a_cursor_with_a_lone_surrogate_is_a_422_and_the_next_request_is_served(
    stack: Stack, desk: FilingDesk
) -> None:
    lists = [
        ("/proposals", {}),  # anonymous
        (f"/ballots?body_id={desk.body['id']}", desk.staff()),
        ("/handling/proposals", desk.staff()),
    ]
    # One client, so the next request goes out on the connection pool the gateway keeps too.
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=30) as client:
        for path, headers in lists:
            joiner = "&" if "?" in path else "?"
            bad = await client.get(f"{path}{joiner}cursor={SURROGATE_CURSOR}", headers=headers)
            body = problem(bad, 422, "invalid_cursor")
            assert [e["field"] for e in body["errors"]] == ["cursor"], body
            again = await client.get(path, headers=headers)
            assert again.status_code == 200, (path, again.text)


async def test_a_public_timeline_shows_status_changes_by_office_not_accounts_or_declines(
    stack: Stack, desk: FilingDesk
) -> None:
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=30) as client:
        lead, decliner, outsider = desk.member(0), desk.member(2), desk.member(4)
        draft = await client.post(
            "/proposals", json={**desk.draft_body(title="关于规范共享单车停放的建议"), "kind": "joint"}, headers=lead
        )
        item = draft.json()
        invite = {"member_ids": [desk.members[1]["id"], desk.members[2]["id"]]}
        assert (await client.post(f"/proposals/{item['id']}/cosigners", json=invite, headers=lead)).status_code == 200
        answer = await client.post(f"/proposals/{item['id']}/cosign", json={"accept": True}, headers=desk.member(1))
        assert answer.status_code == 200, answer.text
        declined = await client.post(f"/proposals/{item['id']}/cosign", json={"accept": False}, headers=decliner)
        assert declined.status_code == 200, declined.text
        assert (await client.post(f"/proposals/{item['id']}/submit", headers=lead)).status_code == 200
        assert (await client.post(f"/proposals/{item['id']}/register", headers=desk.staff())).status_code == 200
        key = {"supervising_leader": "王副市长"}
        assert (await client.post(f"/proposals/{item['id']}/key", json=key, headers=desk.staff())).status_code == 200
        published = await client.patch(
            f"/sessions/{desk.session['id']}", json={"published": True}, headers=desk.staff()
        )
        assert published.status_code == 200, published.text

        for reader in ({}, outsider):
            timeline = await client.get(f"/proposals/{item['id']}/timeline", headers=reader)
            assert timeline.status_code == 200, timeline.text
            assert [e["action"] for e in timeline.json()["items"]] == ["submitted", "registered"]
            assert {e["actor"] for e in timeline.json()["items"]} == {"提案人", "提案委"}
            dossier = await client.get(f"/proposals/{item['id']}/dossier", headers=reader)
            assert dossier.status_code == 200, dossier.text
            # The dossier's item names its supervising leader, a public fact of a key item; the
            # timeline's note of the marking is not repeated.
            texts = (timeline.text, json.dumps(dossier.json()["timeline"], ensure_ascii=False), dossier.text)
            for i, text in enumerate(texts):
                for secret in ("cosign_declined", "staff:", "member:", "desk-", desk.members[2]["id"]):
                    assert secret not in text, (secret, text)
                assert i == 2 or "王副市长" not in text, text
        for insider in (lead, desk.staff()):
            full = (await client.get(f"/proposals/{item['id']}/timeline", headers=insider)).json()["items"]
            assert "cosign_declined" in [e["action"] for e in full]
            assert any(e["actor"].startswith("staff:") for e in full)


async def test_a_ballot_needs_five_electors(stack: Stack, desk: FilingDesk) -> None:
    ballot = {
        "body_id": desk.body["id"],
        "session_id": desk.session["id"],
        "proposal_id": "00000000-0000-0000-0000-000000000000",
        "title": "民主测评",
        "member_ids": [m["id"] for m in desk.members[:2]],
    }
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=30) as client:
        body = problem(await client.post("/ballots", json=ballot, headers=desk.staff()), 422, "too_few_electors")
    assert [e["field"] for e in body["errors"]] == ["member_ids"]


async def test_request_bodies_of_the_wrong_json_type_are_refused_not_converted(stack: Stack, desk: FilingDesk) -> None:
    body_id = desk.body["id"]
    cases = [
        (f"/bodies/{body_id}/sessions", {"term": True, "meeting": "7"}, {"term", "meeting"}),
        (f"/bodies/{body_id}/sessions", {"term": 15.0, "meeting": 1}, {"term"}),
        (f"/sessions/{desk.session['id']}", {"published": "true"}, {"published"}),
    ]
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=30) as client:
        for path, payload, fields in cases:
            method = "PATCH" if path.startswith("/sessions/") else "POST"
            answer = await client.request(method, path, json=payload, headers=desk.staff())
            body = problem(answer, 422, "validation_failed")
            assert {e["field"] for e in body["errors"]} == fields, body
        rules = await client.put(
            f"/bodies/{body_id}/evaluation-rules", json={"window_days": True}, headers=desk.staff()
        )
        assert rules.status_code == 422 and rules.json()["errors"][0]["field"] == "window_days", rules.text
        # Dates and enum values still come as JSON strings.
        later = await client.post(f"/bodies/{body_id}/sessions", json={"term": 14, "meeting": 4}, headers=desk.staff())
        assert later.status_code == 201, later.text


async def test_a_405_allows_every_method_of_the_path(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        for path, methods in (("/api/v1/bodies", {"GET", "POST"}), ("/api/v1/proposals", {"GET", "POST"})):
            answer = await client.request("DELETE", path)
            assert answer.status_code == 405, answer.text
            assert set(answer.headers["allow"].split(", ")) >= methods, answer.headers["allow"]
        service = await httpx.AsyncClient(base_url=stack["proposal"].url).request("PUT", "/proposals")
        assert service.status_code == 405 and {"GET", "POST"} <= set(service.headers["allow"].split(", "))


@pytest.mark.parametrize("bad", ["\u202e", "\u2066", "\x85", "\x9b"], ids=["RLO", "LRI", "NEL", "CSI"])
async def test_titles_and_names_refuse_c1_controls_and_bidi_overrides(stack: Stack, desk: FilingDesk, bad: str) -> None:
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=30) as client:
        cases = [
            ("/proposals", {**desk.draft_body(title=f"关于{bad}txt.exe的建议")}, desk.member(0), "title"),
            (f"/bodies/{desk.body['id']}/categories", {"name": f"城市{bad}建设"}, desk.staff(), "name"),
            (f"/bodies/{desk.body['id']}/members", {"name": f"王{bad}芳"}, desk.staff(), "name"),
        ]
        for path, payload, headers, field in cases:
            # json.dumps escapes the character (\u202e), as a client would send it
            answer = await client.post(
                path, content=json.dumps(payload), headers={**headers, "content-type": "application/json"}
            )
            body = problem(answer, 422, "validation_failed")
            assert [e["field"] for e in body["errors"]] == [field], body


async def test_a_category_named_like_a_formula_stays_text_in_the_report(stack: Stack, desk: FilingDesk) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as gateway:
        await _formula_category_in_report(gateway, desk)


async def _formula_category_in_report(gateway: httpx.AsyncClient, desk: FilingDesk) -> None:
    async with httpx.AsyncClient(base_url=f"{str(gateway.base_url).rstrip('/')}/api/v1", timeout=30) as client:
        category = await client.post(
            f"/bodies/{desk.body['id']}/categories", json={"name": FORMULA[:50]}, headers=desk.staff()
        )
        assert category.status_code == 201, category.text
        desk.categories[category.json()["name"]] = category.json()["id"]
        item = await desk.file(gateway, title="关于公式注入的建议", category=category.json()["name"])
        registered = await client.post(f"/proposals/{item['id']}/register", headers=desk.staff())
        assert registered.status_code == 200, registered.text
        params = {"body_id": desk.body["id"], "session_id": desk.session["id"], "format": "xlsx"}

        async def counted() -> httpx.Response:
            answer = await client.get("/reports/annual", params=params, headers=desk.staff())
            if answer.status_code == 200 and FORMULA[:50] not in str(
                [c.value for s in load_workbook(io.BytesIO(answer.content)) for r in s.iter_rows() for c in r]
            ):
                return httpx.Response(404)  # the evaluation service has not counted the item yet
            return answer

        xlsx = await eventually(counted)
        assert xlsx.status_code == 200, xlsx.text
        cells = [c for sheet in load_workbook(io.BytesIO(xlsx.content)) for row in sheet.iter_rows() for c in row]
        assert "'" + FORMULA[:50] in [c.value for c in cells]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        answer = await client.get("/reports/annual", params={**params, "format": "csv"}, headers=desk.staff())
        assert answer.status_code == 200, answer.text
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert not [v for row in rows for v in row if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
