"""Routing suggestions (issue 4, item 10) measured on the shipped labelled set: tests/data/routing_items.json,
219 realistic proposals with the lead unit a committee would assign, over 20 municipal units.

The model trains on a seeded 70 % split per unit and is checked on the other 30 %: accuracy at 3 (the true unit is
among the three suggestions the reviewer sees) must reach ``FLOOR_AT_3``. On this split it is 0.82 (acc@1 0.53);
the mean over 20 seeded splits is 0.84 (lowest 0.79), see the routing module's docstring. The floor sits under the
worst split so that the test fails on a real regression, not on noise. A frequency-only baseline (always the three
busiest units) reaches ~0.3; the model must beat it by far.
"""

import json
import random
from collections import defaultdict
from pathlib import Path

import pytest

from assignment_service.routing import Example, RoutingModel, accuracy_at_k, tokenize

DATA = Path(__file__).parent / "data" / "routing_items.json"
SEED = 0
TRAIN_SHARE = 0.7
FLOOR_AT_3 = 0.75
FLOOR_AT_1 = 0.40


def labelled() -> list[Example]:
    return [Example(**item) for item in json.loads(DATA.read_text(encoding="utf-8"))["items"]]


def split(examples: list[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """Per unit, a shuffled 70 % to train on and the rest to test; every unit is in both when it has two items."""
    rng = random.Random(seed)
    by_unit: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_unit[example.unit_id].append(example)
    train: list[Example] = []
    test: list[Example] = []
    for unit in sorted(by_unit):
        items = by_unit[unit][:]
        rng.shuffle(items)
        cut = max(1, round(len(items) * TRAIN_SHARE))
        train += items[:cut]
        test += items[cut:]
    return train, test


@pytest.fixture(scope="module")
def trained() -> tuple[RoutingModel, list[Example], list[Example]]:
    train, test = split(labelled(), SEED)
    return RoutingModel.train(train), train, test


def test_the_labelled_set_is_what_the_docstring_says() -> None:
    examples = labelled()
    units = json.loads(DATA.read_text(encoding="utf-8"))["units"]
    assert len(examples) == 219
    assert {e.unit_id for e in examples} == set(units) and len(units) == 20
    assert all(e.title.strip() and e.content.strip() for e in examples)


def test_accuracy_at_3_on_held_out_items_reaches_the_floor(
    trained: tuple[RoutingModel, list[Example], list[Example]],
) -> None:
    model, train, test = trained
    assert len(test) >= 60 and not {id(e) for e in train} & {id(e) for e in test}
    at_3 = accuracy_at_k(model, test, k=3)
    at_1 = accuracy_at_k(model, test, k=1)
    print(f"routing: trained on {len(train)}, tested on {len(test)}: acc@1 {at_1:.3f}, acc@3 {at_3:.3f}")
    assert at_3 >= FLOOR_AT_3
    assert at_1 >= FLOOR_AT_1
    assert at_3 >= at_1


def test_the_model_beats_assignment_frequency_by_far(
    trained: tuple[RoutingModel, list[Example], list[Example]],
) -> None:
    model, train, test = trained
    blind = RoutingModel.train([Example("", "", None, e.unit_id) for e in train])  # no text: frequency only
    assert accuracy_at_k(model, test, k=3) >= accuracy_at_k(blind, test, k=3) + 0.3


def test_suggestions_are_three_known_units_best_first_with_probabilities(
    trained: tuple[RoutingModel, list[Example], list[Example]],
) -> None:
    model, _, _ = trained
    suggestions = model.suggest(
        "关于加强城区排水防涝设施建设的建议", "汛期多个片区渍水严重，建议改造老旧管网、新建泵站。", "城市建设"
    )
    assert len(suggestions) == 3
    scores = [score for _, score in suggestions]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1
    assert {unit for unit, _ in suggestions} <= set(model.units)
    assert sum(model.scores("排水", "泵站", None).values()) == pytest.approx(1.0)
    # the same question twice gets the same answer, ties included
    assert model.suggest("同一件提案", "内容", None) == model.suggest("同一件提案", "内容", None)


def test_edge_cases_without_enough_to_learn() -> None:
    assert RoutingModel.train([]).suggest("标题", "内容", None) == []
    single = RoutingModel.train([Example("关于学校的建议", "学位紧张", "科教文卫", "u-jyj")])
    assert single.suggest("任何提案", "", None) == [("u-jyj", 1.0)]
    wordless = RoutingModel.train(
        [Example("的", "", None, "a"), Example("了", "", None, "b"), Example("", "", None, "b")]
    )
    assert [unit for unit, _ in wordless.suggest("道路", "", None, k=5)] == ["b", "a"]
    assert RoutingModel.train(labelled()[:30]).suggest("标题", "内容", None, k=0) == []


def test_tokenize_drops_boilerplate_and_keeps_domain_words() -> None:
    words = tokenize("关于进一步加强我市中小学学位供给的建议")
    assert "学位" in words and "供给" in words
    assert not {"关于", "进一步", "加强", "我市", "的", "建议"} & set(words)
