"""Who is offered as an owner (forms `members`, the register's owner filter) and the select that
offers them, drawn as Django's own Select draws it."""

import pytest
from django import forms
from django.test.html import parse_html

from registers import selectors, widgets
from registers.filters import RiskFilterForm
from registers.forms import ControlForm, members
from registers.models import Membership, Risk, Role
from tests.factories import MembershipFactory, RiskFactory, UserFactory, corporate_register_of
from tests.registers.test_register_page import bulk_risks

pytestmark = pytest.mark.django_db


def test_owner_filter_lists_each_owner_once_former_members_too(organisation):
    top = corporate_register_of(organisation)
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
