"""Archiving a register (issue 15): read-only at the root (the access checks every write path
asks, and every service that writes a risk), out of the dashboard, My work, reminders and the
registers' default lists, readable with a banner, kept in history, and in packs as at a day
before it was archived; the admin's settings pages that archive and bring back."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registers import caching, permissions, selectors
from registers.models import Escalation, EscalationDirection, Register, Role
from registers.services import register_archive as archive
from registers.services.escalation import escalation_request
from registers.services.links import link_add, link_remove
from registers.services.reviews import review_record
from registers.services.risks import (
    action_add,
    control_add,
    risk_close,
    risk_create,
    risk_reopen,
    risk_update,
)
from registers.services.treatments import (
    action_remove,
    action_update,
    control_remove,
    control_update,
)
from reporting.packs.data import pack_data
from reporting.reminders.selection import digests_for
from reporting.spreadsheets.importing import ImportRefused, import_apply, import_plan
from tests.factories import (
    ActionFactory,
    ControlFactory,
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
)
from tests.queries import assert_same_queries
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def estates(organisation, corporate_register):
    return RegisterFactory(
        organisation=organisation, slug="estates", name="Estates", parent=corporate_register
    )


@pytest.fixture
def owner(member):
    return member(Role.OWNER)


@pytest.fixture
def risk(estates, owner):
    return RiskFactory(register=estates, ref="E1", owner=owner)


def archived(register, admin, reason="merged into corporate"):
    return archive.register_archive(register=register, reason=reason, by=admin)


def refused_as_archived(exc_info, register) -> None:
    assert archive.archived_message(register) in exc_info.value.messages


# --- the service ---------------------------------------------------------------------------------


def test_archiving_records_when_who_and_why_and_bringing_back_too(estates, admin):
    archived(estates, admin, reason="the directorate was merged")
    estates.refresh_from_db()
    assert estates.archived_at is not None
    record = estates.history.latest()
    assert record.history_user == admin
    assert record.history_change_reason == "archived: the directorate was merged"
    archive.register_unarchive(register=estates, reason="it was split again", by=admin)
    estates.refresh_from_db()
    assert estates.archived_at is None
    record = estates.history.latest()
    assert record.history_user == admin
    assert record.history_change_reason == "brought back from the archive: it was split again"


def test_a_reason_is_required_and_nothing_changes_without_one(estates, admin):
    with pytest.raises(ValidationError) as exc_info:
        archive.register_archive(register=estates, reason="  ", by=admin)
    assert exc_info.value.message_dict["reason"] == [archive.ARCHIVE_REASON_REQUIRED]
    estates.refresh_from_db()
    assert estates.archived_at is None


def test_a_register_with_a_register_in_use_below_it_cannot_be_archived(
    organisation, estates, admin
):
    RegisterFactory(organisation=organisation, slug="boilers", name="Boilers", parent=estates)
    with pytest.raises(ValidationError) as exc_info:
        archived(estates, admin)
    expected = archive.CHILDREN_NOT_ARCHIVED.format(register="Estates", children="Boilers")
    assert exc_info.value.messages == [expected]
    boilers = Register.objects.get(slug="boilers")
    archived(boilers, admin)
    archived(estates, admin)  # every register below it archived: now it can be
    with pytest.raises(ValidationError) as exc_info:
        archive.register_unarchive(register=boilers, reason="back", by=admin)
    assert exc_info.value.messages == [
        archive.PARENT_ARCHIVED.format(register="Boilers", parent="Estates")
    ]


def test_a_register_with_an_escalation_waiting_cannot_be_archived(risk, estates, admin):
    escalation_request(risk=risk, user=admin, reason="too big for estates")
    with pytest.raises(ValidationError) as exc_info:
        archived(estates, admin)
    assert "waiting for a decision" in exc_info.value.messages[0]


def test_a_register_in_use_cannot_be_put_under_an_archived_one(
    organisation, estates, corporate_register, admin
):
    from registers.services.registers_admin import register_add

    archived(estates, admin)
    with pytest.raises(ValidationError) as exc_info:
        register_add(organisation=organisation, name="Boilers", parent=estates, by=admin)
    assert exc_info.value.message_dict["parent"] == [
        archive.PARENT_ARCHIVED_CHOICE.format(parent="Estates")
    ]


def test_no_path_creates_a_register_under_an_archived_one(organisation, estates, admin):
    """register_create holds the rule, so the command, create_org and seeding (which call it
    directly) refuse as the settings page does; an archived parent's register is not made."""
    from registers.services.organisations import PARENT_ARCHIVED_CHOICE, register_create

    archived(estates, admin)
    with pytest.raises(ValidationError) as exc_info:
        register_create(organisation=organisation, slug="boilers", name="Boilers", parent=estates)
    assert exc_info.value.message_dict["parent"] == [
        PARENT_ARCHIVED_CHOICE.format(parent="Estates")
    ]
    assert not Register.objects.filter(organisation=organisation, slug="boilers").exists()


# --- every service that writes a risk refuses ------------------------------------------------------


def test_every_risk_service_refuses_a_risk_on_an_archived_register(
    organisation, estates, corporate_register, risk, admin, owner
):
    control = ControlFactory(risk=risk)
    action = ActionFactory(risk=risk, owner=owner)
    other = RiskFactory(register=corporate_register, ref="C1")
    link = link_add(risk=risk, other=other, user=admin)
    closed = RiskFactory(register=estates, ref="E2")
    risk_close(risk=closed, expected_version=closed.version, reason="done")
    closed.refresh_from_db()
    archived(estates, admin)
    risk.refresh_from_db()
    estates.refresh_from_db()
    writes = [
        lambda: risk_create(register=estates, ref="E9", title="New"),
        lambda: risk_update(risk=risk, expected_version=risk.version, fields={"title": "x"}),
        lambda: review_record(risk=risk, user=owner, expected_version=risk.version),
        lambda: risk_close(risk=risk, expected_version=risk.version, reason="gone"),
        lambda: risk_reopen(risk=closed, expected_version=closed.version),
        lambda: control_add(risk=risk, description="another"),
        lambda: action_add(risk=risk, description="another"),
        lambda: control_update(control=control, description="changed"),
        lambda: action_update(action=action, progress_note="changed"),
        lambda: control_remove(control=control),
        lambda: action_remove(action=action),
        lambda: link_add(risk=risk, other=RiskFactory(register=corporate_register), user=admin),
        lambda: link_remove(link=link, user=admin),
        lambda: escalation_request(risk=risk, user=admin, reason="up"),
    ]
    for write in writes:
        with pytest.raises(ValidationError) as exc_info:
            write()
        refused_as_archived(exc_info, estates)
    risk.refresh_from_db()
    assert risk.title != "x" and risk.status == "open"
    assert not risk.register.risks.filter(ref="E9").exists()


def test_nothing_is_escalated_into_or_out_of_an_archived_register(
    organisation, corporate_register, estates, admin
):
    up = RiskFactory(register=corporate_register, ref="C2")
    archived(estates, admin)
    estates.refresh_from_db()
    with pytest.raises(ValidationError) as exc_info:
        escalation_request(
            risk=up,
            user=admin,
            reason="belongs there",
            direction=EscalationDirection.DOWN,
            to_register=estates,
        )
    refused_as_archived(exc_info, estates)
    assert not Escalation.objects.exists()


def test_nothing_is_imported_into_an_archived_register(estates, risk, admin):
    """Each row for it is a problem of the check (the command line's too, which has no
    ``can_edit``), so the import is refused whole before anything is written."""
    archived(estates, admin)
    estates.refresh_from_db()
    rows = [["ref", "title"], ["E1", "Renamed"], ["E7", "New"]]
    plan = import_plan(register=estates, data=csv_bytes(rows), filename="r.csv")
    message = archive.archived_message(estates)
    assert [str(problem) for problem in plan.problems] == [
        f"row 2: register: {message}",
        f"row 3: register: {message}",
    ]
    with pytest.raises(ImportRefused):
        import_apply(plan=plan)
    risk.refresh_from_db()
    assert risk.title != "Renamed"
    assert not estates.risks.filter(ref="E7").exists()


# --- the access checks -------------------------------------------------------------------------


def test_nobody_may_edit_review_or_update_on_an_archived_register(
    organisation, estates, risk, admin, owner, member
):
    coordinator = member(Role.COORDINATOR)
    action = ActionFactory(risk=risk, owner=member(Role.OWNER))
    archived(estates, admin)
    risk = permissions.risk_for_user(user=admin, organisation=organisation, ref="E1")
    for user in (admin, coordinator, owner, action.owner):
        access = permissions.organisation_for_user(user=user, slug=organisation.slug)
        assert not access.can_edit_risk(risk)
        assert not access.can_review_risk(risk)
        assert not access.can_edit_register(risk.register)
        assert not access.can_escalate(risk) and not access.can_deescalate(risk)
        assert not access.can_update_action(action)
        assert risk.register_id not in access.editable_register_ids


def write_urls(organisation, risk, control, action, link):
    org, ref = organisation.slug, risk.ref
    return [
        reverse("risk_create", args=[org, risk.register.slug]),
        reverse("register_import", args=[org, risk.register.slug]),
        reverse("risk_edit", args=[org, ref]),
        reverse("risk_review", args=[org, ref]),
        reverse("risk_close", args=[org, ref]),
        reverse("risk_reopen", args=[org, ref]),
        reverse("control_add", args=[org, ref]),
        reverse("control_edit", args=[org, ref, control.pk]),
        reverse("control_remove", args=[org, ref, control.pk]),
        reverse("action_add", args=[org, ref]),
        reverse("action_edit", args=[org, ref, action.pk]),
        reverse("action_complete", args=[org, ref, action.pk]),
        reverse("action_to_control", args=[org, ref, action.pk]),
        reverse("action_remove", args=[org, ref, action.pk]),
        reverse("risk_escalate", args=[org, ref]),
        reverse("risk_link_add", args=[org, ref]),
        reverse("risk_link_remove", args=[org, ref, link.pk]),
    ]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_every_write_url_refuses_with_403_saying_it_is_archived(
    client, organisation, corporate_register, estates, risk, admin, owner, role
):
    control = ControlFactory(risk=risk)
    action = ActionFactory(risk=risk, owner=owner)
    link = link_add(risk=risk, other=RiskFactory(register=corporate_register), user=admin)
    archived(estates, admin)
    estates.refresh_from_db()
    before = (risk.history.count(), control.history.count(), action.history.count())
    client.force_login(admin if role == Role.ADMIN else owner)
    for url in write_urls(organisation, risk, control, action, link):
        for method in (client.get, client.post):
            response = method(url)
            if response.status_code == 405:  # a POST-only URL
                continue
            assert response.status_code == 403, (url, method)
            if "/import/" not in url:  # the import page's refusal is its own (no editable register)
                assert "is archived" in response.content.decode(), url
                # Not the role's words: an admin or the risk's owner was told to ask their
                # coordinator or admin, when nobody may change an archived register.
                assert "Your role" not in response.content.decode(), url
    assert (risk.history.count(), control.history.count(), action.history.count()) == before


# --- reading ---------------------------------------------------------------------------------------


def test_its_pages_stay_readable_with_an_archived_on_banner(
    client, organisation, estates, risk, admin
):
    archived(estates, admin)
    estates.refresh_from_db()
    client.force_login(admin)
    day = timezone.localtime(estates.archived_at).strftime("%-d %B %Y")
    for url in (
        reverse("register", args=[organisation.slug, "estates"]),
        reverse("risk", args=[organisation.slug, "E1"]),
        reverse("risk_history", args=[organisation.slug, "E1"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        if "history" not in url:
            assert f"Archived on {day}" in response.content.decode(), url
    page = client.get(reverse("risk", args=[organisation.slug, "E1"])).content.decode()
    assert reverse("risk_edit", args=[organisation.slug, "E1"]) not in page
    assert reverse("risk_review", args=[organisation.slug, "E1"]) not in page
    register_page = client.get(reverse("register", args=[organisation.slug, "estates"]))
    assert reverse("risk_create", args=[organisation.slug, "estates"]) not in (
        register_page.content.decode()
    )


def test_out_of_the_dashboard_my_work_and_reminders(
    client, organisation, corporate_register, estates, admin, owner
):
    today = timezone.localdate()
    RiskFactory(register=estates, ref="E1", owner=owner, next_review_due=today)
    RiskFactory(register=corporate_register, ref="C1", owner=owner, next_review_due=today)
    ActionFactory(risk=Register.objects.get(pk=estates.pk).risks.get(), owner=owner, due_date=today)

    def seen():
        risks = [r.ref for r in selectors.my_risks(organisation=organisation, user=owner)]
        actions = [
            a.risk.ref for a in selectors.actions_to_chase(user=owner, organisation=organisation)
        ]
        lines = [
            line.ref
            for digest in digests_for(organisation=organisation, today=today)
            if digest.user == owner
            for line in digest.lines
        ]
        names = sorted(r.name for r in selectors.registers_with_counts(organisation=organisation))
        return sorted(risks), actions, sorted(lines), names

    assert seen() == (
        ["C1", "E1"],
        ["E1"],
        ["C1", "E1", "E1"],
        ["Estates", corporate_register.name],
    )
    archived(estates, admin)
    assert seen() == (["C1"], [], ["C1"], [corporate_register.name])
    client.force_login(owner)
    dashboard = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert "Estates" not in dashboard
    work = client.get(reverse("my_work", args=[organisation.slug])).content.decode()
    # By the risk's link: a bare "E1" can occur in the page's CSRF token.
    assert "/risks/E1/" not in work and "/risks/C1/" in work


def test_the_history_keeps_its_risks_as_they_were(estates, risk, admin):
    risk_update(risk=risk, expected_version=risk.version, fields={"title": "Before"})
    archived(estates, admin)
    assert risk.history.latest().title == "Before"
    assert estates.history.filter(history_change_reason__startswith="archived").count() == 1


def test_packs_as_at_a_day_before_the_archive_still_cover_it(
    organisation, corporate_register, estates, admin
):
    """Judged by ``archived_at`` against the end of the pack's day: the risk exists only from
    today, so the archive is moved to the day after tomorrow to stand for "archived later"."""
    RiskFactory(register=estates, ref="E1")
    organisation.pack_registers.set([corporate_register, estates])
    archived(estates, admin)
    today = timezone.localdate()

    def covered():
        data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
        return [r.slug for r in data.registers], [r.ref for r in data.risks]

    assert covered() == ([corporate_register.slug], [])  # archived before the end of today
    later = timezone.now() + dt.timedelta(days=2)
    Register.objects.filter(pk=estates.pk).update(archived_at=later)
    assert covered() == ([corporate_register.slug, "estates"], ["E1"])


# --- the settings pages ----------------------------------------------------------------------


def test_the_archive_page_archives_with_a_reason_and_brings_back(
    client, organisation, estates, admin
):
    client.force_login(admin)
    url = reverse("settings_register_archive", args=[organisation.slug, "estates"])
    assert client.get(url).status_code == 200
    estates.refresh_from_db()
    assert estates.archived_at is None  # a GET changes nothing
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    response = client.post(url, {"reason": "no longer used"})
    assert response.status_code == 302
    estates.refresh_from_db()
    assert estates.archived_at is not None
    listing = client.get(reverse("settings_registers", args=[organisation.slug])).content.decode()
    assert "Archived" in listing and "Bring back" in listing
    assert "Bring back" in client.get(url).content.decode()
    response = client.post(url, {"reason": "in use again"})
    assert response.status_code == 302
    estates.refresh_from_db()
    assert estates.archived_at is None


def test_the_archive_page_says_why_a_register_cannot_be_archived(
    client, organisation, estates, admin
):
    RegisterFactory(organisation=organisation, slug="boilers", name="Boilers", parent=estates)
    client.force_login(admin)
    url = reverse("settings_register_archive", args=[organisation.slug, "estates"])
    page = client.get(url).content.decode()
    assert "cannot be archived yet" in page and "Boilers" in page
    response = client.post(url, {"reason": "old"})
    assert response.status_code == 400
    assert "archive them first" in response.content.decode()


def test_the_archive_page_is_for_admins_and_the_organisation_only(
    client, organisation, estates, member
):
    client.force_login(member(Role.COORDINATOR))
    url = reverse("settings_register_archive", args=[organisation.slug, "estates"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    other = OrganisationFactory()
    client.force_login(MembershipFactory(organisation=other, role=Role.ADMIN).user)
    assert client.get(url).status_code == 404
    estates.refresh_from_db()
    assert estates.archived_at is None


def test_the_archive_post_is_csrf_checked(organisation, estates, admin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    url = reverse("settings_register_archive", args=[organisation.slug, "estates"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    estates.refresh_from_db()
    assert estates.archived_at is None


def test_the_settings_list_counts_queries_flat_with_archived_registers(
    client, organisation, corporate_register, admin
):
    client.force_login(admin)
    url = reverse("settings_registers", args=[organisation.slug])
    made = []

    def grow():
        register = RegisterFactory(organisation=organisation, parent=None)
        RiskFactory(register=register)
        archive.register_archive(register=register, reason="old", by=admin)
        made.append(register)

    grow()
    assert_same_queries(lambda: client.get(url), grow, at_most=20)


def test_an_empty_archive_post_is_answered_400(client, organisation, estates, admin):
    client.force_login(admin)
    url = reverse("settings_register_archive", args=[organisation.slug, "estates"])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()


def test_the_rolled_up_register_lists_leave_an_archived_register_out(
    client, organisation, corporate_register, estates, admin
):
    from registers.filters import EVERY_REGISTER

    RiskFactory(register=corporate_register, ref="C1")
    RiskFactory(register=estates, ref="E1")
    client.force_login(admin)
    url = reverse("register", args=[organisation.slug, corporate_register.slug])

    def refs(rollup) -> set[str]:
        response = client.get(url, {"rollup": rollup})
        rows = response.context["rows"]
        return {row.risk.ref for row in rows}

    assert refs(1) == {"C1", "E1"}
    assert refs(EVERY_REGISTER) == {"C1", "E1"}
    archived(estates, admin)
    assert refs(1) == {"C1"}
    assert refs(EVERY_REGISTER) == {"C1"}
    own = client.get(reverse("register", args=[organisation.slug, "estates"]))
    assert {row.risk.ref for row in own.context["rows"]} == {"E1"}  # its own page still lists them


def test_no_de_escalation_is_offered_into_an_archived_register(
    client, organisation, corporate_register, estates, admin
):
    RiskFactory(register=corporate_register, ref="C1")
    client.force_login(admin)
    risk_url = reverse("risk", args=[organisation.slug, "C1"])
    escalate = reverse("risk_escalate", args=[organisation.slug, "C1"])
    assert f"{escalate}?direction=down" in client.get(risk_url).content.decode()
    archived(estates, admin)
    assert f"{escalate}?direction=down" not in client.get(risk_url).content.decode()
    assert "Estates" not in client.get(escalate, {"direction": "down"}).content.decode()


def test_the_dashboard_and_packs_cover_page_count_queries_flat_as_archived_registers_grow(
    client, organisation, corporate_register, admin
):
    RiskFactory(register=corporate_register, ref="C1")
    client.force_login(admin)
    dashboard = reverse("organisation", args=[organisation.slug])
    cover = reverse("settings_pack_registers", args=[organisation.slug])

    def grow():
        for _ in range(3):
            register = RegisterFactory(organisation=organisation, parent=corporate_register)
            RiskFactory(register=register)
            archive.register_archive(register=register, reason="old", by=admin)
            RegisterFactory(organisation=organisation, parent=corporate_register)

    def first_view_after_a_write():  # the cached overview counted again (decision 67)
        caching.organisation_changed(organisation.id)
        return client.get(dashboard)

    grow()
    client.get(dashboard)  # warm the caches
    assert_same_queries(first_view_after_a_write, grow)
    assert_same_queries(lambda: client.get(cover), grow, at_most=15)


def test_the_scoped_admin_shows_an_archived_registers_rows_read_only(
    client, organisation, estates, risk, admin
):
    import re

    control = ControlFactory(risk=risk)
    admin.is_staff = True
    admin.save()
    archived(estates, admin)
    client.force_login(admin)
    change = reverse("admin:registers_risk_change", args=[risk.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change, {"title": "Changed"}).status_code == 403
    delete = reverse("admin:registers_control_delete", args=[control.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    add = client.get(reverse("admin:registers_risk_add")).content.decode()
    choices = re.search(r'<select name="register".*?</select>', add, re.S).group(0)
    assert f'value="{estates.pk}"' not in choices
    risk.refresh_from_db()
    assert risk.title != "Changed" and risk.controls.filter(pk=control.pk).exists()


def test_the_bulk_writes_refuse_an_archived_register_too(organisation, estates, risk, admin):
    from registers.models import Control
    from registers.services.risks_bulk import (
        NewRisk,
        RiskChange,
        TreatmentChange,
        control_add_many,
        control_update_many,
        risk_create_many,
        risk_update_many,
    )

    control = ControlFactory(risk=risk)
    archived(estates, admin)
    estates.refresh_from_db()
    risk = type(risk).objects.select_related("register", "organisation").get(pk=risk.pk)
    writes = [
        lambda: risk_create_many(
            organisation=organisation,
            new=[NewRisk(register=estates, ref="E9", title="New")],
            reason="imported",
        ),
        lambda: risk_update_many(
            changes=[
                RiskChange(risk_id=risk.pk, expected_version=risk.version, fields={"title": "x"})
            ],
            reason="imported",
        ),
        lambda: control_add_many(
            controls=[Control(risk=risk, description="another")], reason="imported"
        ),
        lambda: control_update_many(
            changes=[
                TreatmentChange(
                    pk=control.pk, expected_version=control.version, fields={"description": "y"}
                )
            ],
            reason="imported",
        ),
    ]
    for write in writes:
        with pytest.raises(ValidationError) as exc_info:
            write()
        refused_as_archived(exc_info, estates)


def test_the_banner_dates_the_archive_in_the_organisations_timezone(
    client, organisation, estates, admin
):
    archived(estates, admin)
    moment = dt.datetime(2026, 12, 5, 20, 0, tzinfo=dt.UTC)  # 6 December in Auckland
    Register.objects.filter(pk=estates.pk).update(archived_at=moment)
    type(organisation).objects.filter(pk=organisation.pk).update(timezone="Pacific/Auckland")
    client.force_login(admin)
    page = client.get(reverse("register", args=[organisation.slug, "estates"])).content.decode()
    assert "Archived on 6 December 2026" in page
