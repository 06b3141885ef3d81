"""Changing many risks at once from the register page (issue 17): a coordinator chooses risks,
one field and its new value and a reason, sees each risk before and after (or why it will not
change), and confirms; each risk changed gets one history record with the reason and who. A risk
saved by someone else since the preview is left alone and listed; bad input is a 400 with the
message and nothing written; owners, viewers and panel members get 403."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registers import permissions
from registers.models import Marking, Register, Risk, Role
from registers.services.organisations import member_add, membership_change, register_create
from registers.services.risks import RETIRED_NOT_GIVEN, risk_close, risk_update
from registers.services.risks_bulk import MOVE_ONLY_OPEN, RiskChange, risk_update_many
from registers.services.risks_bulk_edit import (
    ALREADY,
    BULK_LIMIT,
    CLOSED_NO_REVIEW,
    NONE_CHOSEN,
    NOT_EDITED,
    NOT_FOUND,
    TOO_MANY,
    BulkField,
    Outcome,
    bulk_edit_plan,
)
from riskreg.forms import sentence
from scoring.presets import preset
from scoring.services import scheme_save
from tests.factories import (
    CategoryFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

REASON = "Restructure of the finance directorate"


def person(organisation, role, name, *, limited_to=None):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    membership = member_add(organisation=organisation, email=email, role=role, full_name=name)
    if limited_to is not None:
        membership_change(membership=membership, role=Role.COORDINATOR, registers_limited=True)
        permissions.register_grant(user=membership.user, register=limited_to)
    return membership.user


@pytest.fixture
def school(organisation, corporate_register):
    return register_create(
        organisation=organisation,
        slug="school",
        name="School register",
        level="school",
        parent=corporate_register,
    )


@pytest.fixture
def people(organisation, corporate_register, school):
    return {
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "limited": person(organisation, Role.COORDINATOR, "Sam School", limited_to=school),
        "old": person(organisation, Role.OWNER, "Olga Old"),
        "new": person(organisation, Role.OWNER, "Nick New"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
        "panel": person(organisation, Role.PANEL, "Pat Panel"),
    }


@pytest.fixture
def risks(corporate_register, people):
    return [
        RiskFactory(register=corporate_register, ref=f"CRR{n}", owner=people["old"])
        for n in (1, 2, 3)
    ]


def bulk_url(organisation, register="corporate"):
    return reverse("register_bulk_edit", args=[organisation.slug, register])


def form_data(refs, field, value, reason=REASON):
    return {"risk": list(refs), "field": field, field: value, "reason": reason}


def preview(client, organisation, refs, field, value, reason=REASON, register="corporate"):
    return client.post(bulk_url(organisation, register), form_data(refs, field, value, reason))


def confirm(client, organisation, refs, field, value, *, seen=None, register="corporate"):
    """Preview, then confirm with the versions the preview carried (or ``seen``)."""
    page = preview(client, organisation, refs, field, value, register=register)
    assert page.status_code == 200, page.content.decode()
    data = form_data(refs, field, value)
    data["seen"] = seen if seen is not None else page.context["seen"]
    data["action"] = "confirm"
    return client.post(bulk_url(organisation, register), data)


def latest(risk):
    return Risk.history.filter(id=risk.pk).order_by("-history_date", "-history_id").first()


# --- each field ---------------------------------------------------------------------------


def test_new_owner_for_three_risks_with_one_history_record_each(
    client, organisation, people, risks
):
    client.force_login(people["coordinator"])
    before = {risk.pk: Risk.history.filter(id=risk.pk).count() for risk in risks}
    response = confirm(client, organisation, [r.ref for r in risks], "owner", people["new"].pk)
    assert response.status_code == 302
    assert response.url == reverse("register", args=[organisation.slug, "corporate"])
    for risk in risks:
        risk.refresh_from_db()
        assert risk.owner == people["new"]
        assert risk.version == 2
        assert Risk.history.filter(id=risk.pk).count() == before[risk.pk] + 1
        record = latest(risk)
        assert REASON in record.history_change_reason
        assert "3 risks" in record.history_change_reason
        assert record.history_user == people["coordinator"]
    page = client.get(response.url).content.decode()
    assert "Owner changed on 3 risks: CRR1, CRR2, CRR3" in page


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("manager", "new", lambda p, c: p["new"]),
        ("manager", "", lambda p, c: None),
        ("category", "category", lambda p, c: c),
        ("category", "", lambda p, c: None),
        ("next_review_due", "30/06/2031", lambda p, c: dt.date(2031, 6, 30)),
        ("marking", Marking.OFFICIAL_SENSITIVE, lambda p, c: Marking.OFFICIAL_SENSITIVE),
    ],
)
def test_each_field_is_set_on_every_risk_chosen(
    client, organisation, people, risks, field, value, expected
):
    category = CategoryFactory(organisation=organisation, name="Finance")
    if value == "":  # clearing: each risk has one first
        for risk in risks:
            given = {"category": category, "manager": people["old"]}[field]
            risk_update(risk=risk, expected_version=risk.version, fields={field: given})
    posted = {"new": people["new"].pk, "category": category.pk}.get(value, value)
    client.force_login(people["coordinator"])
    response = confirm(client, organisation, [r.ref for r in risks], field, posted)
    assert response.status_code == 302
    for risk in risks:
        risk.refresh_from_db()
        assert getattr(risk, field) == expected(people, category)
        assert REASON in latest(risk).history_change_reason


def test_move_to_another_register_rerates_under_its_scheme(
    client, organisation, people, risks, school
):
    same_size = scheme_save(
        organisation=organisation, definition=preset("espo-5x5"), name="Alt 5x5"
    )
    school.scheme = same_size.scheme
    school.save()
    client.force_login(people["coordinator"])
    response = confirm(client, organisation, [r.ref for r in risks], "register", "school")
    assert response.status_code == 302
    for risk in risks:
        risk.refresh_from_db()
        assert risk.register == school
        assert risk.scheme_version == same_size.version
        assert latest(risk).register_id == school.pk


# --- the preview ----------------------------------------------------------------------------


def test_preview_shows_before_and_after_and_changes_nothing(client, organisation, people, risks):
    client.force_login(people["coordinator"])
    counts = Risk.history.count()
    response = preview(client, organisation, [r.ref for r in risks], "owner", people["new"].pk)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check the changes" in page
    assert page.count("Olga Old") == 3 and page.count("Nick New") >= 3
    assert Risk.history.count() == counts
    assert set(Risk.objects.values_list("version", flat=True)) == {1}
    assert response.context["seen"] == ["CRR1:1", "CRR2:1", "CRR3:1"]


def test_going_back_keeps_the_choices(client, organisation, people, risks):
    client.force_login(people["coordinator"])
    data = form_data(["CRR1", "CRR2"], "owner", people["new"].pk)
    response = client.post(bulk_url(organisation), {**data, "action": "change"})
    assert response.status_code == 200
    page = response.content.decode()
    assert REASON in page and 'value="owner" checked' in page
    assert f'<option value="{people["new"].pk}" selected>' in page
    assert Risk.history.filter(history_type="~").count() == 0


def test_refused_rows_are_listed_with_the_rules_words(
    organisation, corporate_register, school, people
):
    access = permissions.organisation_for_user(user=people["limited"], slug=organisation.slug)
    on_school = RiskFactory(register=school, ref="S1", owner=people["old"])
    closed = RiskFactory(register=school, ref="S2", owner=people["old"])
    risk_close(risk=closed, expected_version=closed.version, reason="Mitigated")
    RiskFactory(register=school, ref="S3", owner=people["new"])
    RiskFactory(register=corporate_register, ref="C1", owner=people["old"])
    elsewhere = RiskFactory(register=corporate_register_of(OrganisationFactory()), ref="X1")
    plan = bulk_edit_plan(
        access=access,
        refs=["S1", "S2", "S3", "C1", elsewhere.ref, "NOPE"],
        field=BulkField.OWNER,
        value=people["new"],
    )
    rows = {row.ref: row for row in plan.rows}
    assert [row.ref for row in plan.changing] == ["S1", "S2"]
    assert rows["S3"].outcome == Outcome.SAME
    assert rows["S3"].message == ALREADY.format(value="Nick New")
    assert rows["C1"].outcome == Outcome.REFUSED
    assert rows["C1"].message == NOT_EDITED.format(register=corporate_register.name)
    assert rows[elsewhere.ref].outcome == rows["NOPE"].outcome == Outcome.NOT_FOUND
    assert rows["NOPE"].message == NOT_FOUND
    assert on_school.owner == people["old"]

    review = bulk_edit_plan(
        access=access,
        refs=["S1", "S2"],
        field=BulkField.NEXT_REVIEW,
        value=dt.date(2031, 1, 1),
    )
    assert [(row.ref, row.message) for row in review.unchanged] == [("S2", CLOSED_NO_REVIEW)]


def test_moves_the_rules_refuse_are_listed(organisation, corporate_register, school, people):
    access = permissions.organisation_for_user(user=people["coordinator"], slug=organisation.slug)
    open_risk = RiskFactory(register=corporate_register, ref="C1")
    closed = RiskFactory(register=corporate_register, ref="C2")
    risk_close(risk=closed, expected_version=closed.version, reason="Gone")
    plan = bulk_edit_plan(access=access, refs=["C1", "C2"], field="register", value=school)
    assert [row.ref for row in plan.changing] == ["C1"]
    assert plan.unchanged[0].message == MOVE_ONLY_OPEN.format(ref="C2", status="closed")
    # A register with scales the risk's levels do not fit (the escalation's rule).
    small = scheme_save(organisation=organisation, definition=preset("mopac-3x3"), name="3x3")
    school.scheme = small.scheme
    school.save()
    plan = bulk_edit_plan(access=access, refs=["C1"], field="register", value=school)
    assert "the scales do not fit" in plan.rows[0].message
    # An archived register takes no risk.
    Register.objects.filter(pk=school.pk).update(archived_at=timezone.now())
    school.refresh_from_db()
    plan = bulk_edit_plan(access=access, refs=["C1"], field="register", value=school)
    assert "is archived" in plan.rows[0].message
    open_risk.refresh_from_db()
    assert open_risk.register == corporate_register


def test_a_retired_category_is_refused_unless_the_risk_has_it(organisation, people, risks):
    access = permissions.organisation_for_user(user=people["coordinator"], slug=organisation.slug)
    retired = CategoryFactory(organisation=organisation, name="Old estates")
    first = risks[0]
    risk_update(risk=first, expected_version=first.version, fields={"category": retired})
    retired.retired_at = timezone.now()
    retired.save()
    plan = bulk_edit_plan(access=access, refs=["CRR1", "CRR2"], field="category", value=retired)
    assert [row.outcome for row in plan.rows] == [Outcome.SAME, Outcome.REFUSED]
    assert plan.rows[1].message == RETIRED_NOT_GIVEN.format(text="Old estates")


# --- risks_bulk: the one-risk rules for a move and a retired category ------------------------


def test_bulk_update_refuses_a_retired_category_and_keeps_one_a_risk_has(organisation, risks):
    retired = CategoryFactory(organisation=organisation, name="Old estates")
    first, second = risks[0], risks[1]
    first = risk_update(risk=first, expected_version=first.version, fields={"category": retired})
    retired.retired_at = timezone.now()
    retired.save()
    with pytest.raises(ValidationError, match="is retired"):
        risk_update_many(
            changes=[RiskChange(second.pk, second.version, fields={"category": retired})],
            reason="x",
        )
    (kept,) = risk_update_many(
        changes=[RiskChange(first.pk, first.version, fields={"category": retired, "title": "T"})],
        reason="x",
    )
    assert kept.category == retired and kept.title == "T"


def test_bulk_move_follows_the_escalation_rules(organisation, corporate_register, school, risks):
    small = scheme_save(organisation=organisation, definition=preset("mopac-3x3"), name="3x3")
    school.scheme = small.scheme
    school.save()
    first = risks[0]
    with pytest.raises(ValidationError, match="the scales do not fit"):
        risk_update_many(changes=[RiskChange(first.pk, first.version, register=school)], reason="x")
    other = corporate_register_of(OrganisationFactory())
    with pytest.raises(ValidationError, match="another organisation"):
        risk_update_many(changes=[RiskChange(first.pk, first.version, register=other)], reason="x")
    first.refresh_from_db()
    assert first.register == corporate_register and first.version == 1


# --- someone else saved meanwhile ------------------------------------------------------------


def test_a_risk_changed_since_the_preview_is_skipped_and_listed(
    client, organisation, people, risks
):
    client.force_login(people["coordinator"])
    page = preview(client, organisation, [r.ref for r in risks], "owner", people["new"].pk)
    seen = page.context["seen"]
    # Ada changes CRR2 between the preview and the confirm.
    middle = risks[1]
    middle.refresh_from_db()
    risk_update(risk=middle, expected_version=middle.version, fields={"title": "Renamed"})
    Risk.history.filter(id=middle.pk, version=2).update(history_user=people["admin"])
    data = {**form_data([r.ref for r in risks], "owner", people["new"].pk), "seen": seen}
    response = client.post(bulk_url(organisation), {**data, "action": "confirm"})
    assert response.status_code == 302
    owners = dict(Risk.objects.values_list("ref", "owner_id"))
    assert owners == {"CRR1": people["new"].pk, "CRR2": people["old"].pk, "CRR3": people["new"].pk}
    middle.refresh_from_db()
    assert middle.title == "Renamed" and middle.version == 2
    page = client.get(response.url).content.decode()
    assert "Owner changed on 2 risks: CRR1, CRR3" in page
    assert "CRR2: changed by Ada Admin since your preview: not changed" in page


# --- bad input ------------------------------------------------------------------------------


def _nothing_written():
    return not Risk.history.filter(history_type="~").exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no risks", sentence(NONE_CHOSEN)),
        ("no reason", "Say why these risks are changed"),
        ("no field", "Choose what to change"),
        ("no owner", "Choose the new owner"),
        ("unknown owner", "Choose one of the people listed"),
        ("owner of another organisation", "Choose one of the people listed"),
        ("category of another organisation", "Choose one of the categories listed"),
        ("bad date", "Enter the next review date as a real date"),
        ("archived register", "Choose one of the registers listed"),
        ("too many", sentence(TOO_MANY.format(limit=BULK_LIMIT, count=BULK_LIMIT + 1))),
        ("bad seen", "The preview was not understood"),
    ],
)
def test_bad_input_is_400_with_its_message_and_writes_nothing(
    client, organisation, school, people, risks, case, message
):
    refs = [r.ref for r in risks]
    outsider = OrganisationFactory()
    data = form_data(refs, "owner", people["new"].pk)
    if case == "no risks":
        data["risk"] = []
    elif case == "no reason":
        data["reason"] = "   "
    elif case == "no field":
        data["field"] = ""
    elif case == "no owner":
        data["owner"] = ""
    elif case == "unknown owner":
        data["owner"] = 999_999
    elif case == "owner of another organisation":
        data["owner"] = person(outsider, Role.OWNER, "Otto Outsider").pk
    elif case == "category of another organisation":
        data = form_data(refs, "category", CategoryFactory(organisation=outsider).pk)
    elif case == "bad date":
        data = form_data(refs, "next_review_due", "31/02/2031")
    elif case == "archived register":
        Register.objects.filter(pk=school.pk).update(archived_at=timezone.now())
        data = form_data(refs, "register", "school")
    elif case == "too many":
        data["risk"] = [f"R{n}" for n in range(BULK_LIMIT + 1)]
    elif case == "bad seen":
        data["seen"] = ["CRR1:x"]
    client.force_login(people["coordinator"])
    response = client.post(bulk_url(organisation), {**data, "action": "confirm"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert _nothing_written()


def test_no_risks_ticked_on_the_register_is_a_400_saying_so(client, organisation, people):
    client.force_login(people["coordinator"])
    response = client.get(bulk_url(organisation))
    assert response.status_code == 400
    assert "Select at least one risk on the register" in response.content.decode()


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["old", "viewer", "panel"])
def test_owners_viewers_and_panel_members_get_403(client, organisation, people, risks, who):
    client.force_login(people[who])
    assert client.get(bulk_url(organisation), {"risk": "CRR1"}).status_code == 403
    response = client.post(
        bulk_url(organisation),
        {**form_data(["CRR1"], "owner", people["new"].pk), "action": "confirm", "seen": "CRR1:1"},
    )
    assert response.status_code == 403
    assert _nothing_written()


def test_a_coordinator_of_another_register_gets_403_here(client, organisation, people, risks):
    client.force_login(people["limited"])
    assert client.get(bulk_url(organisation), {"risk": "CRR1"}).status_code == 403
    assert client.get(bulk_url(organisation, "school"), {"risk": "CRR1"}).status_code == 200


def test_the_register_page_offers_the_checkboxes_only_to_those_who_edit_it(
    client, organisation, people, risks
):
    url = reverse("register", args=[organisation.slug, "corporate"])
    client.force_login(people["coordinator"])
    page = client.get(url).content.decode()
    assert "Change selected risks" in page
    assert 'type="checkbox" value="CRR1"' in page
    assert '<span class="govuk-visually-hidden">Select CRR1</span>' in page
    assert f'action="{bulk_url(organisation)}"' in page
    for who in ("old", "viewer", "panel", "limited"):
        client.force_login(people[who])
        page = client.get(url).content.decode()
        assert "Change selected risks" not in page and 'name="risk"' not in page, who


# --- queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["owner", "register"])
def test_preview_and_confirm_queries_do_not_grow_with_the_risks(
    client, organisation, corporate_register, school, people, field
):
    made = [RiskFactory(register=corporate_register, ref=f"Q{n}") for n in range(3)]
    value = people["new"].pk if field == "owner" else "school"
    client.force_login(people["coordinator"])
    refs = [risk.ref for risk in made]

    def grow():
        made.extend(RiskFactory(register=corporate_register, ref=f"Q{n}") for n in range(3, 12))
        refs[:] = [risk.ref for risk in made]

    preview(client, organisation, refs, field, value)  # warm the caches
    assert_same_queries(lambda: preview(client, organisation, refs, field, value), grow, at_most=25)
    seen = preview(client, organisation, refs, field, value).context["seen"]
    start = len(refs)

    def more():
        made.extend(
            RiskFactory(register=corporate_register, ref=f"Q{n}") for n in range(start, start + 9)
        )
        refs[:] = [risk.ref for risk in made]
        seen[:] = preview(client, organisation, refs, field, value).context["seen"]

    def write():
        data = {**form_data(refs, field, value), "seen": list(seen), "action": "confirm"}
        response = client.post(bulk_url(organisation), data)
        assert response.status_code == 302
        return response

    # Each confirm writes the risks it is given (the second run's risks are new ones, unmoved).
    first = list(refs)
    assert_same_queries(write, more, at_most=40)
    assert Risk.objects.filter(ref__in=first).exclude(version=1).count() == len(first)


def test_a_save_racing_the_confirm_writes_nothing_and_shows_the_preview_again(
    client, organisation, people, risks, monkeypatch
):
    """Someone saves a risk between the confirm's plan and its write: risk_update_many refuses
    (RiskConflict), nothing is written, and the preview comes back with 409 saying so."""
    from registers.services import risks_bulk_edit
    from registers.services.risks import RiskConflict

    def racing(**kwargs):
        raise RiskConflict(risks[0])

    client.force_login(people["coordinator"])
    seen = preview(client, organisation, ["CRR1", "CRR2"], "owner", people["new"].pk).context[
        "seen"
    ]
    monkeypatch.setattr(risks_bulk_edit, "risk_update_many", racing)
    data = {**form_data(["CRR1", "CRR2"], "owner", people["new"].pk), "seen": seen}
    response = client.post(bulk_url(organisation), {**data, "action": "confirm"})
    assert response.status_code == 409
    assert "nothing was changed: check the preview again" in response.content.decode()
    assert "Check the changes" in response.content.decode()
    assert _nothing_written()
