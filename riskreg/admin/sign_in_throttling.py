"""django-axes' rows in the admin: superusers only, read there; a failed sign-in's row deleted
there clears the pause it holds, logged (decision 131).

axes registers an admin of its own for each of its models on the default site, which is ours,
guarded by model permissions alone: a staff account given a view permission on them, an
organisation's admin among them, read every organisation's people's failed sign-ins (the
addresses typed, where they came from, the text of the e-mail box, where people type their
password by mistake: decision 14), and anyone with a delete permission, a superuser too,
deleted the record of who signed in when without a trace. They are replaced:

- Failed sign-ins (``AccessAttempt``) are read here; deleting one clears that account's count
  from that address, so a pause ends at once (README: a superuser clears a pause in the admin),
  logged "sign-in failures cleared" (``riskreg.security.sign_in_failures_clear``), as its page
  and "delete selected" both do. axes' "clean up expired attempts" stays: it deletes only rows
  past the cool-off, which no longer count. Never added or changed.
- The access logs (``AccessLog``, sign-ins and sign-outs; ``AccessFailureLog``, kept only with
  ``AXES_ENABLE_ACCESS_FAILURE_LOG``) are read here, never added, changed or deleted.
"""

from __future__ import annotations

# axes registers its admins when its admin module is first imported; importing it now lets ours
# replace them whichever is imported first.
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from riskreg.security import sign_in_failures_clear

from .allauth_rows import SuperusersOnly
from .read_only import NoWritesHere

for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(AccessAttempt)
class FailedSignInAdmin(SuperusersOnly, AccessAttemptAdmin):
    def delete_model(self, request, obj) -> None:
        sign_in_failures_clear(attempts=AccessAttempt.objects.filter(pk=obj.pk), by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        sign_in_failures_clear(attempts=queryset, by=request.user)


@admin.register(AccessLog)
class SignInLogAdmin(NoWritesHere, SuperusersOnly, AccessLogAdmin):
    actions = None


@admin.register(AccessFailureLog)
class FailedSignInLogAdmin(NoWritesHere, SuperusersOnly, AccessFailureLogAdmin):
    actions = None
