import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from registers.history import changes_since_version
from registers.models import ActionStatus, Register
from registers.services.reviews import review_record
from registers.services.risks import RiskConflict, risk_close, risk_reopen, risk_update
from registers.services.treatments import action_to_control, action_update
from tests.factories import ActionFactory, MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk(organisation):
    return RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        title="Original",
        positions={"inherent": (4, 4), "current": (3, 4)},
    )


def test_update_bumps_version_and_keeps_history(risk):
    updated = risk_update(
        risk=risk,
        expected_version=1,
        fields={"title": "Renamed"},
        positions={"current": (2, 4)},
        reason="quarterly refresh",
    )
    assert updated.version == 2 and updated.title == "Renamed" and updated.current_score == 8
    latest = updated.history.latest()
    assert latest.history_change_reason == "quarterly refresh" and latest.title == "Renamed"


def test_second_save_from_a_stale_form_is_refused_with_what_changed(risk):
    risk_update(risk=risk, expected_version=1, fields={"title": "First editor's title"})
    with pytest.raises(RiskConflict) as excinfo:
        risk_update(risk=risk, expected_version=1, fields={"description": "Second editor"})
    changes = changes_since_version(excinfo.value.risk, 1).changes
    assert "Title: “Original” → “First editor's title”" in [str(c) for c in changes]
    risk.refresh_from_db()
    assert risk.description == "" and risk.version == 2


def test_unknown_field_and_bad_position_change_nothing(risk):
    with pytest.raises(ValidationError, match="cannot be changed here: ref"):
        risk_update(risk=risk, expected_version=1, fields={"ref": "X"})
    with pytest.raises(ValidationError):
        risk_update(risk=risk, expected_version=1, positions={"current": (9, 9)})
    risk.refresh_from_db()
    assert risk.version == 1 and risk.current_score == 12


def test_close_needs_a_reason_and_reopen(risk):
    with pytest.raises(ValidationError, match="say why"):
        risk_close(risk=risk, expected_version=1, reason=" ")
    closed = risk_close(risk=risk, expected_version=1, reason="Fully mitigated")
    assert closed.status == "closed" and closed.closed_at is not None
    reopened = risk_reopen(risk=closed, expected_version=2, reason="Funding at risk again")
    assert reopened.status == "open" and reopened.closed_reason == "" and reopened.version == 3


def test_review_confirms_and_moves_the_dates(risk, organisation):
    reviewer = MembershipFactory(organisation=organisation).user
    today = timezone.localdate()
    review = review_record(risk=risk, user=reviewer, expected_version=1, note="No change")
    risk.refresh_from_db()
    assert not review.rescored and risk.last_reviewed == today
    assert risk.next_review_due > today and risk.version == 2
    assert risk.history.latest().history_change_reason == "reviewed, no change: No change"


def test_review_rescore(risk, organisation):
    reviewer = MembershipFactory(organisation=organisation).user
    review = review_record(
        risk=risk,
        user=reviewer,
        expected_version=1,
        note="Controls bite",
        positions={"current": (2, 2)},
    )
    risk.refresh_from_db()
    assert review.rescored and risk.current_score == 4


def test_review_in_the_future_is_refused(risk, organisation):
    reviewer = MembershipFactory(organisation=organisation).user
    with pytest.raises(ValidationError, match="future"):
        review_record(
            risk=risk,
            user=reviewer,
            expected_version=1,
            reviewed_on=timezone.localdate() + dt.timedelta(days=1),
        )


def test_completed_action_becomes_a_control(risk):
    action = ActionFactory(risk=risk, description="Install sprinklers")
    with pytest.raises(ValidationError, match="only a completed action"):
        action_to_control(action=action)
    action_update(action=action, status=ActionStatus.COMPLETED, progress_note="Done in March")
    assert action.completed_at is not None
    control = action_to_control(action=action)
    assert control.description == "Install sprinklers" and not risk.actions.exists()
