"""The blank template workbook (issue 15): the import columns with drop-down lists of the values
the import takes, for editors of the register; filled in, it imports."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from registers.models import Risk, Role
from registers.permissions import membership_sync
from registers.services.categories import category_retire
from reporting.spreadsheets.columns import IMPORT_COLUMNS
from reporting.spreadsheets.importing import import_apply, import_plan
from reporting.spreadsheets.template import LIST_ERROR, import_template
from tests.factories import CategoryFactory, MembershipFactory, RegisterFactory
from tests.reporting.conftest import xlsx_bytes

pytestmark = pytest.mark.django_db


def template_url(organisation, register="corporate"):
    return reverse("register_import_template", args=[organisation.slug, register])


def member(organisation, role):
    membership = MembershipFactory(organisation=organisation, role=role)
    membership_sync(membership)
    return membership.user


def validations(sheet) -> dict[str, object]:
    """Each validated column's header name -> its validation."""
    found = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            found[sheet.cell(row=1, column=cell_range.min_col).value] = validation
    return found


def listed(workbook, validation) -> list[str]:
    sheet_name, cells = validation.formula1.split("!")
    assert sheet_name.strip("'") == "Lists"
    first, last = cells.replace("$", "").split(":")
    return [row[0].value for row in workbook["Lists"][first:last]]


def test_the_template_lists_what_the_import_takes(organisation):
    RegisterFactory(organisation=organisation, slug="projects", name="Projects")
    CategoryFactory(organisation=organisation, name="Finance")
    category_retire(category=CategoryFactory(organisation=organisation, name="Old"))
    ann = MembershipFactory(organisation=organisation).user
    register = organisation.registers.get(slug="corporate")
    workbook = load_workbook(io.BytesIO(import_template(register=register)))
    sheet = workbook["Register"]
    assert [cell.value for cell in sheet[1]] == list(IMPORT_COLUMNS)
    assert workbook["Lists"].sheet_state == "hidden"
    checks = validations(sheet)
    assert listed(workbook, checks["register"]) == ["corporate", "projects"]
    assert listed(workbook, checks["category"]) == ["Finance"]  # not the retired one
    assert ann.email in listed(workbook, checks["owner"])
    assert listed(workbook, checks["manager"]) == listed(workbook, checks["owner"])
    assert listed(workbook, checks["current_likelihood"])[-1] == "Very high"
    assert listed(workbook, checks["marking"]) == ["OFFICIAL", "OFFICIAL-SENSITIVE"]
    assert checks["category"].error == LIST_ERROR and checks["category"].showErrorMessage
    assert (checks["review_months"].type, checks["review_months"].formula2) == ("whole", "60")
    # Several values in one cell: no drop-down that would refuse the second.
    assert not {"objectives", "working_leads", "controls", "actions", "title"} & set(checks)


def test_the_template_filled_in_with_listed_values_imports(organisation):
    CategoryFactory(organisation=organisation, name="Finance")
    owner = MembershipFactory(organisation=organisation).user
    register = organisation.registers.get(slug="corporate")
    workbook = load_workbook(io.BytesIO(import_template(register=register)))
    lists = {
        name: listed(workbook, validation)
        for name, validation in validations(workbook["Register"]).items()
        if validation.type == "list"
    }
    chosen = {name: values[-1] for name, values in lists.items()}
    chosen["owner"] = chosen["manager"] = owner.email
    row = [chosen.get(name, "") for name in IMPORT_COLUMNS]
    row[IMPORT_COLUMNS.index("ref")], row[IMPORT_COLUMNS.index("title")] = "T1", "From the template"
    plan = import_plan(
        register=register, data=xlsx_bytes([list(IMPORT_COLUMNS), row]), filename="t.xlsx"
    )
    assert plan.ok, [str(problem) for problem in plan.problems]
    import_apply(plan=plan)
    assert Risk.objects.get(ref="T1").owner == owner


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.COORDINATOR, 200), (Role.OWNER, 403), (Role.VIEWER, 403)],
)
def test_only_editors_of_the_register_download_the_template(client, organisation, role, status):
    client.force_login(member(organisation, role))
    response = client.get(template_url(organisation))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"] == (
            f'attachment; filename="{organisation.slug}-corporate-import-template.xlsx"'
        )
        upload_page = client.get(reverse("register_import", args=[organisation.slug, "corporate"]))
        assert template_url(organisation) in upload_page.content.decode()
