"""A closed risk has no next review: its page, the register's rows (now and as at a day), the
spreadsheet export and the reporting feed say none, where they said the date stored when it was
closed ("Closed · Next review due 31 March 2027"). Reopened, it is due from that date again."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from registers.models import Role
from registers.services.risks import risk_close, risk_reopen
from reporting.spreadsheets.exporting import register_export, to_csv
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(organisation):
    risk = RiskFactory(
        register=corporate_register_of(organisation),
        ref="ESPO-20",
        reviewed_on=timezone.localdate(),
    )
    assert risk.next_review_due is not None
    return risk_close(risk=risk, expected_version=risk.version, reason="Fully mitigated")


def due_text(risk) -> str:
    return risk.next_review_due.strftime("%-d %B %Y")


def test_the_risk_page_says_a_closed_risk_has_no_next_review(client, member, closed):
    client.force_login(member(Role.VIEWER))
    page = client.get(reverse("risk", args=[closed.organisation.slug, closed.ref]))
    text = page.content.decode()
    assert "Closed" in text
    assert "Next review due " + due_text(closed) not in text  # beside "Closed"
    assert "None: the risk is closed" in text  # the summary (its history still has the date)


def test_the_register_rows_and_export_leave_it_blank(client, member, closed):
    register = closed.register
    client.force_login(member(Role.VIEWER))
    short = closed.next_review_due.strftime("%-d %b %Y")
    url = reverse("register", args=[closed.organisation.slug, register.slug])
    for query in ("?status=closed", f"?status=closed&as_of={timezone.localdate():%Y-%m-%d}"):
        text = client.get(url + query).content.decode()
        assert "ESPO-20" in text and short not in text, query
    (row,) = csv.DictReader(
        io.StringIO(to_csv(register_export(register=register)).decode("utf-8-sig"))
    )
    assert row["ref"] == "ESPO-20" and row["next_review"] == ""


def test_reopened_it_is_due_again(closed):
    reopened = risk_reopen(risk=closed, expected_version=closed.version)
    assert reopened.review_due == reopened.next_review_due == closed.next_review_due
    assert closed.review_due is None
    assert isinstance(reopened.review_due, dt.date)
