"""Security plumbing that belongs to no single app: sign-in throttling (django-axes), the
``riskreg.security`` audit log, and the client address behind a reverse proxy.

Everything here is wired from settings (``AXES_*``, ``MIDDLEWARE``, ``INSTALLED_APPS``); the
decisions behind it are in ``docs/decisions.md``.

The audit log records who signed in, failed to, signed out or was locked out, whose failed
sign-ins a superuser cleared (``sign_in_failures_clear``), every refusal of a member's request
(403), and every change to an account (its e-mail, password or flags) or to
a membership (added, role, grants flag, clearance, removed), by whoever made it, through any path:
pages, the admin, commands or the shell. Refusals that are 404s (another organisation's objects) are logged
where they are decided, in ``registers/permissions.py``. Records name people by user id and
organisations by slug; they never carry a password, and a failed sign-in names the account only
when it exists (people type passwords into the e-mail box).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Sum
from django.db.models.functions import Lower
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from simple_history.models import HistoricalRecords

log = logging.getLogger("riskreg.security")

# The sign-in form's e-mail box is called "login" (django-allauth's form); allauth passes it on
# to the authentication backends as "email", Django's own forms and Client.login as "username".
USERNAME_FIELD = "login"
CREDENTIAL_FIELDS = ("email", "login", "username")


# --- the client's address ----------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str | None:
    """The address sign-in throttling counts against (``AXES_CLIENT_IP_CALLABLE``).

    Behind ``RISKREG_TRUSTED_PROXY_COUNT`` reverse proxies, each of which appends the address it
    received the request from to ``X-Forwarded-For``, the client is that many entries from the
    right. Entries further left were written by the client and can be forged, so they are never
    read. With no proxies (the default) the address is the socket's, ``REMOTE_ADDR``.
    """
    proxies = getattr(settings, "RISKREG_TRUSTED_PROXY_COUNT", 0)
    remote = request.META.get("REMOTE_ADDR") or None
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Not through every proxy we were told of (a direct request to the web container):
        # the socket's address is the only one not written by the client.
        return remote
    return forwarded[-proxies]


def login_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The account a sign-in attempt is counted against (``AXES_USERNAME_CALLABLE``).

    E-mail addresses are stored in lower case, so "Admin@X" and "admin@x" are one account and
    share one failure count; otherwise each spelling would get its own five tries."""
    if credentials is not None:
        value = next((credentials[k] for k in CREDENTIAL_FIELDS if credentials.get(k)), None)
    else:
        value = getattr(request, "POST", {}).get(USERNAME_FIELD)
    if value is None:
        return None
    return str(value).strip().lower()


# --- lockout -----------------------------------------------------------------------------------


# Shown on the lockout page when the pause is for the address rather than the account.
ADDRESS_PAUSED = (
    "There were too many unsuccessful attempts to sign in to several accounts from your "
    "network address, so signing in is paused for everyone at this address."
)


def _address_attempts(request: HttpRequest):
    """The address's failed sign-ins still inside the cool-off, whatever account they named."""
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    if not address:
        return AccessAttempt.objects.none()
    return AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
    )


def address_failures(request: HttpRequest) -> int:
    return _address_attempts(request).aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_paused(request: HttpRequest) -> bool:
    return address_failures(request) >= settings.RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT


class ThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with a second, per-address limit across accounts
    (``AXES_HANDLER``).

    axes compares the largest count of its lockout parameters with one ``AXES_FAILURE_LIMIT``,
    so ``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]`` would pause an
    office address after five typos by anyone, and a callable limit is not told which count
    it is judging. Instead the parameters stay account-and-address, and ``get_failures`` (what
    axes compares with the limit before checking a password and after each failure) also
    reports the limit reached when the address's failures across every account reach
    ``RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT``. Keeping the address out of the parameters also
    keeps one colleague's successful sign-in from clearing the address's count, since axes
    resets only the attempts matching the parameters."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_paused(request):
            return max(failures, get_failure_limit(request, credentials))
        return failures


def _address_retry_at(request: HttpRequest):
    """When the address's count falls below its limit: failures expire a cool-off after each
    account's latest one, oldest first."""
    cool_off = get_cool_off(request) or timedelta(0)
    rows = list(
        _address_attempts(request)
        .order_by("attempt_time")
        .values_list("attempt_time", "failures_since_start")
    )
    remaining = sum(failures for _, failures in rows)
    for attempt_time, failures in rows:
        remaining -= failures
        if remaining < settings.RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT:
            return attempt_time + cool_off
    return timezone.now()


def lockout_retry_at(request: HttpRequest, credentials: dict | None = None):
    """When this client may sign in as this account again: the cool-off after the latest
    counted failure (failures while locked out are not counted, so the time holds), or later
    if the address itself is paused."""
    cool_off = get_cool_off(request) or timedelta(0)
    latest, failures = None, 0
    handler = AxesProxyHandler.get_implementation()
    for attempts in handler.get_user_attempts(request, credentials):
        found = attempts.aggregate(latest=Max("attempt_time"), total=Sum("failures_since_start"))
        failures = max(failures, found["total"] or 0)
        if found["latest"] is not None and (latest is None or found["latest"] > latest):
            latest = found["latest"]
    account_retry_at = (latest or timezone.now()) + cool_off
    if not address_paused(request):
        return account_retry_at
    address_retry_at = _address_retry_at(request)
    if failures < settings.AXES_FAILURE_LIMIT:  # only the address is paused
        return address_retry_at
    return max(account_retry_at, address_retry_at)


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """The page a locked-out sign-in gets (``AXES_LOCKOUT_CALLABLE``): what happened and the
    time to try again, as a normal page with status 429 rather than axes' bare text."""
    retry_at = lockout_retry_at(request, credentials)
    wait = max(retry_at - timezone.now(), timedelta(0))
    minutes = max(1, -(-int(wait.total_seconds()) // 60))  # rounded up: never "0 minutes"
    context = {
        "retry_at": timezone.localtime(retry_at),
        "now_date": timezone.localdate().isoformat(),  # the date is shown only if it differs
        "minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cool_off_minutes": int((get_cool_off(request) or timedelta(0)).total_seconds() // 60),
        "address_paused": ADDRESS_PAUSED if address_paused(request) else "",
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(wait.total_seconds()) or 1)
    return response


def sign_in_failures_clear(*, attempts, by) -> int:
    """Clear failed sign-ins (axes' ``AccessAttempt`` rows of ``attempts``), which ends the
    pause they hold on an account from an address: a superuser's in the admin (decision 131).
    One line each, naming the account by id (never the text typed into the e-mail box) and
    the address. Returns how many rows went."""
    with transaction.atomic():
        rows = list(
            AccessAttempt.objects.select_for_update()
            .filter(pk__in=attempts.values("pk"))
            .order_by("pk")
            .values_list("pk", "username", "ip_address", "failures_since_start")
        )
        AccessAttempt.objects.filter(pk__in=[pk for pk, *_ in rows]).delete()
    accounts = _account_ids(username for _, username, *_ in rows)
    for _, username, address, failures in rows:
        log.warning(
            "sign-in failures cleared: user=%s ip=%s failures=%s by=%s",
            accounts.get((username or "").lower(), "unknown-account"),
            address or "-",
            failures,
            _user_id(by) if by is not None else "command",
        )
    return len(rows)


class AxesBackendForTests(AxesStandaloneBackend):
    """Test settings only. Django's test ``Client.login()`` authenticates without a request,
    which axes refuses outright; with no request there is no client to throttle, so this lets
    the next backend decide. Production keeps ``AxesStandaloneBackend``, whose refusal is the
    guard against a future sign-in path that forgets to pass the request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


# --- the audit log -----------------------------------------------------------------------------


def _organisation_slug(request: HttpRequest | None) -> str:
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match is not None else {}
    return str(kwargs.get("org") or kwargs.get("organisation") or "-")


def _user_id(user) -> str:
    return str(user.pk) if user is not None and getattr(user, "pk", None) else "-"


def _on_logged_in(sender, request, user, **kwargs) -> None:
    log.info(
        "sign-in succeeded: user=%s ip=%s",
        _user_id(user),
        (client_ip(request) if request else None) or "-",
    )


def _account_ids(usernames) -> dict[str, str]:
    """``_account_id`` for many at once, in one query: the lower-cased e-mail to the id of its
    account (an e-mail with no account is absent)."""
    wanted = {name.lower() for name in usernames if name}
    if not wanted:
        return {}
    found = (
        get_user_model()
        .objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=wanted)
        .values_list("email_lower", "pk")
    )
    return {email: str(pk) for email, pk in found}


def _account_id(username: str | None) -> str:
    """The id of the account an e-mail names, or "unknown-account": the text typed into the
    e-mail box itself is never logged (people type their password there by mistake)."""
    account = None
    if username:
        account = (
            get_user_model()
            .objects.filter(email__iexact=username)
            .values_list("pk", flat=True)
            .first()
        )
    return str(account) if account is not None else "unknown-account"


def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = login_username(request, credentials) if credentials else None
    log.warning(
        "sign-in failed: user=%s ip=%s",
        _account_id(username),
        (client_ip(request) if request else None) or "-",
    )


def _on_logged_out(sender, request, user, **kwargs) -> None:
    log.info(
        "signed out: user=%s ip=%s",
        _user_id(user),
        (client_ip(request) if request else None) or "-",
    )


def _on_locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    # Sent when a client reaches the failure limit and again for each try while locked out.
    log.warning("sign-in locked out: user=%s ip=%s", _account_id(username), ip_address or "-")


def log_refusal(*, request: HttpRequest, what: str) -> None:
    """One WARNING per refused request, in the format of ``registers.permissions``: who, in
    which organisation, and what was refused (never a risk's text), then the request line."""
    log.warning(
        "refused: user=%s organisation=%s: %s [%s %r]",
        _user_id(getattr(request, "user", None)),
        _organisation_slug(request),
        what,
        request.method,
        request.path,
    )


class RefusalLogMiddleware:
    """Logs every 403 a view raises (``PermissionDenied``: a member whose role does not allow
    the action), with the view's own explanation. Django still renders the 403 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            match = getattr(request, "resolver_match", None)
            view = match.view_name if match is not None else "-"
            log_refusal(
                request=request, what=f"forbidden ({view}): {exception or 'no reason given'}"
            )
        return None


# --- changes to accounts and memberships -------------------------------------------------------
#
# Logged from model signals rather than from each service, because the point is that *every*
# path is recorded, including the admin, ``changepassword`` and the shell: a service-only log
# would miss exactly the paths an attacker would use. No domain rule lives here; it only writes
# the log. Values are named, never a password or its hash.

ACCOUNT_FIELDS = (
    "email",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
    "full_name",
    "job_title",
)
MEMBERSHIP_FIELDS = ("role", "registers_limited", "sensitive_access")
QUIET_VALUES = frozenset({"password"})  # named as changed, never shown


def _actor() -> str:
    """Who made the change: the signed-in user of the request being served (simple-history's
    middleware keeps it); ``anonymous`` for a request nobody is signed in to (a password reset
    link, an invitation being accepted); else ``command`` (a management command or the shell)."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    if request is not None:
        return "anonymous"
    return "command"


def _watched(update_fields, fields: tuple[str, ...]) -> bool:
    return update_fields is None or bool(set(update_fields) & set(fields))


def _remember_old(instance, fields: tuple[str, ...], update_fields) -> None:
    instance._riskreg_old = None
    if instance._state.adding or instance.pk is None or not _watched(update_fields, fields):
        return
    instance._riskreg_old = (
        type(instance)._default_manager.filter(pk=instance.pk).values(*fields).first()
    )


def _changes(instance, fields: tuple[str, ...]) -> list[str]:
    old = getattr(instance, "_riskreg_old", None)
    if not old:
        return []
    changes = []
    for name in fields:
        before, after = old[name], getattr(instance, name)
        if before != after:
            changes.append(name if name in QUIET_VALUES else f"{name}: {before!r} -> {after!r}")
    return changes


def _account_pre_save(sender, instance, update_fields=None, **kwargs) -> None:
    _remember_old(instance, ACCOUNT_FIELDS, update_fields)


def _account_post_save(sender, instance, created, **kwargs) -> None:
    if created:
        log.info("account created: user=%s by=%s", instance.pk, _actor())
        return
    changes = _changes(instance, ACCOUNT_FIELDS)
    if changes:
        log.warning("account changed: user=%s: %s by=%s", instance.pk, "; ".join(changes), _actor())


def _account_post_delete(sender, instance, **kwargs) -> None:
    log.warning("account deleted: user=%s by=%s", instance.pk, _actor())


def _membership_where(instance) -> str:
    return f"user={instance.user_id} organisation={instance.organisation.slug}"


def _membership_pre_save(sender, instance, update_fields=None, **kwargs) -> None:
    _remember_old(instance, MEMBERSHIP_FIELDS, update_fields)


def _membership_post_save(sender, instance, created, **kwargs) -> None:
    if created:
        log.info(
            "membership added: %s role=%s by=%s",
            _membership_where(instance),
            instance.role,
            _actor(),
        )
        return
    changes = _changes(instance, MEMBERSHIP_FIELDS)
    if changes:
        log.info(
            "membership changed: %s: %s by=%s",
            _membership_where(instance),
            "; ".join(changes),
            _actor(),
        )


def _membership_post_delete(sender, instance, **kwargs) -> None:
    log.info("membership removed: %s by=%s", _membership_where(instance), _actor())


# --- caching of signed-in responses -----------------------------------------------------------

# Nothing a signed-in person sees (a register, a risk, a pack, an export) may be kept by the
# browser's disk cache, a shared proxy or the back button of a shared machine.
SIGNED_IN_CACHE_CONTROL = "private, no-store"


class PrivatePagesMiddleware:
    """Every response to a signed-in person (pages, htmx fragments, downloads, redirects and
    refusals) gets ``Cache-Control: private, no-store``, unless the view already set its own
    header (``never_cache``'s is stricter; a download may set the same). Static files never reach
    here: whitenoise answers them earlier in ``MIDDLEWARE``, with its own long-lived caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that dropped the session (the health check) has no signed-in person to protect.
        if response.has_header("Cache-Control") or not hasattr(request, "session"):
            return response
        # Read after the view: signing in makes the request's user the person just signed in.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = SIGNED_IN_CACHE_CONTROL
        return response


# The attributes django-csp's decorators put on a response, and the nonce a template asked for:
# with none of them the policy is the settings' alone, the same for every response.
_CSP_RESPONSE_PARTS = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class SettingsPolicyCSPMiddleware(CSPMiddleware):
    """django-csp's ``CSPMiddleware``, building the settings' policy once rather than on every
    response (issue 20: ``build_policy`` copied and joined every directive on each request, about
    a twentieth of a small page's CPU). A response with its own policy (the ``csp_*``
    decorators) or a request that asked for a nonce goes through django-csp as before. The
    header set, and the rules for setting it (exempt views, excluded prefixes, debug pages), are
    django-csp's own, repeated here; the policies are remade when the settings' objects change
    (``override_settings``)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self._built: tuple | None = None

    def _policies(self) -> tuple[str, str]:
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        config_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not config or built[1] is not config_ro:
            built = (config, config_ro, build_policy(), build_policy(report_only=True))
            self._built = built
        return built[2], built[3]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_RESPONSE_PARTS
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        csp, csp_ro = self._policies()
        for header, policy, exempt, setting in (
            (HEADER, csp, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, csp_ro, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            if not policy or getattr(response, exempt, False) is not False or header in response:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error, not a
        # nonce missing from the header.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


def _register_grant_where(instance) -> str:
    register = instance.content_object
    return (
        f"user={instance.user_id} organisation={register.organisation.slug}: "
        f"{instance.permission.codename} on register {register.slug}"
    )


def _register_granted(sender, instance, created, **kwargs) -> None:
    if created:
        log.info("membership changed: %s granted by=%s", _register_grant_where(instance), _actor())


def _register_revoked(sender, instance, **kwargs) -> None:
    log.info("membership changed: %s revoked by=%s", _register_grant_where(instance), _actor())


def connect_receivers() -> None:
    """Called once from ``riskreg.apps.RiskregConfig.ready``."""
    dispatch = "riskreg.security."
    user_model = get_user_model()
    pre_save.connect(_account_pre_save, sender=user_model, dispatch_uid=dispatch + "account_pre")
    post_save.connect(_account_post_save, sender=user_model, dispatch_uid=dispatch + "account")
    post_delete.connect(
        _account_post_delete, sender=user_model, dispatch_uid=dispatch + "account_deleted"
    )
    membership = "registers.Membership"
    pre_save.connect(_membership_pre_save, sender=membership, dispatch_uid=dispatch + "member_pre")
    post_save.connect(_membership_post_save, sender=membership, dispatch_uid=dispatch + "member")
    post_delete.connect(
        _membership_post_delete, sender=membership, dispatch_uid=dispatch + "member_removed"
    )
    grant = "registers.RegisterUserObjectPermission"  # a limited coordinator's registers
    post_save.connect(_register_granted, sender=grant, dispatch_uid=dispatch + "granted")
    post_delete.connect(_register_revoked, sender=grant, dispatch_uid=dispatch + "revoked")
    user_logged_in.connect(_on_logged_in, dispatch_uid=dispatch + "logged_in")
    user_login_failed.connect(_on_login_failed, dispatch_uid=dispatch + "login_failed")
    user_logged_out.connect(_on_logged_out, dispatch_uid=dispatch + "logged_out")
    user_locked_out.connect(_on_locked_out, dispatch_uid=dispatch + "locked_out")
