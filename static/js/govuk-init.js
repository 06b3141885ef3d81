// GOV.UK Frontend start-up for riskreg, loaded by templates/base.html as
//   <script type="module" src="{% static 'js/govuk-init.js' %}"></script>
// It lives in a static file (not inline) so the Content-Security-Policy can
// forbid inline script.
//
// The import is relative to this file, so it works under any STATIC_URL.
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js'

// GOV.UK Frontend's body-class snippet (normally an inline <script> at the top
// of <body>): `js-enabled` turns on JS-only styles; `govuk-frontend-supported`
// tells GOV.UK Frontend's CSS and initAll() that the browser can run it.
document.body.classList.add('js-enabled')
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('govuk-frontend-supported')
}

initAll()

// A table too wide for a phone scrolls inside its own box (riskreg.css). Keyboard users must be
// able to reach that box to scroll it, so a table that scrolls takes focus (tabindex 0; axe's
// scrollable-region-focusable), and gives it up when the window grows wide enough again. Its far
// columns are out of sight with nothing to say they are there, so a line above it says so while
// it scrolls; so does one above a chart, which keeps 480 px on a phone and scrolls in its frame
// (always focusable). A table in a closed <details> has no width: it is measured when opened.
const SCROLL_HINTS = {
  table: 'Scroll the table sideways to see all its columns.',
  chart: 'Scroll the chart sideways to see all of it.',
  grid: 'Scroll the grid sideways to see all its columns.'
}
const hintScrolling = (box, scrolls, kind) => {
  let hint = box.previousElementSibling
  if (!hint || !hint.classList.contains('rr-scroll-hint')) {
    if (!scrolls) return
    hint = document.createElement('p')
    hint.className = 'govuk-body-s rr-scroll-hint'
    hint.textContent = SCROLL_HINTS[kind]
    box.before(hint)
  }
  hint.hidden = !scrolls
}
const focusScrollingTables = (scope) => {
  for (const table of scope.querySelectorAll('table.govuk-table:not(.rr-stack)')) {
    const scrolls = table.scrollWidth > table.clientWidth
    if (scrolls) table.setAttribute('tabindex', '0')
    else if (table.getAttribute('tabindex') === '0') table.removeAttribute('tabindex')
    hintScrolling(table, scrolls, 'table')
  }
  for (const frame of scope.querySelectorAll('.rr-chart-frame')) {
    hintScrolling(frame, frame.scrollWidth > frame.clientWidth, 'chart')
  }
  // A risk form's rating grid too wide for the phone (seven levels; six at 320 px): its cells are its
  // tab stops already, so it only says so.
  for (const grid of scope.querySelectorAll('table.rr-grid')) {
    hintScrolling(grid, grid.scrollWidth > grid.clientWidth, 'grid')
  }
}
focusScrollingTables(document)
window.addEventListener('resize', () => focusScrollingTables(document))
// A box shown by a later script (risk-form.js shows the grids) says so with rr:shown.
document.addEventListener('rr:shown', (event) => {
  if (event.target instanceof Element) focusScrollingTables(event.target)
})
// toggle does not bubble: listened for on its way down instead.
document.addEventListener('toggle', (event) => {
  if (event.target instanceof HTMLDetailsElement && event.target.open) focusScrollingTables(event.target)
}, true)

// Content swapped in by htmx gets the same treatment. Components that are
// already initialised throw InitError, which is expected here and ignored.
const ignoreAlreadyInitialised = (error) => {
  if (error && error.name !== 'InitError') console.error(error)
}
document.addEventListener('htmx:load', (event) => {
  const elt = event.detail && event.detail.elt
  // htmx fires htmx:load on <body> once at start-up: initAll() above did that.
  if (!(elt instanceof Element) || elt === document.body) return
  initAll({ scope: elt.parentElement || elt, onError: ignoreAlreadyInitialised })
  focusScrollingTables(elt.parentElement || elt)
})
