"""The browser's view of what changed since the last report (issue 16): the register page's
"Changed since the last report" filter (query count flat) and the risk page's "What changed"
panel and breach duration, with OFFICIAL-SENSITIVE text withheld from uncleared members."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from appetite.services import appetite_statement_set
from registers.models import Marking, Role
from registers.services.risks import control_add, risk_update
from tests.factories import MembershipFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# The last report before NOW is the quarter end of 30 September 2026.
BEFORE = dt.datetime(2026, 8, 1, 10, tzinfo=LONDON)
DURING = dt.datetime(2026, 11, 2, 10, tzinfo=LONDON)
NOW = dt.datetime(2026, 12, 6, 10, tzinfo=LONDON)


@contextmanager
def at(when):
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def make_risk(register, ref, when=BEFORE, **kwargs):
    with at(when):
        return RiskFactory(register=register, ref=ref, **kwargs)


def update(risk, when=DURING, **kwargs):
    risk.refresh_from_db()
    with at(when):
        return risk_update(risk=risk, expected_version=risk.version, **kwargs)


def register_url(organisation, **params):
    url = reverse("register", args=[organisation.slug, "corporate"])
    return url + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def refs_listed(response):
    return [row.risk.ref for row in response.context["rows"]]


def test_register_filter_lists_risks_changed_since_the_last_report(
    client, organisation, corporate_register, member
):
    make_risk(corporate_register, "Q1")
    retitled = make_risk(corporate_register, "T1")
    update(retitled, fields={"title": "Retitled"})
    treated = make_risk(corporate_register, "C1")
    with at(DURING):
        control_add(risk=treated, description="New control")
    make_risk(corporate_register, "N1", when=DURING)
    reviewed = make_risk(corporate_register, "V1")
    update(reviewed, fields={"next_review_due": dt.date(2027, 6, 1)})
    client.force_login(member(Role.VIEWER))
    with at(NOW):
        response = client.get(register_url(organisation, changed="last_report"))
        unfiltered = client.get(register_url(organisation))
    assert response.status_code == 200
    assert sorted(refs_listed(response)) == ["C1", "N1", "T1"]
    assert len(refs_listed(unfiltered)) == 5
    page = response.content.decode()
    assert "Showing the risks changed since the last report, 30 September 2026" in page
    assert "Changed since the last report" in page  # the filter's choice


def test_register_filter_bad_value_is_reported_not_500(client, organisation, member):
    client.force_login(member(Role.VIEWER))
    response = client.get(register_url(organisation, changed="whenever"))
    assert response.status_code == 200
    assert "Changes" in response.content.decode()


def test_register_filter_query_count_flat(client, organisation, corporate_register, member):
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    made = []

    def grow():
        for n in range(len(made), len(made) + 5):
            risk = make_risk(corporate_register, f"G{n}", owner=owner)
            with at(BEFORE):
                control_add(risk=risk, description="Control")
            update(risk, fields={"title": f"Grown {n}"})
            with at(DURING):
                control_add(risk=risk, description="Another", position=1)
            made.append(risk)

    grow()
    client.force_login(member(Role.VIEWER))
    url = register_url(organisation, changed="last_report")
    with at(NOW):
        client.get(url)

    def fetch():
        with at(NOW):
            return client.get(url)

    few, more = assert_same_queries(fetch, grow, at_most=30)
    assert len(few.context["rows"]) == 5 and len(more.context["rows"]) == 10


def test_risk_page_panel_says_what_changed(client, organisation, corporate_register, member):
    risk = make_risk(corporate_register, "R1", title="Old title", positions={"current": (3, 4)})
    update(risk, fields={"title": "New title"}, positions={"current": (4, 5)})
    client.force_login(member(Role.VIEWER))
    with at(NOW):
        page = client.get(reverse("risk", args=[organisation.slug, "R1"])).content.decode()
    assert "What changed since 30 September 2026 (2 changes)" in page
    assert "<strong>New title</strong>" in page and "was Old title" in page
    assert "was 12 (Medium)" in page


def test_risk_page_panel_withholds_sensitive_text(client, organisation, corporate_register, member):
    risk = make_risk(
        corporate_register, "S1", description="Secret cause", marking=Marking.OFFICIAL_SENSITIVE
    )
    update(risk, fields={"description": "Even more secret cause"})
    client.force_login(member(Role.VIEWER))
    with at(NOW):
        page = client.get(reverse("risk", args=[organisation.slug, "S1"])).content.decode()
    assert "What changed since 30 September 2026 (1 change)" in page
    assert "secret" not in page.lower()


def test_risk_page_says_how_long_in_breach(client, organisation, corporate_register, member):
    with at(dt.datetime(2026, 1, 1, tzinfo=LONDON)):
        appetite_statement_set(organisation=organisation, tolerance=10)
    make_risk(
        corporate_register,
        "B1",
        when=dt.datetime(2026, 2, 1, tzinfo=LONDON),
        positions={"current": (4, 4)},
    )
    client.force_login(member(Role.VIEWER))
    with at(NOW):
        page = client.get(reverse("risk", args=[organisation.slug, "B1"])).content.decode()
    assert "Outside appetite since March 2026, 3 quarters." in page


def test_register_filter_as_it_stood_compares_with_the_report_before_that_day(
    client, organisation, corporate_register, member
):
    retitled = make_risk(corporate_register, "T1")
    update(retitled, fields={"title": "Retitled in November"})
    later = make_risk(corporate_register, "L1")
    update(later, when=dt.datetime(2026, 12, 3, 10, tzinfo=LONDON), fields={"title": "December"})
    client.force_login(member(Role.VIEWER))
    with at(NOW):
        response = client.get(register_url(organisation, changed="last_report", as_of="2026-11-30"))
    assert response.status_code == 200
    assert refs_listed(response) == ["T1"]
    assert "since the last report, 30 September 2026" in response.content.decode()
