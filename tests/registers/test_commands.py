"""The command contracts of DESIGN.md: good input does what it says; bad input exits non-zero
with a clear message and stores nothing."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from registers.models import Membership, Organisation, Register, Role, User
from scoring.models import Scheme, SchemeVersion
from scoring.presets import preset_path
from tests.factories import MembershipFactory

EXAMPLE_SCHEME = Path(__file__).resolve().parents[2].parent / "shared/examples/scheme-espo-5x5.json"
ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def bad_scheme(tmp_path):
    data = json.loads(preset_path("espo-5x5").read_text())
    data["likelihood"][1]["code"] = "VL"
    data["bands"][1]["min"] = 9
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


def test_show_scheme_csv_from_a_file():
    lines = run("show_scheme", str(EXAMPLE_SCHEME), "--format", "csv").splitlines()
    assert lines[0] == "likelihood,impact,score,band,display"
    assert "4,5,20,High,20 (High)" in lines
    assert lines[1] == "1,1,1,Low,1 (Low)" and len(lines) == 26


def test_show_scheme_letters_notation():
    lines = run("show_scheme", str(preset_path("met-4x4")), "--format", "csv").splitlines()
    assert "2,3,2,Medium,M v H" in lines


def test_show_scheme_table_shows_every_cell():
    out = run("show_scheme", str(preset_path("aberdeen-6x6")))
    assert "36 (High)" in out and "1 (Avoid)" in out and "bands:" in out


def test_show_scheme_bad_file_exits_non_zero_naming_the_rules(bad_scheme):
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "show_scheme", str(bad_scheme), "--format", "csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "likelihood: duplicate code 'VL'" in result.stderr
    assert "no band covers the reachable score(s) [8]" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_scheme_needs_exactly_one_source():
    with pytest.raises(CommandError, match="either a scheme FILE or --org"):
        run("show_scheme")


@pytest.mark.django_db
def test_show_scheme_for_an_organisation(organisation):
    out = run("show_scheme", "--org", organisation.slug, "--format", "csv")
    assert out.splitlines()[0] == "likelihood,impact,score,band,display"
    with pytest.raises(CommandError, match="unknown organisation 'nope'"):
        run("show_scheme", "--org", "nope")
    with pytest.raises(CommandError, match="has no scheme named 'Other'"):
        run("show_scheme", "--org", organisation.slug, "--name", "Other")


@pytest.mark.django_db
def test_create_org_with_scheme_and_top_register():
    out = run("create_org", "example", "--name", "Example Org", "--scheme", str(EXAMPLE_SCHEME))
    assert "created organisation example" in out
    organisation = Organisation.objects.get(slug="example")
    assert Register.objects.get(organisation=organisation, slug="corporate").level == "corporate"
    scheme = Scheme.objects.get(organisation=organisation, is_default=True)
    assert scheme.name == "ESPO 5x5 (example of the scheme file format)"
    assert organisation.appetite_levels.count() == 5


@pytest.mark.django_db
def test_create_org_bad_input(bad_scheme):
    with pytest.raises(CommandError, match="scheme rejected, nothing created"):
        run("create_org", "example", "--name", "Example", "--scheme", str(bad_scheme))
    assert not Organisation.objects.filter(slug="example").exists()
    run("create_org", "example", "--name", "Example")
    with pytest.raises(CommandError, match="already exists"):
        run("create_org", "example", "--name", "Again")
    with pytest.raises(CommandError, match="slug"):
        run("create_org", "not a slug!", "--name", "Bad")


@pytest.mark.django_db
def test_create_register(organisation):
    out = run(
        "create_register",
        "--org",
        organisation.slug,
        "projects",
        "--name",
        "Projects",
        "--parent",
        "corporate",
        "--level",
        "project",
    )
    assert "created register projects" in out
    register = Register.objects.get(organisation=organisation, slug="projects")
    assert register.parent.slug == "corporate" and register.level == "project"


@pytest.mark.django_db
def test_create_register_bad_input(organisation):
    slug = organisation.slug
    with pytest.raises(CommandError, match="unknown organisation 'nope'"):
        run("create_register", "--org", "nope", "x", "--name", "X")
    with pytest.raises(CommandError, match="has no register 'missing'"):
        run("create_register", "--org", slug, "x", "--name", "X", "--parent", "missing")
    with pytest.raises(CommandError, match="unknown level 'galaxy'"):
        run("create_register", "--org", slug, "x", "--name", "X", "--level", "galaxy")
    with pytest.raises(CommandError, match="already has the address corporate: choose another"):
        run("create_register", "--org", slug, "corporate", "--name", "Again")
    # The name rule of every path (decision 108): the command made a second register of a name.
    taken = Register.objects.get(organisation=organisation).name.upper()
    with pytest.raises(CommandError, match=f"there is already a register called {taken}"):
        run("create_register", "--org", slug, "again", "--name", f"  {taken} ")
    assert Register.objects.filter(organisation=organisation).count() == 1


@pytest.mark.django_db
def test_create_register_refuses_an_archived_parent(organisation):
    """A register in use never sits under an archived one (decision 101's rule, held by
    register_create for every path: the command, create_org, seeding, the settings page, the
    admin)."""
    from registers.services.organisations import PARENT_ARCHIVED_CHOICE
    from registers.services.register_archive import register_archive

    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    corporate = register_archive(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        by=admin,
        reason="replaced",
    )

    message = PARENT_ARCHIVED_CHOICE.format(parent=corporate.name)
    with pytest.raises(CommandError) as exc_info:
        run(
            "create_register",
            "--org",
            organisation.slug,
            "child",
            "--name",
            "Child",
            "--parent",
            "corporate",
        )
    assert message in str(exc_info.value)
    assert not Register.objects.filter(organisation=organisation, slug="child").exists()


@pytest.mark.django_db
def test_add_member_creates_account_and_changes_role(organisation, client):
    out = run(
        "add_member",
        "--org",
        organisation.slug,
        "--email",
        "Coord@Example.test",
        "--role",
        "coordinator",
        "--password",
        "Ex-long-pass-123",
    )
    assert "coord@example.test is risk coordinator (coordinator)" in out
    assert client.login(username="coord@example.test", password="Ex-long-pass-123")
    run(
        "add_member", "--org", organisation.slug, "--email", "coord@example.test", "--role", "admin"
    )
    membership = Membership.objects.get(user__email="coord@example.test")
    assert membership.role == "admin"
    # An organisation admin reaches the scoped admin by the membership, not by an account flag.
    assert not membership.user.is_staff
    assert client.get(reverse("admin:index")).status_code == 200
    assert User.objects.filter(email__iexact="coord@example.test").count() == 1


@pytest.mark.django_db
def test_add_member_bad_input(organisation):
    slug = organisation.slug
    with pytest.raises(CommandError, match="unknown role 'boss'; roles: admin, coordinator"):
        run("add_member", "--org", slug, "--email", "a@example.test", "--role", "boss")
    with pytest.raises(CommandError, match="unknown organisation"):
        run("add_member", "--org", "nope", "--email", "a@example.test", "--role", "viewer")
    with pytest.raises(CommandError, match="not a valid e-mail address"):
        run("add_member", "--org", slug, "--email", "not-an-email", "--role", "viewer")
    with pytest.raises(CommandError, match="too short"):
        run(
            "add_member",
            "--org",
            slug,
            "--email",
            "a@example.test",
            "--role",
            "viewer",
            "--password",
            "abc",
        )
    assert not User.objects.filter(email="a@example.test").exists()


@pytest.mark.django_db
def test_load_scheme_creates_then_versions(organisation):
    out = run("load_scheme", str(preset_path("met-4x4")), "--org", organisation.slug)
    assert "created" in out
    out = run("load_scheme", str(preset_path("met-4x4")), "--org", organisation.slug)
    assert "unchanged (version 1)" in out
    out = run(
        "load_scheme",
        str(preset_path("aberdeen-6x6")),
        "--org",
        organisation.slug,
        "--name",
        "Met L/M/H/VH",
        "--default",
    )
    assert "(default)" in out and "updated to version 2" in out


@pytest.mark.django_db
def test_load_scheme_bad_file_stores_nothing(organisation, bad_scheme):
    before = SchemeVersion.objects.count()
    with pytest.raises(CommandError) as excinfo:
        run("load_scheme", str(bad_scheme), "--org", organisation.slug)
    assert "scheme rejected, nothing stored" in str(excinfo.value)
    assert "duplicate code 'VL'" in str(excinfo.value)
    assert SchemeVersion.objects.count() == before
    with pytest.raises(CommandError, match="unknown organisation"):
        run("load_scheme", str(preset_path("met-4x4")), "--org", "nope")
    with pytest.raises(CommandError, match="no such file"):
        run("load_scheme", "/nonexistent.json", "--org", organisation.slug)
