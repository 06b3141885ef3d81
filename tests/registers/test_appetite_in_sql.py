"""Appetite worked out in SQL (`with_appetite`, `with_appetite_as_of`) agrees with the rules in
`appetite.rules` for every case, today and as it stood."""

import pytest
from django.db.models import Count
from django.utils import timezone

from appetite.rules import AppetiteState, appetite_state
from appetite.selectors import appetite_lookup
from registers import selectors
from registers.models import Risk, RiskStatus
from registers.selectors.rows import APPETITE_RANKS
from tests.factories import RiskFactory, corporate_register_of
from tests.registers.appetite_cases import risks_on_every_side_of_the_thresholds

pytestmark = pytest.mark.django_db


def test_appetite_in_sql_agrees_with_the_rules_for_every_case(organisation, appetite_setup):
    risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
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
    risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
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
    RiskFactory(
        register=corporate_register_of(organisation), ref="A", positions={"current": (5, 5)}
    )
    risk = selectors.with_appetite(
        Risk.objects.filter(organisation=organisation), organisation=organisation
    ).get()
    assert (risk.appetite_tolerance, risk.appetite_warning, risk.appetite_rank) == (None, None, 0)


def test_appetite_as_it_stood_uses_the_same_rule(organisation, appetite_setup):
    risks_on_every_side_of_the_thresholds(organisation, appetite_setup)
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
