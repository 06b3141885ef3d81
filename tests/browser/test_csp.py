"""The Content-Security-Policy as Chromium enforces it: the dashboard (heat maps with their
band-colour style attributes, htmx, GOV.UK Frontend's scripts) and the sign-in page load with no
violation, and a violation would be seen (the check is not blind)."""

import pytest

from registers.models import Register, Role
from tests.browser.conftest import sign_in
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script; records what the browser refused under the policy.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


def watch(page) -> list[str]:
    """Console messages about the policy; read together with window.__cspViolations."""
    console: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: console.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    return console


def violations(page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__cspViolations"), *console]


def test_dashboard_and_sign_in_load_with_no_csp_violation(page):
    organisation = OrganisationFactory(name="Example Police")
    top = Register.objects.get(organisation=organisation, slug="corporate")
    RiskFactory(register=top, ref="CRR1", title="Cyber attack", positions={"current": (4, 5)})
    RiskFactory(register=top, ref="CRR2", title="Flooding", positions={"current": (2, 2)})
    user = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    console = watch(page)

    page.goto("/login/")
    assert violations(page, console) == []
    sign_in(page, user.email)
    response = page.goto(f"/o/{organisation.slug}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator(".rr-heatmap__cell").count() > 0
    # GOV.UK Frontend's start-up script ran (a static file, not inline script).
    assert "govuk-frontend-supported" in page.evaluate("document.body.className")
    # The band colours set by style attributes apply (style-src-attr).
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.rr-heatmap__cell'))"
        ".getPropertyValue('--band-colour')"
    )
    assert colour.strip().startswith("#")
    assert violations(page, console) == []

    # The check sees a violation when there is one: inline script is refused.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.body.append(s); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in violations(page, console))
