// Starts django-allauth's security-key code (mfa/js/webauthn.js) on riskreg's two-factor pages.
// allauth's own templates pass it the ids of the form's parts in an inline JSON <script> block;
// riskreg's templates carry no <script> but ones with src, so an element names the form instead:
//   <div hidden data-rr-webauthn="addForm" data-rr-webauthn-ids='{"add": "mfa_webauthn_add", ...}'>
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-rr-webauthn]').forEach(function (element) {
    var forms = window.allauth && window.allauth.webauthn && window.allauth.webauthn.forms
    var start = forms && forms[element.dataset.rrWebauthn]
    if (typeof start === 'function') {
      start({ ids: JSON.parse(element.dataset.rrWebauthnIds) })
    }
  })
})
