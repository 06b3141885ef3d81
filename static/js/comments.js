// The comment threads' enhancements (templates/registers/partials/comment_thread.html), loaded as
// a module (no inline script: the Content-Security-Policy forbids it). Without JavaScript the
// forms post and redirect back, and a mention is typed as @ and the person's e-mail address.
//
// 1. Shows the "Find someone to mention" box (hidden without JavaScript); htmx fetches the
//    people as one types; choosing one inserts "@their-address " at the cursor in the comment.
// 2. Enter in that box looks people up instead of posting the comment.
// 3. A comment form answered 400 (a problem with what was typed) or 409 is still swapped in,
//    so its error messages show where the form was (htmx leaves error answers out by default).
// 4. The form a control's or action's "Comment" link brings in gets the focus.

const showFinders = (root) => {
  for (const finder of root.querySelectorAll('[data-mention-finder][hidden]')) {
    finder.hidden = false
  }
}

const insertMention = (button) => {
  const form = button.closest('form')
  const box = form && form.querySelector('textarea')
  if (!box) return
  const token = `${button.dataset.mention} `
  const start = box.selectionStart ?? box.value.length
  const end = box.selectionEnd ?? start
  const before = box.value.slice(0, start)
  const space = before && !/\s$/.test(before) ? ' ' : ''
  box.value = before + space + token + box.value.slice(end)
  const caret = (before + space + token).length
  box.focus()
  box.setSelectionRange(caret, caret)
  const finder = button.closest('[data-mention-finder]')
  if (finder) {
    const input = finder.querySelector('input[type="search"]')
    if (input) input.value = ''
    const results = finder.querySelector('.rr-mention-results')
    if (results) results.textContent = `${button.dataset.mention} added to the comment.`
  }
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-mention]')
  if (button) {
    event.preventDefault()
    insertMention(button)
  }
})

document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && event.target.closest('[data-mention-finder]')) {
    event.preventDefault()
  }
})

document.addEventListener('htmx:beforeSwap', (event) => {
  const status = event.detail.xhr.status
  if ((status === 400 || status === 409) && event.detail.target.closest('[data-comments]')) {
    event.detail.shouldSwap = true
    event.detail.isError = false
  }
})

document.addEventListener('htmx:load', (event) => showFinders(event.detail.elt))

document.addEventListener('htmx:afterSettle', (event) => {
  const asked = event.detail.requestConfig && event.detail.requestConfig.elt
  if (asked && asked.closest && asked.closest('.rr-comment-on')) {
    const box = document.querySelector('#add-comment textarea')
    if (box) box.focus()
  }
})

showFinders(document)
