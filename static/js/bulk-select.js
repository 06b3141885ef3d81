// "Select every risk on this page" on the register page (templates/registers/partials/
// bulk_submit.html), loaded as a module (no inline script: the Content-Security-Policy forbids
// it). Shown only when this runs; without JavaScript each risk is ticked on its own.

for (const box of document.querySelectorAll('[data-rr-bulk-all]')) {
  const form = box.closest('form')
  const all = box.querySelector('input[type="checkbox"]')
  const risks = () => Array.from(form.querySelectorAll('input[type="checkbox"][name="risk"]'))
  const show = () => {
    const inputs = risks()
    all.checked = inputs.length > 0 && inputs.every((input) => input.checked)
    all.indeterminate = !all.checked && inputs.some((input) => input.checked)
  }
  all.addEventListener('change', () => {
    for (const input of risks()) input.checked = all.checked
  })
  form.addEventListener('change', (event) => {
    if (event.target.name === 'risk') show()
  })
  box.hidden = false
  show()
}
