"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

Use the ``page`` fixture (a fresh browser context per test, base URL set to the live server),
``sign_in(page, email)`` and ``axe_violations(page)``. Mark tests ``@pytest.mark.browser``.
"""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD
from tests.oidc_provider.fixtures import oidc_provider  # noqa: F401  single sign-on journeys

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("RISKREG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs it (apt chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """The sign-in page's two steps: the e-mail address, then the password."""
    page.goto("/login/")
    page.fill("#id_login", email)
    page.click("button[type=submit]")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored) on the current page; return violations of the given impacts."""
    # Evaluated through the DevTools protocol, not added as an inline <script>: the
    # Content-Security-Policy (script-src 'self') rightly blocks inline script on our pages.
    # A click that navigates returns before the new page has loaded: axe then runs on a document
    # being replaced ("Cannot read properties of null (reading 'documentElement')", or the
    # execution context destroyed). Wait for the page to load and run it again on the new one.
    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            page.evaluate(AXE_JS)
            result = page.evaluate(
                "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
            )
            break
        except PlaywrightError as error:
            navigated = "documentElement" in str(error) or "context was destroyed" in str(error)
            if not navigated or attempt == 2:
                raise
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]
