"""Dates are shown and typed day first (30/06/2027), whatever the browser's language: every date
input is a text box drawn by registers.widgets.DateInput, and every date field accepts dd/mm/yyyy
(and ISO, which links and scripts use) and says clearly when a date is not real."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from registers.filters import RegisterViewForm
from registers.forms import ActionForm, ReviewForm, RiskForm
from registers.models import Role
from registers.services.organisations import member_add
from registers.services.risks import scheme_version_for_register
from registers.widgets import DATE_EXAMPLE
from reporting.views.lifecycle import PeriodForm
from reporting.views.packs import PackRequestForm
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 6, 30)
TYPED_AS = ["30/06/2027", "30/6/2027", "30/06/27", "30-06-2027", "30.06.2027", "30 6 2027",
            "30 June 2027", "30 Jun 2027", "2027-06-30", " 30/06/2027 "]  # fmt: skip


def risk_form(organisation, data=None, **kwargs):
    scheme = scheme_version_for_register(corporate_register_of(organisation)).parsed
    return RiskForm(data, organisation=organisation, scheme=scheme, **kwargs)


def date_input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


@pytest.mark.parametrize("typed", TYPED_AS)
def test_action_due_date_is_read_day_first(organisation, typed):
    form = ActionForm({"description": "Rewire", "status": "not_started", "due_date": typed},
                      organisation=organisation)  # fmt: skip
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due_date"] == DAY


def test_a_date_that_could_be_either_way_round_is_day_first(organisation):
    form = ActionForm({"description": "Rewire", "status": "not_started", "due_date": "04/05/2027"},
                      organisation=organisation)  # fmt: skip
    assert form.is_valid()
    assert form.cleaned_data["due_date"] == dt.date(2027, 5, 4)


@pytest.mark.parametrize("typed", ["31/02/2027", "06/30/2027", "30/06", "tomorrow", "2027-13-01"])
def test_a_date_that_is_not_real_is_refused_with_an_example(organisation, typed):
    form = ActionForm({"description": "Rewire", "status": "not_started", "due_date": typed},
                      organisation=organisation)  # fmt: skip
    assert not form.is_valid()
    (message,) = form.errors["due_date"]
    assert DATE_EXAMPLE in message and "due date" in message


def test_date_inputs_are_text_boxes_showing_day_first(organisation):
    form = ActionForm(initial={"due_date": DAY}, organisation=organisation)
    html = date_input(str(form["due_date"]), "due_date")
    assert 'type="text"' in html and 'value="30/06/2027"' in html
    assert 'type="date"' not in html


def test_risk_form_next_review_is_read_and_shown_day_first(organisation):
    risk = RiskFactory(register=corporate_register_of(organisation))
    form = risk_form(organisation, initial={"next_review_due": DAY}, risk=risk)
    html = date_input(str(form["next_review_due"]), "next_review_due")
    assert 'type="text"' in html and 'value="30/06/2027"' in html
    assert DATE_EXAMPLE in str(form["next_review_due"].help_text)
    data = {"title": "T", "kind": "threat", "marking": "OFFICIAL", "next_review_due": "30/06/2027"}
    form = risk_form(organisation, data, risk=risk)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["next_review_due"] == DAY
    form = risk_form(organisation, {**data, "next_review_due": "31/06/2027"}, risk=risk)
    assert not form.is_valid()
    assert DATE_EXAMPLE in form.errors["next_review_due"][0]


def test_review_date_is_read_day_first(organisation):
    scheme = scheme_version_for_register(corporate_register_of(organisation)).parsed
    data = {"outcome": "unchanged", "note": "Looked", "reviewed_on": "1/7/2027", "version": 1}
    form = ReviewForm(data, scheme=scheme)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["reviewed_on"] == dt.date(2027, 7, 1)
    assert 'type="text"' in date_input(str(form["reviewed_on"]), "reviewed_on")


def test_movement_period_is_read_and_shown_day_first():
    form = PeriodForm({"since": "31/03/2026", "until": "2026-06-30"}, today=dt.date(2026, 7, 1))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["since"] == dt.date(2026, 3, 31)
    assert form.cleaned_data["until"] == dt.date(2026, 6, 30)
    assert 'value="31/03/2026"' in date_input(str(form["since"]), "since")
    assert 'value="30/06/2026"' in date_input(str(form["until"]), "until")
    form = PeriodForm({"since": "31/09/2026"}, today=dt.date(2026, 12, 1))
    assert not form.is_valid()
    assert DATE_EXAMPLE in form.errors["since"][0]


def test_pack_as_at_is_read_and_shown_day_first(organisation):
    form = PackRequestForm({"as_of": "31/3/26"}, editions=["public"], organisation=organisation)
    form.is_valid()
    assert "as_of" not in form.errors
    assert form.cleaned_data["as_of"] == dt.date(2026, 3, 31)
    form = PackRequestForm({"as_of": "31/04/2026"}, editions=["public"], organisation=organisation)
    assert not form.is_valid()
    assert DATE_EXAMPLE in form.errors["as_of"][0]


def test_register_as_of_is_read_day_first():
    form = RegisterViewForm({"as_of": "31 Mar 2026"}, today=dt.date(2026, 7, 1))
    form.is_valid()
    assert form.cleaned_data.get("as_of") == dt.date(2026, 3, 31)
    form = RegisterViewForm({"as_of": "31/04/2026"}, today=dt.date(2026, 7, 1))
    form.is_valid()
    assert DATE_EXAMPLE in " ".join(form.errors["as_of"])


def test_pages_draw_date_inputs_day_first(client, organisation):
    coordinator = member_add(
        organisation=organisation, email="cora@example.test", role=Role.COORDINATOR
    ).user
    client.force_login(coordinator)
    html = client.get(
        reverse("register", args=[organisation.slug, "corporate"]), {"as_of": "2026-03-31"}
    ).content.decode()
    assert 'type="date"' not in html
    assert 'value="31/03/2026"' in date_input(html, "as_of")
    html = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert 'type="date"' not in html
    assert 'type="text"' in date_input(html, "as_of")
    html = client.get(reverse("movement", args=[organisation.slug])).content.decode()
    assert 'type="date"' not in html
