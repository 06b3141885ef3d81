"""The reporting feed (/api/v1/feed/<org>/risks and history, CSV and JSON): its columns, the
quarter rows against history, reach, withholding and flat query counts."""

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import timezone

from appetite.models import AppetiteStatement
from appetite.services import appetite_statement_set
from registers.calendar import quarter_ends
from registers.models import Marking, Risk, Role
from registers.selectors.exposure import exposure_by_quarter
from registers.services.risks import risk_close
from registers.withholding import WITHHELD
from reporting.feed import HISTORY_HEADER, QUARTERS_MESSAGE, RISK_HEADER
from tests import factories
from tests.appetite.test_breach_duration import noon, timeline
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8")


def _json(response) -> list[dict]:
    assert response["Content-Type"] == "application/json"
    return json.loads(_body(response))


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = _body(response)
    assert text.startswith("\ufeff")  # Excel reads accents right
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def coordinator(member):
    return member(Role.COORDINATOR)


@pytest.fixture
def feed(organisation, coordinator, token_for, api):
    """``feed("risks.json")`` -> the response to the coordinator's token."""
    _, secret = token_for(coordinator, [organisation])
    client = api(secret)

    def get(name, query="", slug=None):
        return client.get(f"/api/v1/feed/{slug or organisation.slug}/{name}{query}")

    return get


def quarter_days(organisation, count=8):
    ends = quarter_ends(
        organisation=organisation, moment=timezone.now(), count=count, inclusive=True
    )
    return [end.date() for end in ends]


# --- the risks table ---------------------------------------------------------------------------


def test_risks_json_is_an_array_of_records_with_every_documented_column(
    organisation, corporate_register, feed
):
    category = factories.CategoryFactory(organisation=organisation, name="Finance")
    appetite_statement_set(organisation=organisation, category=category, tolerance=10, warning=6)
    owner = factories.MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Ann Owner"
    ).user
    risk = factories.RiskFactory(
        register=corporate_register,
        ref="CRR1",
        title="Funding shortfall",
        category=category,
        owner=owner,
        positions={"current": (3, 4), "target": (2, 2)},
        next_review_due=dt.date(2027, 1, 31),
    )
    rows = _json(feed("risks.json"))
    assert len(rows) == 1
    [row] = rows
    assert tuple(row) == RISK_HEADER
    assert (
        row["risk_id"] == risk.pk and row["ref"] == "CRR1" and row["title"] == "Funding shortfall"
    )
    assert row["register"] == "corporate" and row["register_name"] == corporate_register.name
    assert row["category"] == "Finance"
    assert (row["owner"], row["owner_email"]) == ("Ann Owner", owner.email)
    assert (row["manager"], row["manager_email"]) == ("", "")
    assert row["status"] == "open"
    assert (row["current_likelihood"], row["current_impact"]) == (3, 4)
    assert row["current_score"] == risk.current_score == 12
    assert row["current_band"] == risk.current_band and row["current_band"]
    assert risk.current_band in row["current_display"] or "v" in row["current_display"]
    assert (row["target_likelihood"], row["target_impact"], row["target_score"]) == (2, 2, 4)
    assert row["target_band"] and row["target_display"]
    assert (row["tolerance"], row["warning"]) == (10, 6)
    assert row["appetite"] == "breach" and row["breach"] is True
    assert row["next_review_due"] == "2027-01-31"
    assert row["trend"] == "new"  # not on the register at the last quarter end
    assert row["marking"] == Marking.OFFICIAL and row["withheld"] is False


def test_a_closed_risk_is_listed_with_no_appetite_state(organisation, corporate_register, feed):
    appetite_statement_set(organisation=organisation, tolerance=4)
    risk = factories.RiskFactory(register=corporate_register, positions={"current": (5, 5)})
    risk_close(risk=risk, expected_version=risk.version, reason="Mitigated")
    [row] = _json(feed("risks.json"))
    assert row["status"] == "closed" and row["trend"] == "closed"
    assert row["appetite"] == "not_set" and row["breach"] is False
    assert row["tolerance"] == 4


def test_risks_csv_has_the_header_a_filename_and_the_same_rows(
    organisation, corporate_register, feed
):
    factories.RiskFactory(register=corporate_register, ref="A1", title="=HYPERLINK(1)")
    factories.RiskFactory(register=corporate_register, ref="A2", title="Plain, with a comma")
    response = feed("risks.csv")
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{organisation.slug}-risks-'
    )
    assert response["Content-Disposition"].endswith('.csv"')
    assert response["Cache-Control"] == "no-store"
    header, *rows = _csv(response)
    assert tuple(header) == RISK_HEADER
    by_ref = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_ref) == {"A1", "A2"}
    assert by_ref["A1"]["title"] == "'=HYPERLINK(1)"  # never run as a formula by Excel
    assert by_ref["A2"]["title"] == "Plain, with a comma"
    assert by_ref["A2"]["breach"] in ("true", "false") and by_ref["A2"]["withheld"] == "false"
    assert by_ref["A2"]["manager"] == ""  # None is an empty cell


def test_risks_csv_quotes_text_excel_could_split_at_a_semicolon(
    organisation, corporate_register, feed
):
    """As the register export (decision 122): every cell but the bare ones is quoted."""
    factories.RiskFactory(register=corporate_register, ref="A1", title="Flood;=1+1;@SUM(2+2)")
    text = _body(feed("risks.csv")).removeprefix("\ufeff")
    header, line = text.split("\r\n")[:2]
    assert header == ",".join(RISK_HEADER)
    assert ',A1,"Flood;=1+1;@SUM(2+2)",' in line


def test_sensitive_text_is_withheld_from_members_not_cleared(
    organisation, corporate_register, member, token_for, api
):
    owner = member(Role.OWNER)
    risk = factories.RiskFactory(
        register=corporate_register, description="The secret cause", owner=owner
    )
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    viewer = member(Role.VIEWER)
    for person, withheld in ((viewer, True), (owner, False), (member(Role.COORDINATOR), False)):
        _, secret = token_for(person, [organisation])
        url = f"/api/v1/feed/{organisation.slug}/risks.json"
        [row] = _json(api(secret).get(url))
        assert row["withheld"] is withheld
        assert row["marking"] == Marking.OFFICIAL_SENSITIVE
        assert row["title"] == risk.title  # listed, as on the pages
        if withheld:
            assert row["description"] == WITHHELD and row["consequence"] == WITHHELD
        else:
            assert row["description"] == "The secret cause"
        csv_text = _body(api(secret).get(url.replace(".json", ".csv")))
        assert ("The secret cause" in csv_text) is not withheld


# --- reach -------------------------------------------------------------------------------------

FEEDS = ("risks.json", "risks.csv", "history.json", "history.csv")


def test_other_organisations_and_organisations_the_token_does_not_cover_are_404(
    organisation, other_organisation, coordinator, feed, token_for, api
):
    factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    for name in FEEDS:
        assert feed(name, slug=other_organisation.slug).status_code == 404
        assert feed(name, slug="no-such-org").status_code == 404
    # A member of both, with a token for one: the other is a 404 too.
    factories.MembershipFactory(
        organisation=other_organisation, user=coordinator, role=Role.COORDINATOR
    )
    for name in FEEDS:
        assert feed(name, slug=other_organisation.slug).status_code == 404
        assert feed(name).status_code == 200
    _, both = token_for(coordinator, [organisation, other_organisation], name="both")
    assert api(both).get(f"/api/v1/feed/{other_organisation.slug}/risks.json").status_code == 200


def test_no_token_is_refused_and_a_bad_token_too(organisation, api):
    for name in FEEDS:
        url = f"/api/v1/feed/{organisation.slug}/{name}"
        assert api().get(url).status_code in (401, 403)
        assert api("rr_not-a-token").get(url).status_code == 401


def test_the_feed_reads_only(organisation, feed, coordinator, token_for, api):
    _, secret = token_for(coordinator, [organisation], read_only=False, name="rw")
    client = api(secret)
    for name in FEEDS:
        assert client.post(f"/api/v1/feed/{organisation.slug}/{name}", {}).status_code == 405


def test_a_signed_in_member_reads_it_with_the_session(client, organisation, member):
    client.force_login(member(Role.VIEWER))
    response = client.get(f"/api/v1/feed/{organisation.slug}/risks.json")
    assert response.status_code == 200 and _json(response) == []


# --- the history table -------------------------------------------------------------------------


def _history_world(organisation):
    """The exposure test's hand-built history (tests/registers/test_exposure.py), tolerance 10
    since 2000: A 6 then 16 from the 3rd quarter; B new after the 5th at 20, closed after the
    7th; C 12, re-scored twice in the 2nd quarter (1, then 9: the later stands)."""
    statement = appetite_statement_set(organisation=organisation, tolerance=10, warning=8)
    AppetiteStatement.history.filter(id=statement.id).update(history_date=noon(dt.date(2000, 1, 1)))
    top = factories.corporate_register_of(organisation)
    q = quarter_days(organisation)
    after = dt.timedelta(days=10)
    a = timeline(top, "A", [(q[0] - after, (2, 3)), (q[2] + after, (4, 4))])
    b = timeline(top, "B", [(q[4] + after, (4, 5)), (q[6] + after, "close")])
    c = timeline(
        top, "C", [(q[0] - after, (3, 4)), (q[1] + after, (1, 1)), (q[1] + 2 * after, (3, 3))]
    )
    return q, a, b, c


def test_history_rows_are_the_ratings_that_stood_at_each_quarter_end(organisation, feed):
    q, a, b, c = _history_world(organisation)
    rows = _json(feed("history.json"))
    assert all(tuple(row) == HISTORY_HEADER for row in rows)
    got = {(row["quarter_end"], row["ref"]): row for row in rows}
    days = [day.isoformat() for day in q]
    expected = {}
    for index, day in enumerate(days):
        expected[(day, "A")] = 6 if index <= 2 else 16
        if 5 <= index <= 6:  # B starts at the first end after it was added, stops once closed
            expected[(day, "B")] = 20
        expected[(day, "C")] = 12 if index <= 1 else 9  # re-rated mid-quarter: the later stands
    assert {key: row["current_score"] for key, row in got.items()} == expected
    assert [row["quarter_end"] for row in rows] == sorted(row["quarter_end"] for row in rows)
    for (_, ref), row in got.items():
        assert row["risk_id"] == {"A": a, "B": b, "C": c}[ref].pk
        assert row["status"] == "open" and row["register"] == "corporate"
        assert row["tolerance"] == 10
        score = row["current_score"]
        state = "breach" if score > 10 else ("within" if score <= 8 else "warning")
        assert row["appetite"] == state and row["breach"] is (state == "breach")
        assert row["current_band"] and row["current_display"]
        assert row["quarter"].startswith("Q") or row["quarter"].startswith("Quarter to")
    # It adds up to the dashboard's exposure chart, quarter by quarter.
    exposure = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    for index, day in enumerate(days):
        standing = [row for row in rows if row["quarter_end"] == day]
        assert len(standing) == exposure.totals[index]
        assert sum(row["breach"] for row in standing) == exposure.breaches[index]


def test_history_is_judged_against_the_tolerance_of_then(organisation, feed):
    statement = appetite_statement_set(organisation=organisation, tolerance=20)
    q = quarter_days(organisation)
    AppetiteStatement.history.filter(id=statement.id).update(
        history_date=noon(q[0] - dt.timedelta(days=5))
    )
    statement = appetite_statement_set(
        organisation=organisation, tolerance=10, expected_version=statement.version
    )
    latest = AppetiteStatement.history.filter(id=statement.id).order_by("-history_id").first()
    AppetiteStatement.history.filter(history_id=latest.history_id).update(
        history_date=noon(q[3] + dt.timedelta(days=5))
    )
    timeline(
        factories.corporate_register_of(organisation), "A", [(q[0] - dt.timedelta(30), (3, 4))]
    )
    rows = _json(feed("history.json"))
    assert [row["tolerance"] for row in rows] == [20] * 4 + [10] * 4
    assert [row["breach"] for row in rows] == [False] * 4 + [True] * 4


def test_history_quarters_parameter(organisation, feed):
    q, *_ = _history_world(organisation)
    rows = _json(feed("history.json", "?quarters=2"))
    assert {row["quarter_end"] for row in rows} == {q[-2].isoformat(), q[-1].isoformat()}
    twelve = _json(feed("history.json", "?quarters=12"))
    # Nothing stood before the risks were added (10 days before the 8th end back).
    assert twelve == _json(feed("history.json"))
    for bad in ("0", "41", "abc", "-1", "2.5"):
        response = feed("history.json", f"?quarters={bad}")
        assert response.status_code == 400
        assert response.json() == {"quarters": [QUARTERS_MESSAGE]}


def test_history_csv(organisation, feed):
    _history_world(organisation)
    response = feed("history.csv")
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{organisation.slug}-history-'
    )
    header, *rows = _csv(response)
    assert tuple(header) == HISTORY_HEADER
    assert len(rows) == len(_json(feed("history.json")))
    assert {row[header.index("breach")] for row in rows} <= {"true", "false"}


# --- queries -----------------------------------------------------------------------------------


def _grow(organisation):
    """More risks, in more categories, with more owners and managers, and history."""

    def grow():
        top = factories.corporate_register_of(organisation)
        other = factories.RegisterFactory(organisation=organisation)
        q = quarter_days(organisation)
        for n in range(6):
            category = factories.CategoryFactory(organisation=organisation)
            people = [
                factories.MembershipFactory(organisation=organisation, role=Role.OWNER).user
                for _ in range(2)
            ]
            timeline(
                top if n % 2 else other,
                f"G{n}",
                [(q[n] - dt.timedelta(days=3), (2, 2)), (q[n] + dt.timedelta(days=3), (4, 5))],
                category=category,
                owner=people[0],
                manager=people[1],
                description="Sensitive" if n == 3 else "",
            )
        Risk.objects.filter(ref="G3", organisation=organisation).update(
            marking=Marking.OFFICIAL_SENSITIVE
        )

    return grow


@pytest.mark.parametrize("name", FEEDS)
def test_queries_do_not_grow_with_the_risks(organisation, name, member, token_for, api):
    _history_world(organisation)
    _, secret = token_for(member(Role.VIEWER), [organisation])
    client = api(secret)
    url = f"/api/v1/feed/{organisation.slug}/{name}"

    def fetch():
        return _body(client.get(url))

    fetch()  # the token's first use of the minute writes its last-used time
    before, after = assert_same_queries(fetch, _grow(organisation), at_most=12)
    assert len(after) > len(before)
    if name == "risks.json":
        assert WITHHELD in after  # G3, for the viewer
