"""Single sign-on in a real browser against the real local OpenID Connect provider: the sign-in
page sends an address of a covered domain to the provider, the person signs in on the
provider's own login page and comes back to riskreg. An organisation admin connects a provider
on the settings page (axe-clean, and usable 390 px wide)."""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts import services_sso
from accounts.models import SingleSignOnProvider
from accounts.sso import redirect_uri
from accounts.sso_sign_in import EMAIL_NOT_VERIFIED, NOT_INVITED
from registers.models import Invitation, Membership, Role
from registers.services.invitations import invitation_send
from tests.accounts import provider_flow
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("var/screenshots")


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Example Police", slug=f"ex-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def domain():
    return provider_flow.unique_domain()


@pytest.fixture
def connected(oidc_provider, organisation, domain, live_server):
    """The organisation connected to the local provider, with a client whose redirect URI is
    the live server's callback for the connection's key."""
    return provider_flow.connect(oidc_provider, organisation, domain=domain, origin=live_server.url)


def at_provider(oidc_provider, domain, name, **kw) -> str:
    email = f"{name}@{domain}"
    oidc_provider.add_user(email, provider_flow.PASSWORD, name=f"{name.title()} Example", **kw)
    return email


def through_the_provider(page, oidc_provider, email):
    """riskreg's sign-in page with the address, then the provider's own login page. Returns the
    response of riskreg's callback."""
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Continue").click()
    # The provider's own page, on its own origin.
    page.wait_for_url(lambda url: url.startswith(oidc_provider.issuer + "/"))
    assert urlsplit(page.url).path == "/accounts/login/"
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", provider_flow.PASSWORD)
    with page.expect_response(lambda r: "/login/callback/" in r.url) as callback:
        page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    return callback.value


def signed_in(page) -> bool:
    page.goto("/")
    return "/login/" not in page.url


def test_an_invited_person_signs_in_through_the_provider_and_lands_on_the_dashboard(
    page, organisation, connected, oidc_provider, domain, live_server
):
    email = at_provider(oidc_provider, domain, "ann")
    invitation = invitation_send(organisation=organisation, email=email, role=Role.OWNER).invitation

    callback = through_the_provider(page, oidc_provider, email)

    assert callback.status == 302
    expect(page).to_have_url(re.compile(rf"/o/{organisation.slug}/$"))
    expect(page.get_by_text("Example Police").first).to_be_visible()
    membership = Membership.objects.get(user__email=email, organisation=organisation)
    assert membership.role == Role.OWNER
    assert membership.user.full_name == "Ann Example"
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is not None
    assert signed_in(page)


def test_someone_never_invited_is_refused_with_a_clear_page(
    page, organisation, connected, oidc_provider, domain, caplog
):
    email = at_provider(oidc_provider, domain, "eve")

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        callback = through_the_provider(page, oidc_provider, email)

    assert callback.status == 403
    expect(page.get_by_role("heading", name="You cannot sign in this way")).to_be_visible()
    expect(
        page.get_by_text(NOT_INVITED.format(email=email, organisation="Example Police"))
    ).to_be_visible()
    assert axe_violations(page) == []
    assert not signed_in(page)
    assert not Membership.objects.filter(user__email=email).exists()
    assert any(
        f"single sign-on refused: provider={connected.key} organisation={organisation.slug} "
        "reason=not-invited" in record.getMessage()
        for record in caplog.records
    )


def test_an_existing_member_signs_in_through_the_provider(
    page, organisation, connected, oidc_provider, domain
):
    email = at_provider(oidc_provider, domain, "bob")
    MembershipFactory(organisation=organisation, role=Role.COORDINATOR, user__email=email)

    callback = through_the_provider(page, oidc_provider, email)

    assert callback.status == 302
    expect(page).to_have_url(re.compile(rf"/o/{organisation.slug}/$"))
    assert signed_in(page)


def test_an_address_the_provider_has_not_verified_is_refused(
    page, organisation, connected, oidc_provider, domain
):
    email = at_provider(oidc_provider, domain, "uma", email_verified=False)
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)

    callback = through_the_provider(page, oidc_provider, email)

    assert callback.status == 403
    expect(page.get_by_text(EMAIL_NOT_VERIFIED)).to_be_visible()
    assert not signed_in(page)


def test_an_admin_connects_a_provider_on_the_settings_page(page, organisation, browser):
    admin = MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__email="ada@example.org"
    ).user
    sign_in(page, admin.email)

    page.goto(f"/o/{organisation.slug}/members/")
    page.get_by_role("link", name="Single sign-on").click()
    expect(page.get_by_role("heading", name="Single sign-on", exact=True)).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Connect a sign-in service").click()
    page.get_by_label("Issuer URL").fill("https://login.microsoftonline.com/common/v2.0")
    page.get_by_label("Client id").fill("riskreg-app")
    page.get_by_label("Client secret").fill("a secret from Entra")
    page.get_by_label("E-mail domains").fill("police.example.gov.uk")
    page.get_by_role("button", name="Connect").click()
    # A problem is shown in the error summary and at the field; the secret is not typed back.
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Client secret")).to_have_value("")
    assert axe_violations(page) == []

    page.get_by_label("Issuer URL").fill(
        "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
    )
    page.get_by_label("Client secret").fill("a secret from Entra")
    page.get_by_label("Name (optional)").fill("Example Police Entra ID")
    page.get_by_label("No: only through the provider (single sign-on only)").check()
    page.get_by_role("button", name="Connect").click()

    expect(page.get_by_text("is connected to Example Police Entra ID")).to_be_visible()
    provider = SingleSignOnProvider.objects.get(organisation=organisation)
    expect(page.get_by_text(redirect_uri(provider))).to_be_visible()
    expect(page.get_by_text("Single sign-on only: people of these domains")).to_be_visible()
    assert "a secret from Entra" not in page.content()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Change Example Police Entra ID").click()
    expect(page.get_by_label("Client secret")).to_have_value("")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Remove Example Police Entra ID").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Remove connection").click()
    expect(page.get_by_text("no longer signs in with Example Police Entra ID")).to_be_visible()
    assert not SingleSignOnProvider.objects.exists()


def test_the_settings_pages_fit_a_phone(browser, live_server, organisation):
    """390 px wide: nothing wider than the screen (the redirect URI wraps), every page
    axe-clean. Screenshots land in var/screenshots/ for a person to look at."""
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    provider, _ = services_sso.sso_provider_add(
        organisation=organisation,
        issuer="https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        client_id="0b7c1f5e-5a4d-4d6c-9a55-123456789abc",
        client_secret="a secret from Entra",
        domains=["police.example.gov.uk", "schools.police.example.gov.uk"],
        name="Example Police Entra ID",
    )
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, admin.email)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        base = f"/o/{organisation.slug}/settings/single-sign-on/"
        for name, url in (
            ("list", base),
            ("add", base + "add/"),
            ("change", f"{base}{provider.pk}/"),
            ("remove", f"{base}{provider.pk}/remove/"),
        ):
            page.goto(url)
            page.screenshot(path=SCREENSHOTS / f"sso-{name}-390.png", full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{name} is {width} px wide"
            assert axe_violations(page) == [], name
    finally:
        context.close()
