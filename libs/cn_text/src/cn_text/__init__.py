"""Chinese text for the services: normalising, the jieba tokenizer, stop words, index terms. Pure, no I/O beyond
jieba's dictionary; scoring (similar items, routing, reply coverage) stays with the service that owns it.

- ``normalise``: NFKC and lowercase, the one normal form; ``HAN_RUN``, ``ASCII_RUN``, ``RUN``: the character runs.
- ``tokenizer``: the process's jieba, loaded lazily once; ``tokens``: the content words of a text.
- ``STOPWORDS`` and ``is_content``: the one stop-word list (why each word is there: ``cn_text.stopwords``).
- ``index_terms``, ``query_terms``, ``fts_terms``, ``fts_safe``, ``bigrams``, ``han_bigrams``: the terms of an
  inverted index over Han bigrams and jieba words, with the guarantee that a query never misses (``cn_text.terms``).
"""

from cn_text.chars import ASCII_RUN, HAN_RUN, RUN, normalise
from cn_text.segment import tokenizer, tokens
from cn_text.stopwords import STOPWORDS, is_content
from cn_text.terms import MAX_TERM_CHARS, bigrams, fts_safe, fts_terms, han_bigrams, index_terms, query_terms

__all__ = [
    "ASCII_RUN",
    "HAN_RUN",
    "MAX_TERM_CHARS",
    "RUN",
    "STOPWORDS",
    "bigrams",
    "fts_safe",
    "fts_terms",
    "han_bigrams",
    "index_terms",
    "is_content",
    "normalise",
    "query_terms",
    "tokenizer",
    "tokens",
]
