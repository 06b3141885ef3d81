"""A risk's history reads as a person would write it: ratings through the scheme, names instead of
ids, labels instead of codes, removed controls and actions included, reviews with their notes; and
it costs the same number of queries for 3 changes or 30."""

import pytest
from django.utils import timezone

from registers.history import changes_since_version, risk_history
from registers.models import (
    ActionStatus,
    Objective,
    Register,
    Review,
    ReviewState,
    Risk,
    Role,
)
from registers.services.organisations import member_add
from registers.services.reviews import review_record
from registers.services.risks import risk_close, risk_reopen, risk_update
from registers.services.treatments import (
    action_to_control,
    action_update,
    control_remove,
    control_update,
)
from tests.factories import ActionFactory, CategoryFactory, ControlFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(organisation):
    return {
        name: member_add(
            organisation=organisation,
            email=f"{name.split()[0].lower()}@x.test",
            role=Role.OWNER,
            full_name=name,
        ).user
        for name in ("Alice Able", "Bob Baker")
    }


@pytest.fixture
def risk(organisation, people):
    return RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref="CRR1",
        title="Cyber attack",
        owner=people["Alice Able"],
        positions={"inherent": (4, 4), "current": (3, 4)},
    )


def lines(entries):
    return [line for entry in entries for line in entry.lines]


def test_creation_lists_what_the_risk_started_with(risk):
    (created,) = risk_history(risk)
    assert created.summary == "Risk created"
    assert "Owner: Alice Able" in created.lines
    assert "Current rating: 12 (Medium)" in created.lines
    assert "Initial (inherent) rating: 16 (High)" in created.lines


def test_edits_show_names_labels_and_ratings(risk, people, organisation):
    category = CategoryFactory(organisation=organisation, name="Information security")
    objective = Objective.objects.create(organisation=organisation, code="P1", name="Protect")
    risk_update(
        risk=risk,
        expected_version=1,
        fields={
            "owner": people["Bob Baker"],
            "category": category,
            "progress": "slipped",
            "title": "Ransomware attack",
        },
        positions={"current": (2, 4)},
        objectives=[objective],
        reason="quarterly refresh",
    )
    latest = risk_history(risk)[0]
    assert latest.summary == "Risk edited" and latest.reason == "quarterly refresh"
    assert "Owner: Alice Able → Bob Baker" in latest.lines
    assert "Current rating: 12 (Medium) → 8 (Medium)" in latest.lines
    assert "Category: (none) → Information security" in latest.lines
    assert "Progress to target: (not set) → Slipped" in latest.lines
    assert "Title: “Cyber attack” → “Ransomware attack”" in latest.lines
    assert "Objectives: (none) → P1 Protect" in latest.lines
    # no ids, no internal field names, no bookkeeping
    text = " ".join(latest.lines)
    for noise in (
        "owner_id",
        "current_score",
        "version",
        "updated_at",
        str(people["Bob Baker"].pk),
    ):
        assert noise not in text


def test_controls_and_actions_including_removed_ones(risk, people):
    control = ControlFactory(risk=risk, description="Firewall", owner=people["Alice Able"])
    control_update(control=control, effectiveness="effective")
    control_remove(control=control)
    action = ActionFactory(risk=risk, description="Patch servers", owner=people["Bob Baker"])
    action_update(action=action, status=ActionStatus.COMPLETED, progress_note="All patched")
    action_to_control(action=action)
    entries = risk_history(risk)
    summaries = [(entry.summary, entry.detail) for entry in entries]
    assert ("Control added", "“Firewall”") in summaries
    assert ("Control changed", "“Firewall”") in summaries
    assert ("Control removed", "“Firewall”") in summaries
    assert ("Action removed", "“Patch servers”") in summaries
    assert ("Control added", "“Patch servers”") in summaries
    assert "Effectiveness: Not assessed → Effective" in lines(entries)
    assert "Status: Not started → Completed" in lines(entries)
    assert "Completed, so it became a control" in [entry.reason for entry in entries]


def test_reviews_close_and_reopen(risk, people):
    review_record(risk=risk, user=people["Bob Baker"], expected_version=1, note="All fine")
    review_record(
        risk=risk,
        user=people["Alice Able"],
        expected_version=2,
        note="New controls",
        positions={"current": (2, 2)},
    )
    risk_close(risk=risk, expected_version=3, reason="Fully mitigated")
    risk_reopen(risk=risk, expected_version=4, reason="Came back")
    entries = risk_history(risk)
    reopened, closed, rescored, confirmed = entries[:4]
    assert reopened.summary == "Risk reopened" and reopened.reason == "Came back"
    assert closed.summary == "Risk closed"
    assert "Reason for closing: (blank) → “Fully mitigated”" in closed.lines
    assert rescored.summary.startswith("Reviewed and re-scored")
    assert rescored.who == "Alice Able" and rescored.reason == "New controls"
    assert "Current rating: 12 (Medium) → 4 (Low)" in rescored.lines
    assert confirmed.summary.startswith("Reviewed, no change")
    assert confirmed.who == "Bob Baker" and confirmed.reason == "All fine"
    assert len([e for e in entries if e.subject == "Review"]) == 2  # not doubled


def test_an_edit_whose_reason_begins_as_a_review_does_is_an_edit_with_its_whole_reason(risk):
    """The reader took any save whose reason began "reviewed" or "re-scored" for a review, and,
    finding no review recorded with it, showed its reason after the first colon, or nothing."""
    risk_update(
        risk=risk,
        expected_version=1,
        fields={"progress": "slipped"},
        reason="reviewed with the director: wording tightened",
    )
    risk_update(
        risk=risk, expected_version=2, fields={"progress": "on_track"}, reason="re-scored soon"
    )
    later, edited = risk_history(risk)[:2]
    assert (edited.subject, edited.summary, edited.reason) == (
        "Risk",
        "Risk edited",
        "reviewed with the director: wording tightened",
    )
    assert (later.subject, later.summary, later.reason) == ("Risk", "Risk edited", "re-scored soon")
    assert not [entry for entry in risk_history(risk) if entry.subject == "Review"]


def test_a_review_through_a_token_named_with_colons_keeps_its_whole_note(risk, people):
    """The history reason names the token ("reviewed, no change via the API by Power BI:
    nightly: ..."); the note shown is the review's own."""
    review_record(
        risk=risk,
        user=people["Bob Baker"],
        expected_version=1,
        note="Checked: no change",
        via="via the API by Power BI: nightly",
    )
    (review,) = [entry for entry in risk_history(risk) if entry.subject == "Review"]
    assert review.reason == "Checked: no change" and review.who == "Bob Baker"


def test_an_update_submitted_moments_before_someones_review_is_not_taken_for_it(risk, people):
    Review.objects.create(
        organisation=risk.organisation,
        risk=risk,
        reviewed_by=people["Alice Able"],
        reviewed_on=timezone.localdate(),
        note="Please lower it",
        state=ReviewState.SUBMITTED,
        base_version=1,
    )
    review_record(risk=risk, user=people["Bob Baker"], expected_version=1, note="All fine")
    reviews = [entry for entry in risk_history(risk) if entry.subject == "Review"]
    recorded = next(entry for entry in reviews if entry.summary.startswith("Reviewed"))
    submitted = next(entry for entry in reviews if entry.summary.startswith("Update submitted"))
    assert (recorded.who, recorded.reason) == ("Bob Baker", "All fine")
    assert (submitted.who, submitted.reason) == ("Alice Able", "Please lower it")
    # What Bob's review changed is his review's, not under Alice's submission.
    assert any(line.startswith("Next review due") for line in recorded.lines)
    assert not submitted.changes
    assert len(reviews) == 2


def test_changes_since_a_version_name_people(risk, people):
    risk_update(risk=risk, expected_version=1, fields={"owner": people["Bob Baker"]})
    risk_update(risk=risk, expected_version=2, fields={"title": "Ransomware"})
    conflict = changes_since_version(Risk.objects.get(pk=risk.pk), 1)
    assert [str(change) for change in conflict.changes] == [
        "Title: “Cyber attack” → “Ransomware”",
        "Owner: Alice Able → Bob Baker",
    ]
    assert changes_since_version(risk, 3).changes == []


def build(organisation, people, n):
    risk = RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        owner=people["Alice Able"],
    )
    for i in range(n):
        ControlFactory(risk=risk, owner=people["Bob Baker"])
        action = ActionFactory(risk=risk, owner=people["Alice Able"])
        action_update(action=action, status=ActionStatus.IN_PROGRESS)
        owner = people["Alice Able"] if i % 2 else people["Bob Baker"]
        risk = risk_update(
            risk=risk, expected_version=risk.version, fields={"owner": owner, "title": f"T{i}"}
        )
    return risk


def test_query_count_does_not_grow_with_the_history(organisation, people):
    risks = [build(organisation, people, 3)]
    few, many = assert_same_queries(
        lambda: len(risk_history(risks[-1])),
        lambda: risks.append(build(organisation, people, 30)),
    )
    assert few >= 9 and many >= 90
