"""A person whose organisation requires a second factor sets one up before anything else.

Organisations choose who must (``Organisation.second_factor_required``): nobody, admins and
risk coordinators, or everyone. Someone who must and has neither an authenticator app nor a
security key is sent to the two-factor setup page from every page except the ones needed to set
it up or to leave (allauth's account pages, sign-out, static files). A session that signed in
through an organisation's own identity provider is held to that provider's rules instead for
that organisation alone (it is where Entra ID and the like enforce their second factor), so it
is not asked twice; another organisation of theirs that requires a second factor never trusted
that provider, so its rule holds as for a password (decision 114). Which connection signed the
session in is allauth's record of it (``provider``: the connection's key). An organisation whose
connection is "single sign-on only" counts as requiring a second factor of everyone of the
connection's domains in any session its provider did not sign in: such a session came in by
password (an account that is not the organisation's alone, which the provider may not sign in),
and the organisation asked for more than a password (decision 114, amended). Saving or removing a connection renews the
organisation's token, and so does adding a domain to one or taking one off.

A "nothing needed" answer is worked out at sign-in and kept in the session with the tokens it was
worked out under (``registers.caching``'s tokens, decision 104): the person's, which every save
and delete of their memberships and of their authenticators renews, and each of their
organisations', which every save of the organisation's rule renews (the rule's page, the admin).
A page compares the kept tokens with the current ones (one cache read each, no query) and works
the answer out again when one differs, so a new rule, a role change into a covered role, a new
membership or an admin's reset of someone's second factor reaches their open sessions on their
next request. ``RECHECK_SECONDS`` bounds what a write that sends no signal (``QuerySet.update``,
the shell) can leave behind. Without the shared cache (``caching.enabled()`` false: one process's
token would not reach the others) nothing is kept: every page works it out (one or two queries)."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from registers import caching
from registers.models import Membership, Role, SecondFactorRule

from .models import SingleSignOnDomain, SingleSignOnProvider

SESSION_KEY = "riskreg_second_factor"
RECHECK_SECONDS = 300
_PERSON_KEY = "second-factor-person:{user_id}"
_ORGANISATION_KEY = "second-factor-organisation:{organisation_id}"
COVERED = {
    SecondFactorRule.EVERYONE: frozenset(Role.values),
    SecondFactorRule.ADMINS_AND_COORDINATORS: frozenset({Role.ADMIN, Role.COORDINATOR}),
    SecondFactorRule.NOBODY: frozenset(),
}
# Pages a person without their required second factor may still use.
ALLOWED_PREFIXES = ("/accounts/", "/logout/", "/login/", "/healthz", "/invitations/")


def _only_through_provider(user):
    """Annotation for a membership: whether its organisation lets people of the person's
    address's domain in only through its own identity provider ("single sign-on only")."""
    domain = user.email.rpartition("@")[2].strip().lower()
    return Exists(
        SingleSignOnProvider.objects.filter(
            organisation_id=OuterRef("organisation_id"), only_way_in=True, domains__domain=domain
        )
    )


def _rules(user) -> list[tuple[int, str, str, bool]]:
    """(organisation, role, its rule, single sign-on only for the person's domain) of each of
    the person's memberships: one query."""
    return list(
        Membership.objects.filter(user=user)
        .annotate(sso_only=_only_through_provider(user))
        .values_list("organisation_id", "role", "organisation__second_factor_required", "sso_only")
    )


def second_factor_required(user) -> bool:
    """Whether any organisation the person belongs to requires them to have a second factor
    (``COVERED``, as ``remember`` reads it), or is "single sign-on only" for their address
    while their account is one its provider may not sign in (``sso.beyond_connection``: a
    superuser's or a staff account, or a member of another organisation too), who so sign in
    by password."""
    rules = _rules(user)
    beyond = user.is_superuser or user.is_staff or len({o for o, _, _, _ in rules}) > 1
    return any(
        role in COVERED.get(rule, ()) or (sso_only and beyond) for _, role, rule, sso_only in rules
    )


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=(Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
    ).exists()


def _organisations_signed_in_by_provider(request: HttpRequest) -> frozenset[int]:
    """The organisations whose own identity provider signed this session in (one query, none for
    a session that came in otherwise): their rule is the provider's to enforce. A connection
    removed since no longer counts."""
    # allauth returns no records unless it is told whose (65.22: user=None gives []).
    records = get_authentication_records(request, request.user)
    keys = {r.get("provider") for r in records if r.get("method") == "socialaccount"}
    keys.discard(None)
    if not keys:
        return frozenset()
    return frozenset(
        SingleSignOnProvider.objects.filter(key__in=keys).values_list("organisation_id", flat=True)
    )


def _answer(request: HttpRequest) -> tuple[bool, list[int]]:
    """(whether a second factor is needed now, the person's organisations): needed if an
    organisation of theirs requires one of their role, or is "single sign-on only" for their
    address, leaving out
    those whose provider signed the session in, and they have none."""
    user = request.user
    rules = _rules(user)
    organisation_ids = sorted({organisation_id for organisation_id, _, _, _ in rules})
    trusted = _organisations_signed_in_by_provider(request)
    required = any(
        role in COVERED.get(rule, ()) or sso_only
        for organisation_id, role, rule, sso_only in rules
        if organisation_id not in trusted
    )
    return required and not has_second_factor(user), organisation_ids


def needs_second_factor(request: HttpRequest) -> bool:
    return _answer(request)[0]


def _organisation_key(organisation_id: int) -> str:
    return _ORGANISATION_KEY.format(organisation_id=organisation_id)


def _keys(user_id: int, organisation_ids) -> list[str]:
    return [_PERSON_KEY.format(user_id=user_id), *map(_organisation_key, organisation_ids)]


def _kept_tokens(user_id: int, organisation_ids) -> dict[str, str]:
    return {key: caching.reader_token(key) for key in _keys(user_id, organisation_ids)}


def remember(request: HttpRequest) -> bool:
    """Work the answer out now; keep "nothing needed" in the session with the tokens it holds
    under. True if one is needed.

    The tokens are read before the query, so a write committed while it runs leaves a token the
    next page sees changed: the person's, and those of the organisations this session last
    held (an organisation of theirs not among those is new to them, which a membership write,
    and so the person's token, says)."""
    if not caching.enabled():
        request.session.pop(SESSION_KEY, None)
        return needs_second_factor(request)
    user = request.user
    kept = request.session.get(SESSION_KEY)
    held = kept.get("organisations", []) if isinstance(kept, dict) else []
    tokens = _kept_tokens(user.pk, held)
    needed, organisation_ids = _answer(request)
    if needed:
        request.session.pop(SESSION_KEY, None)
        return True
    for organisation_id in organisation_ids:
        key = _organisation_key(organisation_id)
        if key not in tokens:
            tokens[key] = caching.reader_token(key)
    request.session[SESSION_KEY] = {
        "at": time.time(),
        "organisations": list(organisation_ids),
        "tokens": [tokens[key] for key in _keys(user.pk, organisation_ids)],
    }
    return False


def _still_nothing_needed(request: HttpRequest) -> bool:
    """The kept answer stands: kept, not too old, and worked out under the tokens of now."""
    kept = request.session.get(SESSION_KEY)
    if (
        not caching.enabled()
        or not isinstance(kept, dict)
        or time.time() - kept.get("at", 0) > RECHECK_SECONDS
    ):
        return False
    now = _kept_tokens(request.user.pk, kept.get("organisations", []))
    return list(now.values()) == kept.get("tokens")


def on_signed_in(sender, request, user, **kwargs) -> None:
    """At sign-in (``user_logged_in``), so that pages cost no query until a token changes."""
    if request is not None and hasattr(request, "session"):
        request.user = user
        remember(request)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_url = settings.STATIC_URL

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith((*ALLOWED_PREFIXES, self.static_url))
            # "Needed" is never remembered: the page after setting one up lets them through.
            and not _still_nothing_needed(request)
            and remember(request)
        ):
            return redirect("second_factor_setup")
        return self.get_response(request)


# --- the writes that change the answer renew its tokens (decision 104) ---------------------------

_MEMBERSHIP_FIELDS = frozenset({"role", "user", "user_id", "organisation", "organisation_id"})


def _on_membership_write(sender, instance, update_fields=None, **kwargs) -> None:
    """A membership added, removed or its role changed: the person's answer may change."""
    if update_fields is not None and not _MEMBERSHIP_FIELDS & set(update_fields):
        return
    person_changed(instance.user_id)


def _on_authenticator_write(sender, instance, created=None, **kwargs) -> None:
    """An authenticator added (``created``) or deleted (a reset, a removal); a save of one kept
    (its last use) changes nothing."""
    if created is False:
        return
    person_changed(instance.user_id)


def _on_organisation_write(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and "second_factor_required" not in update_fields):
        return
    caching.tokens_changed([_organisation_key(instance.pk)])


def _on_provider_write(sender, instance, **kwargs) -> None:
    """A connection added, removed or made "single sign-on only" or not: its organisation's
    members' answers may change."""
    caching.tokens_changed([_organisation_key(instance.organisation_id)])


def _on_domain_write(sender, instance, **kwargs) -> None:
    """A domain added to a connection or taken off it: likewise."""
    organisation_ids = SingleSignOnProvider.objects.filter(pk=instance.provider_id).values_list(
        "organisation_id", flat=True
    )
    caching.tokens_changed([_organisation_key(pk) for pk in organisation_ids])


def person_changed(user_id: int | None) -> None:
    """Whether this person needs a second factor is to be worked out again on their next page
    (at the commit; in the writing transaction at once: ``caching.tokens_changed``)."""
    if user_id is not None:
        caching.tokens_changed([_PERSON_KEY.format(user_id=user_id)])


def connect_receivers() -> None:
    """Called once from ``accounts.apps.AccountsConfig.ready``: every save and delete of a
    membership, an authenticator or an organisation's rule, whoever makes it (the services, the
    admin, allauth's pages), renews the tokens the kept answers were worked out under."""
    from django.db.models.signals import post_delete, post_save

    from registers.models import Organisation

    for model, receiver in (
        (Membership, _on_membership_write),
        (Authenticator, _on_authenticator_write),
        (Organisation, _on_organisation_write),
        (SingleSignOnProvider, _on_provider_write),
        (SingleSignOnDomain, _on_domain_write),
    ):
        uid = f"riskreg-second-factor-{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-delete")
