"""An import writes in bulk: its queries do not grow with its rows (5 rows and 50 cost the same),
each risk written gets one history record (with its objectives and working leads, the file as
the reason and the person who imported it), ratings come from the scheme engine, and the rules
of the one-risk services still hold."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from registers.models import Action, Control, Objective, Risk, Role
from registers.services.risks_bulk import (
    ALREADY_EXISTS,
    NewRisk,
    RiskChange,
    control_add_many,
    risk_create_many,
)
from reporting.spreadsheets.importing import ImportRefused, import_apply, import_plan
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = [
    "ref",
    "title",
    "category",
    "owner",
    "objectives",
    "working_leads",
    "current_likelihood",
    "current_impact",
    "controls",
    "actions",
]


@pytest.fixture
def setting(organisation):
    people = [MembershipFactory(organisation=organisation, role=Role.OWNER).user for _ in range(3)]
    CategoryFactory(organisation=organisation, name="Finance")
    for n in (1, 2):
        Objective.objects.create(organisation=organisation, code=f"SO{n}", name=f"Aim {n}")
    register = corporate_register_of(organisation)
    assert register.organisation == organisation  # cached, as the views' lookups leave it
    return register, people


def rows(prefix: str, count: int, people, *, title: str = "Risk", control: str = "") -> list:
    return [HEADER] + [
        [
            f"{prefix}{n}",
            f"{title} {n}",
            "Finance",
            people[n % 3].email,
            "SO1; SO2" if n % 2 else "SO1",
            people[(n + 1) % 3].email,
            str(1 + n % 5),
            "3",
            f"First control {n}\nSecond control {n}" + (f"\n{control} {n}" if control else ""),
            f"Action {n}",
        ]
        for n in range(count)
    ]


def imported(register, table, *, by=None):
    plan = import_plan(register=register, data=csv_bytes(table), filename="big.csv")
    assert plan.ok, plan.problems
    return import_apply(plan=plan, by=by)


def test_creating_5_or_50_risks_costs_the_same_queries(setting):
    register, people = setting
    size = {"rows": 5, "batch": 0}

    def fetch():
        size["batch"] += 1
        return imported(register, rows(f"B{size['batch']}-", size["rows"], people))

    def grow():
        size["rows"] = 50

    small, large = assert_same_queries(fetch, grow)
    assert len(small.created) == 5 and len(large.created) == 50
    assert Risk.objects.filter(ref__startswith="B2-").count() == 50
    assert Control.objects.filter(risk__ref__startswith="B2-").count() == 100
    assert Action.objects.filter(risk__ref__startswith="B2-").count() == 50


def test_updating_5_or_50_risks_costs_the_same_queries(setting):
    register, people = setting
    imported(register, rows("U", 50, people))
    size = {"rows": 5, "round": 0}

    def fetch():
        size["round"] += 1
        table = rows("U", size["rows"], people, title=f"Round {size['round']}", control="More")
        return imported(register, table)

    def grow():
        size["rows"] = 50

    small, large = assert_same_queries(fetch, grow)
    assert len(small.updated) == 5 and len(large.updated) == 50
    risk = Risk.objects.get(ref="U7")
    assert risk.title == "Round 2 7" and risk.version == 2  # only the 50-row round had it
    assert [c.description for c in risk.controls.order_by("position")] == [
        "First control 7",
        "Second control 7",
        "More 7",
    ]


def test_a_created_risk_has_one_history_record_holding_its_objectives_and_leads(setting):
    register, people = setting
    importer = UserFactory()
    imported(register, rows("H", 2, people), by=importer)
    risk = Risk.objects.get(ref="H1")
    (record,) = risk.history.all()
    assert record.history_type == "+"
    assert record.history_change_reason == "imported from big.csv"
    assert record.history_user == importer
    assert sorted(o.objective.code for o in record.objectives.all()) == ["SO1", "SO2"]
    assert [lead.user for lead in record.leads.all()] == [people[2]]
    assert risk.current_score == 2 * 3 and risk.current_band  # rated by the engine
    later = timezone.now() + dt.timedelta(seconds=1)
    as_it_stood = Risk.history.as_of(later).get(pk=risk.pk)
    assert sorted(o.code for o in as_it_stood.objectives.all()) == ["SO1", "SO2"]
    control = risk.controls.get(position=0)
    assert control.history.get().history_change_reason == "imported from big.csv"


def test_an_updated_risk_has_one_more_history_record_with_its_new_objectives(setting):
    register, people = setting
    imported(register, rows("V", 2, people))
    table = rows("V", 2, people, title="Changed")
    table[1][4] = "SO2"  # V0: objectives SO1 -> SO2
    imported(register, table)
    risk = Risk.objects.get(ref="V0")
    latest, first = risk.history.all()[:2]
    assert first.history_type == "+" and latest.history_type == "~"
    assert latest.title == "Changed 0" and latest.version == 2
    assert [o.objective.code for o in latest.objectives.all()] == ["SO2"]
    assert [o.objective.code for o in first.objectives.all()] == ["SO1"]
    assert list(risk.objectives.values_list("code", flat=True)) == ["SO2"]
    assert risk.history.count() == 2


def test_a_risk_saved_after_the_check_refuses_the_whole_import(setting):
    register, people = setting
    imported(register, rows("W", 3, people))
    plan = import_plan(
        register=register,
        data=csv_bytes(rows("W", 3, people, title="Again")),
        filename="big.csv",
    )
    saved = Risk.objects.get(ref="W2")
    Risk.objects.filter(pk=saved.pk).update(version=saved.version + 1)
    with pytest.raises(ImportRefused) as refused:
        import_apply(plan=plan)
    assert refused.value.stale
    assert not Risk.objects.filter(title__startswith="Again").exists()


def test_the_bulk_services_keep_the_one_risk_rules(organisation, other_organisation):
    register = corporate_register_of(organisation)
    stranger = MembershipFactory(organisation=other_organisation).user
    with pytest.raises(ValidationError, match="not a member"):
        risk_create_many(
            organisation=organisation,
            new=[NewRisk(register=register, ref="X1", title="T", fields={"owner": stranger})],
            reason="test",
        )
    with pytest.raises(ValidationError, match="likelihood"):
        risk_create_many(
            organisation=organisation,
            new=[NewRisk(register=register, ref="X1", title="T", positions={"current": (9, 9)})],
            reason="test",
        )
    RiskFactory(register=register, ref="x2")
    with pytest.raises(ValidationError) as taken:
        risk_create_many(
            organisation=organisation,
            new=[NewRisk(register=register, ref="X2", title="T")],
            reason="test",
        )
    assert taken.value.messages == [
        ALREADY_EXISTS.format(organisation=organisation.display_name, ref="X2")
    ]
    risk = Risk.objects.get(ref="x2")
    with pytest.raises(ValidationError, match="description"):
        control_add_many(controls=[Control(risk=risk, description="  ")], reason="test")
    with pytest.raises(ValidationError, match="not a member"):
        control_add_many(
            controls=[Control(risk=risk, description="C", owner=stranger)], reason="test"
        )
    assert not Risk.objects.filter(ref="X1").exists()
    assert RiskChange(risk_id=risk.pk, expected_version=1).writes is False


def test_fifty_rows_are_written_in_a_handful_of_queries(setting):
    register, people = setting
    plan = import_plan(register=register, data=csv_bytes(rows("Q", 50, people)), filename="q.csv")
    with CaptureQueriesContext(connection) as writing:
        import_apply(plan=plan)
    # 26 (one: the registers held until the risks are saved, decision 112), and 7 to tell the
    # owners their risks are theirs (registers.services.notices.notify_many: who was told,
    # members, preferences, the notices, and their e-mails claimed), whatever the rows.
    assert len(writing) <= 33, "\n".join(query["sql"][:200] for query in writing.captured_queries)


def two_sheets(prefix: str, count: int, people, *, effectiveness: str = "Effective") -> bytes:
    """A workbook: risks on the main sheet, a control and an action each on the second sheets."""
    book = Workbook()
    book.active.append(["ref", "title"])
    for n in range(count):
        book.active.append([f"{prefix}{n}", f"Risk {n}"])
    controls = book.create_sheet("controls")
    controls.append(["ref", "description", "owner", "effectiveness"])
    actions = book.create_sheet("actions")
    actions.append(["ref", "description", "owner", "status"])
    for n in range(count):
        owner = people[n % 3].email
        controls.append([f"{prefix}{n}", f"Vetting {n}", owner, effectiveness])
        actions.append([f"{prefix}{n}", f"Train staff {n}", owner, "In progress"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_controls_and_actions_sheets_cost_the_same_queries_at_5_and_50_risks(setting):
    register, people = setting
    size = {"rows": 5, "batch": 0}

    def fetch():
        size["batch"] += 1
        data = two_sheets(f"S{size['batch']}-", size["rows"], people)
        plan = import_plan(register=register, data=data, filename="two.xlsx")
        assert plan.ok, plan.problems
        return import_apply(plan=plan)

    def grow():
        size["rows"] = 50

    assert_same_queries(fetch, grow)
    control = Control.objects.get(risk__ref="S2-7")
    assert (control.effectiveness, control.owner) == ("effective", people[7 % 3])
    assert control.history.get().history_change_reason == "imported from two.xlsx"
    assert Action.objects.get(risk__ref="S2-49").status == "in_progress"


def test_updating_controls_from_the_sheet_costs_the_same_queries_at_5_and_50(setting):
    register, people = setting
    data = two_sheets("T", 50, people)
    import_apply(plan=import_plan(register=register, data=data, filename="two.xlsx"))
    size = {"rows": 5, "round": 0}

    def fetch():
        size["round"] += 1
        effectiveness = ("Partially effective", "Ineffective")[size["round"] % 2]
        data = two_sheets("T", size["rows"], people, effectiveness=effectiveness)
        plan = import_plan(register=register, data=data, filename="two.xlsx")
        assert plan.ok and len(plan.treatments.writes()) == size["rows"], plan.problems
        return import_apply(plan=plan)

    def grow():
        size["rows"] = 50

    assert_same_queries(fetch, grow)
    control = Control.objects.get(risk__ref="T3")
    assert control.effectiveness == "partially_effective" and control.version == 3
    assert control.history.count() == 3


def test_progress_is_told_as_the_rows_are_written(setting):
    register, people = setting
    imported(register, rows("P", 2, people))
    plan = import_plan(
        register=register, data=csv_bytes(rows("P", 5, people, title="New")), filename="p.csv"
    )
    told = []
    import_apply(plan=plan, progress=told.append)
    assert told == [3, 5, 5]  # three new risks, then two changed ones, then every row
