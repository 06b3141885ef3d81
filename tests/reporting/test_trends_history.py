"""Trends across quarter ends and the register as it stood, derived from history (issue 4, "Trends
and movement, derived from history"): WMP's Q1/Q2/Q3 trend columns ("N/A", "New", arrows), the
Met's arrow beside each current rating, "as it stood on" a past day, and risks escalated into a
register. Timestamps are controlled: every write happens at an explicit moment."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from registers.models import Register, Risk, RiskStatus, Role
from registers.selectors import Trend, register_trends, trend_between
from registers.services.escalation import escalation_accept, escalation_request
from registers.services.risks import risk_close, risk_update
from reporting.spreadsheets.columns import EXPORT_COLUMNS
from reporting.spreadsheets.exporting import register_export
from reporting.trends import trends_for
from tests.factories import MembershipFactory, RegisterFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
Q0, Q1, Q2, Q3 = (
    dt.date(2021, 3, 31),
    dt.date(2021, 6, 30),
    dt.date(2021, 9, 30),
    dt.date(2021, 12, 31),
)


def moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=LONDON)


@contextmanager
def at(when: dt.datetime):
    """Everything written inside happens at ``when`` (history dates, created_at, "today")."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


@pytest.fixture
def coordinator(organisation):
    return MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user


@pytest.fixture
def quarters(organisation, coordinator):
    """A register through 2021/22, written at controlled moments (ESPO 5x5 scores)."""
    top = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, parent=top, name="School")
    with at(moment(dt.date(2021, 2, 1))):
        level = RiskFactory(register=top, ref="LEVEL", positions={"current": (3, 3)})
        up = RiskFactory(register=top, ref="UPQ2", positions={"current": (2, 2)})
        down = RiskFactory(register=top, ref="DOWNQ3", positions={"current": (4, 4)})
        closing = RiskFactory(register=top, ref="CLOSEDQ3", positions={"current": (3, 3)})
        moving = RiskFactory(register=school, ref="ESCQ3", positions={"current": (3, 4)})
    with at(moment(dt.date(2021, 8, 1))):
        risk_update(risk=up, expected_version=1, positions={"current": (4, 4)})
    with at(moment(dt.date(2021, 8, 15))):
        RiskFactory(register=top, ref="NEWQ2", positions={"current": (2, 3)})
    with at(moment(dt.date(2021, 10, 10))):
        escalation = escalation_request(risk=moving, user=coordinator, reason="whole school")
    with at(moment(dt.date(2021, 10, 12))):
        escalation_accept(escalation=escalation, user=coordinator, new_owner=coordinator)
    with at(moment(dt.date(2021, 11, 1))):
        risk_update(risk=down, expected_version=1, positions={"current": (2, 3)})
    with at(moment(dt.date(2021, 11, 20))):
        risk_close(risk=closing, expected_version=1, reason="fully mitigated")
    with at(moment(dt.date(2022, 1, 15))):  # after Q3: not in any column
        risk_update(risk=level, expected_version=1, positions={"current": (5, 5)})
    return {"top": top, "school": school}


EXPECTED = {  # Q1, Q2, Q3 of 2021/22, as WMP publishes them
    "LEVEL": ["level", "level", "level"],
    "UPQ2": ["level", "up", "level"],
    "DOWNQ3": ["level", "level", "down"],
    "CLOSEDQ3": ["level", "level", "closed"],
    "NEWQ2": ["n/a", "new", "level"],
    "ESCQ3": ["n/a", "n/a", "new"],  # on the school register until Q3: not on this one
}


def test_quarter_trends_from_history(organisation, quarters):
    risks = list(Risk.history.as_of(end_of(Q3)).filter(register_id=quarters["top"].id))
    trends = register_trends(
        risks,
        organisation=organisation,
        moment=end_of(Q3),
        register_ids=[quarters["top"].id],
        quarters=3,
    )
    assert [end.date() for end in trends.quarter_ends] == [Q1, Q2, Q3]
    assert trends.since.date() == Q2  # the arrow compares with the quarter before
    found = {r.ref: [cell.trend.value for cell in trends[r.id].quarters] for r in risks}
    assert found == EXPECTED
    arrows = {r.ref: trends[r.id].arrow.trend.value for r in risks}
    assert arrows == {ref: columns[-1] for ref, columns in EXPECTED.items()}
    # The arrow knows the rating it moved from, in the scheme's notation.
    down = next(r for r in risks if r.ref == "DOWNQ3")
    assert trends[down.id].arrow.before.label == "16 (High)"


def test_register_page_shows_quarter_columns_and_arrows(client, organisation, quarters):
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    client.force_login(viewer)
    url = reverse("register", args=[organisation.slug, "corporate"])
    response = client.get(url, {"trend": "quarters", "as_of": "2021-12-31", "status": "all"})
    assert response.status_code == 200
    table = {row.risk.ref: trend for row, trend in response.context["table"]}
    assert {ref: [c.trend.value for c in t.quarters] for ref, t in table.items()} == EXPECTED
    html = response.content.decode()
    assert "As it stood on 31 December 2021" in html
    assert "Back to the register today" in html
    assert [q["label"] for q in response.context["quarter_columns"]] == [
        "Q1 2021/22",
        "Q2 2021/22",
        "Q3 2021/22",
    ]
    assert "2021/22, to 30 Jun 2021" in html  # each column is labelled with its quarter end
    # Arrow AND word, never the arrow alone.
    for text in (
        '<span aria-hidden="true">↑</span> up',
        '<span aria-hidden="true">↓</span> down',
        '<span aria-hidden="true">→</span> level',
        "New",
        "Closed",
        "N/A",
    ):
        assert text in html
    assert "Add a risk" not in html  # read only


def test_trend_columns_are_off_unless_asked(client, organisation, quarters):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    response = client.get(reverse("register", args=[organisation.slug, "corporate"]))
    assert response.context["quarter_columns"] == []
    # The arrow beside each rating is always there: nothing changed since the last quarter end.
    arrows = {row.risk.ref: trend.arrow.trend for row, trend in response.context["table"]}
    assert set(arrows.values()) == {Trend.LEVEL}
    assert "Show the trend of the last three quarters" in response.content.decode()


def test_as_of_matches_the_export_as_of(client, organisation, quarters):
    """The register page as it stood on a day lists what the as-of export lists."""
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    for day in (Q1, Q2, Q3, dt.date(2022, 2, 1)):
        response = client.get(url, {"as_of": day.isoformat(), "status": "all"})
        page = {
            (
                row.risk.ref,
                row.risk.current_score,
                row.risk.current_band,
                RiskStatus(row.risk.status).label,
                row.risk.next_review_due,
            )
            for row in response.context["rows"]
        }
        export = register_export(register=quarters["top"], as_of=end_of(day))
        columns = {name: i for i, name in enumerate(EXPORT_COLUMNS)}
        exported = {
            (
                row[columns["ref"]],
                row[columns["current_score"]],
                row[columns["current_band"]],
                row[columns["status"]],
                row[columns["next_review"]],
            )
            for row in export.rows
        }
        assert page == exported, day
    # On Q1 the escalated risk was still on the school register, and NEWQ2 did not exist.
    response = client.get(url, {"as_of": Q1.isoformat(), "status": "all"})
    assert {row.risk.ref for row in response.context["rows"]} == {
        "LEVEL",
        "UPQ2",
        "DOWNQ3",
        "CLOSEDQ3",
    }
    assert {row.risk.ref: row.risk.current_score for row in response.context["rows"]}["UPQ2"] == 4


def test_as_of_in_the_future_or_nonsense_is_reported_and_ignored(client, organisation, quarters):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    for value in ("2999-01-01", "yesterday"):
        response = client.get(url, {"as_of": value})
        assert response.status_code == 200
        assert response.context["as_of"] is None
        assert "As it stood on" in response.content.decode()  # the error names the field


def test_escalated_in_shows_origin(client, organisation, quarters):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    response = client.get(url, {"escalated": "in"})
    assert [row.risk.ref for row in response.context["rows"]] == ["ESCQ3"]
    html = response.content.decode()
    assert "Escalated from" in html and "School" in html
    # Before the escalation was accepted nothing had been escalated in.
    response = client.get(url, {"escalated": "in", "as_of": "2021-10-11"})
    assert list(response.context["rows"]) == []
    assert "No risks have been escalated into this register by that date." in (
        response.content.decode()
    )


def test_trend_rule():
    def state(score, register=1, status="open", likelihood=None, impact=None):
        return {
            "status": status,
            "current_score": score,
            "current_likelihood": likelihood or (score and 1),
            "current_impact": impact or score,
            "register_id": register,
        }

    assert trend_between(state(4), state(16)) == Trend.UP
    assert trend_between(state(16), state(4)) == Trend.DOWN
    assert trend_between(state(9), state(9)) == Trend.LEVEL
    assert trend_between(None, state(9)) == Trend.NEW
    assert trend_between(state(None), state(9)) == Trend.NEW  # first rated
    assert trend_between(state(9), state(9, status="closed")) == Trend.CLOSED
    assert trend_between(state(9), None) == Trend.NOT_ON_REGISTER
    assert trend_between(state(9, register=2), state(9), register_ids=[1]) == Trend.NEW
    assert trend_between(state(9), state(9, register=2), register_ids=[1]) == Trend.NOT_ON_REGISTER
    # A matrix scheme's score is the band's position: a move within the band still shows.
    assert trend_between(state(3, likelihood=2, impact=3), state(3, likelihood=3, impact=3)) == (
        Trend.UP
    )


def test_export_trend_uses_the_same_rule(organisation, quarters):
    risks = list(Risk.history.as_of(end_of(Q3)).filter(register_id=quarters["top"].id))
    trends = trends_for(risks, organisation=organisation, moment=end_of(Q3))
    assert {r.ref: trends[r.id] for r in risks} == {
        "LEVEL": "level",
        "UPQ2": "level",
        "DOWNQ3": "down",
        "CLOSEDQ3": "closed",
        "NEWQ2": "level",
        "ESCQ3": "level",  # the export follows the risk, wherever it was
    }


# --- query counts ------------------------------------------------------------------------------


def grow_history(risks, extra: int) -> None:
    """``extra`` more history records per risk, a quarter apart, before the risk's own."""
    model = Risk.history.model
    records = []
    for record in Risk.history.filter(id__in=[r.id for r in risks]):
        for n in range(1, extra + 1):
            copy = model(
                **{
                    f.attname: getattr(record, f.attname)
                    for f in model._meta.concrete_fields
                    if f.attname != "history_id"
                }
            )
            copy.history_date = record.history_date - dt.timedelta(days=91 * n)
            copy.history_type = "~"
            copy.current_likelihood = n % 5 + 1
            copy.current_impact = 3
            copy.current_score = copy.current_likelihood * 3
            records.append(copy)
    model.objects.bulk_create(records)


def build_register(organisation, count: int, *, prefix: str, history: int):
    top = corporate_register_of(organisation)
    with at(moment(dt.date(2024, 1, 15))):
        risks = [
            RiskFactory(register=top, ref=f"{prefix}{n}", positions={"current": (n % 5 + 1, 2)})
            for n in range(count)
        ]
    if history > 1:
        grow_history(risks, history - 1)
    return risks


@pytest.mark.parametrize(
    "params",
    [{"trend": "quarters"}, {"trend": "quarters", "as_of": "2025-06-30", "escalated": ""}],
)
def test_register_page_queries_flat_as_risks_and_history_grow(client, organisation, params):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    build_register(organisation, 5, prefix="A", history=1)
    few, response = assert_same_queries(
        lambda: client.get(url, params),
        lambda: build_register(organisation, 45, prefix="B", history=8),
        at_most=30,
    )
    assert few.status_code == 200
    assert len(response.context["rows"]) == 50
    assert len(response.context["quarter_columns"]) == 3


# --- the seeded demo reproduces the published trends ----------------------------------------


def test_seeded_wmp_reproduces_the_published_quarter_trends(db):
    """WMP's register publishes Q1, Q2 and Q3 2021/22 trending for each risk ("N/A", "New",
    arrows); the demo's history gives the same columns, derived, not typed in."""
    from demo.seed_data.wmp import ORGANISATION
    from demo.seeding import seed_demo

    seed_demo(slugs=("wmp",))
    wmp = Register.objects.get(organisation__slug="wmp", slug="corporate")
    risks = list(Risk.history.as_of(end_of(Q3)).filter(register_id=wmp.id))
    trends = register_trends(
        risks, organisation=wmp.organisation, moment=end_of(Q3), register_ids=[wmp.id], quarters=3
    )
    found = {r.ref: [cell.trend.value for cell in trends[r.id].quarters] for r in risks}
    published = {
        spec["ref"]: [direction for _, direction in spec["reported_trend"]]
        for spec in ORGANISATION["risks"]
    }
    assert found == published
    assert len(found) == 19
    crr18 = Risk.objects.get(organisation__slug="wmp", ref="CRR18")
    assert "History reconstructed from the published quarterly trend" in crr18.source_note
    assert crr18.created_at == crr18.history.earliest("history_date").history_date
    assert crr18.created_at.date() == dt.date(2021, 9, 1)  # inside Q2: published "New"


def test_seeded_met_keeps_direction_only_arrows_as_a_note(db):
    """The Met publishes an arrow but no earlier rating: none is invented."""
    from demo.seeding import seed_demo

    seed_demo(slugs=("met",))
    risk = Risk.objects.get(organisation__slug="met", ref="1")
    ratings = set(risk.history.values_list("current_likelihood", "current_impact"))
    assert ratings == {(2, 3)}  # M v H throughout
    assert "direction only" in risk.source_note and "Published trend" in risk.source_note
    assert risk.created_at.date() == dt.date(2021, 10, 4)


def test_as_of_appetite_uses_the_statements_of_then(client, organisation):
    """Aberdeen's Table 5 thresholds have no warning: the as-of register still sorts and
    filters by appetite (typed NULL thresholds), with the thresholds as they stood then."""
    from appetite.services import appetite_statement_set
    from tests.factories import CategoryFactory

    finance = CategoryFactory(organisation=organisation, name="Financial Sustainability")
    people = CategoryFactory(organisation=organisation, name="People")
    top = corporate_register_of(organisation)
    with at(moment(dt.date(2025, 1, 10))):
        appetite_statement_set(organisation=organisation, category=finance, tolerance=17)
        appetite_statement_set(organisation=organisation, category=people, tolerance=13)
        RiskFactory(register=top, ref="F1", category=finance, positions={"current": (4, 5)})
        RiskFactory(register=top, ref="P1", category=people, positions={"current": (2, 5)})
    with at(moment(dt.date(2025, 6, 1))):  # raised later: F1 is within now, in breach then
        appetite_statement_set(organisation=organisation, category=finance, tolerance=20)
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    then = client.get(url, {"as_of": "2025-03-31", "appetite": "breach", "sort": "-appetite"})
    assert [row.risk.ref for row in then.context["rows"]] == ["F1"]
    from appetite.selectors import appetite_lookup

    assert appetite_lookup(organisation=organisation).state(category_id=finance.id, score=20) == (
        "within"
    )
