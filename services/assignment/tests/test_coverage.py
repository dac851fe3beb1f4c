"""Reply coverage (domain/coverage.py): the proposal's numbered suggestions found as a person would
number them, and whether a reply responds to each, measured on a labelled set; and the replies'
coverage through the API, for the body's staff and the replying unit only."""

import json
from pathlib import Path

import pytest
from assignment_world import HandlingWorld, ok

from assignment_service.domain.coverage import ANSWERED_AT, FLOOR, coverage, suggestions

PAIRS = json.loads((Path(__file__).parent / "data" / "reply_coverage.json").read_text(encoding="utf-8"))
END = "。；;，,、：: \n\t"


def test_the_labelled_set_is_big_enough_to_mean_something() -> None:
    asks = [a for p in PAIRS for a in p["answered"]]
    assert len(PAIRS) >= 30 and len(asks) >= 100
    assert 0.5 < sum(asks) / len(asks) < 0.85  # both answered and skipped suggestions, in numbers


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_suggestions_are_cut_where_their_numbers_are(pair: dict[str, object]) -> None:
    assert suggestions(str(pair["proposal"])) == [str(s).strip(END) for s in pair["suggestions"]]  # type: ignore[attr-defined]


def test_text_without_a_numbered_list_is_one_suggestion_and_markers_must_start_a_clause() -> None:
    assert suggestions("建议统一设置社区快递柜。") == ["建议统一设置社区快递柜"]
    # 统一是 inside a sentence is no marker; closing remarks after a blank line are not a suggestion.
    text = "标准统一是前提。建议：一是统一快递柜收费标准；二是增设适老化取件窗口。\n\n以上建议妥否，请研究。"
    assert suggestions(text) == ["统一快递柜收费标准", "增设适老化取件窗口"]
    assert suggestions("（一）增设公交线路；（三）延长运营时间。") == ["（一）增设公交线路；（三）延长运营时间"]


def test_the_not_answered_flag_holds_its_floor_on_the_labelled_set() -> None:
    flagged_right = flagged_wrong = missed = 0
    for pair in PAIRS:
        for found, answered in zip(coverage(pair["suggestions"], pair["reply"]), pair["answered"], strict=True):
            if not found.answered and not answered:
                flagged_right += 1
            elif not found.answered:
                flagged_wrong += 1
            elif not answered:
                missed += 1
    precision = flagged_right / (flagged_right + flagged_wrong)
    recall = flagged_right / (flagged_right + missed)
    print(
        f"\nreply coverage at {ANSWERED_AT}: 'not answered' precision {precision:.2f}, recall {recall:.2f} "
        f"({flagged_right} right, {flagged_wrong} wrongly flagged, {missed} missed; floor {FLOOR})"
    )
    assert precision >= FLOOR and recall >= FLOOR


def test_the_evidence_is_the_reply_sentence_that_answers() -> None:
    asks = ["利用边角地建设立体停车库", "推动机关单位停车场夜间向居民错时开放"]
    reply = "您的提案收悉。今年已利用边角空地新建立体停车库5座。感谢您的关心。"
    first, second = coverage(asks, reply)
    assert first.answered and first.evidence == "今年已利用边角空地新建立体停车库5座。"
    assert not second.answered and second.number == 2


@pytest.mark.integration
async def test_staff_and_the_replying_unit_see_the_coverage_the_proposers_do_not(world: HandlingWorld) -> None:
    w, c = world, world.client
    content = "老旧小区停车难。建议：一是利用边角地建设立体停车库；二是推动机关单位停车场夜间向居民错时开放。"
    pid = await w.registered(content=content)
    (lead,) = await w.assign(pid, ("FGW", "lead"))
    reply = {"text": "您的提案收悉。今年已利用边角空地新建立体停车库5座，新增泊位800个。", "outcome": "A"}
    sent = ok(await c.post(f"/assignments/{lead['id']}/reply", json=reply, headers=w.unit("FGW")), 201)
    assert [(x["number"], x["answered"]) for x in sent["coverage"]] == [(1, True), (2, False)]
    for headers in (w.staff(), w.unit("FGW")):
        [seen] = ok(await c.get(f"/proposals/{pid}/replies", headers=headers))["items"]
        assert [x["answered"] for x in seen["coverage"]] == [True, False]
        assert seen["coverage"][1]["suggestion"] == "推动机关单位停车场夜间向居民错时开放"
    [theirs] = ok(await c.get(f"/proposals/{pid}/replies", headers=w.member()))["items"]
    assert theirs["coverage"] == []
    # One unnumbered ask: no coverage (a single verdict on a whole text says little).
    single = await w.registered(content="建议利用边角地建设立体停车库。")
    (other,) = await w.assign(single, ("FGW", "lead"))
    answer = ok(await c.post(f"/assignments/{other['id']}/reply", json=reply, headers=w.unit("FGW")), 201)
    assert answer["coverage"] == []
