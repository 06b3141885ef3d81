from django.contrib import admin
from django.urls import include, path

from . import admin as riskreg_admin  # noqa: F401  registers every model, scoped
from .favicon import favicon
from .health import healthz
from .refusals import permission_denied
from .unsaved import unsaved_view

# The 403 page says whether the refusal is about the member's role (riskreg/refusals.py).
handler403 = permission_denied

urlpatterns = [
    # No trailing slash: load balancers are configured with the bare path, and a redirect from
    # APPEND_SLASH would count as a failed check.
    path("healthz", healthz, name="healthz"),
    # The old address of the site's icon: a small redirect, not the 404 page (riskreg/favicon.py).
    path("favicon.ico", favicon, name="favicon"),
    # Signing in, password reset, two-factor, single sign-on and the account page (issue 14).
    path("", include("accounts.urls")),
    path("unsaved/<str:token>/", unsaved_view, name="unsaved"),
    path("admin/", admin.site.urls),
    # The REST API (issue 19): tokens, /api/v1/ and its schema.
    path("", include("api.urls")),
    # API tokens in the browser: a person's own (account page) and an admin's (settings).
    path("", include("api.views_tokens")),
    path("", include("appetite.urls")),
    path("", include("reporting.urls")),
    path("", include("registers.urls")),
]
