"""Plans that must not grow with the installation (issue 20, "many organisations in one
database"). The plans themselves are shown by `bench/tenants.py --explain-only` at 110,100 risks;
these tests hold the pieces those plans rely on, which a test database is too small to show."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registers import permissions, selectors
from registers.selectors.dashboard import action_summary
from tests.factories import ActionFactory, MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


def _one(sql: str, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_the_planner_knows_a_register_belongs_to_one_organisation():
    # Without it, organisation and register are multiplied as independent: 834 rows estimated
    # for 9,600 beside 40 other organisations, and nested loops chosen for the wrong size.
    kinds = _one(
        "SELECT stxkind FROM pg_statistic_ext WHERE stxname = %s", "risk_organisation_register"
    )
    assert kinds is not None and "f" in kinds[0]  # f: functional dependencies


@pytest.mark.parametrize(
    ("table", "index", "columns"),
    [
        ("registers_historicalrisk", "risk_history_org_date", "(organisation_id, history_date)"),
        ("registers_risk", "risk_org_owner", "(organisation_id, owner_id)"),
    ],
)
def test_indexes_for_one_organisations_reads(table, index, columns):
    definition = _one(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s", table, index
    )
    assert definition is not None and definition[0].endswith(columns)


def test_the_withheld_risks_are_found_from_their_partial_indexes(organisation):
    # An uncleared member's withheld risks: the marked ones and the deleted ones whose last
    # record was marked. Without the two partial indexes (migration 0018) the deleted ones were
    # found by reading every history record of the organisation (80,800 at 10,000 risks).
    user = MembershipFactory(organisation=organisation).user
    live, deleted = permissions._sensitive_risk_id_reads(organisation, except_for=user)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is too small to choose
        plans = []
        for read in (live, deleted):
            sql, params = read.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert "risk_sensitive on registers_risk" in plans[0], plans[0]
    assert "risk_history_deleted on registers_historicalrisk" in plans[1], plans[1]


def test_owner_filter_looks_owners_up_by_id_after_listing_them(organisation):
    # "IN (subquery)" let PostgreSQL guess thousands of owners from the whole table and hash a
    # scan of every user of the installation; the ids are listed first, then found by key.
    owner = MembershipFactory(organisation=organisation).user
    RiskFactory(register=corporate_register_of(organisation), owner=owner)
    with CaptureQueriesContext(connection) as captured:
        owners = list(selectors.risk_owners(organisation=organisation))
    assert owners == [owner]
    assert '"registers_user"."id" = ANY(ARRAY(SELECT DISTINCT' in captured[0]["sql"]


def test_dashboard_action_counts_join_only_the_organisations_risks(organisation):
    user = MembershipFactory(organisation=organisation).user
    risk = RiskFactory(register=corporate_register_of(organisation))
    ActionFactory(risk=risk, owner=user, due_date=dt.date(2020, 1, 1))
    with CaptureQueriesContext(connection) as captured:
        summary = action_summary(organisation=organisation, user=user, today=dt.date(2026, 1, 1))
    assert summary["overdue"] == summary["mine"] == summary["mine_overdue"] == 1
    # The risk's organisation named, so its index bounds the join (it was a scan of all risks).
    assert f'"registers_risk"."organisation_id" = {organisation.id}' in captured[0]["sql"]


def test_owner_sort_joins_only_the_organisations_owners(organisation):
    # A plain join on the owner hashed a scan of every user of the installation to sort one
    # organisation's register by owner (2.5 ms at 8,500 users); the owners of the
    # organisation's risks are listed first and looked up by key.
    owner = MembershipFactory(organisation=organisation).user
    register = corporate_register_of(organisation)
    RiskFactory(register=register, owner=owner)
    risks = selectors.risk_list(
        organisation=organisation,
        register_ids=[register.id],
        sort="owner",
        today=dt.date(2026, 1, 1),
    )
    with CaptureQueriesContext(connection) as captured:
        page, rows = selectors.risk_page(risks, number=1, per_page=50)
    assert [risk.owner for risk in rows] == [owner]
    ids_query = captured[0]["sql"]
    assert 'LEFT OUTER JOIN "registers_user" listed_owner ON' in ids_query
    assert 'listed_owner."id" = ANY(ARRAY(SELECT DISTINCT' in ids_query
