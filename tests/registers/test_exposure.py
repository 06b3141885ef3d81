"""The organisation's exposure at its last eight quarter ends (dashboard and committee pack):
open risks by band and risks in breach, from history, in one query."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appetite.models import AppetiteStatement
from appetite.services import appetite_statement_set
from registers import caching
from registers.calendar import quarter_ends
from registers.selectors.exposure import exposure_by_quarter, forget_exposure
from tests.appetite.test_breach_duration import noon, timeline
from tests.factories import corporate_register_of

pytestmark = pytest.mark.django_db


def quarter_days(organisation, count=8):
    ends = quarter_ends(
        organisation=organisation, moment=timezone.now(), count=count, inclusive=True
    )
    return [end.date() for end in ends]


def test_counts_by_band_and_breaches_match_a_hand_built_history(organisation):
    statement = appetite_statement_set(organisation=organisation, tolerance=10)
    AppetiteStatement.history.filter(id=statement.id).update(history_date=noon(dt.date(2000, 1, 1)))
    top = corporate_register_of(organisation)
    q = quarter_days(organisation)
    after = dt.timedelta(days=10)
    # A: Medium-ish 6 from before the window, 16 (breach) after the 3rd quarter end.
    timeline(top, "A", [(q[0] - after, (2, 3)), (q[2] + after, (4, 4))])
    # B: added after the 5th quarter end at 20 (breach), closed after the 7th.
    timeline(top, "B", [(q[4] + after, (4, 5)), (q[6] + after, "close")])
    # C: 12 (breach), re-scored twice within one quarter (1, then 9): the later stands.
    timeline(top, "C", [(q[0] - after, (3, 4)), (q[1] + after, (1, 1)), (q[1] + 2 * after, (3, 3))])

    with CaptureQueriesContext(connection) as queries:
        exposure = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    assert len(queries) == 1
    assert len(exposure.ends) == 8
    assert exposure.totals == (2, 2, 2, 2, 2, 3, 3, 2)
    assert exposure.breaches == (1, 1, 0, 1, 1, 2, 2, 1)
    # Each quarter's bands add up to its open risks.
    for index, total in enumerate(exposure.totals):
        assert sum(counts[index] for counts in exposure.by_band.values()) == total


def test_breach_is_judged_against_the_tolerance_of_then(organisation):
    statement = appetite_statement_set(organisation=organisation, tolerance=20)
    top = corporate_register_of(organisation)
    q = quarter_days(organisation)
    AppetiteStatement.history.filter(id=statement.id).update(
        history_date=noon(q[0] - dt.timedelta(days=5))
    )
    statement = appetite_statement_set(
        organisation=organisation, tolerance=10, expected_version=statement.version
    )
    latest = AppetiteStatement.history.filter(id=statement.id).order_by("-history_id").first()
    AppetiteStatement.history.filter(history_id=latest.history_id).update(
        history_date=noon(q[3] + dt.timedelta(days=5))
    )
    timeline(top, "A", [(q[0] - dt.timedelta(days=30), (3, 4))])  # 12 all along
    exposure = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    assert exposure.breaches == (0, 0, 0, 0, 1, 1, 1, 1)
    assert exposure.totals == (1,) * 8


def test_a_new_organisation_has_empty_quarters(organisation):
    exposure = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    assert exposure.totals == (0,) * 8
    assert exposure.breaches == (0,) * 8
    assert not exposure.any_threshold
    assert exposure.labels[-1].startswith("Q")


def test_the_dashboard_shows_exposure_with_its_numbers(client, organisation, member):
    from django.urls import reverse

    from registers.charting import NO_THRESHOLDS
    from registers.models import Role

    top = corporate_register_of(organisation)
    timeline(top, "A", [(quarter_days(organisation)[0], (4, 4))])
    client.force_login(member(Role.VIEWER))
    url = reverse("organisation", args=[organisation.slug])
    html = client.get(url).content.decode()
    assert "Exposure over eight quarters" in html
    assert "Open risks by band at each quarter end" in html  # the table behind the chart
    assert NO_THRESHOLDS in html and "Risks in breach of appetite" not in html
    statement = appetite_statement_set(organisation=organisation, tolerance=10)
    html = client.get(url).content.decode()
    assert NO_THRESHOLDS in html  # set today: no quarter end had it
    AppetiteStatement.history.filter(id=statement.id).update(history_date=noon(dt.date(2000, 1, 1)))
    forget_exposure(organisation.id)  # history re-dated into the past: what a backdater calls
    html = client.get(url).content.decode()
    assert "Risks in breach of appetite" in html and NO_THRESHOLDS not in html
    assert html.count("<summary") >= 2 and "Chart data" in html


def _page_queries(captured):
    """The page's own queries: not the session's save (once a minute, not on every view)."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if "django_session" not in query["sql"] and "SAVEPOINT" not in query["sql"]
    ]


def _exposure_queries(captured):
    return [query["sql"] for query in captured.captured_queries if "WITH ends" in query["sql"]]


def test_a_second_view_takes_the_past_quarters_from_the_cache(client, organisation, member):
    from django.urls import reverse

    from registers.models import Role

    appetite_statement_set(organisation=organisation, tolerance=10)
    top = corporate_register_of(organisation)
    timeline(top, "A", [(quarter_days(organisation)[0], (4, 4))])
    client.force_login(member(Role.VIEWER))
    url = reverse("organisation", args=[organisation.slug])
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    # A write drops the dashboard's cached overview (decision 67), not the past quarters.
    caching.organisation_changed(organisation.id)
    with CaptureQueriesContext(connection) as second:
        client.get(url)
    assert len(_exposure_queries(first)) == 1
    assert _exposure_queries(second) == []
    # ... while the overview was counted again (its grouped read of the current positions).
    assert all(
        any('"registers_risk"."current_likelihood" AS' in sql for sql in _page_queries(view))
        for view in (first, second)
    )


def test_cached_figures_are_the_figures_of_history(organisation):
    appetite_statement_set(organisation=organisation, tolerance=10)
    AppetiteStatement.history.update(history_date=noon(dt.date(2000, 1, 1)))
    top = corporate_register_of(organisation)
    q = quarter_days(organisation)
    after = dt.timedelta(days=10)
    timeline(top, "A", [(q[0] - after, (2, 3)), (q[2] + after, (4, 4))])
    timeline(top, "B", [(q[4] + after, (4, 5)), (q[6] + after, "close")])
    counted = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        cached = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    assert len(queries) == 0
    assert cached == counted
    assert cached.totals == (1, 1, 1, 1, 1, 2, 2, 1)
    assert cached.breaches == (0, 0, 0, 1, 1, 2, 2, 1)


def test_only_a_new_quarter_end_is_counted(organisation):
    top = corporate_register_of(organisation)
    q = quarter_days(organisation, count=9)
    timeline(top, "A", [(q[0] - dt.timedelta(days=10), (2, 3))])
    earlier = quarter_ends(
        organisation=organisation, moment=timezone.now(), count=2, inclusive=True
    )[0]
    exposure_by_quarter(organisation=organisation, moment=earlier)  # ends q[0] .. q[7]
    with CaptureQueriesContext(connection) as queries:
        exposure = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    [sql] = _exposure_queries(queries)
    assert sql.count("CAST(") == 1  # one quarter end asked for: the new one
    assert exposure.totals == (1,) * 8


def test_history_written_into_the_past_is_seen_on_the_next_request(organisation):
    top = corporate_register_of(organisation)
    q = quarter_days(organisation)
    assert exposure_by_quarter(organisation=organisation, moment=timezone.now()).totals == (0,) * 8
    timeline(top, "A", [(q[0] - dt.timedelta(days=10), (2, 3))])  # back-history, as seed_demo
    stale = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    assert stale.totals == (0,) * 8  # cached: a backdater must say so
    forget_exposure(organisation.id)
    assert exposure_by_quarter(organisation=organisation, moment=timezone.now()).totals == (1,) * 8


def test_forgetting_holds_after_the_transaction_commits(
    organisation, django_capture_on_commit_callbacks
):
    top = corporate_register_of(organisation)
    q = quarter_days(organisation)
    exposure_by_quarter(organisation=organisation, moment=timezone.now())
    timeline(top, "A", [(q[0] - dt.timedelta(days=10), (2, 3))])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        forget_exposure(organisation.id)
    # Meanwhile a request that could not yet see the change caches the old figures ...
    from django.core.cache import cache

    from registers.selectors import exposure as module

    version = module._version(organisation.id)
    for end in quarter_ends(
        organisation=organisation, moment=timezone.now(), count=8, inclusive=True
    ):
        key = module._END_KEY.format(
            organisation_id=organisation.id, version=version, end=end.isoformat()
        )
        cache.set(key, ({}, 0, 0))
    for callback in callbacks:  # ... and the commit drops them.
        callback()
    assert exposure_by_quarter(organisation=organisation, moment=timezone.now()).totals == (1,) * 8


def test_a_register_unarchived_counts_again_at_the_ends_since_it_was_archived(organisation, member):
    from registers.models import Register, Role
    from registers.services.register_archive import register_archive, register_unarchive
    from tests.factories import RegisterFactory

    q = quarter_days(organisation)
    by = member(Role.ADMIN)
    sub = RegisterFactory(organisation=organisation, parent=corporate_register_of(organisation))
    timeline(sub, "A", [(q[0] - dt.timedelta(days=10), (2, 3))])
    register_archive(register=sub, reason="Merged into the corporate register", by=by)
    Register.objects.filter(pk=sub.pk).update(archived_at=noon(q[3] + dt.timedelta(days=5)))
    assert exposure_by_quarter(organisation=organisation, moment=timezone.now()).totals == (
        (1,) * 4 + (0,) * 4
    )
    sub.refresh_from_db()
    register_unarchive(register=sub, reason="Split out again", by=by)
    assert exposure_by_quarter(organisation=organisation, moment=timezone.now()).totals == (1,) * 8


class _RolledBack(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_figures_a_rolled_back_transaction_counted_are_never_shown(organisation):
    """A transaction that rewrote the past, counted the exposure and rolled back: what it
    counted stays its own (decision 73)."""
    from django.db import transaction

    top = corporate_register_of(organisation)
    q = quarter_days(organisation)
    assert exposure_by_quarter(organisation=organisation, moment=timezone.now()).totals == (0,) * 8
    with pytest.raises(_RolledBack), transaction.atomic():
        timeline(top, "A", [(q[0] - dt.timedelta(days=10), (2, 3))])
        forget_exposure(organisation.id)
        counted = exposure_by_quarter(organisation=organisation, moment=timezone.now())
        assert counted.totals == (1,) * 8
        raise _RolledBack
    assert exposure_by_quarter(organisation=organisation, moment=timezone.now()).totals == (0,) * 8
