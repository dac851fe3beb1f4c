"""The statistics' tallies as pure functions of the projected rows: no Kafka, no database."""

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from cn_workdays import WorkCalendar

from evaluation_service.domain.statistics import (
    Asked,
    Ratings,
    Wording,
    breakdowns,
    chosen_items,
    groups_of,
    kind_set,
    latest_ratings,
    part_groups_of,
    tally,
    unit_tallies,
    unrated_as_satisfied,
)
from evaluation_service.models import (
    Evaluation,
    EvaluationRules,
    PerformanceWeights,
    RatedItem,
    Rating,
    ReplyRecord,
    Statistics,
    StatItem,
    StatUnit,
)
from servicekit.errors import Problem

_ids = count(1)
ASKED = Asked(body_id="b1", session_id="s1")


def item(**fields: Any) -> StatItem:
    """A filed individual item of body b1's session s1, unless ``fields`` say otherwise."""
    values: dict[str, Any] = {
        "proposal_id": f"p{next(_ids)}",
        "body_id": "b1",
        "session_id": "s1",
        "kind": "individual",
        "filed": True,
    }
    return StatItem(**(values | fields))


def registered(n: int, **fields: Any) -> list[StatItem]:
    return [item(registered=True, **fields) for _ in range(n)]


def rating(
    proposal_id: str, result: Rating, *, round_: int = 1, unit_id: str = "u1", member_id: str = "m1"
) -> Evaluation:
    return Evaluation(
        proposal_id=proposal_id,
        body_id="b1",
        round=round_,
        unit_id=unit_id,
        member_id=member_id,
        contact=result,
        attitude=result,
        result=result,
    )


NO_RATINGS = Ratings(final=[], first=[])


def figures(items: list[StatItem], ratings: Ratings = NO_RATINGS, wording: Wording | None = None) -> Statistics:
    return tally(ASKED, groups_of(items), ratings, wording or Wording(), "left_unrated")


# --- counts and rates ----------------------------------------------------------------------------


def test_an_empty_session_has_zero_counts_and_no_rates() -> None:
    stats = figures([])
    assert stats.counts.model_dump() == dict.fromkeys(
        ("filed", "registered", "declined", "merged", "withdrawn", "key", "collective"), 0
    )
    for r in (stats.registration_rate, stats.reply_rate, stats.on_time_reply_rate, stats.satisfaction_rate):
        assert (r.numerator, r.denominator, r.rate, r.percent) == (0, 0, None, None)
    assert stats.by_kind == {} and stats.by_category == {}
    assert {c: (s.count, s.percent_text) for c, s in stats.outcomes.items()} == dict.fromkeys("ABCD", (0, "0.0%"))
    assert stats.overdue == 0 and stats.counted_satisfied == 0


def test_the_registration_rate_leaves_withdrawn_items_out() -> None:
    items = [*registered(2), item(withdrawn=True), item(declined=True), item(merged=True)]
    stats = figures(items)
    assert (stats.counts.filed, stats.counts.withdrawn, stats.counts.declined, stats.counts.merged) == (5, 1, 1, 1)
    assert (stats.registration_rate.numerator, stats.registration_rate.denominator) == (2, 4)
    assert stats.registration_rate.percent == "50.0%"


def test_registered_items_without_replies_have_a_zero_reply_rate_and_no_outcome() -> None:
    stats = figures(registered(3))
    assert (stats.reply_rate.numerator, stats.reply_rate.denominator, stats.reply_rate.percent) == (0, 3, "0.0%")
    assert stats.on_time_reply_rate.percent == "0.0%"
    assert all(s.count == 0 for s in (*stats.outcomes.values(), *stats.first_outcomes.values()))


def test_reply_rates_count_first_round_replies_over_registered_items() -> None:
    items = [
        *registered(1, replied=True, replied_on_time=True, outcome="A", first_outcome="A"),
        *registered(1, replied=True, replied_on_time=False, outcome="A", first_outcome="C"),
        *registered(1, replied=True, replied_on_time=None, outcome="B", first_outcome="B"),
        *registered(1),
    ]
    stats = figures(items)
    assert stats.reply_rate.percent == "75.0%"
    assert (stats.on_time_reply_rate.numerator, stats.on_time_reply_rate.denominator) == (1, 4)
    assert {c: s.count for c, s in stats.outcomes.items()} == {"A": 2, "B": 1, "C": 0, "D": 0}
    assert {c: s.count for c, s in stats.first_outcomes.items()} == {"A": 1, "B": 1, "C": 1, "D": 0}


def test_outcome_shares_are_rounded_half_up_and_other_classes_follow_the_standard_ones() -> None:
    items = registered(105, replied=True, outcome="A") + registered(10, replied=True, outcome="B")
    items += registered(1, replied=True, outcome="E")
    stats = figures(items)
    assert list(stats.outcomes) == ["A", "B", "C", "D", "E"]
    assert stats.outcomes["A"].percent_text == "90.5%"  # seed 001: 105 of 116
    assert stats.outcomes["A"].percent == 90.5
    assert stats.outcome_labels["A"] == "已解决或基本解决"


def test_a_body_s_own_classes_set_the_order_and_the_labels() -> None:
    wording = Wording(classes=["B", "A"], labels={"A": "已解决"}, configured=True)
    items = registered(1, replied=True, outcome="A") + registered(1, replied=True, outcome="X")
    stats = figures(items, wording=wording)
    assert list(stats.outcomes) == ["B", "A", "X"]  # C and D, empty and not the body's, are left out
    assert stats.outcome_labels == {"B": "正在解决或列入计划解决", "A": "已解决", "X": "X"}


def test_key_and_collective_count_registered_items_and_collective_goes_by_kind() -> None:
    items = [
        *registered(2, key=True),
        item(key=True),  # filed, not registered
        *registered(1, kind="group", collective=True),
        item(kind="group", collective=True),
        *registered(1, kind="plenary", collective=True),  # an old row: the flag once counted 建议案
    ]
    counts = figures(items).counts
    assert (counts.key, counts.collective) == (2, 1)


def test_the_collective_filter_goes_by_kind_not_by_the_stored_flag() -> None:
    groups = groups_of([item(kind="group"), item(kind="plenary", collective=True), item()])

    def kinds(collective: bool | None) -> set[str | None]:
        return {g.kind for g in chosen_items(groups, Asked("b1", "s1", collective=collective))}

    assert kinds(True) == {"group"}
    assert kinds(False) == {"plenary", "individual"}
    assert kinds(None) == {"group", "plenary", "individual"}


def test_items_alike_are_one_group_that_counts_them() -> None:
    groups = groups_of([*registered(3, replied=True, outcome="A"), *registered(2, replied=True, outcome="B")])
    assert sorted((g.outcome, g.n) for g in groups) == [("A", 3), ("B", 2)]
    assert figures([*registered(3, replied=True, outcome="A")]).outcomes["A"].count == 3


def test_breakdowns_count_filed_items_by_kind_and_category_sorted() -> None:
    items = [
        *registered(2, kind="joint", category="经济发展"),
        item(kind="individual", category="城市建设"),
        item(kind=None, category=None),
        item(filed=False, kind="joint", category="经济发展"),  # known only from assignment events
    ]
    by_kind, by_category = breakdowns(groups_of(items))
    assert {k: (b.filed, b.registered) for k, b in by_kind.items()} == {
        "": (1, 0),
        "individual": (1, 0),
        "joint": (2, 2),
    }
    assert list(by_kind) == sorted(by_kind)
    assert {k: (b.filed, b.registered) for k, b in by_category.items()} == {
        "城市建设": (1, 0),
        "未分类": (1, 0),
        "经济发展": (2, 2),
    }


def test_satisfaction_rates_are_over_final_and_first_ratings() -> None:
    ratings = Ratings(
        final=[rating("p", Rating.satisfied), rating("p", Rating.basically_satisfied), rating("p", Rating.unsatisfied)],
        first=[rating("p", Rating.unsatisfied)],
        counted=1,
    )
    stats = figures([], ratings)
    assert (stats.satisfaction_rate.numerator, stats.satisfaction_rate.denominator) == (2, 3)
    assert stats.satisfaction_rate.percent == "66.7%"
    assert stats.first_satisfaction_rate.percent == "0.0%"
    assert stats.counted_satisfied == 1


def test_the_asked_filters_are_echoed_and_one_kind_picks_its_wording() -> None:
    asked = Asked("b1", None, "joint", ["joint"], "经济发展", True, False)
    stats = tally(asked, [], NO_RATINGS, Wording(), "counted_satisfied")
    assert (stats.session_id, stats.kind, stats.kinds, stats.category, stats.key, stats.collective) == (
        None,
        "joint",
        ["joint"],
        "经济发展",
        True,
        False,
    )
    assert stats.unrated_policy == "counted_satisfied"
    assert asked.one_kind == "joint"
    assert Asked("b1", None, kinds=["joint", "group"]).one_kind is None
    assert Asked("b1", None).one_kind is None


# --- kinds ---------------------------------------------------------------------------------------


def test_kind_sets() -> None:
    assert kind_set() is None
    assert kind_set("joint") == ["joint"]
    assert kind_set("group", ["joint"]) == ["joint", "group"]  # in the kinds' order
    assert kind_set(exclude_kinds=["plenary", "motion"]) == ["individual", "joint", "group", "suggestion"]
    assert kind_set(kinds=["joint", "group"], exclude_kinds=["group"]) == ["joint"]
    assert kind_set(kinds=["joint"], exclude_kinds=["joint"]) == []


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({"kind": "bill"}, "kind"),
        ({"kinds": ["joint", "bill"]}, "kinds"),
        ({"exclude_kinds": ["bill"]}, "exclude_kinds"),
    ],
)
def test_an_unknown_kind_is_a_422_naming_its_parameter(asked: dict[str, Any], field: str) -> None:
    with pytest.raises(Problem) as raised:
        kind_set(**asked)
    assert raised.value.status == 422
    assert raised.value.errors[0]["field"] == field  # type: ignore[index]


# --- ratings -------------------------------------------------------------------------------------


def test_the_final_rating_is_the_latest_round_s_and_the_first_are_round_one_s() -> None:
    r1, r2 = rating("p", Rating.unsatisfied), rating("p", Rating.satisfied, round_=2)
    other = rating("p", Rating.satisfied, member_id="m2")
    ratings = latest_ratings([r2, r1, other])
    assert sorted(ratings.final, key=lambda e: e.member_id) == [r2, other]
    assert ratings.first == [r1, other]
    assert ratings.counted == 0


def test_a_counted_rating_counts_only_while_it_is_final() -> None:
    stored = rating("p", Rating.unsatisfied, round_=2)
    superseded = rating("p", Rating.satisfied)  # round 1, counted, then rated in round 2
    counted = rating("q", Rating.satisfied)
    ratings = latest_ratings([stored], [superseded, counted])
    assert ratings.counted == 1
    assert len(ratings.final) == 2 and len(ratings.first) == 2


CALENDAR = WorkCalendar.default()
REPLIED = datetime(2024, 6, 3, 2, tzinfo=UTC)  # a Monday, 10:00 in Beijing


def rated_item(**fields: Any) -> RatedItem:
    values: dict[str, Any] = {
        "proposal_id": "p",
        "body_id": "b1",
        "kind": "joint",
        "lead_member_id": "lead",
        "cosigner_member_ids": ["co"],
        "merged_member_ids": ["merged"],
        "round": 1,
        "replied_at": REPLIED,
    }
    return RatedItem(**(values | fields))


def reply(round_: int = 1, unit_id: str = "u1", at: datetime = REPLIED) -> ReplyRecord:
    return ReplyRecord(
        reply_id=f"r{next(_ids)}",
        proposal_id="p",
        unit_id=unit_id,
        unit_name=unit_id,
        round=round_,
        outcome="A",
        on_time=True,
        replied_at=at,
    )


def unrated(
    item_: RatedItem | None, replies: list[ReplyRecord], rated: list[Evaluation], today: date, **rules: Any
) -> set[tuple[str, int, str, str]]:
    counted = unrated_as_satisfied(
        {"p": item_} if item_ else {},
        replies,
        rated,
        rules=EvaluationRules(body_id="b1", window_days=2, unrated_policy="counted_satisfied", **rules),
        calendar=CALENDAR,
        today=today,
    )
    assert all(e.result == Rating.satisfied for e in counted)
    return {(e.proposal_id, e.round, e.unit_id, e.member_id) for e in counted}


def closes(replied: datetime) -> date:
    """The last day of the two working days' window (2024's Dragon Boat holiday included)."""
    return CALENDAR.add_working_days(replied.date(), 2)


DAY = timedelta(days=1)


def test_unrated_replies_count_as_satisfied_only_once_the_window_closed() -> None:
    assert closes(REPLIED) == date(2024, 6, 5)
    assert unrated(rated_item(), [reply()], [], closes(REPLIED)) == set()
    assert unrated(rated_item(), [reply()], [], closes(REPLIED) + DAY) == {
        ("p", 1, "u1", "lead"),
        ("p", 1, "u1", "co"),
        ("p", 1, "u1", "merged"),
    }


def test_members_who_rated_and_cosigners_without_the_right_are_not_counted() -> None:
    rated = [rating("p", Rating.unsatisfied, member_id="lead")]
    assert unrated(rated_item(), [reply()], rated, date(2024, 7, 1), cosigners_rate=False) == {("p", 1, "u1", "merged")}


def test_replies_not_open_for_rating_count_nothing() -> None:
    later = date(2024, 7, 1)
    assert unrated(None, [reply()], [], later) == set()  # the item is not known as rated
    assert unrated(rated_item(replied_at=None), [reply()], [], later) == set()  # round not complete
    assert unrated(rated_item(), [reply(round_=2)], [], later) == set()  # a round the item has not reached


def test_an_earlier_round_s_window_runs_from_its_last_reply() -> None:
    last = datetime(2024, 6, 6, 2, tzinfo=UTC)
    replies = [reply(1, "u1", REPLIED), reply(1, "u2", last)]
    item_ = rated_item(
        round=2, replied_at=datetime(2024, 6, 20, 2, tzinfo=UTC), merged_member_ids=[], cosigner_member_ids=[]
    )
    assert unrated(item_, replies, [], closes(last)) == set()
    assert unrated(item_, replies, [], closes(last) + DAY) == {("p", 1, "u1", "lead"), ("p", 1, "u2", "lead")}


# --- units ---------------------------------------------------------------------------------------


def part(unit_id: str, proposal_id: str, **fields: Any) -> StatUnit:
    values: dict[str, Any] = {"proposal_id": proposal_id, "unit_id": unit_id, "body_id": "b1", "role": "lead"}
    return StatUnit(**(values | fields))


WEIGHTS = PerformanceWeights(body_id="b1")


def test_a_unit_s_figures() -> None:
    parts = [
        part(
            "u1", "p1", unit_name="", replied=True, on_time=True, contacted_before_reply=True, outcome="A", overdue=True
        ),
        part("u1", "p2", unit_name="市住建局", replied=True, on_time=False, outcome="C"),
        part("u1", "p3", role="co"),  # a co-handler that did not reply: nothing to reply
        part("u1", "p4", role="separate"),
    ]
    final = [
        rating("p1", Rating.satisfied),
        rating("p2", Rating.unsatisfied),
        rating("p9", Rating.satisfied, unit_id="u2"),
    ]
    [u] = unit_tallies(part_groups_of(parts), final, WEIGHTS)
    assert (u.unit_name, u.assigned, u.to_reply, u.replied, u.on_time, u.contacted_before_reply, u.overdue) == (
        "市住建局",
        4,
        3,
        2,
        1,
        1,
        1,
    )
    assert (u.rated, u.satisfied) == (2, 1)
    assert (u.on_time_rate.percent, u.contact_rate.percent, u.satisfaction_rate.percent) == ("33.3%", "50.0%", "50.0%")
    assert u.outcomes == {"A": 1, "B": 0, "C": 1, "D": 0}
    assert u.outcome_score == 0.75
    # 0.3 × 1/3 + 0.4 × 0.5 + 0.1 × 0.5 + 0.2 × 0.75 = 0.5
    assert u.score == 50.0
    assert u.weights.model_dump() == {
        "body_id": "b1",
        "on_time": 0.3,
        "satisfaction": 0.4,
        "contact": 0.1,
        "outcome": 0.2,
    }


def test_a_component_without_data_is_left_out_and_the_weights_renormalised() -> None:
    [u] = unit_tallies(part_groups_of([part("u1", "p1", replied=True, on_time=True, outcome="Z")]), [], WEIGHTS)
    assert u.satisfaction_rate.rate is None and u.outcome_score is None
    assert u.outcomes == {"A": 0, "B": 0, "C": 0, "D": 0, "Z": 1}
    assert u.score == 75.0  # (0.3 × 1 + 0.1 × 0) / 0.4: on time 1 of 1, contacted 0 of 1
    [co] = unit_tallies(part_groups_of([part("u2", "p1", role="co")]), [], WEIGHTS)
    assert (co.to_reply, co.score) == (0, None)


def test_units_are_ordered_by_score_then_name_and_units_without_a_score_come_last() -> None:
    parts = [
        part("u3", "p1", role="co", unit_name="甲"),
        part("u2", "p1", unit_name="乙", replied=True, on_time=False),
        part("u1", "p1", unit_name="丙", replied=True, on_time=True),
        part("u4", "p1", unit_name="丁", replied=True, on_time=True),
    ]
    units = unit_tallies(part_groups_of(parts), [], WEIGHTS)
    assert [u.unit_id for u in units] == ["u4", "u1", "u2", "u3"]  # 丁 < 丙 by code point
    assert [u.score for u in units] == [75.0, 75.0, 0.0, None]


def test_no_parts_no_units() -> None:
    assert unit_tallies([], [rating("p", Rating.satisfied)], WEIGHTS) == []


def test_parts_alike_are_one_group_and_parts_reassigned_away_are_left_out() -> None:
    groups = part_groups_of(
        [part("u1", "p1", replied=True), part("u1", "p2", replied=True), part("u2", "p1", moved_away=True)]
    )
    assert [(g.unit_id, g.n) for g in groups] == [("u1", 2)]
    [u] = unit_tallies(groups, [], WEIGHTS)
    assert (u.assigned, u.replied) == (2, 2)
