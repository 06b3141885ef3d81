"""A risk's title is one line (decision 122): a line break in it made every e-mail about the risk
a BadHeaderError (its subject), the notices stamped e-mailed and nothing sent. E-mail subjects
are folded onto one line whoever writes them; a title with a line break, a tab or another control
character is refused by the form, the API (tests/api/test_risks.py) and the import, through
Risk.clean, which every service's full_clean runs. A title stored so before is left as it is until
someone changes it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registers.models import Risk, Role
from registers.models.risks import TITLE_ONE_LINE
from registers.services.comments import comment_add
from registers.services.risks import risk_update
from registers.services.risks_bulk import NewRisk, RiskChange, risk_create_many, risk_update_many
from reporting.spreadsheets.exporting import register_export, to_csv
from reporting.spreadsheets.importing import import_apply, import_plan
from riskreg.mail import message
from tests.factories import RiskFactory, corporate_register_of
from tests.registers.test_links import person
from tests.registers.test_risk_pages import create_data, edit_data
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db

BROKEN = ["Flood\nat the depot", "Flood\r\nat the depot", "Flood\tat the depot", "Flood\x00"]


@pytest.fixture
def coordinator(organisation):
    return person(organisation, Role.COORDINATOR, "Cora Coordinator")


@pytest.fixture
def risk(organisation, coordinator):
    owner = person(organisation, Role.OWNER, "Owen Owner")
    return RiskFactory(
        register=corporate_register_of(organisation), ref="CRR4", title="Flood", owner=owner
    )


def stored_before_the_rule(risk, title="Flood\nat the depot"):
    """A title saved with a line break before decision 122 (through the API or an import)."""
    Risk.objects.filter(pk=risk.pk).update(title=title)
    risk.refresh_from_db()
    return risk


# --- e-mail ------------------------------------------------------------------------------------


def test_every_e_mail_subject_is_folded_onto_one_line():
    email = message(
        subject="CRR4 Flood\r\nat\tthe\x85depot\u2028now ", text="x", html="", to=["a@b"]
    )
    assert email.subject == "CRR4 Flood at the depot now"
    email.message()  # Django's BadHeaderError before


def test_a_risk_whose_title_has_a_line_break_still_gets_its_e_mails(
    risk, coordinator, send_queued_email
):
    stored_before_the_rule(risk)
    with send_queued_email() as outbox:
        comment_add(risk=risk, user=coordinator, body="Can we talk about the pumps?")
    [sent] = outbox
    assert sent.to == [risk.owner.email]
    assert sent.subject.endswith("Cora Coordinator commented on CRR4 Flood at the depot")


# --- the rule, at the root -----------------------------------------------------------------------


@pytest.mark.parametrize("title", BROKEN)
def test_a_title_of_more_than_one_line_is_refused_by_the_services(risk, title):
    with pytest.raises(ValidationError) as refused:
        risk_update(risk=risk, expected_version=risk.version, fields={"title": title})
    assert refused.value.message_dict == {"title": [TITLE_ONE_LINE]}
    with pytest.raises(ValidationError, match="title"):
        risk_create_many(
            organisation=risk.organisation,
            new=[NewRisk(register=risk.register, ref="CRR5", title=title)],
            reason="",
        )
    with pytest.raises(ValidationError, match="title"):
        risk_update_many(
            changes=[
                RiskChange(risk_id=risk.pk, expected_version=risk.version, fields={"title": title})
            ],
            reason="",
        )
    assert Risk.objects.get(pk=risk.pk).title == "Flood"
    assert not Risk.objects.filter(ref="CRR5").exists()


def test_a_title_stored_with_a_line_break_is_kept_until_it_is_changed(risk):
    """A review, a re-rating or a scheme's new version still saves the risk; writing a new
    title with a line break is refused; writing it on one line puts it right."""
    stored_before_the_rule(risk)
    saved = risk_update(risk=risk, expected_version=1, fields={"description": "Pumps"})
    assert saved.title == "Flood\nat the depot" and saved.version == 2
    with pytest.raises(ValidationError):
        risk_update(risk=risk, expected_version=2, fields={"title": "Flood\nin the yard"})
    saved = risk_update(risk=risk, expected_version=2, fields={"title": "Flood at the depot"})
    assert saved.title == "Flood at the depot"


# --- the form, the import ----------------------------------------------------------------------


def test_the_risk_form_refuses_a_title_of_more_than_one_line(client, risk, coordinator):
    client.force_login(coordinator)
    url = reverse("risk_edit", args=[risk.organisation.slug, risk.ref])
    response = client.post(url, edit_data(risk, title="Flood\r\nat the depot"))
    assert response.status_code == 400
    assert TITLE_ONE_LINE in response.content.decode()
    assert Risk.objects.get(pk=risk.pk).title == "Flood"
    create = reverse("risk_create", args=[risk.organisation.slug, "corporate"])
    response = client.post(create, create_data(title="Flood\tat the depot"))
    assert response.status_code == 400
    assert TITLE_ONE_LINE in response.content.decode()
    assert not Risk.objects.filter(ref="CRR30").exists()


def test_the_edit_form_offers_a_stored_title_on_one_line(client, risk, coordinator):
    stored_before_the_rule(risk)
    client.force_login(coordinator)
    page = client.get(reverse("risk_edit", args=[risk.organisation.slug, risk.ref]))
    assert 'value="Flood at the depot"' in page.content.decode()


def test_the_import_says_which_row_has_a_title_of_more_than_one_line(risk):
    register = risk.register
    data = csv_bytes(
        [["ref", "title"], ["CRR5", "Fine"], ["CRR6", "Flood\nat the depot"], ["CRR4", "A\tB"]]
    )
    plan = import_plan(register=register, data=data, filename="register.csv")
    assert [str(problem) for problem in plan.problems] == [
        f"row 3: title: {TITLE_ONE_LINE}",
        f"row 4: title: {TITLE_ONE_LINE}",
    ]


def test_an_export_of_a_title_stored_before_the_rule_imports_unchanged(risk):
    stored_before_the_rule(risk)
    data = to_csv(register_export(register=risk.register))
    plan = import_plan(register=risk.register, data=data, filename="register.csv")
    assert plan.ok and not plan.problems, plan.problems
    import_apply(plan=plan)
    assert Risk.objects.get(pk=risk.pk).title == "Flood\nat the depot"
