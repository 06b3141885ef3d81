// The risk form's enhancements, loaded by templates/registers/risk_form.html (and the review
// page, which has the current position's grid) as a module (no
// inline script: the Content-Security-Policy forbids it). Without JavaScript the radios and the
// scrolling box of checkboxes do the same jobs, so everything here is optional.
//
// 1. The scheme's grid per position (partials/risk_grid.html): a cell sets that position's
//    likelihood and impact radios and fires one `change`, so htmx asks for the rating as it does
//    when a radio is clicked. The grid shows what the radios hold. One tab stop per grid; arrow
//    keys, Home and End move between cells; Space or Enter chooses.
// 2. A filter box over a long list of checkboxes (working leads): hides the people whose name
//    does not match; ticked people always stay in view.

const checkedValue = (form, name) => {
  const radio = form.querySelector(`input[type="radio"][name="${name}"]:checked`)
  return radio ? radio.value : ''
}

const setupGrid = (box) => {
  const form = box.closest('form')
  const position = box.dataset.rrGrid
  const cells = Array.from(box.querySelectorAll('button[data-likelihood]'))
  const rows = Array.from(box.querySelectorAll('tbody tr')).map((row) =>
    Array.from(row.querySelectorAll('button[data-likelihood]'))
  )

  const show = () => {
    const likelihood = checkedValue(form, `${position}_likelihood`)
    const impact = checkedValue(form, `${position}_impact`)
    let current = null
    for (const cell of cells) {
      const pressed = cell.dataset.likelihood === likelihood && cell.dataset.impact === impact
      cell.setAttribute('aria-pressed', pressed ? 'true' : 'false')
      if (pressed) current = cell
    }
    // The tab stop follows the choice, unless focus is already inside the grid.
    if (!box.contains(document.activeElement)) {
      for (const cell of cells) cell.tabIndex = -1
      ;(current || cells[0]).tabIndex = 0
    }
  }

  const choose = (cell) => {
    let changed = null
    for (const axis of ['likelihood', 'impact']) {
      const radio = form.querySelector(
        `input[type="radio"][name="${position}_${axis}"][value="${cell.dataset[axis]}"]`
      )
      if (radio && !radio.checked) {
        radio.checked = true
        changed = radio
      }
    }
    if (changed) changed.dispatchEvent(new Event('change', { bubbles: true }))
    show()
  }

  const moveFocus = (cell) => {
    for (const other of cells) other.tabIndex = -1
    cell.tabIndex = 0
    cell.focus()
  }

  box.addEventListener('click', (event) => {
    const cell = event.target.closest('button[data-likelihood]')
    if (cell) choose(cell)
  })

  box.addEventListener('keydown', (event) => {
    const cell = event.target.closest('button[data-likelihood]')
    if (!cell) return
    const r = rows.findIndex((row) => row.includes(cell))
    const c = rows[r].indexOf(cell)
    const last = rows[r].length - 1
    const moves = {
      ArrowUp: [Math.max(r - 1, 0), c],
      ArrowDown: [Math.min(r + 1, rows.length - 1), c],
      ArrowLeft: [r, Math.max(c - 1, 0)],
      ArrowRight: [r, Math.min(c + 1, last)],
      Home: [r, 0],
      End: [r, last]
    }
    const to = moves[event.key]
    if (!to) return
    event.preventDefault()
    moveFocus(rows[to[0]][to[1]])
  })

  form.addEventListener('change', (event) => {
    if (event.target.name && event.target.name.startsWith(`${position}_`)) show()
  })

  box.hidden = false
  show()
  // Measured now it has a width: govuk-init.js says so above it if it scrolls on a phone.
  box.dispatchEvent(new CustomEvent('rr:shown', { bubbles: true }))
}

const setupFilter = (wrapper) => {
  const list = document.getElementById(wrapper.dataset.rrFilter)
  const input = wrapper.querySelector('input[type="search"]')
  const count = wrapper.querySelector('.rr-filter__count')
  if (!list || !input) return
  const items = Array.from(list.querySelectorAll('.govuk-checkboxes__item'))

  const apply = () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean)
    let shown = 0
    for (const item of items) {
      const box = item.querySelector('input')
      const text = item.textContent.toLowerCase()
      const match = box.checked || words.every((word) => text.includes(word))
      item.hidden = !match
      if (match) shown += 1
    }
    count.textContent = words.length ? `${shown} of ${items.length} shown` : ''
  }

  input.addEventListener('input', apply)
  // Enter in the filter must not save the form half-done.
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') event.preventDefault()
  })
  wrapper.hidden = false
  apply()
}

for (const box of document.querySelectorAll('form [data-rr-grid]')) setupGrid(box)
for (const wrapper of document.querySelectorAll('[data-rr-filter]')) setupFilter(wrapper)
