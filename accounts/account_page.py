""" "Your account" (issue 14): one page for everything about the signed-in person.

- Their name and job title (a form here; ``accounts.services_account``).
- How they sign in: their e-mail address (changed on allauth's e-mail page, which confirms the
  new address by a link before it replaces the old one), their password (allauth's change or
  set page), their second factors (allauth's two-factor pages), or the organisation's own
  sign-in service where it signs them in.
- Where else they are signed in (allauth's ``usersessions``), with a button that ends those
  sessions (posted to allauth's sessions page).
- How often each organisation they belong to sends them reminder e-mails: a form per
  membership, each posted to its own URL, so an organisation comes only through
  ``registers.permissions`` (404 for one they do not belong to).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from registers import permissions
from reporting.forms import PreferenceForm
from reporting.reminders.preferences import (
    HINTS,
    reminder_frequencies,
    reminder_preference_set,
)

from . import sso
from .forms_account import AccountDetailsForm
from .services_account import account_details_change

DETAILS_SAVED = "Your details have been saved."
REMINDERS_SAVED = "Reminder e-mails from {organisation}: {choice}."

# Second factors as the page names them (allauth's recovery codes come with an app).
FACTOR_NAMES = {
    Authenticator.Type.TOTP: "an authenticator app",
    Authenticator.Type.WEBAUTHN: "a security key or passkey",
}


def reminders_anchor(slug: str) -> str:
    return f"reminders-{slug}"


def _reminder_forms(memberships, frequencies, posted=None) -> list[dict]:
    """One form per membership, prefixed by the organisation's slug so their fields differ;
    ``posted`` is the one form sent back with its errors."""
    rows = []
    for membership in memberships:
        slug = membership.organisation.slug
        if posted is not None and posted.prefix == slug:
            form = posted
        else:
            form = PreferenceForm(prefix=slug, initial={"frequency": frequencies[membership.pk]})
        field = form["frequency"]
        rows.append(
            {
                "organisation": membership.organisation,
                "anchor": reminders_anchor(slug),
                "form": form,
                "field": field,
                "selected": field.value() or frequencies[membership.pk],
                "choices": [
                    (value, label, HINTS[value])
                    for value, label in form.fields["frequency"].choices
                ],
            }
        )
    return rows


def _sessions(request: HttpRequest) -> tuple[UserSession | None, list[UserSession]]:
    """This session and the others still signed in (allauth drops the ones that ended)."""
    sessions = sorted(
        UserSession.objects.purge_and_list(request.user),
        key=lambda session: session.created_at,
        reverse=True,
    )
    key = request.session.session_key
    current = next((s for s in sessions if s.session_key == key), None)
    return current, [s for s in sessions if s.session_key != key]


def _render(
    request: HttpRequest,
    *,
    details_form: AccountDetailsForm | None = None,
    reminder_form: PreferenceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    if details_form is None:
        details_form = AccountDetailsForm(
            initial={"full_name": user.full_name, "job_title": user.job_title}
        )
    memberships = list(permissions.memberships_for_request(request))
    reminders = _reminder_forms(
        memberships, reminder_frequencies(memberships=memberships), reminder_form
    )
    pending = EmailAddress.objects.get_new(user)
    factors = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    current_session, other_sessions = _sessions(request)
    provider = sso.provider_for_user(user)
    return render(
        request,
        "accounts/account.html",
        {
            "details_form": details_form,
            "error_forms": [
                form
                for form in (details_form, *(row["form"] for row in reminders))
                if form.is_bound and form.errors
            ],
            "reminders": reminders,
            "pending_email": pending.email
            if pending and pending.email.lower() != user.email.lower()
            else "",
            "has_password": user.has_usable_password(),
            "provider": provider,
            "factors": [name for kind, name in FACTOR_NAMES.items() if kind in factors],
            "current_session": current_session,
            "other_sessions": other_sessions,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request)
    form = AccountDetailsForm(request.POST)
    if not form.is_valid():
        return _render(request, details_form=form, status=400)
    account_details_change(
        user=request.user,
        full_name=form.cleaned_data["full_name"],
        job_title=form.cleaned_data["job_title"],
    )
    messages.success(request, DETAILS_SAVED)
    return redirect("account")


@login_required
@require_POST
def account_reminders(request: HttpRequest, org: str) -> HttpResponse:
    """The person's own reminder preference in one organisation they belong to."""
    access = permissions.organisation_for_user(user=request.user, slug=org)
    form = PreferenceForm(request.POST, prefix=access.organisation.slug)
    if not form.is_valid():
        return _render(request, reminder_form=form, status=400)
    frequency = form.cleaned_data["frequency"]
    reminder_preference_set(membership=access.membership, frequency=frequency)
    choice = dict(form.fields["frequency"].choices)[frequency]
    messages.success(
        request,
        REMINDERS_SAVED.format(
            organisation=access.organisation.display_name, choice=choice.lower()
        ),
    )
    return redirect(reverse("account") + "#" + reminders_anchor(access.organisation.slug))
