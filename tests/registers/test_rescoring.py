"""Guided re-scoring (issue 15, "Scoring scheme in the browser"): what a new scheme version would
do to the open risks (``registers.selectors.rescoring``), and adopting it with either choice
(``registers.services.rescoring``): re-rate now, one history row each, or keep the old version
until each risk's review; risks whose levels the new version lacks keep the old version either
way. Query counts stay flat as the risks grow."""

import copy

import pytest
from django.core.exceptions import ValidationError
from simple_history.models import HistoricalRecords

from appetite.services import appetite_statement_set
from registers.models import Objective, Risk, RiskStatus, Role
from registers.selectors.rescoring import (
    NEWLY_OVER,
    NO_LONGER_OVER,
    rescoring_preview,
)
from registers.services.register_archive import register_archive
from registers.services.rescoring import (
    REASON_REQUIRED,
    scheme_version_adopt,
)
from registers.services.reviews import review_record
from registers.services.risks import risk_close
from scoring.definition import parse_scheme
from scoring.models import Scheme
from scoring.presets import preset
from scoring.services import scheme_save
from tests.factories import MembershipFactory, RegisterFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__full_name="Ada Admin"
    ).user


def default_scheme(organisation) -> Scheme:
    return Scheme.objects.select_related("current_version").get(
        organisation=organisation, is_default=True
    )


def low_up_to_four():
    """The ESPO 5x5 with its band edges moved: Low 1-4, Medium 5-12 (5 and 6 become Medium)."""
    data = copy.deepcopy(preset("espo-5x5").as_dict())
    data["bands"][0]["max"] = 4
    data["bands"][1]["min"] = 5
    return parse_scheme(data)


def risk(register, ref, current, **kw):
    return RiskFactory(register=register, ref=ref, positions={"current": current}, **kw)


def records(r) -> list:
    return list(Risk.history.filter(id=r.pk).order_by("history_date", "history_id"))


def test_preview_lists_the_risks_whose_band_changes_per_register(organisation, corporate_register):
    five = risk(corporate_register, "R1", (1, 5))  # 5: Low now, Medium under the new edges
    risk(corporate_register, "R2", (3, 4))  # 12: Medium either way
    risk(corporate_register, "R3", (2, 2))  # 4: Low either way
    closed = risk(corporate_register, "R4", (1, 5))
    risk_close(risk=closed, expected_version=closed.version, reason="done")

    preview = rescoring_preview(scheme=default_scheme(organisation), definition=low_up_to_four())

    assert (preview.total, preview.changing, preview.unchanged, preview.by_hand) == (3, 1, 2, 0)
    [register] = preview.registers
    assert register.name == corporate_register.name
    [change] = register.changes
    assert (change.ref, change.old_label, change.new_label) == ("R1", "5 (Low)", "5 (Medium)")
    assert five.current_band == "Low"  # a preview writes nothing
    assert Risk.objects.get(pk=five.pk).current_band == "Low"


def test_rerate_now_writes_one_history_row_per_risk_naming_the_version_and_reason(
    organisation, corporate_register, admin
):
    scheme = default_scheme(organisation)
    old = scheme.current_version
    five = risk(corporate_register, "R1", (1, 5))
    twelve = risk(corporate_register, "R2", (3, 4))
    closed = risk(corporate_register, "R4", (1, 5))
    risk_close(risk=closed, expected_version=closed.version, reason="done")
    objective = Objective.objects.create(organisation=organisation, code="O1", name="Safe")
    five.objectives.set([objective])
    five.leads.set([admin])
    before = {r.pk: len(records(r)) for r in (five, twelve, closed)}

    adopted = scheme_version_adopt(
        scheme=scheme,
        definition=low_up_to_four(),
        by=admin,
        rerate=True,
        reason="Board moved the Low band down",
        based_on=old.pk,
    )

    assert adopted.created and adopted.version.number == 2
    assert (adopted.rerated, adopted.by_hand) == (2, 0)
    five.refresh_from_db()
    twelve.refresh_from_db()
    closed.refresh_from_db()
    assert (five.current_band, five.current_score, five.scheme_version) == (
        "Medium",
        5,
        adopted.version,
    )
    assert (twelve.current_band, twelve.scheme_version) == ("Medium", adopted.version)
    assert five.version == 2  # created at 1; re-rated: +1
    assert closed.scheme_version == old  # closed risks keep the version they were rated under
    assert len(records(closed)) == before[closed.pk]
    for r in (five, twelve):
        new = records(r)[before[r.pk] :]
        assert len(new) == 1
        assert new[0].history_user == admin
        assert new[0].history_type == "~"
        reason = new[0].history_change_reason
        assert "version 2" in reason and "Board moved the Low band down" in reason
        assert "Ada Admin" in reason
    # The history row carries the risk's objectives and working leads, as a save would.
    last = records(five)[-1]
    for name, column, expected in (
        ("objectives", "objective_id", objective.pk),
        ("leads", "user_id", admin.pk),
    ):
        model = HistoricalRecords.m2m_models[Risk._meta.get_field(name)]
        held = list(model.objects.filter(history_id=last.history_id).values_list(column, flat=True))
        assert held == [expected]
    # The scheme's history says who and why.
    scheme_record = scheme.history.order_by("-history_date").first()
    assert scheme_record.history_change_reason == "version 2: Board moved the Low band down"


def test_keep_leaves_every_rating_under_the_old_version_until_the_review(
    organisation, corporate_register, admin
):
    scheme = default_scheme(organisation)
    old = scheme.current_version
    five = risk(corporate_register, "R1", (1, 5))
    before = len(records(five))

    adopted = scheme_version_adopt(
        scheme=scheme, definition=low_up_to_four(), by=admin, rerate=False, reason="Edges moved"
    )

    assert adopted.created and (adopted.kept, adopted.rerated) == (1, 0)
    five.refresh_from_db()
    assert (five.current_band, five.scheme_version) == ("Low", old)
    assert len(records(five)) == before
    # Its next review re-rates it under the register's current version.
    review_record(risk=five, user=admin, expected_version=five.version, note="looked")
    five.refresh_from_db()
    assert (five.current_band, five.scheme_version) == ("Medium", adopted.version)


def test_levels_the_new_version_lacks_need_rescoring_by_hand_and_keep_the_old_version(
    organisation, corporate_register, admin
):
    scheme_save(organisation=organisation, definition=preset("aberdeen-6x6"), make_default=True)
    six = default_scheme(organisation)
    assert len(six.current_version.parsed.likelihood) == 6
    corner = risk(corporate_register, "R1", (6, 6))
    small = risk(corporate_register, "R2", (2, 3))
    old = six.current_version

    preview = rescoring_preview(scheme=six, definition=preset("espo-5x5"))
    assert preview.by_hand == 1
    [register] = preview.registers
    [by_hand] = register.by_hand
    assert by_hand.ref == "R1" and "likelihood 6" in by_hand.problem

    adopted = scheme_version_adopt(
        scheme=six, definition=preset("espo-5x5"), by=admin, rerate=True, reason="Back to 5x5"
    )
    assert (adopted.rerated, adopted.by_hand) == (1, 1)
    corner.refresh_from_db()
    small.refresh_from_db()
    assert (corner.scheme_version, corner.current_likelihood) == (old, 6)
    assert (small.scheme_version, small.current_score, small.current_band) == (
        adopted.version,
        6,
        "Low",
    )


def test_preview_says_which_risks_cross_their_tolerance(organisation, corporate_register, admin):
    appetite_statement_set(organisation=organisation, tolerance=10)
    scheme = default_scheme(organisation)
    risk(corporate_register, "R1", (3, 4))  # 12 on the 5x5: over 10
    risk(corporate_register, "R2", (4, 4))  # 16: over 10

    # A 4x4 matrix scores by band position (1 to 4): nothing is over 10 any more.
    preview = rescoring_preview(scheme=scheme, definition=preset("met-4x4"))
    changes = {c.ref: c for r in preview.registers for c in r.changes}
    assert changes["R1"].tolerance_change == NO_LONGER_OVER
    assert preview.no_longer_over == 2 and preview.newly_over == 0

    scheme_version_adopt(
        scheme=scheme, definition=preset("met-4x4"), by=admin, rerate=True, reason="Met's grid"
    )
    scheme.refresh_from_db()
    preview = rescoring_preview(scheme=scheme, definition=preset("espo-5x5"))
    changes = {c.ref: c for r in preview.registers for c in r.changes}
    assert changes["R2"].tolerance_change == NEWLY_OVER
    assert preview.newly_over == 2


def test_a_reason_is_required_and_a_stale_start_is_refused(organisation, admin):
    scheme = default_scheme(organisation)
    with pytest.raises(ValidationError) as caught:
        scheme_version_adopt(
            scheme=scheme, definition=low_up_to_four(), by=admin, rerate=True, reason="  "
        )
    assert caught.value.message_dict == {"reason": [REASON_REQUIRED]}
    started_from = scheme.current_version.pk
    scheme_save(organisation=organisation, definition=low_up_to_four(), name=scheme.name)
    with pytest.raises(ValidationError):
        scheme_version_adopt(
            scheme=scheme,
            definition=preset("espo-5x5"),
            by=admin,
            rerate=True,
            reason="mine",
            based_on=started_from,
        )
    assert scheme.versions.count() == 2


def test_the_same_definition_again_writes_nothing(organisation, corporate_register, admin):
    scheme = default_scheme(organisation)
    r = risk(corporate_register, "R1", (1, 5))
    before = len(records(r))
    adopted = scheme_version_adopt(
        scheme=scheme,
        definition=scheme.current_version.parsed,
        by=admin,
        rerate=True,
        reason="again",
    )
    assert not adopted.created and len(records(r)) == before


def test_queries_do_not_grow_with_the_risks(organisation, corporate_register, admin):
    scheme = default_scheme(organisation)
    objective = Objective.objects.create(organisation=organisation, code="O1", name="Safe")
    definitions = [preset("espo-5x5"), low_up_to_four()]
    made = []

    def add(count):
        for _ in range(count):
            n = len(made) + 1
            r = risk(corporate_register, f"Q{n}", ((n % 5) + 1, ((n * 2) % 5) + 1))
            r.objectives.set([objective])
            r.leads.set([admin])
            made.append(r)

    add(3)

    def adopt():
        definitions.reverse()
        scheme.refresh_from_db()
        return scheme_version_adopt(
            scheme=scheme, definition=definitions[0], by=admin, rerate=True, reason="flip"
        )

    small, large = assert_same_queries(adopt, lambda: add(12))
    assert small.rerated == 3 and large.rerated == 15

    def preview():
        return rescoring_preview(scheme=scheme, definition=definitions[1])

    before, after = assert_same_queries(preview, lambda: add(5), at_most=4)
    assert (before.total, after.total) == (15, 20)
    assert all(r.status == RiskStatus.OPEN for r in made)


def test_a_long_list_shows_its_first_risks_and_counts_the_rest(
    organisation, corporate_register, monkeypatch
):
    monkeypatch.setattr("registers.selectors.rescoring.SHOWN_PER_REGISTER", 2)
    for n in range(1, 5):
        risk(corporate_register, f"R{n}", (1, 5))  # each 5: Low now, Medium under the new edges
    preview = rescoring_preview(scheme=default_scheme(organisation), definition=low_up_to_four())
    [register] = preview.registers
    assert [c.ref for c in register.changes] == ["R1", "R2"]
    assert (register.changing, register.changes_not_shown, preview.changing) == (4, 2, 4)


def test_an_archived_registers_risks_keep_their_version(organisation, corporate_register, admin):
    old_register = RegisterFactory(organisation=organisation, name="Old projects")
    kept = risk(old_register, "P1", (1, 5))
    register_archive(register=old_register, reason="Programme ended", by=admin)
    scheme = default_scheme(organisation)
    old = scheme.current_version

    assert rescoring_preview(scheme=scheme, definition=low_up_to_four()).total == 0
    adopted = scheme_version_adopt(
        scheme=scheme, definition=low_up_to_four(), by=admin, rerate=True, reason="Edges"
    )
    kept.refresh_from_db()
    assert adopted.rerated == 0 and (kept.scheme_version, kept.current_band) == (old, "Low")
