import pytest

from servicekit.text import checked_line, checked_text

REFUSED = ["\x00", "\x1b", "\x7f", "\x80", "\x85", "\x9f", "\u202a", "\u202e", "\u2066", "\u2069", "\ud800"]


@pytest.mark.parametrize("bad", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_controls_bidi_overrides_and_surrogates_are_refused(bad: str) -> None:
    for check in (checked_text, checked_line):
        with pytest.raises(ValueError, match="not allowed"):
            check(f"政协{bad}委员会")


def test_plain_text_passes_and_only_texts_keep_line_breaks() -> None:
    for ok in ("政协武汉市委员会", "Café ½ «»", "\u200d\u00a0", None):
        assert checked_line(ok) == ok and checked_text(ok) == ok
    assert checked_text("一、\r\n二、\t三") == "一、\r\n二、\t三"
    with pytest.raises(ValueError):
        checked_line("一\n二")
