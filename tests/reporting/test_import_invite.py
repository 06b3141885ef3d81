"""The import's invite option (issue 15): people named by an e-mail address that is no member's
are invited as risk owners instead of being row problems; the rows are imported without them
until they accept (an invitation cannot hold an assignment), a person who already has an account
too: they are invited like anyone, never made a member without accepting (decision 113)."""

import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from registers import permissions
from registers.models import Invitation, Membership, Risk, Role
from registers.permissions import membership_sync
from registers.services.invitations import invitation_send
from reporting.spreadsheets.importing import ImportRefused, import_apply, import_plan, plan_lines
from reporting.spreadsheets.values import NOT_A_MEMBER_EMAIL
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ["ref", "title", "owner", "working_leads"],
    ["R1", "New risk", "New.Person@example.org", "ann@example.org; new.person@example.org"],
    ["R2", "Kept owner", "other@example.org", ""],
]


def coordinator(organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    return membership.user


def workbook(main, actions) -> bytes:
    book = Workbook()
    for row in main:
        book.active.append(row)
    sheet = book.create_sheet("actions")
    for row in actions:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def setting(organisation):
    ann = MembershipFactory(organisation=organisation, user__email="ann@example.org").user
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="R2", title="Kept owner", owner=ann)
    return register, ann


def test_without_the_option_such_people_are_problems_pointing_to_it(setting):
    register, _ann = setting
    plan = import_plan(register=register, data=csv_bytes(ROWS), filename="f.csv")
    assert [str(problem) for problem in plan.problems] == [
        "row 2: owner: " + NOT_A_MEMBER_EMAIL.format(text="New.Person@example.org"),
        "row 2: working_leads: " + NOT_A_MEMBER_EMAIL.format(text="new.person@example.org"),
        "row 3: owner: " + NOT_A_MEMBER_EMAIL.format(text="other@example.org"),
    ]
    assert plan.invites is None


def test_with_the_option_they_are_invited_and_the_rows_imported_without_them(
    organisation, setting, send_queued_email
):
    register, ann = setting
    inviter = coordinator(organisation)
    data = workbook(ROWS, [["ref", "description", "owner"], ["R1", "Patch", "other@example.org"]])
    plan = import_plan(
        register=register, data=data, filename="f.xlsx", invite=True, invited_by=inviter
    )
    assert plan.ok, [str(problem) for problem in plan.problems]
    assert plan.summary == "created 1, updated 0, unchanged 1"  # R2's owner is left as it is
    assert plan_lines(plan, dry_run=True)[-2:] == [
        "would invite new.person@example.org; assign once they accept (row 2: owner, "
        "row 2: working_leads)",
        "would invite other@example.org; assign once they accept (row 3: owner, "
        "actions row 2: owner)",
    ]
    assert not Invitation.objects.exists()  # checking writes nothing
    with send_queued_email() as outbox:
        import_apply(plan=plan)
    invitations = Invitation.objects.order_by("email")
    assert [(each.email, each.role, each.invited_by) for each in invitations] == [
        ("new.person@example.org", Role.OWNER, inviter),
        ("other@example.org", Role.OWNER, inviter),
    ]
    assert sorted(message.to[0] for message in outbox) == [
        "new.person@example.org",
        "other@example.org",
    ]
    new = Risk.objects.get(ref="R1")
    assert new.owner is None and list(new.leads.all()) == [ann]
    assert new.actions.get().owner is None
    assert Risk.objects.get(ref="R2").owner == ann
    assert plan_lines(plan)[-1].startswith("invited other@example.org; assign once they accept")


def test_an_account_without_membership_is_invited_not_added(
    organisation, other_organisation, setting, send_queued_email
):
    register, _ann = setting
    elsewhere = MembershipFactory(
        organisation=other_organisation, role=Role.ADMIN, user__email="zoe@example.org"
    ).user
    rows = [["ref", "title", "owner"], ["R1", "New", "zoe@example.org"]]
    plan = import_plan(register=register, data=csv_bytes(rows), filename="f.csv", invite=True)
    assert plan.ok
    # The same words as for an address with no account: the plan tells nobody who has one.
    assert plan_lines(plan, dry_run=True)[-1] == (
        "would invite zoe@example.org; assign once they accept (row 2: owner)"
    )
    with send_queued_email() as outbox:
        import_apply(plan=plan)
    assert Risk.objects.get(ref="R1").owner is None
    assert not Membership.objects.filter(organisation=organisation, user=elsewhere).exists()
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.email == "zoe@example.org" and invitation.role == Role.OWNER
    assert [message.to for message in outbox] == [["zoe@example.org"]]


def test_someone_already_invited_is_not_invited_again(organisation, setting):
    register, _ann = setting
    invitation_send(organisation=organisation, email="new.person@example.org", role=Role.VIEWER)
    rows = [["ref", "title", "owner"], ["R1", "New", "new.person@example.org"]]
    plan = import_plan(register=register, data=csv_bytes(rows), filename="f.csv", invite=True)
    assert plan_lines(plan)[-1] == (
        "new.person@example.org is already invited; assign once they accept (row 2: owner)"
    )
    import_apply(plan=plan)
    assert Invitation.objects.get().role == Role.VIEWER  # as it was sent


def test_an_invitation_that_fails_rolls_the_whole_import_back(organisation, setting):
    register, _ann = setting
    rows = [["ref", "title", "owner"], ["R1", "New", "new.person@example.org"]]
    plan = import_plan(register=register, data=csv_bytes(rows), filename="f.csv", invite=True)
    # Someone makes them a member between the check and the confirm: invitation_send refuses.
    MembershipFactory(organisation=organisation, user__email="new.person@example.org")
    with pytest.raises(ImportRefused) as refused:
        import_apply(plan=plan)
    assert refused.value.stale
    assert "already a member" in refused.value.problems[0]
    assert not Risk.objects.filter(ref="R1").exists()


def test_the_command_takes_invite(organisation, setting, tmp_path):
    register, _ann = setting
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([["ref", "title", "owner"], ["R1", "New", "new@example.org"]]))
    args = ["import_register", str(path), "--org", organisation.slug, "--register", register.slug]
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 problem in 1 row; nothing was imported"):
        call_command(*args, stdout=out, stderr=err)
    assert "--invite" in err.getvalue()
    call_command(*args, "--invite", "--dry-run", stdout=out, stderr=err)
    assert "would invite new@example.org; assign once they accept (row 2: owner)" in out.getvalue()
    assert not Invitation.objects.exists()
    out = StringIO()
    call_command(*args, "--invite", stdout=out, stderr=err)
    assert "invited new@example.org; assign once they accept (row 2: owner)" in out.getvalue()
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.invited_by) == (Role.OWNER, None)


def test_the_import_page_offers_the_option_and_carries_it_to_the_confirm(
    client, organisation, setting, send_queued_email
):
    register, _ann = setting
    user = coordinator(organisation)
    client.force_login(user)
    url = reverse("register_import", args=[organisation.slug, register.slug])
    page = client.get(url).content.decode()
    assert 'name="invite"' in page and "Invite people who are not members yet" in page
    data = csv_bytes([["ref", "title", "owner"], ["R1", "New", "new@example.org"]])
    response = client.post(url, {"file": SimpleUploadedFile("r.csv", data), "invite": "on"})
    assert response.status_code == 302 and response.url.endswith("?invite=1")
    preview = client.get(response.url)
    text = preview.content.decode()
    assert "People to invite" in text and "would invite new@example.org" in text
    assert '<input type="hidden" name="invite" value="1">' in text
    with send_queued_email() as outbox:
        confirmed = client.post(
            response.url.split("?")[0],
            {"fingerprint": preview.context["plan"].fingerprint, "invite": "1"},
        )
    assert confirmed.status_code == 302
    assert Invitation.objects.get().email == "new@example.org"
    assert [message.to for message in outbox] == [["new@example.org"]]
    assert Risk.objects.get(ref="R1").owner is None


def test_the_same_file_without_the_option_is_a_problem_in_the_preview(
    client, organisation, setting
):
    register, _ann = setting
    client.force_login(coordinator(organisation))
    url = reverse("register_import", args=[organisation.slug, register.slug])
    data = csv_bytes([["ref", "title", "owner"], ["R1", "New", "new@example.org"]])
    response = client.post(url, {"file": SimpleUploadedFile("r.csv", data)})
    preview = client.get(response.url)
    assert "Invite people who are not members yet" in preview.content.decode()
    confirmed = client.post(response.url, {"fingerprint": preview.context["plan"].fingerprint})
    assert confirmed.status_code == 400 and not Invitation.objects.exists()


def test_someone_who_may_not_invite_owners_gets_400_and_403(
    client, organisation, setting, monkeypatch
):
    register, _ann = setting
    monkeypatch.setitem(permissions.INVITABLE_ROLES, Role.COORDINATOR, frozenset())
    client.force_login(coordinator(organisation))
    url = reverse("register_import", args=[organisation.slug, register.slug])
    assert 'name="invite"' not in client.get(url).content.decode()
    data = csv_bytes([["ref", "title", "owner"], ["R1", "New", "new@example.org"]])
    response = client.post(url, {"file": SimpleUploadedFile("r.csv", data), "invite": "on"})
    assert response.status_code == 400
    assert "You cannot invite people to the organisation" in response.content.decode()
    response = client.post(url, {"file": SimpleUploadedFile("r.csv", data)})
    preview_url = response.url
    assert client.get(preview_url + "?invite=1").status_code == 403
    assert not Invitation.objects.exists() and not Risk.objects.filter(ref="R1").exists()
