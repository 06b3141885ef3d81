"""Text kept on one line: a risk's title goes into e-mail subjects, page titles and one-line
cells, where a line break has no place (docs/decisions.md, decision 122).

A line break, a tab or any other control character (Unicode's Cc: U+0000 to U+001F and U+007F to
U+009F), or the line and paragraph separators U+2028 and U+2029 (which ``str.splitlines`` also
splits on), is what breaks a line here. A regular expression, not ``unicodedata`` per character:
a 10,000-row import checks every title."""

from __future__ import annotations

import re

LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def is_one_line(text: str) -> bool:
    return LINE_BREAKING.search(text) is None


def one_line(text: str) -> str:
    """``text`` on one line: each line break or control character a space, runs of spaces one."""
    return " ".join(LINE_BREAKING.sub(" ", text).split())
