"""What changed since the last report (issue 16), read from history: each field kind, new and
closed risks, ratings before and after, the bounds of the window, OFFICIAL-SENSITIVE text, a flat
query count; and how long a risk has been outside appetite or red, counted in quarter ends."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appetite.services import appetite_statement_set
from registers.calendar import last_report_date
from registers.models import Role
from registers.selectors import changed_risk_ids, quarter_standing, risk_changes
from registers.services.risks import action_add, control_add, risk_close, risk_update
from registers.services.treatments import action_update, control_remove, control_update
from registers.withholding import WITHHELD_SHORT
from tests.factories import CategoryFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=LONDON)


SINCE = day_end(dt.date(2026, 9, 30))
UNTIL = day_end(dt.date(2026, 12, 31))
BEFORE = moment(dt.date(2026, 8, 1))
DURING = moment(dt.date(2026, 11, 2))
AFTER = moment(dt.date(2027, 1, 5))


@contextmanager
def at(when: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def make_risk(register, ref, when=BEFORE, **kwargs):
    with at(when):
        return RiskFactory(register=register, ref=ref, **kwargs)


def update(risk, when=DURING, **kwargs):
    risk.refresh_from_db()
    with at(when):
        return risk_update(risk=risk, expected_version=risk.version, **kwargs)


def changes_of(risk, **kwargs):
    return risk_changes(risk_ids=[risk.id], since=SINCE, until=UNTIL, **kwargs).get(risk.id)


def test_each_text_field_old_and_new(corporate_register):
    risk = make_risk(
        corporate_register, "R1", title="Fraud", description="Old cause", consequence="Loss"
    )
    update(risk, fields={"title": "Fraud and error", "description": "New cause"})
    change = changes_of(risk)
    assert change.field_names == {"title", "description"}
    assert (change.get("title").old, change.get("title").new) == ("Fraud", "Fraud and error")
    assert (change.get("description").old, change.get("description").new) == (
        "Old cause",
        "New cause",
    )
    assert not (change.new or change.closed)


def test_category_owner_manager_by_name(organisation, corporate_register, member):
    ann = member(Role.OWNER, user__full_name="Ann Owner")
    bob = member(Role.OWNER, user__full_name="Bob Manager")
    money, people = (
        CategoryFactory(organisation=organisation, name=n) for n in ("Money", "People")
    )
    risk = make_risk(corporate_register, "R1", category=money)
    update(risk, fields={"category": people, "owner": ann, "manager": bob})
    change = changes_of(risk)
    assert (change.get("category").old, change.get("category").new) == ("Money", "People")
    assert (change.get("owner").old, change.get("owner").new) == ("(not set)", "Ann Owner")
    assert change.get("manager").new == "Bob Manager"


def test_ratings_previous_and_current(corporate_register):
    risk = make_risk(corporate_register, "R1", positions={"current": (3, 4), "target": (2, 2)})
    update(risk, positions={"current": (4, 5)})
    change = changes_of(risk)
    rating = change.rating
    assert rating.old_rating.score == 12 and rating.new_rating.score == 20
    assert rating.old == "12 (Medium)" and rating.new == "20 (High)"
    assert "target_rating" not in change.field_names


def test_controls_and_actions_text(corporate_register):
    risk = make_risk(corporate_register, "R1")
    with at(BEFORE):
        kept = control_add(risk=risk, description="Monthly reconciliation")
        dropped = control_add(risk=risk, description="Annual audit", position=1)
        action = action_add(risk=risk, description="Train staff")
    with at(DURING):
        control_update(control=kept, description="Weekly reconciliation")
        control_remove(control=dropped)
        control_add(risk=risk, description="Fraud hotline", position=2)
        action_update(action=action, status="completed")
        action_add(risk=risk, description="New system", position=1)
    change = changes_of(risk)
    lines = [(c.label, c.old, c.new) for c in change.fields]
    assert ("Control reworded", "Monthly reconciliation", "Weekly reconciliation") in lines
    assert ("Control removed", "Annual audit", "") in lines
    assert ("Control added", "", "Fraud hotline") in lines
    assert ("Action added", "", "New system") in lines
    status = change.get("action_status")
    assert (status.label, status.new) == ("Action status", "Train staff: Completed")
    assert status.old.startswith("Train staff: ") and status.old != status.new


def test_new_closed_and_reopened(corporate_register):
    new = make_risk(corporate_register, "N1", when=DURING)
    closing = make_risk(corporate_register, "C1")
    closing.refresh_from_db()
    with at(DURING):
        risk_close(risk=closing, expected_version=closing.version, reason="Fully mitigated")
    untouched = make_risk(corporate_register, "U1")
    found = risk_changes(risk_ids=[new.id, closing.id, untouched.id], since=SINCE, until=UNTIL)
    assert [c.ref for c in found.new] == ["N1"]
    assert [c.ref for c in found.closed] == ["C1"]
    assert found.get(closing.id).closed_reason == "Fully mitigated"
    assert untouched.id not in found
    assert found.ids == {new.id, closing.id}


def test_window_bounds_and_edit_undone(corporate_register):
    at_since = make_risk(corporate_register, "S1")
    update(at_since, when=SINCE, fields={"title": "Changed at the comparison moment"})
    at_until = make_risk(corporate_register, "U1")
    update(at_until, when=UNTIL, fields={"title": "Changed at the as-at moment"})
    later = make_risk(corporate_register, "L1")
    update(later, when=AFTER, fields={"title": "Changed after"})
    undone = make_risk(corporate_register, "B1", title="Same")
    update(undone, fields={"title": "Different"})
    update(undone, when=DURING + dt.timedelta(days=1), fields={"title": "Same"})
    found = risk_changes(
        risk_ids=[at_since.id, at_until.id, later.id, undone.id], since=SINCE, until=UNTIL
    )
    assert found.ids == {at_until.id}
    # a risk created after the as-at moment is not there at all
    future = make_risk(corporate_register, "F1", when=AFTER)
    assert future.id not in risk_changes(risk_ids=[future.id], since=SINCE, until=UNTIL)


def test_withheld_risk_shows_that_text_changed_not_what(corporate_register):
    risk = make_risk(corporate_register, "S1", description="Secret cause", title="Visible")
    with at(BEFORE):
        control_add(risk=risk, description="Secret control")
    update(risk, fields={"description": "New secret cause", "title": "Visible too"})
    with at(DURING):
        control_add(risk=risk, description="Another secret control", position=1)
    change = changes_of(risk, withheld_risk_ids={risk.id})
    shown = " ".join(f"{c.label} {c.old} {c.new}" for c in change.fields)
    assert "secret" not in shown.lower()
    assert change.get("description").new == WITHHELD_SHORT
    assert change.get("description").withheld
    assert change.get("control").new == WITHHELD_SHORT
    assert change.get("title").new == "Visible too"  # titles are shown to every reader


def test_query_count_flat(corporate_register, member):
    owner = member(Role.OWNER)
    risks = []

    def grow():
        for n in range(len(risks), len(risks) + 4):
            risk = make_risk(corporate_register, f"G{n}")
            with at(BEFORE):
                control_add(risk=risk, description="Control")
            update(
                risk, fields={"title": f"Grown {n}", "owner": owner}, positions={"current": (1, 1)}
            )
            risks.append(risk)

    grow()

    def fetch():
        return risk_changes(risk_ids=[r.id for r in risks], since=SINCE, until=UNTIL)

    small, large = assert_same_queries(fetch, grow, at_most=7)
    assert len(small) == 4 and len(large) == 8


def test_changed_risk_ids_finds_treatment_only_changes(corporate_register):
    from registers.models import Risk

    quiet = make_risk(corporate_register, "Q1")
    treated = make_risk(corporate_register, "T1")
    reviewed_only = make_risk(corporate_register, "V1")
    with at(DURING):
        control_add(risk=treated, description="A new control")
    update(reviewed_only, fields={"next_review_due": dt.date(2027, 6, 1)})
    ids = changed_risk_ids(
        risks=Risk.objects.filter(register=corporate_register), since=SINCE, until=UNTIL
    )
    assert ids == {treated.id}
    assert quiet.id not in ids


def test_last_report_date_is_the_later_of_quarter_end_and_committee(organisation):
    now = moment(dt.date(2026, 12, 6))
    assert last_report_date(organisation=organisation, moment=now) == day_end(dt.date(2026, 9, 30))
    organisation.committee_months = [11]
    assert last_report_date(organisation=organisation, moment=now) == day_end(dt.date(2026, 11, 30))


# --- breach and red runs in quarter ends ---------------------------------------------------------


def test_breach_since_and_quarters(organisation, corporate_register):
    with at(moment(dt.date(2025, 1, 1))):
        appetite_statement_set(organisation=organisation, tolerance=10)
    long = make_risk(
        corporate_register, "L1", when=moment(dt.date(2025, 5, 1)), positions={"current": (3, 3)}
    )
    update(long, when=moment(dt.date(2025, 11, 1)), positions={"current": (4, 4)})  # 16 > 10
    fresh = make_risk(
        corporate_register, "F1", when=moment(dt.date(2026, 10, 5)), positions={"current": (4, 4)}
    )
    within = make_risk(
        corporate_register, "W1", when=moment(dt.date(2025, 5, 1)), positions={"current": (2, 2)}
    )
    as_at = day_end(dt.date(2026, 12, 31))
    with CaptureQueriesContext(connection) as queries:
        standing = quarter_standing(
            organisation=organisation, risk_ids=[long.id, fresh.id, within.id], moment=as_at
        )
    assert len(queries) == 3
    run = standing.breach[long.id]
    # in breach at Dec 2025, Mar, Jun, Sep, Dec 2026
    assert (run.quarters, run.since) == (5, dt.date(2025, 12, 31))
    assert run.breach_text == "outside appetite since December 2025, 5 quarters"
    assert standing.breach[fresh.id].quarters == 1
    assert (
        standing.breach[fresh.id].breach_text == "outside appetite since December 2026, 1 quarter"
    )
    # mid-quarter, a risk added this quarter: since it was added, not "not at the end of September"
    mid = quarter_standing(
        organisation=organisation, risk_ids=[fresh.id], moment=moment(dt.date(2026, 11, 15))
    ).breach[fresh.id]
    assert mid.quarters == 0 and mid.added == dt.date(2026, 10, 5)
    assert mid.breach_text == "outside appetite since it was added on 5 October 2026"
    assert mid.breach_short == "since added, 5 Oct 2026"
    assert within.id not in standing.breach


def test_breach_run_broken_by_a_quarter_within_and_judged_by_then_thresholds(
    organisation, corporate_register
):
    with at(moment(dt.date(2025, 1, 1))):
        appetite_statement_set(organisation=organisation, tolerance=20)
    risk = make_risk(
        corporate_register, "R1", when=moment(dt.date(2025, 2, 1)), positions={"current": (4, 4)}
    )
    # tolerance lowered in August 2026: 16 is a breach from then on, not before
    with at(moment(dt.date(2026, 8, 1))):
        appetite_statement_set(organisation=organisation, tolerance=10)
    run = quarter_standing(
        organisation=organisation, risk_ids=[risk.id], moment=day_end(dt.date(2026, 12, 31))
    ).breach[risk.id]
    assert (run.quarters, run.since) == (2, dt.date(2026, 9, 30))
    # mid-quarter, newly in breach: no quarter end yet
    run = quarter_standing(
        organisation=organisation, risk_ids=[risk.id], moment=moment(dt.date(2026, 8, 15))
    ).breach[risk.id]
    assert run.quarters == 0
    assert run.breach_text == "newly outside appetite: it was not at the end of June 2026"


def test_red_runs_and_deep_dive_candidates(organisation, corporate_register):
    # ESPO-like 5x5: the top band (Very high) is 21 to 25
    red = make_risk(
        corporate_register, "R1", when=moment(dt.date(2026, 1, 10)), positions={"current": (5, 5)}
    )
    short = make_risk(
        corporate_register, "R2", when=moment(dt.date(2026, 8, 10)), positions={"current": (5, 5)}
    )
    high = make_risk(
        corporate_register, "R3", when=moment(dt.date(2025, 1, 10)), positions={"current": (4, 5)}
    )
    closed_then = make_risk(
        corporate_register, "R4", when=moment(dt.date(2025, 1, 10)), positions={"current": (5, 5)}
    )
    closed_then.refresh_from_db()
    with at(moment(dt.date(2026, 5, 1))):
        risk_close(risk=closed_then, expected_version=closed_then.version, reason="Gone")
    with at(moment(dt.date(2026, 7, 1))):
        from registers.services.risks import risk_reopen

        closed_then.refresh_from_db()
        risk_reopen(risk=closed_then, expected_version=closed_then.version)
    standing = quarter_standing(
        organisation=organisation,
        risk_ids=[red.id, short.id, high.id, closed_then.id],
        moment=day_end(dt.date(2026, 12, 31)),
    )
    assert standing.red[red.id].quarters == 4  # Mar, Jun, Sep, Dec 2026
    assert standing.red[short.id].quarters == 2
    assert high.id not in standing.red  # 20 is High, not the top band
    assert standing.red[closed_then.id].quarters == 2  # closed at the end of June
    assert standing.deep_dive_ids(2) == {red.id}
    assert standing.deep_dive_ids(1) == {red.id, short.id, closed_then.id}
