"""Checks that a page's ARIA references point at something: an aria-describedby naming an id
the page lacks leaves a screen reader with nothing to read out."""

from __future__ import annotations

import re


def missing_describedby_targets(html: str) -> list[str]:
    """The ids named by aria-describedby attributes that no element of ``html`` carries."""
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    named = []
    for value in re.findall(r'aria-describedby="([^"]*)"', html):
        named += value.split()
    return [name for name in named if name not in ids]


def describedby(html: str, element_id: str) -> list[str]:
    """The ids the element with ``element_id`` names in its aria-describedby."""
    tag = re.search(rf'<[^>]*\sid="{re.escape(element_id)}"[^>]*>', html)
    assert tag, f"no element with id {element_id}"
    value = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    return value.group(1).split() if value else []
