"""Index terms: what a document stores in an inverted (full-text) index and what a query looks up there.

``index_terms(title, content)`` is what a document stores; ``query_terms(query)`` is what a search looks up, and a
document matches when it holds every query term (AND).

Guarantee: if a document's title or content contains each word of the query, every term of ``query_terms(query)`` is
in ``index_terms(title, content)``.

jieba alone cannot give this, because segmentation depends on context: ``cut_for_search("推动重新城市更新")`` never
yields 新城, ``"解决停车难题"`` gives 停车/难题 (no 停车难), and ``"AB超"`` splits the ASCII run into A/B超. So:

- index = jieba ``cut_for_search`` words + every character bigram of every Han run + every ASCII letter/digit run;
- query = jieba precise-mode words of each Han run, stop words dropped; a two-character word is its own bigram and is
  kept, a longer word is replaced by its bigrams, a single character is dropped; plus every ASCII run;
- both sides normalise the same way (``normalise``) and apply the same filter (``is_content``, terms capped at
  ``MAX_TERM_CHARS``), so any query term that survives is a filtered bigram or ASCII run of the document, hence in its
  index.

Bigram AND can over-match (停车 and 车难 in different places for 停车难); it never under-matches, and the caller can
rank or post-filter on the raw text. The 3+ character ``cut_for_search`` words are not needed by ``query_terms``; they
are kept so an exact whole-word lookup (e.g. a tag or a ranking boost) has something to hit. ASCII words match whole
runs: "5G" finds "5G基站" but not "15G". An empty ``query_terms`` means the query has no searchable word (only stop
words, punctuation or single characters).
"""

from collections.abc import Iterable

from cn_text.chars import ASCII_RUN, HAN_RUN, RUN, normalise
from cn_text.segment import tokenizer
from cn_text.stopwords import STOPWORDS, is_content

__all__ = ["MAX_TERM_CHARS", "bigrams", "fts_safe", "fts_terms", "han_bigrams", "index_terms", "query_terms"]

MAX_TERM_CHARS = 40


def bigrams(run: str) -> list[str]:
    """Every pair of adjacent characters of ``run``, in order."""
    return [run[i : i + 2] for i in range(len(run) - 1)]


def han_bigrams(text: str) -> list[str]:
    """The character bigrams of every Han run of ``text``, in order with repeats (none across other characters).
    ``text`` is taken as it is: normalise it first where full-width forms may occur."""
    return [b for run in HAN_RUN.findall(text) for b in bigrams(run)]


def index_terms(title: str, content: str) -> set[str]:
    """The terms to store in the inverted index for a document (see the module docstring for the guarantee)."""
    text = normalise(f"{title}\n{content}")
    terms: set[str] = {w.strip() for w in tokenizer().cut_for_search(text)}
    terms.update(han_bigrams(text))
    terms.update(ASCII_RUN.findall(text))
    return {t[:MAX_TERM_CHARS] for t in terms if is_content(t)}


def _query_run_terms(run: str) -> Iterable[str]:
    if not HAN_RUN.fullmatch(run):
        return [run]
    terms: list[str] = []
    singles = ""  # adjacent one-character words, e.g. a rare word jieba does not know (幂/等)
    for word in [*tokenizer().lcut(run), ""]:
        if len(word) == 1:
            singles += word
            continue
        if len(singles) >= 2:  # their bigrams are in the index like every bigram of the text
            terms += bigrams(singles)
        singles = ""
        if word and word not in STOPWORDS:
            terms += [word] if len(word) == 2 else bigrams(word)
    return terms


def query_terms(query: str) -> list[str]:
    """Search terms of a user query, in query order, deduplicated; [] if nothing searchable is left."""
    found = (t[:MAX_TERM_CHARS] for run in RUN.findall(normalise(query)) for t in _query_run_terms(run))
    return list(dict.fromkeys(t for t in found if is_content(t)))


def fts_terms(title: str, content: str) -> str:
    """The document's terms as one space-separated string for the database's full-text index: the index terms that
    are a Han run or an ASCII letter/digit run, i.e. every term ``query_terms`` can produce (jieba words with other
    characters, e.g. ``pm2.5``, are never queried; a tokenizer would split them anyway). Sorted, so it is stable."""
    return " ".join(sorted(t for t in index_terms(title, content) if RUN.fullmatch(t)))


def fts_safe(terms: Iterable[str]) -> list[str]:
    """Only terms that are a single Han or ASCII run: these need no quoting in an FTS5 or tsquery expression."""
    return [t for t in terms if RUN.fullmatch(t)]
