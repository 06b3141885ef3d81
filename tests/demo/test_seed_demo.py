"""seed_demo loads the five source organisations faithfully, and a second run changes nothing."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from appetite.selectors import appetite_lookup
from demo.seeding import JOINT_PANEL_EMAIL
from registers.models import Membership, Organisation, Register, Risk, Role

pytestmark = pytest.mark.django_db

SOURCE_COUNTS = {"mopac": 16, "met": 11, "wmp": 19, "aberdeen": 14, "espo": 8}


def table_counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"registers", "scoring", "appetite", "auth", "guardian"}
    }


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--quiet-logins")
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return None


def test_seed_twice_is_idempotent(seeded):
    before = table_counts()
    snapshot = list(Risk.objects.order_by("id").values())
    call_command("seed_demo", "--quiet-logins")
    assert table_counts() == before
    assert list(Risk.objects.order_by("id").values()) == snapshot


def test_risk_counts_match_the_sources(seeded):
    counts = {
        organisation.slug: organisation.risks.count() for organisation in Organisation.objects.all()
    }
    assert counts == SOURCE_COUNTS


def test_mopac(seeded):
    risks = Risk.objects.filter(organisation__slug="mopac")
    assert sorted(int(ref) for ref in risks.values_list("ref", flat=True)) == [
        1,
        2,
        3,
        4,
        *range(6, 18),
    ]
    closed = risks.get(ref="1")
    assert closed.status == "closed" and "fully mitigated" in closed.closed_reason
    risk3 = risks.get(ref="3")
    assert (risk3.current_likelihood, risk3.current_impact) == (2, 2)
    assert (risk3.target_likelihood, risk3.target_impact) == (2, 2)
    assert risks.get(ref="2").owner.job_title == "CEO"
    assert set(risks.values_list("category__name", flat=True)) == {"Strategic", "Operational"}


def test_met(seeded):
    risks = Risk.objects.filter(organisation__slug="met")
    violent = risks.get(ref="1")
    assert violent.horizon == "short" and violent.owner.job_title == "AC Frontline Policing"
    assert (violent.current_likelihood, violent.current_impact) == (2, 3)  # M v H
    assert (violent.target_likelihood, violent.target_impact) == (1, 2)  # L v M
    assert violent.progress == "on_track"
    assert violent.leads.count() == 2
    assert risks.get(ref="7").leads.count() == 5
    assert risks.filter(horizon="long").count() == 8
    assert risks.get(ref="10").current_score is None  # Legitimacy: not yet scored
    assert list(risks.get(ref="8").objectives.values_list("code", flat=True)) == ["P1"]
    assert sorted(risks.filter(objectives__code="P7").values_list("ref", flat=True), key=int) == [
        "3",
        "4",
        "6",
        "9",
    ]


def test_wmp(seeded):
    risks = Risk.objects.filter(organisation__slug="wmp")
    bands = {
        band: risks.filter(current_band=band).count() for band in ("Critical", "High", "Medium")
    }
    assert bands == {"Critical": 2, "High": 12, "Medium": 5}
    crr18 = risks.get(ref="CRR18")
    assert crr18.current_band == "Critical" and crr18.controls.count() >= 3
    assert "Published trend" in crr18.source_note


def test_aberdeen(seeded):
    organisation = Organisation.objects.get(slug="aberdeen")
    assert organisation.categories.count() == 10
    lookup = appetite_lookup(organisation=organisation)
    financial = organisation.categories.get(name="Financial Sustainability")
    experience = organisation.categories.get(name="Student Experience")
    assert lookup.threshold(financial.id).tolerance == 17
    assert lookup.threshold(experience.id).tolerance == 20
    assert [level.name for level in organisation.appetite_levels.all()] == [
        "Avoid",
        "Averse",
        "Moderate",
        "Open",
        "High",
    ]
    registers = {r.slug: r for r in Register.objects.filter(organisation=organisation)}
    assert registers["corporate"].name == "Strategic Risk Register"
    school = next(r for r in registers.values() if r.level == "school")
    project = next(r for r in registers.values() if r.level == "project")
    assert school.parent == project.parent == registers["corporate"]
    strategic = Risk.objects.filter(register=registers["corporate"])
    assert strategic.count() == 10 and all(risk.illustrative for risk in strategic)
    assert all(risk.title.startswith("Illustrative") for risk in strategic)
    breaches = [
        risk
        for risk in strategic
        if lookup.state(category_id=risk.category_id, score=risk.current_score) == "breach"
    ]
    assert breaches


def test_espo(seeded):
    organisation = Organisation.objects.get(slug="espo")
    lookup = appetite_lookup(organisation=organisation)
    assert lookup.threshold(None).tolerance == 10
    assert organisation.response_options == [
        "Reduce",
        "Accept",
        "Transfer",
        "Terminate",
        "Contingency",
        "Prevent",
    ]
    risks = Risk.objects.filter(organisation=organisation)
    assert {risk.current_band for risk in risks} == {"Low", "Medium", "High", "Very high"}
    assert any(risk.current_score > 10 for risk in risks)


def test_demo_users_for_every_role_and_the_joint_panel(seeded):
    for slug in SOURCE_COUNTS:
        roles = set(
            Membership.objects.filter(organisation__slug=slug).values_list("role", flat=True)
        )
        assert roles == set(Role.values), slug
    joint = Membership.objects.filter(user__email=JOINT_PANEL_EMAIL)
    assert sorted(joint.values_list("organisation__slug", flat=True)) == ["met", "mopac"]
    assert set(joint.values_list("role", flat=True)) == {"panel"}


def test_seed_prints_logins(seeded, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "coordinator@espo.demo" in out and JOINT_PANEL_EMAIL in out and "password" in out


def test_seeded_appetite_holds_from_before_the_first_backdated_risk(seeded):
    """A pack or export as at an earlier report finds the source's appetite, not "no threshold"."""
    from django.db.models import Min

    from appetite.models import AppetiteStatement

    organisation = Organisation.objects.get(slug="aberdeen")
    first_risk = Risk.history.filter(organisation_id=organisation.id).aggregate(
        first=Min("history_date")
    )["first"]
    statements = AppetiteStatement.objects.filter(organisation=organisation).count()
    assert statements == 10
    as_at = AppetiteStatement.history.as_of(first_risk).filter(organisation_id=organisation.id)
    assert as_at.count() == statements


def test_espo_indicator_controls_became_illustrative_indicators_with_a_trend(seeded):
    from registers.models import Control, Indicator
    from registers.selectors.indicator_lists import indicator_summaries
    from registers.selectors.indicators import IndicatorStatus

    organisation = Organisation.objects.get(slug="espo")
    assert not Control.objects.filter(
        organisation=organisation, description__startswith="Indicator:"
    ).exists()
    indicators = Indicator.objects.filter(organisation=organisation)
    assert indicators.count() == 8
    assert all(indicator.illustrative and indicator.owner_id for indicator in indicators)
    assert all(indicator.readings.count() >= 4 for indicator in indicators)
    vacancies = indicators.get(name="Staff vacancy rate")
    values = list(vacancies.readings.order_by("taken_on").values_list("value", flat=True))
    assert values == sorted(values) and len(values) == 9  # rising, month by month
    from django.utils import timezone

    summaries = indicator_summaries(
        Risk.objects.filter(organisation=organisation).values_list("id", flat=True),
        organisation=organisation,
        today=timezone.localdate(),
    )
    worst = {summary.worst for summary in summaries.values()}
    assert {IndicatorStatus.RED, IndicatorStatus.AMBER, IndicatorStatus.GREEN} <= worst
    assert sum(summary.stale for summary in summaries.values()) == 1


# --- OFFICIAL-SENSITIVE in the demo (decision 139) -------------------------------------------

# Text of the Met's risk 3 a login not cleared must not read: its description, a control, its
# action (demo/seed_data/met.py, from para 1.5).
STANDARDS_DETAIL = (
    "uphold clear standards for our workforce",
    "Professionalism &amp; Standards Working Group",
    "internal communications campaign",
)


def test_the_met_risk_the_paper_puts_in_its_official_sensitive_appendix_is_marked(seeded):
    marked = Risk.objects.filter(marking="OFFICIAL-SENSITIVE")
    assert list(marked.values_list("organisation__slug", "ref")) == [("met", "3")]
    assert "Appendix B, Official Sensitive" in marked.get().source_note


def test_a_login_not_cleared_reads_the_register_but_not_the_marked_risks_detail(seeded, client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from registers.withholding import WITHHELD

    viewer = get_user_model().objects.get(email="viewer@met.demo")
    client.force_login(viewer)
    risk = client.get(reverse("risk", args=["met", "3"]))
    register = client.get(reverse("register", args=["met", "corporate"]))
    assert risk.status_code == register.status_code == 200
    for page in (risk.content.decode(), register.content.decode()):
        assert "Standards" in page  # its ref, title and rating are not withheld
        assert not [text for text in STANDARDS_DETAIL if text in page]
    assert WITHHELD in risk.content.decode()
    assert "rr-marking--official-sensitive" in risk.content.decode()
    assert ">Sensitive</strong>" in register.content.decode()
    # Its owner (the Met's printed owner login) reads it all.
    client.force_login(get_user_model().objects.get(email="ac-professionalism@met.demo"))
    page = client.get(reverse("risk", args=["met", "3"])).content.decode()
    assert all(text in page for text in STANDARDS_DETAIL)


def test_the_public_edition_of_the_demo_pack_withholds_it(seeded):
    """As at the paper's date, the Met's quarterly pack with risk 3 chosen for a full page: the
    full edition prints its detail, the public edition lists it and leaves the detail out."""
    from demo.seeding import source_day
    from reporting.packs.data import pack_data
    from reporting.packs.render import render_html

    met = Organisation.objects.get(slug="met")
    standards = Risk.objects.get(organisation=met, ref="3")

    def pack(edition):
        data = pack_data(
            organisation=met,
            kind="quarterly",
            as_of=source_day(met),
            edition=edition,
            deep_dive_ids=[standards.pk],
        )
        return render_html(data)

    public, full = pack("public"), pack("full")
    assert all(text in full for text in STANDARDS_DETAIL[1:])
    assert "Standards" in public and "1 risk marked OFFICIAL-SENSITIVE is listed" in public
    assert not [text for text in STANDARDS_DETAIL if text in public]


def test_the_printed_logins_say_who_is_cleared(seeded, capsys):
    from demo.seeding import CLEARED, NOT_CLEARED, NOT_CLEARED_OWNER

    call_command("seed_demo", "--no-packs")
    lines = capsys.readouterr().out.splitlines()

    def said(email):
        (line,) = [line for line in lines if f" {email} " in line]
        return line.rstrip()

    assert said("admin@met.demo").endswith(f"  {CLEARED}")  # not "not cleared ..."
    assert said("coordinator@met.demo").endswith(f"  {CLEARED}")
    assert said("viewer@met.demo").endswith(NOT_CLEARED)
    assert said("panel@met.demo").endswith(NOT_CLEARED)
    assert said("ac-professionalism@met.demo").endswith(NOT_CLEARED_OWNER)
    assert said(JOINT_PANEL_EMAIL).endswith(NOT_CLEARED)
    assert any("Marked OFFICIAL-SENSITIVE: met 3 (Standards)" in line for line in lines)
    # An admin's clearance shows on the next run: seed_demo reads it, and changes nothing.
    Membership.objects.filter(user__email="viewer@met.demo").update(sensitive_access=True)
    call_command("seed_demo", "--no-packs")
    lines = capsys.readouterr().out.splitlines()
    assert said("viewer@met.demo").endswith(f"  {CLEARED}")
    assert Membership.objects.get(user__email="viewer@met.demo").sensitive_access
