"""The dashboard's figures: counted in a few reads, they equal counting by hand and reading each
alone, and the page's queries do not grow with the risks."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from appetite.rules import AppetiteState, appetite_state
from appetite.selectors import appetite_lookup
from registers import selectors
from registers.models import Action, ActionStatus, Risk, Role
from scoring.selectors import default_scheme
from tests.factories import ActionFactory, MembershipFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries
from tests.registers.appetite_cases import risks_on_every_side_of_the_thresholds
from tests.registers.test_register_page import bulk_risks

pytestmark = pytest.mark.django_db


def test_dashboard_action_figures_count_what_they_did(organisation):
    me = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    someone = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    risk = RiskFactory(register=corporate_register_of(organisation), ref="A")
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


def test_dashboard_figures_agree_with_counting_by_hand(organisation, appetite_setup):
    made = risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
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
        "awaiting_sign_off": 0,  # no update awaits sign-off here
        "mine": len(mine & {r.pk for r in open_}),
        "no_threshold": 0,  # every category has a threshold here (the default)
        "judged": sum(r.current_score is not None for r in open_),
    }
    assert summary["breach"] and summary["warning"] and summary["mine"] >= 3


def test_band_counts_from_the_heat_map_query_equal_counting_them_alone(
    organisation, appetite_setup
):
    risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
    scheme = default_scheme(organisation=organisation).current_version.parsed
    totals: dict = {}
    selectors.organisation_heat_maps(organisation=organisation, scheme=scheme, bands=totals)
    shared = selectors.band_counts(organisation=organisation, scheme=scheme, counts=totals)
    alone = selectors.band_counts(organisation=organisation, scheme=scheme)
    assert shared == alone and sum(b.count for b in alone) == 39  # 40 risks, one closed


def test_dashboard_figures_from_one_read_equal_reading_each_alone(organisation, appetite_setup):
    made = risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
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


def test_dashboard_query_count_does_not_grow_with_risks(client, organisation, appetite_setup):
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    top = corporate_register_of(organisation)
    bulk_risks(top, 5, prefix="A", owner=admin, category=appetite_setup[0])
    # Every list has something in it at both sizes (an empty list skips its follow-up query).
    late = RiskFactory(register=top, ref="LATE", owner=admin, positions={"current": (5, 5)})
    ActionFactory(risk=late, owner=admin, due_date=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(admin)
    url = reverse("organisation", args=[organisation.slug])

    def grow():
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

    client.get(url)  # warm caches: the dashboard's exposure at past quarter ends
    few, many = assert_same_queries(lambda: client.get(url), grow, at_most=40)
    assert few.status_code == many.status_code == 200
