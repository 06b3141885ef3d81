"""The risk page's risk read with its owner, manager and scheme version as JSON values (no
joins to plan), and its control and action rows' links resolved once for the page (issue 20)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from registers.models import Risk, Role
from registers.views.risk_common import fetch_risk
from registers.views.treatment_rows import ACTION_LINKS, CONTROL_LINKS, action_links, control_links
from tests.factories import ActionFactory, ControlFactory, RiskFactory

pytestmark = pytest.mark.django_db


def fetched(user, risk):
    request = RequestFactory().get("/")
    request.user = user
    return fetch_risk(request, risk.organisation.slug, risk.ref)


def test_the_risk_comes_with_its_owner_manager_and_scheme_version_as_stored(
    corporate_register, member, django_assert_num_queries
):
    owner = member(Role.OWNER, user__full_name="Olu Owner", user__job_title="Head of Estates")
    manager = member(Role.OWNER, user__full_name="", user__email="mo@example.test")
    risk = RiskFactory(register=corporate_register, ref="J1", owner=owner, manager=manager)
    stored = Risk.objects.select_related(
        "owner", "manager", "scheme_version", "scheme_version__scheme"
    ).get(pk=risk.pk)
    _, read = fetched(member(Role.VIEWER), risk)
    with django_assert_num_queries(0):  # all read with the risk
        assert read.owner.display_name == "Olu Owner, Head of Estates"
        assert read.owner.is_active
        assert read.manager.display_name == "mo@example.test"
        assert read.owner_id == owner.pk and read.manager_id == manager.pk
        assert str(read.scheme_version) == str(stored.scheme_version)
        assert read.scheme_version.definition == stored.scheme_version.definition
        assert read.scheme_version.parsed == stored.scheme_version.parsed
        scheme = read.scheme_version.scheme
        assert (scheme.pk, scheme.name, scheme.is_default, scheme.current_version_id) == (
            stored.scheme_version.scheme.pk,
            stored.scheme_version.scheme.name,
            stored.scheme_version.scheme.is_default,
            stored.scheme_version.scheme.current_version_id,
        )
    # A field not read with the risk is read when asked for, never made up.
    assert read.owner.date_joined == stored.owner.date_joined
    assert read.scheme_version.created_at == stored.scheme_version.created_at


def test_a_risk_with_nobody_named_and_no_rating_has_none(corporate_register, member):
    risk = RiskFactory(register=corporate_register, ref="J2", positions={})
    _, read = fetched(member(Role.VIEWER), risk)
    assert read.owner is None and read.manager is None
    assert read.scheme_version_id == risk.scheme_version_id
    if risk.scheme_version_id is None:
        assert read.scheme_version is None


@pytest.mark.parametrize("ref", ["J3", "A.1-b_2", "OLD/7"])
def test_row_links_are_the_urls_reverse_gives(corporate_register, ref):
    risk = RiskFactory(register=corporate_register, ref=ref.replace("/", ""))
    if "/" in ref:  # older data may hold a ref no URL carries as it is (registers/refs.py)
        Risk.objects.filter(pk=risk.pk).update(ref=ref)
        risk.ref = ref
    organisation = risk.organisation
    controls = [ControlFactory(risk=risk, description="x" * 80) for _ in range(2)]
    actions = [ActionFactory(risk=risk) for _ in range(2)]
    control_links(organisation, risk, controls, comment=True)
    action_links(organisation, risk, actions, comment=False)
    for control in controls:
        args = [organisation.slug, risk.ref, control.pk]
        assert control.links == {
            **{key: reverse(name, args=args) for key, name in CONTROL_LINKS.items()},
            "comment": reverse("comment_add", args=args[:2]) + f"?about=control-{control.pk}",
        }
        assert control.short == "x" * 59 + "…"
    for action in actions:
        args = [organisation.slug, risk.ref, action.pk]
        assert action.links == {key: reverse(name, args=args) for key, name in ACTION_LINKS.items()}
