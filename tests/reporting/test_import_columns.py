"""The columns issue 15 adds to import and export: ``register`` (one file fills several registers),
``objectives``, ``working_leads``, ``horizon``, ``progress``, ``marking``, ``review_months``; an
export imported again unchanged changes nothing."""

import csv
import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from registers.models import Objective, Risk, Role
from registers.permissions import membership_sync, register_grant
from registers.services.categories import category_retire, objective_retire
from registers.services.risks import risk_update
from reporting.spreadsheets.exporting import register_export, to_csv, to_xlsx
from reporting.spreadsheets.importing import (
    NO_SUCH_CHOICE,
    NO_SUCH_OBJECTIVE,
    NO_SUCH_REGISTER,
    REGISTER_ELSEWHERE,
    REGISTER_NOT_EDITED,
    RETIRED,
    REVIEW_MONTHS_RANGE,
    import_apply,
    import_plan,
)
from reporting.spreadsheets.values import NOT_A_MEMBER_EMAIL
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def plan_for(register, rows, **kwargs):
    return import_plan(register=register, data=csv_bytes(rows), filename="f.csv", **kwargs)


def history_rows() -> int:
    return Risk.history.count()


@pytest.fixture
def projects(organisation):
    return RegisterFactory(organisation=organisation, slug="projects", name="Projects")


# --- register ----------------------------------------------------------------------------------


def test_register_column_sends_rows_to_registers_and_the_command_register_is_the_default(
    organisation, projects, tmp_path
):
    path = tmp_path / "f.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["ref", "title", "register", "current_likelihood", "current_impact"],
                ["EX-90", "Row for the projects register", "projects", 2, 3],
                ["EX-91", "By the register's name, any case", " PROJECTS ", "", ""],
                ["EX-92", "No register: the command's", "", "", ""],
            ]
        )
    )
    out, _ = run(
        "import_register", str(path), "--org", organisation.slug, "--register", "corporate"
    )
    assert "created EX-90 Row for the projects register on projects (6 (Low)" in out
    assert out.strip().endswith("created 3, updated 0, unchanged 0")
    registers = dict(Risk.objects.values_list("ref", "register__slug"))
    assert registers == {"EX-90": "projects", "EX-91": "projects", "EX-92": "corporate"}
    assert Risk.objects.get(ref="EX-90").current_score == 6
    exported = to_csv(register_export(register=projects)).decode("utf-8-sig")
    assert any(line.startswith("EX-90,") for line in exported.splitlines())


def test_an_unknown_register_is_a_row_problem_and_no_register_gets_any_row(
    organisation, projects, tmp_path
):
    rows = [["ref", "title", "register"], ["P1", "Fine", "projects"], ["P2", "Lost", "nowhere"]]
    plan = plan_for(corporate_register_of(organisation), rows)
    expected = NO_SUCH_REGISTER.format(
        name="nowhere", organisation=organisation.slug, known="corporate, projects"
    )
    assert [str(problem) for problem in plan.problems] == [f"row 3: register: {expected}"]
    assert expected == (
        f'no register "nowhere" in {organisation.slug}; registers: corporate, projects'
    )
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(CommandError):
        run("import_register", str(path), "--org", organisation.slug, "--register", "corporate")
    assert not Risk.objects.exists()  # all rows or none, across registers


def test_an_existing_risk_stays_on_its_register(organisation, projects):
    RiskFactory(register=corporate_register_of(organisation), ref="R1", title="Old")
    plan = plan_for(projects, [["ref", "title", "register"], ["R1", "New", "projects"]])
    assert [str(problem) for problem in plan.problems] == [
        "row 2: register: " + REGISTER_ELSEWHERE.format(ref="R1", register="corporate")
    ]
    assert REGISTER_ELSEWHERE.format(ref="R1", register="corporate") == (
        "R1 is on the corporate register; move it on its page"
    )
    # Naming its own register, or none, updates it where it is.
    plan = plan_for(projects, [["ref", "title", "register"], ["R1", "New", "Corporate"]])
    assert plan.ok and plan.summary == "created 0, updated 1, unchanged 0"
    import_apply(plan=plan)
    risk = Risk.objects.get(ref="R1")
    assert (risk.register.slug, risk.title) == ("corporate", "New")


def coordinator_of(organisation, *registers):
    membership = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    )
    membership_sync(membership)
    for register in registers:
        register_grant(user=membership.user, register=register)
    return membership.user


def test_a_limited_coordinator_imports_only_into_registers_they_edit(
    client, organisation, projects
):
    corporate = corporate_register_of(organisation)
    RiskFactory(register=corporate, ref="C1", title="Corporate's")
    client.force_login(coordinator_of(organisation, projects))
    url = reverse("register_import", args=[organisation.slug, "projects"])
    data = csv_bytes(
        [
            ["ref", "title", "register"],
            ["P1", "Mine", ""],
            ["P2", "Not mine", "corporate"],
            ["C1", "Not mine either", ""],
        ]
    )
    response = client.post(url, {"file": SimpleUploadedFile("f.csv", data)})
    assert response.status_code == 302
    preview = client.get(response.url)
    refused = REGISTER_NOT_EDITED.format(register="corporate", editable="projects")
    assert [str(problem) for problem in preview.context["plan"].problems] == [
        f"row 3: register: {refused}",
        f"row 4: register: {refused}",
    ]
    fingerprint = preview.context["plan"].fingerprint
    done = client.post(response.url, {"fingerprint": fingerprint, "confirm": "1"})
    assert done.status_code == 400
    assert list(Risk.objects.values_list("ref", "title")) == [("C1", "Corporate's")]
    # The same file's own rows alone go in.
    data = csv_bytes([["ref", "title", "register"], ["P1", "Mine", "Projects"]])
    response = client.post(url, {"file": SimpleUploadedFile("g.csv", data)})
    preview = client.get(response.url)
    assert preview.context["plan"].ok
    assert '<td class="govuk-table__cell">Projects</td>' in preview.content.decode()
    fingerprint = preview.context["plan"].fingerprint
    assert client.post(response.url, {"fingerprint": fingerprint}).status_code == 302
    assert Risk.objects.get(ref="P1").register == projects


# --- objectives, working leads, horizon, progress, marking, review period ----------------------


@pytest.fixture
def objectives(organisation):
    return [
        Objective.objects.create(organisation=organisation, code="SO1", name="Safer streets"),
        Objective.objects.create(organisation=organisation, code="SO2", name="Trust", position=1),
    ]


FIELDS_HEADER = [
    "ref",
    "title",
    "objectives",
    "working_leads",
    "horizon",
    "progress",
    "marking",
    "review_months",
]


def test_new_columns_set_a_new_risk_through_the_service(organisation, objectives):
    ann = MembershipFactory(organisation=organisation, user__full_name="Ann Lee").user
    bob = MembershipFactory(organisation=organisation).user
    rows = [
        FIELDS_HEADER,
        ["R1", "x", "so1; Trust", f"ann lee\n{bob.email.upper()}", "short", "On track", "", 6],
        ["R2", "y", "", "", "Long-term", "no_progress", "official-sensitive", ""],
    ]
    plan = plan_for(corporate_register_of(organisation), rows)
    assert plan.ok, plan.problems
    import_apply(plan=plan)
    first, second = Risk.objects.get(ref="R1"), Risk.objects.get(ref="R2")
    assert set(first.objectives.all()) == set(objectives)
    assert set(first.leads.all()) == {ann, bob}
    assert (first.horizon, first.progress, first.marking, first.review_months) == (
        "short",
        "on_track",
        "OFFICIAL",
        6,
    )
    assert (second.horizon, second.progress, second.marking, second.review_months) == (
        "long",
        "no_progress",
        "OFFICIAL-SENSITIVE",
        None,
    )
    assert first.history.latest().history_change_reason == "imported from f.csv"


def test_new_columns_update_only_what_differs_and_history_says_so(organisation, objectives):
    ann = MembershipFactory(organisation=organisation, user__full_name="Ann Lee").user
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1", title="x")
    risk = risk_update(
        risk=risk,
        expected_version=risk.version,
        fields={"horizon": "short", "review_months": 6},
        objectives=[objectives[0]],
        reason="set up",
    )
    same = [FIELDS_HEADER, ["R1", "x", "SO1", "", "Short-term", "", "OFFICIAL", "6"]]
    plan = plan_for(corporate_register_of(organisation), same)
    assert plan.ok and plan.summary == "created 0, updated 0, unchanged 1"
    changed = [FIELDS_HEADER, ["R1", "x", "SO1\nSO2", ann.email, "long", "slipped", "", "12"]]
    plan = plan_for(corporate_register_of(organisation), changed)
    assert plan.ok, plan.problems
    columns = {change.column: (change.old, change.new) for change in plan.rows[0].changes}
    assert columns == {
        "objectives": ("SO1", "SO1, SO2"),
        "working_leads": ("(empty)", ann.display_name),
        "horizon": ("Short-term", "Long-term"),
        "progress": ("(empty)", "Slipped"),
        "review_months": ("6", "12"),
    }
    before = history_rows()
    import_apply(plan=plan)
    risk.refresh_from_db()
    assert set(risk.objectives.all()) == set(objectives) and list(risk.leads.all()) == [ann]
    assert (risk.horizon, risk.progress, risk.review_months) == ("long", "slipped", 12)
    assert history_rows() > before  # through risk_update, which records the many-to-many too
    assert risk.history.latest().history_change_reason == "imported from f.csv"


def test_bad_values_in_the_new_columns_are_row_problems(organisation, objectives):
    rows = [
        FIELDS_HEADER,
        ["R1", "x", "SO9", "nobody@example.org", "soon", "great", "SECRET", "0"],
        ["R2", "y", "", "", "", "", "", "six"],
    ]
    found = [str(p) for p in plan_for(corporate_register_of(organisation), rows).problems]
    assert found == [
        "row 2: objectives: " + NO_SUCH_OBJECTIVE.format(text="SO9", known="SO1, SO2"),
        "row 2: working_leads: " + NOT_A_MEMBER_EMAIL.format(text="nobody@example.org"),
        "row 2: horizon: "
        + NO_SUCH_CHOICE.format(text="soon", what="horizon", known="Short-term, Long-term"),
        "row 2: progress: "
        + NO_SUCH_CHOICE.format(
            text="great",
            what="progress to target",
            known="On track, Limited, Slipped, No progress",
        ),
        "row 2: marking: "
        + NO_SUCH_CHOICE.format(
            text="SECRET", what="handling marking", known="OFFICIAL, OFFICIAL-SENSITIVE"
        ),
        "row 2: review_months: " + REVIEW_MONTHS_RANGE.format(text="0"),
        "row 3: review_months: " + REVIEW_MONTHS_RANGE.format(text="six"),
    ]
    assert not Risk.objects.exists()


def test_a_retired_objective_or_category_stays_on_its_risks_and_is_given_to_no_other(
    organisation, objectives
):
    register = corporate_register_of(organisation)
    finance = CategoryFactory(organisation=organisation, name="Finance")
    risk = RiskFactory(register=register, ref="R1", title="x", category=finance)
    risk_update(risk=risk, expected_version=risk.version, objectives=objectives, reason="set up")
    objective_retire(objective=objectives[0])
    category_retire(category=finance)
    rows = [
        ["ref", "title", "category", "objectives"],
        ["R1", "x", "finance", "SO1\nSO2"],  # kept where they are: unchanged
        ["R2", "y", "Finance", "Safer streets; SO2"],
    ]
    found = [str(p) for p in plan_for(register, rows).problems]
    assert found == [
        "row 3: category: " + RETIRED.format(text="Finance"),
        "row 3: objectives: " + RETIRED.format(text="Safer streets"),
    ]
    plan = plan_for(register, rows[:2])
    assert plan.ok and plan.summary == "created 0, updated 0, unchanged 1"


def test_export_writes_the_new_columns_as_the_import_reads_them(organisation, objectives):
    ann = MembershipFactory(organisation=organisation, user__full_name="Ann Lee").user
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1", title="x")
    risk_update(
        risk=risk,
        expected_version=risk.version,
        fields={"horizon": "long", "progress": "limited", "review_months": 3},
        objectives=objectives,
        leads=[ann],
        reason="set up",
    )
    export = register_export(register=register)
    row = next(csv.DictReader(io.StringIO(to_csv(export).decode("utf-8-sig"))))
    assert {name: row[name] for name in FIELDS_HEADER[2:]} | {"register": row["register"]} == {
        "objectives": "SO1\nSO2",
        "working_leads": ann.email,
        "horizon": "Long-term",
        "progress": "Limited",
        "marking": "OFFICIAL",
        "review_months": "3",
        "register": "corporate",
    }
    before = history_rows()
    for data, filename in ((to_csv(export), "r.csv"), (to_xlsx(export), "r.xlsx")):
        plan = import_plan(register=register, data=data, filename=filename)
        assert plan.ok and plan.notes == [], (plan.problems, plan.notes)
        assert plan.summary == "created 0, updated 0, unchanged 1"
        import_apply(plan=plan)
    assert history_rows() == before


def test_an_export_as_it_stood_gives_objectives_and_leads_as_they_were(organisation, objectives):
    ann = MembershipFactory(organisation=organisation, user__full_name="Ann Lee").user
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1", title="x")
    risk = risk_update(
        risk=risk,
        expected_version=risk.version,
        objectives=[objectives[0]],
        leads=[ann],
        reason="then",
    )
    then = timezone.now()
    risk_update(
        risk=risk, expected_version=risk.version, objectives=objectives, leads=[], reason="now"
    )
    header = register_export(register=register).header
    past = dict(zip(header, register_export(register=register, as_of=then).rows[0], strict=True))
    now = dict(zip(header, register_export(register=register).rows[0], strict=True))
    assert (past["objectives"], past["working_leads"]) == ("SO1", ann.email)
    assert (now["objectives"], now["working_leads"]) == ("SO1\nSO2", "")
    assert past["register"] == now["register"] == "corporate"
