"""A body's outcome classes and their wording (labels, report sentences) in its handling rules:
checked, replaced under If-Match and published as assignment.rules_set (real Kafka)."""

import pytest
from assignment_world import HandlingWorld, ok, problem

from devstack.kafka import KafkaBroker
from devstack.topics import read_topic
from servicekit.events import EventEnvelope

pytestmark = pytest.mark.integration

SEED_001 = [
    {"code": "A", "label": "已解决", "sentence": "反映问题已解决的{count}件，占比{percent}"},
    {"code": "B", "label": "部分解决并持续跟踪", "sentence": "因条件限制暂时只能解决部分问题并持续跟踪的{count}件，占比{percent}"},
    {"code": "C", "label": "暂时无法解决", "sentence": "因不具备办理条件暂时无法解决的{count}件，占比{percent}"},
]  # fmt: skip


async def test_outcome_labels_are_checked_replaced_under_if_match_and_published(
    world: HandlingWorld, kafka: KafkaBroker, namespace: str
) -> None:
    w, c = world, world.client
    url = f"/bodies/{w.body_id}/rules"
    read = await c.get(url)
    standard = ok(read)["outcome_labels"]
    assert (standard[0]["code"], standard[0]["label"]) == ("A", "已解决或基本解决")
    rules = {**ok(read), "outcome_classes": ["A", "B", "C"], "outcome_labels": SEED_001}
    del rules["body_id"], rules["kind"]

    def bad(labels: list[dict[str, str]]) -> dict[str, object]:
        return {**rules, "outcome_labels": labels}

    for labels, code, field in (
        ([*SEED_001, {"code": "D", "label": "留作参考", "sentence": "{count}{percent}"}], "unknown_outcome", "outcome_labels.3.code"),
        ([SEED_001[0], SEED_001[0]], "duplicate_outcome", "outcome_labels.1.code"),
        ([{**SEED_001[0], "sentence": "已解决的{count}件"}], "bad_sentence", "outcome_labels.0.sentence"),
        ([{**SEED_001[0], "sentence": "{count}件{percent}{owner}"}], "bad_sentence", "outcome_labels.0.sentence"),
    ):  # fmt: skip
        body = problem(await c.put(url, json=bad(labels), headers=w.staff()), 422, code)
        assert [e["field"] for e in body["errors"]] == [field]
    problem(await c.put(url, json=rules, headers=w.unit("FGW")), 403, "forbidden")
    stale = await c.put(url, json=rules, headers={**w.staff(), "If-Match": 'W/"stale"'})
    problem(stale, 412, "precondition_failed")
    saved = ok(await c.put(url, json=rules, headers={**w.staff(), "If-Match": read.headers["ETag"]}))
    assert saved["outcome_labels"] == SEED_001 and ok(await c.get(url))["outcome_labels"] == SEED_001
    # classes changed without labels keep the standard labels of the classes kept
    fewer = ok(await c.put(url, json={k: v for k, v in {**rules, "outcome_classes": ["A", "B"]}.items() if k != "outcome_labels"}, headers=w.staff()))  # fmt: skip
    assert [x["code"] for x in fewer["outcome_labels"]] == ["A", "B"] and fewer["outcome_labels"][0][
        "label"
    ] == "已解决或基本解决"

    published: list[EventEnvelope] = []
    for _ in range(30):  # the relay publishes after the commit
        records = await read_topic(kafka.bootstrap, f"{namespace}assignment.events", timeout=2.0)
        published = [
            e for e in (EventEnvelope.from_bytes(r.value or b"") for r in records) if e.type == "assignment.rules_set"
        ]
        if len(published) >= 2:
            break
    assert len(published) == 2  # the refused ones published nothing
    assert published[0].data["body_id"] == w.body_id and published[0].data["kind"] == "*"
    assert published[0].data["outcome_classes"] == ["A", "B", "C"] and published[0].data["outcome_labels"] == SEED_001
    assert [x["code"] for x in published[1].data["outcome_labels"]] == ["A", "B"]
