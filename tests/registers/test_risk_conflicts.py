"""Two people editing one risk: a save from an edit page opened at an older version applies only
what that person changed (a three-way merge), so saving a stale form never puts back a colleague's
values; a field both changed to different values is shown with both values and left to the person
to choose. Ratings are merged per position, objectives and working leads as whole lists."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registers.forms_treatments import VERSION_MISSING
from registers.merging import KEEP_MINE, KEEP_THEIRS
from registers.models import Objective, Register, Risk, Role
from registers.services.organisations import member_add
from registers.services.reviews import review_record
from registers.services.risk_edits import RISK_VERSION_UNKNOWN, RiskEditConflict
from registers.services.risks import RiskConflict, risk_update
from registers.services.treatments import CHOOSE_A_VALUE
from tests.factories import RiskFactory

pytestmark = pytest.mark.django_db


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "ann": person(organisation, Role.COORDINATOR, "Ann Able"),
        "ben": person(organisation, Role.COORDINATOR, "Ben Baker"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "lead": person(organisation, Role.OWNER, "Lee Lead"),
    }


@pytest.fixture
def risk(organisation, people):
    return RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref="CRR07",
        title="Fire at the depot",
        description="Old wiring in the depot.",
        consequence="Loss of the fleet.",
        owner=people["owner"],
        positions={"inherent": (3, 4), "current": (3, 4), "target": (1, 2)},
    )


def url(risk):
    return reverse("risk_edit", args=[risk.organisation.slug, risk.ref])


def opened(risk):
    """The edit form's values as a browser posts them, as the page showed them just now."""
    risk = Risk.objects.get(pk=risk.pk)
    data = {
        "title": risk.title,
        "description": risk.description,
        "consequence": risk.consequence,
        "category": risk.category_id or "",
        "owner": risk.owner_id or "",
        "manager": risk.manager_id or "",
        "kind": risk.kind,
        "horizon": risk.horizon,
        "response": risk.response,
        "proximity": risk.proximity,
        "progress": risk.progress,
        "marking": risk.marking,
        "review_months": risk.review_months or "",
        "next_review_due": risk.next_review_due.isoformat() if risk.next_review_due else "",
        "objectives": [str(pk) for pk in risk.objectives.values_list("pk", flat=True)],
        "leads": [str(pk) for pk in risk.leads.values_list("pk", flat=True)],
        "version": risk.version,
    }
    for position in ("inherent", "current", "target"):
        for axis in ("likelihood", "impact"):
            value = getattr(risk, f"{position}_{axis}")
            data[f"{position}_{axis}"] = "" if value is None else value
    return data


def logged_in(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def tabs(client, people):
    from django.test import Client

    return logged_in(Client, people["ann"]), logged_in(Client, people["ben"])


# --- the two tabs ---------------------------------------------------------------------


def test_a_stale_save_applies_only_what_that_person_changed(risk, tabs, people):
    ann, ben = tabs
    ann_form, ben_form = opened(risk), opened(risk)  # both open the edit page
    assert ann.post(url(risk), ann_form | {"title": "Fire at the main depot"}).status_code == 302
    response = ben.post(url(risk), ben_form | {"consequence": "Loss of the whole fleet."})
    assert response.status_code == 302  # merged, not refused
    risk.refresh_from_db()
    assert risk.title == "Fire at the main depot"
    assert risk.consequence == "Loss of the whole fleet."
    assert risk.version == 3
    page = ben.get(response.url).content.decode()
    assert "keeping the changes someone else saved while you were editing" in page
    # Saving the old form again (the back button) still does not put the old title back.
    again = ben.post(url(risk), ben_form | {"consequence": "Loss of the whole fleet."})
    assert again.status_code == 302
    risk.refresh_from_db()
    assert risk.title == "Fire at the main depot"
    # History: Ben never changed the title.
    titles = list(
        risk.history.filter(history_user=people["ben"]).values_list("title", flat=True).distinct()
    )
    assert titles == ["Fire at the main depot"]


def test_a_stale_save_keeps_their_rating_lists_and_people(organisation, risk, tabs, people):
    pillar = Objective.objects.create(organisation=organisation, code="P1", name="Safe streets")
    ann, ben = tabs
    ann_form, ben_form = opened(risk), opened(risk)
    ann.post(
        url(risk),
        ann_form
        | {
            "current_likelihood": "2",
            "objectives": [str(pillar.pk)],
            "leads": [str(people["lead"].pk)],
            "manager": people["ann"].pk,
        },
    )
    response = ben.post(url(risk), ben_form | {"target_likelihood": "2", "description": "New"})
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.current_likelihood, risk.current_impact, risk.current_score) == (2, 4, 8)
    assert (risk.target_likelihood, risk.target_impact) == (2, 2)
    assert list(risk.objectives.all()) == [pillar]
    assert list(risk.leads.all()) == [people["lead"]]
    assert risk.manager == people["ann"] and risk.description == "New"


# --- a real conflict --------------------------------------------------------------------------


def test_both_changing_the_title_is_shown_with_both_values_and_resolved_by_choosing(risk, tabs):
    ann, ben = tabs
    ann_form, ben_form = opened(risk), opened(risk)
    ann.post(url(risk), ann_form | {"title": "Ann's title", "description": "Ann's description"})
    typed = ben_form | {"title": "Ben's title", "consequence": "Ben's consequence"}
    response = ben.post(url(risk), typed)
    html = response.content.decode()
    assert response.status_code == 200
    assert "someone else changed this risk" in html and "Ann Able" in html
    assert "You both changed" in html
    # the table: opened, theirs, yours
    choices = html.split('id="conflict-choices"')[1]
    row = re.search(r"<th scope=\"row\"[^>]*>Title</th>(.*?)</tr>", choices, re.S).group(1)
    assert "Fire at the depot" in row and "Ann&#x27;s title" in row and "Ben&#x27;s title" in row
    # the form: Ben's typing, Ann's change to the field only she changed, still at version 1
    assert 'value="Ben&#x27;s title"' in html and "Ben&#x27;s consequence" in html
    assert "Ann&#x27;s description" in html
    assert 'name="version" value="1"' in html and 'name="choices_at" value="2"' in html
    risk.refresh_from_db()
    assert risk.title == "Ann's title" and risk.version == 2  # nothing written

    # saving without choosing: asked to choose, still nothing written
    shown = {name: value for name, value in typed.items() if name not in ("description",)} | {
        "description": "Ann's description",
        "version": 1,
        "choices_at": 2,
    }
    unchosen = ben.post(url(risk), shown)
    assert CHOOSE_A_VALUE.format(field="title") in unchosen.content.decode()
    risk.refresh_from_db()
    assert risk.version == 2

    # choosing theirs keeps Ann's title and saves Ben's consequence
    kept = ben.post(url(risk), shown | {"keep-title": KEEP_THEIRS})
    assert kept.status_code == 302
    risk.refresh_from_db()
    assert (risk.title, risk.description, risk.consequence) == (
        "Ann's title",
        "Ann's description",
        "Ben's consequence",
    )


def test_choosing_yours_writes_yours(risk, tabs):
    ann, ben = tabs
    ann_form, ben_form = opened(risk), opened(risk)
    ann.post(url(risk), ann_form | {"title": "Ann's title"})
    ben.post(url(risk), ben_form | {"title": "Ben's title"})
    response = ben.post(
        url(risk), ben_form | {"title": "Ben's title", "choices_at": 2, "keep-title": KEEP_MINE}
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.title == "Ben's title" and risk.version == 3


def test_a_choice_made_against_older_values_is_asked_again(risk, tabs, people):
    ann, ben = tabs
    ben_form = opened(risk)
    ann.post(url(risk), opened(risk) | {"title": "Ann's title"})
    ann.post(url(risk), opened(risk) | {"title": "Ann's second title"})  # after Ben was shown v2
    response = ben.post(
        url(risk), ben_form | {"title": "Ben's title", "choices_at": 2, "keep-title": KEEP_MINE}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Ann&#x27;s second title" in html
    risk.refresh_from_db()
    assert risk.title == "Ann's second title"


def test_ratings_both_changed_conflict_as_one_position(risk, people):
    risk_update(risk=risk, expected_version=1, positions={"current": (2, 4)})
    with pytest.raises(RiskEditConflict) as caught:
        risk_update(
            risk=risk,
            expected_version=1,
            positions={"current": (3, 2)},
            merge_stale=True,
        )
    (conflict,) = caught.value.conflicts
    assert (conflict.name, conflict.base, conflict.mine, conflict.theirs) == (
        "current",
        (3, 4),
        (3, 2),
        (2, 4),
    )


def test_the_service_still_refuses_stale_saves_for_callers_that_do_not_merge(risk):
    risk_update(risk=risk, expected_version=1, fields={"title": "First"})
    with pytest.raises(RiskConflict):
        risk_update(risk=risk, expected_version=1, fields={"description": "Second"})


def test_a_version_from_the_future_is_refused(risk, client, people):
    with pytest.raises(ValidationError, match=RISK_VERSION_UNKNOWN):
        risk_update(risk=risk, expected_version=7, fields={"title": "x"}, merge_stale=True)
    client.force_login(people["ann"])
    response = client.post(url(risk), opened(risk) | {"version": 2_147_483_648})
    assert response.status_code == 400
    assert VERSION_MISSING.format(noun="risk") in response.content.decode()


# --- reviews ----------------------------------------------------------------------------------


def test_a_stale_rescore_keeps_others_changes_and_applies_the_new_rating(risk, people):
    risk_update(risk=risk, expected_version=1, fields={"title": "Depot fire"})
    review = review_record(
        risk=risk,
        user=people["owner"],
        expected_version=1,
        note="Sprinklers fitted",
        positions={"current": (2, 4)},
    )
    risk.refresh_from_db()
    assert review.rescored and risk.title == "Depot fire" and risk.current_score == 8


def test_a_stale_rescore_over_a_changed_rating_is_refused(risk, people):
    risk_update(risk=risk, expected_version=1, positions={"current": (4, 4)})
    with pytest.raises(RiskConflict):
        review_record(
            risk=risk,
            user=people["owner"],
            expected_version=1,
            note="n",
            positions={"current": (2, 4)},
        )
    risk.refresh_from_db()
    assert risk.current_score == 16
