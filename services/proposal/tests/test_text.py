"""Search terms and similar-item detection (proposal_service.text): pure functions, no database."""

import json
import random
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from proposal_service.text import (
    SIMILARITY_THRESHOLD,
    STOPWORDS,
    TextItem,
    index_terms,
    query_terms,
    rank_similar,
    tokens,
    warm_up,
)

# Measured at SIMILARITY_THRESHOLD = 0.21: precision 0.957 (45/47), recall 1.0 (45/45). The floors leave room for
# about three more misses either way, e.g. from a jieba dictionary update.
PRECISION_FLOOR = 0.90
RECALL_FLOOR = 0.90

PAIRS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "similar_pairs.json").read_text("utf-8"))[
    "pairs"
]
ITEMS = [TextItem(f"{i}{side}", **pair[side]) for i, pair in enumerate(PAIRS) for side in ("a", "b")]
HAN = re.compile("[\u4e00-\u9fff]")
PUNCTUATION = set("，。、；：？！“”‘’（）《》【】「」…—·,.;:?!()[]\"' \t\n")


def test_labelled_set_is_balanced_and_complete() -> None:
    assert len(PAIRS) >= 80
    positives = sum(pair["similar"] for pair in PAIRS)
    assert 0.4 <= positives / len(PAIRS) <= 0.6
    assert all(pair[side]["title"] and pair[side]["content"] for pair in PAIRS for side in ("a", "b"))
    assert len({(item.title, item.content) for item in ITEMS}) == len(ITEMS)


def test_precision_and_recall_on_the_labelled_set() -> None:
    tp = fp = fn = 0
    for i, pair in enumerate(PAIRS):
        a = ITEMS[2 * i]
        ranked = dict(rank_similar(a, [item for item in ITEMS if item.id != a.id], limit=len(ITEMS)))
        predicted = ranked[f"{i}b"] >= SIMILARITY_THRESHOLD
        tp += predicted and pair["similar"]
        fp += predicted and not pair["similar"]
        fn += not predicted and pair["similar"]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\nthreshold {SIMILARITY_THRESHOLD}: precision {precision:.3f} ({tp}/{tp + fp}), recall {recall:.3f}")
    assert precision >= PRECISION_FLOOR
    assert recall >= RECALL_FLOOR


# --- search terms ---


def _found(query: str, title: str, content: str) -> bool:
    terms = query_terms(query)
    return bool(terms) and set(terms) <= index_terms(title, content)


@pytest.mark.parametrize(
    ("query", "title", "content"),
    [
        ("新城", "关于加快武汉新城建设的建议", "武汉新城建设是全市重点工作。"),
        ("新城", "关于推动重新城市更新的建议", ""),  # jieba cuts 重新/城市, so only the bigram finds it
        ("停车难", "关于破解老旧小区停车难问题的建议", "居民反映停车难。"),
        ("停车难", "关于解决停车难题的建议", ""),  # jieba: 停车/难题
        ("地铁 站", "关于优化地铁站点公交接驳的建议", "出站后步行距离远。"),
        ("5G", "关于加快5G基站建设的建议", "5G网络覆盖不足。"),
        ("５ｇ 基站", "关于加快5G基站建设的建议", ""),
        ("B超", "", "孕妇做B超检查排队时间长。"),  # ASCII words match whole runs: "B超" would not find "AB超"
        ("湖北省博物馆 夜间开放", "关于推动博物馆夜间延时开放的建议", "建议湖北省博物馆在暑期实行夜间开放。"),
        ("PM2.5", "", "扬尘成为PM2.5的重要来源。"),
        ("电动自行车充电", "", "小区电动自行车集中充电设施不足。"),
    ],
)
def test_a_document_containing_the_query_words_is_found(query: str, title: str, content: str) -> None:
    assert _found(query, title, content)


def test_query_terms_are_in_the_index_for_every_substring_of_the_labelled_texts() -> None:
    # A substring of a document contains only words the document contains, so the guarantee must hold for it, as
    # long as it does not cut an ASCII word in two (ASCII words match whole runs).
    rng = random.Random(0)
    for item in ITEMS:
        text = f"{item.title}\n{item.content}"
        indexed = index_terms(item.title, item.content)
        for _ in range(20):
            start = rng.randrange(len(text))
            end = min(len(text), start + rng.randint(2, 12))
            while start > 0 and text[start - 1 : start + 1].isascii() and text[start - 1 : start + 1].isalnum():
                start -= 1
            while end < len(text) and text[end - 1 : end + 1].isascii() and text[end - 1 : end + 1].isalnum():
                end += 1
            query = text[start:end]
            assert set(query_terms(query)) <= indexed, query
        for word in tokens(text):
            assert set(query_terms(word)) <= indexed, word


def test_query_terms_shape() -> None:
    assert query_terms("地铁 站") == ["地铁"]  # a lone Han character is not a term
    assert query_terms("5G") == ["5g"]
    assert query_terms("新城 新城") == ["新城"]
    assert query_terms("老旧小区停车难") == ["老旧", "小区", "停车", "车难"]  # 3+ character words fall back to bigrams
    assert query_terms("关于进一步加强我市工作的建议") == []
    assert query_terms("，。！ ") == []
    assert query_terms("") == []


def test_index_terms_drop_stopwords_single_characters_and_cap_length() -> None:
    terms = index_terms("关于进一步加强我市老旧小区停车管理工作的建议", "x" * 60 + "，。！")
    assert terms.isdisjoint(STOPWORDS)
    assert not any(len(t) == 1 and HAN.fullmatch(t) for t in terms)
    assert {"老旧", "小区", "停车", "管理", "x" * 40} <= terms
    assert all(len(t) <= 40 for t in terms)
    assert not terms & PUNCTUATION


def test_tokens_drop_stopwords_and_punctuation_keep_numbers() -> None:
    words = tokens("关于进一步加强我市老旧小区停车管理工作的建议：2024年，新增停车位３０００个！ＡＥＤ")
    assert set(words).isdisjoint(STOPWORDS)
    assert not any(set(w) & PUNCTUATION for w in words)
    assert {"老旧", "小区", "停车", "2024", "3000", "aed"} <= set(words)
    assert tokens("的了，。") == []


# --- ranking ---


def _item(id_: str, title: str, content: str = "") -> TextItem:
    return TextItem(id_, title, content)


PARKING = _item("p", "关于破解老旧小区停车难问题的建议", "老旧小区停车位严重不足，建议利用闲置地建设停车场。")
CANDIDATES = [
    _item("school", "关于提升中小学课后服务质量的建议", "引入体育艺术资源进校园。"),
    _item("parking-copy", PARKING.title, PARKING.content),
    _item("parking-paraphrase", "关于缓解老旧社区停车矛盾的提案", "老旧社区停车位不足，建议利用闲置用地建设停车场。"),
    _item("lake", "关于推进湖泊水生态修复的建议", "种植沉水植物，构建水下森林。"),
]


def test_rank_orders_best_first_and_excludes_the_item_itself() -> None:
    ranked = rank_similar(PARKING, [PARKING, *CANDIDATES], limit=10)
    ids = [id_ for id_, _ in ranked]
    assert "p" not in ids
    assert ids[:2] == ["parking-copy", "parking-paraphrase"]
    assert ranked[0][1] == 1.0
    assert ranked[1][1] >= SIMILARITY_THRESHOLD
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 and round(s, 3) == s for s in scores)


def test_rank_limit_and_min_score() -> None:
    assert len(rank_similar(PARKING, CANDIDATES, limit=2)) == 2
    assert rank_similar(PARKING, CANDIDATES, limit=0) == []
    assert [i for i, _ in rank_similar(PARKING, CANDIDATES, min_score=SIMILARITY_THRESHOLD)] == [
        "parking-copy",
        "parking-paraphrase",
    ]


def test_rank_empty_inputs() -> None:
    assert rank_similar(PARKING, []) == []
    assert rank_similar(PARKING, [PARKING]) == []
    empty = _item("e", "的建议", "，。")
    assert rank_similar(empty, CANDIDATES) == [(c.id, 0.0) for c in CANDIDATES]
    assert rank_similar(empty, [_item("f", "", "")]) == [("f", 0.0)]  # no vocabulary at all
    assert rank_similar(empty, [_item("f", "", "")], min_score=0.01) == []


def test_a_title_of_only_stopwords_still_matches_its_copy_fully() -> None:
    item = _item("a", "关于进一步加强相关工作的建议", "老旧小区停车位严重不足。")
    assert rank_similar(item, [_item("b", item.title, item.content), *CANDIDATES])[0] == ("b", 1.0)


def test_rank_two_thousand_candidates_with_a_warm_cache() -> None:
    # Its speed is the bench's business (tests/bench); here: the answer over many candidates is well formed.
    rng = random.Random(1)
    sentences = [s + "。" for item in ITEMS for s in item.content.split("。") if s]
    candidates = [
        _item(str(i), rng.choice(ITEMS).title + str(i), "".join(rng.sample(sentences, 3))) for i in range(2000)
    ]
    warm_up(candidates)
    ranked = rank_similar(ITEMS[0], candidates)
    assert len(ranked) == 5
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert len({item_id for item_id, _ in ranked}) == 5


def test_warm_up_is_safe_from_several_threads() -> None:
    threads = [threading.Thread(target=warm_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens("武汉新城") == ["武汉", "新城"]
