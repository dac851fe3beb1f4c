"""Chinese text functions of the proposal service: search terms and similar-item detection. Pure, no database.

Search terms
    ``index_terms(title, content)`` is what a proposal stores in the inverted index; ``query_terms(query)`` is what a
    search looks up, and a document matches when it holds every query term (AND).

    Guarantee: if a document's title or content contains each word of the query, every term of ``query_terms(query)``
    is in ``index_terms(title, content)``.

    jieba alone cannot give this, because segmentation depends on context: ``cut_for_search("推动重新城市更新")`` never
    yields 新城, ``"解决停车难题"`` gives 停车/难题 (no 停车难), and ``"AB超"`` splits the ASCII run into A/B超. So:

    - index = jieba ``cut_for_search`` words + every character bigram of every Han run + every ASCII letter/digit run;
    - query = jieba precise-mode words of each Han run, stopwords dropped; a two-character word is its own bigram and
      is kept, a longer word is replaced by its bigrams, a single character is dropped; plus every ASCII run;
    - both sides normalise the same way (NFKC, lowercase) and apply the same filter (no stopwords, no single Han
      characters, terms capped at 40 chars), so any query term that survives is a filtered bigram or ASCII run of the
      document, hence in its index.

    Bigram AND can over-match (停车 and 车难 in different places for 停车难); it never under-matches, and the caller
    can rank or post-filter on the raw text. The 3+ character ``cut_for_search`` words are not needed by
    ``query_terms``; they are kept so an exact whole-word lookup (e.g. a tag or a ranking boost) has something to hit.
    ASCII words match whole runs: "5G" finds "5G基站" but not "15G". An empty ``query_terms`` means the query has no
    searchable word (only stopwords/punctuation/single characters).

Similarity
    Scoring works on an item's words: jieba precise-mode tokens of its title and of its whole text (title + content),
    with repeats. Weights are TF-IDF (sublinear tf, smooth idf ``ln((1 + n) / (1 + df)) + 1``, l2 norm), computed in
    plain Python over sparse dicts, so no numpy/scipy/scikit-learn is loaded (~97 MiB of RSS). A pair scores
    ``0.75 * cos(full_a, full_b) + 0.25 * title coverage``, where the coverage of a's title by b is the share of a's
    title TF-IDF weight (squared, so it sums to 1) carried by words that occur anywhere in b, averaged over both
    directions. Title words thus count twice: the 案由 states the concrete ask, while bodies carry background that
    same-topic items share. Coverage matches a title against the other's whole text, not its title, because two
    members asking the same thing title it differently (提升城市防涝排水能力 / 根治中心城区渍水点) yet repeat the ask's
    words in the body: on the labelled set a plain title-vs-title cosine at weight 0.35 dropped ROC AUC from 1.00 (no
    title term) to 0.97, coverage at 0.25 to 0.99. A weighted sum is used rather than repeating title tokens, which
    sublinear tf would damp to a log. Identical items score 1.0; when either title has no tokens (e.g. only
    stopwords) the full-text cosine alone is used. Single Han characters are dropped like stopwords: in precise mode
    they are mostly particles or HMM fragments.

    ``rank_similar(item, candidates)`` fits the document frequencies on the candidates plus the item (the reference
    form, used by the labelled-set test). The service instead stores each item's ``words`` when it is written, keeps
    corpus document frequencies, looks candidates up by the item's rarest words (``probe_words``, ``shortlist``) and
    scores only that short list with ``rank_words`` and the corpus idf (proposal_service.domain.similar).

    ``SIMILARITY_THRESHOLD`` = 0.21 was read off services/proposal/tests/data/similar_pairs.json (89 hand-written
    pairs: 45 near-duplicates, 44 unrelated or same-topic-different-ask, written before any tuning): it sits between
    the lowest duplicate (0.216) and the highest negative below it (0.196), for precision 0.957 and recall 1.0; two
    hard negatives score above it (0.25, 0.29). Choosing the threshold on a random half and testing on the other half
    gave F1 0.90-1.00 over ten splits. Scores are cosines, not probabilities: paraphrased duplicates land around
    0.2-0.6, and the scale depends on text length and on the corpus the IDF is fitted on, so re-check the threshold
    against real filings once there are some; for flagging possible duplicates to staff, err low.

    Speed: jieba runs at ~250k chars/s, so ``rank_similar`` caches tokens per text (LRU, interned); ``warm_up()``
    loads the dictionary. The service path never re-tokenises stored items, so it does not use that cache.
"""

from __future__ import annotations

import functools
import heapq
import logging
import math
import re
import sys
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jieba

__all__ = [
    "SIMILARITY_THRESHOLD",
    "STOPWORDS",
    "TextItem",
    "Words",
    "fts_terms",
    "index_terms",
    "probe_words",
    "query_terms",
    "rank_similar",
    "rank_words",
    "shortlist",
    "smooth_idf",
    "tokens",
    "warm_up",
    "words",
]

SIMILARITY_THRESHOLD: float = 0.21
TITLE_WEIGHT = 0.25
MAX_TERM_CHARS = 40

# Two groups. Function words and pronouns, as in any Chinese stopword list. Then the proposal boilerplate: nearly
# every 案由 reads 关于[进一步][加强/推进/加快]我市……工作的建议/提案, and nearly every body says 建议有关部门……
# 完善……机制/措施. These words carry no concrete ask, so for similarity they would make any two proposals look
# alike, and for search they would match every document. Domain nouns that are common but meaningful (建设, 服务,
# 管理, 小区, 企业) are kept: IDF damps them in similarity and a user may well search for them.
# fmt: off
STOPWORDS: frozenset[str] = frozenset([
    # function words and pronouns
    "的", "地", "得", "了", "着", "过", "和", "与", "及", "以及", "或", "或者", "并", "并且", "而", "而且", "且", "等",
    "等等", "之", "其", "其中", "此", "该", "这", "那", "这些", "那些", "这个", "那个", "一", "一个", "一些", "一是",
    "二是", "三是", "四是", "五是", "在", "对", "对于", "为", "为了", "将", "把", "被", "从", "向", "于", "以", "由",
    "给", "让", "使", "是", "有", "就", "也", "都", "还", "又", "要", "应", "应当", "应该", "可", "可以", "能", "能够",
    "会", "已", "已经", "不", "没有", "很", "较", "更", "更加", "最", "我", "我们", "你", "你们", "他", "他们", "它",
    "它们", "其他", "各", "各类", "各种", "每", "所", "所有", "如", "如果", "但", "但是", "因", "因为", "所以", "通过",
    "按照", "根据", "围绕", "针对", "目前", "当前", "现在", "近年来", "今年", "去年", "部分", "不少", "许多", "很多",
    "较多", "较大", "一定", "一批", "多数", "主要", "重要", "同时", "此外", "首先", "其次", "以上", "以下",
    # proposal boilerplate
    "关于", "建议", "建议案", "提案", "议案", "意见", "提议", "呼吁", "对策", "措施", "思考", "几点", "若干", "有关",
    "相关", "方面", "问题", "工作", "情况", "现状", "存在", "进行", "开展", "实施", "实行", "落实", "加强", "推进",
    "加快", "推动", "促进", "进一步", "切实", "积极", "大力", "不断", "持续", "全面", "完善", "提升", "提高", "强化",
    "优化", "深化", "健全", "做好", "抓好", "着力", "努力", "有效", "充分", "逐步", "尽快", "给予", "确保", "机制",
    "体系", "力度", "水平", "部门", "有关部门", "相关部门", "政府", "我市", "我区", "我省", "我国", "全市", "全区",
    "全省", "本市", "本区", "各区", "各级",
])
# fmt: on

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_ASCII_RUN = re.compile("[0-9a-z]+")
_RUN = re.compile(f"[{_HAN}]+|[0-9a-z]+")
_WORDLIKE = re.compile(r"\w")  # a token with no letter, digit or Han char is punctuation/whitespace

_lock = threading.Lock()
_tokenizer: Any = None  # jieba ships no type hints


def _jieba() -> Any:
    """The process-wide jieba tokenizer, loaded once (~1 s) on first use; thread-safe."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary load at DEBUG/INFO to stderr
                tokenizer = jieba.Tokenizer()  # own instance: leave jieba's global default untouched
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def warm_up(items: Iterable[TextItem] = ()) -> None:
    """Load the jieba dictionary now (at service start) instead of on the first request, and tokenize ``items``
    (e.g. the open session's proposals) into the cache so the first ``rank_similar`` over them is fast."""
    _jieba()
    for item in items:
        _cached_tokens(item.title)
        _cached_tokens(item.content)


def _normalise(text: str) -> str:
    # NFKC folds full-width letters, digits and punctuation (５Ｇ, ，) to their ASCII forms.
    return unicodedata.normalize("NFKC", text).lower()


def _keep(term: str) -> bool:
    return (
        bool(_WORDLIKE.search(term))
        and term not in STOPWORDS
        and not (len(term) == 1 and _HAN_RUN.fullmatch(term) is not None)
    )


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


@functools.lru_cache(maxsize=16_384)  # title and content of a few thousand items; tokens are interned, so ~8 B each
def _cached_tokens(text: str) -> tuple[str, ...]:
    words: list[str] = _jieba().lcut(unicodedata.normalize("NFKC", text))
    return tuple(sys.intern(t) for w in words if _keep(t := w.strip().lower()))


def tokens(text: str) -> list[str]:
    """jieba precise-mode tokens of ``text``: no stopwords, punctuation or single Han characters; ASCII lowercased;
    numbers kept."""
    return list(_cached_tokens(text))


def index_terms(title: str, content: str) -> set[str]:
    """The terms to store in the inverted index for a document (see the module docstring for the guarantee)."""
    text = _normalise(f"{title}\n{content}")
    terms: set[str] = {w.strip() for w in _jieba().cut_for_search(text)}
    terms.update(b for run in _HAN_RUN.findall(text) for b in _bigrams(run))
    terms.update(_ASCII_RUN.findall(text))
    return {t[:MAX_TERM_CHARS] for t in terms if _keep(t)}


def _query_run_terms(run: str) -> Iterable[str]:
    if not _HAN_RUN.fullmatch(run):
        return [run]
    terms: list[str] = []
    singles = ""  # adjacent one-character words, e.g. a rare word jieba does not know (幂/等)
    for word in [*_jieba().lcut(run), ""]:
        if len(word) == 1:
            singles += word
            continue
        if len(singles) >= 2:  # their bigrams are in the index like every bigram of the text
            terms += _bigrams(singles)
        singles = ""
        if word and word not in STOPWORDS:
            terms += [word] if len(word) == 2 else _bigrams(word)
    return terms


def query_terms(query: str) -> list[str]:
    """Search terms of a user query, in query order, deduplicated; [] if nothing searchable is left."""
    found = (t[:MAX_TERM_CHARS] for run in _RUN.findall(_normalise(query)) for t in _query_run_terms(run))
    return list(dict.fromkeys(t for t in found if _keep(t)))


def fts_terms(title: str, content: str) -> str:
    """The document's terms as one space-separated string for the database's full-text index: the index terms that
    are a Han run or an ASCII letter/digit run, i.e. every term ``query_terms`` can produce (jieba words with other
    characters, e.g. ``pm2.5``, are never queried; a tokenizer would split them anyway). Sorted, so it is stable."""
    return " ".join(sorted(t for t in index_terms(title, content) if _RUN.fullmatch(t)))


def fts_safe(terms: Iterable[str]) -> list[str]:
    """Only terms that are a single Han or ASCII run: these need no quoting in an FTS5 or tsquery expression."""
    return [t for t in terms if _RUN.fullmatch(t)]


@dataclass(frozen=True)
class TextItem:
    id: str
    title: str
    content: str


@dataclass(frozen=True)
class Words:
    """An item's similarity words: jieba tokens of its title and of its whole text (title + content), with repeats."""

    title: tuple[str, ...]
    full: tuple[str, ...]

    def serialise(self) -> tuple[str, str]:
        return " ".join(self.title), " ".join(self.full)

    @classmethod
    def parse(cls, title: str, full: str) -> Words:
        return cls(tuple(title.split()), tuple(full.split()))


def _tokens_uncached(text: str) -> tuple[str, ...]:
    words: list[str] = _jieba().lcut(unicodedata.normalize("NFKC", text))
    return tuple(t for w in words if _keep(t := w.strip().lower()))


def words(title: str, content: str) -> Words:
    """The words to store for an item when it is written (not cached: the service stores them instead). Capped at
    ``MAX_TERM_CHARS`` like index terms, so a word fits the document-frequency table."""
    title_words = tuple(t[:MAX_TERM_CHARS] for t in _tokens_uncached(title))
    return Words(title_words, title_words + tuple(t[:MAX_TERM_CHARS] for t in _tokens_uncached(content)))


def smooth_idf(df: Mapping[str, int], n_docs: int) -> Callable[[str], float]:
    """scikit-learn's smooth idf, ``ln((1 + n) / (1 + df)) + 1``; a word missing from ``df`` counts as df 0."""
    base = math.log(1 + n_docs)
    return lambda word: base - math.log(1 + df.get(word, 0)) + 1


_SUBLINEAR = [0.0] + [1 + math.log(n) for n in range(1, 256)]  # sublinear tf, 1 + ln(tf), for the usual counts


def _weights(tokens: Sequence[str], idf: Mapping[str, float]) -> dict[str, float]:
    weights = {t: (_SUBLINEAR[n] if n < 256 else 1 + math.log(n)) * idf[t] for t, n in Counter(tokens).items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm else {}


@dataclass(frozen=True)
class _Vectors:
    title: dict[str, float]  # l2-normalised
    full: dict[str, float]  # not normalised: the cosine divides by ``norm`` (one pass less per candidate)
    norm: float


def _vectors(item: Words, idf: Mapping[str, float]) -> _Vectors:
    full = {t: (_SUBLINEAR[n] if n < 256 else 1 + math.log(n)) * idf[t] for t, n in Counter(item.full).items()}
    norm = math.sqrt(sum(w * w for w in full.values()))
    return _Vectors(_weights(item.title, idf), full, norm)


def _idf_table(docs: Iterable[Words], idf: Callable[[str], float]) -> dict[str, float]:
    # One idf per distinct word, so weighting a document is dict lookups, not a logarithm per token.
    return {w: idf(w) for w in {w for d in docs for w in d.full}}


def _score(a: _Vectors, b: _Vectors) -> float:
    if not (a.norm and b.norm):
        return 0.0
    small, large = (a.full, b.full) if len(a.full) <= len(b.full) else (b.full, a.full)
    cosine = sum(w * large[t] for t, w in small.items() if t in large) / (a.norm * b.norm)
    if not (a.title and b.title):
        return cosine
    # Title coverage: the share of a title's squared weight (which sums to 1) carried by words that occur anywhere in
    # the other text, averaged both ways. 1.0 for identical items, and robust to two authors titling the same ask
    # differently (防涝 / 渍水点) as long as the ask's words recur in the other body.
    coverage = (
        sum(w * w for t, w in a.title.items() if t in b.full) + sum(w * w for t, w in b.title.items() if t in a.full)
    ) / 2
    return TITLE_WEIGHT * coverage + (1 - TITLE_WEIGHT) * cosine


def rank_words(
    item: Words,
    candidates: Sequence[tuple[str, Words]],
    idf: Callable[[str], float],
    *,
    limit: int = 5,
    min_score: float = 0.0,
) -> list[tuple[str, float]]:
    """Like ``rank_similar`` over stored words, with the caller's idf (e.g. the corpus's, ``smooth_idf``)."""
    if not candidates or limit <= 0:
        return []
    table = _idf_table([item, *(c for _, c in candidates)], idf)
    mine = _vectors(item, table)
    scored = [(cid, min(1.0, max(0.0, round(_score(mine, _vectors(c, table)), 3)))) for cid, c in candidates]
    scored.sort(key=lambda pair: -pair[1])  # stable: ties stay in input order
    return [(cid, score) for cid, score in scored[:limit] if score >= min_score]


def rank_similar(
    item: TextItem, candidates: Sequence[TextItem], *, limit: int = 5, min_score: float = 0.0
) -> list[tuple[str, float]]:
    """The ``limit`` candidates most similar to ``item`` with score >= ``min_score``, best first (ties in input
    order), as (id, score) with score in [0, 1] rounded to 3 decimals. Candidates with ``item.id`` are skipped.
    The idf is fitted on the candidates plus the item."""
    others = [c for c in candidates if c.id != item.id]
    if not others or limit <= 0:
        return []
    docs = []
    for d in (item, *others):
        title = _cached_tokens(d.title)
        docs.append(Words(title, title + _cached_tokens(d.content)))
    df = Counter(t for d in docs for t in set(d.full))
    idf = smooth_idf(df, len(docs))
    return rank_words(
        docs[0], [(o.id, d) for o, d in zip(others, docs[1:], strict=True)], idf, limit=limit, min_score=min_score
    )


# --- candidates for the service path ---

PROBE_WORDS = 24  # look candidates up by at most this many of the item's rarest words ...
PROBE_BUDGET = 20_000  # ... whose document frequencies add up to at most this (the rarest one always counts)
SHORTLIST = 200  # exact scoring on at most this many candidates


def probe_words(item: Words, df: Mapping[str, int]) -> list[str]:
    """The item's rarest words shared with at least one other document (``df`` counts the item itself), rarest
    first, to look candidates up by in the full-text index. Words a full-text query cannot hold are skipped."""
    shared = sorted((df.get(w, 0), w) for w in set(item.full) if df.get(w, 0) >= 2 and _RUN.fullmatch(w))
    chosen: list[str] = []
    total = 0
    for count, word in shared[:PROBE_WORDS]:
        if chosen and total + count > PROBE_BUDGET:
            break
        chosen.append(word)
        total += count
    return chosen


def shortlist(
    item: Words, postings: Mapping[str, Iterable[str]], idf: Callable[[str], float], *, size: int = SHORTLIST
) -> list[str]:
    """The ``size`` documents that carry most of the item's weight over the probed words (``postings``: word -> ids
    of documents holding it), best first, ties by id."""
    weights = _weights(item.full, _idf_table([item], idf))
    scores: dict[str, float] = {}
    for word, ids in postings.items():
        weight = weights.get(word, 0.0)
        for doc_id in ids:
            scores[doc_id] = scores.get(doc_id, 0.0) + weight
    return [doc_id for doc_id, _ in heapq.nsmallest(size, scores.items(), key=lambda kv: (-kv[1], kv[0]))]
