"""One rule for where a review stands (decision 123, ``registers.selectors.review_standing``): a
risk whose owner's update awaits sign-off has been reviewed; it is shown as "Update awaiting
sign-off" and counted apart, never called or counted overdue, on every page that says so: the
dashboard's figure and list, the register's rows and review filter, the risk page, the quick
update card, review health and the committee pack's review health."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from registers import caching, selectors
from registers.models import Register, Review, ReviewState, Risk, Role
from registers.selectors.review_standing import (
    AWAITING_SIGN_OFF,
    DUE_SOON,
    NOT_SCHEDULED,
    ON_TIME,
    OVERDUE,
    standing_of,
)
from reporting.packs.data import _health_as_of, pack_data
from reporting.packs.docx import render_docx
from reporting.packs.services import pack_render
from reporting.review_health import organisation_health, overdue_rows, register_health
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries
from tests.reporting.test_packs import pdf_text, section

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(organisation):
    return selectors.organisation_today(organisation)


@pytest.fixture
def owner(organisation):
    return MembershipFactory(organisation=organisation, role=Role.OWNER).user


@pytest.fixture
def coordinator(organisation):
    return MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user


def submit(risk, by) -> Review:
    """The owner's update, awaiting sign-off (as ``review_submit`` leaves it)."""
    return Review.objects.create(
        organisation=risk.organisation,
        risk=risk,
        reviewed_by=by,
        reviewed_on=selectors.organisation_today(risk.organisation),
        note="Checked",
        state=ReviewState.SUBMITTED,
        proposed={"positions": {"current": [2, 2]}, "kind": "review"},
        base_version=risk.version,
    )


@pytest.fixture
def world(organisation, today, owner):
    """Three overdue risks, one of them with an update awaiting sign-off; one due soon whose
    update awaits sign-off too."""
    top = corporate_register_of(organisation)
    Register.objects.filter(pk=top.pk).update(sign_off_required=True)
    late = today - dt.timedelta(days=40)
    risks = {
        ref: RiskFactory(register=top, ref=ref, owner=owner, next_review_due=due)
        for ref, due in (
            ("L1", late),
            ("L2", late),
            ("WAIT", late),
            ("SOON", today + dt.timedelta(days=5)),
        )
    }
    submit(risks["WAIT"], owner)
    submit(risks["SOON"], owner)
    return {"top": top, "risks": risks}


def test_the_rule():
    today = dt.date(2026, 12, 7)
    late, soon, later = today - dt.timedelta(days=1), today, today + dt.timedelta(days=31)
    assert standing_of(due=late, awaiting_sign_off=False, today=today) == OVERDUE
    assert standing_of(due=late, awaiting_sign_off=True, today=today) == AWAITING_SIGN_OFF
    assert standing_of(due=soon, awaiting_sign_off=False, today=today) == DUE_SOON
    assert standing_of(due=soon, awaiting_sign_off=True, today=today) == AWAITING_SIGN_OFF
    assert standing_of(due=later, awaiting_sign_off=False, today=today) == ON_TIME
    assert standing_of(due=None, awaiting_sign_off=False, today=today) == NOT_SCHEDULED


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_counts_an_update_awaiting_sign_off_apart(
    client, organisation, coordinator, world
):
    client.force_login(coordinator)
    response = client.get(reverse("organisation", args=[organisation.slug]))
    figures = response.context["risks"]
    assert (figures["overdue"], figures["due_soon"], figures["awaiting_sign_off"]) == (2, 0, 2)
    text = _text(response.content.decode())
    assert "2 reviews overdue" in text
    assert "2 updates awaiting sign-off (reviewed, not counted as overdue)" in text
    assert [row.risk.ref for row in response.context["overdue"]] == ["L1", "L2"]
    assert not response.context["due_soon"]
    # The figure links to the list behind it: the register filtered to those two.
    link = response.context["links"]["awaiting_sign_off"]
    listed = client.get(link).content.decode()
    assert ">WAIT<" in listed and ">SOON<" in listed and ">L1<" not in listed
    overdue = client.get(response.context["links"]["overdue"]).content.decode()
    assert ">L1<" in overdue and ">L2<" in overdue and ">WAIT<" not in overdue


def test_the_register_row_says_awaiting_sign_off_not_overdue(
    client, organisation, coordinator, world
):
    client.force_login(coordinator)
    html = client.get(reverse("register", args=[organisation.slug, "corporate"])).content.decode()
    rows = {}
    for row in html.split('<tr class="govuk-table__row')[1:]:
        found = re.search(r">(L1|L2|WAIT|SOON)<", row)
        if found:
            rows[found.group(1)] = row
    assert "Overdue" in rows["L1"]
    assert "Update awaiting sign-off" in rows["WAIT"] and "Overdue" not in rows["WAIT"]


def test_the_risk_page_does_not_call_it_review_overdue(client, organisation, coordinator, world):
    client.force_login(coordinator)
    page = client.get(reverse("risk", args=[organisation.slug, "WAIT"])).content.decode()
    header = page.split('class="rr-review-due"', 1)[1].split("</span>", 1)[0]
    assert "Review overdue" not in page
    assert "Update awaiting sign-off" in header
    other = client.get(reverse("risk", args=[organisation.slug, "L1"])).content.decode()
    assert "Review overdue" in other


def test_the_quick_update_card_does_not_call_it_overdue(client, organisation, owner, world):
    client.force_login(owner)
    page = client.get(reverse("quick_update", args=[organisation.slug])).content.decode()
    card = page.split('id="risk-{}"'.format(world["risks"]["WAIT"].pk), 1)[1].split("</section>")[0]
    assert "Update awaiting sign-off" in card and "govuk-tag--red" not in card.split("</dl>")[0]
    card = page.split('id="risk-{}"'.format(world["risks"]["L1"].pk), 1)[1].split("</section>")[0]
    assert "Overdue" in card.split("</dl>")[0]


def test_review_health_counts_it_on_time_and_apart(client, organisation, coordinator, world):
    today = selectors.organisation_today(organisation)
    total = organisation_health(organisation=organisation, today=today)
    assert (total.open, total.overdue, total.due_soon, total.awaiting_sign_off) == (4, 2, 0, 2)
    assert (total.on_time, total.not_scheduled, total.percent_on_time) == (2, 0, 50)
    top = register_health(organisation=organisation, today=today)[0].health
    assert (top.overdue, top.awaiting_sign_off) == (2, 2)
    assert [row.risk.ref for row in overdue_rows(organisation=organisation, today=today)] == [
        "L1",
        "L2",
    ]
    client.force_login(coordinator)
    page = client.get(reverse("review_health", args=[organisation.slug])).content.decode()
    text = _text(page)
    assert "Updates awaiting sign-off 2 (reviewed, not counted as overdue)" in text
    assert "Overdue reviews (2)" in text
    assert "review=awaiting" in page
    listed = page.split('id="overdue"', 1)[1].split('id="due-soon"', 1)[0]
    assert ">WAIT<" not in listed


def test_the_committee_packs_review_health_follows_the_rule(organisation, world):
    today = selectors.organisation_today(organisation)
    registers = list(Register.objects.filter(organisation=organisation))
    health = _health_as_of(organisation, registers, timezone.now(), today)
    top = next(item.health for item in health if item.register.pk == world["top"].pk)
    assert (top.open, top.overdue, top.due_soon, top.awaiting_sign_off, top.on_time) == (
        4,
        2,
        0,
        2,
        2,
    )
    # As it stood before the updates were submitted: all three overdue.
    before = Review.objects.order_by("created_at").first().created_at - dt.timedelta(microseconds=1)
    health = _health_as_of(organisation, registers, before, today)
    top = next(item.health for item in health if item.register.pk == world["top"].pk)
    assert (top.overdue, top.awaiting_sign_off) == (3, 0)


def test_awaiting_sign_off_adds_no_query(client, organisation, coordinator, today):
    """The pages ask for the updates awaiting sign-off in queries they run anyway."""
    top = corporate_register_of(organisation)
    late = today - dt.timedelta(days=3)
    for n in range(3):
        RiskFactory(register=top, ref=f"Q{n}", owner=coordinator, next_review_due=late)
    client.force_login(coordinator)
    slug = organisation.slug
    urls = [
        reverse("organisation", args=[slug]),
        reverse("review_health", args=[slug]),
        reverse("register", args=[slug, "corporate"]),
        reverse("my_work", args=[slug]),
        reverse("quick_update", args=[slug]),
    ]

    def grow():
        owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
        for risk in Risk.objects.filter(organisation=organisation):
            submit(risk, owner)

    def fetch():
        caching.forget_everything()  # the dashboard counted each time, not read as kept
        return [client.get(url) for url in urls]

    fetch()  # the first request reads what the process keeps (content types): not counted
    before, after = assert_same_queries(fetch, grow)
    assert after[0].context["risks"]["awaiting_sign_off"] == 3
    assert after[0].context["risks"]["overdue"] == 0


def test_my_work_never_says_nothing_to_do_above_updates_to_sign_off(
    client, organisation, coordinator, owner, world
):
    client.force_login(coordinator)
    text = _text(client.get(reverse("my_work", args=[organisation.slug])).content.decode())
    assert "Awaiting your sign-off" in text
    assert "Nothing in" not in text
    assert "No risk or action in" in text and "2 updates await your sign-off" in text


def test_a_panel_member_with_nothing_assigned_is_not_offered_my_work(
    client, organisation, owner, world
):
    panel = MembershipFactory(organisation=organisation, role=Role.PANEL).user
    client.force_login(panel)
    text = _text(client.get(reverse("organisation", args=[organisation.slug])).content.decode())
    assert "My work in" not in text and "Your risks and actions" not in text
    client.force_login(owner)
    text = _text(client.get(reverse("organisation", args=[organisation.slug])).content.decode())
    assert "My work in" in text and "Your risks and actions" in text


def test_the_committee_pack_names_them_in_a_column_of_their_own(organisation, world):
    """The PDF and the Word edition alike; a pack with none keeps its five columns."""
    today = selectors.organisation_today(organisation)
    data = pack_data(organisation=organisation, kind="committee", as_of=today)
    assert data.health_awaiting
    text = pdf_text(pack_render(organisation=organisation, kind="committee", as_of=today).pdf)
    health = section(text, "4. Review health per register", None)
    assert "Awaiting sign-off" in health and "counted on time, not overdue" in health
    document = Document(io.BytesIO(render_docx(data)))
    headings = [
        [cell.text for cell in table.rows[0].cells]
        for table in document.tables
        if table.rows[0].cells[0].text == "Register"
    ]
    assert ["Register", "Open risks", "Overdue", "On time", "Awaiting sign-off", "Due soon"] in (
        headings
    )
    Review.objects.filter(state=ReviewState.SUBMITTED).update(
        state=ReviewState.WITHDRAWN, decided_at=timezone.now()
    )
    data = pack_data(organisation=organisation, kind="committee", as_of=today)
    assert not data.health_awaiting
    document = Document(io.BytesIO(render_docx(data)))
    assert not any("Awaiting sign-off" in cell.text for t in document.tables for cell in t._cells)
