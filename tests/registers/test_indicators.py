"""Key risk indicators (issue 18): the services, who may do what, and the risk page's section."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from registers.merging import KEEP_MINE, KEEP_THEIRS
from registers.models import (
    Indicator,
    IndicatorDirection,
    IndicatorReading,
    Marking,
    Role,
)
from registers.services.indicators import (
    INDICATOR_CHANGED,
    READING_IN_FUTURE,
    ReplacedReading,
    indicator_add,
    indicator_retire,
    indicator_update,
    reading_record,
)
from registers.services.memberships import member_add
from registers.services.treatments import CHOOSE_A_VALUE
from registers.views.indicators import (
    CHANGES_NOT_SAVED,
    READING_NOT_RECORDED,
    RETIRED_MEANWHILE,
)
from registers.views.treatments import SAVED_KEEPING_THEIRS, SAVED_WITH_CHOICES
from tests.factories import OrganisationFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "reader": person(organisation, Role.OWNER, "Rita Reader"),
        "other_owner": person(organisation, Role.OWNER, "Olga Other"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
    }


@pytest.fixture
def risk(corporate_register, people):
    return RiskFactory(register=corporate_register, ref="CRR1", owner=people["owner"])


def add(risk, people, **fields):
    values = {
        "user": people["coordinator"],
        "risk": risk,
        "name": "Staff vacancy rate",
        "unit": "%",
        "amber_from": D("5"),
        "red_from": D("10"),
        "owner": people["reader"],
    }
    return indicator_add(**(values | fields))


def url(name, risk, *args):
    return reverse(name, args=[risk.organisation.slug, risk.ref, *args])


# --- services ---------------------------------------------------------------------------------


def test_a_second_reading_the_same_day_replaces_the_first_in_history(risk, people):
    indicator = add(risk, people)
    day = timezone.localdate()
    reading_record(user=people["reader"], indicator=indicator, taken_on=day, value=D("4"))
    reading_record(
        user=people["reader"], indicator=indicator, taken_on=day, value=D("12"), note="Leavers"
    )
    reading = IndicatorReading.objects.get(indicator=indicator)
    assert (reading.value, reading.note) == (D("12"), "Leavers")
    assert [r.value for r in reading.history.order_by("history_id")] == [D("4"), D("12")]


@pytest.mark.django_db(transaction=True)
def test_a_reading_is_recorded_outside_a_test_transaction(risk, people):
    """As in production (no ATOMIC_REQUESTS): the service opens its own transaction for its row
    locks. A decorator once slipped onto the class above it, and every reading was a
    TransactionManagementError that the tests' own transaction hid."""
    indicator = add(risk, people)
    day = timezone.localdate()
    reading_record(user=people["reader"], indicator=indicator, taken_on=day, value=D("4"))
    replacing = reading_record(
        user=people["owner"], indicator=indicator, taken_on=day, value=D("6")
    )
    assert replacing.replaced == ReplacedReading(value=D("4"), entered_by=people["reader"])
    assert IndicatorReading.objects.get(indicator=indicator).value == D("6")


def test_a_reading_in_the_future_or_without_a_value_is_refused(risk, people):
    indicator = add(risk, people)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        reading_record(user=people["reader"], indicator=indicator, taken_on=tomorrow, value=D(1))
    assert READING_IN_FUTURE in str(refused.value)
    with pytest.raises(ValidationError):
        reading_record(
            user=people["reader"], indicator=indicator, taken_on=tomorrow.today(), value=None
        )
    assert not IndicatorReading.objects.exists()


def test_thresholds_must_run_the_way_of_the_direction(risk, people):
    with pytest.raises(ValidationError):
        add(risk, people, amber_from=D("10"), red_from=D("5"))
    better = add(
        risk, people, direction=IndicatorDirection.HIGHER_IS_BETTER, amber_from=D(90), red_from=80
    )
    assert better.pk


def test_an_edit_from_an_older_version_is_refused(risk, people):
    indicator = add(risk, people)
    indicator_update(user=people["coordinator"], indicator=indicator, expected_version=1, unit="pc")
    with pytest.raises(ValidationError) as refused:
        indicator_update(
            user=people["coordinator"], indicator=indicator, expected_version=1, name="Other"
        )
    assert INDICATOR_CHANGED in str(refused.value)
    indicator.refresh_from_db()
    assert (indicator.name, indicator.unit, indicator.version) == ("Staff vacancy rate", "pc", 2)


def test_a_retired_indicator_takes_no_readings(risk, people):
    indicator = add(risk, people)
    indicator_retire(user=people["coordinator"], indicator=indicator)
    with pytest.raises(ValidationError):
        reading_record(
            user=people["reader"], indicator=indicator, taken_on=timezone.localdate(), value=D(1)
        )


# --- the risk page ----------------------------------------------------------------------------


def test_the_risk_page_shows_status_in_words_thresholds_and_readings(client, risk, people):
    indicator = add(risk, people, illustrative=True)
    today = timezone.localdate()
    reading_record(
        user=people["reader"], indicator=indicator, taken_on=today, value=D("12.5"), note="Up"
    )
    client.force_login(people["viewer"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Staff vacancy rate" in page and "Illustrative" in page
    assert ">Red<" in page
    assert "12.5 %" in page
    assert "Higher is worse: amber from 5 %, red from 10 %" in page
    assert "Rita Reader" in page
    assert "Record a reading" not in page  # a viewer reads only


def test_an_indicator_overdue_for_its_reading_says_stale_and_when_it_was_due(client, risk, people):
    indicator = add(risk, people)
    read = timezone.localdate() - dt.timedelta(days=60)
    reading_record(user=people["reader"], indicator=indicator, taken_on=read, value=D("1"))
    client.force_login(people["viewer"])
    page = client.get(url("risk", risk)).content.decode()
    due = read + dt.timedelta(days=31)
    assert f"Stale: reading due {due.day} {due:%b}" in page
    assert ">Green<" in page


def test_no_reading_yet_says_so(client, risk, people):
    add(risk, people)
    client.force_login(people["viewer"])
    assert "No reading yet" in client.get(url("risk", risk)).content.decode()


def test_the_indicators_owner_records_a_reading_without_javascript(client, risk, people):
    indicator = add(risk, people)
    client.force_login(people["reader"])
    response = client.post(
        url("reading_add", risk, indicator.pk),
        {"taken_on": timezone.localdate().strftime("%d/%m/%Y"), "value": "7", "note": "Q3"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#indicator-{indicator.pk}")
    reading = IndicatorReading.objects.get()
    assert (reading.value, reading.entered_by) == (D("7"), people["reader"])
    page = client.get(url("risk", risk)).content.decode()
    assert ">Amber<" in page


def test_a_reading_with_htmx_swaps_the_section(client, risk, people):
    indicator = add(risk, people)
    client.force_login(people["owner"])  # the risk's owner
    response = client.post(
        url("reading_add", risk, indicator.pk),
        {"taken_on": timezone.localdate().strftime("%d/%m/%Y"), "value": "11"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("{#") or 'id="indicators"' in html
    assert "Reading of Staff vacancy rate recorded." in html


def test_a_reading_that_replaces_one_of_the_same_day_says_whose_it_replaced(client, risk, people):
    """One reading a day: a second replaces the first, a colleague's too, and the person who
    replaces it is told what it replaced and whose it was (its history keeps both)."""
    indicator = add(risk, people)
    day = timezone.localdate()
    reading_record(user=people["reader"], indicator=indicator, taken_on=day, value=D("7.50"))
    client.force_login(people["owner"])
    posted = {"taken_on": day.strftime("%d/%m/%Y"), "value": "8"}
    response = client.post(url("reading_add", risk, indicator.pk), posted, **HTMX)
    html = response.content.decode()
    when = date_format(day, "j M Y")
    assert (
        "Reading of Staff vacancy rate recorded. It replaces the reading of 7.5 % Rita Reader "
        f"had recorded for {when}."
    ) in html
    response = client.post(url("reading_add", risk, indicator.pk), posted | {"value": "9"}, **HTMX)
    assert f"It replaces the reading of 8 % you had recorded for {when}." in (
        response.content.decode()
    )
    first = client.post(
        url("reading_add", risk, indicator.pk),
        {"taken_on": (day - dt.timedelta(days=1)).strftime("%d/%m/%Y"), "value": "3"},
        **HTMX,
    ).content.decode()
    assert "Reading of Staff vacancy rate recorded." in first and "It replaces" not in first
    assert IndicatorReading.objects.get(taken_on=day).value == D("9")
    # Recorded by nobody the page can name (a command, or an account deleted since).
    reading_record(user=None, indicator=indicator, taken_on=day, value=D("4"))
    response = client.post(url("reading_add", risk, indicator.pk), posted, **HTMX)
    assert f"It replaces the reading of 4 % someone had recorded for {when}." in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"taken_on": "", "value": "3"}, "Enter the date the reading was taken"),
        ({"taken_on": "1/1/2020", "value": ""}, "Enter the reading&#x27;s value"),
        ({"taken_on": "1/1/2020", "value": "lots"}, "Value must be a number"),
        ({"taken_on": "1/1/2999", "value": "3"}, "A reading cannot be dated in the future"),
        ({"taken_on": "1/1/2020", "value": "1" * 20}, "Value"),
    ],
)
def test_bad_readings_get_a_message_and_400(client, risk, people, data, message):
    indicator = add(risk, people)
    client.force_login(people["reader"])
    response = client.post(url("reading_add", risk, indicator.pk), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IndicatorReading.objects.exists()


def test_a_coordinator_adds_edits_and_retires_an_indicator(client, risk, people):
    client.force_login(people["coordinator"])
    assert client.get(url("indicator_add", risk)).status_code == 200
    response = client.post(
        url("indicator_add", risk),
        {
            "name": "Days to pay invoices",
            "unit": "days",
            "direction": IndicatorDirection.HIGHER_IS_WORSE,
            "amber_from": "30",
            "red_from": "45",
            "frequency": "monthly",
            "owner": people["reader"].pk,
        },
    )
    assert response.status_code == 302
    indicator = Indicator.objects.get()
    edit = url("indicator_edit", risk, indicator.pk)
    assert "Save indicator" in client.get(edit).content.decode()
    data = {
        "name": "Days to pay",
        "unit": "days",
        "direction": IndicatorDirection.HIGHER_IS_WORSE,
        "amber_from": "30",
        "red_from": "20",
        "frequency": "monthly",
        "version": "1",
    }
    bad = client.post(edit, data)
    assert bad.status_code == 400
    assert "red must start at or above amber" in bad.content.decode()
    assert client.post(edit, data | {"red_from": "60"}).status_code == 302
    indicator.refresh_from_db()
    assert (indicator.name, indicator.red_from, indicator.version) == ("Days to pay", 60, 2)
    stale = client.post(edit, data | {"red_from": "70"})  # still at version 1
    assert stale.status_code == 409
    assert client.post(url("indicator_retire", risk, indicator.pk)).status_code == 302
    indicator.refresh_from_db()
    assert indicator.retired_at is not None
    page = client.get(url("risk", risk)).content.decode()
    assert "Indicator retired: Days to pay keeps its readings" in page  # the message, once
    assert 'id="indicator-' not in page


# --- two people editing one indicator ------------------------------------------------------------


def indicator_post(indicator, version, **changes):
    """The edit form as the person opened it at ``version``, with what they typed."""
    data = {
        "name": indicator.name,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "amber_from": str(indicator.amber_from),
        "red_from": str(indicator.red_from),
        "frequency": indicator.frequency,
        "owner": indicator.owner_id or "",
        "description": indicator.description,
        "version": version,
    }
    return data | changes


def hidden(html: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else ""


def conflict_table(html: str) -> str:
    table = html[html.index("rr-conflict-changes") : html.index("</table>", html.index("rr-conf"))]
    return " ".join(re.sub(r"<[^>]+>", " ", table).split())


@pytest.fixture
def stale(risk, people):
    """The coordinator opened the indicator's form at version 1; then the risk's owner changed
    where red starts and the unit (version 2)."""
    indicator = add(risk, people)
    opened = Indicator.objects.get(pk=indicator.pk)
    indicator_update(
        user=people["owner"], indicator=indicator, expected_version=1, red_from=D("12"), unit="pc"
    )
    return opened


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
def test_a_stale_indicator_edit_shows_their_values_and_yours(client, risk, people, stale, headers):
    client.force_login(people["coordinator"])
    typed = indicator_post(stale, 1, name="Vacancy rate", red_from="15")
    response = client.post(url("indicator_edit", risk, stale.pk), typed, **headers)
    html = response.content.decode()
    assert response.status_code == (200 if headers else 409)
    assert "Not saved: someone else changed this indicator" in html
    assert "Owen Owner saved this indicator after you opened it" in html
    # Where both changed: when the coordinator opened it, theirs, and what they typed.
    assert "Red from 10 12 15" in conflict_table(html)
    # What they typed is still in the form, their colleague's other change taken in, and the
    # form says which version it was opened at and which values the choice is made against.
    assert re.search(r'name="name" value="Vacancy rate"', html)
    assert re.search(r'name="red_from" value="15"', html)
    assert re.search(r'name="unit" value="pc"', html)
    assert (hidden(html, "version"), hidden(html, "choices_at")) == ("1", "2")
    stale.refresh_from_db()
    assert (stale.name, stale.unit, stale.red_from, stale.version) == (
        "Staff vacancy rate",
        "pc",
        12,
        2,
    )


@pytest.mark.parametrize(("choice", "red_from"), [(KEEP_MINE, 15), (KEEP_THEIRS, 12)])
def test_a_knowing_second_save_of_a_stale_indicator_succeeds(
    client, risk, people, stale, choice, red_from
):
    client.force_login(people["coordinator"])
    edit = url("indicator_edit", risk, stale.pk)
    typed = indicator_post(stale, 1, name="Vacancy rate", red_from="15")
    shown = client.post(edit, typed).content.decode()
    again = typed | {
        "unit": "pc",
        "version": hidden(shown, "version"),
        "choices_at": hidden(shown, "choices_at"),
        "keep-red_from": choice,
    }
    response = client.post(edit, again)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#indicator-{stale.pk}")
    stale.refresh_from_db()
    assert (stale.name, stale.unit, stale.red_from, stale.version) == (
        "Vacancy rate",
        "pc",
        red_from,
        3,
    )
    page = client.get(url("risk", risk)).content.decode()
    assert SAVED_WITH_CHOICES.format(noun="Indicator") in page


def test_a_stale_indicator_edit_never_undoes_the_colleagues_change_unasked(
    client, risk, people, stale
):
    client.force_login(people["coordinator"])
    edit = url("indicator_edit", risk, stale.pk)
    typed = indicator_post(stale, 1, red_from="15")
    # Saved again from the conflict without choosing: asked to choose, nothing written.
    response = client.post(edit, typed | {"unit": "pc", "choices_at": "2"})
    assert response.status_code == 409
    html = response.content.decode()
    assert CHOOSE_A_VALUE.format(field="red from") in html
    assert f'href="#indicator-{stale.pk}-keep-red_from"' in html  # the summary links to it
    assert Indicator.objects.get(pk=stale.pk).red_from == 12
    # A change only the coordinator made is saved on top of theirs, never over it.
    response = client.post(edit, indicator_post(stale, 1, name="Vacancy rate"))
    assert response.status_code == 302
    stale.refresh_from_db()
    assert (stale.name, stale.unit, stale.red_from, stale.version) == (
        "Vacancy rate",
        "pc",
        12,
        3,
    )
    page = client.get(url("risk", risk)).content.decode()
    assert SAVED_KEEPING_THEIRS.format(noun="Indicator") in page


def test_thresholds_two_people_changed_are_merged_as_one(client, risk, people):
    """Amber from 5, red from 10. The owner moves red to 6; the coordinator, from the form
    opened before, moves amber to 8. Joined, amber 8 and red 6 would be out of order, a 400 no
    second save could clear: instead both thresholds are the conflict, shown with both values,
    and the coordinator's choice saves thresholds that hold."""
    indicator = add(risk, people)
    opened = Indicator.objects.get(pk=indicator.pk)
    indicator_update(user=people["owner"], indicator=indicator, expected_version=1, red_from=D("6"))
    client.force_login(people["coordinator"])
    edit = url("indicator_edit", risk, opened.pk)
    typed = indicator_post(opened, 1, amber_from="8")
    response = client.post(edit, typed)
    assert response.status_code == 409
    html = response.content.decode()
    table = conflict_table(html)
    assert "Amber from 5 5 8" in table and "Red from 10 6 10" in table
    assert Indicator.objects.get(pk=opened.pk).red_from == 6
    again = typed | {
        "version": hidden(html, "version"),
        "choices_at": hidden(html, "choices_at"),
        "keep-amber_from": KEEP_MINE,
        "keep-red_from": KEEP_MINE,
    }
    assert client.post(edit, again).status_code == 302
    saved = Indicator.objects.get(pk=opened.pk)
    assert (saved.amber_from, saved.red_from, saved.version) == (8, 10, 3)


def test_a_threshold_only_one_person_changed_still_merges(risk, people):
    """The group is a conflict only when both changed part of it: the colleague's new unit and
    this person's new red merge as before."""
    indicator = add(risk, people)
    indicator_update(user=people["owner"], indicator=indicator, expected_version=1, unit="pc")
    fields = {name: getattr(indicator, name) for name in ("name", "unit", "direction")}
    saved = indicator_update(
        user=people["coordinator"],
        indicator=indicator,
        expected_version=1,
        merge_stale=True,
        **(fields | {"unit": "%", "amber_from": D("5"), "red_from": D("20")}),
    )
    assert (saved.unit, saved.red_from, saved.version) == ("pc", 20, 3)


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
def test_an_indicator_retired_meanwhile_says_so_instead_of_refusing_the_role(
    client, risk, people, headers
):
    """The owner retired the indicator while the coordinator was changing it, and while its
    reader was entering a reading: each is told who retired it (not that their role may not),
    and the reader's value is shown back to them; retiring it again changes nothing."""
    indicator = add(risk, people)
    opened = Indicator.objects.get(pk=indicator.pk)
    indicator_retire(user=people["owner"], indicator=indicator)
    day = timezone.localdate().strftime("%d/%m/%Y")
    posts = [
        (
            people["coordinator"],
            url("indicator_edit", risk, indicator.pk),
            indicator_post(opened, 1, red_from="15"),
            [CHANGES_NOT_SAVED],
        ),
        (
            people["reader"],
            url("reading_add", risk, indicator.pk),
            {"taken_on": day, "value": "7.5", "note": ""},
            [READING_NOT_RECORDED.format(value="7.5", day=day)],
        ),
        (people["coordinator"], url("indicator_retire", risk, indicator.pk), {}, []),
    ]
    for who, address, data, also in posts:
        client.force_login(who)
        response = client.post(address, data, **headers)
        assert response.status_code == (200 if headers else 409), address
        html = response.content.decode()
        said = RETIRED_MEANWHILE.format(name="Staff vacancy rate", by="Owen Owner")
        assert said in html, address
        for text in also:
            assert text in html
    retired = Indicator.objects.get(pk=indicator.pk)
    assert (retired.red_from, retired.version) == (10, 2)
    assert not IndicatorReading.objects.exists()


@pytest.mark.parametrize(
    ("retired_by", "said"), [("owner", "You"), (None, "Someone")], ids=["themselves", "nobody"]
)
def test_who_retired_it_as_the_person_reads_it(client, risk, people, retired_by, said):
    """Who retired it is named as a replaced reading's recorder is: "you" when it was the person
    themselves (another tab), "someone" when there is nobody to name (a command, or an account
    deleted since); their name otherwise (above)."""
    indicator = add(risk, people)
    opened = Indicator.objects.get(pk=indicator.pk)
    indicator_retire(user=people.get(retired_by), indicator=indicator)
    client.force_login(people["owner"])
    response = client.post(
        url("indicator_edit", risk, indicator.pk), indicator_post(opened, 1, red_from="15")
    )
    assert response.status_code == 409
    said = RETIRED_MEANWHILE.format(name="Staff vacancy rate", by=said)
    assert said in response.content.decode()


def test_an_empty_add_form_gets_400(client, risk, people):
    client.force_login(people["coordinator"])
    response = client.post(url("indicator_add", risk), {})
    assert response.status_code == 400
    assert "Give the indicator a name" in response.content.decode()


# --- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "other_owner"])
def test_others_may_not_record_readings_or_change_indicators(client, risk, people, who):
    indicator = add(risk, people)
    client.force_login(people[who])
    day = timezone.localdate().strftime("%d/%m/%Y")
    posts = [
        (url("reading_add", risk, indicator.pk), {"taken_on": day, "value": "1"}),
        (url("indicator_add", risk), {"name": "X", "amber_from": "1", "red_from": "2"}),
        (url("indicator_edit", risk, indicator.pk), {"name": "X", "version": "1"}),
        (url("indicator_retire", risk, indicator.pk), {}),
    ]
    for address, data in posts:
        assert client.post(address, data).status_code == 403, address
    assert not IndicatorReading.objects.exists()
    indicator.refresh_from_db()
    assert indicator.version == 1 and indicator.retired_at is None


def test_an_indicator_of_another_risk_or_organisation_is_not_found(client, risk, people):
    other_risk = RiskFactory(register=risk.register, ref="CRR2", owner=people["owner"])
    indicator = add(other_risk, people)
    elsewhere = OrganisationFactory()
    foreign_risk = RiskFactory(register=corporate_register_of(elsewhere), ref="CRR1")
    foreign = indicator_add(
        user=None, risk=foreign_risk, name="Theirs", amber_from=D(1), red_from=D(2)
    )
    client.force_login(people["coordinator"])
    assert client.get(url("indicator_edit", risk, indicator.pk)).status_code == 404
    assert client.get(url("indicator_edit", risk, foreign.pk)).status_code == 404
    day = timezone.localdate().strftime("%d/%m/%Y")
    response = client.post(url("reading_add", risk, foreign.pk), {"taken_on": day, "value": "1"})
    assert response.status_code == 404


def test_sensitive_indicators_are_withheld_from_members_not_cleared(client, risk, people):
    risk.marking = Marking.OFFICIAL_SENSITIVE
    risk.save()
    indicator = add(risk, people, name="Informants exposed")
    reading_record(
        user=people["reader"],
        indicator=indicator,
        taken_on=timezone.localdate(),
        value=D("11"),
        note="Handler notes",
    )
    client.force_login(people["viewer"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Informants exposed" not in page and "Handler notes" not in page
    assert ">Red<" in page  # the status still shows
    assert client.get(url("indicator_edit", risk, indicator.pk)).status_code == 403
    client.force_login(people["coordinator"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Informants exposed" in page and "Handler notes" in page


def test_risk_page_queries_do_not_grow_with_indicators_and_readings(client, risk, people):
    client.force_login(people["coordinator"])
    add(risk, people)
    page = url("risk", risk)
    client.get(page)

    def grow():
        for n in range(5):
            indicator = add(risk, people, name=f"Indicator {n}", owner=people["owner"])
            for days in range(10):
                reading_record(
                    user=people["reader"],
                    indicator=indicator,
                    taken_on=timezone.localdate() - dt.timedelta(days=days * 30),
                    value=D(days),
                )

    _, response = assert_same_queries(lambda: client.get(page), grow)
    assert "Indicator 4" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("1", "hours", "1 hour"),
        ("1.0", "days", "1 day"),
        ("1", "incidents per month", "1 incident per month"),
        ("1", "entries", "1 entry"),
        ("1", "FTEs", "1 FTE"),
        ("1", "%", "1 %"),
        ("1", "£k", "1 £k"),
        ("1", "status", "1 status"),
        ("1", "", "1"),
        ("2", "hours", "2 hours"),
        ("0.5", "hours", "0.5 hours"),
    ],
)
def test_a_reading_of_one_has_a_singular_unit(value, unit, shown):
    """'1 hour', not '1 hours'; a symbol or a word that is not a plural is left as typed."""
    from registers.views.indicator_context import value_shown

    assert value_shown(D(value), unit) == shown
