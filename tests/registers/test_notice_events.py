"""The events that tell people (registers.services.notice_events), each from the service every
path goes through: assignment of risks and actions (one at a time and in bulk), breaches of
appetite, escalations and released packs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appetite.services import appetite_statement_set
from registers import permissions
from registers.models import (
    Action,
    Delivery,
    Marking,
    Notice,
    NoticeKind,
    NoticePreference,
    Role,
)
from registers.services.escalation import (
    escalation_accept,
    escalation_decline,
    escalation_request,
    escalation_withdraw,
)
from registers.services.organisations import member_add, membership_change
from registers.services.reviews import review_record
from registers.services.risks import action_add, risk_close, risk_update
from registers.services.risks_bulk import (
    NewRisk,
    RiskChange,
    TreatmentChange,
    action_update_many,
    risk_create_many,
    risk_update_many,
)
from registers.services.treatments import action_update
from registers.withholding import WITHHELD
from tests.factories import (
    ActionFactory,
    CategoryFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


def told(user, kind=None):
    notices = Notice.objects.filter(user=user)
    if kind:
        notices = notices.filter(kind=kind)
    return list(notices.order_by("id").values_list("title", flat=True))


@pytest.fixture
def people(organisation):
    return {
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "ann": person(organisation, Role.OWNER, "Ann Owner"),
        "bob": person(organisation, Role.OWNER, "Bob Owner"),
        "vic": person(organisation, Role.VIEWER, "Vic Viewer"),
    }


@pytest.fixture
def risk(corporate_register, people):
    return RiskFactory(
        register=corporate_register,
        ref="CRR18",
        title="Cyber attack",
        owner=people["ann"],
        positions={"current": (2, 2)},
    )


# --- assignment of a risk ---------------------------------------------------------------------


def test_a_new_owner_is_told_it_is_theirs_and_the_previous_one_that_it_is_not(
    risk, people, send_queued_email
):
    with send_queued_email() as outbox:
        outbox.clear()
        risk_update(risk=risk, expected_version=risk.version, fields={"owner": people["bob"]})
    assert told(people["bob"]) == ["CRR18 is now yours (owner): Cyber attack"]
    assert told(people["ann"], NoticeKind.ASSIGNED) == [
        "CRR18 is now yours (owner): Cyber attack",
        "CRR18 is no longer yours (owner): Cyber attack",
    ]
    assert sorted(m.to[0] for m in outbox) == sorted([people["ann"].email, people["bob"].email])
    assert "/risks/CRR18/" in Notice.objects.filter(user=people["bob"]).get().url


def test_owner_and_manager_at_once_make_one_notice(risk, people):
    risk_update(
        risk=risk,
        expected_version=risk.version,
        fields={"owner": people["bob"], "manager": people["bob"]},
    )
    assert told(people["bob"]) == ["CRR18 is now yours (owner and manager): Cyber attack"]


def test_the_person_who_made_the_change_is_not_told(client, risk, people):
    """Through the edit page: the signed-in coordinator gives the risk to themselves."""
    from registers.services.notice_events import acting_user

    assert acting_user(people["admin"]) == people["admin"]
    assert acting_user() is None  # no request: a command
    client.force_login(people["coordinator"])
    # The request's user is the actor (simple-history's middleware holds the request).
    from simple_history.models import HistoricalRecords

    class Request:
        user = people["coordinator"]

    HistoricalRecords.context.request = Request()
    try:
        risk_update(
            risk=risk, expected_version=risk.version, fields={"owner": people["coordinator"]}
        )
    finally:
        del HistoricalRecords.context.request
    assert told(people["coordinator"]) == []
    assert told(people["ann"])[-1] == "CRR18 is no longer yours (owner): Cyber attack"
    gone = Notice.objects.get(user=people["ann"], title__contains="no longer")
    assert gone.actor == people["coordinator"]


def test_an_unchanged_owner_tells_nobody(risk, people):
    Notice.objects.all().delete()
    risk_update(
        risk=risk, expected_version=risk.version, fields={"owner": people["ann"], "title": "New"}
    )
    assert not Notice.objects.exists()


def test_a_closed_risk_tells_nobody(risk, people):
    risk_close(risk=risk, expected_version=risk.version, reason="Fully mitigated")
    risk.refresh_from_db()
    Notice.objects.all().delete()
    risk_update(risk=risk, expected_version=risk.version, fields={"owner": people["bob"]})
    assert not Notice.objects.exists()


def test_a_new_risk_tells_its_owner(corporate_register, people):
    RiskFactory(register=corporate_register, ref="N1", title="New one", owner=people["bob"])
    assert told(people["bob"]) == ["N1 is now yours (owner): New one"]


def test_another_organisations_member_is_never_told(risk, people, other_organisation):
    outsider = MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    Notice.objects.all().delete()
    from registers.services.notices import notify

    notify(
        kind=NoticeKind.ASSIGNED,
        organisation=risk.organisation,
        recipients=[outsider, people["bob"]],
        event_key="x",
        title="t",
        risk=risk,
    )
    assert told(outsider) == [] and told(people["bob"]) == ["t"]


# --- assignment of an action ------------------------------------------------------------------


def test_an_actions_new_owner_is_told_with_its_words_withheld_if_sensitive(risk, people):
    risk_update(
        risk=risk, expected_version=risk.version, fields={"marking": Marking.OFFICIAL_SENSITIVE}
    )
    risk.refresh_from_db()
    action = action_add(risk=risk, description="Qsecret patching", owner=people["vic"])
    (notice,) = Notice.objects.filter(user=people["vic"])
    assert notice.title == "An action on CRR18 is now yours: Cyber attack"
    assert notice.body == WITHHELD
    action_update(action=action, expected_version=action.version, owner=people["coordinator"])
    coordinator = Notice.objects.get(user=people["coordinator"])
    assert coordinator.body == "Qsecret patching"
    assert told(people["vic"])[-1] == "An action on CRR18 is no longer yours: Cyber attack"


def test_actions_reassigned_in_bulk_make_one_notice_each_person(risk, people):
    actions = [ActionFactory(risk=risk, owner=people["ann"]) for _ in range(3)]
    action_update_many(
        changes=[
            TreatmentChange(pk=a.pk, expected_version=a.version, fields={"owner": people["bob"]})
            for a in actions
        ],
        reason="reassigned",
    )
    assert told(people["bob"]) == ["3 actions are now yours, on CRR18"]
    assert told(people["ann"], NoticeKind.ASSIGNED)[-1] == "3 actions are no longer yours, on CRR18"


# --- bulk: imports and bulk edits -------------------------------------------------------------


def test_an_import_of_many_risks_tells_each_owner_once(organisation, corporate_register, people):
    new = [
        NewRisk(
            register=corporate_register,
            ref=f"I{n}",
            title=f"Imported {n}",
            fields={"owner": people["bob"] if n % 2 else people["ann"]},
        )
        for n in range(1, 13)
    ]
    risk_create_many(organisation=organisation, new=new, reason="imported")
    assert told(people["bob"]) == [
        "6 risks are now yours (owner or manager): I1, I3, I5, I7, I9 and 1 more"
    ]
    assert len(told(people["ann"])) == 1


def test_a_bulk_reassignment_runs_the_same_queries_for_more_risks(corporate_register, people):
    def reassign(count, ref):
        risks = [
            RiskFactory(register=corporate_register, ref=f"{ref}{n}", owner=people["ann"])
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            risk_update_many(
                changes=[
                    RiskChange(
                        risk_id=r.pk, expected_version=r.version, fields={"owner": people["bob"]}
                    )
                    for r in risks
                ],
                reason="bulk edit",
            )
        return len(queries)

    assert reassign(2, "A") == reassign(20, "B")
    assert told(people["bob"])[-1].startswith("20 risks are now yours")


def test_an_import_of_unchanged_rows_tells_nobody(risk, people):
    Notice.objects.all().delete()
    risk_update_many(
        changes=[
            RiskChange(
                risk_id=risk.pk,
                expected_version=risk.version,
                fields={"owner": people["ann"], "title": risk.title},
            )
        ],
        reason="imported",
    )
    assert not Notice.objects.exists()


# --- breaches ---------------------------------------------------------------------------------


@pytest.fixture
def tolerance(organisation):
    category = CategoryFactory(organisation=organisation, name="Technology")
    appetite_statement_set(
        organisation=organisation,
        category=category,
        level=organisation.appetite_levels.first(),
        tolerance=10,
    )
    return category


def test_a_breach_starting_tells_owner_manager_and_coordinators_once(risk, people, tolerance):
    risk_update(
        risk=risk,
        expected_version=risk.version,
        fields={"category": tolerance, "manager": people["bob"]},
    )
    Notice.objects.all().delete()
    risk.refresh_from_db()
    review_record(
        risk=risk,
        user=people["ann"],
        expected_version=risk.version,
        note="worse",
        positions={"current": (4, 4)},
    )
    breach = (
        "CRR18 is outside appetite: current score 16 is above the tolerance of 10: Cyber attack"
    )
    assert told(people["bob"]) == [breach]
    assert told(people["admin"]) == [breach] and told(people["coordinator"]) == [breach]
    assert told(people["ann"]) == []  # she recorded it
    assert told(people["vic"]) == []
    # Still in breach after another re-score: no new breach, nobody told again.
    risk.refresh_from_db()
    risk_update(risk=risk, expected_version=risk.version, positions={"current": (5, 4)})
    assert len(told(people["bob"])) == 1
    # Back within, then out again: a new breach, told again.
    risk.refresh_from_db()
    risk_update(risk=risk, expected_version=risk.version, positions={"current": (1, 1)})
    risk.refresh_from_db()
    risk_update(risk=risk, expected_version=risk.version, positions={"current": (4, 4)})
    assert len(told(people["bob"], NoticeKind.BREACH)) == 2


def test_a_limited_coordinator_of_another_register_is_not_told_of_a_breach(
    organisation, risk, people, tolerance
):
    school = RegisterFactory(organisation=organisation, slug="school", name="School register")
    limited = person(organisation, Role.COORDINATOR, "Lim Coordinator")
    membership_change(
        membership=limited.memberships.get(), role=Role.COORDINATOR, registers_limited=True
    )
    permissions.register_grant(user=limited, register=school)
    risk_update(
        risk=risk,
        expected_version=risk.version,
        fields={"category": tolerance},
        positions={"current": (4, 4)},
    )
    assert told(limited) == []
    ids = permissions.register_coordinator_ids(
        organisation=organisation, register_ids={school.pk, risk.register_id}
    )
    assert limited.pk in ids[school.pk] and limited.pk not in ids[risk.register_id]


def test_a_bulk_rescore_into_breach_tells_per_risk(corporate_register, people, tolerance):
    risks = [
        RiskFactory(
            register=corporate_register,
            ref=f"B{n}",
            owner=people["ann"],
            category=tolerance,
            positions={"current": (2, 2)},
        )
        for n in range(3)
    ]
    risk_update_many(
        changes=[
            RiskChange(risk_id=r.pk, expected_version=r.version, positions={"current": (5, 5)})
            for r in risks
        ],
        reason="imported",
    )
    assert len(told(people["ann"], NoticeKind.BREACH)) == 3


# --- escalation -------------------------------------------------------------------------------


def test_an_escalation_tells_the_deciders_and_then_the_requester(organisation, people):
    corporate = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, slug="school", parent=corporate)
    risk = RiskFactory(register=school, ref="S1", title="Lab fire", owner=people["ann"])
    escalation = escalation_request(risk=risk, user=people["ann"], reason="Too big")
    awaiting = "S1 is to move to Corporate register: it awaits your decision"
    assert told(people["coordinator"], NoticeKind.ESCALATION_AWAITING) == [
        awaiting.replace("Corporate register", corporate.name)
    ]
    assert told(people["admin"], NoticeKind.ESCALATION_AWAITING)
    assert told(people["ann"], NoticeKind.ESCALATION_AWAITING) == []
    escalation_accept(escalation=escalation, user=people["coordinator"], new_owner=people["bob"])
    assert told(people["ann"], NoticeKind.ESCALATION_DECIDED) == [
        f"Your request to move S1 to {corporate.name} was accepted"
    ]
    assert told(people["bob"]) == ["S1 is now yours (owner): Lab fire"]
    assert told(people["ann"], NoticeKind.ASSIGNED)[-1] == "S1 is no longer yours (owner): Lab fire"


def test_a_declined_escalation_tells_the_requester_why(organisation, people):
    corporate = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, slug="school", parent=corporate)
    risk = RiskFactory(register=school, ref="S1", owner=people["ann"])
    escalation = escalation_request(risk=risk, user=people["ann"], reason="Too big")
    escalation_decline(escalation=escalation, user=people["coordinator"], note="Stays local")
    notice = Notice.objects.get(user=people["ann"], kind=NoticeKind.ESCALATION_DECIDED)
    assert notice.title.endswith("was declined") and notice.body == "Stays local"


def test_a_withdrawn_escalation_tells_the_deciders_it_no_longer_awaits_them(organisation, people):
    corporate = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, slug="school", parent=corporate)
    risk = RiskFactory(register=school, ref="S1", owner=people["ann"])
    escalation = escalation_request(risk=risk, user=people["ann"], reason="Too big")
    escalation_withdraw(escalation=escalation, user=people["ann"], note="Handled locally")
    withdrawn = (
        f"The request to move S1 to {corporate.name} was withdrawn: "
        "it no longer awaits your decision"
    )
    for decider in (people["coordinator"], people["admin"]):
        assert told(decider, NoticeKind.ESCALATION_AWAITING)[-1] == withdrawn
    notice = Notice.objects.get(user=people["coordinator"], title=withdrawn)
    assert notice.body == "Handled locally" and notice.url.endswith("/S1/")
    # Withdrawn by the person who asked: they are not told of their own step.
    assert told(people["ann"], NoticeKind.ESCALATION_DECIDED) == []


@pytest.mark.parametrize("decided", ["accepted", "declined", "withdrawn"])
def test_an_escalation_decided_leaves_no_decider_asked_to_decide_it(organisation, people, decided):
    """Once one decider decides (or the request is withdrawn), every decider's "awaits your
    decision" notice is read: nobody's list still asks for what is done."""
    corporate = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, slug="school", parent=corporate)
    risk = RiskFactory(register=school, ref="S1", owner=people["ann"])
    escalation = escalation_request(risk=risk, user=people["ann"], reason="Too big")
    awaiting = Notice.objects.filter(title__endswith="it awaits your decision")
    assert awaiting.filter(read_at__isnull=True).count() == 2  # the coordinator and the admin
    if decided == "accepted":
        escalation_accept(
            escalation=escalation, user=people["coordinator"], new_owner=people["bob"]
        )
    elif decided == "declined":
        escalation_decline(escalation=escalation, user=people["coordinator"], note="Stays local")
    else:
        escalation_withdraw(escalation=escalation, user=people["ann"], note="Handled locally")
    assert awaiting.count() == 2 and not awaiting.filter(read_at__isnull=True).exists()


def test_an_escalation_withdrawn_by_someone_else_tells_the_requester(organisation, people):
    corporate = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, slug="school", parent=corporate)
    risk = RiskFactory(register=school, ref="S1", owner=people["ann"])
    escalation = escalation_request(risk=risk, user=people["ann"], reason="Too big")
    escalation_withdraw(escalation=escalation, user=people["admin"])
    assert told(people["ann"], NoticeKind.ESCALATION_DECIDED) == [
        f"Your request to move S1 to {corporate.name} was withdrawn"
    ]
    assert told(people["admin"], NoticeKind.ESCALATION_AWAITING)[-1].startswith("S1 is to move")


# --- preferences on the way ----------------------------------------------------------------------


def test_a_digest_preference_holds_the_e_mail_for_the_digest(risk, people, send_queued_email):
    NoticePreference.objects.create(
        user=people["bob"], kind=NoticeKind.ASSIGNED, delivery=Delivery.DIGEST
    )
    with send_queued_email() as outbox:
        outbox.clear()
        risk_update(risk=risk, expected_version=risk.version, fields={"owner": people["bob"]})
    assert [m.to[0] for m in outbox] == [people["ann"].email]
    assert Notice.objects.get(user=people["bob"]).emailed_at is None
    assert Action.objects.count() == 0 and timezone.now()


# --- a released pack ------------------------------------------------------------------------------


def test_a_released_pack_makes_one_e_mail_per_member_by_their_preference(
    organisation, people, send_queued_email
):
    import hashlib

    from django.core.files.base import ContentFile

    from reporting.models import Pack, PackStatus
    from reporting.packs.announce import pack_release_notify

    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition="public", as_of=dt.date(2026, 3, 31)
    )
    pack.file.save(f"pack-{pack.pk}.pdf", ContentFile(b"%PDF-1.7 released"), save=False)
    pack.status, pack.size, pack.pages = PackStatus.READY, 17, 1
    pack.sha256 = hashlib.sha256(b"%PDF-1.7 released").hexdigest()
    pack.released_at, pack.released_by = timezone.now(), people["coordinator"]
    pack.save()
    straight, daily, never = (
        person(organisation, Role.PANEL, name) for name in ("Pat One", "Pat Two", "Pat Three")
    )
    for user, delivery in ((daily, Delivery.DIGEST), (never, Delivery.NEVER)):
        NoticePreference.objects.create(user=user, kind=NoticeKind.PACK_RELEASED, delivery=delivery)
    with send_queued_email() as outbox:
        outbox.clear()
        assert pack_release_notify(pack=pack) == 1
        assert pack_release_notify(pack=pack) == 0  # told already: no second e-mail
    assert [m.to[0] for m in outbox] == [straight.email]
    assert pack.sha256 in outbox[0].body  # the release e-mail itself, not a plainer copy
    for user in (straight, daily, never):
        (notice,) = Notice.objects.filter(user=user, kind=NoticeKind.PACK_RELEASED)
        assert pack.sha256 in notice.body
    from registers.services.notices import notice_digest_send

    with send_queued_email() as outbox:
        outbox.clear()
        assert notice_digest_send() == 1
    assert [m.to[0] for m in outbox] == [daily.email]
    assert "released" in outbox[0].body


def test_a_new_scheme_that_puts_a_risk_over_tolerance_starts_a_breach(
    organisation, corporate_register, people
):
    from registers.services.rescoring import scheme_version_adopt
    from scoring.presets import preset

    appetite_statement_set(organisation=organisation, tolerance=10)
    RiskFactory(
        register=corporate_register, ref="R2", owner=people["ann"], positions={"current": (4, 4)}
    )
    scheme = organisation.schemes.get(is_default=True)
    scheme_version_adopt(
        scheme=scheme, definition=preset("met-4x4"), by=people["admin"], rerate=True, reason="4x4"
    )
    assert told(people["ann"], NoticeKind.BREACH) == []  # out of breach
    scheme.refresh_from_db()
    scheme_version_adopt(
        scheme=scheme, definition=preset("espo-5x5"), by=people["admin"], rerate=True, reason="5x5"
    )
    (title,) = told(people["ann"], NoticeKind.BREACH)
    assert title.startswith("R2 is outside appetite")
    assert told(people["coordinator"], NoticeKind.BREACH) == [title]
    assert told(people["admin"], NoticeKind.BREACH) == []  # who adopted the scheme


def test_a_signed_off_rating_starts_the_breach_not_its_submission(risk, people, tolerance):
    from registers.services.sign_off import review_sign_off

    register = risk.register
    register.sign_off_required = True
    register.save()
    risk_update(
        risk=risk,
        expected_version=risk.version,
        fields={"category": tolerance, "manager": people["bob"]},
    )
    risk.refresh_from_db()
    review = review_record(
        risk=risk,
        user=people["ann"],
        expected_version=risk.version,
        note="worse",
        positions={"current": (4, 4)},
    )
    assert told(people["bob"], NoticeKind.BREACH) == []  # awaiting sign-off: nothing changed yet
    review_sign_off(review=review, user=people["coordinator"])
    assert len(told(people["bob"], NoticeKind.BREACH)) == 1
    assert len(told(people["ann"], NoticeKind.BREACH)) == 1
    assert told(people["coordinator"], NoticeKind.BREACH) == []  # who signed it off
