"""One way to check that a page's queries do not grow with its data (STYLE.md habit 12): count
them at one size, grow the data, count again; when the counts differ, show the SQL of both runs
so the extra query (usually one per row) can be read off rather than hunted for."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _listing(title: str, captured: CaptureQueriesContext) -> str:
    lines = [f"{title}: {len(captured)} queries"]
    lines += [f"  {n}. {query['sql']}" for n, query in enumerate(captured.captured_queries, 1)]
    return "\n".join(lines)


def assert_same_queries(fetch: Callable, grow: Callable, *, at_most: int | None = None):
    """Run ``fetch()``, then ``grow()``, then ``fetch()`` again, and assert both fetches ran the
    same number of queries (and, with ``at_most``, that the first ran no more than that).
    Returns what the two fetches returned, so the caller can check the pages themselves."""
    with CaptureQueriesContext(connection) as small:
        before = fetch()
    if at_most is not None:
        assert len(small) <= at_most, _listing(f"more than {at_most} queries", small)
    grow()
    with CaptureQueriesContext(connection) as large:
        after = fetch()
    assert len(large) == len(small), (
        f"{len(small)} queries before growing, {len(large)} after\n"
        + _listing("before", small)
        + "\n"
        + _listing("after", large)
    )
    return before, after
