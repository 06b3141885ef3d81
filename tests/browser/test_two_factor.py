"""Two-factor sign-in in a browser: an organisation requires everyone to use it; a member signs in
with their password, is held on the setup page, sets up an authenticator app (the test reads the
key from the page and works out the app's codes, RFC 6238), keeps their recovery codes and reaches
the dashboard; signing in again asks for the code, refuses a wrong one and lets a right one in.
The pages on the way, and the admin's settings and reset pages, pass axe-core."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from accounts.mfa_adapter import INCORRECT_CODE
from registers.models import Organisation, Role, SecondFactorRule
from tests.accounts.totp import code_now, wrong_code
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def require_everyone(organisation) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(
        second_factor_required=SecondFactorRule.EVERYONE
    )


def test_a_member_sets_up_an_authenticator_app_and_signs_in_with_it(page):
    organisation = OrganisationFactory(name="Example Constabulary", slug="example")
    require_everyone(organisation)
    person = MembershipFactory(
        organisation=organisation, role=Role.VIEWER, user__full_name="Val Viewer"
    ).user
    dashboard = f"/o/{organisation.slug}/"

    sign_in(page, person.email)
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/$"))
    expect(page.get_by_text("Your organisation requires a second step")).to_be_visible()
    assert axe_violations(page) == []
    # Nothing else opens until it is set up.
    page.goto(dashboard)
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/$"))

    page.get_by_role("link", name="Set up an authenticator app").click()
    # allauth asks for the password again before a change to how one signs in.
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    qr = page.get_by_role("img", name=re.compile("QR code that adds riskreg"))
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert axe_violations(page) == []
    # The QR code's text alternative: the key, in view, to copy or type into the app; and for
    # the phone showing the page (which cannot scan itself) a link opening the app with it.
    key = page.locator("#authenticator_secret")
    expect(key).to_be_visible()
    secret = key.inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    link = page.get_by_role("link", name="Open in your authenticator app")
    expect(link).to_be_visible()
    assert link.get_attribute("href").startswith("otpauth://totp/")
    assert f"secret={secret}&" in link.get_attribute("href")
    key.click()  # one tap selects the whole key, which copies without the spaces between groups
    assert page.evaluate("window.getSelection().toString()") == secret
    page.get_by_label("Code").fill(code_now(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()
    codes = page.locator("#recovery_codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"\d{8}", code) for code in codes)
    assert axe_violations(page) == []
    page.get_by_role("button", name="I have kept them: continue").click()
    expect(page).to_have_url(re.compile(rf"{dashboard}$"))
    expect(page.get_by_role("heading", name="Example Constabulary")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    # No security key: the page offers none.
    expect(page.get_by_role("button", name="Use a security key or passkey")).to_have_count(0)
    assert axe_violations(page) == []
    page.get_by_label("Code").fill(wrong_code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-message")).to_contain_text(INCORRECT_CODE)
    assert axe_violations(page) == []
    page.get_by_label("Code").fill(code_now(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"{dashboard}$"))


def test_the_admin_requires_it_and_resets_a_members_second_factor(page):
    organisation = OrganisationFactory(name="Example Council", slug="council")
    admin = MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__full_name="Ada Admin"
    ).user
    membership = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Olly Owner"
    )
    Authenticator.objects.create(
        user=membership.user, type=Authenticator.Type.TOTP, data={"secret": "A" * 32}
    )
    sign_in(page, admin.email)
    # The admin has one too (added once signed in, so sign-in asks for no code): the rule they
    # choose holds them from their next page on (decision 104).
    Authenticator.objects.create(
        user=admin, type=Authenticator.Type.TOTP, data={"secret": "B" * 32}
    )

    page.goto(f"/o/{organisation.slug}/members/")
    page.get_by_role("link", name="Change who must use two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Admins and risk coordinators").check()
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("Admins and risk coordinators must use two-factor sign-in").first
    ).to_be_visible()

    page.get_by_role("link", name="Change Olly Owner").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Reset two-factor sign-in of Olly Owner").click()
    expect(
        page.get_by_role("heading", name="Reset Olly Owner's two-factor sign-in?")
    ).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Reset two-factor sign-in").click()
    expect(page.get_by_text("Olly Owner's two-factor sign-in was reset")).to_be_visible()
    assert not Authenticator.objects.filter(user=membership.user).exists()


def test_a_security_key_is_added_used_to_sign_in_and_removed(page):
    """Chromium's virtual authenticator (DevTools protocol) stands in for a USB key."""
    organisation = OrganisationFactory(name="Example University", slug="uni")
    person = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, user__full_name="Cora Coordinator"
    ).user
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    sign_in(page, person.email)

    page.goto("/accounts/2fa/")
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Add a security key or passkey").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Add a security key or passkey")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Name for this key").fill("Blue key")
    page.get_by_role("button", name="Add the key").click()
    expect(page.get_by_text("Security key added")).to_be_visible()
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.WEBAUTHN).count() == 1

    # The first factor comes with recovery codes, shown next.
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.goto("/accounts/2fa/")
    page.get_by_role("link", name="Manage security keys and passkeys").click()
    expect(page.get_by_role("rowheader", name="Blue key")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Sign out").click()
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # No authenticator app: the key first, a recovery code as the way round.
    expect(page.get_by_role("heading", name="Use your security key or passkey")).to_be_visible()
    expect(page.get_by_label("Recovery code")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Use a security key or passkey").click()
    expect(page).to_have_url(re.compile(rf"/o/{organisation.slug}/$"))

    page.goto("/accounts/2fa/webauthn/")
    page.get_by_role("link", name="Remove Blue key").click()
    # Asked again before the change: by password, or by the key itself.
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name=re.compile("security key", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Use your security key or passkey").click()
    expect(page.get_by_role("heading", name='Remove "Blue key"?')).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Remove the key").click()
    expect(page.get_by_text("Security key removed")).to_be_visible()
    assert not Authenticator.objects.filter(user=person).exists()
