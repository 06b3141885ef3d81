"""Error pages in the house style (issue 12): the service header, what happened in plain words,
where to go next, and no technical detail, for 400, 403, 404, 500 and a refused form (CSRF).
The 500 page renders with an empty context and runs no query, so it still works when the
database is what failed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import resolve, reverse
from django.utils.html import escape

from registers.models import Marking, Role
from registers.services.evidence import evidence_add
from registers.services.indicators import indicator_add
from registers.services.reviews import review_record
from registers.views.escalation import NOTHING_ABOVE
from registers.views.evidence import NOT_YOURS_TO_ADD, NOT_YOURS_TO_DELETE
from registers.views.evidence_context import REVIEWS_OFFERED
from registers.views.risk_common import NOT_CLEARED, NOT_YOUR_RISK, NOT_YOURS
from riskreg.refusals import (
    ASK_A_COORDINATOR,
    ASK_AN_ADMIN,
    ROLE_REFUSED,
    ROLE_REFUSED_ANYWHERE,
    role_refusal,
)
from tests.error_urls import BROKEN
from tests.factories import (
    ActionFactory,
    ControlFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db

TECHNICAL = (BROKEN, "Traceback", "CSRF", "Referer", "Forbidden", "DEBUG", "Django", "exception")


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.error_urls"


def assert_house_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    html = response.content.decode()
    assert 'class="rr-header"' in html  # the service's own header and layout
    assert "css/riskreg.css" in html
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in html
    assert 'href="/"' in html  # a way on: the person's organisations
    for word in TECHNICAL:
        assert word not in html, word
    return html


def test_400_bad_request(client, failing_urls):
    response = client.get("/test-errors/400/")
    html = assert_house_page(response, 400, "Sorry, that request could not be read")
    assert "Nothing was changed" in html


def test_400_for_an_unknown_host_name(client):
    response = client.get("/", HTTP_HOST="riskreg.attacker.example")
    assert_house_page(response, 400, "Sorry, that request could not be read")


def test_403_says_why_in_the_views_words(client):
    viewer = MembershipFactory(role=Role.VIEWER)
    client.force_login(viewer.user)
    response = client.get(f"/o/{viewer.organisation.slug}/members/")
    html = assert_house_page(response, 403, "You cannot do this")
    assert "Only an organisation admin manages members." in html
    assert "coordinator" in html  # who to ask


def test_403_without_a_reason(client, failing_urls):
    response = client.get("/test-errors/403/")
    assert_house_page(response, 403, "You cannot do this")


def test_404_unknown_address(client):
    response = client.get("/no-such-page/")
    html = assert_house_page(response, 404, "Page not found")
    assert "check it is correct" in html


def test_404_hides_the_views_message(client, failing_urls):
    response = client.get("/test-errors/404/")
    assert_house_page(response, 404, "Page not found")


def test_404_for_a_member_keeps_the_menu(client):
    membership = MembershipFactory(role=Role.COORDINATOR)
    client.force_login(membership.user)
    response = client.get("/o/no-such-organisation/")
    html = assert_house_page(response, 404, "Page not found")
    assert "Sign out" in html
    assert "not a member" in html  # organisations outside the person's own look like this


def test_500_renders_without_a_request(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html
    assert 'class="rr-header"' in html


def test_500_from_a_view_that_raises(failing_urls, django_assert_num_queries):
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/test-errors/500/")
    html = assert_house_page(response, 500, "Sorry, there is a problem with the service")
    assert "check whether it was saved" in html


def test_refused_form_csrf(organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(membership.user)
    response = client.post("/logout/", {"csrfmiddlewaretoken": "x" * 64})
    html = assert_house_page(response, 403, "Your form could not be sent")
    assert "Nothing was saved" in html
    assert "reload the page" in html


def test_403_for_someone_elses_risk_says_whose_it_is_not_the_role(client):
    """A risk owner may review their own risks: refused another's, they are told whose risk it
    is, not that their role does not include reviews and to ask their coordinator."""
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(register=corporate_register_of(owner.organisation), ref="R1")
    client.force_login(owner.user)
    response = client.get(reverse("risk_review", args=[owner.organisation.slug, risk.ref]))
    html = assert_house_page(response, 403, "You cannot do this")
    assert (
        escape(NOT_YOUR_RISK.format(register=risk.register.name, what="review this risk")) in html
    )
    assert "Your role" not in html


def test_403_for_a_viewer_still_says_it_is_the_role_and_whom_to_ask(client):
    viewer = MembershipFactory(role=Role.VIEWER)
    risk = RiskFactory(register=corporate_register_of(viewer.organisation), ref="R1")
    client.force_login(viewer.user)
    response = client.get(reverse("risk_review", args=[viewer.organisation.slug, risk.ref]))
    html = assert_house_page(response, 403, "You cannot do this")
    assert "Your role does not let you review this risk." in html
    name = viewer.organisation.display_name
    assert escape(ROLE_REFUSED.format(organisation=name)) in html
    assert escape(ASK_A_COORDINATOR.format(organisation=name)) in html


@pytest.mark.parametrize(
    "url",
    [
        "/o/{org}/settings/profile/",  # admins' settings pages
        "/o/{org}/members/",
        "/o/{org}/settings/categories/",
    ],
)
def test_403_for_a_coordinator_sends_them_to_an_admin_not_to_themselves(client, url):
    """A coordinator refused an admin's page was told to "ask your organisation's risk
    coordinator or admin": themselves. They are told to ask an admin of the organisation, and
    no admin is named (who holds the role is on no page a coordinator reads)."""
    coordinator = MembershipFactory(role=Role.COORDINATOR)
    organisation = coordinator.organisation
    admin = MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__full_name="Adaline Quorn"
    )
    client.force_login(coordinator.user)
    html = assert_house_page(
        client.get(url.format(org=organisation.slug)), 403, "You cannot do this"
    )
    name = organisation.display_name
    assert escape(ROLE_REFUSED.format(organisation=name)) in html
    assert escape(ASK_AN_ADMIN.format(organisation=name)) in html
    assert "risk coordinator" not in html
    assert admin.user.full_name not in html and admin.user.email not in html


def test_403_for_an_admin_sends_them_nowhere(rf):
    """An admin refused by role (nothing in the organisation is above them) is told the role,
    and not to ask themselves."""
    admin = MembershipFactory(role=Role.ADMIN)
    request = rf.get(f"/o/{admin.organisation.slug}/")
    request.user = admin.user
    request.resolver_match = resolve(request.path)
    assert role_refusal(request) == ROLE_REFUSED.format(
        organisation=admin.organisation.display_name
    )


def test_403_away_from_an_organisation_names_none(client, failing_urls):
    coordinator = MembershipFactory(role=Role.COORDINATOR)
    client.force_login(coordinator.user)
    html = assert_house_page(client.get("/test-errors/403/"), 403, "You cannot do this")
    assert escape(ROLE_REFUSED_ANYWHERE) in html
    assert escape(coordinator.organisation.display_name) not in html.split("</header>")[-1]


def assert_refused_for(response, reason: str) -> None:
    """A 403 that says ``reason`` alone: not the role, nor whom to ask about it."""
    html = assert_house_page(response, 403, "You cannot do this")
    assert escape(reason) in html
    assert "Your role" not in html


@pytest.mark.parametrize(
    ("name", "what"),
    [("control_edit", "change this control"), ("control_remove", "remove this control")],
)
def test_403_for_a_control_of_someone_elses_risk_says_whose_risk_it_is(client, name, what):
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(register=corporate_register_of(owner.organisation), ref="R1")
    control = ControlFactory(risk=risk)
    client.force_login(owner.user)
    response = client.get(reverse(name, args=[owner.organisation.slug, risk.ref, control.pk]))
    assert_refused_for(response, NOT_YOUR_RISK.format(register=risk.register.name, what=what))


@pytest.mark.parametrize("name", ["control_add", "action_add"])
def test_403_for_adding_to_someone_elses_risk_says_whose_risk_it_is(client, name):
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(register=corporate_register_of(owner.organisation), ref="R1")
    client.force_login(owner.user)
    response = client.get(reverse(name, args=[owner.organisation.slug, risk.ref]))
    noun = name.removesuffix("_add")
    what = f"add {noun}s to this risk"
    assert_refused_for(response, NOT_YOUR_RISK.format(register=risk.register.name, what=what))


def test_403_for_someone_elses_action_names_the_actions_owner_too(client):
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(register=corporate_register_of(owner.organisation), ref="R1")
    action = ActionFactory(risk=risk)
    client.force_login(owner.user)
    args = [owner.organisation.slug, risk.ref, action.pk]
    reason = NOT_YOURS.format(noun="action", register=risk.register.name, what="update this action")
    assert_refused_for(client.get(reverse("action_edit", args=args)), reason)
    assert_refused_for(client.post(reverse("action_complete", args=args), {"version": 1}), reason)


def test_403_for_an_uncleared_owner_of_an_action_of_a_sensitive_risk_says_so(client):
    """Decision 116: owning the action does not clear them for the risk; the page says that,
    not that their role does not let them, and shows none of the action's text."""
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(
        register=corporate_register_of(owner.organisation),
        ref="S1",
        marking=Marking.OFFICIAL_SENSITIVE,
    )
    action = ActionFactory(risk=risk, owner=owner.user, description="Move the secret servers")
    client.force_login(owner.user)
    args = [owner.organisation.slug, risk.ref, action.pk]
    for response in (
        client.get(reverse("action_edit", args=args)),
        client.post(reverse("action_complete", args=args), {"version": 1}),
        client.get(reverse("action", args=args)),
    ):
        assert_refused_for(response, NOT_CLEARED)
        assert "secret servers" not in response.content.decode()


def test_403_for_a_viewer_on_an_action_still_says_it_is_the_role(client):
    viewer = MembershipFactory(role=Role.VIEWER, sensitive_access=True)
    risk = RiskFactory(register=corporate_register_of(viewer.organisation), ref="R1")
    action = ActionFactory(risk=risk, owner=viewer.user)
    client.force_login(viewer.user)
    response = client.get(
        reverse("action_edit", args=[viewer.organisation.slug, risk.ref, action.pk])
    )
    html = assert_house_page(response, 403, "You cannot do this")
    assert "Your role does not let you update this action." in html


def test_403_for_escalating_from_a_top_level_register_says_there_is_nowhere_to_go(client):
    """The risk is theirs and their role may escalate: there is no register above it."""
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(
        register=corporate_register_of(owner.organisation), ref="R1", owner=owner.user
    )
    client.force_login(owner.user)
    response = client.get(reverse("risk_escalate", args=[owner.organisation.slug, risk.ref]))
    assert_refused_for(response, NOTHING_ABOVE.format(register=risk.register.name))


def test_403_for_escalating_someone_elses_risk_says_whose_risk_it_is(client):
    owner = MembershipFactory(role=Role.OWNER)
    register = RegisterFactory(organisation=owner.organisation)
    risk = RiskFactory(register=register, ref="R1")
    client.force_login(owner.user)
    response = client.get(reverse("risk_escalate", args=[owner.organisation.slug, risk.ref]))
    assert_refused_for(
        response, NOT_YOUR_RISK.format(register=register.name, what="escalate this risk")
    )


def _indicator(risk, *, owner):
    coordinator = MembershipFactory(organisation=risk.organisation, role=Role.COORDINATOR)
    return indicator_add(
        user=coordinator.user,
        risk=risk,
        name="Secret servers exposed",
        amber_from=1,
        red_from=2,
        owner=owner,
    )


def test_403_for_a_reading_of_someone_elses_indicator_names_the_indicators_owner_too(client):
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(register=corporate_register_of(owner.organisation), ref="R1")
    indicator = _indicator(risk, owner=None)
    client.force_login(owner.user)
    url = reverse("reading_add", args=[owner.organisation.slug, risk.ref, indicator.pk])
    reason = NOT_YOURS.format(
        noun="indicator", register=risk.register.name, what="record readings of this indicator"
    )
    assert_refused_for(client.post(url, {"value": "3"}), reason)


def test_403_for_an_uncleared_member_on_a_sensitive_risks_indicator_or_comments_says_so(client):
    """An indicator's owner (decision 116), or any risk owner, not cleared for the risk: the
    page says it is OFFICIAL-SENSITIVE and who can clear them, not that their role does not."""
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(
        register=corporate_register_of(owner.organisation),
        ref="S1",
        marking=Marking.OFFICIAL_SENSITIVE,
    )
    indicator = _indicator(risk, owner=owner.user)
    client.force_login(owner.user)
    slug = owner.organisation.slug
    for response in (
        client.post(reverse("reading_add", args=[slug, risk.ref, indicator.pk]), {"value": "3"}),
        client.get(reverse("indicator_add", args=[slug, risk.ref])),
        client.post(reverse("comment_add", args=[slug, risk.ref]), {"body": "Hello"}),
    ):
        assert_refused_for(response, NOT_CLEARED)
        assert "Secret servers" not in response.content.decode()


# --- assurance evidence ------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _evidence(risk, **target):
    admin = MembershipFactory(organisation=risk.organisation, role=Role.ADMIN)
    upload = SimpleUploadedFile("secret-audit.pdf", PDF, content_type="application/pdf")
    return evidence_add(risk=risk, user=admin.user, upload=upload, **target)


def test_403_for_an_uncleared_member_on_a_sensitive_risks_evidence_says_so(client):
    """Adding, downloading or deleting the evidence of an OFFICIAL-SENSITIVE risk, not cleared
    for it (an action's owner too, decision 116): the page says it is OFFICIAL-SENSITIVE and
    who can clear them, not that their role does not let them."""
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(
        register=corporate_register_of(owner.organisation),
        ref="S1",
        marking=Marking.OFFICIAL_SENSITIVE,
    )
    ActionFactory(risk=risk, owner=owner.user)
    evidence = _evidence(risk)
    client.force_login(owner.user)
    slug = owner.organisation.slug
    add = reverse("evidence_add", args=[slug, risk.ref])
    for response in (
        client.get(add, HTTP_HX_REQUEST="true"),
        client.post(add, {"attach_to": "risk"}),
        client.get(reverse("evidence_download", args=[slug, risk.ref, evidence.pk])),
        client.post(reverse("evidence_delete", args=[slug, risk.ref, evidence.pk])),
    ):
        assert_refused_for(response, NOT_CLEARED)
        assert "secret-audit" not in response.content.decode()


def test_403_for_adding_evidence_to_someone_elses_risk_says_who_may(client):
    """A risk owner with no action or review of this risk: their role adds evidence, this risk
    offers them nothing to add it to. The page names who may (an action's owner, a review's
    author too), not their role."""
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(register=corporate_register_of(owner.organisation), ref="R1")
    client.force_login(owner.user)
    url = reverse("evidence_add", args=[owner.organisation.slug, risk.ref])
    reason = NOT_YOURS_TO_ADD.format(register=risk.register.name, reviews=REVIEWS_OFFERED)
    assert "the owner of one of its actions" in reason
    assert_refused_for(client.get(url, HTTP_HX_REQUEST="true"), reason)
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    assert_refused_for(client.post(url, {"file": upload, "attach_to": "risk"}), reason)


def test_403_for_deleting_someone_elses_evidence_says_whose_it_is(client):
    """Evidence on the risk, on an action, on a review: a risk owner who neither edits the risk
    nor uploaded it there is told who may delete it, not that their role does not let them."""
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(register=corporate_register_of(owner.organisation), ref="R1")
    admin = MembershipFactory(organisation=owner.organisation, role=Role.ADMIN)
    review = review_record(
        risk=risk, user=admin.user, expected_version=risk.version, note="Looked at it"
    )
    risk.refresh_from_db()
    register = risk.register.name
    cases = [
        (_evidence(risk), NOT_YOUR_RISK.format(register=register, what="delete this evidence")),
        (
            _evidence(risk, action=ActionFactory(risk=risk)),
            NOT_YOURS_TO_DELETE["action"].format(register=register),
        ),
        (_evidence(risk, review=review), NOT_YOURS_TO_DELETE["review"].format(register=register)),
    ]
    client.force_login(owner.user)
    for evidence, reason in cases:
        url = reverse("evidence_delete", args=[owner.organisation.slug, risk.ref, evidence.pk])
        assert_refused_for(client.get(url), reason)
        assert_refused_for(client.post(url, {"reason": "mine now"}), reason)
        evidence.refresh_from_db()
        assert evidence.deleted_at is None


def test_403_for_a_viewer_on_evidence_still_says_it_is_the_role(client):
    viewer = MembershipFactory(role=Role.VIEWER)
    risk = RiskFactory(register=corporate_register_of(viewer.organisation), ref="R1")
    evidence = _evidence(risk)
    client.force_login(viewer.user)
    slug = viewer.organisation.slug
    for response, what in (
        (client.post(reverse("evidence_add", args=[slug, risk.ref])), "add evidence to this risk"),
        (
            client.post(reverse("evidence_delete", args=[slug, risk.ref, evidence.pk])),
            "delete this evidence",
        ),
    ):
        html = assert_house_page(response, 403, "You cannot do this")
        assert f"Your role does not let you {what}." in html
