"""The demo's illustrative back history (issue 18): ESPO's and Aberdeen's strategic risks move
over the eight quarters before they were seeded, toward the positions they were seeded with;
the papers' registers (the Met, MOPAC, WMP) are left as their papers date them."""

import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from demo.back_history import REASON, REVIEW_NOTE
from demo.seeding import BACK_HISTORY_REGISTERS, DEMO_REVIEW_NOTE, SEED_ORGANISATIONS, seed_data
from registers.history import risk_history
from registers.models import Organisation, Review, Risk
from registers.selectors.exposure import exposure_by_quarter
from registers.selectors.risk_series import risk_series
from scoring.engine import rate

pytestmark = pytest.mark.django_db

PAPERS = ("mopac", "met", "wmp")


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--quiet-logins", "--no-packs")
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return None


def quarters_of(exposure):
    """Each quarter end's figures: open risks by band, and in breach."""
    return [
        (tuple(counts[index] for counts in exposure.by_band.values()), exposure.breaches[index])
        for index in range(len(exposure.ends))
    ]


def test_the_illustrative_organisations_dashboards_show_movement(seeded):
    for slug in BACK_HISTORY_REGISTERS:
        organisation = Organisation.objects.get(slug=slug)
        exposure = exposure_by_quarter(organisation=organisation, moment=timezone.now())
        assert len(set(quarters_of(exposure))) > 1, slug
        assert all(exposure.totals), slug  # on the register at every quarter end
    espo = exposure_by_quarter(
        organisation=Organisation.objects.get(slug="espo"), moment=timezone.now()
    )
    assert len(set(espo.breaches)) > 1  # risks cross ESPO's tolerance of 10


def test_the_papers_registers_get_no_back_history(seeded):
    """Their positions and dates are the papers': nothing is invented before or after them."""
    assert not Risk.history.filter(
        organisation__slug__in=PAPERS, history_change_reason__endswith=REASON
    ).exists()
    assert not Review.objects.filter(
        organisation__slug__in=PAPERS, note__startswith=REVIEW_NOTE
    ).exists()
    # Aberdeen's school and project risks were added when the demo was seeded.
    registers = Risk.history.filter(
        organisation__slug="aberdeen", history_change_reason__endswith=REASON
    ).values_list("register__slug", flat=True)
    assert set(registers) == {"corporate"}


def test_an_espo_risk_chart_moves_over_at_least_four_quarters(seeded):
    risk = Risk.objects.get(organisation__slug="espo", ref="ESPO-06")
    series = risk_series(risk=risk, moment=timezone.now())
    quarters = series.at[:-1]
    on_register = [standing.current for standing in quarters if standing.current is not None]
    assert len(on_register) >= 4
    assert len(set(on_register)) > 1
    assert series.at[-1].current == risk.current_score == 6  # 2 x 3, the seeded net score
    assert all(standing.tolerance == 10 for standing in quarters)  # ESPO's, held then too
    # Every ESPO risk is on the register at each of the eight quarter ends.
    for risk in Risk.objects.filter(organisation__slug="espo"):
        series = risk_series(risk=risk, moment=timezone.now())
        assert all(standing.current is not None for standing in series.at), risk.ref


def test_current_positions_are_the_seeded_ones(seeded):
    """Back history never changes a risk's current position, nor its latest record."""
    for slug in SEED_ORGANISATIONS:
        data = seed_data(slug)
        risks = {risk.ref: risk for risk in Risk.objects.filter(organisation__slug=slug)}
        for spec in data["risks"]:
            risk = risks[spec["ref"]]
            if spec.get("current") is None:
                assert risk.current_score is None, (slug, spec["ref"])
                continue
            rating = rate(risk.scheme_version.parsed, *spec["current"])
            position = (risk.current_likelihood, risk.current_impact)
            assert position == (rating.likelihood.value, rating.impact.value), (slug, risk.ref)
            latest = risk.history.order_by("-history_date", "-history_id").first()
            assert (latest.current_likelihood, latest.current_impact) == position


def test_the_back_history_is_labelled_illustrative(seeded):
    for slug, registers in BACK_HISTORY_REGISTERS.items():
        risks = Risk.objects.filter(organisation__slug=slug, register__slug__in=registers)
        for risk in risks:
            records = list(risk.history.order_by("history_date", "history_id"))
            back = [record for record in records if record.history_change_reason.endswith(REASON)]
            assert len(back) >= 6, risk.ref  # about eight quarters
            assert records[: len(back)] == back, risk.ref  # all before the seeded records
            assert records[0].history_type == "+"
            assert all(record.history_type == "~" for record in records[1:])
            assert all(record.history_user_id == risk.owner_id for record in back)
            assert risk.created_at == records[0].history_date
            reviews = risk.reviews.filter(note__startswith=REVIEW_NOTE)
            assert reviews.count() == len(back), risk.ref
            assert set(reviews.values_list("reviewed_on", flat=True)) == {
                record.history_date.astimezone(timezone.get_default_timezone()).date()
                for record in back
            }
            assert all(review.reviewed_by_id == risk.owner_id for review in reviews)
            assert risk.illustrative


def test_espo_back_history_ends_at_each_risks_demo_review(seeded):
    for risk in Risk.objects.filter(organisation__slug="espo"):
        last = risk.history.filter(history_change_reason__endswith=REASON).latest("history_date")
        assert (last.current_likelihood, last.current_impact) == (
            risk.current_likelihood,
            risk.current_impact,
        )
        assert last.last_reviewed == risk.last_reviewed


def test_seeding_again_adds_no_history(seeded):
    before = (Risk.history.count(), Review.objects.count())
    call_command("seed_demo", "--quiet-logins", "--no-packs")
    assert (Risk.history.count(), Review.objects.count()) == before


def test_a_demo_seeded_before_back_history_gains_it_once_and_no_stale_exposure(seeded):
    espo = Organisation.objects.get(slug="espo")
    Risk.history.filter(organisation_id=espo.id, history_change_reason__endswith=REASON).delete()
    Review.objects.filter(organisation=espo, note__startswith=REVIEW_NOTE).delete()
    without = exposure_by_quarter(organisation=espo, moment=timezone.now())  # now cached
    assert without.totals == (0,) * 8
    call_command("seed_demo", "--quiet-logins", "--no-packs")
    exposure = exposure_by_quarter(organisation=espo, moment=timezone.now())
    assert all(exposure.totals) and len(set(quarters_of(exposure))) > 1
    counts = Risk.history.filter(
        organisation_id=espo.id, history_change_reason__endswith=REASON
    ).count()
    call_command("seed_demo", "--quiet-logins", "--no-packs")
    assert (
        Risk.history.filter(organisation_id=espo.id, history_change_reason__endswith=REASON).count()
        == counts
    )


def test_the_source_note_dates_each_risk_from_its_back_history(seeded):
    """Aberdeen's SRR08 said "on the register since 12 March 2026" (the day seeding first dated
    it) above illustrative reviews from 2024: the note now names the day it was created, as its
    first record has it, in the risk and its history alike."""
    with_back_history = Risk.history.filter(history_change_reason__endswith=REASON).values("id")
    since = re.compile(r"on the register since (\d{1,2} \w+ \d{4})")
    checked = []
    for risk in Risk.objects.filter(id__in=with_back_history):
        found = since.search(risk.source_note)
        if found is None:
            continue  # ESPO's notes name no day
        created = date_format(timezone.localtime(risk.created_at).date(), "j F Y")
        assert found.group(1) == created, (risk.ref, risk.source_note)
        notes = set(risk.history.values_list("source_note", flat=True))
        assert notes == {risk.source_note}, risk.ref
        checked.append(risk.ref)
    assert "SRR08" in checked


# --- one story: who did what, when (a panel member's walk through Aberdeen's SRR08) -------------

ILLUSTRATIVE = ("aberdeen", "espo")


def test_no_record_wipes_the_review_dates(seeded):
    """SRR08's history said "System" set Last reviewed and Next review due to "(none)" on the
    day seeding first dated it, between its back history's reviews and its demo review."""
    for risk in Risk.objects.all():
        reviewed = None
        for record in risk.history.order_by("history_date", "history_id"):
            if reviewed is not None:
                assert record.last_reviewed is not None, (risk.ref, record.history_date)
                assert record.next_review_due is not None or risk.status == "closed", risk.ref
            reviewed = record.last_reviewed or reviewed


def test_every_last_review_is_a_review_by_a_person(seeded):
    """The demo's last review was a save by nobody: the history showed a "System" review whose
    note read "the source publishes no review dates)", and the review form's newest earlier
    update was older than its "Last reviewed"."""
    for risk in Risk.objects.filter(last_reviewed__isnull=False).select_related("owner"):
        latest = risk.reviews.order_by("-created_at", "-id").first()
        assert latest is not None and latest.reviewed_on == risk.last_reviewed, risk.ref
        assert latest.reviewed_by_id is not None, risk.ref
    srr08 = Risk.objects.get(organisation__slug="aberdeen", ref="SRR08")
    reviews = [entry for entry in risk_history(srr08) if entry.subject == "Review"]
    assert reviews[0].who == srr08.owner.display_name
    assert reviews[0].reason == DEMO_REVIEW_NOTE
    assert all(entry.who != "System" for entry in risk_history(srr08))
    assert not any(entry.reason.endswith("dates)") for entry in risk_history(srr08))


def test_every_illustrative_risk_was_added_by_someone_before_its_last_review(seeded):
    """Aberdeen's school and project risks were "added 7 Dec 2026, by Not recorded" (the day
    the demo was seeded) and "last reviewed" in May."""
    for risk in Risk.objects.filter(organisation__slug__in=ILLUSTRATIVE):
        first = risk.history.order_by("history_date", "history_id").first()
        assert first.history_type == "+" and first.history_user_id is not None, risk.ref
        assert first.history_date == risk.created_at, risk.ref
        if risk.last_reviewed is not None:
            assert timezone.localdate(risk.created_at) < risk.last_reviewed, risk.ref


def test_each_illustrative_quarter_is_one_review_on_the_history_page(seeded):
    """Each quarter of back history showed twice: "Risk edited" (its record) beside the review."""
    srr08 = Risk.objects.get(organisation__slug="aberdeen", ref="SRR08")
    entries = risk_history(srr08)
    assert [entry.summary for entry in entries if entry.subject == "Risk"] == ["Risk created"]
    reviews = [entry for entry in entries if entry.subject == "Review"]
    assert len(reviews) == srr08.reviews.count()
    assert len({entry.when for entry in reviews}) == len(reviews)
