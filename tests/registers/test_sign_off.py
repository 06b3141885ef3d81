"""Sign-off of reviews (issue 17): on a register that requires it, an owner's review or change of
current rating waits, unapplied, for a coordinator or a named approver to sign it off or send it
back; the register, the risk page and packs show the last signed-off rating, marked "Update
awaiting sign-off". Off by default: a review applies at once, as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registers import permissions
from registers.forms_registers import APPROVERS_HINT, RegisterForm
from registers.models import (
    Marking,
    Notice,
    NoticeKind,
    Register,
    Review,
    ReviewState,
    Risk,
    Role,
)
from registers.selectors.sign_off import awaiting_my_sign_off, awaiting_sign_off
from registers.services import registers_admin
from registers.services.organisations import member_add, membership_change
from registers.services.review_submissions import SIGN_OFF_BY, SIGN_OFF_PENDING_OTHER
from registers.services.reviews import review_record
from registers.services.risks import risk_update
from registers.services.sign_off import (
    SEND_BACK_REASON_REQUIRED,
    SIGN_OFF_OWN,
    SIGN_OFF_STALE,
    review_send_back,
    review_sign_off,
    review_withdraw,
)
from registers.views.editing import CURRENT_RATING_SUBMITTED, REVIEW_SUBMITTED
from registers.views.sign_off import WITHDRAW_OWN_ONLY
from reporting.packs.data import pack_data
from tests.factories import RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "manager": person(organisation, Role.OWNER, "Mina Manager"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "approver": person(organisation, Role.OWNER, "Abe Approver"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
    }


@pytest.fixture
def register(organisation):
    register = corporate_register_of(organisation)
    register.sign_off_required = True
    register.save()
    return register


@pytest.fixture
def risk(register, people):
    return RiskFactory(
        register=register,
        ref="CRR09",
        title="Flooding at the depot",
        owner=people["owner"],
        manager=people["manager"],
        positions={"inherent": (5, 5), "current": (3, 4), "target": (2, 2)},
    )


def url(name, risk, *args):
    return reverse(name, args=[risk.organisation.slug, risk.ref, *args])


def submit(risk, user, position=(4, 4), note="Water over the sill twice"):
    risk.refresh_from_db()
    return review_record(
        risk=risk,
        user=user,
        expected_version=risk.version,
        note=note,
        positions={"current": position} if position else None,
    )


def current(risk) -> tuple:
    risk.refresh_from_db()
    return risk.current_likelihood, risk.current_impact


# --- off by default ---------------------------------------------------------------------------


def test_off_by_default_a_review_applies_at_once(organisation, people):
    register = corporate_register_of(organisation)
    assert register.sign_off_required is False
    risk = RiskFactory(register=register, owner=people["owner"])
    review = submit(risk, people["owner"])
    assert review.state == ReviewState.RECORDED
    assert current(risk) == (4, 4)
    assert risk.version == 2


# --- submitting -------------------------------------------------------------------------------


def test_owners_review_is_submitted_and_the_risk_is_unchanged(risk, people):
    before = Risk.history.filter(id=risk.pk).count()
    review = submit(risk, people["owner"])
    assert review.state == ReviewState.SUBMITTED
    assert review.proposed == {"positions": {"current": [4, 4]}, "kind": "review"}
    assert review.base_version == 1
    assert current(risk) == (3, 4)
    assert risk.version == 1 and risk.last_reviewed is None
    assert Risk.history.filter(id=risk.pk).count() == before


def test_approvers_own_review_applies_at_once(risk, people, register):
    assert submit(risk, people["coordinator"]).state == ReviewState.RECORDED
    assert current(risk) == (4, 4)
    register.sign_off_approvers.add(people["approver"])
    assert submit(risk, people["approver"], (2, 3)).state == ReviewState.RECORDED
    assert current(risk) == (2, 3)


def test_a_named_approver_who_is_only_a_viewer_approves_nothing(risk, people, register):
    register.sign_off_approvers.add(people["viewer"])
    membership = people["viewer"].memberships.get()
    access = permissions.OrganisationAccess(membership.organisation, membership)
    assert not access.can_sign_off(risk)
    assert people["viewer"] not in permissions.sign_off_approvers(register)


def test_a_second_update_of_the_same_person_replaces_theirs(risk, people):
    first = submit(risk, people["owner"], (4, 4))
    second = submit(risk, people["owner"], (4, 5))
    first.refresh_from_db()
    assert first.state == ReviewState.WITHDRAWN and first.decided_by == people["owner"]
    assert second.state == ReviewState.SUBMITTED


def test_someone_elses_pending_update_refuses_a_second(risk, people):
    submit(risk, people["owner"])
    with pytest.raises(ValidationError) as caught:
        submit(risk, people["manager"], (2, 2))
    expected = SIGN_OFF_PENDING_OTHER.format(
        ref=risk.ref, who="Owen Owner", when=timezone.localdate().strftime("%-d %B %Y")
    )
    assert caught.value.messages == [expected]


def test_an_off_scheme_rating_is_refused_before_submitting(risk, people):
    with pytest.raises(ValidationError) as caught:
        submit(risk, people["owner"], (9, 9))
    assert "current_likelihood" in caught.value.message_dict
    assert not Review.objects.filter(risk=risk).exclude(state=ReviewState.RECORDED).exists()


def test_edit_form_change_of_current_rating_is_submitted_other_edits_apply(client, risk, people):
    from tests.registers.test_risk_pages import edit_data

    client.force_login(people["owner"])
    response = client.post(
        url("risk_edit", risk),
        edit_data(risk, title="Flooding at both depots", current_likelihood=5, current_impact=5),
        follow=True,
    )
    assert response.status_code == 200
    assert "submitted for sign-off" in response.content.decode()
    risk.refresh_from_db()
    assert risk.title == "Flooding at both depots"
    assert (risk.current_likelihood, risk.current_impact) == (3, 4)
    review = Review.objects.get(risk=risk, state=ReviewState.SUBMITTED)
    assert review.proposed == {"positions": {"current": [5, 5]}, "kind": "rating"}
    assert review.base_version == risk.version


def test_edit_without_a_change_of_current_rating_submits_nothing(risk, people):
    risk_update(
        risk=risk,
        expected_version=risk.version,
        fields={"title": "Renamed"},
        positions={"current": (3, 4), "target": (1, 2)},
        user=people["owner"],
    )
    risk.refresh_from_db()
    assert (risk.target_likelihood, risk.target_impact) == (1, 2)
    assert not Review.objects.filter(risk=risk).exists()


# --- deciding ---------------------------------------------------------------------------------


def test_sign_off_applies_the_rating_with_history(risk, people):
    review = submit(risk, people["owner"])
    review_sign_off(review=review, user=people["coordinator"], note="Agreed at the meeting")
    review.refresh_from_db()
    assert review.state == ReviewState.SIGNED_OFF
    assert review.decided_by == people["coordinator"] and review.decided_at is not None
    assert review.decision_note == "Agreed at the meeting"
    assert current(risk) == (4, 4)
    assert risk.version == 2 and risk.last_reviewed == review.reviewed_on
    record = Risk.history.filter(id=risk.pk).order_by("-history_date").first()
    assert record.history_change_reason == (
        "signed off by Cora Coordinator: Water over the sill twice"
    )


def test_sign_off_of_a_no_change_review_moves_the_review_dates(risk, people):
    Risk.objects.filter(pk=risk.pk).update(last_reviewed=timezone.localdate() - dt.timedelta(90))
    review = submit(risk, people["owner"], position=None)
    risk.refresh_from_db()
    assert risk.last_reviewed == timezone.localdate() - dt.timedelta(90)
    review_sign_off(review=review, user=people["coordinator"])
    risk.refresh_from_db()
    assert risk.last_reviewed == timezone.localdate()
    assert current(risk) == (3, 4)


def test_send_back_needs_a_reason_and_the_owner_submits_again(client, risk, people):
    review = submit(risk, people["owner"])
    with pytest.raises(ValidationError) as caught:
        review_send_back(review=review, user=people["coordinator"], reason="  ")
    assert caught.value.message_dict == {"note": [SEND_BACK_REASON_REQUIRED]}
    review_send_back(review=review, user=people["coordinator"], reason="Say what flooded")
    review.refresh_from_db()
    assert review.state == ReviewState.SENT_BACK and current(risk) == (3, 4)
    client.force_login(people["owner"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Update sent back" in page and "Say what flooded" in page
    again = submit(risk, people["owner"], note="The store room flooded")
    assert again.state == ReviewState.SUBMITTED


def test_a_stale_update_is_refused_unless_nothing_relevant_changed(risk, people):
    review = submit(risk, people["owner"])
    # A change of another field: the update still fits.
    risk_update(risk=risk, expected_version=1, fields={"title": "Floods"}, reason="x")
    other = submit(Risk.objects.get(pk=risk.pk), people["owner"], (4, 5))  # replaces, on v2
    risk.refresh_from_db()
    # The coordinator re-rates the current position meanwhile.
    risk_update(risk=risk, expected_version=risk.version, positions={"current": (2, 2)})
    with pytest.raises(ValidationError) as caught:
        review_sign_off(review=other, user=people["coordinator"])
    assert caught.value.messages == [SIGN_OFF_STALE.format(ref=risk.ref)]
    assert current(risk) == (2, 2)
    review.refresh_from_db()
    assert review.state == ReviewState.WITHDRAWN


def test_an_update_signed_off_after_an_unrelated_edit_applies(risk, people):
    review = submit(risk, people["owner"])
    risk_update(risk=risk, expected_version=1, fields={"title": "Floods"}, reason="x")
    review_sign_off(review=review, user=people["coordinator"])
    risk.refresh_from_db()
    assert current(risk) == (4, 4) and risk.title == "Floods"


def test_nobody_decides_their_own_update(risk, people, register):
    review = submit(risk, people["owner"])
    register.sign_off_approvers.add(people["owner"])  # named afterwards
    with pytest.raises(ValidationError) as caught:
        review_sign_off(review=review, user=people["owner"])
    assert caught.value.messages == [SIGN_OFF_OWN]


def test_a_decided_update_cannot_be_decided_again(risk, people):
    review = submit(risk, people["owner"])
    review_sign_off(review=review, user=people["coordinator"])
    with pytest.raises(ValidationError):
        review_send_back(review=review, user=people["coordinator"], reason="late")
    with pytest.raises(ValidationError):
        review_withdraw(review=review, user=people["owner"])


def test_only_the_author_withdraws(risk, people):
    review = submit(risk, people["owner"])
    with pytest.raises(ValidationError):
        review_withdraw(review=review, user=people["manager"])
    review_withdraw(review=review, user=people["owner"])
    review.refresh_from_db()
    assert review.state == ReviewState.WITHDRAWN


# --- notices ----------------------------------------------------------------------------------


def test_approvers_are_told_of_a_submission_and_the_author_of_the_decision(risk, people, register):
    register.sign_off_approvers.add(people["approver"])
    review = submit(risk, people["owner"])
    awaiting = Notice.objects.filter(kind=NoticeKind.SIGN_OFF_AWAITING)
    told = {notice.user for notice in awaiting}
    assert told == {people["coordinator"], people["approver"]}
    assert awaiting.first().url == url("review_decide", risk, review.pk)
    review_send_back(review=review, user=people["approver"], reason="Which sill?")
    decided = Notice.objects.get(kind=NoticeKind.SIGN_OFF_DECIDED)
    assert decided.user == people["owner"] and decided.actor == people["approver"]
    assert "sent back" in decided.title and "Which sill?" in decided.body


# --- reading ----------------------------------------------------------------------------------


def test_register_page_marks_the_row_and_shows_the_signed_off_rating(client, risk, people):
    client.force_login(people["viewer"])
    page_url = reverse("register", args=[risk.organisation.slug, "corporate"])
    assert "Update awaiting sign-off" not in client.get(page_url).content.decode()
    submit(risk, people["owner"])
    page = client.get(page_url).content.decode()
    assert "Update awaiting sign-off" in page
    assert "12 (" in page or "3 v 4" in page or risk.current_band in page


def test_register_list_query_count_is_flat(client, organisation, register, people):
    client.force_login(people["viewer"])
    page_url = reverse("register", args=[organisation.slug, "corporate"])

    def grow():
        for n in range(3):
            risk = RiskFactory(register=register, owner=people["owner"], ref=f"G{n}")
            submit(risk, people["owner"])

    RiskFactory(register=register, owner=people["owner"], ref="G9")
    assert_same_queries(lambda: client.get(page_url), grow)


def test_awaiting_as_of_a_moment(risk, people):
    before = timezone.now()
    review = submit(risk, people["owner"])
    submitted = timezone.now()
    review_sign_off(review=review, user=people["coordinator"])
    after = timezone.now()

    def awaiting(moment):
        return Risk.objects.filter(pk=risk.pk).filter(awaiting_sign_off(moment)).exists()

    assert [awaiting(before), awaiting(submitted), awaiting(after), awaiting(None)] == [
        False,
        True,
        False,
        False,
    ]


def test_risk_page_shows_the_update_and_buttons_to_approvers_only(client, risk, people):
    review = submit(risk, people["owner"])
    client.force_login(people["coordinator"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Update awaiting sign-off" in page and "Water over the sill twice" in page
    assert url("review_decide", risk, review.pk) in page and "Send back" in page
    client.force_login(people["owner"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Update awaiting sign-off" in page and "Withdraw your update" in page
    assert f'action="{url("review_decide", risk, review.pk)}"' not in page
    client.force_login(people["viewer"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Update awaiting sign-off" in page and "Send back" not in page


def test_uncleared_reader_does_not_see_the_update_of_a_sensitive_risk(client, risk, people):
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    submit(risk, people["owner"], note="Qsecretheron")
    client.force_login(people["viewer"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Update awaiting sign-off" in page and "Qsecretheron" not in page


def test_an_update_awaiting_sign_off_is_not_the_periods_update(client, risk, people):
    submit(risk, people["owner"], note="Pending words")
    client.force_login(people["coordinator"])
    page = client.get(url("risk_review", risk)).content.decode()
    assert "Pending words" not in page  # not among the earlier updates


def test_pack_marks_the_risk_and_keeps_the_signed_off_rating(organisation, risk, people):
    review = submit(risk, people["owner"], note="Pending words")
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    (row,) = [r for r in data.risks if r.ref == risk.ref]
    assert row.awaiting_sign_off is True
    assert (row.current.likelihood.value, row.current.impact.value) == (3, 4)
    assert row.period_update is None  # the words wait for sign-off too
    review_sign_off(review=review, user=people["coordinator"])
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    (row,) = [r for r in data.risks if r.ref == risk.ref]
    assert row.awaiting_sign_off is False
    assert (row.current.likelihood.value, row.current.impact.value) == (4, 4)
    assert row.period_update is not None and row.period_update.text == "Pending words"


def test_my_work_lists_what_awaits_the_approver(client, risk, people, organisation):
    review = submit(risk, people["owner"])
    client.force_login(people["coordinator"])
    page = client.get(reverse("my_work", args=[organisation.slug])).content.decode()
    assert "Awaiting your sign-off" in page and url("review_decide", risk, review.pk) in page
    client.force_login(people["owner"])
    page = client.get(reverse("my_work", args=[organisation.slug])).content.decode()
    assert "Awaiting your sign-off" not in page


def test_awaiting_my_sign_off_query_count_is_flat(organisation, register, people):
    membership = people["coordinator"].memberships.get()

    def fetch():
        access = permissions.OrganisationAccess(organisation, membership)
        return awaiting_my_sign_off(access=access)

    def grow():
        for n in range(3):
            submit(
                RiskFactory(register=register, owner=people["owner"], ref=f"Q{n}"), people["owner"]
            )

    submit(RiskFactory(register=register, owner=people["owner"], ref="Q9"), people["owner"])
    fetch()  # content types cached, as in a running server
    assert_same_queries(fetch, grow)


# --- pages: decide, withdraw, access ----------------------------------------------------------


def test_decide_page_sends_back_then_signs_off(client, risk, people):
    review = submit(risk, people["owner"])
    client.force_login(people["coordinator"])
    decide = url("review_decide", risk, review.pk)
    assert client.get(decide).status_code == 200
    response = client.post(decide, {"decision": "send_back", "note": ""})
    assert response.status_code == 400
    assert "Say why the update is sent back" in response.content.decode()
    response = client.post(decide, {"decision": "send_back", "note": "Which sill?"})
    assert response.status_code == 302
    again = submit(risk, people["owner"])
    response = client.post(url("review_decide", risk, again.pk), {"decision": "sign_off"})
    assert response.status_code == 302 and current(risk) == (4, 4)


@pytest.mark.parametrize(
    "data", [{}, {"decision": "maybe"}, {"decision": "sign_off", "note": "x" * 2001}]
)
def test_bad_input_is_400(client, risk, people, data):
    review = submit(risk, people["owner"])
    client.force_login(people["coordinator"])
    assert client.post(url("review_decide", risk, review.pk), data).status_code == 400
    assert current(risk) == (3, 4)


def test_deciding_a_decided_update_is_400(client, risk, people):
    review = submit(risk, people["owner"])
    review_sign_off(review=review, user=people["coordinator"])
    client.force_login(people["coordinator"])
    response = client.post(url("review_decide", risk, review.pk), {"decision": "sign_off"})
    assert response.status_code == 400
    assert "no longer awaiting sign-off" in response.content.decode()
    client.force_login(people["owner"])
    assert client.post(url("review_withdraw", risk, review.pk)).status_code == 400


@pytest.mark.parametrize("who", ["owner", "manager", "viewer"])
def test_non_approvers_get_403(client, risk, people, who):
    review = submit(risk, people["owner"])
    client.force_login(people[who])
    decide = url("review_decide", risk, review.pk)
    assert client.get(decide).status_code == 403
    assert client.post(decide, {"decision": "sign_off"}).status_code == 403
    assert current(risk) == (3, 4)


def test_only_the_author_may_withdraw_on_the_page(client, risk, people):
    review = submit(risk, people["owner"])
    client.force_login(people["coordinator"])
    refused = client.post(url("review_withdraw", risk, review.pk))
    assert refused.status_code == 403
    # The reason, not the role's words: a coordinator was told to ask their coordinator.
    assert WITHDRAW_OWN_ONLY in refused.content.decode()
    assert "Your role" not in refused.content.decode()
    client.force_login(people["owner"])
    assert client.get(url("review_withdraw", risk, review.pk)).status_code == 405
    assert client.post(url("review_withdraw", risk, review.pk)).status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.WITHDRAWN


def test_another_risks_review_is_404(client, risk, people, register):
    other = RiskFactory(register=register, owner=people["owner"], ref="CRR10")
    review = submit(other, people["owner"])
    client.force_login(people["coordinator"])
    assert client.get(url("review_decide", risk, review.pk)).status_code == 404
    assert client.post(url("review_withdraw", risk, review.pk)).status_code == 404


# --- settings ---------------------------------------------------------------------------------


def test_settings_turn_sign_off_on_and_name_approvers_in_history(client, organisation, people):
    admin = person(organisation, Role.ADMIN, "Ada Admin")
    register = corporate_register_of(organisation)
    client.force_login(admin)
    edit = reverse("settings_register", args=[organisation.slug, register.slug])
    page = client.get(edit).content.decode()
    assert "Reviews need sign-off" in page and "Abe Approver" in page
    assert "Vic Viewer" not in page  # viewers cannot approve
    data = {
        "name": register.name,
        "slug": register.slug,
        "level": register.level,
        "parent": "",
        "review_months": "",
        "sign_off_required": "on",
        "sign_off_approvers": [people["approver"].pk],
    }
    assert client.post(edit, data).status_code == 302
    register.refresh_from_db()
    assert register.sign_off_required is True
    assert list(register.sign_off_approvers.all()) == [people["approver"]]
    reason = register.history.order_by("-history_date").first().history_change_reason
    assert reason == "reviews need sign-off; named approvers: Abe Approver"
    data["sign_off_approvers"] = [people["viewer"].pk]
    assert client.post(edit, data).status_code == 400


def test_service_refuses_a_viewer_as_named_approver(organisation, people):
    register = corporate_register_of(organisation)
    with pytest.raises(ValidationError) as caught:
        registers_admin.register_change(
            register=register,
            name=register.name,
            slug=register.slug,
            level=register.level,
            parent=None,
            review_months=None,
            by=None,
            sign_off_approvers=[people["viewer"]],
        )
    assert "sign_off_approvers" in caught.value.message_dict
    assert not Register.objects.get(pk=register.pk).sign_off_approvers.exists()


def test_pdf_and_word_editions_say_update_awaiting_sign_off(organisation, risk, people):
    import io

    from docx import Document

    from reporting.packs.docx import render_docx
    from reporting.packs.render import render_html

    submit(risk, people["owner"])
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    assert "update awaiting sign-off" in render_html(data).lower()
    document = Document(io.BytesIO(render_docx(data)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any("update awaiting sign-off" in text.lower() for text in cells)


# --- who signs off, in words and in the named approvers offered -------------------------------


def test_the_words_name_everyone_who_signs_off(client, risk, people, organisation, register):
    """An admin who is neither a coordinator nor a named approver signs off (ESPO-03 in the
    demo), yet the settings hint and the risk page said only "a coordinator ... or named
    approver"."""
    admin = person(organisation, Role.ADMIN, "Ada Admin")
    assert SIGN_OFF_BY == "an admin, a coordinator of the register or a named approver"
    access = permissions.organisation_for_user(user=admin, slug=organisation.slug)
    assert access.can_sign_off(risk) and admin.pk not in register.sign_off_approvers.values_list(
        "pk", flat=True
    )
    submit(risk, people["owner"])
    client.force_login(people["owner"])
    assert SIGN_OFF_BY in client.get(url("risk", risk)).content.decode()
    form = RegisterForm(organisation=organisation, registers=[register], register=register)
    assert SIGN_OFF_BY in form.fields["sign_off_required"].help_text
    assert "admin" in REVIEW_SUBMITTED and "admin" in CURRENT_RATING_SUBMITTED


def test_the_approvers_offered_leave_out_who_signs_off_already(organisation, register, people):
    """Admins and the register's coordinators sign off by their role: the settings offered them
    as named approvers all the same. A coordinator limited to other registers is offered; one
    already named stays offered, ticked, so saving the form does not untick them unseen."""
    admin = person(organisation, Role.ADMIN, "Ada Admin")
    named_admin = person(organisation, Role.ADMIN, "Ned Named")
    register.sign_off_approvers.add(named_admin)
    granted = person(organisation, Role.OWNER, "Gil Granted")
    membership_change(
        membership=granted.memberships.get(organisation=organisation),
        role=Role.COORDINATOR,
        registers_limited=True,
    )
    permissions.register_grant(user=granted, register=register)
    elsewhere = person(organisation, Role.OWNER, "Lee Limited")
    membership_change(
        membership=elsewhere.memberships.get(organisation=organisation),
        role=Role.COORDINATOR,
        registers_limited=True,
    )
    form = RegisterForm(organisation=organisation, registers=[register], register=register)
    offered = set(form.fields["sign_off_approvers"].queryset)
    assert offered == {
        people["owner"],
        people["manager"],
        people["approver"],
        elsewhere,
        named_admin,
    }
    assert admin not in offered and people["coordinator"] not in offered
    assert form.initial["sign_off_approvers"] == [named_admin.pk]
    assert form.fields["sign_off_approvers"].help_text == APPROVERS_HINT
