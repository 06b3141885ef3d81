"""How long each risk on the dashboard has been outside appetite, derived from its history (issue
4: "The dashboard lists breaches first, with how long each has been in breach (from history)").

Histories are built through the services (risk_create, risk_update, risk_close, risk_reopen),
then each record is given a controlled ``history_date``, so the tests do not depend on the clock.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from appetite.rules import AppetiteState
from appetite.services import appetite_statement_set
from registers import caching, selectors
from registers.models import Risk, Role
from registers.selectors.dashboard import duration_text, since_text
from registers.services.risks import risk_close, risk_reopen, risk_update
from tests.factories import CategoryFactory, MembershipFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries
from tests.registers.test_register_page import bulk_risks

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=LONDON)


def timeline(register, ref, steps, **fields) -> Risk:
    """A risk whose history is ``steps``: (day, (likelihood, impact)) re-scores it, (day,
    "close") closes it and (day, "reopen") reopens it; the first step creates it."""
    first_day, first = steps[0]
    risk = RiskFactory(register=register, ref=ref, positions={"current": first}, **fields)
    for _, step in steps[1:]:
        if step == "close":
            risk = risk_close(risk=risk, expected_version=risk.version, reason="Mitigated")
        elif step == "reopen":
            risk = risk_reopen(risk=risk, expected_version=risk.version, reason="Back")
        else:
            risk = risk_update(
                risk=risk, expected_version=risk.version, positions={"current": step}
            )
    records = list(Risk.history.filter(id=risk.id).order_by("history_id"))
    assert len(records) == len(steps)
    for record, (day, _) in zip(records, steps, strict=True):
        Risk.history.filter(history_id=record.history_id).update(history_date=noon(day))
    caching.organisation_changed(risk.organisation_id)  # the past rewritten: what a backdater calls
    return risk


@pytest.fixture
def today(organisation):
    return selectors.organisation_today(organisation)


@pytest.fixture
def viewer(organisation):
    return MembershipFactory(organisation=organisation, role=Role.VIEWER).user


@pytest.fixture
def dashboard(client, viewer, organisation):
    client.force_login(viewer)

    def get():
        response = client.get(reverse("organisation", args=[organisation.slug]))
        assert response.status_code == 200
        return response

    return get


def since_by_ref(response) -> dict[str, dt.date | None]:
    return {row.risk.ref: row.since for row in response.context["outside"]}


def days_ago(today, days):
    return today - dt.timedelta(days=days)


def test_breach_counts_from_when_the_score_went_above_tolerance(dashboard, organisation, today):
    appetite_statement_set(organisation=organisation, tolerance=10)
    top = corporate_register_of(organisation)
    # within (9), then above (12) 120 days ago, re-scored higher (16) but still above since
    timeline(
        top,
        "B",
        [
            (days_ago(today, 300), (3, 3)),
            (days_ago(today, 120), (3, 4)),
            (days_ago(today, 30), (4, 4)),
        ],
    )
    # above from the day it was created
    timeline(top, "C", [(days_ago(today, 50), (5, 5))])
    response = dashboard()
    assert since_by_ref(response) == {"C": days_ago(today, 50), "B": days_ago(today, 120)}
    html = response.content.decode()
    expected = days_ago(today, 120)
    assert f"{expected.day} {expected:%B %Y}" in html
    assert "with today&#x27;s thresholds" in html or "with today's thresholds" in html


def test_a_risk_that_dipped_back_within_counts_from_its_latest_breach(
    dashboard, organisation, today
):
    appetite_statement_set(organisation=organisation, tolerance=10)
    timeline(
        corporate_register_of(organisation),
        "DIP",
        [
            (days_ago(today, 400), (4, 4)),  # 16: breach
            (days_ago(today, 300), (2, 2)),  # 4: back within
            (days_ago(today, 200), (3, 4)),  # 12: breach again
            (days_ago(today, 100), (5, 4)),  # 20: still in breach
        ],
    )
    assert since_by_ref(dashboard()) == {"DIP": days_ago(today, 200)}


def test_at_warning_counts_from_when_it_reached_warning(dashboard, organisation, today):
    appetite_statement_set(organisation=organisation, tolerance=15, warning=10)
    top = corporate_register_of(organisation)
    # breach (16) then down to warning (12): at warning since it came down
    timeline(top, "DOWN", [(days_ago(today, 90), (4, 4)), (days_ago(today, 60), (3, 4))])
    # within (9) then warning (12)
    timeline(top, "UP", [(days_ago(today, 90), (3, 3)), (days_ago(today, 45), (3, 4))])
    # warning (12) then breach (16): in breach since 10 days ago, not since 80
    timeline(top, "WORSE", [(days_ago(today, 80), (3, 4)), (days_ago(today, 10), (4, 4))])
    response = dashboard()
    rows = response.context["outside"]
    assert [row.appetite.value for row in rows] == ["breach", "warning", "warning"]
    assert rows[0].risk.ref == "WORSE"
    assert since_by_ref(response) == {
        "WORSE": days_ago(today, 10),
        "DOWN": days_ago(today, 60),
        "UP": days_ago(today, 45),
    }


def test_todays_thresholds_judge_the_whole_history(dashboard, organisation, today):
    """A risk unchanged at 12 for a year, whose tolerance was lowered to 10 today, has been above
    today's tolerance for the year: the hint on the page says the thresholds are today's."""
    statement = appetite_statement_set(organisation=organisation, tolerance=15)
    timeline(corporate_register_of(organisation), "STILL", [(days_ago(today, 365), (3, 4))])
    assert since_by_ref(dashboard()) == {}
    appetite_statement_set(organisation=organisation, tolerance=10, reason="Lowered")
    statement.refresh_from_db()
    assert since_by_ref(dashboard()) == {"STILL": days_ago(today, 365)}


def test_a_change_of_category_counts_from_the_move(dashboard, organisation, today):
    lenient = CategoryFactory(organisation=organisation, name="Lenient")
    strict = CategoryFactory(organisation=organisation, name="Strict")
    appetite_statement_set(organisation=organisation, category=lenient, tolerance=20, warning=18)
    appetite_statement_set(organisation=organisation, category=strict, tolerance=10, warning=8)
    risk = timeline(
        corporate_register_of(organisation),
        "MOVED",
        [(days_ago(today, 200), (3, 4))],
        category=lenient,
    )
    risk = risk_update(risk=risk, expected_version=risk.version, fields={"category": strict})
    latest = Risk.history.filter(id=risk.id).latest()
    Risk.history.filter(history_id=latest.history_id).update(history_date=noon(days_ago(today, 20)))
    assert since_by_ref(dashboard()) == {"MOVED": days_ago(today, 20)}


def test_one_risk_as_the_risk_page_would_ask(organisation, today):
    appetite_statement_set(organisation=organisation, tolerance=10, warning=6)
    risk = timeline(
        corporate_register_of(organisation),
        "ONE",
        [(days_ago(today, 90), (2, 2)), (days_ago(today, 30), (3, 4))],
    )
    ask = selectors.risk_outside_since
    assert ask(risk=risk, state=AppetiteState.BREACH, organisation=organisation) == days_ago(
        today, 30
    )
    assert ask(risk=risk, state=AppetiteState.WITHIN, organisation=organisation) is None


def test_a_closed_spell_breaks_the_run(dashboard, organisation, today):
    appetite_statement_set(organisation=organisation, tolerance=10)
    timeline(
        corporate_register_of(organisation),
        "AGAIN",
        [
            (days_ago(today, 300), (4, 4)),
            (days_ago(today, 200), "close"),
            (days_ago(today, 40), "reopen"),
        ],
    )
    assert since_by_ref(dashboard()) == {"AGAIN": days_ago(today, 40)}


def test_the_day_is_the_organisations(dashboard, organisation, today):
    """23:30 UTC on 30 June is already 1 July in London."""
    appetite_statement_set(organisation=organisation, tolerance=10)
    risk = RiskFactory(
        register=corporate_register_of(organisation), ref="LATE", positions={"current": (4, 4)}
    )
    when = dt.datetime(today.year - 1, 6, 30, 23, 30, tzinfo=dt.UTC)
    Risk.history.filter(id=risk.id).update(history_date=when)
    assert since_by_ref(dashboard()) == {"LATE": dt.date(today.year - 1, 7, 1)}


def test_a_risk_without_history_says_so(dashboard, organisation):
    appetite_statement_set(organisation=organisation, tolerance=1)
    bulk_risks(corporate_register_of(organisation), 3, prefix="NOHIST")  # bulk_create: no history
    response = dashboard()
    assert set(since_by_ref(response).values()) == {None}
    assert "Not known from its history" in response.content.decode()


@pytest.mark.parametrize(
    ("since", "today", "text"),
    [
        (dt.date(2026, 3, 3), dt.date(2026, 7, 5), "since 3 March 2026 (4 months)"),
        (dt.date(2026, 3, 3), dt.date(2026, 3, 3), "since 3 March 2026 (today)"),
        (dt.date(2026, 3, 3), dt.date(2026, 3, 4), "since 3 March 2026 (1 day)"),
        (dt.date(2026, 3, 3), dt.date(2026, 4, 2), "since 3 March 2026 (30 days)"),
        (dt.date(2026, 3, 3), dt.date(2026, 4, 3), "since 3 March 2026 (1 month)"),
        (dt.date(2025, 1, 31), dt.date(2026, 1, 31), "since 31 January 2025 (1 year)"),
        (dt.date(2024, 1, 31), dt.date(2026, 4, 30), "since 31 January 2024 (2 years 2 months)"),
    ],
)
def test_since_reads_as_a_date_and_a_duration(since, today, text):
    assert since_text(since, today) == text
    assert text.endswith(f"({duration_text(since, today)})")


def test_the_dashboard_shows_since_and_how_long(dashboard, organisation, today):
    appetite_statement_set(organisation=organisation, tolerance=10)
    start = days_ago(today, 130)
    timeline(corporate_register_of(organisation), "LONG", [(start, (4, 4))])
    response = dashboard()
    row = response.context["outside"][0]
    assert row.since_text == since_text(start, today)
    html = response.content.decode()
    assert (
        f'{start.day} {start:%B %Y}</span> <span class="rr-nowrap">({duration_text(start, today)})'
        in html
    )
    assert "months" in duration_text(start, today)


def test_query_count_is_flat_as_breaches_and_history_grow(client, viewer, organisation, today):
    appetite_statement_set(organisation=organisation, tolerance=10, warning=6)
    top = corporate_register_of(organisation)
    url = reverse("organisation", args=[organisation.slug])
    client.force_login(viewer)

    def grow(refs, steps):
        for ref in refs:
            history = [(days_ago(today, 400 - n * 10), pos) for n, pos in enumerate(steps)]
            timeline(top, ref, history)

    grow(["A1", "A2"], [(2, 2), (4, 4)])
    # 16 records a risk (8 times the first two's) and more breaching risks than the list shows:
    # enough to prove the count flat, without hundreds of saves to get there.
    many = [(2, 2), (4, 4), (3, 4), (1, 1), (4, 4), (5, 5), (3, 3), (4, 5)] * 2  # 16 records
    client.get(url)  # warm caches: the dashboard's exposure at past quarter ends
    more = [f"B{n}" for n in range(selectors.LIST_LIMIT + 2)]

    def first_view_after_a_write():  # the cached overview counted again (decision 67)
        caching.organisation_changed(organisation.id)
        return client.get(url)

    few, response = assert_same_queries(
        first_view_after_a_write, lambda: grow(more, many), at_most=40
    )
    assert few.status_code == 200
    assert len(response.context["outside"]) == selectors.LIST_LIMIT
    assert all(row.since is not None for row in response.context["outside"])
