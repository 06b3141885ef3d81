"""Interdependencies: links between related risks of one organisation, on any register, with a
short note. One row, shown on both risks; both risks' history says when it was added and
removed; another organisation's risks cannot be linked (or even named); only editors of the risk
change its links."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registers import history
from registers.models import Register, Risk, RiskLink, Role
from registers.services.links import link_add, link_remove
from registers.services.organisations import member_add, register_create
from tests.factories import OrganisationFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
        "panel": person(organisation, Role.PANEL, "Pat Panel"),
    }


@pytest.fixture
def cyber(organisation, people):
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    return RiskFactory(register=corporate, ref="CRR4", title="Cyber attack", owner=people["owner"])


@pytest.fixture
def control_room(organisation):
    school = register_create(
        organisation=organisation,
        slug="ops",
        name="Operations register",
        level="directorate",
        parent=Register.objects.get(organisation=organisation, slug="corporate"),
    )
    return RiskFactory(register=school, ref="OPS2", title="Loss of the control room")


def url(name, risk, *args):
    return reverse(name, args=[risk.organisation.slug, risk.ref, *args])


def summaries(risk) -> list[str]:
    return [f"{entry.summary} | {entry.reason}" for entry in history.risk_history(risk)]


def test_a_link_is_shown_on_both_risks_and_in_both_histories(client, cyber, control_room, people):
    client.force_login(people["coordinator"])
    response = client.post(
        url("risk_link_add", cyber),
        {"other": "ops2", "note": "An attack would also stop the control room"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#links")
    link = RiskLink.objects.get()
    assert (link.from_risk, link.to_risk, link.organisation) == (
        cyber,
        control_room,
        cyber.organisation,
    )
    client.force_login(people["viewer"])
    for risk, other in ((cyber, control_room), (control_room, cyber)):
        page = client.get(url("risk", risk)).content.decode()
        assert f"{other.ref} {other.title}" in page
        assert "An attack would also stop the control room" in page
        assert other.register.name in page
    assert "Linked to OPS2 | An attack would also stop the control room" in summaries(cyber)
    assert "Linked to CRR4 | An attack would also stop the control room" in summaries(control_room)
    # The risks' versions do not move: nobody editing either risk meets a conflict.
    cyber.refresh_from_db()
    control_room.refresh_from_db()
    assert (cyber.version, control_room.version) == (1, 1)

    client.force_login(people["coordinator"])
    # Removing from the other end works too: the link belongs to both.
    response = client.post(url("risk_link_remove", control_room, link.pk))
    assert response.status_code == 302
    assert not RiskLink.objects.exists()
    assert "Link to OPS2 removed | " in summaries(cyber)
    assert "Link to CRR4 removed | " in summaries(control_room)
    page = client.get(url("risk", cyber)).content.decode()
    assert "No related risks recorded." in page


def test_only_the_same_organisation_and_no_duplicates(client, cyber, control_room, people):
    outsider_risk = RiskFactory(
        register=Register.objects.get(organisation=OrganisationFactory(), slug="corporate"),
        ref="ZZ1",
        title="Someone else's risk",
    )
    with pytest.raises(ValidationError, match="belongs to another organisation"):
        link_add(risk=cyber, other=outsider_risk)
    with pytest.raises(ValidationError, match="cannot be linked to itself"):
        link_add(risk=cyber, other=cyber)
    link_add(risk=cyber, other=control_room, note="x")
    with pytest.raises(ValidationError, match="already linked"):
        link_add(risk=control_room, other=cyber)  # either way round
    with pytest.raises(ValidationError, match="under 250 characters"):
        link_add(risk=cyber, other=RiskFactory(register=cyber.register), note="n" * 251)
    assert RiskLink.objects.count() == 1

    # Through the page: another organisation's ref is simply no such risk.
    client.force_login(people["coordinator"])
    response = client.post(url("risk_link_add", cyber), {"other": "ZZ1", "note": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "There is no risk ZZ1 in" in page and 'href="#link-other"' in page
    assert "Someone else" not in page
    response = client.post(url("risk_link_add", cyber), {"other": "OPS2"})
    assert response.status_code == 400
    assert "are already linked" in response.content.decode()
    assert RiskLink.objects.count() == 1


def test_a_long_note_is_kept_whole_on_the_link(cyber, control_room):
    note = "word " * 45
    link_add(risk=cyber, other=control_room, note=note)
    assert RiskLink.objects.get().note == note.strip()
    (entry,) = [e for e in history.risk_history(cyber) if e.subject == "Link"]
    # History reasons are a text column: the history keeps the note whole too.
    assert entry.reason.endswith(note.strip()) and "…" not in entry.reason


@pytest.mark.parametrize("who", ["viewer", "panel"])
def test_readers_cannot_change_links(client, cyber, control_room, people, who):
    link = link_add(risk=cyber, other=control_room)
    client.force_login(people[who])
    assert client.post(url("risk_link_add", cyber), {"other": "OPS2"}).status_code == 403
    assert client.post(url("risk_link_remove", cyber, link.pk)).status_code == 403
    page = client.get(url("risk", cyber)).content.decode()
    assert "Link a related risk" not in page and "Remove" not in page
    assert RiskLink.objects.count() == 1


def test_owner_links_their_own_risk_only(client, cyber, control_room, people):
    client.force_login(people["owner"])
    assert client.post(url("risk_link_add", cyber), {"other": "OPS2"}).status_code == 302
    link = RiskLink.objects.get()
    # They do not edit OPS2, so cannot remove the link from there.
    assert client.post(url("risk_link_remove", control_room, link.pk)).status_code == 403
    assert client.post(url("risk_link_remove", cyber, link.pk)).status_code == 302


def test_a_link_of_another_risk_or_organisation_is_not_found(
    client, organisation, cyber, control_room, people
):
    third = RiskFactory(register=cyber.register, ref="CRR9", title="Third")
    link = link_add(risk=control_room, other=third)
    client.force_login(people["coordinator"])
    # The link exists, but not on CRR4.
    assert client.post(url("risk_link_remove", cyber, link.pk)).status_code == 404
    other = OrganisationFactory()
    outsider = person(other, Role.ADMIN, "Oscar Outsider")
    client.force_login(outsider)
    assert client.post(url("risk_link_add", cyber), {"other": "OPS2"}).status_code == 404
    assert client.post(url("risk_link_remove", control_room, link.pk)).status_code == 404
    assert RiskLink.objects.count() == 1


def test_gets_go_back_to_the_risk_page(client, cyber, control_room, people):
    link = link_add(risk=cyber, other=control_room)
    client.force_login(people["coordinator"])
    assert client.get(url("risk_link_add", cyber))["Location"].endswith("#links")
    assert client.get(url("risk_link_remove", cyber, link.pk))["Location"].endswith("#links")
    assert RiskLink.objects.count() == 1


def test_risk_page_query_count_does_not_grow_with_links(client, organisation, cyber, people):
    def grow(n, prefix):
        for i in range(n):
            other = RiskFactory(
                register=cyber.register, ref=f"{prefix}{i}", title=f"Other {prefix}{i}"
            )
            if i % 2:
                link_add(risk=cyber, other=other, note=f"note {prefix}{i}")
            else:
                link_add(risk=other, other=cyber, note=f"note {prefix}{i}")

    grow(3, "A")
    client.force_login(people["viewer"])
    target = url("risk", cyber)
    client.get(target)
    _, response = assert_same_queries(lambda: client.get(target), lambda: grow(27, "B"))
    page = response.content.decode()
    assert "Other B26" in page and "note B25" in page


def test_link_remove_service_writes_both_histories(cyber, control_room, people):
    link = link_add(risk=cyber, other=control_room, user=people["coordinator"])
    link_remove(link=link, user=people["coordinator"])
    for risk in (cyber, control_room):
        entries = [e for e in history.risk_history(risk) if e.subject == "Link"]
        assert [e.who for e in entries] == ["Cora Coordinator", "Cora Coordinator"]


@pytest.mark.parametrize("typed", ["crr 01", "  CRR   01 ", "crr-01"])
def test_a_ref_typed_with_spaces_finds_the_risk_saved_with_dashes(client, cyber, people, typed):
    saved = RiskFactory(register=cyber.register, ref="crr 01", title="Flood")
    assert saved.ref == "crr-01"  # as the rule saved it
    client.force_login(people["coordinator"])
    response = client.post(url("risk_link_add", cyber), {"other": typed})
    assert response.status_code == 302
    assert RiskLink.objects.get().to_risk == saved


def test_a_ref_the_rule_refuses_still_finds_an_older_risk_saved_under_it(client, cyber, people):
    older = RiskFactory(register=cyber.register, title="Saved before the rule")
    Risk.objects.filter(pk=older.pk).update(ref="OLD/7")
    spaced = RiskFactory(register=cyber.register, title="Also before the rule")
    Risk.objects.filter(pk=spaced.pk).update(ref="OLD 8")
    client.force_login(people["coordinator"])
    assert client.post(url("risk_link_add", cyber), {"other": "old/7"}).status_code == 302
    assert client.post(url("risk_link_add", cyber), {"other": "old 8"}).status_code == 302
    assert {link.to_risk_id for link in RiskLink.objects.all()} == {older.pk, spaced.pk}
    missing = client.post(url("risk_link_add", cyber), {"other": "no such/ref"})
    assert missing.status_code == 400
