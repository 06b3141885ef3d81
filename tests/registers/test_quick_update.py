"""The owner's quick update: every risk an owner owns or manages that is due for review (or all of
them) on one form, with its rating, this period's update, progress to target and its actions;
saved in one go through the single-risk services, a history record per risk, a risk someone else
changed meanwhile shown again while the others save, bad input refused whole; linked from the
owner's reminder e-mail."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from registers import calendar
from registers.forms_quick_update import CHOOSE_BOTH
from registers.models import Action, ActionStatus, Review, ReviewState, Risk, RiskStatus, Role
from registers.permissions import organisation_for_user
from registers.selectors.quick_update import quick_update
from registers.services.rescoring import scheme_version_adopt
from registers.services.reviews import review_record
from registers.services.risks import risk_update
from registers.services.treatments import action_update
from registers.views import quick_update as view
from reporting.reminders.sending import send_reminders
from riskreg.unsaved import SIGNED_OUT_KEPT
from scoring.models import Scheme
from scoring.presets import preset
from scoring.services import scheme_save
from tests import test_unsaved as unsaved_tests
from tests.factories import (
    PASSWORD,
    ActionFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(member):
    return member(Role.OWNER, user__full_name="Olu Owner")


@pytest.fixture
def today(organisation):
    return calendar.organisation_today(organisation)


def make_risk(organisation, today, *, due_in=None, **fields):
    risk = RiskFactory(register=corporate_register_of(organisation), **fields)
    if due_in is not None:
        Risk.objects.filter(pk=risk.pk).update(next_review_due=today + dt.timedelta(days=due_in))
    risk.refresh_from_db()
    return risk


def url(organisation, **query):
    base = reverse("quick_update", args=[organisation.slug])
    return base + ("?all=1" if query.get("all") else "")


def form_data(response) -> dict:
    """What the page's form posts when the person changes nothing."""
    data = {"risk": []}
    if not response.context["due_only"]:
        data["all"] = "1"
    for entry in response.context["entries"]:
        form = entry.form
        data["risk"].append(str(entry.risk.pk))
        for name in ("version", "current_likelihood", "current_impact", "progress", "note"):
            value = form[name].value()
            data[form.add_prefix(name)] = "" if value is None else str(value)
        for action_form in entry.action_forms:
            for name in ("version", "status", "progress_note"):
                value = action_form[name].value()
                data[action_form.add_prefix(name)] = "" if value is None else str(value)
    return data


def key(risk, name):
    return f"risk-{risk.pk}-{name}"


def test_url():
    assert reverse("quick_update", args=["met"]) == "/o/met/my-update/"


def test_lists_risks_due_for_review_or_all_of_them(client, organisation, owner, member, today):
    someone = member(Role.OWNER)
    late = make_risk(organisation, today, ref="LATE", owner=owner, due_in=-3)
    soon = make_risk(organisation, today, ref="SOON", manager=owner, owner=someone, due_in=14)
    later = make_risk(organisation, today, ref="LATER", owner=owner, due_in=15)
    undated = make_risk(organisation, today, ref="UNDATED", owner=owner)
    make_risk(organisation, today, ref="LEADONLY", owner=someone, leads=[owner], due_in=1)
    make_risk(organisation, today, ref="THEIRS", owner=someone, due_in=1)
    shut = make_risk(organisation, today, ref="SHUT", owner=owner, due_in=1)
    Risk.objects.filter(pk=shut.pk).update(status=RiskStatus.CLOSED, closed_reason="Gone")
    client.force_login(owner)

    response = client.get(url(organisation))
    assert response.status_code == 200
    assert [e.risk.ref for e in response.context["entries"]] == [late.ref, soon.ref]
    html = response.content.decode()
    assert "LATE Risk" in html or f"{late.ref} {late.title}" in html
    assert "THEIRS" not in html and "LEADONLY" not in html and "SHUT" not in html
    assert "Show all your open risks" in html and "(2 more, not due yet)" in html

    everything = client.get(url(organisation, all=True))
    refs = [e.risk.ref for e in everything.context["entries"]]
    assert refs == [late.ref, soon.ref, later.ref, undated.ref]
    assert "Show only the risks due for review" in everything.content.decode()


def test_notice_period_is_the_reminders(client, organisation, owner, today):
    organisation.reminder_notice_days = 30
    organisation.save()
    make_risk(organisation, today, ref="MONTH", owner=owner, due_in=30)
    client.force_login(owner)
    assert [e.risk.ref for e in client.get(url(organisation)).context["entries"]] == ["MONTH"]


def test_each_risk_shows_its_rating_levels_and_actions(client, organisation, owner, today):
    risk = make_risk(organisation, today, ref="CRR18", title="Flood", owner=owner, due_in=1)
    ActionFactory(risk=risk, owner=owner, description="Sandbags")
    ActionFactory(risk=risk, description="Done one", status=ActionStatus.COMPLETED)
    review_record(risk=risk, user=owner, expected_version=risk.version, note="Pumps on order.")
    Risk.objects.filter(pk=risk.pk).update(next_review_due=today)
    client.force_login(owner)
    response = client.get(url(organisation))
    html = response.content.decode()
    assert "CRR18 Flood" in html  # the fieldset's legend
    scheme = response.context["entries"][0].item.scheme
    level = scheme.likelihood[2]
    assert f"{level.value} {level.label} ({level.code})" in html  # the scheme's levels
    assert "selected>3 " in html.replace('value="3" selected', "selected")
    assert "Pumps on order." in html  # the last update
    assert "Sandbags" in html and "Done one" not in html
    assert f'name="action-{risk.actions.get(description="Sandbags").pk}-version"' in html


def test_page_queries_do_not_grow_with_risks_and_actions(client, organisation, owner, today):
    make_risk(organisation, today, owner=owner, due_in=1)
    client.force_login(owner)
    page = url(organisation)
    client.get(page)

    def grow():
        for n in range(4):
            risk = make_risk(organisation, today, owner=owner, due_in=n)
            ActionFactory(risk=risk, owner=owner)
            ActionFactory(risk=risk)
            review_record(risk=risk, user=owner, expected_version=risk.version, note=f"n{n}")
            Risk.objects.filter(pk=risk.pk).update(next_review_due=today)

    before, after = assert_same_queries(lambda: client.get(page), grow, at_most=16)
    assert len(after.context["entries"]) == 5


def test_selector_queries_do_not_grow(organisation, owner, today):
    make_risk(organisation, today, owner=owner, due_in=1)

    def fetch():  # a request's access, whose cached answers start empty
        access = organisation_for_user(user=owner, slug=organisation.slug)
        return quick_update(access=access, today=today)

    def grow():
        for _ in range(3):
            ActionFactory(risk=make_risk(organisation, today, owner=owner, due_in=2), owner=owner)

    before, after = assert_same_queries(fetch, grow, at_most=8)
    assert len(after.risks) == 4 and all(len(item.actions) == 1 for item in after.risks[1:])


# --- access -------------------------------------------------------------------------------------


def test_viewer_and_panel_are_refused(client, organisation, member):
    for role in (Role.VIEWER, Role.PANEL):
        client.force_login(member(role))
        assert client.get(url(organisation)).status_code == 403
        assert client.post(url(organisation), {"risk": "1"}).status_code == 403


def test_another_organisation_is_404(client, organisation, other_organisation, owner, today):
    make_risk(other_organisation, today, due_in=1)
    client.force_login(owner)
    assert client.get(url(other_organisation)).status_code == 404


def test_someone_elses_risk_posted_is_not_saved(client, organisation, owner, member, today):
    theirs = make_risk(organisation, today, owner=member(Role.OWNER), due_in=1)
    mine = make_risk(organisation, today, owner=owner, due_in=1)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data["risk"].append(str(theirs.pk))
    data[key(theirs, "version")] = str(theirs.version)
    data[key(theirs, "note")] = "Not mine to write"
    data[key(mine, "note")] = "Mine"
    response = client.post(url(organisation), data, follow=True)
    assert response.status_code == 200
    assert not Review.objects.filter(risk=theirs).exists()
    assert Review.objects.get(risk=mine).note == "Mine"
    assert "1 of the risks on the page is no longer" in response.content.decode()


# --- saving -------------------------------------------------------------------------------------


def test_three_risks_saved_in_one_post_each_in_its_own_history(client, organisation, owner, today):
    one = make_risk(organisation, today, ref="ONE", owner=owner, due_in=1)
    two = make_risk(organisation, today, ref="TWO", owner=owner, due_in=2)
    three = make_risk(organisation, today, ref="THREE", owner=owner, due_in=3)
    untouched = make_risk(organisation, today, ref="LEFT", owner=owner, due_in=4)
    records = {r.pk: r.history.count() for r in (one, two, three, untouched)}
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data[key(one, "current_likelihood")] = "5"
    data[key(one, "current_impact")] = "5"
    data[key(two, "note")] = "Two's update."
    data[key(three, "note")] = "Three's update."
    data[key(three, "progress")] = "slipped"
    response = client.post(url(organisation), data)
    assert response.status_code == 302 and response.url == url(organisation)

    one.refresh_from_db(), two.refresh_from_db(), three.refresh_from_db()
    assert (one.current_likelihood, one.current_impact) == (5, 5)
    assert one.last_reviewed == today and one.version == 2
    assert Review.objects.get(risk=one).rescored
    assert Review.objects.get(risk=two).note == "Two's update."
    assert (three.progress, Review.objects.get(risk=three).note) == ("slipped", "Three's update.")
    assert one.history.count() == records[one.pk] + 1
    assert two.history.count() == records[two.pk] + 1
    assert three.history.count() == records[three.pk] + 2  # the review, then progress
    assert three.history.first().history_change_reason == view.PROGRESS_REASON
    assert "re-scored" in one.history.first().history_change_reason
    # the risk left as it was is not reviewed
    assert not Review.objects.filter(risk=untouched).exists()
    assert untouched.history.count() == records[untouched.pk]

    page = client.get(url(organisation)).content.decode()
    assert "3 risks updated" in page
    assert "ONE" in page and "re-scored and reviewed; next review due" in page
    assert "progress to target saved" in page
    # reviewed risks are no longer due; the untouched one still is
    assert [e.risk.ref for e in client.get(url(organisation)).context["entries"]] == ["LEFT"]


def test_nothing_changed_saves_nothing(client, organisation, owner, today):
    risk = make_risk(organisation, today, owner=owner, due_in=1)
    ActionFactory(risk=risk, owner=owner)
    client.force_login(owner)
    response = client.post(url(organisation), form_data(client.get(url(organisation))))
    assert response.status_code == 302
    assert not Review.objects.exists()
    assert Risk.objects.get(pk=risk.pk).version == risk.version
    assert Action.objects.get(risk=risk).version == 1
    assert view.NOTHING_CHANGED in client.get(url(organisation)).content.decode()


def test_action_status_and_progress_saved(client, organisation, owner, member, today):
    risk = make_risk(organisation, today, owner=owner, due_in=1)
    mine = ActionFactory(risk=risk, owner=owner, description="Buy pumps")
    theirs = ActionFactory(risk=risk, owner=member(Role.OWNER), description="Survey")
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data[f"action-{mine.pk}-status"] = ActionStatus.COMPLETED
    data[f"action-{theirs.pk}-progress_note"] = "Surveyor booked for 3 March."
    assert client.post(url(organisation), data).status_code == 302
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.status == ActionStatus.COMPLETED and mine.completed_at is not None
    assert theirs.progress_note == "Surveyor booked for 3 March." and theirs.version == 2
    assert mine.history.first().history_change_reason == view.ACTION_REASON
    # actions alone are no review of the risk
    assert not Review.objects.exists()
    assert "1 risk updated" in client.get(url(organisation)).content.decode()


def test_bad_input_is_400_and_nothing_is_written(client, organisation, owner, today):
    good = make_risk(organisation, today, ref="GOOD", owner=owner, due_in=1)
    bad = make_risk(organisation, today, ref="BAD", owner=owner, due_in=2)
    action = ActionFactory(risk=good, owner=owner)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data[key(good, "note")] = "A fine update."
    data[f"action-{action.pk}-status"] = ActionStatus.IN_PROGRESS
    data[key(bad, "current_likelihood")] = "4"
    data[key(bad, "current_impact")] = ""  # half a rating
    response = client.post(url(organisation), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Risk BAD: Choose the current impact as well as the likelihood, or neither" in html
    assert f'href="#id_risk-{bad.pk}-current_impact"' in html
    assert "A fine update." in html  # what was typed is kept
    assert not Review.objects.exists()
    assert Action.objects.get(pk=action.pk).version == 1
    assert Risk.objects.get(pk=bad.pk).version == bad.version


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("current_likelihood", "9"),
        ("current_likelihood", "x"),
        ("progress", "sideways"),
        ("version", ""),
        ("version", "99999999999"),
    ],
)
def test_each_kind_of_bad_input_is_400(client, organisation, owner, today, field, value):
    risk = make_risk(organisation, today, owner=owner, due_in=1)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data[key(risk, field)] = value
    data[key(risk, "note")] = "Update"
    assert client.post(url(organisation), data).status_code == 400
    assert not Review.objects.exists()


def test_unrating_a_rated_risk_is_refused(client, organisation, owner, today):
    risk = make_risk(organisation, today, owner=owner, due_in=1)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data[key(risk, "current_likelihood")] = ""
    data[key(risk, "current_impact")] = ""
    response = client.post(url(organisation), data)
    assert response.status_code == 400 and CHOOSE_BOTH in response.content.decode()


def test_bad_action_status_is_400(client, organisation, owner, today):
    risk = make_risk(organisation, today, owner=owner, due_in=1)
    action = ActionFactory(risk=risk, owner=owner)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data[f"action-{action.pk}-status"] = "finished-ish"
    response = client.post(url(organisation), data)
    assert response.status_code == 400
    assert f"Action on risk {risk.ref}: Select a valid choice" in response.content.decode()


def test_every_bad_field_is_listed_and_all_stays_all(client, organisation, owner, today):
    risk = make_risk(organisation, today, ref="BOTH", owner=owner)  # not due: on ?all=1 only
    action = ActionFactory(risk=risk, owner=owner)
    client.force_login(owner)
    data = form_data(client.get(url(organisation, all=True)))
    assert data["all"] == "1"
    data[key(risk, "current_impact")] = "9"
    data[f"action-{action.pk}-status"] = "nearly"
    html = client.post(url(organisation), data).content.decode()
    assert "Risk BOTH: Current impact must be one of the scheme" in html
    assert "Action on risk BOTH: Select a valid choice" in html
    data = form_data(client.get(url(organisation, all=True)))
    data[key(risk, "note")] = "All of them"
    response = client.post(url(organisation), data)
    assert response.url == url(organisation, all=True)


def test_empty_post_is_400(client, organisation, owner):
    client.force_login(owner)
    assert client.post(url(organisation), {}).status_code == 400
    assert client.post(url(organisation), {"risk": ["x", "99999999999999"]}).status_code == 400


# --- someone else saved meanwhile ---------------------------------------------------------------


def test_conflict_on_one_risk_keeps_it_and_saves_the_others(client, organisation, owner, today):
    one = make_risk(organisation, today, ref="ONE", owner=owner, due_in=1)
    two = make_risk(organisation, today, ref="TWO", owner=owner, due_in=2)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    # while the owner types, the coordinator re-rates ONE
    risk_update(
        risk=one,
        expected_version=one.version,
        positions={"current": (2, 2)},
        reason="coordinator re-rated",
    )
    data[key(one, "note")] = "No change this quarter."
    data[key(two, "note")] = "Two moves on."
    response = client.post(url(organisation), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Risk ONE not saved: someone else changed it" in html
    assert "What they changed in risk ONE" in html
    assert "No change this quarter." in html  # nothing lost
    assert [e.risk.ref for e in response.context["entries"]] == ["ONE"]
    assert "1 risk updated" in html and "TWO" in html
    assert Review.objects.get(risk=two).note == "Two moves on."
    assert not Review.objects.filter(risk=one).exists()
    # their rating now shows (the owner left it alone), at their version: saving again works
    form = response.context["entries"][0].form
    one.refresh_from_db()
    assert form["current_likelihood"].value() == "2"
    assert form["version"].value() == str(one.version)
    again = form_data(response)
    assert client.post(url(organisation), again).status_code == 302
    review = Review.objects.get(risk=one)
    assert review.note == "No change this quarter." and not review.rescored
    one.refresh_from_db()
    assert (one.current_likelihood, one.current_impact) == (2, 2)


def test_stale_rescore_of_a_rating_nobody_else_changed_is_merged(
    client, organisation, owner, today
):
    risk = make_risk(organisation, today, owner=owner, due_in=1)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    risk_update(risk=risk, expected_version=risk.version, fields={"title": "Renamed"})
    data[key(risk, "current_likelihood")] = "1"
    data[key(risk, "current_impact")] = "1"
    assert client.post(url(organisation), data).status_code == 302  # as the review form
    risk.refresh_from_db()
    assert (risk.title, risk.current_likelihood) == ("Renamed", 1)


def test_progress_both_changed_is_a_conflict(client, organisation, owner, today):
    risk = make_risk(organisation, today, owner=owner, due_in=1)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    risk_update(risk=risk, expected_version=risk.version, fields={"progress": "limited"})
    data[key(risk, "progress")] = "on_track"
    response = client.post(url(organisation), data)
    assert response.status_code == 200 and "not saved: someone else changed it" in (
        response.content.decode()
    )
    assert Risk.objects.get(pk=risk.pk).progress == "limited"
    # shown their change, the owner saves again: theirs is knowingly replaced
    assert client.post(url(organisation), form_data(response)).status_code == 302
    assert Risk.objects.get(pk=risk.pk).progress == "on_track"


def test_a_review_undone_by_a_progress_conflict_leaves_the_risk_as_their_save(
    client, organisation, owner, today
):
    risk = make_risk(organisation, today, owner=owner, due_in=1)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    risk_update(risk=risk, expected_version=risk.version, fields={"progress": "limited"})
    data[key(risk, "current_likelihood")] = "1"
    data[key(risk, "current_impact")] = "2"
    data[key(risk, "note")] = "Much better now."
    data[key(risk, "progress")] = "on_track"
    response = client.post(url(organisation), data)
    assert response.status_code == 200
    risk.refresh_from_db()
    assert (risk.current_likelihood, risk.progress) == (3, "limited")  # the review was undone
    assert not Review.objects.exists()
    form = response.context["entries"][0].form
    assert form["version"].value() == str(risk.version)  # as stored, not the undone one
    assert form["note"].value() == "Much better now."
    assert client.post(url(organisation), form_data(response)).status_code == 302
    risk.refresh_from_db()
    assert (risk.current_likelihood, risk.current_impact, risk.progress) == (1, 2, "on_track")
    assert Review.objects.get(risk=risk).note == "Much better now."


def test_action_both_changed_is_shown_with_both_values(client, organisation, owner, today):
    risk = make_risk(organisation, today, ref="ACT", owner=owner, due_in=1)
    action = ActionFactory(risk=risk, owner=owner, description="Buy pumps")
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    action_update(action=action, expected_version=1, status=ActionStatus.CANCELLED)
    data[f"action-{action.pk}-status"] = ActionStatus.COMPLETED
    data[key(risk, "note")] = "Update with the action."
    response = client.post(url(organisation), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Risk ACT not saved: an action was changed" in html
    assert "Cancelled" in html and "Completed" in html
    assert not Review.objects.exists()  # the risk's unit is saved whole or not at all
    again = client.post(url(organisation), form_data(response))
    assert again.status_code == 302
    assert Action.objects.get(pk=action.pk).status == ActionStatus.COMPLETED
    assert Review.objects.get(risk=risk).note == "Update with the action."


def test_a_rule_refusing_one_risk_keeps_it_with_its_message(
    client, organisation, owner, today, monkeypatch
):
    one = make_risk(organisation, today, ref="ONE", owner=owner, due_in=1)
    two = make_risk(organisation, today, ref="TWO", owner=owner, due_in=2)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data[key(one, "note")] = "One"
    data[key(two, "note")] = "Two"
    real = view.review_record

    def refusing(**kwargs):
        if kwargs["risk"].pk == one.pk:
            from django.core.exceptions import ValidationError

            raise ValidationError("an update of ONE already awaits sign-off")
        return real(**kwargs)

    monkeypatch.setattr(view, "review_record", refusing)
    response = client.post(url(organisation), data)
    assert response.status_code == 400
    assert "Risk ONE: An update of ONE already awaits sign-off" in response.content.decode()
    assert [r.risk.ref for r in Review.objects.all()] == ["TWO"]


def test_on_a_sign_off_register_the_update_awaits_sign_off(client, organisation, owner, today):
    risk = make_risk(organisation, today, ref="SIGN", owner=owner, due_in=1)
    plain = make_risk(organisation, today, ref="PLAIN", owner=owner, due_in=2)
    register = risk.register
    register.sign_off_required = True
    register.save()
    other = RegisterFactory(organisation=organisation, parent=register, name="Projects")
    Risk.objects.filter(pk=plain.pk).update(register=other)
    client.force_login(owner)
    data = form_data(client.get(url(organisation)))
    data[key(risk, "current_likelihood")] = "5"
    data[key(risk, "current_impact")] = "5"
    data[key(risk, "note")] = "For sign-off"
    data[key(plain, "note")] = "Straight in"
    assert client.post(url(organisation), data).status_code == 302
    review = Review.objects.get(risk=risk)
    assert review.state == ReviewState.SUBMITTED and review.note == "For sign-off"
    assert Risk.objects.get(pk=risk.pk).current_likelihood == risk.current_likelihood  # waits
    assert Review.objects.get(risk=plain).state == ReviewState.RECORDED
    page = client.get(url(organisation)).content.decode()
    assert "SIGN" in page and "update submitted for sign-off" in page
    assert "PLAIN" in page and "reviewed; next review due" in page
    assert "Update awaiting sign-off" in page  # SIGN is still due, and says so


# --- from the reminder e-mail --------------------------------------------------------------------


def test_reminder_email_links_to_the_quick_update(organisation, owner, today, settings):
    settings.RISKREG_BASE_URL = "https://risks.example.test"
    make_risk(organisation, today, owner=owner, due_in=2)
    send_reminders(today=today, organisations=[organisation])
    (email,) = [m for m in mail.outbox if owner.email in m.to]
    link = f"https://risks.example.test/o/{organisation.slug}/my-update/"
    assert "Update all your risks on one page" in email.body
    assert f"\n{link}\n" in email.body  # on a line of its own: one click in any mail reader
    html = email.alternatives[0][0]
    assert f'href="{link}"' in html and "Update all your risks on one page" in html


def test_coordinator_and_action_only_digests_have_no_such_link(organisation, member, today):
    coordinator = member(Role.COORDINATOR)
    action_owner = member(Role.OWNER)
    risk = make_risk(organisation, today, owner=member(Role.OWNER), due_in=400)
    ActionFactory(risk=risk, owner=action_owner, due_date=today)
    send_reminders(today=today, organisations=[organisation])
    (email,) = [m for m in mail.outbox if action_owner.email in m.to]
    assert "my-update" not in email.body
    assert all(coordinator.email not in m.to or "my-update" not in m.body for m in mail.outbox)


def test_my_work_and_dashboard_link_to_it(client, organisation, owner, today):
    make_risk(organisation, today, owner=owner, due_in=1)
    client.force_login(owner)
    link = reverse("quick_update", args=[organisation.slug])
    assert link in client.get(reverse("my_work", args=[organisation.slug])).content.decode()
    assert link in client.get(reverse("organisation", args=[organisation.slug])).content.decode()


def test_member_of_two_organisations_sees_each_ones_own(
    client, organisation, other_organisation, today
):
    person = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    MembershipFactory(organisation=other_organisation, role=Role.OWNER, user=person)
    here = make_risk(organisation, today, owner=person, due_in=1)
    there = make_risk(other_organisation, today, owner=person, due_in=1)
    client.force_login(person)
    assert [e.risk.pk for e in client.get(url(organisation)).context["entries"]] == [here.pk]
    data = form_data(client.get(url(organisation)))
    data["risk"].append(str(there.pk))
    data[key(there, "version")] = "1"
    data[key(there, "note")] = "Crossing over"
    client.post(url(organisation), data)
    assert not Review.objects.filter(risk=there).exists()


def test_a_rating_from_an_earlier_scheme_stays_unless_rescored(
    client, organisation, owner, member, today
):
    """A level the register's new scheme lacks (a 6x6 replaced by a 5x5, the risk kept under the
    old version) is shown as it is; untouched it saves nothing, an update alone is refused with
    the review's own message, and a re-score saves."""
    admin = member(Role.ADMIN)
    scheme_save(organisation=organisation, definition=preset("aberdeen-6x6"), make_default=True)
    corner = make_risk(organisation, today, ref="CORNER", owner=owner, due_in=1)
    risk_update(risk=corner, expected_version=corner.version, positions={"current": (6, 6)})
    other = make_risk(organisation, today, ref="OTHER", owner=owner, due_in=2)
    six = Scheme.objects.get(organisation=organisation, is_default=True)
    scheme_version_adopt(
        scheme=six, definition=preset("espo-5x5"), by=admin, rerate=False, reason="Back to 5x5"
    )
    client.force_login(owner)
    page = client.get(url(organisation))
    assert "6 (from the scheme it was rated under)" in page.content.decode()
    data = form_data(page)
    assert data[key(corner, "current_likelihood")] == "6"
    data[key(other, "note")] = "Other moves on."
    assert client.post(url(organisation), data).status_code == 302
    assert [r.risk.ref for r in Review.objects.all()] == ["OTHER"]

    data = form_data(client.get(url(organisation)))
    data[key(corner, "note")] = "Still the worst case."
    refused = client.post(url(organisation), data)
    assert refused.status_code == 400 and "Risk CORNER: " in refused.content.decode()
    assert not Review.objects.filter(risk=corner).exists()

    data[key(corner, "current_likelihood")] = "5"
    assert client.post(url(organisation), data).status_code == 400  # half new, half old
    data[key(corner, "current_impact")] = "5"
    assert client.post(url(organisation), data).status_code == 302
    corner.refresh_from_db()
    assert (corner.current_likelihood, corner.current_impact) == (5, 5)


def test_a_session_that_ended_keeps_what_was_typed(organisation, owner, today):
    """Twenty updates typed while the session ran out come back after signing in again."""
    one = make_risk(organisation, today, ref="ONE", owner=owner, due_in=1)
    two = make_risk(organisation, today, ref="TWO", owner=owner, due_in=2)
    browser = unsaved_tests.same_site_client()
    owner.set_password(PASSWORD)
    owner.save()
    assert unsaved_tests.sign_in(browser, owner).status_code == 302
    data = form_data(browser.get(url(organisation)))
    data[key(one, "note")] = "Typed before the session ended"
    data[key(two, "current_likelihood")] = "1"
    data[key(two, "current_impact")] = "1"
    data.pop("all", None)
    page, again = unsaved_tests.signed_out_and_back(browser, owner, url(organisation), data)
    assert SIGNED_OUT_KEPT in page
    assert "Typed before the session ended" in page
    assert 'value="1" selected' in page
    assert "Typed before the session ended" not in again
    assert not Review.objects.exists()  # nothing saved until saved again
