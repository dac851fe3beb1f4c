"""Reply coverage (issue 16): which of a proposal's numbered suggestions a reply responds to.
Pure functions, no database.

A proposal usually makes its asks as a numbered list: 一是…二是…, （一）（二）…, 1. 2. / 1、2、, or
第一，第二，…. ``suggestions(text)`` finds the numbering style used at least twice in order (一, 二,
三… or 1, 2, 3…) and cuts the text at its markers; the last suggestion ends at the end of its
paragraph (closing remarks after a blank line are not part of it). Without such a list the whole
text is one suggestion.

``coverage(suggestions, reply)`` scores each suggestion against each sentence of the reply: the
share of the suggestion's content bigrams (character pairs of its jieba words, stop words, bare
numbers and single characters dropped: cn_text.tokens) that occur in the sentence, each bigram
weighted by 1 / the number of the proposal's suggestions it occurs in, so the topic the whole
proposal shares (养老, 停车) counts for little and what sets one suggestion apart counts for much.
A reply paraphrases (增设接驳公交 → 开通接驳微循环线路), so character pairs match where whole
words do not. A suggestion is answered when its best sentence scores at least ``ANSWERED_AT``; the
best sentence is kept as the evidence shown to staff.

Measured on services/assignment/tests/data/reply_coverage.json (pairs written for the test
before this scoring was chosen, labelled by whether the reply responds to each suggestion):
test_coverage.py prints precision and recall of the "not answered" flag, the one staff act on,
and holds them above ``FLOOR``.
"""

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from cn_text import HAN_RUN, han_bigrams, tokens

# A suggestion counts as answered when its best reply sentence carries this share of its weight.
ANSWERED_AT = 0.34
# What the labelled set must keep: precision and recall of the "not answered" flag.
FLOOR = 0.7

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CN = "[一二三四五六七八九十]{1,2}"
# The numbering styles, each with its number as group 1; a marker starts the text, a line or a
# clause (after 。；：，), so "统一是" in a sentence is no marker.
_STYLES = (
    re.compile(rf"(?:^|(?<=[\n。；;：:，,]))\s*({_CN})是"),
    re.compile(rf"(?:^|(?<=[\n。；;：:，,]))\s*[（(]({_CN})[）)]"),
    re.compile(r"(?:^|(?<=[\n。；;：:]))\s*(\d{1,2})[.、．]"),
    re.compile(r"(?:^|(?<=[\n。；;：:，,]))\s*[（(](\d{1,2})[）)]"),
    re.compile(rf"(?:^|(?<=[\n。；;：:，,]))\s*第({_CN})[，,、：:]"),
)
_SENTENCE_END = re.compile(r"(?<=[。；;！!？?\n])")
_TRAILING = "。；;，,、：: \n\t"


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 2:  # 十一…十九
        return 10 + _CN_DIGITS.get(text[1], 0) if text[0] == "十" else 0
    return _CN_DIGITS.get(text, 0)


def _ordered_run(matches: list[re.Match[str]]) -> list[re.Match[str]]:
    """The longest stretch of markers numbered 1, 2, 3… in order (other matches skipped)."""
    run: list[re.Match[str]] = []
    for m in matches:
        if _number(m.group(1)) == len(run) + 1:
            run.append(m)
    return run


def suggestions(text: str) -> list[str]:
    """The proposal's numbered suggestions, in order, without their markers; the whole text when it
    numbers none."""
    text = unicodedata.normalize("NFC", text)
    best: list[re.Match[str]] = []
    for style in _STYLES:
        run = _ordered_run(list(style.finditer(text)))
        if len(run) > len(best) or (len(run) == len(best) and run and best and run[0].start() < best[0].start()):
            best = run
    if len(best) < 2:
        return [text.strip(_TRAILING)]
    out = []
    for i, marker in enumerate(best):
        end = best[i + 1].start() if i + 1 < len(best) else len(text)
        part = text[marker.end() : end]
        if i + 1 == len(best):
            part = re.split(r"\n\s*\n", part, maxsplit=1)[0]  # closing remarks after a blank line
        out.append(part.strip(_TRAILING))
    return out


@functools.lru_cache(maxsize=4096)  # the replies list scores coverage on every read: cut each text once
def _words(text: str) -> tuple[str, ...]:
    return tuple(tokens(text, numbers=False))


def _content_bigrams(text: str) -> set[str]:
    """Character pairs of the text's content words (and ASCII words whole)."""
    out: set[str] = set()
    for word in _words(text):
        out |= set(han_bigrams(word)) if HAN_RUN.search(word) else {word}
    return out


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(unicodedata.normalize("NFC", text)) if s.strip(_TRAILING)]


@dataclass(frozen=True)
class Covered:
    """One suggestion of the proposal and what the reply says to it."""

    number: int
    suggestion: str
    answered: bool
    score: float
    evidence: str | None  # the reply sentence that answers it best (None when nothing scores)


def coverage(asks: list[str], reply: str) -> list[Covered]:
    """For each suggestion (``suggestions(...)``), whether the reply responds to it."""
    terms = [_content_bigrams(a) for a in asks]
    shared = Counter(b for t in terms for b in t)
    parts = [(s, set(han_bigrams(s)) | {w for w in _words(s) if not HAN_RUN.search(w)}) for s in sentences(reply)]
    out = []
    for number, (ask, own) in enumerate(zip(asks, terms, strict=True), start=1):
        weight = {b: 1 / shared[b] for b in own}
        total = sum(weight.values())
        best, evidence = 0.0, None
        for sentence, seen in parts:
            score = sum(w for b, w in weight.items() if b in seen) / total if total else 0.0
            if score > best:
                best, evidence = score, sentence
        out.append(Covered(number, ask, best >= ANSWERED_AT, round(best, 3), evidence))
    return out
