"""Charts drawn on the server as SVG: pure drawing, no models and no queries.

``registers`` and ``reporting`` build the numbers (selectors) and hand them here; a chart comes
back as a ``Chart``: the SVG (safe markup, every text escaped) and the same numbers as a table,
which ``templates/charts/partials/chart.html`` prints behind a "Chart data" details element, so
a screen-reader user, a printout and the Word edition get the figures, not only a picture.
Imports nothing of the project's apps.
"""

from .svg import (
    Axis,
    Band,
    Chart,
    Series,
    Stack,
    Table,
    bar_chart,
    line_chart,
    stacked_bars,
)

__all__ = [
    "Axis",
    "Band",
    "Chart",
    "Series",
    "Stack",
    "Table",
    "bar_chart",
    "line_chart",
    "stacked_bars",
]
