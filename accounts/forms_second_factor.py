"""Forms for second factors: the organisation's rule, and allauth's code forms (``MFA_FORMS``) with
riskreg's words and a limit on wrong codes.

The limit: allauth 65 counts wrong second-factor codes under its "login_failed" rate limit, the
same one it counts wrong passwords under; riskreg turns that off (``ACCOUNT_RATE_LIMITS``) because
django-axes counts passwords, which left codes uncounted: someone who knew a password could try
every six-digit code. These forms count wrong codes (an authenticator app's or a recovery code)
per account under their own rate, ``ACCOUNT_RATE_LIMITS["second_factor_code"]``, whatever the
address they come from, and a right code clears the count."""

from __future__ import annotations

import logging

from allauth.core import context, ratelimit
from allauth.mfa.adapter import get_adapter
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import forms as totp_forms
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from registers.models import SecondFactorRule
from riskreg.forms import GovukForm
from riskreg.security import client_ip

from .services_second_factor import RULE_UNKNOWN

log = logging.getLogger("riskreg.security")

RATE_ACTION = "second_factor_code"
CODES_LIMITED = (
    "You have typed a wrong code too many times. Wait {minutes} minutes, then try again with "
    "the code your authenticator app shows then, or with one of your recovery codes. If you "
    "have lost both, ask an admin of your organisation to reset your two-factor sign-in."
)
CODE_LABEL = "Code"
SIGN_IN_CODE_HINT = (
    "The 6-digit code your authenticator app shows for {issuer} now, or one of your recovery "
    "codes if you do not have your app."
)
RECOVERY_CODE_LABEL = "Recovery code"
RECOVERY_CODE_HINT = "One of the 8-digit codes you kept when you set up two-factor sign-in."
RECOVERY_CODE_WRONG = (
    "That recovery code is not right, or it has been used before. Check it and try again."
)
ACTIVATE_CODE_HINT = "The 6-digit code the app shows for {issuer} after you have added it."


def pause_minutes() -> int:
    """The longest window of the code rate ("5/15m/key": 15), for the message."""
    seconds = 0
    for rate in settings.ACCOUNT_RATE_LIMITS[RATE_ACTION].split(","):
        duration = rate.strip().split("/")[1]
        unit, value = duration[-1], duration[:-1] or "1"
        seconds = max(seconds, float(value) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])
    return max(1, -(-int(seconds) // 60))


def codes_limited_message() -> str:
    return CODES_LIMITED.format(minutes=pause_minutes())


def _key(user) -> str:
    return f"user-{user.pk}"


class CodeInput(forms.TextInput):
    """A short box for a 6-digit code or an 8-digit recovery code. Its own widget type ("code"),
    so riskreg.forms.GovukBoundField leaves its classes alone and the box keeps its width."""

    def __init__(self, attrs=None) -> None:
        super().__init__(
            {
                "class": "govuk-input govuk-input--width-10",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                **(attrs or {}),
            }
        )


def _code_field(form: forms.Form, hint: str) -> None:
    """``hint`` names the app's entry as the app lists it: the issuer its address carried
    (``MFA_TOTP_ISSUER``), not "riskreg" whatever the installation calls itself."""
    field = form.fields["code"]
    field.label = CODE_LABEL
    field.help_text = hint.format(issuer=get_adapter().get_totp_issuer())
    field.widget = CodeInput()


def _mark_code_error(form: forms.Form) -> None:
    if form.errors.get("code"):
        widget = form.fields["code"].widget
        widget.attrs["class"] += " govuk-input--error"


class _LimitedCodeMixin:
    """Counts every code tried against the account before checking it; a right code clears the
    count, so only wrong ones add up."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Without an app, the box takes recovery codes only (a security key is the other way).
        self.uses_app = Authenticator.objects.filter(
            user=self.user, type=Authenticator.Type.TOTP
        ).exists()
        _code_field(self, SIGN_IN_CODE_HINT)
        if not self.uses_app:
            self.fields["code"].label = RECOVERY_CODE_LABEL
            self.fields["code"].help_text = RECOVERY_CODE_HINT

    def full_clean(self) -> None:
        super().full_clean()
        _mark_code_error(self)

    def clean_code(self) -> str:
        request = context.request
        if not ratelimit.consume(request, action=RATE_ACTION, key=_key(self.user)):
            log.warning(
                "second factor codes limited: user=%s ip=%s",
                self.user.pk,
                client_ip(request) or "-",
            )
            raise ValidationError(codes_limited_message(), code="limited")
        try:
            code = super().clean_code()
        except ValidationError:
            if self.uses_app:
                raise
            raise ValidationError(RECOVERY_CODE_WRONG, code="incorrect_code") from None
        ratelimit.clear(request, action=RATE_ACTION, key=_key(self.user))
        return code


class AuthenticateForm(_LimitedCodeMixin, mfa_forms.AuthenticateForm):
    """The code asked for at sign-in, after the password (``MFA_FORMS["authenticate"]``)."""


class ReauthenticateForm(_LimitedCodeMixin, mfa_forms.ReauthenticateForm):
    """The code asked for again before a sensitive change (``MFA_FORMS["reauthenticate"]``)."""


class ActivateTOTPForm(totp_forms.ActivateTOTPForm):
    """Setting up an authenticator app (``MFA_FORMS["activate_totp"]``): a labelled box with a
    hint instead of a placeholder. A wrong code here proves nothing about anyone's account (the
    secret was just shown to the person typing), so it is not counted."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self, ACTIVATE_CODE_HINT)

    def full_clean(self) -> None:
        super().full_clean()
        _mark_code_error(self)


RULE_SUMMARIES = {
    SecondFactorRule.NOBODY: "Nobody has to use two-factor sign-in: each member chooses",
    SecondFactorRule.ADMINS_AND_COORDINATORS: (
        "Admins and risk coordinators must use two-factor sign-in"
    ),
    SecondFactorRule.EVERYONE: "Everyone in {organisation} must use two-factor sign-in",
}


def rule_summary(organisation) -> str:
    """The organisation's rule in a sentence, for the members page and the confirmation."""
    return RULE_SUMMARIES[organisation.second_factor_required].format(
        organisation=organisation.display_name
    )


class SecondFactorRuleForm(GovukForm):
    rule = forms.ChoiceField(
        label="Who must sign in with a second factor",
        choices=SecondFactorRule.choices,
        widget=forms.RadioSelect,
        error_messages={"required": RULE_UNKNOWN, "invalid_choice": RULE_UNKNOWN},
    )
