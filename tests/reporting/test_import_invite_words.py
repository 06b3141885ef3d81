"""Someone named by an e-mail address that is not a member, imported without the invite option:
the problem names the option as the person meets it, the import page's checkbox in the browser,
the flag in the command; the page told people about a command-line flag."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from registers.models import Role
from registers.permissions import membership_sync
from reporting.spreadsheets.values import INVITE_IN_THE_COMMAND, NOT_A_MEMBER_EMAIL
from tests.factories import MembershipFactory
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [["ref", "title", "owner"], ["R1", "New", "new@example.org"]]


def test_the_page_names_its_checkbox_not_the_flag(client, organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    client.force_login(membership.user)
    url = reverse("register_import", args=[organisation.slug, "corporate"])
    response = client.post(url, {"file": SimpleUploadedFile("r.csv", csv_bytes(ROWS))})
    page = client.get(response.url).content.decode()
    expected = NOT_A_MEMBER_EMAIL.format(text="new@example.org")
    assert escape(expected) in page
    assert "Invite people who are not members yet&#x27; ticked" in page
    assert "--invite" not in page


def test_the_command_names_its_flag_not_the_page(organisation, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(ROWS))
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem in 1 row"):
        call_command(
            "import_register",
            str(path),
            "--org",
            organisation.slug,
            "--register",
            "corporate",
            stdout=StringIO(),
            stderr=err,
        )
    assert err.getvalue().strip() == (
        "row 2: owner: 'new@example.org' is not a member of the organisation: to invite them, "
        f"import the file again {INVITE_IN_THE_COMMAND}"
    )
    assert "Invite people" not in err.getvalue()
