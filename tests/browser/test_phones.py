"""On a phone (390 x 844, an iPhone 12 to 15) no page scrolls sideways: wide tables become cards
or scroll inside their own box (a line above saying so), and heat maps fit. Checked on the seeded demo organisations, whose
long titles, letter notations and 6 x 6 schemes are what real registers look like.

Set RISKREG_SCREENSHOTS=DIR to keep a full-page screenshot of every page at 390 and 1280 wide.
"""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from playwright.sync_api import expect

from api.services import api_token_create
from demo.seeding import demo_password, seed_demo
from registers.models import Membership, Organisation, Risk
from registers.models.evidence import Evidence
from registers.permissions import CLEARABLE_ROLES
from registers.services.review_submissions import review_submit
from scoring.definition import parse_scheme
from scoring.services import scheme_save
from tests.browser.conftest import AXE_JS, axe_violations, sign_in
from tests.browser.test_packs import ready_pack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = os.environ.get("RISKREG_SCREENSHOTS")

# How wide the page is, and the outermost elements sticking out of the viewport (to say why).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const culprits = [];
  for (const element of document.querySelectorAll('body *')) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      let scrolls = false;
      for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
        const overflow = getComputedStyle(parent).overflowX;
        if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') {
          scrolls = true;
          break;
        }
      }
      const outer = element.parentElement.getBoundingClientRect().right <= width + 1;
      if (!scrolls && outer) {
        culprits.push(element.tagName.toLowerCase() + '.' + [...element.classList].join('.')
          + ' right=' + Math.round(box.right));
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, culprits: culprits.slice(0, 5)};
}"""


def pages_of(slug: str) -> dict[str, str]:
    organisation = Organisation.objects.get(slug=slug)
    top = organisation.registers.filter(parent=None).order_by("pk").first()
    risk = (
        Risk.objects.filter(organisation=organisation, status="open")
        .exclude(controls=None)
        .order_by("pk")
        .first()
    )
    # Key risk indicators (issue 18): the register's column, and a risk page with indicators.
    measured = (
        Risk.objects.filter(organisation=organisation, status="open")
        .exclude(indicators=None)
        .order_by("pk")
        .first()
    )
    extra = {}
    if measured is not None:
        extra = {
            "register with indicators": f"/o/{slug}/registers/{top.slug}/?indicators=shown",
            "risk page with indicators": f"/o/{slug}/risks/{measured.ref}/",
            "indicator edit form": f"/o/{slug}/risks/{measured.ref}/indicators/"
            f"{measured.indicators.first().pk}/edit/",
        }
    # Assurance evidence (issue 18): ESPO's demo evidence, its risk page and delete page.
    evidenced = (
        Evidence.objects.filter(organisation=organisation, deleted_at=None)
        .select_related("risk")
        .order_by("pk")
        .first()
    )
    if evidenced is not None:
        on = f"/o/{slug}/risks/{evidenced.risk.ref}/"
        extra |= {
            "risk page with evidence": on,
            "evidence delete confirmation": f"{on}evidence/{evidenced.pk}/delete/",
        }
    # API tokens (issue 19): the admin's own and the organisation's lists, each with a token.
    admin = get_user_model().objects.filter(email=f"admin@{slug}.demo").first()
    if admin is not None:
        if not admin.api_tokens.exists():
            api_token_create(
                user=admin, name="Power BI board dashboard", organisations=[organisation]
            )
        extra |= {
            "API tokens": "/accounts/you/tokens/",
            "API tokens of the organisation": f"/o/{slug}/settings/api-tokens/",
        }
        # A member's page with the clearance form, for the longest name: its fieldsets' legends
        # are visually hidden, and a hidden legend drawn at its text's width (669 px for ESPO's
        # "Clearance of Assistant Director – Operations for OFFICIAL-SENSITIVE detail")
        # scrolled the page sideways.
        cleared = max(
            Membership.objects.filter(organisation=organisation, role__in=CLEARABLE_ROLES)
            .select_related("user")
            .order_by("pk"),
            key=lambda membership: len(membership.user.full_name),
            default=None,
        )
        if cleared is not None:
            extra["member page"] = f"/o/{slug}/members/{cleared.pk}/"
    return extra | {
        "dashboard": f"/o/{slug}/",
        "register": f"/o/{slug}/registers/{top.slug}/",
        "register with registers below": f"/o/{slug}/registers/{top.slug}/?rollup=1",
        # Both columns more (Register and Indicators; Aberdeen's registers have registers below).
        "register with registers below and indicators": f"/o/{slug}/registers/{top.slug}/"
        "?rollup=1&indicators=shown",
        "register with quarter trends": f"/o/{slug}/registers/{top.slug}/?trend=quarters",
        "risk page": f"/o/{slug}/risks/{risk.ref}/",
        "risk history": f"/o/{slug}/risks/{risk.ref}/history/",
        "My work": f"/o/{slug}/my-work/",
        "quick update": f"/o/{slug}/my-update/?all=1",
        "Reports": f"/o/{slug}/reports/",
        "members": f"/o/{slug}/members/",
        "movement": f"/o/{slug}/movement/",
        "reviews": f"/o/{slug}/reviews/",
        "appetite": f"/o/{slug}/appetite/",
        "organisations": "/",
    }


def too_wide(page, pages: dict[str, str], *, label: str) -> dict[str, dict]:
    found = {}
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, (name, url, response.status)
        if SCREENSHOTS:
            folder = Path(SCREENSHOTS)
            folder.mkdir(parents=True, exist_ok=True)
            width = page.viewport_size["width"]
            file = f"{label}-{name.replace(' ', '-')}-{width}.png"
            page.screenshot(path=str(folder / file), full_page=True)
        measured = page.evaluate(OVERFLOW)
        if measured["scrollWidth"] > page.viewport_size["width"]:
            found[name] = measured
        # Cards and boxes that scroll must stay accessible (labels, contrast, scroll by keyboard).
        if violations := axe_violations(page):
            found[name] = {"scrollWidth": measured["scrollWidth"], "culprits": violations}
    return found


def report(found: dict[str, dict]) -> str:
    return "pages wider than the window, or failing axe there:\n" + "\n".join(
        f"{name}: {measured['scrollWidth']}px, {measured['culprits']}"
        for name, measured in found.items()
    )


@pytest.mark.parametrize(
    ("slug", "email"),
    [("met", "admin@met.demo"), ("aberdeen", "admin@aberdeen.demo"), ("espo", "admin@espo.demo")],
)
def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, slug, email):
    seed_demo(slugs=(slug,))
    pages = pages_of(slug)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, email, demo_password())
        found = too_wide(page, pages, label=slug)
        assert not found, report(found)
        if SCREENSHOTS:
            page.set_viewport_size(DESKTOP)
            too_wide(page, pages, label=slug)
    finally:
        context.close()


WIDE_REGISTERS = (
    "register with indicators",
    "register with registers below",
    "register with registers below and indicators",
)


@pytest.mark.parametrize("slug", ["mopac", "met", "wmp", "aberdeen", "espo"])
def test_the_register_with_columns_more_fits_1280(browser, live_server, slug):
    """At 1280 the register with a column more (Indicators, Register) or both keeps the page's
    width: its columns closer and its text GOV.UK's small size (riskreg.css). GOV.UK's spacing
    scrolled the page sideways by 9 to 22 px with one column more; with both, Aberdeen's long
    job titles by 46 even 10 px apart, and MOPAC's long rating names ("M v M (Medium)", twice a
    row) by 16 with Indicators alone."""
    seed_demo(slugs=(slug,))
    pages = pages_of(slug)
    top = Organisation.objects.get(slug=slug).registers.filter(parent=None).order_by("pk").first()
    pages.setdefault(
        "register with indicators", f"/o/{slug}/registers/{top.slug}/?indicators=shown"
    )
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, f"admin@{slug}.demo", demo_password())
        found = too_wide(page, {name: pages[name] for name in WIDE_REGISTERS}, label=slug)
        assert not found, report(found)
    finally:
        context.close()


def test_a_panel_members_reports_fit_a_phone(browser, live_server):
    seed_demo(slugs=("mopac", "met"))
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "joint.panel@audit.demo", demo_password())
        pages = {"Your reports": "/reports/", "Reports": "/o/met/reports/", "register": ""}
        pages["register"] = pages_of("met")["register"]
        found = too_wide(page, pages, label="joint-panel")
        assert not found, report(found)
    finally:
        context.close()


def test_the_choice_between_two_tabs_changes_fits_a_phone(browser, live_server):
    """The page that asks whose change to keep when two tabs changed the same fields: each
    row's Keep radios sit in a fieldset whose legend is visually hidden ("Whose review period
    override (months) to keep"), and a hidden legend drawn at its text's width scrolled the
    page sideways."""
    seed_demo(slugs=("espo",))
    organisation = Organisation.objects.get(slug="espo")
    risk = Risk.objects.filter(organisation=organisation, status="open").order_by("pk").first()
    edit = f"/o/espo/risks/{risk.ref}/edit/"
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        first = context.new_page()
        sign_in(first, "admin@espo.demo", demo_password())
        second = context.new_page()
        first.goto(edit)
        second.goto(edit)
        for tab, months in ((first, "7"), (second, "11")):
            tab.get_by_label("Title", exact=True).fill(f"{risk.title}, as tab {months} saw it")
            tab.get_by_label("Review period override (months)").fill(months)
            tab.get_by_role("button", name="Save changes").click()
        expect(second.locator("#conflict-choices")).to_be_visible()
        if SCREENSHOTS:
            second.screenshot(path=str(Path(SCREENSHOTS) / "espo-conflict-390.png"), full_page=True)
        measured = second.evaluate(OVERFLOW)
        violations = axe_violations(second)
        assert measured["scrollWidth"] <= PHONE["width"] and not violations, report(
            {"conflict": measured | ({"culprits": violations} if violations else {})}
        )
    finally:
        context.close()


# Each visible grid of a form: its box's width and its content's, and the chips wider than their
# cell (a band name cut).
GRIDS = """() => [...document.querySelectorAll('.rr-grid-box:not([hidden])')].map(box => ({
  id: box.id,
  box: box.clientWidth,
  // On a phone the table scrolls, not its box (risk-form.css).
  content: Math.max(box.scrollWidth, box.querySelector('table').scrollWidth),
  // A chip wider than its cell, or its text wider than the chip.
  cut: [...box.querySelectorAll('.rr-grid__chip')]
    .filter(chip => chip.getBoundingClientRect().width > chip.parentElement.clientWidth
      || chip.scrollWidth > chip.clientWidth + 1)
    .map(chip => chip.textContent),
}))"""


def test_the_review_forms_grid_fits_a_phone(browser, live_server):
    """ESPO's 5 x 5 grid in the review form's inset (320 px at 390) without scrolling in its
    box: it was 342 px, its "Very high" column cut. Its likelihood names wrap, its cells are
    narrower, and every band name still fits its chip; the risk form's grids too."""
    seed_demo(slugs=("espo",))
    risk = Risk.objects.filter(organisation__slug="espo", status="open").order_by("pk").first()
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "admin@espo.demo", demo_password())
        for url in (f"/o/espo/risks/{risk.ref}/review/", f"/o/espo/risks/{risk.ref}/edit/"):
            page.goto(url)
            grids = page.evaluate(GRIDS)
            assert grids, url
            for grid in grids:
                assert grid["content"] <= grid["box"] and not grid["cut"], (url, grid)
    finally:
        context.close()


# The first visible grid: its box and table (width shown, width drawn), where its caption and
# chosen cell end, and the line above saying it scrolls, if shown.
SIX_GRID = """() => {
  const box = document.querySelector('.rr-grid-box:not([hidden])');
  const table = box.querySelector('table');
  const hint = box.querySelector('.rr-scroll-hint:not([hidden])');
  const right = element => Math.round(element.getBoundingClientRect().right);
  return {
    right: right(box),
    box: [box.clientWidth, box.scrollWidth],
    table: [table.clientWidth, table.scrollWidth],
    caption: right(table.querySelector('caption')),
    chosen: right(box.querySelector('[aria-pressed="true"]')),
    hint: hint ? hint.textContent : null,
  };
}"""


def test_a_six_level_grid_fits_a_phone_and_its_cells_are_named_as_they_read(browser, live_server):
    """Aberdeen's 6 x 6 grid scrolled in the review form's inset at 390 (383 px in 320) with
    nothing to say so: its impact-6 column and the chosen cell ("✓ 10 Averse") cut, its caption
    cut mid-word ("Choose the current likelihood and i"). Now it fits (the likelihood names out
    of sight as the impact names, narrower cells); on a 320 px phone, where it cannot, the table
    scrolls under its whole caption and a line says so. Each cell's name ended "10 (Averse)"
    while it reads "10 Averse": axe's label-content-name-mismatch (WCAG 2.5.3, serious)."""
    seed_demo(slugs=("aberdeen",))
    risk = Risk.objects.get(organisation__slug="aberdeen", ref="BS02")
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "admin@aberdeen.demo", demo_password())
        page.goto(f"/o/aberdeen/risks/{risk.ref}/review/")
        page.evaluate(AXE_JS)
        result = page.evaluate(
            "async () => await axe.run(document, "
            "{runOnly: {type: 'rule', values: ['label-content-name-mismatch']}})"
        )
        assert result["violations"] == [], [
            (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
        ]
        cell = page.locator("#current-grid [aria-pressed='true']")
        expect(cell).to_have_attribute(
            "aria-label", "Likelihood 2 Unlikely, impact 5 Major: 10 Averse"
        )
        for url in (f"/o/aberdeen/risks/{risk.ref}/review/", f"/o/aberdeen/risks/{risk.ref}/edit/"):
            page.goto(url)
            grid = page.evaluate(SIX_GRID)
            fits = grid["box"][1] <= grid["box"][0] and grid["table"][1] <= grid["table"][0]
            assert fits and grid["hint"] is None, (url, grid)
            assert grid["chosen"] <= grid["right"] and grid["caption"] <= grid["right"], (url, grid)
        # The narrowest phone: too narrow for six columns, it scrolls and says so.
        page.set_viewport_size({"width": 320, "height": 700})
        page.goto(f"/o/aberdeen/risks/{risk.ref}/review/")
        grid = page.evaluate(SIX_GRID)
        assert grid["table"][1] > grid["table"][0], grid
        assert grid["hint"] == "Scroll the grid sideways to see all its columns.", grid
        assert grid["caption"] <= grid["right"], grid
    finally:
        context.close()


# The first visible grid's impact columns (their headers) and its cells' widths.
GRID_COLUMNS = """() => {
  const table = document.querySelector('.rr-grid-box:not([hidden]) table');
  const width = element => Math.round(element.getBoundingClientRect().width * 10) / 10;
  return {
    columns: [...table.querySelectorAll('tfoot th')].map(width),
    cells: [...table.querySelectorAll('tbody tr:first-child .rr-grid__cell')].map(width),
  };
}"""

LONG_LIKELIHOOD = (
    "Exceptionally rare",
    "Unlikely to happen",
    "Reasonably possible",
    "Probable",
    "Highly probable",
    "Almost certain to happen",
)
LONG_IMPACT = (
    "Negligible",
    "Noticeable",
    "Considerable",
    "Highly significant",
    "Extraordinarily significant",
    "Catastrophic",
)


def long_named_scheme(organisation) -> None:
    """A new version of the organisation's scheme, 6 x 6, whose level and band names are
    longer than any demo scheme's (an organisation names its own)."""
    scheme = organisation.schemes.get(is_default=True)
    bands = (
        ("Acceptable", "#00703c", 1, 4),
        ("Tolerable with monitoring", "#ffdd00", 5, 12),
        ("Substantial", "#f47738", 13, 24),
        ("Intolerable", "#d4351c", 25, 36),
    )
    definition = {
        "name": scheme.name,
        "method": "product",
        "notation": "score",
        "likelihood": [
            {"value": value, "label": label, "code": f"L{value}"}
            for value, label in enumerate(LONG_LIKELIHOOD, start=1)
        ],
        "impact": [
            {"value": value, "label": label, "code": f"I{value}"}
            for value, label in enumerate(LONG_IMPACT, start=1)
        ],
        "bands": [
            {"name": name, "colour": colour, "min": low, "max": high}
            for name, colour, low, high in bands
        ],
    }
    scheme_save(organisation=organisation, definition=parse_scheme(definition), name=scheme.name)


def submitted_update(organisation, ref: str, *, current: tuple[int, int]) -> str:
    """The organisation admin's update of the risk, awaiting sign-off: its sign-off page."""
    user = get_user_model().objects.get(email=f"admin@{organisation.slug}.demo")
    scheme = organisation.schemes.get(is_default=True).current_version.parsed
    with transaction.atomic():
        risk = Risk.objects.select_for_update().get(organisation=organisation, ref=ref)
        review = review_submit(
            risk=risk,
            user=user,
            scheme=scheme,
            positions={"current": current},
            reviewed_on=dt.date(2026, 12, 7),
        )
    return f"/o/{organisation.slug}/risks/{ref}/sign-off/{review.pk}/"


def test_a_grids_columns_are_even_and_fit_a_phone_whatever_the_schemes_names(browser, live_server):
    """Aberdeen's impact 4, "Highly Significant", drew its column 123 px wide at 1280 where
    the others are 76: a gap before column 5. And a six-level grid fitted 390 px only because
    Aberdeen's names are short: a scheme's own longer names ("Extraordinarily significant",
    a band "Tolerable with monitoring") scrolled the grid and ran out of their chips. Every
    impact column is now as wide as its cells, and long names wrap or break. At 320 px the
    grid scrolled the page too, not only itself: its out-of-sight names of the columns beyond
    the screen, and the rating's badge ("12 (Tolerable with monitoring)", kept to one line) on
    the review and sign-off pages."""
    seed_demo(slugs=("aberdeen",))
    organisation = Organisation.objects.get(slug="aberdeen")
    review = "/o/aberdeen/risks/BS02/review/"
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)

    def even(grid: dict) -> bool:
        widths = grid["columns"] + grid["cells"]
        return max(widths) - min(widths) <= 2

    try:
        page = context.new_page()
        sign_in(page, "admin@aberdeen.demo", demo_password())
        page.goto(review)
        grid = page.evaluate(GRID_COLUMNS)
        assert even(grid), grid
        long_named_scheme(organisation)
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            page.goto(review)
            grid = page.evaluate(GRID_COLUMNS)
            shown = page.evaluate(GRIDS)
            assert even(grid), (viewport, grid)
            for box in shown:
                assert box["content"] <= box["box"] and not box["cut"], (viewport, box)
            assert page.locator(".rr-grid-box .rr-scroll-hint:not([hidden])").count() == 0
            measured = page.evaluate(OVERFLOW)
            violations = axe_violations(page)
            assert measured["scrollWidth"] <= viewport["width"] and not violations, report(
                {"review": measured | ({"culprits": violations} if violations else {})}
            )
        # The narrowest phone: six columns cannot fit the inset; the grid scrolls in itself,
        # says so, and the page does not.
        page.set_viewport_size({"width": 320, "height": 700})
        page.goto(review)
        grid = page.evaluate(SIX_GRID)
        assert grid["hint"] == "Scroll the grid sideways to see all its columns.", grid
        measured = page.evaluate(OVERFLOW)
        assert measured["scrollWidth"] <= 320, measured
        # The sign-off page's badge of the rating asked for ran off the screen too.
        sign_off = submitted_update(organisation, "BS02", current=(6, 2))
        page.goto(sign_off)
        expect(page.locator(".rr-rating", has_text="Tolerable with monitoring")).to_be_visible()
        measured = page.evaluate(OVERFLOW)
        assert measured["scrollWidth"] <= 320, measured
        page.goto(review)
        # The long names are still each cell's name, and read as the cell reads (an experimental
        # rule: run by name, as axe_violations' tags leave it out).
        page.evaluate(AXE_JS)
        result = page.evaluate(
            "async () => await axe.run(document, "
            "{runOnly: {type: 'rule', values: ['label-content-name-mismatch']}})"
        )
        assert result["violations"] == [], result["violations"][:1]
        expect(
            page.locator("#current-grid [data-likelihood='6'][data-impact='5']")
        ).to_have_attribute(
            "aria-label",
            "Likelihood 6 Almost certain to happen, impact 5 Extraordinarily significant: 30 "
            "Intolerable",
        )
    finally:
        context.close()


# The header's items: their text (first words) and the line they sit on.
HEADER = """() => [...document.querySelectorAll('.govuk-service-navigation__item')].map(item => ({
  text: item.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60),
  top: Math.round(item.getBoundingClientRect().top),
}))"""


@pytest.mark.parametrize(
    ("email", "one_line"),
    [("dir-strategy@mopac.demo", True), ("admin@mopac.demo", False)],
)
def test_the_header_keeps_the_name_and_sign_out_together_at_1280(
    browser, live_server, email, one_line
):
    """MOPAC's Director of Strategy (a long name, 6 notifications) had "Sign out" drop onto a
    line of its own at 1280. The name is cut short (the whole name still its link's text and
    title) so the header holds one line; where the links need two lines anyway (an admin's),
    the name and "Sign out" move down together."""
    seed_demo(slugs=("mopac",))
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, email, demo_password())
        page.goto("/o/mopac/")
        items = page.evaluate(HEADER)
        name = get_user_model().objects.get(email=email).get_full_name()
        account = next(
            item for item in items if name in item["text"] or "signed in" in item["text"]
        )
        sign_out = next(item for item in items if item["text"] == "Sign out")
        assert account["top"] == sign_out["top"], items
        if one_line:
            assert len({item["top"] for item in items}) == 1, items
        link = page.locator(".rr-nav-account a")
        assert link.get_attribute("title") == name
        assert link.text_content() == f"Your account: signed in as {name}"
    finally:
        context.close()


def test_a_table_that_scrolls_on_a_phone_can_be_reached_by_keyboard(browser, live_server):
    """A table too wide for a phone scrolls inside its own box; keyboard users must be able to
    reach the box to scroll it (axe's scrollable-region-focusable, serious): the preview of a
    pasted list of invitations, whose long addresses overflow 390 px, was not."""
    seed_demo(slugs=("espo",))
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "admin@espo.demo", demo_password())
        page.goto("/o/espo/members/invite-many/")
        page.fill("textarea", "someone.with.a.long.address@partner-organisation.example,viewer")
        page.get_by_role("button", name="Check the list").click()
        table = page.locator("table.govuk-table").first
        expect(table).to_have_attribute("tabindex", "0")
        assert axe_violations(page) == []
        page.set_viewport_size(DESKTOP)  # room again: the table no longer scrolls nor takes focus
        expect(table).not_to_have_attribute("tabindex", "0")
    finally:
        context.close()


# The visible tables and charts of the page that scroll inside their own box, by caption (a chart
# by its label), and the hint each shows above it (None: none shown).
SCROLLING = """() => [...document.querySelectorAll('table.govuk-table, .rr-chart-frame')]
  .filter(box => box.getClientRects().length && box.scrollWidth > box.clientWidth + 1)
  .map(box => {
    const hint = box.previousElementSibling;
    const shown = hint && hint.classList.contains('rr-scroll-hint') && !hint.hidden;
    const name = box.caption ? box.caption.textContent.trim() : box.getAttribute('aria-label');
    return {name: name || box.className, hint: shown ? hint.textContent : null};
  })"""
TABLE_HINT = "Scroll the table sideways to see all its columns."
CHART_HINT = "Scroll the chart sideways to see all of it."


def open_chart_data(page) -> None:
    for details in page.locator("details.rr-chart-data").all():
        details.locator("summary").click()


def assert_hinted(scrolling: list[dict]) -> None:
    for box in scrolling:
        assert box["hint"] in (TABLE_HINT, CHART_HINT), box


def test_a_panel_members_reports_are_cards_on_a_phone(browser, live_server):
    """At 390 px the Your reports table scrolled inside its box, its Download column out of
    sight with nothing to say it was there: each pack is now a card, as on an organisation's
    Reports page, its download links in view. On the dashboards the panel reads, a table or
    chart that still scrolls (seven columns of exposure by band: Not rated to Total) says so
    above it."""
    seed_demo(slugs=("mopac", "met"))
    for slug in ("mopac", "met"):
        ready_pack(Organisation.objects.get(slug=slug), edition="public")
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "joint.panel@audit.demo", demo_password())
        page.goto("/reports/")
        assert page.evaluate(SCROLLING) == []
        downloads = page.get_by_role("link", name=re.compile(r"^PDF"))
        assert downloads.count() == 2
        for link in downloads.all():
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert axe_violations(page) == []

        for slug in ("met", "mopac"):
            page.goto(f"/o/{slug}/")
            open_chart_data(page)
            expect(page.locator("#exposure table.rr-chart-table").first).to_be_visible()
            scrolling = page.evaluate(SCROLLING)
            assert scrolling, slug  # the charts keep 480 px
            assert_hinted(scrolling)
            assert axe_violations(page) == []
    finally:
        context.close()


def test_the_exposure_figures_fit_a_phone_and_what_scrolls_says_so(browser, live_server):
    """ESPO's exposure by band (quarter, four bands, total) scrolled by 32 px in its box at
    390: its numbers now fit. The tables wider than a phone however they wrap (breaches, seven
    columns; reviews; actions) and the charts scroll with a line above each; at 1280 nothing
    scrolls and no line shows."""
    seed_demo(slugs=("espo",))
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "admin@espo.demo", demo_password())
        page.goto("/o/espo/")
        open_chart_data(page)
        expect(page.locator("#exposure table.rr-chart-table").first).to_be_visible()
        scrolling = page.evaluate(SCROLLING)
        names = {box["name"] for box in scrolling}
        assert not {"Open risks by band at each quarter end"} & names, scrolling
        assert not {"Risks in breach of appetite at each quarter end"} & names, scrolling
        assert any(box["hint"] == TABLE_HINT for box in scrolling), scrolling
        assert any(box["hint"] == CHART_HINT for box in scrolling), scrolling
        assert_hinted(scrolling)
        expect(page.locator(".rr-scroll-hint").first).to_be_visible()
        assert axe_violations(page) == []
        page.set_viewport_size(DESKTOP)
        expect(page.locator(".rr-scroll-hint:not([hidden])")).to_have_count(0)
        assert page.evaluate(SCROLLING) == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_each_listed_pack_shows_its_identifier(browser, live_server, viewport):
    """The identifier a pack's footer and cover print (-PUBLIC for the public edition), with its
    version, in each card of an owner's Reports page and Your reports at 390 px and in each row
    at 1280: on the page, in the window, no sideways scroll, axe clean."""
    from registers.services.organisations import member_add
    from tests.factories import PASSWORD, OrganisationFactory

    organisation = OrganisationFactory(name="University of Aberdeen", slug="aberdeen")
    member_add(
        organisation=organisation, email="owner@aberdeen.example", role="owner", password=PASSWORD
    )
    pack = ready_pack(organisation, edition="public", as_of="2026-12-07")
    pack.kind = "committee"
    pack.save(update_fields=["kind"])
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, "owner@aberdeen.example")
        pages = {"Reports": "/o/aberdeen/reports/", "Your reports": "/reports/"}
        found = too_wide(page, pages, label=f"identifier-{viewport['width']}")
        assert not found, report(found)
        for url in pages.values():
            page.goto(url)
            identifier = page.get_by_text("ABERDEEN-COMMITTEE-2026-12-07-PUBLIC v1", exact=True)
            expect(identifier).to_be_visible()
            box = identifier.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (url, box)
            # The header leads an owner to their packs (behind Menu on a phone): on their
            # organisation's pages its menu's "Reports", elsewhere "Your reports".
            expect(page.locator(f'header a[href="{url}"]')).to_have_text(
                "Reports" if url.startswith("/o/") else "Your reports"
            )
    finally:
        context.close()
