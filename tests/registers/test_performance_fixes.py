"""The performance fixes found with bench/ (issue 6) change how pages query, never what they show:
appetite in compact SQL, the register page fetched ids first, the owner filter as a semi-join,
the dashboard's action figures read through the open-due index, and the indexes themselves."""

import datetime as dt

import pytest
from django import forms
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.test.html import parse_html
from django.urls import reverse
from django.utils import timezone

from appetite.rules import AppetiteState, appetite_state
from appetite.selectors import appetite_lookup
from appetite.services import appetite_statement_set
from registers import selectors, widgets
from registers.filters import RiskFilterForm
from registers.forms import ControlForm, members
from registers.models import Action, ActionStatus, Membership, Register, Risk, RiskStatus, Role
from registers.selectors.rows import APPETITE_RANKS
from registers.services.risks import risk_close
from scoring.selectors import default_scheme
from tests.factories import (
    ActionFactory,
    CategoryFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    UserFactory,
)
from tests.registers.test_register_page import bulk_risks

pytestmark = pytest.mark.django_db


def corporate(organisation):
    return Register.objects.get(organisation=organisation, slug="corporate")


@pytest.fixture
def appetite_setup(organisation):
    """Three categories: one with tolerance and warning, one with tolerance only, one with no
    statement (the organisation's default applies)."""
    strict, plain, bare = (CategoryFactory(organisation=organisation) for _ in range(3))
    appetite_statement_set(organisation=organisation, tolerance=8, warning=5)
    appetite_statement_set(organisation=organisation, category=strict, tolerance=10, warning=6)
    appetite_statement_set(organisation=organisation, category=plain, tolerance=12)
    return strict, plain, bare


def _risks_on_every_side_of_the_thresholds(organisation, categories):
    top = corporate(organisation)
    positions = [None, (1, 1), (1, 5), (2, 3), (2, 4), (2, 5), (3, 3), (3, 4), (4, 4), (5, 5)]
    made = []
    for c, category in enumerate([*categories, None]):
        for p, position in enumerate(positions):
            made.append(
                RiskFactory(
                    register=top,
                    ref=f"C{c}P{p}",
                    category=category,
                    positions={"current": position} if position else {},
                )
            )
    closed = made[5]
    risk_close(risk=closed, expected_version=closed.version, reason="done")
    return made


def test_appetite_in_sql_agrees_with_the_rules_for_every_case(organisation, appetite_setup):
    _risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
    lookup = appetite_lookup(organisation=organisation)
    annotated = selectors.with_appetite(
        Risk.objects.filter(organisation=organisation), organisation=organisation
    )
    states = set()
    for risk in annotated:
        threshold = lookup.threshold(risk.category_id)
        assert (risk.appetite_tolerance, risk.appetite_warning) == (
            threshold.tolerance,
            threshold.warning,
        )
        expected = (
            AppetiteState.NOT_SET
            if risk.status == RiskStatus.CLOSED
            else appetite_state(
                score=risk.current_score,
                tolerance=threshold.tolerance,
                warning=threshold.warning,
            )
        )
        assert APPETITE_RANKS[risk.appetite_rank] == expected, risk.ref
        states.add(expected)
    assert states == set(AppetiteState)  # every branch of the rank was exercised


def test_appetite_in_sql_filters_and_sorts_in_the_database(organisation, appetite_setup):
    _risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
    annotated = selectors.with_appetite(
        Risk.objects.filter(organisation=organisation), organisation=organisation
    )
    breaches = set(annotated.filter(appetite_rank=3).values_list("ref", flat=True))
    assert breaches == {r.ref for r in annotated if r.appetite_rank == 3} and breaches
    ranks = list(annotated.order_by("-appetite_rank", "pk").values_list("appetite_rank", flat=True))
    assert ranks == sorted(ranks, reverse=True)
    grouped = dict(
        annotated.values("appetite_rank").annotate(n=Count("id")).values_list("appetite_rank", "n")
    )
    assert sum(grouped.values()) == annotated.count()


def test_appetite_without_any_statement_is_not_set(organisation):
    RiskFactory(register=corporate(organisation), ref="A", positions={"current": (5, 5)})
    risk = selectors.with_appetite(
        Risk.objects.filter(organisation=organisation), organisation=organisation
    ).get()
    assert (risk.appetite_tolerance, risk.appetite_warning, risk.appetite_rank) == (None, None, 0)


def test_appetite_as_it_stood_uses_the_same_rule(organisation, appetite_setup):
    _risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
    now = timezone.now()
    today = {
        r.ref: (r.appetite_tolerance, r.appetite_warning, r.appetite_rank)
        for r in selectors.with_appetite(
            Risk.objects.filter(organisation=organisation), organisation=organisation
        )
    }
    then = {
        r.ref: (r.appetite_tolerance, r.appetite_warning, r.appetite_rank)
        for r in selectors.with_appetite_as_of(
            selectors.risks_as_of(organisation=organisation, moment=now),
            organisation=organisation,
            moment=now,
        )
    }
    assert then == today


@pytest.mark.parametrize("sort", ["", "owner", "-title", "-appetite", "next_review"])
def test_register_page_ids_first_gives_the_same_rows_in_the_same_order(
    organisation, appetite_setup, sort
):
    top = corporate(organisation)
    owners = [MembershipFactory(organisation=organisation, role=Role.OWNER).user for _ in range(4)]
    for n, owner in enumerate(owners):
        bulk_risks(top, 30, prefix=f"O{n}-", owner=owner, category=appetite_setup[n % 3])
    risks = selectors.risk_list(
        organisation=organisation,
        register_ids=[top.id],
        sort=sort,
        today=timezone.localdate(),
    )
    everything = list(risks)
    for number in (1, 2, 3):
        page, shown = selectors.risk_page(risks, number=number, per_page=50)
        assert [r.pk for r in shown] == [r.pk for r in everything[(number - 1) * 50 : number * 50]]
        assert page.number == number and page.paginator.count == 120
        # what a row shows came with it (appetite annotated, owner joined)
        assert all(hasattr(r, "appetite_rank") for r in shown)


def test_register_page_ids_first_as_it_stood(organisation):
    top = corporate(organisation)
    bulk_risks(top, 3, prefix="X")
    for risk in Risk.objects.filter(organisation=organisation):
        risk.save()  # history records for the bulk-made risks
    moment = timezone.now()
    risks = selectors.risk_list(
        organisation=organisation,
        register_ids=[top.id],
        sort="ref",
        today=timezone.localdate(),
        as_of=moment,
    )
    page, shown = selectors.risk_page(risks, number=1, per_page=2)
    assert [r.ref for r in shown] == ["X0", "X1"] and page.paginator.count == 3


def test_register_page_shows_the_sorted_second_page(client, organisation):
    top = corporate(organisation)
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    bulk_risks(top, 60, prefix="B")
    client.force_login(viewer)
    url = reverse("register", args=[organisation.slug, "corporate"])
    response = client.get(url, {"sort": "ref", "page": 2})
    assert [row.risk.ref for row in response.context["rows"]] == [f"B{n}" for n in range(50, 60)]
    assert response.context["page"].number == 2


def test_owner_filter_lists_each_owner_once_former_members_too(organisation):
    top = corporate(organisation)
    stays = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    leaves = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    MembershipFactory(organisation=organisation, role=Role.OWNER)  # owns nothing
    bulk_risks(top, 3, prefix="S", owner=stays)
    bulk_risks(top, 2, prefix="L", owner=leaves)
    Membership.objects.filter(user=leaves).delete()  # their risks still name them
    elsewhere = UserFactory()
    other = RiskFactory(ref="OTHER")
    Risk.objects.filter(pk=other.pk).update(owner=elsewhere)
    assert list(selectors.risk_owners(organisation=organisation)) == sorted(
        [stays, leaves], key=lambda u: (u.full_name, u.email)
    )


def test_uses_horizons_reads_only_risks_with_one(organisation):
    assert not selectors.uses_horizons(organisation=organisation)
    RiskFactory(register=corporate(organisation), ref="A")
    assert not selectors.uses_horizons(organisation=organisation)
    RiskFactory(register=corporate(organisation), ref="B", horizon="long")
    assert selectors.uses_horizons(organisation=organisation)


def test_dashboard_action_figures_count_what_they_did(organisation):
    me = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    someone = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    risk = RiskFactory(register=corporate(organisation), ref="A")
    today = timezone.localdate()
    past, future = today - dt.timedelta(days=3), today + dt.timedelta(days=3)
    for owner, due, status in [
        (me, past, ActionStatus.NOT_STARTED),  # mine, overdue
        (me, future, ActionStatus.IN_PROGRESS),  # mine
        (me, None, ActionStatus.NOT_STARTED),  # mine, no due date
        (me, past, ActionStatus.COMPLETED),  # done: not counted
        (someone, past, ActionStatus.IN_PROGRESS),  # overdue
        (someone, past, ActionStatus.CANCELLED),  # done
        (None, past, ActionStatus.NOT_STARTED),  # overdue, nobody's
        (someone, future, ActionStatus.NOT_STARTED),  # nothing
    ]:
        ActionFactory(risk=risk, owner=owner, due_date=due, status=status)
    summary = selectors.action_summary(organisation=organisation, user=me, today=today)
    assert summary == {
        "overdue": 3,
        "mine": 3,
        "mine_overdue": 1,
        # the risk is nobody's: what I chase on it is what I own
        "to_chase": 3,
        "to_chase_overdue": 1,
    }
    overdue = selectors.actions_overdue(organisation=organisation, today=today)
    assert [a.due_date for a in overdue] == [past] * 3
    assert all(a.status not in (ActionStatus.COMPLETED, ActionStatus.CANCELLED) for a in overdue)


def test_the_bench_indexes_exist():
    with connection.cursor() as cursor:
        actions = connection.introspection.get_constraints(cursor, Action._meta.db_table)
        risks = connection.introspection.get_constraints(cursor, Risk._meta.db_table)
    assert actions["action_open_due"]["columns"] == ["organisation_id", "due_date"]
    assert risks["risk_with_horizon"]["columns"] == ["organisation_id"]


def test_dashboard_query_count_does_not_grow_with_risks(
    client, organisation, appetite_setup, django_assert_max_num_queries
):
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    top = corporate(organisation)
    bulk_risks(top, 5, prefix="A", owner=admin, category=appetite_setup[0])
    # Every list has something in it at both sizes (an empty list skips its follow-up query).
    late = RiskFactory(register=top, ref="LATE", owner=admin, positions={"current": (5, 5)})
    ActionFactory(risk=late, owner=admin, due_date=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(admin)
    url = reverse("organisation", args=[organisation.slug])
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    made = bulk_risks(top, 300, prefix="M", owner=admin, category=appetite_setup[1])
    Action.objects.bulk_create(
        Action(
            organisation=organisation,
            risk=risk,
            description="late",
            owner=admin,
            due_date=timezone.localdate() - dt.timedelta(days=n % 30 + 1),
        )
        for n, risk in enumerate(made)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def _django_select_html(bound) -> str:
    """The field drawn by Django's own Select with the same attributes, for comparison."""
    stock = forms.Select(attrs=bound.field.widget.attrs, choices=bound.field.widget.choices)
    return bound.as_widget(widget=stock)


@pytest.mark.parametrize("chosen", [None, "owner", "unknown"])
def test_member_select_draws_the_markup_djangos_select_draws(organisation, chosen):
    owner = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name='Ann <b>"&" Co</b>'
    ).user
    MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    data = {"description": "x", "effectiveness": "effective", "owner": ""}
    if chosen == "owner":
        data["owner"] = str(owner.pk)
    elif chosen == "unknown":
        data["owner"] = "999999"  # an error: aria-invalid and the error class on the select
    form = ControlForm(data, organisation=organisation, auto_id="c-%s")
    form.is_valid()
    bound = form["owner"]
    assert isinstance(bound.field.widget, widgets.Select) and bound.widget_type == "select"
    ours = str(bound)
    assert parse_html(ours) == parse_html(_django_select_html(bound))
    assert "Ann &lt;b&gt;&quot;&amp;&quot; Co&lt;/b&gt;" in ours  # names are escaped
    assert (f'value="{owner.pk}" selected' in ours) == (chosen == "owner")


def test_dashboard_figures_agree_with_counting_by_hand(organisation, appetite_setup):
    made = _risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
    me = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    today = timezone.localdate()
    for n, risk in enumerate(made):
        Risk.objects.filter(pk=risk.pk).update(
            next_review_due=today + dt.timedelta(days=(n % 7 - 3) * 10),
            owner=me if n % 5 == 0 else None,
            manager=me if n % 7 == 0 else None,
        )
    made[3].leads.add(me)
    summary = selectors.risk_summary(organisation=organisation, user=me, today=today)
    lookup = appetite_lookup(organisation=organisation)
    open_ = [r for r in Risk.objects.filter(organisation=organisation) if r.status != "closed"]

    def state(risk):
        threshold = lookup.threshold(risk.category_id)
        return appetite_state(
            score=risk.current_score, tolerance=threshold.tolerance, warning=threshold.warning
        )

    mine = {r.pk for r in open_ if me.pk in (r.owner_id, r.manager_id)} | {made[3].pk}
    assert summary == {
        "open": len(open_),
        "breach": sum(state(r) == AppetiteState.BREACH for r in open_),
        "warning": sum(state(r) == AppetiteState.WARNING for r in open_),
        "overdue": sum(r.next_review_due < today for r in open_),
        "due_soon": sum(today <= r.next_review_due <= today + dt.timedelta(days=30) for r in open_),
        "mine": len(mine & {r.pk for r in open_}),
        "no_threshold": 0,  # every category has a threshold here (the default)
        "judged": sum(r.current_score is not None for r in open_),
    }
    assert summary["breach"] and summary["warning"] and summary["mine"] >= 3


def test_band_counts_from_the_heat_map_query_equal_counting_them_alone(
    organisation, appetite_setup
):
    _risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
    scheme = default_scheme(organisation=organisation).current_version.parsed
    totals: dict = {}
    selectors.organisation_heat_maps(organisation=organisation, scheme=scheme, bands=totals)
    shared = selectors.band_counts(organisation=organisation, scheme=scheme, counts=totals)
    alone = selectors.band_counts(organisation=organisation, scheme=scheme)
    assert shared == alone and sum(b.count for b in alone) == 39  # 40 risks, one closed


def test_register_counts_open_escalated_and_closed(organisation):
    top = corporate(organisation)
    bulk_risks(top, 4, prefix="O")
    bulk_risks(top, 2, prefix="E", status=RiskStatus.ESCALATED)
    bulk_risks(top, 3, prefix="C", status=RiskStatus.CLOSED, closed_reason="done")
    empty = RegisterFactory(organisation=organisation, parent=top)
    counts = {
        r.id: (r.open_risks, r.closed_risks)
        for r in selectors.registers_with_counts(organisation=organisation)
    }
    assert counts == {top.id: (6, 3), empty.id: (0, 0)}


@pytest.mark.parametrize(
    ("asked", "shown"), [(None, 1), ("abc", 1), ("2", 2), ("3", 3), ("9", 3), ("0", 3), ("-1", 3)]
)
def test_register_page_numbers_behave_as_paginator_get_page(organisation, asked, shown):
    top = corporate(organisation)
    bulk_risks(top, 25, prefix="P")
    risks = selectors.risk_list(
        organisation=organisation, register_ids=[top.id], sort="ref", today=timezone.localdate()
    )
    page, rows = selectors.risk_page(risks, number=asked, per_page=10)
    expected = Paginator(list(risks), 10).get_page(asked)
    assert page.number == expected.number == shown
    assert [r.pk for r in rows] == [r.pk for r in expected.object_list]
    assert (page.paginator.count, page.paginator.num_pages) == (25, 3)
    assert page.has_next() == expected.has_next() and page.start_index() == expected.start_index()


def test_register_page_counts_in_the_same_query_as_it_lists(
    organisation, django_assert_num_queries
):
    top = corporate(organisation)
    bulk_risks(top, 25, prefix="P")
    risks = selectors.risk_list(
        organisation=organisation, register_ids=[top.id], sort="-title", today=timezone.localdate()
    )
    # ids with the total (no separate COUNT), the rows of the page, their scheme version
    with django_assert_num_queries(3):
        page, rows = selectors.risk_page(risks, number=2, per_page=10)
    assert page.paginator.count == 25 and len(rows) == 10


def test_an_empty_register_page(organisation):
    risks = selectors.risk_list(
        organisation=organisation,
        register_ids=[corporate(organisation).id],
        today=timezone.localdate(),
    )
    page, rows = selectors.risk_page(risks, number="4", per_page=10)
    assert (page.number, page.paginator.count, rows) == (1, 0, [])


def test_register_owner_filter_draws_the_markup_djangos_select_draws(organisation):
    owners = [
        MembershipFactory(organisation=organisation, role=Role.OWNER, user__full_name=name).user
        for name in ("Zoë <Z>", "Al & Co")
    ]
    form = RiskFilterForm({"owner": str(owners[1].pk)}, owners=owners)
    form.is_valid()
    bound = form["owner"]
    assert isinstance(bound.field.widget, widgets.Select) and bound.widget_type == "select"
    assert parse_html(str(bound)) == parse_html(_django_select_html(bound))
    assert f'value="{owners[1].pk}" selected' in str(bound)


def test_register_page_fetches_the_scheme_version_once(organisation, django_assert_num_queries):
    top = corporate(organisation)
    bulk_risks(top, 30, prefix="V")
    risks = selectors.risk_list(
        organisation=organisation, register_ids=[top.id], today=timezone.localdate()
    )
    with django_assert_num_queries(3):  # ids and total, the rows, their scheme version(s)
        page, rows = selectors.risk_page(risks, number=1, per_page=25)
    versions = {id(row.scheme_version) for row in rows}
    assert len(versions) == 1 and all(r.current for r in selectors.annotated_rows(rows))


def test_dashboard_figures_from_one_read_equal_reading_each_alone(organisation, appetite_setup):
    made = _risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
    me = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    today = timezone.localdate()
    for n, risk in enumerate(made):
        Risk.objects.filter(pk=risk.pk).update(
            next_review_due=today + dt.timedelta(days=(n % 5 - 2) * 20),
            owner=me if n % 4 == 0 else None,
            horizon=("", "short", "long")[n % 3],
        )
    scheme = default_scheme(organisation=organisation).current_version.parsed
    groups = selectors.current_position_groups(organisation=organisation, user=me, today=today)
    shared_bands, alone_bands = {}, {}
    shared = selectors.organisation_heat_maps(
        organisation=organisation, scheme=scheme, bands=shared_bands, current_groups=groups
    )
    alone = selectors.organisation_heat_maps(
        organisation=organisation, scheme=scheme, bands=alone_bands
    )
    assert shared == alone and shared_bands == alone_bands and len(shared[1]) == 3
    assert selectors.risk_summary(
        organisation=organisation, user=me, today=today, groups=groups
    ) == selectors.risk_summary(organisation=organisation, user=me, today=today)


def test_owner_choices_are_the_members_who_can_own_plus_those_already_named(
    organisation, other_organisation
):
    can = [
        MembershipFactory(organisation=organisation, role=role).user
        for role in (Role.ADMIN, Role.COORDINATOR, Role.OWNER)
    ]
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    MembershipFactory(organisation=organisation, role=Role.PANEL)
    outsider = MembershipFactory(organisation=other_organisation, role=Role.OWNER).user
    MembershipFactory(organisation=other_organisation, role=Role.OWNER, user=can[2])
    assert set(members(organisation)) == set(can)
    kept = list(members(organisation, keep=[viewer.pk, outsider.pk, None]))
    assert set(kept) == {*can, viewer} and len(kept) == len(set(kept))
    assert kept == sorted(kept, key=lambda u: (u.full_name, u.email))


def test_risk_page_draws_the_add_forms_only_when_opened(client, organisation):
    """The add-a-control and add-an-action forms (each offering every member as owner) are not
    drawn on the risk page: htmx fetches each when its details are first opened, and without
    JavaScript /controls/add/ shows the page with the form open."""
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    owners = [MembershipFactory(organisation=organisation, role=Role.OWNER).user for _ in range(3)]
    risk = RiskFactory(register=corporate(organisation), ref="R1")
    client.force_login(coordinator)
    response = client.get(reverse("risk", args=[organisation.slug, risk.ref]))
    assert response.context["control_form"] is None and response.context["action_form"] is None
    html = response.content.decode()
    assert f'<option value="{owners[0].pk}">' not in html
    for kind in ("control", "action"):
        url = reverse(f"{kind}_add", args=[organisation.slug, risk.ref])
        assert f'hx-get="{url}" hx-trigger="toggle once"' in html
        assert f'href="{url}">Open the form to add' in html
        # htmx: the form alone, ready to post
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "HX-Request" in fragment["Vary"]
        body = fragment.content.decode()
        assert body.lstrip().startswith("<form") and "<html" not in body
        assert f'hx-post="{url}"' in body and "csrfmiddlewaretoken" in body
        assert all(f'<option value="{owner.pk}">' in body for owner in owners)
        # no JavaScript: the whole risk page, that form open
        page = client.get(url)
        assert page.status_code == 200
        assert f'id="add-{kind}" open' in page.content.decode()
        assert f'id="new-{kind}-description"' in page.content.decode()
