"""One normal form for Chinese text, and the character runs the other modules cut it into."""

import re
import unicodedata

__all__ = ["ASCII_RUN", "HAN_RUN", "RUN", "normalise"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"  # CJK Unified Ideographs and Extension A
HAN_RUN = re.compile(f"[{_HAN}]+")
ASCII_RUN = re.compile("[0-9a-z]+")  # in normalised text, where letters are lowercase
RUN = re.compile(f"[{_HAN}]+|[0-9a-z]+")  # a term of either kind: needs no quoting in a full-text query


def normalise(text: str) -> str:
    """NFKC, then lowercase: full-width letters, digits and punctuation (５Ｇ, ，) fold to their ASCII forms, and 5G
    and 5g are one term."""
    return unicodedata.normalize("NFKC", text).lower()
