"""The risk page and the pages that change a risk: who may do what (403 for the rest), create and
edit with ratings from the scheme, optimistic locking, reviews, close and reopen, controls and
actions in place with htmx and without JavaScript, and a query count that does not grow."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from registers import permissions
from registers.models import (
    Action,
    ActionStatus,
    Control,
    Marking,
    Membership,
    Review,
    Risk,
    RiskStatus,
    Role,
)
from registers.services.organisations import member_add, membership_change, register_create
from registers.services.risks import CURRENT_NOT_LOWER, risk_close, risk_update
from tests.factories import (
    ActionFactory,
    CategoryFactory,
    ControlFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "other_owner": person(organisation, Role.OWNER, "Olga Other"),
        "doer": person(organisation, Role.OWNER, "Dora Doer"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
        "panel": person(organisation, Role.PANEL, "Pat Panel"),
    }


@pytest.fixture
def risk(organisation, people):
    return RiskFactory(
        register=corporate_register_of(organisation),
        ref="CRR07",
        title="Fire at the depot",
        description="Old wiring in the depot.",
        owner=people["owner"],
        positions={"inherent": (3, 4), "current": (3, 4), "target": (1, 2)},
    )


@pytest.fixture
def control(risk, people):
    return ControlFactory(risk=risk, description="Annual wiring inspection", owner=people["owner"])


@pytest.fixture
def action(risk, people):
    return ActionFactory(
        risk=risk,
        description="Rewire the depot",
        owner=people["doer"],
        due_date=timezone.localdate().replace(year=timezone.localdate().year + 1),
        priority="high",
        difficulty="medium",
    )


def url(name, risk, *args):
    return reverse(name, args=[risk.organisation.slug, risk.ref, *args])


def edit_data(risk, **overrides):
    data = {
        "title": risk.title,
        "description": risk.description,
        "consequence": risk.consequence,
        "category": "",
        "owner": risk.owner_id or "",
        "manager": risk.manager_id or "",
        "kind": risk.kind,
        "horizon": risk.horizon,
        "response": risk.response,
        "proximity": risk.proximity,
        "progress": risk.progress,
        "marking": risk.marking,
        "review_months": "",
        "next_review_due": "",
        "version": risk.version,
    }
    for position in ("inherent", "current", "target"):
        for axis in ("likelihood", "impact"):
            value = getattr(risk, f"{position}_{axis}")
            data[f"{position}_{axis}"] = "" if value is None else value
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- the page ---------------------------------------------------------------------------------


def test_risk_page_shows_the_action_plan(client, risk, control, action, people):
    risk_update(
        risk=risk, expected_version=1, fields={"marking": Marking.OFFICIAL_SENSITIVE}, reason="x"
    )
    # A viewer cleared for OFFICIAL-SENSITIVE reads the whole action plan (tests/registers/
    # test_marking.py covers the uncleared case).
    Membership.objects.filter(user=people["viewer"]).update(sensitive_access=True)
    client.force_login(people["viewer"])
    page = client.get(url("risk", risk)).content.decode()
    for text in (
        "CRR07 Fire at the depot",
        "OFFICIAL-SENSITIVE",
        "12 (Medium)",
        "2 (Low)",
        "Annual wiring inspection",
        "Not assessed",  # effectiveness
        "Rewire the depot",
        "Dora Doer",
        "High",  # priority
        "Not started",
        CURRENT_NOT_LOWER,  # Aberdeen's rule, as a warning
        "Owen Owner",
        "History",
    ):
        assert text in page, text


@pytest.mark.parametrize("role", ["viewer", "panel"])
def test_readers_see_no_edit_controls(client, risk, control, action, people, role):
    client.force_login(people[role])
    page = client.get(url("risk", risk)).content.decode()
    # Comments are not edits: viewers write them (decision 53), in the thread and from a row's
    # "Comment" link; the rest of the page is read-only.
    start = page.find('<section id="comments"')
    page = page[:start] + page[page.find("</section>", start) :]
    page = re.sub(
        r'<span class="govuk-body-s rr-comment-on">.*?</a>(?: <a[^>]*>[^<]*</a>)?</span>',
        "",
        page,
        flags=re.S,
    )
    assert "hx-post" not in page and "hx-get" not in page
    for text in ("Edit risk", "Record review", "Close risk", "Add a control", "Remove", ">Edit"):
        assert text not in page, text
    # the only POST form is signing out
    assert page.count('method="post"') == 1


def post_urls(risk, control, action):
    return [
        url("risk_edit", risk),
        url("risk_review", risk),
        url("risk_close", risk),
        url("risk_reopen", risk),
        url("control_add", risk),
        url("control_edit", risk, control.pk),
        url("control_remove", risk, control.pk),
        url("action_add", risk),
        url("action_edit", risk, action.pk),
        url("action_complete", risk, action.pk),
        url("action_to_control", risk, action.pk),
        url("action_remove", risk, action.pk),
        reverse("risk_create", args=[risk.organisation.slug, "corporate"]),
    ]


@pytest.mark.parametrize("role", ["viewer", "panel"])
def test_readers_are_refused_every_change(client, risk, control, action, people, role):
    # even as the action's owner: viewers and panel members never change anything
    Action.objects.filter(pk=action.pk).update(owner=people[role])
    client.force_login(people[role])
    for target in post_urls(risk, control, action):
        data = {"description": "x", "reason": "x", "title": "x", "version": 1, "status": "done"}
        assert client.post(target, data).status_code == 403, target
        assert client.post(target, data, **HTMX).status_code == 403, target
    for target in (
        url("risk_edit", risk),
        url("risk_review", risk),
        url("control_edit", risk, control.pk),
    ):
        assert client.get(target).status_code == 403, target
    risk.refresh_from_db()
    assert risk.version == 1 and risk.status == RiskStatus.OPEN
    assert Control.objects.filter(risk=risk).count() == 1
    assert Action.objects.get(pk=action.pk).status == ActionStatus.NOT_STARTED


def test_another_organisations_risk_is_404(client, risk, control, other_organisation):
    outsider = person(other_organisation, Role.ADMIN, "Out Sider")
    client.force_login(outsider)
    assert client.get(url("risk", risk)).status_code == 404
    assert client.post(url("risk_edit", risk), {}).status_code == 404
    assert client.post(url("control_remove", risk, control.pk)).status_code == 404
    # their ref under my own organisation's URL
    mine = reverse("risk_edit", args=[other_organisation.slug, risk.ref])
    assert client.post(mine, {}).status_code == 404


# --- who may edit -----------------------------------------------------------------------------


def test_owner_edits_their_own_risk_but_not_others(client, organisation, risk, people):
    someone_elses = RiskFactory(
        register=corporate_register_of(organisation), owner=people["other_owner"]
    )
    client.force_login(people["owner"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Edit risk" in page and "Record review" in page
    response = client.post(url("risk_edit", risk), edit_data(risk, title="Depot fire"))
    assert response.status_code == 302 and response.url == url("risk", risk)
    risk.refresh_from_db()
    assert risk.title == "Depot fire" and risk.version == 2
    assert "Edit risk" not in client.get(url("risk", someone_elses)).content.decode()
    assert client.get(url("risk_edit", someone_elses)).status_code == 403
    assert client.post(url("risk_edit", someone_elses), edit_data(someone_elses)).status_code == 403
    # an owner does not add risks to registers
    create = reverse("risk_create", args=[organisation.slug, "corporate"])
    assert client.get(create).status_code == 403


def test_coordinator_edits_any_risk_and_adds_risks(client, organisation, risk, people):
    client.force_login(people["coordinator"])
    assert client.get(url("risk_edit", risk)).status_code == 200
    create = reverse("risk_create", args=[organisation.slug, "corporate"])
    assert client.get(create).status_code == 200


def test_limited_coordinator_only_on_the_granted_register(client, organisation, risk, people):
    school = register_create(
        organisation=organisation,
        slug="school",
        name="School",
        level="school",
        parent=corporate_register_of(organisation),
    )
    school_risk = RiskFactory(register=school, ref="S1")
    membership = member_add(organisation=organisation, email="school@x.test", role="coordinator")
    membership_change(membership=membership, role="coordinator", registers_limited=True)
    permissions.register_grant(user=membership.user, register=school)
    client.force_login(membership.user)
    assert client.get(reverse("risk_create", args=[organisation.slug, "school"])).status_code == 200
    assert (
        client.get(reverse("risk_create", args=[organisation.slug, "corporate"])).status_code == 403
    )
    assert client.get(url("risk_edit", school_risk)).status_code == 200
    assert client.post(url("risk_edit", risk), edit_data(risk)).status_code == 403
    assert "Edit risk" not in client.get(url("risk", risk)).content.decode()


# --- create -----------------------------------------------------------------------------------


def create_data(**overrides):
    data = {
        "ref": "CRR30",
        "title": "Flooding of the data centre",
        "description": "Heavy rain overwhelms the drains.",
        "kind": "threat",
        "marking": "OFFICIAL",
        "response": "Treat",
        "inherent_likelihood": "4",
        "inherent_impact": "5",
        "current_likelihood": "3",
        "current_impact": "4",
        "target_likelihood": "",
        "target_impact": "",
    }
    data.update(overrides)
    return data


def test_create_form_offers_the_schemes_levels(client, organisation, people):
    client.force_login(people["coordinator"])
    page = client.get(reverse("risk_create", args=[organisation.slug, "corporate"]))
    html = page.content.decode()
    # value, label and description of each level
    assert "5 Very high" in html and "50% likely to happen" in html
    assert "Insignificant" in html and 'name="current_impact"' in html
    assert "Preview rating" in html


def test_coordinator_creates_a_risk(client, organisation, people):
    category = CategoryFactory(organisation=organisation, name="Estates")
    client.force_login(people["coordinator"])
    create = reverse("risk_create", args=[organisation.slug, "corporate"])
    response = client.post(
        create,
        create_data(category=category.pk, owner=people["owner"].pk, leads=[people["doer"].pk]),
    )
    assert response.status_code == 302
    risk = Risk.objects.get(organisation=organisation, ref="CRR30")
    assert response.url == url("risk", risk)
    assert (risk.inherent_score, risk.current_score, risk.target_score) == (20, 12, None)
    assert risk.owner == people["owner"] and list(risk.leads.all()) == [people["doer"]]
    assert risk.category == category and risk.last_reviewed == timezone.localdate()
    assert risk.history.latest().history_user == people["coordinator"]


def test_invalid_likelihood_is_refused_naming_the_field(client, organisation, people):
    client.force_login(people["coordinator"])
    create = reverse("risk_create", args=[organisation.slug, "corporate"])
    response = client.post(create, create_data(current_likelihood="9"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Current likelihood must be one of the scheme&#x27;s levels" in html
    assert 'href="#current_likelihood_0"' in html  # the summary links to the field
    assert not Risk.objects.filter(ref="CRR30").exists()
    # typed values are kept
    assert "Flooding of the data centre" in html


def test_half_a_position_and_missing_title_are_explained(client, organisation, people):
    client.force_login(people["coordinator"])
    create = reverse("risk_create", args=[organisation.slug, "corporate"])
    html = client.post(create, create_data(title="", target_likelihood="2")).content.decode()
    assert "Enter a title for the risk" in html and 'href="#title"' in html
    assert "Choose the target impact as well as the likelihood, or neither" in html
    duplicate = RiskFactory(register=corporate_register_of(organisation), ref="DUP1")
    html = client.post(create, create_data(ref=duplicate.ref)).content.decode()
    assert "already has a risk" in html and 'href="#ref"' in html


def test_preview_shows_the_rating_without_saving(client, organisation, people):
    client.force_login(people["coordinator"])
    create = reverse("risk_create", args=[organisation.slug, "corporate"])
    response = client.post(create, create_data(preview="1", current_likelihood="4"))
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing has been saved yet" in html
    assert "16 (High)" in html and "20 (High)" in html
    assert not Risk.objects.filter(ref="CRR30").exists()
    assert CURRENT_NOT_LOWER not in html
    html = client.post(create, create_data(preview="1", current_likelihood="5")).content.decode()
    assert CURRENT_NOT_LOWER in html  # 25 >= 20: a warning, not a block


def test_rating_preview_endpoint_returns_the_rating_partial(client, organisation, people):
    client.force_login(people["viewer"])
    preview = reverse("risk_rating_preview", args=[organisation.slug, "corporate"])
    response = client.get(
        preview, {"position": "current", "current_likelihood": 3, "current_impact": 4}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and "12 (Medium)" in html and "<html" not in html
    html = client.get(preview, {"position": "target", "target_likelihood": 9, "target_impact": 1})
    assert "is not on the scheme" in html.content.decode()
    html = client.get(preview, {"position": "inherent", "inherent_likelihood": 2})
    assert "Choose both" in html.content.decode()


# --- edit and optimistic locking --------------------------------------------------------------


def test_edit_form_is_filled_from_the_risk(client, risk, action, people):
    risk_update(risk=risk, expected_version=1, fields={"next_review_due": dt.date(2027, 2, 10)})
    risk.refresh_from_db()
    client.force_login(people["owner"])
    html = client.get(url("risk_edit", risk)).content.decode()
    assert 'value="Fire at the depot"' in html
    # Day first, whatever the browser's language (registers.widgets.DateInput)
    assert 'name="next_review_due" value="10/02/2027"' in html
    row = client.get(url("action_edit", risk, action.pk), **HTMX).content.decode()
    assert f'value="{action.due_date:%d/%m/%Y}"' in row
    assert re.search(r'name="current_likelihood" type="radio" value="3"[^>]* checked', html)
    assert 'name="version" value="2"' in html


def test_second_edit_from_the_same_version_keeps_the_first_editors_changes(client, risk, people):
    # tests/registers/test_risk_conflicts.py covers fields both changed.
    client.force_login(people["coordinator"])
    first = client.post(
        url("risk_edit", risk),
        edit_data(risk, title="Fire at the main depot", owner=people["other_owner"].pk),
    )
    assert first.status_code == 302
    second = client.post(
        url("risk_edit", risk),
        edit_data(risk, description="My careful new description", current_likelihood="2"),
    )
    assert second.status_code == 302
    risk.refresh_from_db()
    assert risk.version == 3 and risk.description == "My careful new description"
    assert risk.title == "Fire at the main depot" and risk.owner == people["other_owner"]
    assert risk.current_likelihood == 2


def test_edit_changes_ratings_through_the_scheme(client, risk, people):
    client.force_login(people["owner"])
    client.post(url("risk_edit", risk), edit_data(risk, current_likelihood="2", reason="new CCTV"))
    risk.refresh_from_db()
    assert risk.current_score == 8 and risk.history.latest().history_change_reason == "new CCTV"


# --- reviews, close, reopen -------------------------------------------------------------------


def test_owner_confirms_the_risk_unchanged(client, risk, people):
    client.force_login(people["owner"])
    assert client.get(url("risk_review", risk)).status_code == 200
    missing = client.post(url("risk_review", risk), {"outcome": "unchanged", "version": 1})
    assert "Write this period&#x27;s update: what changed" in missing.content.decode()
    # a new rating chosen but "no change" ticked: asked which was meant, nothing saved
    mixed = client.post(
        url("risk_review", risk),
        {
            "outcome": "unchanged",
            "note": "n",
            "current_likelihood": "1",
            "current_impact": "4",
            "version": 1,
        },
    )
    assert "said it still stands" in mixed.content.decode()
    unrated = client.post(
        url("risk_review", risk),
        {"outcome": "rescore", "current_likelihood": "", "current_impact": "", "version": 1},
    )
    assert "Choose the current likelihood and impact to re-score" in unrated.content.decode()
    assert not Review.objects.filter(risk=risk).exists()
    response = client.post(
        url("risk_review", risk),
        {"outcome": "unchanged", "note": "Checked with estates", "version": 1},
    )
    assert response.status_code == 302
    review = Review.objects.get(risk=risk)
    assert review.reviewed_by == people["owner"] and not review.rescored
    risk.refresh_from_db()
    assert risk.last_reviewed == timezone.localdate() and risk.current_score == 12
    page = client.get(url("risk", risk)).content.decode()
    assert "Reviewed, no change" in page and "Checked with estates" in page


def test_owner_rescores_the_current_position(client, risk, people):
    client.force_login(people["owner"])
    response = client.post(
        url("risk_review", risk),
        {
            "outcome": "rescore",
            "current_likelihood": "2",
            "current_impact": "4",
            "note": "Sprinklers fitted",
            "version": 1,
        },
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.current_score == 8 and Review.objects.get(risk=risk).rescored
    history = client.get(url("risk_history", risk)).content.decode()
    assert "Current rating: 12 (Medium) → 8 (Medium)" in history


def test_review_from_a_stale_page_is_refused_with_the_note_kept(client, risk, people):
    risk_update(risk=risk, expected_version=1, fields={"title": "Depot fire risk"})
    client.force_login(people["owner"])
    response = client.post(
        url("risk_review", risk),
        {"outcome": "unchanged", "note": "My long review note", "version": 1},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "someone else changed this risk" in html
    assert "My long review note" in html and "Depot fire risk" in html
    assert not Review.objects.filter(risk=risk).exists()


def test_close_with_a_reason_and_reopen(client, risk, people):
    client.force_login(people["coordinator"])
    empty = client.post(url("risk_close", risk), {"reason": " ", "version": 1})
    assert "Say why the risk is being closed" in empty.content.decode()
    response = client.post(url("risk_close", risk), {"reason": "Fully mitigated", "version": 1})
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED and risk.closed_reason == "Fully mitigated"
    page = client.get(url("risk", risk)).content.decode()
    assert "Reopen risk" in page and "Record review" not in page
    assert client.get(url("risk_review", risk)).status_code == 302  # closed: reopen first
    response = client.post(url("risk_reopen", risk), {"reason": "Recurred", "version": 2})
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


def test_close_from_a_stale_page_is_refused(client, risk, people):
    risk_update(risk=risk, expected_version=1, fields={"title": "Depot fire risk"})
    client.force_login(people["coordinator"])
    response = client.post(url("risk_close", risk), {"reason": "Merged into CRR08", "version": 1})
    html = response.content.decode()
    assert "someone else changed this risk" in html and "Merged into CRR08" in html
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


# --- controls and actions, with and without htmx ----------------------------------------------


def test_add_control_without_javascript_redirects_back(client, risk, people):
    client.force_login(people["owner"])
    response = client.post(
        url("control_add", risk),
        {"description": "Fire doors", "effectiveness": "effective", "owner": people["owner"].pk},
    )
    control = Control.objects.get(risk=risk)
    assert response.status_code == 302
    assert response.url == url("risk", risk) + f"#control-{control.pk}"
    assert control.effectiveness == "effective" and control.owner == people["owner"]


def test_add_control_with_htmx_returns_the_section(client, risk, people):
    client.force_login(people["owner"])
    response = client.post(
        url("control_add", risk),
        {"description": "Fire doors", "effectiveness": "effective"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="controls"' in html and "Fire doors" in html and "Control added." in html


def test_control_errors_with_and_without_htmx(client, risk, people):
    client.force_login(people["owner"])
    partial = client.post(url("control_add", risk), {"description": ""}, **HTMX).content.decode()
    assert "Describe the control" in partial and "<html" not in partial
    page = client.post(url("control_add", risk), {"description": ""})
    html = page.content.decode()
    assert page.status_code == 400 and "<html" in html and "There is a problem" in html
    assert "Describe the control" in html and "<details" in html and " open>" in html


def test_edit_and_remove_a_control_in_place(client, risk, control, people):
    client.force_login(people["owner"])
    form = client.get(url("control_edit", risk, control.pk), **HTMX).content.decode()
    assert form.startswith("\n<tr") or "<tr" in form.split("<form")[0]
    assert "Save control" in form and "<html" not in form
    row = client.post(
        url("control_edit", risk, control.pk),
        {
            "description": "Six-monthly wiring inspection",
            "effectiveness": "partially_effective",
            "version": 1,
        },
        **HTMX,
    ).content.decode()
    assert "Six-monthly wiring inspection" in row and "Partially effective" in row
    assert "<form" not in row.split("</td>")[0]
    # without JavaScript the edit link opens the page with the row as a form
    page = client.get(url("control_edit", risk, control.pk)).content.decode()
    assert "<html" in page and "Save control" in page
    cancel = client.get(url("control", risk, control.pk), **HTMX).content.decode()
    assert "Six-monthly wiring inspection" in cancel
    confirm = client.get(url("control_remove", risk, control.pk), **HTMX).content.decode()
    assert "Yes, remove the control" in confirm
    assert Control.objects.filter(pk=control.pk).exists()  # a GET never removes
    section = client.post(url("control_remove", risk, control.pk), **HTMX).content.decode()
    assert "Control removed." in section and not Control.objects.filter(pk=control.pk).exists()


def test_remove_control_without_javascript(client, risk, control, people):
    client.force_login(people["coordinator"])
    page = client.get(url("control_remove", risk, control.pk)).content.decode()
    assert "<html" in page and "Yes, remove the control" in page
    response = client.post(url("control_remove", risk, control.pk))
    assert response.status_code == 302 and response.url.endswith("#controls")
    assert not Control.objects.filter(pk=control.pk).exists()


def test_actions_add_complete_and_become_a_control(client, risk, people):
    client.force_login(people["coordinator"])
    response = client.post(
        url("action_add", risk),
        {
            "description": "Install sprinklers",
            "owner": people["doer"].pk,
            "due_date": "2030-03-31",
            "status": "in_progress",
            "priority": "high",
            "difficulty": "low",
            "progress_note": "Quotes received",
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(risk=risk)
    assert action.due_date.isoformat() == "2030-03-31" and action.priority == "high"
    row = client.post(url("action_complete", risk, action.pk), **HTMX).content.decode()
    assert "Completed" in row and "Make it a control" in row
    section = client.post(url("action_to_control", risk, action.pk), **HTMX).content.decode()
    assert 'id="treatments"' in section and "Install sprinklers" in section
    assert not Action.objects.filter(pk=action.pk).exists()
    assert Control.objects.get(risk=risk).description == "Install sprinklers"


def test_an_unfinished_action_cannot_become_a_control(client, risk, action, people):
    client.force_login(people["coordinator"])
    response = client.post(url("action_to_control", risk, action.pk), follow=True)
    assert "only a completed action can become a control" in response.content.decode().lower()
    assert Action.objects.filter(pk=action.pk).exists()


def test_action_owner_updates_only_status_and_progress(client, risk, action, people):
    client.force_login(people["doer"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Update progress" in page and "Edit risk" not in page and "Add a control" not in page
    form = client.get(url("action_edit", risk, action.pk), **HTMX).content.decode()
    assert 'name="progress_note"' in form and 'name="description"' not in form
    response = client.post(
        url("action_edit", risk, action.pk),
        {
            "status": "in_progress",
            "progress_note": "Contractor booked",
            "description": "Hacked",
            "version": 1,
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "in_progress" and action.progress_note == "Contractor booked"
    assert action.description == "Rewire the depot"
    assert client.post(url("action_remove", risk, action.pk)).status_code == 403
    assert client.post(url("action_to_control", risk, action.pk)).status_code == 403
    assert client.post(url("action_add", risk), {"description": "x"}).status_code == 403
    assert client.post(url("action_complete", risk, action.pk)).status_code == 302


def test_someone_elses_action_is_not_theirs_to_update(client, risk, action, people):
    client.force_login(people["other_owner"])
    assert (
        client.post(url("action_edit", risk, action.pk), {"status": "completed"}).status_code == 403
    )
    assert client.post(url("action_complete", risk, action.pk)).status_code == 403


# --- query count ------------------------------------------------------------------------------


def build(organisation, people, n):
    risk = RiskFactory(register=corporate_register_of(organisation), owner=people["owner"])
    for i in range(n):
        ControlFactory(risk=risk, owner=people["owner"], description=f"Control {i}")
        ActionFactory(risk=risk, owner=people["doer"], description=f"Action {i}")
    for i in range(n):
        owner = people["owner"] if i % 2 else people["other_owner"]
        risk = risk_update(
            risk=risk,
            expected_version=risk.version,
            fields={"title": f"Title {i}", "owner": owner},
            positions={"current": (1 + i % 5, 3)},
        )
    risk_close(risk=risk, expected_version=risk.version, reason="done")
    return Risk.objects.get(pk=risk.pk)


def test_risk_page_query_count_does_not_grow(client, organisation, people):
    # the page of a risk with a short history, then of one with ten times as much
    pages = [url("risk", build(organisation, people, 3))]
    client.force_login(people["coordinator"])
    client.get(pages[-1])  # warm the session and caches
    few, response = assert_same_queries(
        lambda: client.get(pages[-1]),
        lambda: pages.append(url("risk", build(organisation, people, 30))),
    )
    assert few.status_code == 200
    assert response.status_code == 200
    assert "Control 29" in response.content.decode()


def test_history_page_query_count_does_not_grow(client, organisation, people):
    # the page of a risk with a short history, then of one with ten times as much
    pages = [url("risk_history", build(organisation, people, 3))]
    client.force_login(people["viewer"])
    client.get(pages[-1])
    _, response = assert_same_queries(
        lambda: client.get(pages[-1]),
        lambda: pages.append(url("risk_history", build(organisation, people, 30))),
    )
    html = response.content.decode()
    assert "Title 29" in html
