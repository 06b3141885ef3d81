"""Risk references: what a new one may hold, and how any stored one travels in a URL.

A reference is part of every risk URL (``/o/<org>/risks/<ref>/``), so a new one holds only
characters a URL carries as they are. Refs saved before the rule (or through the admin) may hold
anything, and a page must never fail because of one: ``RiskRefConverter`` carries every stored
ref, so ``reverse`` never raises for a risk and the page it names resolves back to it.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

REF_CHARACTERS = (
    "a reference can hold only letters (A to Z), digits, '-', '_' and '.'; spaces become '-'"
)
REF_NEEDS_ALPHANUMERIC = "a reference needs at least one letter or digit"
REF_HINT = (
    "Unique in the organisation, for example CRR18 or SRR11. Letters, digits, '-', '_' and '.'; "
    "spaces become '-'."
)

_SPACES = re.compile(r"\s+")
_ALLOWED = re.compile(r"[A-Za-z0-9._-]+")
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]")


def ref_clean(ref: str) -> str:
    """The reference a risk is saved under: trimmed, each run of spaces made one '-'. Raises
    ValidationError (REF_CHARACTERS) for any other character a URL cannot carry as it is, and
    (REF_NEEDS_ALPHANUMERIC) for dots and dashes alone: '.' and '..' are not a page's address,
    browsers read them as "here" and "up"."""
    cleaned = _SPACES.sub("-", ref.strip())
    if not _ALLOWED.fullmatch(cleaned):
        raise ValidationError(REF_CHARACTERS, code="ref_characters")
    if not _ALPHANUMERIC.search(cleaned):
        raise ValidationError(REF_NEEDS_ALPHANUMERIC, code="ref_alphanumeric")
    return cleaned


def ref_saved_as(typed: str, saved: str) -> str:
    """Says a typed reference was made safe, e.g. "'A B' saved as 'A-B'"."""
    return f"{typed!r} saved as {saved!r}"


# --- refs in URLs ------------------------------------------------------------------------------

# '~' opens an escape (~ and two hex digits), so a ref's URL segment never holds a '/', and is
# never '.' or '..' (which browsers collapse, including as %2E). Refs the rule allows have no '~'
# and are never dots alone, so their URLs read as the ref itself. Other characters ('?', '#', a
# space, unicode) are percent-encoded by ``reverse`` and decoded by the server, as usual.
_ESCAPE = "~"
_EMPTY = "~~"  # a blank ref (no row should hold one, but none may break a page)
_NEEDS_ESCAPE = {"~", "/"}
_ESCAPED = re.compile(r"~([0-9A-F]{2})")


def ref_to_url(ref: str) -> str:
    if ref == "":
        return _EMPTY
    if set(ref) <= {"."}:
        return "".join(f"{_ESCAPE}{ord(c):02X}" for c in ref)
    return "".join(f"{_ESCAPE}{ord(c):02X}" if c in _NEEDS_ESCAPE else c for c in ref)


def ref_from_url(segment: str) -> str:
    if segment == _EMPTY:
        return ""
    return _ESCAPED.sub(lambda match: chr(int(match[1], 16)), segment)


class RiskRefConverter:
    """``<ref:ref>`` in a route: one URL segment, any stored reference (see ``ref_to_url``)."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return ref_from_url(value)

    def to_url(self, value: str) -> str:
        return ref_to_url(str(value))
