"""Movement since the last report (issue 4): risks added, closed, escalated or de-escalated, every
change of current rating with its old and new rating; and Aberdeen's rule (Risk Management
Framework 4.5, tolerance levels of Table 4: Avoid 1-6, Averse 7-12, Moderate 13-19, Open 20-26,
High 27-36) that a risk whose current score moved by more than one tolerance level since the last
report is flagged for the Audit Committee. Every write happens at a controlled moment."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from appetite.models import AppetiteLevel
from registers.models import Risk, Role
from registers.services.escalation import (
    escalation_accept,
    escalation_decline,
    escalation_request,
)
from registers.services.organisations import member_add, organisation_create
from registers.services.reviews import review_record
from registers.services.risks import risk_close, risk_reopen, risk_update
from registers.services.sign_off import review_sign_off
from reporting import periods
from reporting.movement import level_index, movement_between, movement_withheld
from scoring.presets import preset
from tests.factories import MembershipFactory, RegisterFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SINCE = dt.datetime.combine(dt.date(2026, 5, 31), dt.time.max, tzinfo=LONDON)
UNTIL = dt.datetime.combine(dt.date(2026, 10, 31), dt.time.max, tzinfo=LONDON)


def moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


BEFORE = moment(dt.date(2026, 4, 1))
DURING = moment(dt.date(2026, 7, 1))
LATER = moment(dt.date(2026, 8, 1))
AFTER = moment(dt.date(2026, 11, 10))


@contextmanager
def at(when: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


@pytest.fixture
def aberdeen(db):
    return organisation_create(
        slug="aberdeen-test",
        name="University of Aberdeen",
        scheme=preset("aberdeen-6x6"),
        appetite_preset="aberdeen",
        committee_months=[5, 11],
        panel_name="Audit Committee",
    )


def levels_of(organisation):
    return list(AppetiteLevel.objects.filter(organisation=organisation).order_by("position"))


@pytest.mark.parametrize(
    ("score", "level"),
    [(1, "Avoid"), (6, "Avoid"), (7, "Averse"), (12, "Averse"), (13, "Moderate")]
    + [(19, "Moderate"), (20, "Open"), (26, "Open"), (27, "High"), (36, "High")],
)
def test_tolerance_levels_are_table_4(aberdeen, score, level):
    levels = levels_of(aberdeen)
    assert levels[level_index(levels, score)].name == level


@pytest.mark.parametrize(
    ("old", "new", "moved", "flagged"),
    [
        (12, 13, 1, False),  # Averse to Moderate: one level
        (12, 20, 2, True),  # Averse to Open: two levels
        (20, 12, -2, True),  # and down
        (19, 20, 1, False),
        (13, 27, 2, True),
        (7, 12, 0, False),  # within Averse
        (6, 36, 4, True),
    ],
)
def test_more_than_one_tolerance_level_at_the_boundaries(aberdeen, old, new, moved, flagged):
    levels = levels_of(aberdeen)
    levels_moved = level_index(levels, new) - level_index(levels, old)
    assert levels_moved == moved
    assert (abs(levels_moved) > 1) is flagged


def scored(register, ref, position, when=BEFORE):
    with at(when):
        return RiskFactory(register=register, ref=ref, positions={"current": position})


def rescore(risk, position, when):
    risk.refresh_from_db()
    with at(when):
        return risk_update(
            risk=risk, expected_version=risk.version, positions={"current": position}
        )


def test_aberdeen_flag_from_history(aberdeen):
    top = corporate_register_of(aberdeen)
    two_up = scored(top, "SRR02", (3, 4))  # 12 Averse
    one_up = scored(top, "SRR05", (3, 4))
    two_down = scored(top, "SRR04", (4, 5))  # 20 Open
    one = scored(top, "SRR07", (3, 6))  # 18 Moderate
    same = scored(top, "SRR09", (2, 5))  # 10 Averse
    three = scored(top, "SRR10", (3, 4))
    there_and_back = scored(top, "SRR01", (3, 4))
    before_window = scored(top, "SRR03", (3, 4))
    after_window = scored(top, "SRR06", (3, 4))
    rescore(before_window, (5, 6), moment(dt.date(2026, 5, 1)))  # before the last report
    rescore(two_up, (4, 5), DURING)  # 20 Open
    rescore(one_up, (3, 5), DURING)  # 15 Moderate
    rescore(two_down, (3, 4), DURING)  # 12 Averse
    rescore(one, (4, 5), DURING)  # 20 Open
    rescore(same, (3, 4), DURING)  # 12 Averse
    rescore(three, (5, 6), DURING)  # 30 High
    rescore(there_and_back, (5, 6), DURING)
    rescore(there_and_back, (3, 4), LATER)
    rescore(after_window, (6, 6), AFTER)
    with at(DURING):
        RiskFactory(register=top, ref="NEW", positions={"current": (6, 6)})  # added, not moved

    result = movement_between(organisation=aberdeen, since=SINCE, until=UNTIL)
    assert result.levels_have_ranges
    assert sorted(move.risk.ref for move in result.flagged) == ["SRR02", "SRR04", "SRR10"]
    moves = {move.risk.ref: move for move in result.level_moves}
    assert {ref: move.levels_moved for ref, move in moves.items()} == {
        "SRR02": 2,
        "SRR04": -2,
        "SRR10": 3,
        "SRR05": 1,
        "SRR07": 1,
    }
    assert (moves["SRR02"].old_level.name, moves["SRR02"].new_level.name) == ("Averse", "Open")
    assert moves["SRR02"].old.label == "12 (Averse)"
    assert moves["SRR02"].new.label == "20 (Open)"
    # Every change of rating in the window is listed, including both of SRR01's.
    changes = [(c.risk.ref, c.old.score, c.new.score) for c in result.rating_changes]
    assert changes.count(("SRR01", 12, 30)) == 1 and changes.count(("SRR01", 30, 12)) == 1
    refs = {ref for ref, _, _ in changes}
    assert "SRR03" not in refs and "SRR06" not in refs  # outside the window
    assert [event.risk.ref for event in result.added] == ["NEW"]


def test_no_flag_where_levels_have_no_ranges(organisation):
    """The Orange Book levels carry no score ranges: no risk is flagged, however far it moves."""
    top = corporate_register_of(organisation)
    risk = scored(top, "R1", (1, 1))
    rescore(risk, (5, 5), DURING)
    result = movement_between(organisation=organisation, since=SINCE, until=UNTIL)
    assert not result.levels_have_ranges
    assert result.level_moves == [] and result.flagged == []
    assert [(c.old.label, c.new.label) for c in result.rating_changes] == [
        ("1 (Low)", "25 (Very high)")
    ]


def test_movement_lists_every_kind_of_change(organisation):
    top = corporate_register_of(organisation)
    child = RegisterFactory(organisation=organisation, parent=top, name="Directorate")
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    rescored = scored(top, "R1", (3, 3))
    closing = scored(top, "R2", (2, 2))
    reopening = scored(top, "R3", (2, 2))
    escalating = scored(child, "R4", (4, 4))
    declined = scored(child, "R5", (4, 4))
    descending = scored(top, "R6", (2, 2))
    quiet = scored(top, "R7", (2, 2))
    with at(BEFORE):
        risk_close(risk=reopening, expected_version=1, reason="done")
    rescore(rescored, (4, 4), DURING)
    with at(DURING):
        RiskFactory(register=child, ref="R8", positions={"current": (1, 1)})
        risk_close(risk=closing, expected_version=1, reason="fully mitigated")
        reopening.refresh_from_db()
        risk_reopen(risk=reopening, expected_version=reopening.version, reason="back")
        up = escalation_request(risk=escalating, user=coordinator, reason="too big for us")
        no = escalation_request(risk=declined, user=coordinator, reason="please")
        down = escalation_request(
            risk=descending,
            user=coordinator,
            reason="local now",
            direction="down",
            to_register=child,
        )
    with at(LATER):
        escalation_accept(escalation=up, user=coordinator, new_owner=coordinator)
        escalation_decline(escalation=no, user=coordinator, note="stays local")
        escalation_accept(escalation=down, user=coordinator, new_owner=coordinator)

    result = movement_between(organisation=organisation, since=SINCE, until=UNTIL)
    assert [e.risk.ref for e in result.added] == ["R8"]
    assert result.added[0].rating.label == "1 (Low)"
    assert [(e.risk.ref, e.reason) for e in result.closed] == [("R2", "fully mitigated")]
    assert [e.risk.ref for e in result.reopened] == ["R3"]
    (change,) = result.rating_changes
    assert (change.risk.ref, change.old.label, change.new.label) == (
        "R1",
        "9 (Medium)",
        "16 (High)",
    )
    assert change.direction == "up" and change.when == DURING
    assert [s.risk.ref for s in result.escalated] == ["R4"]
    assert [s.risk.ref for s in result.de_escalated] == ["R6"]
    assert result.escalated[0].from_register == child
    assert result.escalated[0].to_register == top
    steps = [(s.risk.ref, s.direction, s.step) for s in result.escalation_steps]
    assert steps == [
        ("R4", "up", "requested"),
        ("R5", "up", "requested"),
        ("R6", "down", "requested"),
        ("R4", "up", "accepted"),
        ("R5", "up", "declined"),
        ("R6", "down", "accepted"),
    ]
    assert "R7" not in {e.risk.ref for e in result.added + result.closed}
    assert quiet.id not in {c.risk.id for c in result.rating_changes}


def test_a_move_with_no_request_is_still_movement(organisation):
    """A risk whose register and origin changed without an Escalation row (a data fix) shows."""
    top = corporate_register_of(organisation)
    child = RegisterFactory(organisation=organisation, parent=top, name="Directorate")
    risk = scored(child, "R1", (2, 2))
    with at(DURING):
        risk.refresh_from_db()
        risk.register, risk.origin_register = top, child
        risk.save()
    result = movement_between(organisation=organisation, since=SINCE, until=UNTIL)
    assert [(s.risk.ref, s.direction, s.step) for s in result.escalation_steps] == [
        ("R1", "up", "moved")
    ]
    assert result.escalated[0].risk.ref == "R1"


def test_notation_is_the_schemes(db):
    met = organisation_create(slug="met-test", name="Met", scheme=preset("met-4x4"))
    risk = scored(corporate_register_of(met), "1", (2, 3))  # M v H
    rescore(risk, (2, 2), DURING)  # M v M
    (change,) = movement_between(organisation=met, since=SINCE, until=UNTIL).rating_changes
    assert (change.old.display, change.new.display) == ("M v H", "M v M")
    assert change.direction == "down"


# --- the page ----------------------------------------------------------------------------------


@pytest.fixture
def reader(aberdeen):
    return MembershipFactory(organisation=aberdeen, role=Role.PANEL).user


def test_page_defaults_to_the_last_report(client, aberdeen, reader):
    now = timezone.now()
    last = periods.last_report_date(organisation=aberdeen, moment=now)
    assert last.kind == periods.COMMITTEE  # May and November
    top = corporate_register_of(aberdeen)
    risk = scored(top, "SRR02", (3, 4), when=last.moment - dt.timedelta(days=10))
    rescore(risk, (4, 5), last.moment + (now - last.moment) / 2)
    client.force_login(reader)
    response = client.get(reverse("movement", args=[aberdeen.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Movement since the last report" in html
    assert last.label in html
    assert [m.risk.ref for m in response.context["movement"].flagged] == ["SRR02"]
    assert "For the Audit Committee" in html
    assert "12 (Averse)" in html and "20 (Open)" in html


def test_page_with_dates(client, aberdeen, reader):
    top = corporate_register_of(aberdeen)
    risk = scored(top, "SRR02", (3, 4))
    rescore(risk, (4, 5), DURING)
    client.force_login(reader)
    url = reverse("movement", args=[aberdeen.slug])
    response = client.get(url, {"since": "2026-05-31", "until": "2026-10-31"})
    assert response.status_code == 200
    assert "Movement between 31 May 2026 and 31 October 2026" in response.content.decode()
    assert response.context["movement"].since == SINCE
    assert response.context["movement"].until == UNTIL
    assert len(response.context["movement"].rating_changes) == 1
    response = client.get(url, {"since": "2026-07-02"})
    assert response.context["movement"].rating_changes == []


def test_long_lists_show_their_first_rows_and_link_to_all(client, aberdeen, reader, monkeypatch):
    from reporting.views import lifecycle

    monkeypatch.setattr(lifecycle, "MOVEMENT_LIST_LIMIT", 1)
    top = corporate_register_of(aberdeen)
    for ref in ("SRR11", "SRR12", "SRR13"):
        rescore(scored(top, ref, (1, 1)), (2, 2), DURING)  # 1 -> 4: one level, not flagged
        scored(top, ref.replace("SRR1", "NEW"), (1, 1), when=DURING)
    client.force_login(reader)
    url = reverse("movement", args=[aberdeen.slug])
    period = {"since": "2026-05-31", "until": "2026-10-31"}
    html = " ".join(client.get(url, period).content.decode().split())
    assert html.count("The first 1 of 3 are listed.") == 2  # rating changes, risks added
    all_url = f"{url}?since=2026-05-31&amp;until=2026-10-31&amp;all=1"
    assert f'href="{all_url}#ratings">Show all 3</a>' in html
    assert f'href="{all_url}#added">Show all 3</a>' in html
    assert "NEW1" in html and "NEW3" not in html
    everything = client.get(url, {**period, "all": "1"})
    html = " ".join(everything.content.decode().split())
    assert "are listed" not in html and all(f"NEW{n}" in html for n in (1, 2, 3))
    assert all(f"SRR1{n}" in html for n in (1, 2, 3))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-10-31", "until": "2026-05-31"}, "The start must be before the end"),
        ({"until": "2999-01-01"}, "The end cannot be in the future"),
        ({"since": "last spring"}, "Enter the start as a real date"),
    ],
)
def test_bad_dates_are_explained(client, aberdeen, reader, params, message):
    client.force_login(reader)
    response = client.get(reverse("movement", args=[aberdeen.slug]), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem with the dates" in html and message in html


def test_outsiders_get_404(client, aberdeen, other_organisation):
    outsider = MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    client.force_login(outsider)
    assert client.get(reverse("movement", args=[aberdeen.slug])).status_code == 404


# --- query counts ------------------------------------------------------------------------------


def grow(organisation, count: int, *, prefix: str, changes: int) -> None:
    """``count`` risks created before the window, each re-scored ``changes`` times inside it."""
    top = corporate_register_of(organisation)
    with at(BEFORE):
        risks = [
            RiskFactory(register=top, ref=f"{prefix}{n}", positions={"current": (n % 5 + 1, 2)})
            for n in range(count)
        ]
    model = Risk.history.model
    records = []
    for record in Risk.history.filter(id__in=[r.id for r in risks]):
        for n in range(changes):
            copy = model(
                **{
                    f.attname: getattr(record, f.attname)
                    for f in model._meta.concrete_fields
                    if f.attname != "history_id"
                }
            )
            copy.history_date = DURING + dt.timedelta(days=n)
            copy.history_type = "~"
            copy.current_likelihood = (n + record.current_likelihood) % 6 + 1
            copy.current_score = copy.current_likelihood * copy.current_impact
            records.append(copy)
    model.objects.bulk_create(records)


def test_page_queries_flat_as_risks_and_history_grow(client, aberdeen, reader):
    client.force_login(reader)
    url = reverse("movement", args=[aberdeen.slug])
    params = {"since": "2026-05-31", "until": "2026-10-31"}
    grow(aberdeen, 5, prefix="A", changes=1)
    few, response = assert_same_queries(
        lambda: client.get(url, params),
        lambda: grow(aberdeen, 45, prefix="B", changes=8),
        at_most=20,
    )
    assert few.status_code == 200
    assert len(response.context["movement"].rating_changes) >= 45 * 8


def test_seeded_aberdeen_shows_the_flag(db):
    """The demo's illustrative re-scores since the last report to the Audit Committee: SRR02
    (12 to 20) and SRR04 (20 to 12) moved two levels; SRR05 (12 to 18) one."""
    from demo.seeding import seed_demo
    from registers.models import Organisation

    seed_demo(slugs=("aberdeen",))
    organisation = Organisation.objects.get(slug="aberdeen")
    now = timezone.now()
    since = periods.last_report_date(organisation=organisation, moment=now).moment
    result = movement_between(organisation=organisation, since=since, until=now)
    assert sorted(move.risk.ref for move in result.flagged) == ["SRR02", "SRR04"]
    assert sorted(move.risk.ref for move in result.level_moves) == ["SRR02", "SRR04", "SRR05"]
    assert {change.risk.ref for change in result.rating_changes} == {"SRR02", "SRR04", "SRR05"}
    # The strategic risks were on the register at the last report; a school or project risk
    # came onto its register a quarter before its demo review, added by its owner (they were
    # "added" the day the demo was seeded, by nobody, and "last reviewed" months before).
    since_then = Risk.objects.filter(organisation=organisation, created_at__gt=since)
    assert {event.risk.ref for event in result.added} == set(
        since_then.values_list("ref", flat=True)
    )
    assert not {event.risk.ref for event in result.added} & {"SRR02", "SRR04", "SRR05"}
    for event in result.added:
        risk = Risk.objects.get(organisation=organisation, ref=event.risk.ref)
        assert event.by == risk.owner and risk.created_at.date() < risk.last_reviewed
    srr02 = Risk.objects.get(organisation=organisation, ref="SRR02")
    assert "Illustrative re-score" in srr02.source_note
    rescore = srr02.reviews.get(note__startswith="illustrative re-score")  # not back history's
    assert rescore.reviewed_by == srr02.owner


@pytest.mark.parametrize("params", [{"since": "last spring"}, {"until": "2999-01-01"}])
def test_a_bad_date_is_described_by_its_message(client, aberdeen, reader, params):
    from tests.aria import describedby, missing_describedby_targets

    client.force_login(reader)
    html = client.get(reverse("movement", args=[aberdeen.slug]), params).content.decode()
    (name,) = params
    assert f"id_{name}_error" in describedby(html, f"id_{name}")
    assert missing_describedby_targets(html) == []


def test_a_signed_off_change_names_who_submitted_it_and_who_signed_it_off(client, organisation):
    """The history reason of a signed-off update names only the approver ("Cora Coordinator:
    signed off by Cora Coordinator: ..."); the movement page and packs name the author too."""
    register = corporate_register_of(organisation)
    register.sign_off_required = True
    register.save()
    owner = member_add(
        organisation=organisation, email="owen@x.test", role=Role.OWNER, full_name="Owen Owner"
    ).user
    coordinator = member_add(
        organisation=organisation,
        email="cora@x.test",
        role=Role.COORDINATOR,
        full_name="Cora Coordinator",
    ).user
    risk = scored(register, "R1", (3, 3))
    with at(DURING):
        submitted = review_record(
            risk=risk,
            user=owner,
            expected_version=risk.version,
            note="Sprinkler tests failed twice",
            positions={"current": (4, 4)},
        )
    with at(LATER):
        review_sign_off(review=submitted, user=coordinator)
    (change,) = movement_between(organisation=organisation, since=SINCE, until=UNTIL).rating_changes
    assert change.by == coordinator and change.reason == "Sprinkler tests failed twice"
    assert change.submitted == "submitted by Owen Owner, signed off by Cora Coordinator"
    assert change.account == (
        "Submitted by Owen Owner, signed off by Cora Coordinator: Sprinkler tests failed twice"
    )
    client.force_login(coordinator)
    page = client.get(
        reverse("movement", args=[organisation.slug]),
        {"since": "2026-05-31", "until": "2026-10-31"},
    ).content.decode()
    row = page[page.index("R1") : page.index("</tr>", page.index("R1"))]
    assert (
        "Submitted by Owen Owner, signed off by Cora Coordinator: Sprinkler tests failed twice"
        in row
    )
    assert "Cora Coordinator: signed off by" not in row
    # A risk whose detail the reader may not see keeps the names, not the note.
    (quiet,) = movement_withheld(
        movement_between(organisation=organisation, since=SINCE, until=UNTIL),
        risk_ids={risk.id},
    ).rating_changes
    assert quiet.account == "Submitted by Owen Owner, signed off by Cora Coordinator"
