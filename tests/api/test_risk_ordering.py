"""The risk list's ?ordering= with cursor pages: every risk once, in order, forwards and back,
whatever the ties and unrated risks; ratings in the scheme's notation; the trend from history."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from api.ordering import CURSOR_INVALID, CURSOR_OTHER_ORDERING, NO_DATE, UNRATED
from appetite.services import appetite_statement_set
from registers.models import Risk, Role
from registers.services.risks import risk_update
from scoring.engine import rate
from tests import factories
from tests.queries import assert_same_queries

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def client_for(organisation, member, token_for, api):
    _, secret = token_for(member(Role.COORDINATOR), [organisation])
    return api(secret)


@pytest.fixture
def risks(corporate_register):
    made = []
    for ref, position, review in [
        ("R1", (3, 4), dt.date(2027, 1, 31)),
        ("R10", (3, 4), None),  # ties with R1 and R2 on score and likelihood
        ("R2", (3, 4), dt.date(2027, 1, 31)),
        ("R3", None, None),  # not rated
        ("R11", (5, 5), dt.date(2026, 12, 31)),
        ("R4", (1, 2), dt.date(2027, 6, 30)),
        ("R5", (4, 3), None),  # the same score as R1 by a higher likelihood
    ]:
        risk = factories.RiskFactory(
            register=corporate_register,
            ref=ref,
            positions={"current": position} if position else {},
        )
        Risk.objects.filter(pk=risk.pk).update(next_review_due=review)
        made.append(risk)
    return list(Risk.objects.filter(pk__in=[r.pk for r in made]))


def _walk(client, organisation, ordering, page_size=2):
    """Every page forwards, then back again by the previous links: the ids of each page."""
    url = f"/api/v1/risks/?organisation={organisation.slug}&ordering={ordering}"
    pages, response = [], client.get(f"{url}&page_size={page_size}").json()
    pages.append([r["id"] for r in response["results"]])
    while response["next"]:
        response = client.get(response["next"]).json()
        pages.append([r["id"] for r in response["results"]])
    back = [pages[-1]]
    while response["previous"]:
        response = client.get(response["previous"]).json()
        back.append([r["id"] for r in response["results"]])
    return pages, list(reversed(back))


KEYS = {
    "id": lambda r: (r.id,),
    "ref": lambda r: (len(r.ref), r.ref, r.id),
    "current_score": lambda r: (
        r.current_score or UNRATED,
        r.current_likelihood or UNRATED,
        r.id,
    ),
    "next_review_due": lambda r: (r.next_review_due or NO_DATE, r.id),
    "updated_at": lambda r: (r.updated_at, r.id),
}


@pytest.mark.parametrize("ordering", [*KEYS, *(f"-{k}" for k in KEYS)])
def test_every_ordering_pages_exactly(organisation, risks, client_for, ordering):
    name = ordering.removeprefix("-")
    expected = [r.id for r in sorted(risks, key=KEYS[name], reverse=ordering.startswith("-"))]
    pages, back = _walk(client_for, organisation, ordering)
    assert [pk for page in pages for pk in page] == expected
    assert all(len(page) == 2 for page in pages[:-1])
    assert back == pages


def test_orderings_read_as_a_person_expects(organisation, risks, client_for):
    def refs(ordering):
        url = f"/api/v1/risks/?organisation={organisation.slug}&ordering={ordering}&fields=ref"
        return [r["ref"] for r in client_for.get(url).json()["results"]]

    assert refs("ref") == ["R1", "R2", "R3", "R4", "R5", "R10", "R11"]
    assert refs("-current_score")[:2] == ["R11", "R5"] and refs("-current_score")[-1] == "R3"
    assert refs("next_review_due")[0] == "R11"


def test_bad_ordering_and_cursors_are_400(organisation, risks, client_for):
    base = f"/api/v1/risks/?organisation={organisation.slug}"
    response = client_for.get(f"{base}&ordering=colour")
    assert response.status_code == 400 and "current_score" in response.json()["ordering"][0]
    assert client_for.get(f"{base}&cursor=bogus").json() == {"cursor": [CURSOR_INVALID]}
    first = client_for.get(f"{base}&ordering=ref&page_size=2").json()
    cursor = re.search(r"cursor=([^&]+)", first["next"])[1]
    response = client_for.get(f"{base}&ordering=-current_score&cursor={cursor}")
    assert response.status_code == 400
    assert response.json() == {"cursor": [CURSOR_OTHER_ORDERING]}


def test_ratings_in_the_schemes_notation(organisation, corporate_register, client_for):
    risk = factories.RiskFactory(
        register=corporate_register, positions={"current": (3, 4), "target": (1, 2)}
    )
    unrated = factories.RiskFactory(register=corporate_register, positions={})
    item = client_for.get(f"/api/v1/risks/{risk.pk}/").json()
    parsed = risk.scheme_version.parsed
    assert item["current_display"] == rate(parsed, 3, 4).display
    assert item["target_display"] == rate(parsed, 1, 2).display
    assert item["inherent_display"] is None
    if parsed.notation == "score":
        assert item["current_display"] == f"12 ({rate(parsed, 3, 4).band.name})"
    listed = client_for.get(f"/api/v1/risks/?organisation={organisation.slug}").json()["results"]
    assert {r["id"]: r["current_display"] for r in listed} == {
        risk.pk: rate(parsed, 3, 4).display,
        unrated.pk: None,
    }


def test_trend_since_the_last_quarter_end_from_history(
    organisation, corporate_register, client_for
):
    long_ago = timezone.now() - dt.timedelta(days=200)
    rising = factories.RiskFactory(register=corporate_register, positions={"current": (2, 2)})
    steady = factories.RiskFactory(register=corporate_register, positions={"current": (2, 2)})
    Risk.history.update(history_date=long_ago)
    risk_update(risk=rising, expected_version=rising.version, positions={"current": (4, 4)})
    fresh = factories.RiskFactory(register=corporate_register)
    listed = client_for.get(f"/api/v1/risks/?organisation={organisation.slug}").json()["results"]
    trends = {r["id"]: r["trend"] for r in listed}
    assert trends == {rising.pk: "up", steady.pk: "level", fresh.pk: "new"}
    assert client_for.get(f"/api/v1/risks/{rising.pk}/").json()["trend"] == "up"


def test_the_list_queries_stay_flat_in_any_order(organisation, risks, client_for):
    for ordering in ("-current_score", "ref"):
        url = f"/api/v1/risks/?organisation={organisation.slug}&ordering={ordering}&page_size=3"
        second_page = client_for.get(url).json()["next"]

        def fetch(url=second_page):
            assert client_for.get(url).status_code == 200

        def grow():
            register = factories.corporate_register_of(organisation)
            for _ in range(4):
                factories.RiskFactory(register=register, positions={"current": (2, 5)})

        assert_same_queries(fetch, grow, at_most=8)


def test_the_appetite_filter_by_the_register_pages_rule(
    organisation, corporate_register, client_for
):
    appetite_statement_set(organisation=organisation, tolerance=10, warning=6)
    breach = factories.RiskFactory(register=corporate_register, positions={"current": (4, 4)})
    warning = factories.RiskFactory(register=corporate_register, positions={"current": (2, 4)})
    within = factories.RiskFactory(register=corporate_register, positions={"current": (1, 2)})
    closed = factories.RiskFactory(register=corporate_register, positions={"current": (5, 5)})
    Risk.objects.filter(pk=closed.pk).update(status="closed", closed_reason="Gone")

    def ids(state):
        url = f"/api/v1/risks/?organisation={organisation.slug}&appetite={state}"
        response = client_for.get(url)
        assert response.status_code == 200
        return {r["id"]: r["appetite"]["state"] for r in response.json()["results"]}

    assert ids("breach") == {breach.pk: "breach"}
    assert ids("warning") == {warning.pk: "warning"}
    assert ids("within") == {within.pk: "within"}
    assert ids("not_set") == {closed.pk: "not_set"}  # closed: out of appetite's reach
