"""Checks for text users type into titles, names and bodies of text (no domain rules).

Refused everywhere: C0 controls other than line breaks and tabs (PostgreSQL cannot store NUL),
DEL and the C1 controls U+0080-U+009F (invisible, and terminals act on some), lone UTF-16
surrogates (no database can encode them), and the bidirectional overrides and isolates
U+202A-U+202E and U+2066-U+2069, which make a name display as another ("Trojan Source",
CVE-2021-42574). One-line names refuse line breaks and tabs too.
"""

import re

_REFUSED = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_TEXT = re.compile(f"[{_REFUSED}]")
_LINE = re.compile(f"[{_REFUSED}\t\n\r]")


def checked_text(value: str | None) -> str | None:
    """A text that may span lines; raises ValueError (a 422 naming the field) otherwise."""
    if value is not None and _TEXT.search(value):
        raise ValueError("control, bidirectional-override or surrogate characters are not allowed")
    return value


def checked_line(value: str | None) -> str | None:
    """A name or title on one line."""
    if value is not None and _LINE.search(value):
        raise ValueError("line breaks, control, bidirectional-override or surrogate characters are not allowed")
    return value
