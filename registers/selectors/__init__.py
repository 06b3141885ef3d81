"""Reads for pages, exports and packs: ordered querysets with what they show already joined, and
presenters that rate each risk through the scoring engine without further queries.

A package by page area; every name is re-exported here, so callers write ``selectors.risk_rows``.
"""

from .chasing import *  # noqa: F403
from .dashboard import *  # noqa: F403
from .heatmaps import *  # noqa: F403
from .register_list import *  # noqa: F403
from .rows import *  # noqa: F403
