"""An update sent back by an approver, on the forms its author submits it again from (decision
119): the review page and the quick update say who sent it back, when and why, above the form,
and the form starts from what the author submitted; nobody uncleared reads the withheld text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from registers import permissions
from registers.models import Marking, Review, ReviewState, Risk, Role
from registers.services.organisations import member_add
from registers.services.reviews import review_record
from registers.services.risks import risk_update
from registers.services.sign_off import review_send_back
from registers.withholding import WITHHELD
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

WORDS = "Water over the sill twice"
REASON = "Say which store flooded and what the pumps did"


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "manager": person(organisation, Role.OWNER, "Mina Manager"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
    }


@pytest.fixture
def risk(organisation, people):
    register = corporate_register_of(organisation)
    register.sign_off_required = True
    register.save()
    risk = RiskFactory(
        register=register,
        ref="CRR09",
        title="Flooding at the depot",
        owner=people["owner"],
        manager=people["manager"],
        positions={"inherent": (5, 5), "current": (3, 4), "target": (2, 2)},
    )
    # Added a month ago, so a review may be dated before today (decision 115).
    Risk.objects.filter(pk=risk.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    risk.refresh_from_db()
    return risk


def sent_back(risk, people, *, position=(4, 4), note=WORDS, reviewed_on=None):
    risk.refresh_from_db()
    review = review_record(
        risk=risk,
        user=people["owner"],
        expected_version=risk.version,
        note=note,
        positions={"current": position} if position else None,
        reviewed_on=reviewed_on,
    )
    assert review.state == ReviewState.SUBMITTED
    review_send_back(review=review, user=people["coordinator"], reason=REASON)
    return review


def review_page(client, risk):
    return client.get(reverse("risk_review", args=[risk.organisation.slug, risk.ref]))


def quick_page(client, risk):
    return client.get(reverse("quick_update", args=[risk.organisation.slug]) + "?all=1")


def test_the_review_form_says_why_and_starts_from_what_the_owner_submitted(client, risk, people):
    typed = timezone.localdate() - dt.timedelta(days=3)
    sent_back(risk, people, reviewed_on=typed)
    client.force_login(people["owner"])
    response = review_page(client, risk)
    html = response.content.decode()
    assert "Update sent back" in html
    today = date_format(timezone.localdate(), "j F Y")
    assert f"Cora Coordinator sent back your {risk.ref} update of {today}." in html
    assert REASON in html
    # The reason comes before the form.
    assert html.index(REASON) < html.index('name="outcome"')
    form = response.context["form"]
    assert form["note"].value() == WORDS
    assert form["outcome"].value() == "rescore"
    assert (form["current_likelihood"].value(), form["current_impact"].value()) == ("4", "4")
    assert form["reviewed_on"].value() == typed  # the date they typed, not today
    assert f"{WORDS}</textarea>" in html

    # Recorded again as it stands: submitted again, and the form no longer says "sent back".
    data = {
        "version": risk.version,
        "outcome": "rescore",
        "current_likelihood": "4",
        "current_impact": "4",
        "note": WORDS + " (store 2)",
        "reviewed_on": typed.strftime("%d/%m/%Y"),
    }
    client.post(reverse("risk_review", args=[risk.organisation.slug, risk.ref]), data)
    latest = Review.objects.filter(risk=risk).latest("created_at", "id")
    assert latest.state == ReviewState.SUBMITTED and latest.note == WORDS + " (store 2)"
    assert "Update sent back" not in review_page(client, risk).content.decode()


def test_a_no_change_review_sent_back_starts_as_no_change_dated_today(client, risk, people):
    sent_back(risk, people, position=None)
    client.force_login(people["owner"])
    form = review_page(client, risk).context["form"]
    assert form["outcome"].value() == "unchanged" and form["note"].value() == WORDS
    assert not form["reviewed_on"].value()  # submitted without a date: today again
    assert (form["current_likelihood"].value(), form["current_impact"].value()) == ("3", "4")


def test_someone_else_reads_the_update_but_their_form_starts_empty(client, risk, people):
    sent_back(risk, people)
    client.force_login(people["manager"])
    response = review_page(client, risk)
    html = response.content.decode()
    assert f"sent back Owen Owner’s {risk.ref} update of " in html
    assert REASON in html and WORDS in html  # read in the notice, not put in their form
    assert not response.context["form"]["note"].value()


def test_a_change_of_rating_sent_back_is_not_made_a_review(client, risk, people):
    risk_update(
        risk=risk,
        user=people["owner"],
        expected_version=risk.version,
        fields={},
        positions={"current": (4, 4)},
    )
    review = Review.objects.get(risk=risk, state=ReviewState.SUBMITTED)
    review_send_back(review=review, user=people["coordinator"], reason=REASON)
    client.force_login(people["owner"])
    response = review_page(client, risk)
    assert REASON in response.content.decode()
    assert response.context["form"]["current_likelihood"].value() == "3"  # as rated now


def test_the_quick_update_says_why_and_starts_from_what_was_submitted(client, risk, people):
    sent_back(risk, people)
    client.force_login(people["owner"])
    response = quick_page(client, risk)
    html = response.content.decode()
    assert "Update sent back" in html and REASON in html
    assert f"Cora Coordinator sent back your {risk.ref} update of " in html
    (entry,) = response.context["entries"]
    form = entry.form
    assert form["note"].value() == WORDS
    assert (form["current_likelihood"].value(), form["current_impact"].value()) == ("4", "4")


def quick_post(client, risk, **typed):
    data = {"risk": [str(risk.pk)], "all": "1"}
    values = {
        "version": str(risk.version),
        "current_likelihood": "4",
        "current_impact": "4",
        "progress": risk.progress,
        "note": WORDS,
    } | typed
    data |= {f"risk-{risk.pk}-{name}": value for name, value in values.items()}
    return client.post(reverse("quick_update", args=[risk.organisation.slug]), data)


def test_the_quick_update_left_as_sent_back_submits_nothing_and_says_so(client, risk, people):
    from registers.views.quick_update import SENT_BACK_LEFT

    sent_back(risk, people)
    client.force_login(people["owner"])
    risk.refresh_from_db()
    quick_post(client, risk, note=WORDS + "\r\n")
    assert not Review.objects.filter(risk=risk, state=ReviewState.SUBMITTED).exists()
    html = quick_page(client, risk).content.decode()
    assert SENT_BACK_LEFT.format(ref=risk.ref).replace("'", "&#x27;") in html

    quick_post(client, risk, note="Store 2 flooded; both pumps ran")
    latest = Review.objects.get(risk=risk, state=ReviewState.SUBMITTED)
    assert latest.note == "Store 2 flooded; both pumps ran" and latest.proposed["positions"] == {
        "current": [4, 4]
    }


def test_the_quick_update_changed_rating_alone_submits_again(client, risk, people):
    sent_back(risk, people)
    client.force_login(people["owner"])
    risk.refresh_from_db()
    quick_post(client, risk, current_likelihood="5")
    latest = Review.objects.get(risk=risk, state=ReviewState.SUBMITTED)
    assert latest.note == WORDS and latest.proposed["positions"] == {"current": [5, 4]}


def test_an_uncleared_reader_is_told_nothing_of_the_withheld_text(client, risk, people):
    from registers.selectors.sign_off import sent_back_updates

    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    sent_back(risk, people, note="Qsecretheron words")
    risk.refresh_from_db()
    viewer = permissions.organisation_for_user(user=people["viewer"], slug=risk.organisation.slug)
    (shown,) = sent_back_updates([risk], access=viewer).values()
    assert shown.withheld and not shown.prefill
    assert shown.reason == "" and shown.words == ""
    owner = permissions.organisation_for_user(user=people["owner"], slug=risk.organisation.slug)
    (theirs,) = sent_back_updates([risk], access=owner).values()
    assert theirs.prefill and theirs.words == "Qsecretheron words" and theirs.reason == REASON
    # The banner a withheld reader would get, drawn as the pages draw it.
    from django.template.loader import render_to_string

    html = render_to_string(
        "registers/partials/sent_back.html",
        {"sent_back": shown, "risk": risk, "withheld_message": WITHHELD},
    )
    assert WITHHELD in html and "Qsecretheron" not in html and REASON not in html
    # And the pages themselves refuse the viewer before anything is read.
    client.force_login(people["viewer"])
    page = review_page(client, risk)
    assert page.status_code in (403, 404) and REASON not in page.content.decode()


def _day(day) -> str:
    return date_format(day, "j F Y")


def test_the_risk_page_tells_the_author_of_their_update_and_others_whose(client, risk, people):
    """The risk page's panel said "sent back the update Owen Owner submitted on 7 December 2026,
    on 7 December 2026" to Owen himself: now "your update of" the day, the day it was sent back
    only when it is another."""
    review = sent_back(risk, people)
    today = _day(timezone.localdate())
    page = reverse("risk", args=[risk.organisation.slug, risk.ref])
    client.force_login(people["owner"])
    html = client.get(page).content.decode()
    assert f"Cora Coordinator sent back your update of {today}: <strong>{REASON}" in html
    panel = html[html.index('id="sign-off"') :]
    assert panel[: panel.index("</section>")].count(today) == 1
    client.force_login(people["manager"])
    html = client.get(page).content.decode()
    assert f"Cora Coordinator sent back Owen Owner’s update of {today}: <strong>" in html

    submitted = timezone.now() - dt.timedelta(days=3)
    Review.objects.filter(pk=review.pk).update(created_at=submitted)
    html = client.get(page).content.decode()
    earlier = _day(timezone.localdate(submitted))
    assert f"sent back Owen Owner’s update of {earlier} on {today}: <strong>" in html


def test_the_forms_notice_names_the_day_once(client, risk, people):
    sent_back(risk, people)
    today = _day(timezone.localdate())
    client.force_login(people["owner"])
    for html in (review_page(client, risk), quick_page(client, risk)):
        html = html.content.decode()
        notice = html[html.index("rr-sent-back") :]
        notice = notice[: notice.index("Why it was sent back")]
        assert f"Cora Coordinator sent back your {risk.ref} update of {today}." in notice
        assert notice.count(today) == 1


def test_a_review_recorded_since_ends_the_sent_back_update_everywhere(client, risk, people):
    """The coordinator sends the owner's update back, then records a review of their own, applied
    at once (RECORDED): the owner's update is no longer "sent back" on the risk page, the review
    page or the quick update, and neither form offers the old words or re-score (4, 4), whose
    save would put the stale rating over the coordinator's newer one (decision 119)."""
    sent_back(risk, people)
    risk.refresh_from_db()
    newer = review_record(
        risk=risk,
        user=people["coordinator"],
        expected_version=risk.version,
        note="Pumps replaced; lower now",
        positions={"current": (2, 3)},
    )
    assert newer.state == ReviewState.RECORDED
    client.force_login(people["owner"])

    page = client.get(reverse("risk", args=[risk.organisation.slug, risk.ref]))
    assert "Update sent back" not in page.content.decode()
    assert page.context["sign_off"] is None

    review = review_page(client, risk)
    assert "Update sent back" not in review.content.decode()
    form = review.context["form"]
    assert form["note"].value() != WORDS
    assert (form["current_likelihood"].value(), form["current_impact"].value()) != ("4", "4")

    quick = quick_page(client, risk)
    assert "Update sent back" not in quick.content.decode()
    (entry,) = quick.context["entries"]
    assert entry.form["note"].value() != WORDS
    assert (entry.form["current_likelihood"].value(), entry.form["current_impact"].value()) == (
        "2",
        "3",
    )

    # The panel's own query (no reviews held) reads the same rule.
    from registers.selectors.sign_off import sent_back_updates, sign_off_panel

    assert sign_off_panel(risk, scheme_of=lambda r: None) is None
    access = permissions.organisation_for_user(user=people["owner"], slug=risk.organisation.slug)
    assert sent_back_updates([risk], access=access) == {}
