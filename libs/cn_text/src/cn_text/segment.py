"""jieba, loaded once per process, and the content words it cuts a text into."""

import logging
import re
import threading
import unicodedata
from typing import Any

import jieba

from cn_text.stopwords import is_content

__all__ = ["tokenizer", "tokens"]

_NUMBER = re.compile(r"[\d.%]+")

_lock = threading.Lock()
_tokenizer: Any = None  # jieba ships no type hints


def tokenizer() -> Any:
    """The process's own ``jieba.Tokenizer`` (jieba's global default is left alone), loaded on first use, once, even
    from several threads at a time: its dictionary costs ~1.5 s and ~63 MiB of RSS, so a process that never cuts text
    never pays. Read-only once loaded, so any thread may use it. Calling it at start-up loads it ahead of the first
    request."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary load at DEBUG/INFO to stderr
                loaded = jieba.Tokenizer()
                loaded.initialize()
                _tokenizer = loaded
    return _tokenizer


def tokens(text: str, *, numbers: bool = True) -> list[str]:
    """jieba precise-mode words of ``text``, in order with repeats, normalised like ``normalise``: no stop words,
    punctuation or single Han characters (``is_content``); ``numbers=False`` also drops bare numbers (2023, 3.5,
    80%), which name no topic."""
    # jieba cuts the NFKC text before lowercasing: its dictionary has words like B超, T恤 and C++.
    cut: list[str] = tokenizer().lcut(unicodedata.normalize("NFKC", text))
    return [w for raw in cut if is_content(w := raw.strip().lower()) and (numbers or not _NUMBER.fullmatch(w))]
