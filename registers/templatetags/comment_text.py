"""A comment's text as HTML: escaped, web addresses made links (never scripts or other
schemes), mentions marked, line breaks kept. ``{{ comment|comment_html }}``."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from ..services.comments import MENTION

register = template.Library()

# http(s) addresses and bare www. ones; what follows a closing bracket or full stop at the end
# belongs to the sentence ("(see https://x.uk/a)." links https://x.uk/a).
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""
REL = "noopener noreferrer nofollow"


def _link(raw: str) -> tuple[str, str]:
    """The link markup for an address found in text, and what trailed it."""
    trail = ""
    while raw and raw[-1] in TRAILING:
        # Keep a closing bracket that closes one opened inside the address (Wikipedia style).
        if raw[-1] == ")" and raw.count("(") >= raw.count(")"):
            break
        trail = raw[-1] + trail
        raw = raw[:-1]
    href = raw if raw.lower().startswith(("http://", "https://")) else f"https://{raw}"
    html = format_html('<a class="govuk-link" href="{}" rel="{}">{}</a>', href, REL, raw)
    return html, trail


# One pass over both, so an address inside a mention (@bob@www.x.uk) is never a link too.
TOKEN = re.compile(f"(?P<mention>{MENTION.pattern})|(?P<url>{URL.pattern})", re.IGNORECASE)


def render_comment(body: str, names: dict[str, str] | None = None) -> SafeString:
    """``body`` escaped, with links, and the mentions of ``names`` (address: name) marked."""
    names = names or {}
    out = []
    last = 0
    for match in TOKEN.finditer(body):
        out.append(escape(body[last : match.start()]))
        if match.group("url"):
            link, trail = _link(match.group("url"))
            out += [link, escape(trail)]
        else:
            address = match.group("mention")[1:]
            name = names.get(address.lower())
            if name is None:
                out.append(escape(match.group("mention")))
            else:
                mark = '<strong class="rr-mention" title="{}">@{}</strong>'
                out.append(format_html(mark, name, address))
        last = match.end()
    out.append(escape(body[last:]))
    html = "".join(out).replace("\r\n", "\n").replace("\n", "<br>")
    return mark_safe(html)  # noqa: S308  every piece above is escaped or built by format_html


@register.filter
def comment_html(comment) -> SafeString:
    """The comment's text as HTML; a mention is marked only for the people it did mention."""
    names = {user.email.lower(): user.display_name for user in comment.mentions.all()}
    return render_comment(comment.body, names)
